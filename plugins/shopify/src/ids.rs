//! Shopify ids as strings. Ids exceed 2^53, so they never go through f64: a JSON number is read
//! from its text (the workspace builds serde_json with `arbitrary_precision`; without it an integer
//! still parses as u64, never as f64), and a global id (`gid://shopify/Order/123`) is cut at its
//! last `/`.

use ml_connector_sdk::PluginError;
use serde_json::Value;

/// `gid://shopify/{type_name}/{id}`.
pub fn gid(type_name: &str, id: &str) -> String {
    format!("gid://shopify/{type_name}/{id}")
}

/// The numeric id at the end of a global id, whatever its type.
pub fn from_gid(gid: &str) -> Option<String> {
    let (prefix, id) = gid.rsplit_once('/')?;
    (prefix.starts_with("gid://shopify/") && is_id(id)).then(|| id.to_owned())
}

/// The numeric id at the end of a global id Shopify gave; `Rejected` when it is none.
pub fn required_from_gid(gid: &str) -> Result<String, PluginError> {
    from_gid(gid)
        .ok_or_else(|| PluginError::rejected(format!("`{gid}` is not a Shopify global id")))
}

/// A JSON id, number or numeric string, as its digits.
pub fn from_json(value: &Value) -> Option<String> {
    let text = match value {
        Value::Number(number) => number.to_string(),
        Value::String(text) => text.trim().to_owned(),
        _ => return None,
    };
    is_id(&text).then_some(text)
}

/// The id of a REST resource of `type_name` (a webhook body): from `admin_graphql_api_id` when it
/// names that type, else from `id`.
pub fn of_rest(body: &Value, type_name: &str) -> Option<String> {
    let prefix = gid(type_name, "");
    body.get("admin_graphql_api_id")
        .and_then(Value::as_str)
        .filter(|gid| gid.starts_with(&prefix))
        .and_then(from_gid)
        .or_else(|| body.get("id").and_then(from_json))
}

fn is_id(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|byte| byte.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_beyond_two_to_the_53_keep_every_digit() {
        let body: Value = serde_json::from_str(r#"{"id": 5821001234567890123}"#).unwrap();
        assert_eq!(
            of_rest(&body, "Order").as_deref(),
            Some("5821001234567890123")
        );
        let body: Value = serde_json::from_str(
            r#"{"id": 1, "admin_graphql_api_id": "gid://shopify/Order/5821001234567890125"}"#,
        )
        .unwrap();
        assert_eq!(
            of_rest(&body, "Order").as_deref(),
            Some("5821001234567890125")
        );
        assert_eq!(of_rest(&body, "Refund").as_deref(), Some("1"));
        assert_eq!(from_gid("gid://shopify/LineItem/42").as_deref(), Some("42"));
        assert_eq!(from_gid("gid://other/LineItem/42"), None);
        assert_eq!(
            required_from_gid("42"),
            Err(PluginError::rejected("`42` is not a Shopify global id"))
        );
        assert_eq!(from_json(&Value::from(1.5)), None);
        assert_eq!(from_json(&Value::from("77")).as_deref(), Some("77"));
        assert_eq!(gid("Order", "7"), "gid://shopify/Order/7");
    }
}
