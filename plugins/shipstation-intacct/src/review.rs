//! A person's decision on an event held for review: the flow engine passes it to the mapping as
//! the config's `resolution` (`mlc review resolve 42 --with '{...}'`). The keys, at most one:
//!
//! | key | what it decides |
//! | --- | --- |
//! | `sales_order` | the DOCNO of the sales order the shipment's costs belong to (`"SO-1001"`): the batch is matched to exactly that order (by DOCNO, in the config's `sales_order.docpar_id`), whatever the config's `sales_order` says |
//! | `post_without_order` | `true`: the batch posts with no sales order and no customer |
//!
//! It applies to every shipment of the event (a webhook can announce several labels at once), its
//! void included. Any other key, or both, is `Rejected` naming the keys allowed.

use ml_connector_sdk::PluginError;
use ml_connector_sdk::serde_json::Value;

/// The keys a resolution may hold.
pub const KEYS: &[&str] = &["sales_order", "post_without_order"];

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Resolution {
    /// No decision: the config decides.
    #[default]
    None,
    /// Match the sales order with this DOCNO.
    SalesOrder(String),
    /// Post with no sales order.
    WithoutOrder,
}

impl Resolution {
    /// The decision in `config.resolution`, if any.
    pub fn read(config: &Value) -> Result<Self, PluginError> {
        let Some(resolution) = config.get("resolution").filter(|value| !value.is_null()) else {
            return Ok(Self::None);
        };
        let refuse = |why: String| {
            PluginError::rejected(format!(
                "the review resolution {resolution}: {why} (give one of: \
                 {{\"sales_order\": \"<DOCNO>\"}}, {{\"post_without_order\": true}})"
            ))
        };
        let Value::Object(fields) = resolution else {
            return Err(refuse("it must be an object".into()));
        };
        if let Some(key) = fields.keys().find(|key| !KEYS.contains(&key.as_str())) {
            return Err(refuse(format!(
                "`{key}` is not a key this mapping reads; the keys are {}",
                KEYS.join(", ")
            )));
        }
        let sales_order = match fields.get("sales_order") {
            None | Some(Value::Null) => None,
            Some(Value::String(number)) if !number.trim().is_empty() => {
                Some(number.trim().to_owned())
            }
            Some(other) => {
                return Err(refuse(format!(
                    "`sales_order` must be a sales order's DOCNO, not {other}"
                )));
            }
        };
        let without = match fields.get("post_without_order") {
            None | Some(Value::Null) | Some(Value::Bool(false)) => false,
            Some(Value::Bool(true)) => true,
            Some(other) => {
                return Err(refuse(format!(
                    "`post_without_order` must be true, not {other}"
                )));
            }
        };
        match (sales_order, without) {
            (Some(_), true) => Err(refuse(
                "give `sales_order` or `post_without_order`, not both".into(),
            )),
            (Some(number), false) => Ok(Self::SalesOrder(number)),
            (None, true) => Ok(Self::WithoutOrder),
            (None, false) => Ok(Self::None),
        }
    }
}

#[cfg(test)]
mod tests {
    use ml_connector_sdk::serde_json::json;

    use super::*;

    fn read(resolution: Value) -> Result<Resolution, String> {
        Resolution::read(&json!({"journal": "GJ", "resolution": resolution})).map_err(|error| {
            match error {
                PluginError::Rejected { message, .. } => message,
                other => panic!("expected Rejected, got {other:?}"),
            }
        })
    }

    #[test]
    fn reads_an_order_or_posting_without_one_and_refuses_the_rest() {
        assert_eq!(read(Value::Null), Ok(Resolution::None));
        assert_eq!(
            read(json!({"sales_order": " SO-1001 "})),
            Ok(Resolution::SalesOrder("SO-1001".into()))
        );
        assert_eq!(
            read(json!({"post_without_order": true})),
            Ok(Resolution::WithoutOrder)
        );
        assert_eq!(
            read(json!({"customer_id": "C-DEMO"})).unwrap_err(),
            "the review resolution {\"customer_id\":\"C-DEMO\"}: `customer_id` is not a key this \
             mapping reads; the keys are sales_order, post_without_order (give one of: \
             {\"sales_order\": \"<DOCNO>\"}, {\"post_without_order\": true})"
        );
        assert!(read(json!({"sales_order": "SO-1", "post_without_order": true})).is_err());
        assert!(read(json!({"sales_order": 1001})).is_err());
        assert!(read(json!({"post_without_order": "yes"})).is_err());
        assert!(read(json!("SO-1001")).is_err());
    }
}
