//! Reads one order whole. The header query reads the order with the first few of its line items,
//! shipping lines, refunds and transactions ([`queries`] says how many and what that costs); only
//! what it did not read whole is read again: further line items and shipping lines by cursor while
//! `pageInfo.hasNextPage`, and a refund or transaction list that came back as full as asked for
//! (a list has no cursor: there may be more) alone, up to [`queries::LIST_LIMIT`]. A list that
//! fills even that is held for review; an order that vanishes or changes (`updatedAt`) between its
//! queries is `Transient`, read again later. No order is posted incomplete or torn. An order a bulk
//! query read whole becomes the same bodies ([`bodies`]).

use ml_connector_sdk::PluginError;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::graphql::Client;
use crate::normalize::{self, CustomerBody, OrderBody};
use crate::wire::{self, Connection, OrderData, OrderPartData};
use crate::{ids, queries};

/// The order `order_id` and its customer; `None` when Shopify has no such order.
pub fn load(
    client: &mut Client,
    order_id: &str,
) -> Result<Option<(OrderBody, Option<CustomerBody>)>, PluginError> {
    let gid = ids::gid("Order", order_id);
    let data: OrderData = client.query(&queries::order(), json!({"id": gid}))?;
    let Some(mut order) = data.order else {
        return Ok(None);
    };
    let mut rest = Rest {
        client,
        gid,
        name: order.name.clone(),
        updated_at: order.updated_at.clone(),
    };
    rest.pages(&mut order.line_items, &queries::order_lines())?;
    rest.pages(&mut order.shipping_lines, &queries::order_shipping_lines())?;
    rest.list(
        &mut order.refunds,
        queries::FIRST_REFUNDS,
        &queries::order_refunds(),
        "refunds",
    )?;
    rest.list(
        &mut order.transactions,
        queries::FIRST_TRANSACTIONS,
        &queries::order_transactions(),
        "transactions",
    )?;
    bodies(&order).map(Some)
}

/// The bodies of an order read whole (its connections' every node at hand) and of its customer:
/// of [`load`]'s order, and of a bulk query's ([`crate::bulk_orders`]).
pub fn bodies(order: &wire::Order) -> Result<(OrderBody, Option<CustomerBody>), PluginError> {
    let customer = order.customer.as_ref().map(normalize::customer);
    Ok((normalize::order(order, &order.line_items.nodes)?, customer))
}

/// Reads the rest of the order the header query began.
struct Rest<'a> {
    client: &'a mut Client,
    gid: String,
    /// `#1001`, for messages.
    name: String,
    /// As the header query read it.
    updated_at: String,
}

impl Rest<'_> {
    /// Appends the further pages of `connection` while Shopify says more follow.
    fn pages<T: DeserializeOwned>(
        &mut self,
        connection: &mut Connection<T>,
        query: &str,
    ) -> Result<(), PluginError> {
        let of = format!("order {}", self.name);
        connection.read_rest(&of, |cursor| {
            self.part(query, json!({"id": self.gid, "after": cursor}))
        })
    }

    /// Reads `list` (`what`) again alone when the header read as many as it asked for (`first`).
    fn list<T: DeserializeOwned>(
        &mut self,
        list: &mut Vec<T>,
        first: u32,
        query: &str,
        what: &str,
    ) -> Result<(), PluginError> {
        if list.len() < first as usize {
            return Ok(());
        }
        *list = self.part(query, json!({"id": self.gid}))?;
        if list.len() >= queries::LIST_LIMIT as usize {
            return Err(PluginError::needs_review(format!(
                "order {} has {limit} or more {what}; the connector reads {limit}",
                self.name,
                limit = queries::LIST_LIMIT
            )));
        }
        Ok(())
    }

    /// The `part` a follow-up query reads, if the order is still as the header read it.
    fn part<T: DeserializeOwned>(
        &mut self,
        query: &str,
        variables: Value,
    ) -> Result<T, PluginError> {
        let data: OrderPartData<T> = self.client.query(query, variables)?;
        let order = data.order.ok_or_else(|| {
            PluginError::transient(format!("order {} vanished while it was read", self.name))
        })?;
        if order.updated_at != self.updated_at {
            return Err(PluginError::transient(format!(
                "order {} changed while it was read (updated at {}, then {})",
                self.name, self.updated_at, order.updated_at
            )));
        }
        Ok(order.part)
    }
}
