//! Reads one order whole: the header query with the first line items, then further pages of line
//! items by cursor while `pageInfo.hasNextPage`. More shipping lines than one page holds, or as
//! many transactions as the query reads (there may be more), is held for review rather than
//! posted incomplete.

use ml_connector_sdk::PluginError;
use serde_json::json;

use crate::graphql::Client;
use crate::normalize::{self, CustomerBody, OrderBody};
use crate::wire::{OrderData, OrderLinesData};
use crate::{ids, queries};

/// The order `order_id` and its customer; `None` when Shopify has no such order.
pub fn load(
    client: &mut Client,
    order_id: &str,
) -> Result<Option<(OrderBody, Option<CustomerBody>)>, PluginError> {
    let gid = ids::gid("Order", order_id);
    let data: OrderData = client.query(&queries::order(), json!({"id": gid, "after": null}))?;
    let Some(mut order) = data.order else {
        return Ok(None);
    };
    if order.shipping_lines.page_info.has_next_page {
        return Err(PluginError::needs_review(format!(
            "order {} has more than {} shipping lines; the connector reads {}",
            order.name,
            queries::SHIPPING_LINES,
            queries::SHIPPING_LINES
        )));
    }
    if order.transactions.len() >= queries::TRANSACTIONS as usize {
        return Err(PluginError::needs_review(format!(
            "order {} has {} or more transactions; the connector reads {}",
            order.name,
            queries::TRANSACTIONS,
            queries::TRANSACTIONS
        )));
    }
    let mut lines = std::mem::take(&mut order.line_items.nodes);
    let mut page = order.line_items.page_info.clone();
    while page.has_next_page {
        let cursor = page.end_cursor.ok_or_else(|| {
            PluginError::transient("Shopify said more line items follow but gave no cursor")
        })?;
        let data: OrderLinesData =
            client.query(&queries::order_lines(), json!({"id": gid, "after": cursor}))?;
        let more = data.order.ok_or_else(|| {
            PluginError::transient(format!(
                "order {order_id} vanished while its line items were read"
            ))
        })?;
        lines.extend(more.line_items.nodes);
        page = more.line_items.page_info;
    }
    let customer = order.customer.as_ref().map(normalize::customer);
    Ok(Some((normalize::order(&order, &lines)?, customer)))
}
