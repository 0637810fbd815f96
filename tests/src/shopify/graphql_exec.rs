//! Applies a parsed selection to a full GraphQL object: keeps the selected fields under their aliases,
//! pages connections (`first`/`after`, `last`/`before`, at most 250, opaque cursors) and lists
//! (`first`), reports unknown fields, and computes query costs. Cost rules: a scalar costs 0, an object 1
//! plus its fields, a connection 2 plus `first`× (1 + the node's fields); the actual cost counts the
//! nodes really returned. A mutation costs [`MUTATION_COST`] a root field, whatever it selects.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Map, Value, json};

use super::graphql_parse::Field;

/// The most nodes one connection page may ask for.
pub const MAX_PAGE: u64 = 250;

/// What one root field of a mutation costs.
pub const MUTATION_COST: u64 = 10;

/// The cost an operation (a mutation when `mutation`) asks for, before running it.
pub fn operation_cost(mutation: bool, fields: &[Field]) -> u64 {
    if mutation {
        MUTATION_COST * fields.len() as u64
    } else {
        requested_cost(fields)
    }
}

/// The cost a selection asks for, before running it.
fn requested_cost(fields: &[Field]) -> u64 {
    fields.iter().map(field_cost).sum()
}

fn field_cost(field: &Field) -> u64 {
    if field.selection.is_empty() {
        return 0;
    }
    let Some(count) = page_size(field) else {
        return 1 + requested_cost(&field.selection);
    };
    let node_cost = |node: &Field| 1 + requested_cost(&node.selection);
    let per_node: u64 = field
        .selection
        .iter()
        .map(|sub| match sub.name.as_str() {
            "nodes" => node_cost(sub),
            "edges" => sub
                .selection
                .iter()
                .filter(|edge| edge.name == "node")
                .map(node_cost)
                .sum(),
            _ => 0,
        })
        .sum();
    if per_node == 0 {
        count * node_cost(field)
    } else {
        2 + count * per_node
    }
}

fn page_size(field: &Field) -> Option<u64> {
    field
        .args
        .get("first")
        .or_else(|| field.args.get("last"))
        .and_then(Value::as_u64)
}

fn cursor(index: usize) -> String {
    B64.encode(format!("cursor:{index}"))
}

fn cursor_index(cursor: &Value) -> Result<Option<usize>, String> {
    let Some(text) = cursor.as_str() else {
        return Ok(None);
    };
    B64.decode(text)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|decoded| {
            decoded
                .strip_prefix("cursor:")
                .and_then(|index| index.parse().ok())
        })
        .map(Some)
        .ok_or_else(|| format!("Invalid cursor for current pagination sort: {text}"))
}

/// Runs one selection over full objects, collecting errors and the actual cost.
#[derive(Debug, Default)]
pub struct Exec {
    pub errors: Vec<Value>,
    pub cost: u64,
}

impl Exec {
    pub fn error(&mut self, message: String, code: &str, path: &str) {
        self.errors
            .push(json!({"message": message, "path": [path], "extensions": {"code": code}}));
    }

    /// The part of `value` that `field` selects.
    pub fn project(&mut self, value: &Value, field: &Field) -> Value {
        if field.selection.is_empty() {
            return value.clone();
        }
        match value {
            Value::Array(items) => {
                let count =
                    page_size(field).map_or(items.len(), |first| items.len().min(first as usize));
                Value::Array(
                    items[..count]
                        .iter()
                        .map(|item| self.project(item, field))
                        .collect(),
                )
            }
            Value::Object(object) => match object.get("__connection").and_then(Value::as_array) {
                Some(nodes) => self.connection(nodes, field),
                None => self.object(object, field),
            },
            scalar => scalar.clone(),
        }
    }

    fn object(&mut self, object: &Map<String, Value>, field: &Field) -> Value {
        self.cost += 1;
        let mut out = Map::new();
        for sub in &field.selection {
            match object.get(&sub.name) {
                Some(value) => {
                    out.insert(sub.key().to_string(), self.project(value, sub));
                }
                None if sub.name == "__typename" => {
                    out.insert(sub.key().to_string(), Value::Null);
                }
                None => {
                    let typename = object
                        .get("__typename")
                        .and_then(Value::as_str)
                        .unwrap_or("Object");
                    let message =
                        format!("Field '{}' doesn't exist on type '{typename}'", sub.name);
                    self.error(message, "undefinedField", &field.name);
                }
            }
        }
        Value::Object(out)
    }

    /// The rows `field` asks for out of `total`: `[start, end)`.
    pub fn window(&self, total: usize, field: &Field) -> Result<(usize, usize), String> {
        let first = field.args.get("first").and_then(Value::as_u64);
        let last = field.args.get("last").and_then(Value::as_u64);
        let requested = first
            .or(last)
            .ok_or_else(|| format!("you must provide one of first or last on '{}'", field.name))?;
        if requested > MAX_PAGE {
            return Err(format!(
                "The '{}' connection can return at most {MAX_PAGE} nodes per page",
                field.name
            ));
        }
        let after = field
            .args
            .get("after")
            .map(cursor_index)
            .transpose()?
            .flatten();
        let before = field
            .args
            .get("before")
            .map(cursor_index)
            .transpose()?
            .flatten();
        let mut start = after.map_or(0, |index| index + 1).min(total);
        let mut end = before.unwrap_or(total).min(total).max(start);
        if let Some(first) = first {
            end = end.min(start + first as usize);
        } else if let Some(last) = last {
            start = start.max(end.saturating_sub(last as usize));
        }
        Ok((start, end))
    }

    fn connection(&mut self, nodes: &[Value], field: &Field) -> Value {
        let (start, end) = match self.window(nodes.len(), field) {
            Ok(window) => window,
            Err(message) => {
                self.error(message, "argumentLiteralsIncompatible", &field.name);
                return Value::Null;
            }
        };
        self.cost += 2;
        let mut out = Map::new();
        for sub in &field.selection {
            let value = match sub.name.as_str() {
                "nodes" => Value::Array(
                    nodes[start..end]
                        .iter()
                        .map(|node| self.project(node, sub))
                        .collect(),
                ),
                "edges" => Value::Array(
                    (start..end)
                        .map(|index| self.edge(&nodes[index], index, sub))
                        .collect(),
                ),
                "pageInfo" => {
                    let info = json!({
                        "__typename": "PageInfo",
                        "hasNextPage": end < nodes.len(),
                        "hasPreviousPage": start > 0,
                        "startCursor": (start < end).then(|| cursor(start)),
                        "endCursor": (start < end).then(|| cursor(end - 1)),
                    });
                    let cost = self.cost;
                    let projected = self.project(&info, sub);
                    self.cost = cost;
                    projected
                }
                "__typename" => Value::String("Connection".to_string()),
                other => {
                    self.error(
                        format!("Field '{other}' doesn't exist on a connection"),
                        "undefinedField",
                        &field.name,
                    );
                    continue;
                }
            };
            out.insert(sub.key().to_string(), value);
        }
        Value::Object(out)
    }

    fn edge(&mut self, node: &Value, index: usize, field: &Field) -> Value {
        let mut edge = Map::new();
        for sub in &field.selection {
            let value = match sub.name.as_str() {
                "cursor" => Value::String(cursor(index)),
                "node" => self.project(node, sub),
                other => {
                    self.error(
                        format!("Field '{other}' doesn't exist on an edge"),
                        "undefinedField",
                        &field.name,
                    );
                    continue;
                }
            };
            edge.insert(sub.key().to_string(), value);
        }
        Value::Object(edge)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shopify::graphql_parse::parse;

    #[test]
    fn pages_a_connection_with_cursors() {
        let nodes: Vec<Value> = (0..5)
            .map(|n| json!({"__typename": "LineItem", "n": n, "x": 1}))
            .collect();
        let data = json!({"__typename": "Order", "lineItems": {"__connection": nodes}});
        let query = "{ order { lineItems(first: 2, after: $after) { nodes { n } pageInfo { hasNextPage endCursor } } } }";
        let variables = json!({"after": cursor(1)});
        let fields = parse(query, variables.as_object().unwrap()).unwrap();
        let mut exec = Exec::default();
        let out = exec.project(&data, &fields[0]);
        assert_eq!(out["lineItems"]["nodes"], json!([{"n": 2}, {"n": 3}]));
        assert_eq!(out["lineItems"]["pageInfo"]["hasNextPage"], true);
        assert_eq!(out["lineItems"]["pageInfo"]["endCursor"], cursor(3));
        assert_eq!(requested_cost(&fields), 1 + 2 + 2);
        assert_eq!(exec.cost, 1 + 2 + 2);
        assert!(exec.errors.is_empty());
    }
}
