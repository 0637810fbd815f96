//! `fetch`: the records behind an event, read fresh over GraphQL.
//!
//! | topic | entities |
//! | --- | --- |
//! | `orders/*` | `shopify.order`, then `shopify.customer` when the order has one |
//! | `refunds/create` | `shopify.order` (the refunded order), `shopify.customer`?, `shopify.refund` |
//! | `customers/*` | `shopify.customer` |
//!
//! A history's events carry the order as a bulk query read it ([`BulkOrder`]): the order's
//! entities are made from it, as from an order read by id ([`order::bodies`]), with no query.
//! Otherwise the order is read by its id ([`order::load`]). The refund is the event's payload (the
//! webhook body, [`refund::from_webhook`]), else read by its id over GraphQL ([`refund_graphql`]:
//! a bulk query cannot read a refund's lines, a connection inside the order's list of refunds);
//! both give the same body. A record Shopify does not have is `Rejected` with code `NOT_FOUND`. A
//! refund not yet listed on its order is `Transient` (Shopify's reads can lag its webhooks).

use ml_connector_sdk::{Entity, Event, PluginError};
use serde_json::{Value, json};

use crate::bulk_orders::BulkOrder;
use crate::graphql::Client;
use crate::normalize::{self, OrderBody};
use crate::settings::Settings;
use crate::topics::Resource;
use crate::wire::{self, CustomerData};
use crate::{ids, order, queries, refund, refund_graphql};

const ORDER: &str = "shopify.order";
const CUSTOMER: &str = "shopify.customer";
const REFUND: &str = "shopify.refund";

pub fn fetch(event: &Event) -> Result<Vec<Entity>, PluginError> {
    let resource = Resource::of(&event.topic).ok_or_else(|| {
        PluginError::rejected(format!(
            "shopify has no records for topic `{}`",
            event.topic
        ))
    })?;
    let mut client = Client::new(Settings::load()?);
    let payload = event.payload_json::<Value>()?;
    let bulk = payload.as_ref().and_then(BulkOrder::of).transpose()?;
    match resource {
        Resource::Order => Ok(order_entities(&mut client, &event.reference, bulk.as_ref())?.1),
        Resource::Refund => refund_entities(&mut client, event, payload, bulk),
        Resource::Customer => customer_entity(&mut client, &event.reference).map(|e| vec![e]),
    }
}

/// The order's entities (order, customer), and the order body: from the order a bulk query read
/// when there is one, else read by id.
fn order_entities(
    client: &mut Client,
    order_id: &str,
    bulk: Option<&wire::Order>,
) -> Result<(OrderBody, Vec<Entity>), PluginError> {
    let (order, customer) = match bulk {
        Some(read) if read.legacy_resource_id != order_id => {
            return Err(PluginError::rejected(format!(
                "the payload is order {}, the event names order {order_id}",
                read.legacy_resource_id
            )));
        }
        Some(read) => order::bodies(read)?,
        None => order::load(client, order_id)?.ok_or_else(|| not_found("order", order_id))?,
    };
    let mut entities = vec![Entity::json(ORDER, &order.id, &order)?];
    if let Some(customer) = customer {
        entities.push(Entity::json(CUSTOMER, &customer.id, &customer)?);
    }
    Ok((order, entities))
}

fn refund_entities(
    client: &mut Client,
    event: &Event,
    payload: Option<Value>,
    bulk: Option<wire::Order>,
) -> Result<Vec<Entity>, PluginError> {
    let refund = match payload.filter(|_| bulk.is_none()) {
        Some(payload) => {
            let refund = refund::from_webhook(&payload)?;
            if refund.id != event.reference {
                return Err(PluginError::rejected(format!(
                    "the payload is refund {}, the event names refund {}",
                    refund.id, event.reference
                )));
            }
            refund
        }
        None => refund_graphql::load(client, &event.reference)?
            .ok_or_else(|| not_found("refund", &event.reference))?,
    };
    let (order, mut entities) = order_entities(client, &refund.order_id, bulk.as_ref())?;
    if !order.refunds.iter().any(|summary| summary.id == refund.id) {
        return Err(PluginError::transient(format!(
            "refund {} is not listed on order {} yet",
            refund.id, order.name
        )));
    }
    entities.push(Entity::json(REFUND, &refund.id, &refund)?);
    Ok(entities)
}

fn customer_entity(client: &mut Client, customer_id: &str) -> Result<Entity, PluginError> {
    let data: CustomerData = client.query(
        &queries::customer(),
        json!({"id": ids::gid("Customer", customer_id)}),
    )?;
    let customer = data
        .customer
        .ok_or_else(|| not_found("customer", customer_id))?;
    let body = normalize::customer(&customer);
    Entity::json(CUSTOMER, &body.id, &body)
}

fn not_found(what: &str, id: &str) -> PluginError {
    PluginError::rejected_with_code("NOT_FOUND", format!("Shopify has no {what} {id}"))
}
