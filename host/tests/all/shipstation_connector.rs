//! The `shipstation` connector through the real host against the ShipStation simulator
//! (`simulators::shipstation`): token-guarded pointer webhooks (a wrong token, a resource URL on
//! another host, a numbered shard), a batch fetched with its items and exact costs, a batch of
//! three pages, fulfillments, polling (a dropped webhook, a voided label, the hour repeated when the
//! clocks fall back), Pacific times across both daylight-saving edges, a burst of 120 labels that
//! never meets a 429, a 429 from someone else waited out, refused credentials, V2 label costs, and
//! ping.
//!
//! The host's clock here is the simulator's: a plugin's `sleep` moves the simulator's clock, so
//! waiting for the rate window really lets it reset, without the test sleeping.

use support::calls::*;

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use mlc_host::types::{Entity, Event, InboundRequest, PluginError, VerifyError};
use mlc_host::{Connection, ConnectorCall, Host, Secret};
use serde_json::{Value, json};
use simulators::clock::SimClock;
use simulators::shipstation::{
    DeliveryMode, Item, OrderSpec, ShipStationConfig, ShipStationSim, Shipment, ShipmentSpec,
    Weight,
};
use simulators::webhook_receiver::{Received, Receiver};

/// The secret in the webhook URL ShipStation is subscribed to.
const TOKEN: &str = "wh-7Yq2-test-token";

struct Station {
    sim: ShipStationSim,
    host: Host,
    connector: ConnectorCall,
}

fn config() -> ShipStationConfig {
    let clock = SimClock::frozen(Utc.with_ymd_and_hms(2024, 11, 20, 18, 0, 0).unwrap());
    ShipStationConfig::new(clock)
}

/// The connection to the simulator, with `settings` and `secrets` added.
fn connection(
    sim: &ShipStationSim,
    settings: &[(&str, &str)],
    secrets: &[(&str, &str)],
) -> Arc<Connection> {
    let config = sim.config();
    let mut connection = Connection::new("shipstation")
        .unwrap()
        .allow(&sim.base_url())
        .unwrap()
        .setting("base_url", sim.base_url())
        .secret("api_key", Secret::new(&config.api_key))
        .secret("api_secret", Secret::new(&config.api_secret))
        .secret("webhook_token", Secret::new(TOKEN));
    for (key, value) in settings {
        connection = connection.setting(*key, *value);
    }
    for (name, value) in secrets {
        connection = connection.secret(*name, Secret::new(*value));
    }
    Arc::new(connection)
}

async fn start() -> Station {
    start_with(config()).await
}

async fn start_with(config: ShipStationConfig) -> Station {
    let clock = config.clock.clone();
    let sim = ShipStationSim::start(config)
        .await
        .expect("the simulator starts");
    let host = support::host_with(Host::builder().clock(Arc::new(SimTime(clock)))).await;
    let connector = host
        .connector("shipstation", connection(&sim, &[], &[]))
        .unwrap();
    Station {
        sim,
        host,
        connector,
    }
}

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn ounces(value: &str) -> Weight {
    Weight {
        value: dec(value),
        units: "ounces".into(),
    }
}

/// A UPS label for order 1001: a mug ×2 and a T-shirt, 8.45 postage and 1.10 insurance.
fn label_spec() -> ShipmentSpec {
    ShipmentSpec {
        order_number: "1001".into(),
        customer_email: Some("ada@example.com".into()),
        shipment_cost: dec("8.45"),
        insurance_cost: dec("1.10"),
        tracking_number: "1Z999AA10123456784".into(),
        carrier_code: "ups".into(),
        service_code: "ups_ground".into(),
        custom_fields: [Some("SO-1001".into()), None, None],
        weight: ounces("28"),
        items: vec![
            Item {
                sku: "MUG-1".into(),
                name: "Enamel mug".into(),
                quantity: 2,
                unit_price: dec("12.50"),
                weight: ounces("8"),
            },
            Item {
                sku: "TEE-M".into(),
                name: "T-shirt".into(),
                quantity: 1,
                unit_price: dec("19.99"),
                weight: ounces("12"),
            },
        ],
        ..ShipmentSpec::default()
    }
}

/// A delivery the receiver got, as the host hands it to `verify` for `/webhooks/shipstation{path}`.
fn inbound(received: &Received, path: &str) -> InboundRequest {
    InboundRequest {
        method: "POST".into(),
        path: path.into(),
        query: String::new(),
        headers: received
            .headers
            .iter()
            .map(|(name, value)| (name.as_str().to_owned(), value.to_str().unwrap().to_owned()))
            .collect(),
        body: received.body.to_vec(),
    }
}

/// A pointer body as ShipStation would send it.
fn pointer(resource_url: &str, resource_type: &str) -> InboundRequest {
    InboundRequest {
        method: "POST".into(),
        path: format!("/{TOKEN}"),
        query: String::new(),
        headers: vec![("content-type".into(), "application/json".into())],
        body: json!({"resource_url": resource_url, "resource_type": resource_type})
            .to_string()
            .into_bytes(),
    }
}

fn event(topic: &str, reference: &str) -> Event {
    Event {
        key: reference.into(),
        topic: topic.into(),
        reference: reference.into(),
        occurred_at: None,
        payload: None,
    }
}

/// The one event of a verified delivery.
async fn verified(station: &Station, request: &InboundRequest) -> Event {
    let events = ok(&station.connector.verify(request).await).clone();
    assert_eq!(events.len(), 1, "{events:?}");
    events.into_iter().next().unwrap()
}

/// The field `name` of each entity body.
fn field(entities: &[Entity], name: &str) -> Vec<Value> {
    entities
        .iter()
        .map(|entity| body(entity)[name].clone())
        .collect()
}

#[tokio::test]
async fn ping_names_the_webhooks_describe_lists_the_topics_and_apply_refuses() {
    let station = start().await;
    station.sim.subscribe(
        "SHIP_NOTIFY",
        "https://mlc.example/webhooks/shipstation/t",
        None,
    );
    let report = station.connector.ping().await;
    assert_eq!(
        ok(&report),
        &format!(
            "ShipStation V1 at {}: key accepted, 39 of 40 requests left this minute; webhooks \
             SHIP_NOTIFY",
            station.sim.base_url()
        )
    );
    assert_eq!(requests(&report), [(Some(200), "/webhooks".to_owned())]);

    let info = ok(&station.connector.describe().await).clone();
    assert_eq!(
        (info.name.as_str(), info.version.as_str()),
        ("shipstation", "0.1.0")
    );
    assert_eq!(
        info.topics,
        [
            "SHIP_NOTIFY",
            "ITEM_SHIP_NOTIFY",
            "FULFILLMENT_SHIPPED",
            "SHIPMENT_VOIDED"
        ]
    );
    match plugin_error(&station.connector.apply(&[]).await) {
        PluginError::Rejected(rejection) => {
            assert_eq!(rejection.message, "shipstation is a source connector")
        }
        other => panic!("expected Rejected, got {other:?}"),
    }
}

#[tokio::test]
async fn a_ship_notify_delivery_is_verified_and_fetched_with_items_and_exact_costs() {
    let station = start().await;
    let receiver = Receiver::start(0).await.unwrap();
    station.sim.subscribe("SHIP_NOTIFY", receiver.url(), None);
    station
        .sim
        .subscribe("ITEM_SHIP_NOTIFY", receiver.url(), None);
    let label = station.sim.add_shipment(label_spec());
    let beyond_f64 = station.sim.add_shipment(ShipmentSpec {
        order_number: "1002".into(),
        shipment_cost: dec("9007199254740993.01"),
        insurance_cost: dec("0"),
        ..ShipmentSpec::default()
    });
    let batch = station
        .sim
        .notify_shipped(&[label.id, beyond_f64.id])
        .unwrap();
    station.sim.wait_idle().await;

    let received = receiver.received();
    assert_eq!(received.len(), 2);
    let path = format!("/{TOKEN}");
    let first = verified(&station, &inbound(&received[0], &path)).await;
    let second = verified(&station, &inbound(&received[1], &path)).await;
    let reference = format!("/shipments?batchId={batch}");
    assert_eq!(
        (first.key.as_str(), first.reference.as_str()),
        (reference.as_str(), reference.as_str())
    );
    let mut topics = [first.topic.clone(), second.topic.clone()];
    topics.sort();
    assert_eq!(topics, ["ITEM_SHIP_NOTIFY", "SHIP_NOTIFY"]);
    assert_eq!(second.key, first.key, "one batch, one inbox event");
    assert_eq!(
        (first.payload.as_deref(), first.occurred_at.as_deref()),
        (None, None)
    );

    let ship_notify = if first.topic == "SHIP_NOTIFY" {
        &first
    } else {
        &second
    };
    let report = station.connector.fetch(ship_notify).await;
    assert_eq!(
        requests(&report),
        [(
            Some(200),
            format!("/shipments?batchId={batch}&includeShipmentItems=true&pageSize=500&page=1")
        )],
        "items are read although the SHIP_NOTIFY pointer said False"
    );
    let entities = ok(&report);
    assert_eq!(entities.len(), 2);
    assert_eq!(entities[0].kind, "shipstation.shipment");
    assert_eq!(entities[0].id, label.id.to_string());
    assert_eq!(
        body(&entities[0]),
        json!({
            "id": label.id.to_string(), "order_id": label.order_id.to_string(),
            "order_key": "key-1001", "order_number": "1001",
            "customer_email": "ada@example.com", "store_id": "301001", "warehouse_id": "401001",
            "carrier_code": "ups", "service_code": "ups_ground", "package_code": "package",
            "tracking_number": "1Z999AA10123456784", "batch_number": null,
            "is_return_label": false, "created_at": "2024-11-20T18:00:00Z",
            "ship_date": "2024-11-20", "voided": false, "void_date": null, "currency": "USD",
            "shipment_cost": "8.45", "insurance_cost": "1.10", "total_cost": "9.55",
            "cost_source": "v1", "label_id": null,
            "weight": {"value": "28", "units": "ounces"},
            "ship_to": {"name": "Ada Lovelace", "company": null, "city": "Austin", "state": "TX",
                "postal_code": "78701", "country": "US"},
            "custom_fields": ["SO-1001", null, null],
            "items": [
                {"order_item_id": "1", "line_item_key": "line-1", "sku": "MUG-1",
                 "name": "Enamel mug", "quantity": 2, "unit_price": "12.50",
                 "weight": {"value": "8", "units": "ounces"}},
                {"order_item_id": "2", "line_item_key": "line-2", "sku": "TEE-M",
                 "name": "T-shirt", "quantity": 1, "unit_price": "19.99",
                 "weight": {"value": "12", "units": "ounces"}}
            ]
        })
    );
    let exact = body(&entities[1]);
    assert_eq!(
        (&exact["shipment_cost"], &exact["total_cost"]),
        (&json!("9007199254740993.01"), &json!("9007199254740993.01")),
        "read from the JSON number's digits, never through f64"
    );
}

#[tokio::test]
async fn a_wrong_token_is_unauthorized_and_nothing_is_fetched() {
    let station = start().await;
    let receiver = Receiver::start(0).await.unwrap();
    station.sim.subscribe("SHIP_NOTIFY", receiver.url(), None);
    let label = station.sim.add_shipment(label_spec());
    station.sim.notify_shipped(&[label.id]).unwrap();
    station.sim.wait_idle().await;
    let received = &receiver.received()[0];

    for path in [
        "/",
        "/not-the-token",
        &format!("/{TOKEN}-x"),
        &format!("/x/{TOKEN}"),
    ] {
        let report = station.connector.verify(&inbound(received, path)).await;
        assert!(
            matches!(verify_error(&report), VerifyError::Unauthorized(_)),
            "{path}"
        );
        assert!(report.http.is_empty());
    }
    let without_secret = Arc::new(
        Connection::new("shipstation")
            .unwrap()
            .allow(&station.sim.base_url())
            .unwrap()
            .setting("base_url", station.sim.base_url()),
    );
    let unguarded = station
        .host
        .connector("shipstation", without_secret)
        .unwrap();
    assert!(matches!(
        verify_error(
            &unguarded
                .verify(&inbound(received, &format!("/{TOKEN}")))
                .await
        ),
        VerifyError::Unauthorized(_)
    ));
    assert_eq!(
        station.sim.request_counts().v1,
        0,
        "nothing reached ShipStation"
    );
}

#[tokio::test]
async fn a_resource_url_on_another_host_is_refused_and_a_shard_is_followed() {
    let station = start().await;
    let elsewhere = support::TestServer::start().await;
    let lenient = station
        .host
        .connector(
            "shipstation",
            Arc::new(
                Connection::clone(&connection(&station.sim, &[], &[]))
                    .allow(&elsewhere.base_url)
                    .unwrap(),
            ),
        )
        .unwrap();
    for url in [
        format!("{}/shipments?batchId=1", elsewhere.base_url),
        "https://ssapi.shipstation.com.evil.example/shipments?batchId=1".to_owned(),
        "http://ssapi.shipstation.com/shipments?batchId=1".to_owned(),
    ] {
        let report = lenient.verify(&pointer(&url, "SHIP_NOTIFY")).await;
        assert!(
            matches!(verify_error(&report), VerifyError::Unauthorized(_)),
            "{url}"
        );
        assert!(report.http.is_empty());
    }
    let report = lenient
        .fetch(&event(
            "SHIP_NOTIFY",
            &format!("{}/shipments?batchId=1", elsewhere.base_url),
        ))
        .await;
    assert!(matches!(plugin_error(&report), PluginError::Rejected(_)));
    assert_eq!(
        elsewhere.hits(),
        0,
        "refused by the connector although the host's allowlist has it"
    );
    let odd = pointer(
        &format!("{}/orders?importBatch=1", station.sim.base_url()),
        "SHIP_NOTIFY",
    );
    assert!(matches!(
        verify_error(&station.connector.verify(&odd).await),
        VerifyError::Malformed(_)
    ));

    // ShipStation points at numbered shards: the path is followed, on the configured base.
    let shard = start_with(ShipStationConfig {
        resource_url_base: Some("https://ssapi11.shipstation.com".into()),
        ..config()
    })
    .await;
    let receiver = Receiver::start(0).await.unwrap();
    shard
        .sim
        .subscribe("ITEM_SHIP_NOTIFY", receiver.url(), None);
    let label = shard.sim.add_shipment(label_spec());
    let batch = shard.sim.notify_shipped(&[label.id]).unwrap();
    shard.sim.wait_idle().await;
    let delivered = &receiver.received()[0];
    assert!(
        delivered.json()["resource_url"]
            .as_str()
            .unwrap()
            .starts_with("https://ssapi11.shipstation.com/shipments?batchId=")
    );
    let event = verified(&shard, &inbound(delivered, &format!("/{TOKEN}"))).await;
    assert_eq!(event.reference, format!("/shipments?batchId={batch}"));
    let entities = ok(&shard.connector.fetch(&event).await).clone();
    assert_eq!(entities[0].id, label.id.to_string());
}

#[tokio::test]
async fn a_batch_of_three_pages_is_fetched_whole() {
    let station = start().await;
    let ids: Vec<u64> = (0..1001)
        .map(|n| {
            station
                .sim
                .add_shipment(ShipmentSpec {
                    order_number: format!("{}", 5000 + n),
                    shipment_cost: dec("5.25"),
                    ..ShipmentSpec::default()
                })
                .id
        })
        .collect();
    let batch = station.sim.notify_shipped(&ids).unwrap();
    let report = station
        .connector
        .fetch(&event(
            "SHIP_NOTIFY",
            &format!("/shipments?batchId={batch}"),
        ))
        .await;
    let pages: Vec<String> = requests(&report)
        .into_iter()
        .map(|(status, path)| {
            assert_eq!(status, Some(200));
            path.rsplit('&').next().unwrap().to_owned()
        })
        .collect();
    assert_eq!(pages, ["page=1", "page=2", "page=3"]);
    let entities = ok(&report);
    let fetched: Vec<u64> = entities.iter().map(|e| e.id.parse().unwrap()).collect();
    assert_eq!(fetched, ids);
    assert_eq!(body(&entities[1000])["order_number"], "6000");
}

#[tokio::test]
async fn a_fulfillment_is_fetched_and_order_events_are_ignored() {
    let station = start().await;
    let receiver = Receiver::start(0).await.unwrap();
    station
        .sim
        .subscribe("FULFILLMENT_SHIPPED", receiver.url(), None);
    station.sim.subscribe("ORDER_NOTIFY", receiver.url(), None);
    let order = station.sim.add_order(OrderSpec {
        order_number: "4001".into(),
        ..OrderSpec::default()
    });
    station.sim.wait_idle().await;
    let notified = receiver.received();
    assert_eq!(notified[0].json()["resource_type"], "ORDER_NOTIFY");
    let report = station
        .connector
        .verify(&inbound(&notified[0], &format!("/{TOKEN}")))
        .await;
    assert_eq!(
        ok(&report),
        &Vec::<Event>::new(),
        "ignored: the host answers 200"
    );

    let fulfillment = station.sim.mark_shipped(order.id, "ups", "1Z999").unwrap();
    station.sim.wait_idle().await;
    let delivered = &receiver.received()[1];
    let event = verified(&station, &inbound(delivered, &format!("/{TOKEN}"))).await;
    assert_eq!(event.topic, "FULFILLMENT_SHIPPED");
    assert!(event.reference.starts_with("/fulfillments?batchId="));
    let entities = ok(&station.connector.fetch(&event).await).clone();
    assert_eq!(entities.len(), 1);
    assert_eq!(entities[0].kind, "shipstation.fulfillment");
    assert_eq!(
        body(&entities[0]),
        json!({"id": fulfillment.id.to_string(), "order_id": order.id.to_string(),
            "order_number": "4001", "customer_email": null, "tracking_number": "1Z999",
            "carrier_code": "ups", "fulfillment_provider_code": null,
            "fulfillment_service_code": null, "created_at": "2024-11-20T18:00:00Z",
            "ship_date": "2024-11-20", "voided": false, "void_date": null, "currency": "USD",
            "fulfillment_fee": "0.00",
            "ship_to": {"name": "Ada Lovelace", "company": null, "city": "Austin", "state": "TX",
                "postal_code": "78701", "country": "US"}})
    );
}

#[tokio::test]
async fn poll_finds_a_shipment_whose_webhook_was_dropped_and_a_voided_label() {
    let station = start().await;
    let receiver = Receiver::start(0).await.unwrap();
    station.sim.subscribe("SHIP_NOTIFY", receiver.url(), None);
    station.sim.set_delivery_mode(DeliveryMode::Drop);
    let earlier = station.sim.add_shipment(ShipmentSpec {
        order_number: "0999".into(),
        created_at: Some(at("2024-11-20T12:00:00Z")),
        ..ShipmentSpec::default()
    });
    let dropped = station.sim.add_shipment(label_spec());
    let batch = station.sim.notify_shipped(&[dropped.id]).unwrap();
    station.sim.wait_idle().await;
    assert!(receiver.received().is_empty(), "the webhook never came");

    let found = ok(&station.connector.poll(None).await).clone();
    let keys: Vec<&str> = found.events.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            format!("shipment/{}", earlier.id),
            format!("shipment/{}", dropped.id)
        ]
    );
    let polled = &found.events[1];
    assert_eq!(polled.topic, "SHIP_NOTIFY");
    assert_eq!(polled.reference, format!("shipment/{}", dropped.id));
    assert_eq!(polled.occurred_at.as_deref(), Some("2024-11-20T18:00:00Z"));
    assert_eq!(
        found.cursor.as_deref(),
        Some(
            r#"{"shipments":{"read_to":"2024-11-20T18:00:00Z"},"voids":{"read_to":"2024-11-20T18:00:00Z"}}"#
        )
    );
    assert!(!found.more);

    // The polled event fetches nothing more, and gives what the webhook's batch would have.
    let from_poll = station.connector.fetch(polled).await;
    assert!(from_poll.http.is_empty());
    let from_webhook = station
        .connector
        .fetch(&event(
            "SHIP_NOTIFY",
            &format!("/shipments?batchId={batch}"),
        ))
        .await;
    assert_eq!(ok(&from_poll), ok(&from_webhook));

    station.sim.clock().advance(chrono::Duration::hours(4));
    station.sim.void_shipment(earlier.id).unwrap();
    let report = station.connector.poll(found.cursor.as_deref()).await;
    let next = ok(&report).clone();
    assert!(
        requests(&report)[0].1.starts_with(
            "/shipments?createDateStart=2024-11-20%2009:00:00&createDateEnd=2024-11-20%2014:00:00"
        ),
        "an hour of overlap, in Pacific time: {:?}",
        requests(&report)
    );
    let keys: Vec<&str> = next.events.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            format!("shipment/{}", dropped.id),
            format!("void/{}", earlier.id)
        ],
        "the overlap lists the dropped label again (same key: the inbox keeps one)"
    );
    let void = &next.events[1];
    assert_eq!(void.topic, "SHIPMENT_VOIDED");
    assert_eq!(void.occurred_at.as_deref(), Some("2024-11-20T22:00:00Z"));
    let voided = ok(&station.connector.fetch(void).await).clone();
    assert_eq!(voided[0].id, earlier.id.to_string());
    let voided = body(&voided[0]);
    assert_eq!(
        (
            &voided["voided"],
            &voided["void_date"],
            &voided["shipment_cost"]
        ),
        (&json!(true), &json!("2024-11-20T22:00:00Z"), &json!("8.45"))
    );
    assert_eq!(
        next.cursor.as_deref(),
        Some(
            r#"{"shipments":{"read_to":"2024-11-20T22:00:00Z"},"voids":{"read_to":"2024-11-20T22:00:00Z"}}"#
        )
    );
}

#[tokio::test]
async fn pacific_times_convert_across_both_daylight_saving_edges() {
    let station = start().await;
    let created = [
        "2024-03-10T09:30:00Z", // 01:30 PST, before spring forward
        "2024-03-10T10:30:00Z", // 03:30 PDT, after it
        "2024-11-03T08:30:00Z", // 01:30 PDT, the first 01:30
        "2024-11-03T09:30:00Z", // 01:30 PST, the second: ShipStation shows the same time
    ];
    let labels: Vec<Shipment> = created
        .iter()
        .map(|at_utc| {
            station.sim.add_shipment(ShipmentSpec {
                created_at: Some(at(at_utc)),
                ..ShipmentSpec::default()
            })
        })
        .collect();
    let ids: Vec<u64> = labels.iter().map(|label| label.id).collect();
    let batch = station.sim.notify_shipped(&ids).unwrap();
    let entities = ok(&station
        .connector
        .fetch(&event(
            "SHIP_NOTIFY",
            &format!("/shipments?batchId={batch}"),
        ))
        .await)
    .clone();
    assert_eq!(
        field(&entities, "created_at"),
        [
            json!("2024-03-10T09:30:00Z"),
            json!("2024-03-10T10:30:00Z"),
            json!("2024-11-03T08:30:00Z"),
            json!("2024-11-03T08:30:00Z"),
        ],
        "the repeated 01:30 reads as the earlier instant (PDT), as documented"
    );
    assert_eq!(
        field(&entities, "ship_date"),
        [
            json!("2024-03-10"),
            json!("2024-03-10"),
            json!("2024-11-03"),
            json!("2024-11-03")
        ],
        "the posting date is the Pacific calendar date"
    );

    // A poll whose window starts in the first 01:xx still finds a label of the second 01:05.
    let late = station.sim.add_shipment(ShipmentSpec {
        order_number: "late".into(),
        created_at: Some(at("2024-11-03T09:05:00Z")),
        ..ShipmentSpec::default()
    });
    station.sim.clock().set(at("2024-11-03T09:10:00Z"));
    let exact = station
        .host
        .connector(
            "shipstation",
            connection(&station.sim, &[("poll_overlap_minutes", "0")], &[]),
        )
        .unwrap();
    let cursor = r#"{"shipments":{"read_to":"2024-11-03T08:50:00Z"},"voids":{"read_to":"2024-11-03T08:50:00Z"}}"#;
    let report = exact.poll(Some(cursor)).await;
    let found = ok(&report);
    assert!(
        requests(&report)[0].1.starts_with(
            "/shipments?createDateStart=2024-11-03%2001:00:00&createDateEnd=2024-11-03%2002:00:00"
        ),
        "both bounds fall in the repeated hour: the whole hour is read: {:?}",
        requests(&report)
    );
    let keys: Vec<&str> = found.events.iter().map(|e| e.key.as_str()).collect();
    assert!(
        keys.contains(&format!("shipment/{}", late.id).as_str()),
        "{keys:?}"
    );
}

#[tokio::test]
async fn a_burst_of_120_labels_never_meets_a_429() {
    let station = start().await;
    let receiver = Receiver::start(0).await.unwrap();
    station.sim.subscribe("SHIP_NOTIFY", receiver.url(), None);
    for n in 0..120 {
        let label = station.sim.add_shipment(ShipmentSpec {
            order_number: format!("{}", 7000 + n),
            ..ShipmentSpec::default()
        });
        station.sim.notify_shipped(&[label.id]).unwrap();
    }
    station.sim.wait_idle().await;
    let started = station.sim.clock().now();
    let path = format!("/{TOKEN}");
    let mut fetched = 0;
    for delivered in receiver.received() {
        let event = verified(&station, &inbound(&delivered, &path)).await;
        let report = station.connector.fetch(&event).await;
        fetched += ok(&report).len();
    }
    assert_eq!(fetched, 120);
    let counts = station.sim.request_counts();
    assert_eq!((counts.v1, counts.throttled), (120, 0), "{counts:?}");
    let took = station.sim.clock().now() - started;
    assert!(
        took >= chrono::Duration::minutes(2) && took < chrono::Duration::minutes(4),
        "40 a minute, waited on the simulator's clock: {took}"
    );
}

#[tokio::test]
async fn a_429_from_another_client_is_waited_out() {
    let station = start().await;
    let label = station.sim.add_shipment(label_spec());
    let batch = station.sim.notify_shipped(&[label.id]).unwrap();
    let client = reqwest::Client::new();
    for _ in 0..40 {
        let response = client
            .get(format!("{}/shipments", station.sim.base_url()))
            .basic_auth("ss-v1-key", Some("ss-v1-secret"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }
    station.sim.clock().advance(chrono::Duration::seconds(30));
    let before = station.sim.clock().now();
    let report = station
        .connector
        .fetch(&event(
            "SHIP_NOTIFY",
            &format!("/shipments?batchId={batch}"),
        ))
        .await;
    assert_eq!(ok(&report).len(), 1);
    let statuses: Vec<Option<u16>> = requests(&report).iter().map(|r| r.0).collect();
    assert_eq!(statuses, [Some(429), Some(200)]);
    assert_eq!(
        station.sim.clock().now() - before,
        chrono::Duration::seconds(30)
    );
    assert_eq!(station.sim.request_counts().throttled, 1);
    assert!(
        report
            .logs
            .iter()
            .any(|record| record.message.contains("429")),
        "{:?}",
        report.logs
    );
}

#[tokio::test]
async fn refused_credentials_are_auth() {
    let station = start().await;
    let wrong = station
        .host
        .connector(
            "shipstation",
            connection(&station.sim, &[], &[("api_secret", "not-the-secret")]),
        )
        .unwrap();
    match plugin_error(&wrong.ping().await) {
        PluginError::Auth(message) => {
            assert!(message.contains("HTTP 401"), "{message}");
            assert!(!message.contains("not-the-secret"), "{message}");
        }
        other => panic!("expected Auth, got {other:?}"),
    }
    assert!(matches!(
        plugin_error(
            &wrong
                .fetch(&event("SHIP_NOTIFY", "/shipments?batchId=1"))
                .await
        ),
        PluginError::Auth(_)
    ));
    assert!(matches!(
        plugin_error(&wrong.poll(None).await),
        PluginError::Auth(_)
    ));
}

#[tokio::test]
async fn with_a_v2_key_costs_come_from_the_v2_label() {
    let station = start().await;
    let v2_base = station.sim.v2_base_url();
    let v2_key = station.sim.config().v2_api_key.clone();
    let with_v2 = station
        .host
        .connector(
            "shipstation",
            connection(
                &station.sim,
                &[("v2_base_url", &v2_base)],
                &[("v2_api_key", &v2_key)],
            ),
        )
        .unwrap();
    let label = station.sim.add_shipment(label_spec());
    let batch = station.sim.notify_shipped(&[label.id]).unwrap();
    let report = with_v2
        .fetch(&event(
            "SHIP_NOTIFY",
            &format!("/shipments?batchId={batch}"),
        ))
        .await;
    assert_eq!(
        requests(&report),
        [
            (
                Some(200),
                format!("/shipments?batchId={batch}&includeShipmentItems=true&pageSize=500&page=1")
            ),
            (
                Some(200),
                "/v2/labels?tracking_number=1Z999AA10123456784&page_size=25".to_owned()
            )
        ]
    );
    let costs = body(&ok(&report)[0]);
    assert_eq!(
        (
            &costs["cost_source"],
            &costs["label_id"],
            &costs["shipment_cost"],
            &costs["insurance_cost"],
            &costs["currency"]
        ),
        (
            &json!("v2"),
            &json!(format!("se-{}", label.id)),
            &json!("8.45"),
            &json!("1.10"),
            &json!("USD")
        )
    );
    assert_eq!(station.sim.request_counts().v2, 1);
    let pinged = ok(&with_v2.ping().await).clone();
    assert!(
        pinged.ends_with("; V2 key accepted (label costs from V2)"),
        "{pinged}"
    );

    let wrong_v2 = station
        .host
        .connector(
            "shipstation",
            connection(
                &station.sim,
                &[("v2_base_url", &v2_base)],
                &[("v2_api_key", "ss-v1-key")],
            ),
        )
        .unwrap();
    match plugin_error(&wrong_v2.ping().await) {
        PluginError::Auth(message) => assert!(message.contains("v2_api_key"), "{message}"),
        other => panic!("expected Auth, got {other:?}"),
    }
}
