//! `shipstation`: the ShipStation source connector. Pointer webhooks in through `verify`, label
//! shipments (with their items and costs) and fulfillments read over the V1 API by `fetch`, new
//! and voided labels found by `poll`, those of a range listed by `history`, optionally label costs
//! from the V2 API. It takes no commands: `apply` is `Rejected` ("shipstation is a source
//! connector").
//!
//! **Settings and secrets** ([`settings`]): `base_url` (default `https://ssapi.shipstation.com`),
//! secrets `api_key` and `api_secret` (V1 Basic auth; refused → `Auth`), `webhook_token`; optional
//! secret `v2_api_key` with setting `v2_base_url`; `currency` (default `USD`),
//! `poll_overlap_minutes` (default 60), `poll_lookback_hours` (default 24).
//!
//! **Webhooks** ([`webhook`]): V1 webhooks are unsigned pointers
//! (`{"resource_url", "resource_type"}`), so ShipStation is subscribed to
//! `…/webhooks/<connection>/<webhook_token>` and the token in the path is checked in constant time
//! ([`token`]); a wrong or missing one is `Unauthorized`. SHIP_NOTIFY, ITEM_SHIP_NOTIFY and
//! FULFILLMENT_SHIPPED become one event each; other events are ignored (no events, 200). The
//! resource URL is followed only on a ShipStation host (the configured `base_url`'s origin or
//! `https://ssapi<digits>.shipstation.com`; another host is `Unauthorized`, nothing fetched), and
//! only its path and filters are kept ([`mod@pointer`]). Event: topic = `resource_type`, reference =
//! key = `/shipments?batchId=…` (or `/fulfillments?…`), the same for every delivery of the pointer
//! (and for the SHIP_NOTIFY and ITEM_SHIP_NOTIFY of one batch).
//!
//! **Polling** ([`poll`], [`cursor`]): shipments by create date and voided labels by void date,
//! each from its watermark less the overlap to now, as `SHIP_NOTIFY` events keyed
//! `shipment/<shipmentId>` and `SHIPMENT_VOIDED` events keyed `void/<shipmentId>`, reference
//! `shipment/<shipmentId>`, with the listed shipment as payload. The cursor (JSON, UTC) moves only
//! past windows read to their last page. The flow's `poll_interval` (e.g. `4h`) sets how often.
//!
//! **History** ([`history`]): the labels created in the range (since inclusive, until exclusive),
//! then those voided in it, as the poll's `SHIP_NOTIFY` (`shipment/<shipmentId>`) and
//! `SHIPMENT_VOIDED` (`void/<shipmentId>`) events with the listed shipment as payload; one page of
//! 500 a call, through the same rate limiter. The cursor (JSON) names the stream and page next:
//! `{"stream": "shipments", "page": 2}`. The filters cover at least the range, so a label at its
//! very edge may come twice, under one key.
//!
//! **One posting per shipment.** A webhook's event names a batch, a poll's a shipment: for one
//! label the inbox may hold both (and a replay re-runs either). Both fetch to the same
//! `shipstation.shipment` entity, so the mapping must key its commands by `shipmentId` (e.g.
//! `shipment/<shipmentId>/freight`, `void/<shipmentId>/reversal`), never by the event key: then
//! the sink runs each once, whichever path came first.
//!
//! **Rate limit** ([`ratelimit`]): V1's 40 requests a minute per key is tracked from the
//! `X-Rate-Limit-*` headers in plugin storage, shared by successive calls; the last quarter of a
//! window is spread out and a spent window waited out on the host clock, so steady state sees no
//! 429. A 429 anyway is waited out and sent again (3 times); a call waits at most 45 s in all,
//! then ends `RateLimited` with the wait still needed.
//!
//! **Times** ([`pacific`]): V1 times are US Pacific wall-clock times (America/Los_Angeles,
//! daylight saving included). In the hour repeated when the clocks fall back (2024-11-03 01:30
//! happens twice) the earlier instant, PDT, is taken (`08:30Z`); a time in the spring-forward gap
//! is read as PST. The posting date is `ship_date`, the Pacific calendar date ShipStation shows.
//!
//! **Ping** ([`ping`]): `GET /webhooks` (and, with a V2 key, `GET /v2/labels`): the key is
//! accepted, the rate window, and which webhooks are subscribed.
//!
//! ## Entities
//!
//! Ids are strings (`"100000005"`); amounts are decimal strings read exactly from V1's JSON
//! numbers (never f64), with at least two decimals (`"8.45"`, `"0.00"`); instants are RFC 3339 in
//! UTC converted from Pacific time; `?` marks a field that may be `null`.
//!
//! `shipstation.shipment` (one per label shipment; entity id = `shipmentId`):
//!
//! | field | value |
//! | --- | --- |
//! | `id` | the `shipmentId`: what the mapping keys its commands by |
//! | `order_id`?, `order_key`?, `order_number`? | the ShipStation order (`order_number` is the store's, e.g. a Shopify `1001`) |
//! | `customer_email`? | |
//! | `store_id`?, `warehouse_id`? | `advancedOptions.storeId`, `warehouseId` (the ship-from location) |
//! | `carrier_code`?, `service_code`?, `package_code`? | `"stamps_com"` (USPS), `"ups"`, `"fedex"`, …; `"usps_priority_mail"`; `"package"` |
//! | `tracking_number`?, `batch_number`? | |
//! | `is_return_label` | a return label, not an outbound shipment |
//! | `created_at` | when the label was created (UTC) |
//! | `ship_date` | the Pacific calendar date it ships, `"2024-11-03"`: the posting date |
//! | `voided`, `void_date`? | voided, and when (UTC) |
//! | `currency` | the V2 label's currency, else the `currency` setting (V1 names none) |
//! | `shipment_cost`, `insurance_cost`, `total_cost` | the label's postage, its insurance, their sum |
//! | `cost_source`, `label_id`? | `"v1"` (the shipment's own figures) or `"v2"` (its V2 label `label_id`'s, see [`labels`]) |
//! | `weight`? | `{"value": "16.0", "units": "ounces"}` |
//! | `ship_to`? | `{"name"?, "company"?, "city"?, "state"?, "postal_code"?, "country"?}` |
//! | `custom_fields` | `[customField1?, customField2?, customField3?]` (often a sales order number) |
//! | `items` | `[{"order_item_id"?, "line_item_key"?, "sku"?, "name"?, "quantity": n, "unit_price"?, "weight"?}]`: always read (the mapping allocates freight by item); empty when ShipStation lists none |
//!
//! `shipstation.fulfillment` (FULFILLMENT_SHIPPED: an order marked shipped without a ShipStation
//! label; entity id = `fulfillmentId`). It carries no postage: nobody bought a label in
//! ShipStation, so there is no freight cost to post; only a fulfillment provider's
//! `fulfillment_fee` (usually `"0.00"`). It is passed on so a mapping can post that fee or mark
//! the order shipped, or ignore it:
//!
//! | field | value |
//! | --- | --- |
//! | `id` | the `fulfillmentId` |
//! | `order_id`?, `order_number`?, `customer_email`? | |
//! | `tracking_number`?, `carrier_code`?, `fulfillment_provider_code`?, `fulfillment_service_code`? | |
//! | `created_at` | UTC |
//! | `ship_date` | the Pacific calendar date |
//! | `voided`, `void_date`? | |
//! | `currency`, `fulfillment_fee` | the `currency` setting; the fee |
//! | `ship_to`? | as in a shipment |

mod client;
mod cursor;
mod fetch;
mod history;
mod labels;
mod normalize;
mod pacific;
mod ping;
mod pointer;
mod poll;
mod ratelimit;
mod settings;
mod token;
mod topics;
mod webhook;
mod wire;

use ml_connector_sdk::{
    Applied, Command, Connector, Entity, Event, InboundRequest, PluginError, PluginInfo,
    PollResult, TimeRange, VerifyError,
};

/// Why `apply` refuses.
const NOT_A_SINK: &str = "shipstation is a source connector";

pub struct ShipStation;

impl Connector for ShipStation {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "shipstation".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Reads ShipStation label shipments (items, costs, voids) and \
                          fulfillments from token-guarded pointer webhooks and the V1 API, polls \
                          for new and voided labels, lists those of a range for a backfill, and \
                          takes label costs from V2 when it has a V2 key."
                .into(),
            topics: topics::TOPICS
                .iter()
                .map(|topic| topic.to_string())
                .collect(),
            commands: Vec::new(),
        }
    }

    fn ping() -> Result<String, PluginError> {
        ping::ping()
    }

    fn verify(request: InboundRequest) -> Result<Vec<Event>, VerifyError> {
        webhook::verify(&request)
    }

    fn fetch(event: Event) -> Result<Vec<Entity>, PluginError> {
        fetch::fetch(&event)
    }

    fn poll(cursor: Option<String>) -> Result<PollResult, PluginError> {
        poll::poll(cursor)
    }

    fn history(range: TimeRange, cursor: Option<String>) -> Result<PollResult, PluginError> {
        history::history(&range, cursor)
    }

    fn apply(commands: Vec<Command>) -> Result<Vec<Result<Applied, PluginError>>, PluginError> {
        let _ = commands;
        Err(PluginError::rejected(NOT_A_SINK))
    }
}

ml_connector_sdk::export_connector!(ShipStation);
