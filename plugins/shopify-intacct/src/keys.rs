//! Command keys and versions. A key is derived from the Shopify business id (order, refund,
//! customer) and, where the record can change, a version of its content; never from the event key,
//! because a webhook and a poll of one change are two events with two keys. The intacct connector
//! turns each key into the controlid Intacct runs at most once, so a replay, a duplicate webhook
//! or the poll of a change already delivered maps to keys Intacct answers "already executed".
//!
//! | command | key |
//! | --- | --- |
//! | customer upsert | `shopify-intacct/customer/<Intacct customer id>/<version of the body>` |
//! | invoice | `shopify-intacct/order/<order id>/invoice/<version of the order>` |
//! | reversal of a cancelled order | `shopify-intacct/order/<order id>/reverse` |
//! | payment | `shopify-intacct/order/<order id>/payment/<transaction id>` |
//! | credit memo | `shopify-intacct/refund/<refund id>` |
//!
//! A version is the first 12 hex digits of SHA-256 over the canonical JSON of what it covers
//! (`serde_json` writes object keys sorted, so the same content always hashes the same).

use ml_connector_sdk::serde_json::{self, Value};
use sha2::{Digest, Sha256};

const PREFIX: &str = "shopify-intacct";
const VERSION_DIGITS: usize = 12;

/// The version of `content`.
pub fn version(content: &Value) -> String {
    hex(&serde_json::to_vec(content).expect("a JSON value serialises"))[..VERSION_DIGITS].to_owned()
}

/// The lower-case hex SHA-256 of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

pub fn customer(customer_id: &str, version: &str) -> String {
    format!("{PREFIX}/customer/{customer_id}/{version}")
}

pub fn invoice(order_id: &str, version: &str) -> String {
    format!("{PREFIX}/order/{order_id}/invoice/{version}")
}

pub fn reverse(order_id: &str) -> String {
    format!("{PREFIX}/order/{order_id}/reverse")
}

pub fn payment(order_id: &str, transaction_id: &str) -> String {
    format!("{PREFIX}/order/{order_id}/payment/{transaction_id}")
}

pub fn refund(refund_id: &str) -> String {
    format!("{PREFIX}/refund/{refund_id}")
}

#[cfg(test)]
mod tests {
    use ml_connector_sdk::serde_json::json;

    use super::*;

    #[test]
    fn versions_follow_content_not_key_order() {
        let a = version(&json!({"a": 1, "b": "2.00"}));
        assert_eq!(a.len(), 12);
        assert_eq!(a, version(&json!({"b": "2.00", "a": 1})));
        assert_ne!(a, version(&json!({"a": 1, "b": "2.01"})));
        assert_eq!(
            invoice("5821", &a),
            format!("shopify-intacct/order/5821/invoice/{a}")
        );
    }
}
