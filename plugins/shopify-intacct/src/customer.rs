//! The Intacct customer of an order, and its `intacct.upsert-customer`.
//!
//! **The customer id** (`customer.id_scheme`; Intacct's CUSTOMERID holds 20 characters):
//! - `shopify_id` (default): `id_prefix` + the Shopify customer id (`SH7012345678901`); an id
//!   too long for the prefix is `Rejected` naming `customer.id_scheme` (Shopify ids are 13 digits
//!   today; `shopify_id_base36` always fits);
//! - `shopify_id_base36`: `id_prefix` + the id in base 36, upper case (`SH2HB0N5Y5ZP`);
//! - `email`: `id_prefix` + the upper-case hex SHA-256 of the trimmed, lower-cased email, cut to
//!   fill 20 characters: one Intacct customer per email, whether the buyer had an account or not.
//!
//! An order without a customer (or, for `email`, without any email) goes to
//! `customer.guest_customer_id`; without one it is held for review (a resolution's `customer_id`
//! names the Intacct customer, used as is and not upserted).
//!
//! **The upsert**: `{"customer_id", "name", "first_name"?, "last_name"?, "email"?}`, with the
//! name from Shopify's display name, else first and last name, else the email, else
//! `Shopify customer <id>` (personal fields are null for apps without protected-data access).
//! It is keyed by the customer id and a version of the body, so it runs again only when what it
//! would write changed. It does not set `active`, so a customer deactivated in Intacct stays so.

use ml_connector_sdk::serde_json;
use ml_connector_sdk::{Command, PluginError};
use serde::Serialize;

use crate::config::config_error;
use crate::config::{CustomerConfig, IdScheme, MAX_CUSTOMER_ID};
use crate::entities::{Customer, Order};
use crate::keys;
use crate::review::Resolution;

pub const KIND: &str = "intacct.upsert-customer";

/// The Intacct customer of an order or a customer event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Party {
    pub customer_id: String,
    /// What to upsert; `None` when a person named an existing customer.
    pub upsert: Option<Upsert>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Upsert {
    pub customer_id: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// The customer an order is invoiced to.
pub fn of_order(
    config: &CustomerConfig,
    order: &Order,
    customer: Option<&Customer>,
    resolution: &Resolution,
) -> Result<Party, PluginError> {
    if let Some(customer_id) = &resolution.customer_id {
        return Ok(Party {
            customer_id: customer_id.clone(),
            upsert: None,
        });
    }
    let shopify_id = customer
        .map(|customer| customer.id.as_str())
        .or(order.customer_id.as_deref());
    let email = customer
        .and_then(|customer| customer.email.as_deref())
        .or(order.email.as_deref())
        .filter(|email| !email.trim().is_empty());
    match id_for(config, shopify_id, email)? {
        Some(customer_id) => Ok(Party {
            upsert: Some(upsert(&customer_id, customer, shopify_id, email)),
            customer_id,
        }),
        None => guest(config).ok_or_else(|| {
            PluginError::needs_review(format!(
                "order {} has no customer this mapping can name ({}) and the config has no \
                 `customer.guest_customer_id`; resolve with {{\"customer_id\": \"<Intacct id>\"}}",
                order.name,
                match config.scheme {
                    IdScheme::Email => "no email",
                    _ => "a guest checkout",
                }
            ))
        }),
    }
}

/// The customer of a `customers/*` event; `None` when the scheme cannot name it (no email).
pub fn of_customer(
    config: &CustomerConfig,
    customer: &Customer,
) -> Result<Option<Party>, PluginError> {
    let email = customer
        .email
        .as_deref()
        .filter(|email| !email.trim().is_empty());
    Ok(
        id_for(config, Some(&customer.id), email)?.map(|customer_id| Party {
            upsert: Some(upsert(
                &customer_id,
                Some(customer),
                Some(&customer.id),
                email,
            )),
            customer_id,
        }),
    )
}

/// The upsert command of `upsert`.
pub fn command(upsert: &Upsert) -> Result<Command, PluginError> {
    let body = serde_json::to_value(upsert)
        .map_err(|error| PluginError::rejected(format!("cannot write the customer: {error}")))?;
    let key = keys::customer(&upsert.customer_id, &keys::version(&body));
    Command::json(KIND, key, &body)
}

fn guest(config: &CustomerConfig) -> Option<Party> {
    let customer_id = config.guest_customer_id.clone()?;
    Some(Party {
        upsert: Some(Upsert {
            customer_id: customer_id.clone(),
            name: config.guest_customer_name.clone(),
            first_name: None,
            last_name: None,
            email: None,
        }),
        customer_id,
    })
}

/// The customer id the scheme gives; `None` when it lacks what it needs.
fn id_for(
    config: &CustomerConfig,
    shopify_id: Option<&str>,
    email: Option<&str>,
) -> Result<Option<String>, PluginError> {
    let prefix = &config.prefix;
    let id = match config.scheme {
        IdScheme::ShopifyId => {
            let Some(id) = shopify_id else {
                return Ok(None);
            };
            let customer_id = format!("{prefix}{id}");
            if customer_id.chars().count() > MAX_CUSTOMER_ID {
                return Err(config_error(
                    "customer.id_scheme",
                    format!(
                        "the customer id `{customer_id}` is longer than Intacct's \
                         {MAX_CUSTOMER_ID} characters: use \"shopify_id_base36\" or a shorter \
                         `customer.id_prefix`"
                    ),
                ));
            }
            customer_id
        }
        IdScheme::ShopifyIdBase36 => {
            let Some(id) = shopify_id else {
                return Ok(None);
            };
            let number: u64 = id.parse().map_err(|_| {
                PluginError::rejected(format!("the Shopify customer id `{id}` is not a number"))
            })?;
            format!("{prefix}{}", base36(number))
        }
        IdScheme::Email => {
            let Some(email) = email else {
                return Ok(None);
            };
            let digits = MAX_CUSTOMER_ID - prefix.chars().count();
            let hash = keys::hex(email.trim().to_lowercase().as_bytes()).to_uppercase();
            format!("{prefix}{}", &hash[..digits])
        }
    };
    Ok(Some(id))
}

fn upsert(
    customer_id: &str,
    customer: Option<&Customer>,
    shopify_id: Option<&str>,
    email: Option<&str>,
) -> Upsert {
    let nonempty = |text: Option<&String>| {
        text.map(|text| text.trim().to_owned())
            .filter(|text| !text.is_empty())
    };
    let first_name = customer.and_then(|customer| nonempty(customer.first_name.as_ref()));
    let last_name = customer.and_then(|customer| nonempty(customer.last_name.as_ref()));
    let full_name = match (&first_name, &last_name) {
        (Some(first), Some(last)) => Some(format!("{first} {last}")),
        (Some(one), None) | (None, Some(one)) => Some(one.clone()),
        (None, None) => None,
    };
    let name = customer
        .and_then(|customer| nonempty(customer.display_name.as_ref()))
        .or(full_name)
        .or(email.map(str::to_owned))
        .unwrap_or_else(|| match shopify_id {
            Some(id) => format!("Shopify customer {id}"),
            None => format!("Shopify customer {customer_id}"),
        });
    Upsert {
        customer_id: customer_id.to_owned(),
        name,
        first_name,
        last_name,
        email: customer
            .and_then(|customer| nonempty(customer.email.as_ref()))
            .or(email.map(str::to_owned)),
    }
}

fn base36(mut number: u64) -> String {
    const DIGITS: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut out = Vec::new();
    loop {
        out.push(DIGITS[(number % 36) as usize]);
        number /= 36;
        if number == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).expect("ASCII digits")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(scheme: IdScheme, prefix: &str) -> CustomerConfig {
        CustomerConfig {
            scheme,
            prefix: prefix.into(),
            guest_customer_id: None,
            guest_customer_name: "Guests".into(),
        }
    }

    #[test]
    fn schemes_fit_intacct_customer_ids() {
        let id = Some("7012345678901");
        let email = Some(" Ada@Example.com ");
        let plain = id_for(&config(IdScheme::ShopifyId, "SH"), id, email).unwrap();
        assert_eq!(plain.as_deref(), Some("SH7012345678901"));
        let long = id_for(
            &config(IdScheme::ShopifyId, "SH"),
            Some("5821001234567890123"),
            None,
        );
        assert!(
            matches!(long, Err(PluginError::Rejected { message, .. }) if message.contains("customer.id_scheme"))
        );
        let base36 = id_for(
            &config(IdScheme::ShopifyIdBase36, "SH-"),
            Some("18446744073709551615"),
            None,
        )
        .unwrap()
        .unwrap();
        assert_eq!(base36, "SH-3W5E11264SGSF");
        let by_email = id_for(&config(IdScheme::Email, "E"), None, email)
            .unwrap()
            .unwrap();
        assert_eq!(by_email.len(), MAX_CUSTOMER_ID);
        assert_eq!(
            Some(by_email),
            id_for(&config(IdScheme::Email, "E"), id, Some("ada@example.com")).unwrap()
        );
        assert_eq!(
            id_for(&config(IdScheme::Email, "E"), id, None).unwrap(),
            None
        );
    }

    #[test]
    fn the_name_falls_back_through_what_shopify_gave() {
        let mut customer = Customer {
            id: "1".into(),
            email: None,
            first_name: Some("Ada".into()),
            last_name: Some("Lovelace".into()),
            display_name: None,
            tags: vec![],
        };
        assert_eq!(
            upsert("SH1", Some(&customer), Some("1"), None).name,
            "Ada Lovelace"
        );
        customer.first_name = None;
        customer.last_name = None;
        assert_eq!(
            upsert("SH1", Some(&customer), Some("1"), Some("a@b.c")).name,
            "a@b.c"
        );
        assert_eq!(
            upsert("SH1", Some(&customer), Some("1"), None).name,
            "Shopify customer 1"
        );
    }
}
