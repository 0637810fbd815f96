//! Bulk operations of the GraphQL Admin API, as Shopify runs them for a query.
//!
//! `bulkOperationRunQuery(query:, groupObjects:)` checks the query (one root `orders(query:,
//! sortKey:)`, no connection inside a list: Shopify's restriction; its others, at most five
//! connections nested at most two deep, cannot be broken with the simulator's `orders`, which
//! have two) and answers `bulkOperation { id status: CREATED }` and `userErrors { field message
//! code }`; a query the check refuses, or one sent while another of the shop runs
//! (`OPERATION_IN_PROGRESS`), has a user error and no operation. The operation reads the store when it is created and runs for
//! `ShopifyConfig.bulk_run_time` on the simulator clock: `RUNNING`, then `COMPLETED` with
//! `objectCount`, `rootObjectCount`, `fileSize` (`UnsignedInt64`, strings as Shopify writes them)
//! and `url`; `url` is null when nothing matched. [`super::ShopifySim::fail_bulk_operation`] makes
//! the running one `FAILED` with an `errorCode`. `currentBulkOperation` is the latest operation,
//! `node(id:)` any by its id.
//!
//! The file is JSONL, one object a line: each order (its own fields, lists and objects inline),
//! followed by the nodes of its connections, each with `__parentId`, the id of its parent
//! (grouped as `groupObjects: true` groups them: an ungrouped file may order them so too). `url`
//! serves it without the access token, as a signed URL does, and answers a `Range: bytes=a-b`
//! request with `206` and that part, as cloud storage does.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};

use super::graphql_data::order_node;
use super::graphql_exec::Exec;
use super::graphql_parse::{Field, parse};
use super::order_search;
use super::{Shared, ShopifyConfig, Store};

/// One bulk query operation of the shop.
#[derive(Debug, Clone)]
pub struct BulkOperation {
    pub id: u64,
    created_at: DateTime<Utc>,
    completes_at: DateTime<Utc>,
    /// The `errorCode` of a failed operation (`TIMEOUT`, `INTERNAL_SERVER_ERROR`, …).
    pub failed: Option<String>,
    root_objects: usize,
    objects: usize,
    /// The JSONL file.
    pub file: String,
}

impl BulkOperation {
    pub fn gid(&self) -> String {
        format!("gid://shopify/BulkOperation/{}", self.id)
    }

    /// `CREATED` is what the mutation answers; after that, `RUNNING` until it completes or fails.
    pub fn status(&self, now: DateTime<Utc>) -> &'static str {
        match (&self.failed, now >= self.completes_at) {
            (Some(_), _) => "FAILED",
            (None, true) => "COMPLETED",
            (None, false) => "RUNNING",
        }
    }

    /// The `BulkOperation` object at `now`; its file is served at `origin`.
    pub fn node(&self, now: DateTime<Utc>, origin: &str) -> Value {
        let status = self.status(now);
        let done = status == "COMPLETED";
        let url = (done && self.objects > 0).then(|| {
            format!(
                "{origin}/bulk-operation-files/{}/result.jsonl?signature=sim",
                self.id
            )
        });
        let time = |at: DateTime<Utc>| at.to_rfc3339_opts(SecondsFormat::Secs, true);
        json!({
            "__typename": "BulkOperation",
            "id": self.gid(),
            "type": "QUERY",
            "status": status,
            "errorCode": self.failed,
            "createdAt": time(self.created_at),
            "completedAt": done.then(|| time(self.completes_at)),
            "objectCount": if done { self.objects } else { 0 }.to_string(),
            "rootObjectCount": if done { self.root_objects } else { 0 }.to_string(),
            "fileSize": (done && self.objects > 0).then(|| self.file.len().to_string()),
            "url": url,
            "partialDataUrl": Value::Null,
        })
    }
}

/// The operation of global id `gid`.
pub fn find<'a>(operations: &'a [BulkOperation], gid: &str) -> Option<&'a BulkOperation> {
    operations.iter().find(|operation| operation.gid() == gid)
}

/// `bulkOperationRunQuery`: its payload, the operation started when the query passes.
pub fn run_query(
    config: &ShopifyConfig,
    store: &mut Store,
    field: &Field,
    now: DateTime<Utc>,
) -> Value {
    let refused = |message: String, code: &str| {
        json!({
            "__typename": "BulkOperationRunQueryPayload",
            "bulkOperation": Value::Null,
            "userErrors": [{"__typename": "BulkOperationUserError", "field": ["query"],
                            "message": message, "code": code}],
        })
    };
    if let Some(running) = store
        .bulk_operations
        .iter()
        .find(|operation| operation.status(now) == "RUNNING")
    {
        let message = format!(
            "A bulk query operation for this app and shop is already in progress: {}.",
            running.gid()
        );
        return refused(message, "OPERATION_IN_PROGRESS");
    }
    let query = field
        .args
        .get("query")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let (root_objects, lines) = match lines(config, store, query, now) {
        Ok(found) => found,
        Err(message) => return refused(message, "INVALID"),
    };
    let id = store.id();
    let mut file = String::new();
    for line in &lines {
        file.push_str(&line.to_string());
        file.push('\n');
    }
    let operation = BulkOperation {
        id,
        created_at: now,
        completes_at: now + config.bulk_run_time,
        failed: None,
        root_objects,
        objects: lines.len(),
        file,
    };
    let mut node = operation.node(now, "");
    node["status"] = json!("CREATED");
    store.bulk_operations.push(operation);
    json!({
        "__typename": "BulkOperationRunQueryPayload",
        "bulkOperation": node,
        "userErrors": [],
    })
}

/// The lines of the file of `query` run now, and how many of them are roots.
fn lines(
    config: &ShopifyConfig,
    store: &Store,
    query: &str,
    now: DateTime<Utc>,
) -> Result<(usize, Vec<Value>), String> {
    let fields = parse(query, &Map::new())?;
    let [root] = fields.as_slice() else {
        return Err("Bulk queries must have exactly one root field.".into());
    };
    if root.name != "orders" {
        return Err(format!(
            "The simulator runs bulk queries of `orders`, not `{}`.",
            root.name
        ));
    }
    check(root, "QueryRoot", false)?;
    let node = node_selection(root).ok_or("Bulk queries must select the connection's nodes.")?;
    let orders = order_search::listed(config, store, root, now)?;
    let mut exec = Exec::default();
    let mut out = Vec::new();
    for order in &orders {
        flatten(
            &mut exec,
            &order_node(order, store.rendering),
            &node,
            None,
            &mut out,
        );
    }
    match exec.errors.first() {
        Some(error) => Err(error["message"].as_str().unwrap_or_default().to_owned()),
        None => Ok((orders.len(), out)),
    }
}

/// What a field of `type_name` holds, as far as the checks need to know.
enum Shape {
    Connection(&'static str),
    List(&'static str),
}

fn shape(type_name: &str, field: &str) -> Option<Shape> {
    Some(match (type_name, field) {
        ("QueryRoot", "orders") => Shape::Connection("Order"),
        ("Order", "lineItems") => Shape::Connection("LineItem"),
        ("Order", "shippingLines") => Shape::Connection("ShippingLine"),
        ("Order", "refunds") => Shape::List("Refund"),
        ("Order", "transactions") => Shape::List("OrderTransaction"),
        (
            "Refund",
            "refundLineItems" | "refundShippingLines" | "orderAdjustments" | "transactions",
        ) => Shape::Connection("Node"),
        _ => return None,
    })
}

/// Shopify's restriction on `field` of `type_name`, inside a list or not: no connection in a list.
fn check(field: &Field, type_name: &str, in_list: bool) -> Result<(), String> {
    let (inner, in_list) = match shape(type_name, &field.name) {
        Some(Shape::Connection(_)) if in_list => {
            return Err(
                "Queries that contain a connection field within a list field are not \
                        currently supported."
                    .into(),
            );
        }
        Some(Shape::Connection(node)) => {
            let node_field = node_selection(field).unwrap_or_else(|| field.clone());
            return node_field
                .selection
                .iter()
                .try_for_each(|sub| check(sub, node, in_list));
        }
        Some(Shape::List(item)) => (item, true),
        None => ("Object", in_list),
    };
    field
        .selection
        .iter()
        .try_for_each(|sub| check(sub, inner, in_list))
}

/// The selection of a connection's nodes, as `nodes { … }` or `edges { node { … } }`.
fn node_selection(connection: &Field) -> Option<Field> {
    connection
        .selection
        .iter()
        .find_map(|sub| match sub.name.as_str() {
            "nodes" => Some(sub.clone()),
            "edges" => sub
                .selection
                .iter()
                .find(|edge| edge.name == "node")
                .cloned(),
            _ => None,
        })
}

/// The line of `node` (its fields `field` selects, connections left out, `__parentId` when it has
/// a parent), then the lines of its connections' nodes.
fn flatten(
    exec: &mut Exec,
    node: &Value,
    field: &Field,
    parent: Option<&str>,
    out: &mut Vec<Value>,
) {
    let is_connection = |sub: &&Field| {
        node.get(&sub.name)
            .is_some_and(|value| value.get("__connection").is_some())
    };
    let (connections, own): (Vec<&Field>, Vec<&Field>) =
        field.selection.iter().partition(is_connection);
    let own = Field {
        selection: own.into_iter().cloned().collect(),
        ..field.clone()
    };
    let mut line = exec.project(node, &own);
    if let Some(parent) = parent {
        line["__parentId"] = json!(parent);
    }
    out.push(line);
    let id = node["id"].as_str().unwrap_or_default();
    for connection in connections {
        let Some(child) = node_selection(connection) else {
            continue;
        };
        let nodes = node[&connection.name]["__connection"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        for node in &nodes {
            flatten(exec, node, &child, Some(id), out);
        }
    }
}

/// `GET /bulk-operation-files/{id}/result.jsonl`: the file, or the byte range asked for.
pub async fn file(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<u64>,
    headers: HeaderMap,
) -> Response {
    let now = shared.config.clock.now();
    let file = {
        let store = shared.store();
        let found = store
            .bulk_operations
            .iter()
            .find(|operation| operation.id == id && operation.status(now) == "COMPLETED");
        match found {
            Some(operation) => operation.file.clone().into_bytes(),
            None => return StatusCode::NOT_FOUND.into_response(),
        }
    };
    let jsonl = [(header::CONTENT_TYPE, "application/jsonl")];
    let Some(range) = headers
        .get(header::RANGE)
        .and_then(|value| value.to_str().ok())
    else {
        return (jsonl, file).into_response();
    };
    let total = file.len();
    match byte_range(range, total) {
        Some((start, end)) => (
            StatusCode::PARTIAL_CONTENT,
            jsonl,
            [(
                header::CONTENT_RANGE,
                format!("bytes {start}-{end}/{total}"),
            )],
            Body::from(file[start..=end].to_vec()),
        )
            .into_response(),
        None => (
            StatusCode::RANGE_NOT_SATISFIABLE,
            [(header::CONTENT_RANGE, format!("bytes */{total}"))],
        )
            .into_response(),
    }
}

/// `bytes=a-b` or `bytes=a-` of a file of `total` bytes: the first and last byte, both included.
fn byte_range(range: &str, total: usize) -> Option<(usize, usize)> {
    let (start, end) = range.strip_prefix("bytes=")?.split_once('-')?;
    let start: usize = start.trim().parse().ok()?;
    let end = match end.trim() {
        "" => total.checked_sub(1)?,
        end => end.parse::<usize>().ok()?.min(total.checked_sub(1)?),
    };
    (start <= end).then_some((start, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_ranges_as_http_reads_them() {
        assert_eq!(byte_range("bytes=0-9", 100), Some((0, 9)));
        assert_eq!(byte_range("bytes=90-", 100), Some((90, 99)));
        assert_eq!(byte_range("bytes=90-500", 100), Some((90, 99)));
        assert_eq!(byte_range("bytes=100-", 100), None);
        assert_eq!(byte_range("items=0-1", 100), None);
    }
}
