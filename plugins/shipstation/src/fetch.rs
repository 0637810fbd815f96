//! `fetch`: the records behind an event, one entity per shipment or fulfillment.
//!
//! | event | what is read | entities |
//! | --- | --- | --- |
//! | webhook `SHIP_NOTIFY` / `ITEM_SHIP_NOTIFY` (reference `/shipments?batchId=…`) | every page of the batch, 500 a page, with items (`includeShipmentItems=true` whatever the pointer said: the mapping allocates freight by item) | `shipstation.shipment` each |
//! | webhook `FULFILLMENT_SHIPPED` (reference `/fulfillments?batchId=…`) | every page of the batch | `shipstation.fulfillment` each |
//! | polled `SHIP_NOTIFY` / `SHIPMENT_VOIDED` (reference `shipment/<id>`, the shipment as payload) | nothing from V1: the payload, normalised the same way | `shipstation.shipment` |
//!
//! With a V2 key each shipment's costs come from its V2 label ([`crate::labels`]): one V2 request
//! per shipment. The reference is checked again ([`Pointer::from_reference`]), and always asked of
//! the configured `base_url`. A batch that lists nothing (ShipStation's lists can lag its webhooks)
//! gives no entities and a warning; the next poll finds what it missed.

use ml_connector_sdk::{Entity, Event, PluginError, log};
use serde_json::Value;

use crate::client::Client;
use crate::normalize;
use crate::pointer::{Pointer, Resource};
use crate::settings::Settings;
use crate::wire::Page;
use crate::{labels, topics};

pub const SHIPMENT: &str = "shipstation.shipment";
pub const FULFILLMENT: &str = "shipstation.fulfillment";
/// More pages than this is not a batch: refused rather than read for ever.
const MAX_PAGES: u64 = 200;

pub fn fetch(event: &Event) -> Result<Vec<Entity>, PluginError> {
    let resource = topics::resource(&event.topic).ok_or_else(|| {
        PluginError::rejected(format!(
            "shipstation has no records for topic `{}`",
            event.topic
        ))
    })?;
    let mut client = Client::new(Settings::load()?);
    if let Some(shipment) = event.payload_json::<Value>()? {
        return polled(&mut client, event, &shipment).map(|entity| vec![entity]);
    }
    let pointer = Pointer::from_reference(&event.reference)?;
    if pointer.resource != resource {
        return Err(PluginError::rejected(format!(
            "a {} event cannot name {}",
            event.topic, event.reference
        )));
    }
    let records = read_all(&mut client, &pointer)?;
    if records.is_empty() {
        log::warn(
            "the resource lists nothing (yet); polling will find what it missed",
            &[("reference", &event.reference)],
        );
    }
    let currency = client.settings.currency.clone();
    records
        .iter()
        .map(|raw| match resource {
            Resource::Shipments => shipment_entity(&mut client, raw),
            Resource::Fulfillments => {
                let body = normalize::fulfillment(raw, &currency)?;
                Entity::json(FULFILLMENT, &body.id, &body)
            }
        })
        .collect()
}

/// A polled shipment: its payload, which must be the shipment the reference names.
fn polled(client: &mut Client, event: &Event, raw: &Value) -> Result<Entity, PluginError> {
    let entity = shipment_entity(client, raw)?;
    if event.reference != format!("shipment/{}", entity.id) {
        return Err(PluginError::rejected(format!(
            "the payload is shipment {}, the event names {}",
            entity.id, event.reference
        )));
    }
    Ok(entity)
}

fn shipment_entity(client: &mut Client, raw: &Value) -> Result<Entity, PluginError> {
    let body = normalize::shipment(raw, &client.settings.currency)?;
    let body = labels::with_costs(client, body)?;
    Entity::json(SHIPMENT, &body.id, &body)
}

/// Every record of every page, each once (by its id).
fn read_all(client: &mut Client, pointer: &Pointer) -> Result<Vec<Value>, PluginError> {
    let id_field = match pointer.resource {
        Resource::Shipments => "shipmentId",
        Resource::Fulfillments => "fulfillmentId",
    };
    let mut records: Vec<Value> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    let mut page = 1;
    loop {
        let answer: Page = client.v1(&pointer.page(page))?;
        for record in answer.records {
            if seen.insert(normalize::id(&record[id_field])) {
                records.push(record);
            }
        }
        if page >= answer.pages {
            return Ok(records);
        }
        if page >= MAX_PAGES {
            return Err(PluginError::rejected(format!(
                "{} lists more than {MAX_PAGES} pages",
                pointer.reference()
            )));
        }
        page += 1;
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::rc::Rc;

    use ml_connector_sdk::http::Response;
    use ml_connector_sdk::testing;
    use serde_json::json;

    use super::*;

    fn shipment(id: u64, cost: &str) -> Value {
        serde_json::from_str(&format!(
            r#"{{"shipmentId": {id}, "orderId": 1, "orderNumber": "1001",
            "createDate": "2024-11-20T10:00:00.0000000", "shipDate": "2024-11-20",
            "shipmentCost": {cost}, "insuranceCost": 0, "trackingNumber": "T{id}",
            "carrierCode": "ups", "voided": false, "voidDate": null,
            "shipmentItems": [{{"sku": "SKU-1", "name": "Widget", "quantity": 1, "unitPrice": 5.00}}]}}"#
        ))
        .unwrap()
    }

    /// Answers V1 list requests from `pages` in turn; records each URL.
    fn serve(pages: Vec<Value>) -> Rc<RefCell<Vec<String>>> {
        testing::reset();
        testing::set_secrets([("api_key", "k"), ("api_secret", "s")]);
        testing::set_config([("base_url", "http://ss")]);
        let urls = Rc::new(RefCell::new(Vec::new()));
        let seen = urls.clone();
        let mut pages = std::collections::VecDeque::from(pages);
        testing::set_http_handler(move |request| {
            seen.borrow_mut().push(request.url.clone());
            Ok(Response {
                status: 200,
                headers: Vec::new(),
                body: pages
                    .pop_front()
                    .expect("a page left")
                    .to_string()
                    .into_bytes(),
            })
        });
        urls
    }

    fn event(topic: &str, reference: &str, payload: Option<Value>) -> Event {
        Event {
            key: reference.into(),
            topic: topic.into(),
            reference: reference.into(),
            occurred_at: None,
            payload: payload.map(|payload| payload.to_string()),
        }
    }

    #[test]
    fn a_batch_is_read_page_by_page_with_items() {
        let urls = serve(vec![
            json!({"shipments": [shipment(5, "8.45"), shipment(6, "12.30")], "total": 3, "page": 1, "pages": 2}),
            json!({"shipments": [shipment(6, "12.30"), shipment(7, "0.1")], "total": 3, "page": 2, "pages": 2}),
        ]);
        let entities = fetch(&event("SHIP_NOTIFY", "/shipments?batchId=42", None)).unwrap();
        assert_eq!(
            *urls.borrow(),
            [
                "http://ss/shipments?batchId=42&includeShipmentItems=true&pageSize=500&page=1",
                "http://ss/shipments?batchId=42&includeShipmentItems=true&pageSize=500&page=2"
            ]
        );
        let ids: Vec<&str> = entities.iter().map(|entity| entity.id.as_str()).collect();
        assert_eq!(ids, ["5", "6", "7"], "each shipment once");
        assert!(entities.iter().all(|entity| entity.kind == SHIPMENT));
        let last: Value = entities[2].body_json().unwrap();
        assert_eq!(last["shipment_cost"], "0.10");
        assert_eq!(last["items"][0]["unit_price"], "5.00");
    }

    #[test]
    fn fulfillments_and_empty_batches() {
        serve(vec![
            json!({"fulfillments": [{"fulfillmentId": 9, "orderId": 1,
            "createDate": "2024-11-20T10:00:00.0000000", "shipDate": "2024-11-20T10:00:00.0000000",
            "carrierCode": "ups", "trackingNumber": "1Z", "fulfillmentFee": 0.0}],
            "total": 1, "page": 1, "pages": 1}),
        ]);
        let entities = fetch(&event(
            "FULFILLMENT_SHIPPED",
            "/fulfillments?batchId=8",
            None,
        ))
        .unwrap();
        assert_eq!(
            (entities[0].kind.as_str(), entities[0].id.as_str()),
            (FULFILLMENT, "9")
        );

        serve(vec![
            json!({"shipments": [], "total": 0, "page": 1, "pages": 0}),
        ]);
        assert!(
            fetch(&event("SHIP_NOTIFY", "/shipments?batchId=1", None))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn a_polled_shipment_comes_from_its_payload() {
        let urls = serve(Vec::new());
        let entities = fetch(&event(
            "SHIPMENT_VOIDED",
            "shipment/5",
            Some(shipment(5, "8.45")),
        ))
        .unwrap();
        assert!(urls.borrow().is_empty(), "nothing fetched");
        assert_eq!(entities[0].id, "5");
        let body: Value = entities[0].body_json().unwrap();
        assert_eq!(body["created_at"], "2024-11-20T18:00:00Z");
        assert!(matches!(
            fetch(&event(
                "SHIP_NOTIFY",
                "shipment/6",
                Some(shipment(5, "8.45"))
            )),
            Err(PluginError::Rejected { .. })
        ));
    }

    #[test]
    fn wrong_topics_and_references_are_rejected() {
        serve(Vec::new());
        for (topic, reference) in [
            ("ORDER_NOTIFY", "/orders?importBatch=1"),
            ("SHIP_NOTIFY", "/fulfillments?batchId=1"),
            ("SHIP_NOTIFY", "https://evil.example/shipments?batchId=1"),
            ("SHIPMENT_VOIDED", "shipment/5"),
        ] {
            assert!(
                matches!(
                    fetch(&event(topic, reference, None)),
                    Err(PluginError::Rejected { .. })
                ),
                "{topic} {reference}"
            );
        }
    }
}
