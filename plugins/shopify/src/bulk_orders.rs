//! The orders of a bulk query's JSONL file ([`crate::queries::bulk_orders`]), a page at a time.
//! Each line is one object: an order (its own fields, refunds and transactions inline), then, each
//! with `__parentId` the order's id and `__typename`, its line items and shipping lines (the file
//! is grouped: the query asks for it). An order is put back together as `order(id:)` answers it,
//! its connections whole (`nodes`, no next page): that is the [`BulkOrder`] payload of its events,
//! which `fetch` normalizes as it does an order it reads ([`crate::order::bodies`]).
//!
//! A page ends before an order whose lines it has not all read: the next page starts at that
//! order's first line, so the cursor is a byte offset at an order's start.

use ml_connector_sdk::PluginError;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::wire;

/// An event's payload: the order as the bulk query read it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BulkOrder {
    pub bulk_order: Value,
}

impl BulkOrder {
    /// The payload of an event, when it is one.
    pub fn of(payload: &Value) -> Option<Result<wire::Order, PluginError>> {
        let order = payload.get("bulk_order")?;
        Some(serde_json::from_value(order.clone()).map_err(|error| {
            PluginError::rejected(format!("the event's bulk order does not read: {error}"))
        }))
    }
}

/// A page of orders read from `part`, the bytes of the file from `offset` on.
#[derive(Debug)]
pub struct Page {
    /// Each order as `order(id:)` answers it, read as an order too.
    pub orders: Vec<(Value, wire::Order)>,
    /// Where the next page starts.
    pub next_offset: u64,
}

/// Up to `limit` orders from `part` (the file from byte `offset`); `at_end` when `part` runs to the
/// end of the file.
pub fn page(part: &[u8], offset: u64, at_end: bool, limit: usize) -> Result<Page, PluginError> {
    // Each order with the byte its first line starts at.
    let mut orders: Vec<(usize, Value)> = Vec::new();
    let mut start = 0;
    // Where the next page starts, once known.
    let mut next = None;
    while start < part.len() {
        let (line, after) = match part[start..].iter().position(|&byte| byte == b'\n') {
            Some(end) => (&part[start..start + end], start + end + 1),
            None if at_end => (&part[start..], part.len()),
            None => break,
        };
        if !line.iter().all(u8::is_ascii_whitespace) {
            let mut object: Map<String, Value> = serde_json::from_slice(line).map_err(|error| {
                PluginError::transient(format!("a line of the bulk file does not read: {error}"))
            })?;
            match object.remove("__parentId") {
                None if orders.len() == limit => {
                    next = Some(start);
                    break;
                }
                None => {
                    for connection in ["lineItems", "shippingLines"] {
                        object.insert(
                            connection.into(),
                            json!({"nodes": [], "pageInfo": {"hasNextPage": false}}),
                        );
                    }
                    orders.push((start, Value::Object(object)));
                }
                Some(parent) => attach(&mut orders, &parent, object)?,
            }
        }
        start = after;
    }
    let next = match next {
        Some(next) => next,
        None if at_end && start >= part.len() => part.len(),
        // The last order may have lines past the part: it starts the next page.
        None => match orders.pop() {
            Some((last, _)) if !orders.is_empty() => last,
            _ => {
                return Err(PluginError::transient(format!(
                    "an order of the bulk file has more than the {} bytes read at once",
                    part.len()
                )));
            }
        },
    };
    let orders = orders
        .into_iter()
        .map(|(_, order)| {
            let read = serde_json::from_value(order.clone()).map_err(|error| {
                PluginError::transient(format!("an order of the bulk file does not read: {error}"))
            })?;
            Ok((order, read))
        })
        .collect::<Result<_, PluginError>>()?;
    Ok(Page {
        orders,
        next_offset: offset + next as u64,
    })
}

/// Adds a line item or shipping line to its order, the last one read.
fn attach(
    orders: &mut [(usize, Value)],
    parent: &Value,
    mut child: Map<String, Value>,
) -> Result<(), PluginError> {
    let Some((_, order)) = orders
        .last_mut()
        .filter(|(_, order)| order["id"] == *parent)
    else {
        return Err(PluginError::transient(format!(
            "a line of the bulk file names parent {parent}, not the order before it: the file \
             is not grouped by order"
        )));
    };
    let connection = match child.remove("__typename").as_ref().and_then(Value::as_str) {
        Some("LineItem") => "lineItems",
        Some("ShippingLine") => "shippingLines",
        other => {
            return Err(PluginError::transient(format!(
                "the bulk file has a line of type {other:?} under an order"
            )));
        }
    };
    order[connection]["nodes"]
        .as_array_mut()
        .expect("each order line is given its connections")
        .push(Value::Object(child));
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use ml_connector_sdk::Event;

    use super::*;
    use crate::fake_shop;
    use crate::fetch::fetch;
    use crate::normalize::tests::sample_json;
    use crate::poll::order_event;
    use crate::refund_graphql::tests::refund_answer;

    /// The JSONL file a bulk query writes of `orders` (as `order(id:)` answers them): each order's
    /// line, then its line items' and shipping lines'.
    pub(crate) fn file_of(orders: &[Value]) -> Vec<u8> {
        let mut file = String::new();
        for order in orders {
            let mut own = order.as_object().unwrap().clone();
            let mut children = Vec::new();
            for (connection, typename) in
                [("lineItems", "LineItem"), ("shippingLines", "ShippingLine")]
            {
                let nodes = own.remove(connection).unwrap();
                for node in nodes["nodes"].as_array().unwrap() {
                    let mut node = node.as_object().unwrap().clone();
                    node.insert("__typename".into(), json!(typename));
                    node.insert("__parentId".into(), order["id"].clone());
                    children.push(Value::Object(node));
                }
            }
            for line in std::iter::once(Value::Object(own)).chain(children) {
                file.push_str(&line.to_string());
                file.push('\n');
            }
        }
        file.into_bytes()
    }

    /// [`sample_json`] as order `n`.
    pub(crate) fn order(n: u64) -> Value {
        let mut order = sample_json();
        order["id"] = json!(format!("gid://shopify/Order/{n}"));
        order["legacyResourceId"] = json!(n.to_string());
        order
    }

    fn ids(page: &Page) -> Vec<&str> {
        page.orders
            .iter()
            .map(|(_, order)| order.legacy_resource_id.as_str())
            .collect()
    }

    #[test]
    fn a_page_ends_at_an_orders_first_line() {
        let file = file_of(&[order(1), order(2), order(3)]);
        let first = page(&file, 0, true, 2).unwrap();
        assert_eq!(ids(&first), ["1", "2"]);
        let rest = &file[first.next_offset as usize..];
        let last = page(rest, first.next_offset, true, 2).unwrap();
        assert_eq!(ids(&last), ["3"]);
        assert_eq!(last.next_offset, file.len() as u64);
        assert_eq!(last.orders[0].1.line_items.nodes.len(), 1);
        assert_eq!(last.orders[0].1.shipping_lines.nodes.len(), 1);

        // A part cut inside the second order's lines leaves it to the next page.
        let cut = file.len() * 2 / 3 - 10;
        let part = page(&file[..cut], 0, false, 250).unwrap();
        assert_eq!(ids(&part), ["1"]);
        let one = page(&file, 0, true, 1).unwrap();
        assert_eq!(
            part.next_offset, one.next_offset,
            "the second order's first line"
        );
        assert!(matches!(
            page(&file[..20], 0, false, 250),
            Err(PluginError::Transient(_))
        ));
    }

    #[test]
    fn an_ungrouped_file_is_refused() {
        let mut file = file_of(&[order(1)]);
        file.extend(file_of(&[order(2)]));
        let text = String::from_utf8(file).unwrap();
        let mut lines: Vec<&str> = text.lines().collect();
        lines.swap(1, 3);
        let error = page(lines.join("\n").as_bytes(), 0, true, 250).unwrap_err();
        assert!(
            error.to_string().contains("not grouped by order"),
            "{error}"
        );
    }

    fn bulk_event(event: Event, record: &Value) -> Event {
        let payload = serde_json::to_string(&BulkOrder {
            bulk_order: record.clone(),
        });
        Event {
            payload: Some(payload.unwrap()),
            ..event
        }
    }

    #[test]
    fn an_order_read_in_bulk_makes_the_entities_an_order_read_by_id_makes() {
        let sample = sample_json();
        let id = "5821001234567890130";
        let read = order_event(id, "2025-11-03T15:00:01Z").unwrap();
        fake_shop::serve(
            "2025-11-05T15:00:00Z",
            vec![json!({"order": sample.clone()})],
        );
        let by_id = fetch(&read).unwrap();
        assert_eq!(by_id.len(), 2, "the order and its customer");

        let file = file_of(&[sample]);
        let bulk = page(&file, 0, true, 250).unwrap();
        let sent = fake_shop::serve("2025-11-05T15:00:00Z", Vec::new());
        let from_bulk = fetch(&bulk_event(read.clone(), &bulk.orders[0].0)).unwrap();
        assert_eq!(from_bulk, by_id);
        assert!(sent.borrow().is_empty(), "no query");

        let other = bulk_event(
            order_event("7", "2025-11-03T15:00:01Z").unwrap(),
            &bulk.orders[0].0,
        );
        assert!(matches!(fetch(&other), Err(PluginError::Rejected { .. })));
    }

    #[test]
    fn a_refund_of_a_bulk_order_reads_only_the_refund() {
        let file = file_of(&[sample_json()]);
        let bulk = page(&file, 0, true, 250).unwrap();
        let refund = Event {
            key: "refund/5821001234567890140".into(),
            topic: "refunds/create".into(),
            reference: "5821001234567890140".into(),
            occurred_at: None,
            payload: None,
        };
        let sent = fake_shop::serve("2025-11-05T15:00:00Z", vec![refund_answer(None)]);
        let entities = fetch(&bulk_event(refund, &bulk.orders[0].0)).unwrap();
        let kinds: Vec<&str> = entities.iter().map(|entity| entity.kind.as_str()).collect();
        assert_eq!(
            kinds,
            ["shopify.order", "shopify.customer", "shopify.refund"]
        );
        let sent = sent.borrow();
        let operations: Vec<&str> = sent
            .iter()
            .map(|(operation, _)| operation.as_str())
            .collect();
        assert_eq!(operations, ["Refund"]);
    }
}
