//! `fetch`: the records behind an event, read fresh over GraphQL.
//!
//! | topic | entities |
//! | --- | --- |
//! | `orders/*` | `shopify.order`, then `shopify.customer` when the order has one |
//! | `refunds/create` | `shopify.order` (the refunded order), `shopify.customer`?, `shopify.refund` |
//! | `customers/*` | `shopify.customer` |
//!
//! The refund is the event's payload (the webhook body, [`refund::from_webhook`]), else read by its
//! id over GraphQL ([`refund_graphql`]: a history's events carry no payload); both give the same
//! body. A record Shopify does not have is `Rejected` with code `NOT_FOUND`. A refund not yet
//! listed on its order is `Transient` (Shopify's reads can lag its webhooks).

use ml_connector_sdk::{Entity, Event, PluginError};
use serde_json::{Value, json};

use crate::graphql::Client;
use crate::normalize::{self, OrderBody};
use crate::settings::Settings;
use crate::topics::Resource;
use crate::wire::CustomerData;
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
    match resource {
        Resource::Order => Ok(order_entities(&mut client, &event.reference)?.1),
        Resource::Refund => refund_entities(&mut client, event),
        Resource::Customer => customer_entity(&mut client, &event.reference).map(|e| vec![e]),
    }
}

/// The order's entities (order, customer), and the order body.
fn order_entities(
    client: &mut Client,
    order_id: &str,
) -> Result<(OrderBody, Vec<Entity>), PluginError> {
    let (order, customer) =
        order::load(client, order_id)?.ok_or_else(|| not_found("order", order_id))?;
    let mut entities = vec![Entity::json(ORDER, &order.id, &order)?];
    if let Some(customer) = customer {
        entities.push(Entity::json(CUSTOMER, &customer.id, &customer)?);
    }
    Ok((order, entities))
}

fn refund_entities(client: &mut Client, event: &Event) -> Result<Vec<Entity>, PluginError> {
    let refund = match event.payload_json::<Value>()? {
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
    let (order, mut entities) = order_entities(client, &refund.order_id)?;
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
