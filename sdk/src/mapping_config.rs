//! A path-aware reader for a mapping's JSON config (the flow's `mapping_config`): every refusal
//! names the key it is about (`mapping config `order_types[1].accounts.revenue`: expected text,
//! found 4.5`), as `Rejected` with the mapping's error code (`shopify-intacct.config`), so a person
//! knows what to fix in `mlc.toml`.
//!
//! Objects refuse keys they do not know (a typo must not silently fall back to a default).

use serde_json::Value;

use crate::PluginError;

/// A JSON value of the config and where it sits.
#[derive(Debug, Clone)]
pub struct Node<'a> {
    pub value: &'a Value,
    path: String,
    /// The error code of every refusal (`<mapping>.config`).
    code: &'static str,
}

impl<'a> Node<'a> {
    /// The whole config; refusals carry the error `code`.
    pub fn root(value: &'a Value, code: &'static str) -> Self {
        Self {
            value,
            path: String::new(),
            code,
        }
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    /// A refusal naming this node's key.
    pub fn error(&self, message: impl std::fmt::Display) -> PluginError {
        config_error(self.code, &self.path, message)
    }

    /// Checks that this is an object whose keys are all in `allowed`.
    pub fn object(&self, allowed: &[&str]) -> Result<(), PluginError> {
        let Value::Object(fields) = self.value else {
            return Err(self.error(format!("expected an object, found {}", self.value)));
        };
        match fields.keys().find(|key| !allowed.contains(&key.as_str())) {
            None => Ok(()),
            Some(key) => Err(self
                .child(key)
                .error(format!("unknown key (known here: {})", allowed.join(", ")))),
        }
    }

    /// The field `key`; absent and `null` are both `None`.
    pub fn field(&self, key: &str) -> Option<Node<'a>> {
        self.value
            .get(key)
            .filter(|value| !value.is_null())
            .map(|value| Node {
                value,
                path: self.child_path(key),
                code: self.code,
            })
    }

    /// The field `key`, which must be there.
    pub fn required(&self, key: &str) -> Result<Node<'a>, PluginError> {
        self.field(key)
            .ok_or_else(|| self.child(key).error("missing; this key is required"))
    }

    /// Non-empty text; a whole non-negative number is taken as its digits (account `4000`).
    pub fn text(&self) -> Result<String, PluginError> {
        let text = match self.value {
            Value::String(text) => text.trim().to_owned(),
            Value::Number(number) if number.is_u64() => number.to_string(),
            other => return Err(self.error(format!("expected text, found {other}"))),
        };
        if text.is_empty() {
            return Err(self.error("must not be empty"));
        }
        Ok(text)
    }

    /// Text that may be empty (a prefix).
    pub fn text_or_empty(&self) -> Result<String, PluginError> {
        match self.value {
            Value::String(text) => Ok(text.clone()),
            _ => self.text(),
        }
    }

    /// One text, or a list of them.
    pub fn texts(&self) -> Result<Vec<String>, PluginError> {
        match self.value {
            Value::Array(items) => self.items_of(items).map(|item| item.text()).collect(),
            _ => Ok(vec![self.text()?]),
        }
    }

    pub fn boolean(&self) -> Result<bool, PluginError> {
        self.value
            .as_bool()
            .ok_or_else(|| self.error(format!("expected true or false, found {}", self.value)))
    }

    pub fn unsigned(&self) -> Result<u64, PluginError> {
        self.value.as_u64().ok_or_else(|| {
            self.error(format!(
                "expected a whole number of 0 or more, found {}",
                self.value
            ))
        })
    }

    /// The items of a list.
    pub fn items(&self) -> Result<Vec<Node<'a>>, PluginError> {
        match self.value {
            Value::Array(items) => Ok(self.items_of(items).collect()),
            other => Err(self.error(format!("expected a list, found {other}"))),
        }
    }

    /// The entries of an object used as a map (gateway name → settings).
    pub fn entries(&self) -> Result<Vec<(String, Node<'a>)>, PluginError> {
        match self.value {
            Value::Object(fields) => Ok(fields
                .iter()
                .map(|(key, value)| {
                    let node = Node {
                        value,
                        path: self.child_path(key),
                        code: self.code,
                    };
                    (key.clone(), node)
                })
                .collect()),
            other => Err(self.error(format!("expected an object, found {other}"))),
        }
    }

    fn items_of(&self, items: &'a [Value]) -> impl Iterator<Item = Node<'a>> {
        items.iter().enumerate().map(|(index, value)| Node {
            value,
            path: format!("{}[{index}]", self.path),
            code: self.code,
        })
    }

    /// A node for `key` below this one, for errors about a key that is not there.
    fn child(&self, key: &str) -> Node<'a> {
        Node {
            value: &Value::Null,
            path: self.child_path(key),
            code: self.code,
        }
    }

    fn child_path(&self, key: &str) -> String {
        let plain = !key.is_empty()
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '*'));
        let key = match plain {
            true => key.to_owned(),
            false => format!("{key:?}"),
        };
        match self.path.is_empty() {
            true => key,
            false => format!("{}.{key}", self.path),
        }
    }
}

/// A refusal with `code` of the config key at `path` (empty: the whole config).
pub fn config_error(code: &str, path: &str, message: impl std::fmt::Display) -> PluginError {
    let message = match path {
        "" => format!("mapping config: {message}"),
        path => format!("mapping config `{path}`: {message}"),
    };
    PluginError::rejected_with_code(code, message)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const CODE: &str = "example.config";

    fn message(error: PluginError) -> String {
        match error {
            PluginError::Rejected {
                code: Some(code),
                message,
            } if code == CODE => message,
            other => panic!("not a config error: {other:?}"),
        }
    }

    #[test]
    fn errors_name_the_key_path() {
        let config = json!({"a": {"list": [{"x": 4.5}], "map": {"Cash on Delivery": {}}}});
        let root = Node::root(&config, CODE);
        let a = root.required("a").unwrap();
        let item = &a.required("list").unwrap().items().unwrap()[0];
        assert_eq!(
            message(item.required("x").unwrap().text().unwrap_err()),
            "mapping config `a.list[0].x`: expected text, found 4.5"
        );
        assert_eq!(
            message(item.required("y").unwrap_err()),
            "mapping config `a.list[0].y`: missing; this key is required"
        );
        let entries = a.required("map").unwrap().entries().unwrap();
        assert_eq!(entries[0].1.path(), "a.map.\"Cash on Delivery\"");
        assert_eq!(
            message(a.object(&["list"]).unwrap_err()),
            "mapping config `a.map`: unknown key (known here: list)"
        );
        assert_eq!(
            message(Node::root(&Value::Null, CODE).object(&[]).unwrap_err()),
            "mapping config: expected an object, found null"
        );
    }

    #[test]
    fn texts_accept_one_or_many_and_account_numbers() {
        let config = json!({"one": "web", "many": ["a", "b"], "number": 4000, "empty": " "});
        let root = Node::root(&config, CODE);
        assert_eq!(root.required("one").unwrap().texts().unwrap(), ["web"]);
        assert_eq!(root.required("many").unwrap().texts().unwrap(), ["a", "b"]);
        assert_eq!(root.required("number").unwrap().text().unwrap(), "4000");
        assert!(root.required("empty").unwrap().text().is_err());
        assert_eq!(
            root.required("empty").unwrap().text_or_empty().unwrap(),
            " "
        );
        assert!(root.field("absent").is_none());
    }
}
