//! The ShipStation simulator over real HTTP: V1 rate limits and auth, Pacific local times across the
//! DST edges, shipment filters and paging, voids and return labels, pointer webhooks, and V2 labels.

use chrono::{DateTime, Duration, TimeZone, Utc};
use reqwest::{RequestBuilder, Response};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use simulators::clock::SimClock;
use simulators::shipstation::{
    Item, OrderSpec, ShipStationConfig, ShipStationSim, ShipmentSpec, Weight,
};
use simulators::webhook_receiver::Receiver;

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

fn dec(text: &str) -> Decimal {
    text.parse().unwrap()
}

async fn sim() -> ShipStationSim {
    let clock = SimClock::frozen(Utc.with_ymd_and_hms(2024, 11, 20, 18, 0, 0).unwrap());
    ShipStationSim::start(ShipStationConfig::new(clock))
        .await
        .unwrap()
}

fn v1(sim: &ShipStationSim, path: &str) -> RequestBuilder {
    reqwest::Client::new()
        .get(format!("{}{path}", sim.base_url()))
        .basic_auth("ss-v1-key", Some("ss-v1-secret"))
}

fn v2(sim: &ShipStationSim, path: &str, key: &str) -> RequestBuilder {
    reqwest::Client::new()
        .get(format!("{}{path}", sim.v2_base_url()))
        .header("API-Key", key)
}

fn header(response: &Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .unwrap_or_else(|| panic!("header {name} missing"))
        .to_str()
        .unwrap()
        .to_string()
}

async fn json_of(request: RequestBuilder) -> Value {
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

fn numbers(body: &Value, field: &str) -> Vec<String> {
    body["shipments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|shipment| shipment[field].to_string())
        .collect()
}

#[tokio::test]
async fn the_41st_request_in_a_minute_gets_429_until_the_window_resets() {
    let sim = sim().await;
    for n in 1..=40u32 {
        let response = v1(&sim, "/shipments").send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(header(&response, "X-Rate-Limit-Limit"), "40");
        assert_eq!(
            header(&response, "X-Rate-Limit-Remaining"),
            (40 - n).to_string()
        );
        assert_eq!(header(&response, "X-Rate-Limit-Reset"), "60");
    }
    sim.clock().advance(Duration::seconds(15));
    let response = v1(&sim, "/shipments").send().await.unwrap();
    assert_eq!(response.status(), 429);
    assert_eq!(header(&response, "X-Rate-Limit-Limit"), "40");
    assert_eq!(header(&response, "X-Rate-Limit-Remaining"), "0");
    assert_eq!(header(&response, "X-Rate-Limit-Reset"), "45");
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"message": "Too Many Requests"})
    );

    sim.clock().advance(Duration::seconds(46));
    let response = v1(&sim, "/shipments").send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "X-Rate-Limit-Remaining"), "39");
    assert_eq!(sim.request_counts().v1, 42);
    assert_eq!(sim.request_counts().throttled, 1);
}

#[tokio::test]
async fn wrong_credentials_get_a_plain_text_401() {
    let sim = sim().await;
    let client = reqwest::Client::new();
    let url = format!("{}/shipments", sim.base_url());
    let response = client
        .get(&url)
        .basic_auth("ss-v1-key", Some("wrong"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(header(&response, "content-type"), "text/plain");
    assert_eq!(response.text().await.unwrap(), "401 Unauthorized");
    let response = client
        .get(&url)
        .basic_auth("ss-v2-key", Some(""))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401, "the V2 key is no V1 credential");
    assert_eq!(client.get(&url).send().await.unwrap().status(), 401);
}

#[tokio::test]
async fn times_are_pacific_local_with_seven_fraction_digits_across_dst() {
    let sim = sim().await;
    for (number, created) in [
        ("spring", "2024-03-10T09:30:00Z"),
        ("spring-after", "2024-03-10T10:30:00Z"),
        ("fall", "2024-11-03T08:30:00Z"),
        ("fall-after", "2024-11-03T10:30:00Z"),
        ("precise", "2024-09-17T17:51:14.503Z"),
        ("late", "2024-09-18T03:00:00Z"),
    ] {
        sim.add_shipment(ShipmentSpec {
            order_number: number.into(),
            created_at: Some(at(created)),
            ..ShipmentSpec::default()
        });
    }
    let body = json_of(v1(&sim, "/shipments")).await;
    let shipments = body["shipments"].as_array().unwrap();
    let create: Vec<&str> = shipments
        .iter()
        .map(|shipment| shipment["createDate"].as_str().unwrap())
        .collect();
    assert_eq!(
        create,
        [
            "2024-03-10T01:30:00.0000000",
            "2024-03-10T03:30:00.0000000",
            "2024-11-03T01:30:00.0000000",
            "2024-11-03T02:30:00.0000000",
            "2024-09-17T10:51:14.5030000",
            "2024-09-17T20:00:00.0000000",
        ]
    );
    let ship: Vec<&str> = shipments
        .iter()
        .map(|shipment| shipment["shipDate"].as_str().unwrap())
        .collect();
    assert_eq!(
        ship,
        [
            "2024-03-10",
            "2024-03-10",
            "2024-11-03",
            "2024-11-03",
            "2024-09-17",
            "2024-09-17"
        ]
    );

    // Filters are Pacific local: 01:00–02:00 on 2024-03-10 local is 09:00–10:00 UTC.
    let body = json_of(v1(
        &sim,
        "/shipments?createDateStart=2024-03-10%2001:00:00&createDateEnd=2024-03-10%2002:00:00",
    ))
    .await;
    assert_eq!(numbers(&body, "orderNumber"), ["\"spring\""]);
    let body = json_of(v1(
        &sim,
        "/shipments?shipDateStart=2024-09-17&shipDateEnd=2024-09-17",
    ))
    .await;
    assert_eq!(numbers(&body, "orderNumber"), ["\"precise\"", "\"late\""]);
}

#[tokio::test]
async fn shipments_filter_sort_and_page() {
    let sim = sim().await;
    let base = at("2024-09-01T16:00:00Z");
    let mut ids = Vec::new();
    for n in 0..7i64 {
        let carrier = if n % 2 == 0 { "ups" } else { "fedex" };
        let shipment = sim.add_shipment(ShipmentSpec {
            order_number: format!("10{n:02}"),
            created_at: Some(base + Duration::days(n)),
            carrier_code: carrier.into(),
            store_id: if n < 5 { 301_001 } else { 302_002 },
            shipment_cost: dec("12.35") + Decimal::from(n),
            items: vec![Item {
                sku: format!("SKU-{n}"),
                name: "Widget".into(),
                quantity: 2,
                unit_price: dec("9.99"),
                weight: Weight::default(),
            }],
            ..ShipmentSpec::default()
        });
        ids.push(shipment.id);
    }
    let body = json_of(v1(&sim, "/shipments?carrierCode=ups")).await;
    assert_eq!(body["total"], 4);
    assert_eq!(numbers(&body, "carrierCode"), ["\"ups\""; 4]);

    let body = json_of(v1(
        &sim,
        "/shipments?pageSize=3&page=2&sortBy=CreateDate&sortDir=DESC",
    ))
    .await;
    assert_eq!(
        (
            body["total"].as_u64(),
            body["page"].as_u64(),
            body["pages"].as_u64()
        ),
        (Some(7), Some(2), Some(3))
    );
    assert_eq!(
        numbers(&body, "orderNumber"),
        ["\"1003\"", "\"1002\"", "\"1001\""]
    );

    let body = json_of(v1(
        &sim,
        "/shipments?createDateStart=2024-09-02&createDateEnd=2024-09-04%2009:00:00",
    ))
    .await;
    assert_eq!(
        numbers(&body, "orderNumber"),
        ["\"1001\"", "\"1002\"", "\"1003\""]
    );

    let body = json_of(v1(&sim, "/shipments?storeId=302002")).await;
    assert_eq!(numbers(&body, "orderNumber"), ["\"1005\"", "\"1006\""]);
    assert_eq!(body["shipments"][0]["advancedOptions"]["storeId"], 302_002);
    assert_eq!(body["shipments"][0]["shipmentItems"], Value::Null);

    let body = json_of(v1(
        &sim,
        "/shipments?orderNumber=1004&includeShipmentItems=true",
    ))
    .await;
    let shipment = &body["shipments"][0];
    assert_eq!(shipment["shipmentId"].as_u64(), Some(ids[4]));
    assert_eq!(shipment["shipmentCost"].to_string(), "16.35");
    assert_eq!(shipment["insuranceCost"].to_string(), "0");
    assert_eq!(shipment["shipmentItems"][0]["sku"], "SKU-4");
    assert_eq!(
        shipment["shipmentItems"][0]["unitPrice"].to_string(),
        "9.99"
    );
    assert_eq!(shipment["weight"]["units"], "ounces");
    assert_eq!(shipment["shipTo"]["postalCode"], "78701");

    let response = v1(&sim, "/shipments?pageSize=501").send().await.unwrap();
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn voided_and_return_labels() {
    let sim = sim().await;
    let receiver = Receiver::start(0).await.unwrap();
    sim.subscribe("SHIP_NOTIFY", receiver.url(), None);
    let outbound = sim.add_shipment(ShipmentSpec {
        order_number: "2001".into(),
        created_at: Some(at("2024-11-18T20:00:00Z")),
        ..ShipmentSpec::default()
    });
    let returned = sim.add_shipment(ShipmentSpec {
        order_number: "2001".into(),
        is_return_label: true,
        created_at: Some(at("2024-11-19T20:00:00Z")),
        ..ShipmentSpec::default()
    });
    let voided = sim.void_shipment(outbound.id).unwrap();
    assert_eq!(voided.voided_at, Some(sim.clock().now()));
    sim.wait_idle().await;
    assert!(receiver.received().is_empty(), "voids fire no webhook");

    let body = json_of(v1(&sim, "/shipments?orderNumber=2001")).await;
    let shipments = body["shipments"].as_array().unwrap();
    assert_eq!(shipments[0]["voided"], true);
    assert_eq!(shipments[0]["voidDate"], "2024-11-20T10:00:00.0000000");
    assert_eq!(shipments[0]["isReturnLabel"], false);
    assert_eq!(shipments[1]["voided"], false);
    assert_eq!(shipments[1]["voidDate"], Value::Null);
    assert_eq!(shipments[1]["isReturnLabel"], true);
    assert_eq!(shipments[1]["shipmentId"].as_u64(), Some(returned.id));

    let body = json_of(v1(
        &sim,
        "/shipments?voidDateStart=2024-11-20%2009:00:00&voidDateEnd=2024-11-20%2011:00:00",
    ))
    .await;
    assert_eq!(numbers(&body, "shipmentId"), [outbound.id.to_string()]);
    let body = json_of(v1(&sim, "/shipments?voidDateStart=2024-11-21")).await;
    assert_eq!(body["total"], 0);
}

#[tokio::test]
async fn ship_notify_points_at_the_batch_of_shipments() {
    let sim = sim().await;
    let receiver = Receiver::start(0).await.unwrap();
    let response = reqwest::Client::new()
        .post(format!("{}/webhooks/subscribe", sim.base_url()))
        .basic_auth("ss-v1-key", Some("ss-v1-secret"))
        .json(&json!({"target_url": receiver.url(), "event": "SHIP_NOTIFY", "store_id": null, "friendly_name": "connector"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.json::<Value>().await.unwrap()["id"]
            .as_u64()
            .is_some()
    );
    sim.subscribe("ITEM_SHIP_NOTIFY", receiver.url(), None);
    let hooks = json_of(v1(&sim, "/webhooks")).await;
    assert_eq!(hooks["webhooks"].as_array().unwrap().len(), 2);

    let item = Item {
        sku: "SKU-1".into(),
        name: "Widget".into(),
        quantity: 1,
        unit_price: dec("5.00"),
        weight: Weight::default(),
    };
    let first = sim.add_shipment(ShipmentSpec {
        order_number: "3001".into(),
        items: vec![item.clone()],
        ..ShipmentSpec::default()
    });
    let second = sim.add_shipment(ShipmentSpec {
        order_number: "3002".into(),
        items: vec![item],
        ..ShipmentSpec::default()
    });
    sim.add_shipment(ShipmentSpec {
        order_number: "3003".into(),
        ..ShipmentSpec::default()
    });
    let batch = sim.notify_shipped(&[first.id, second.id]).unwrap();
    sim.wait_idle().await;

    let received = receiver.received();
    assert_eq!(received.len(), 2);
    let pointers: Vec<Value> = received.iter().map(|got| got.json()).collect();
    let ship = pointers
        .iter()
        .find(|body| body["resource_type"] == "SHIP_NOTIFY")
        .unwrap();
    let url = ship["resource_url"].as_str().unwrap();
    assert_eq!(
        url,
        format!(
            "{}/shipments?batchId={batch}&includeShipmentItems=False",
            sim.base_url()
        )
    );
    let body = json_of(
        reqwest::Client::new()
            .get(url)
            .basic_auth("ss-v1-key", Some("ss-v1-secret")),
    )
    .await;
    assert_eq!(numbers(&body, "orderNumber"), ["\"3001\"", "\"3002\""]);
    assert_eq!(body["shipments"][0]["shipmentItems"], Value::Null);

    let items = pointers
        .iter()
        .find(|body| body["resource_type"] == "ITEM_SHIP_NOTIFY")
        .unwrap();
    let url = items["resource_url"].as_str().unwrap();
    assert!(url.ends_with("includeShipmentItems=True"));
    let body = json_of(
        reqwest::Client::new()
            .get(url)
            .basic_auth("ss-v1-key", Some("ss-v1-secret")),
    )
    .await;
    assert_eq!(body["shipments"][1]["shipmentItems"][0]["sku"], "SKU-1");
}

#[tokio::test]
async fn orders_filter_by_modify_date_and_status() {
    let sim = sim().await;
    let receiver = Receiver::start(0).await.unwrap();
    sim.subscribe("ORDER_NOTIFY", receiver.url(), None);
    let first = sim.add_order(OrderSpec {
        order_number: "4001".into(),
        amount_paid: dec("21.50"),
        ..OrderSpec::default()
    });
    sim.add_order(OrderSpec {
        order_number: "4002".into(),
        ..OrderSpec::default()
    });
    sim.clock().advance(Duration::hours(2));
    sim.set_order_status(first.id, "on_hold").unwrap();
    sim.wait_idle().await;
    assert_eq!(
        receiver.received().len(),
        2,
        "ORDER_NOTIFY fires for new orders only"
    );

    let body = json_of(v1(&sim, "/orders?modifyDateStart=2024-11-20%2011:00:00")).await;
    assert_eq!(body["total"], 1);
    assert_eq!(body["orders"][0]["orderNumber"], "4001");
    assert_eq!(body["orders"][0]["orderStatus"], "on_hold");
    assert_eq!(
        body["orders"][0]["modifyDate"],
        "2024-11-20T12:00:00.0000000"
    );
    assert_eq!(body["orders"][0]["amountPaid"].to_string(), "21.50");
    let body = json_of(v1(&sim, "/orders?orderStatus=awaiting_shipment")).await;
    assert_eq!(body["orders"][0]["orderNumber"], "4002");

    let fulfillment = sim.mark_shipped(first.id, "ups", "1Z999").unwrap();
    let body = json_of(v1(&sim, &format!("/fulfillments?orderId={}", first.id))).await;
    assert_eq!(
        body["fulfillments"][0]["fulfillmentId"].as_u64(),
        Some(fulfillment.id)
    );
    assert_eq!(body["fulfillments"][0]["trackingNumber"], "1Z999");
}

#[tokio::test]
async fn v2_labels_carry_costs_and_throttle_with_retry_after() {
    let sim = sim().await;
    let kept = sim.add_shipment(ShipmentSpec {
        shipment_cost: dec("8.45"),
        insurance_cost: dec("1.10"),
        ..ShipmentSpec::default()
    });
    let voided = sim.add_shipment(ShipmentSpec {
        order_number: "1002".into(),
        ..ShipmentSpec::default()
    });
    sim.void_shipment(voided.id).unwrap();

    let body = json_of(v2(&sim, "/labels?page_size=1", "ss-v2-key")).await;
    assert_eq!(
        (body["total"].as_u64(), body["pages"].as_u64()),
        (Some(2), Some(2))
    );
    let label = &body["labels"][0];
    assert_eq!(label["label_id"], format!("se-{}", kept.id));
    assert_eq!(label["shipment_cost"]["currency"], "usd");
    assert_eq!(label["shipment_cost"]["amount"].to_string(), "8.45");
    assert_eq!(label["insurance_cost"]["amount"].to_string(), "1.10");
    assert_eq!(label["voided"], false);
    assert!(
        body["links"]["next"]["href"]
            .as_str()
            .unwrap()
            .contains("page=2")
    );

    let label = json_of(v2(&sim, &format!("/labels/se-{}", voided.id), "ss-v2-key")).await;
    assert_eq!(label["voided"], true);
    assert_eq!(label["status"], "voided");
    assert_eq!(label["voided_at"], "2024-11-20T18:00:00.000Z");
    let missing = v2(&sim, "/labels/se-1", "ss-v2-key").send().await.unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(
        missing.json::<Value>().await.unwrap()["errors"][0]["error_code"],
        "not_found"
    );

    let refused = v2(&sim, "/labels", "ss-v1-key").send().await.unwrap();
    assert_eq!(refused.status(), 401);
    let error: Value = refused.json().await.unwrap();
    assert!(error["request_id"].is_string());
    assert_eq!(error["errors"][0]["error_type"], "security");
    assert_eq!(error["errors"][0]["error_source"], "shipstation");
    assert!(error["errors"][0]["message"].is_string());

    // Three counted requests so far; the refused one is not counted.
    for _ in 4..=200 {
        assert_eq!(
            v2(&sim, "/labels", "ss-v2-key")
                .send()
                .await
                .unwrap()
                .status(),
            200
        );
    }
    sim.clock().advance(Duration::seconds(20));
    let throttled = v2(&sim, "/labels", "ss-v2-key").send().await.unwrap();
    assert_eq!(throttled.status(), 429);
    assert_eq!(header(&throttled, "Retry-After"), "40");
    assert_eq!(
        throttled.json::<Value>().await.unwrap()["errors"][0]["error_code"],
        "rate_limit_exceeded"
    );
    sim.clock().advance(Duration::seconds(40));
    assert_eq!(
        v2(&sim, "/labels", "ss-v2-key")
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}
