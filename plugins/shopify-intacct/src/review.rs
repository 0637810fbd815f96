//! A person's decision on an event held for review: the flow engine passes it to the mapping as
//! the config's `resolution` (`mlc review resolve 42 --with '{...}'`). The keys this mapping reads:
//!
//! | key | what it decides |
//! | --- | --- |
//! | `customer_id` | the Intacct customer of an order that has none this mapping can name (a guest order without `customer.guest_customer_id`; no email under the `email` scheme); it is used as is, and no customer is upserted |
//! | `accept_totals` | `true`: post the lines even though they do not add up to Shopify's total (of the order, or of a refund); post payments that add up to more than the invoice, applying them only up to it |
//!
//! Other keys are ignored (with a warning in the log).

use ml_connector_sdk::serde_json::Value;
use ml_connector_sdk::{PluginError, log};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resolution {
    pub customer_id: Option<String>,
    pub accept_totals: bool,
}

impl Resolution {
    /// The decision in `config.resolution`, if any.
    pub fn read(config: &Value) -> Result<Self, PluginError> {
        let Some(resolution) = config.get("resolution").filter(|value| !value.is_null()) else {
            return Ok(Self::default());
        };
        let Value::Object(fields) = resolution else {
            return Err(PluginError::rejected(format!(
                "the review resolution must be an object, not {resolution}"
            )));
        };
        let text = |key: &str| -> Result<Option<String>, PluginError> {
            match fields.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(text)) if !text.trim().is_empty() => {
                    Ok(Some(text.trim().to_owned()))
                }
                Some(other) => Err(PluginError::rejected(format!(
                    "the review resolution's `{key}` must be text, not {other}"
                ))),
            }
        };
        for key in fields.keys() {
            if !["customer_id", "accept_totals"].contains(&key.as_str()) {
                log::warn(
                    "review resolution key ignored",
                    &[("key", key), ("known", "customer_id, accept_totals")],
                );
            }
        }
        Ok(Self {
            customer_id: text("customer_id")?,
            accept_totals: fields.get("accept_totals") == Some(&Value::Bool(true)),
        })
    }
}
