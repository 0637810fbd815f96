//! `shopify`: the Shopify source connector. Webhooks in through `verify`, orders, customers and
//! refunds read over the GraphQL Admin API by `fetch`, updated orders found by `poll`, a range of
//! orders and their refunds listed by `history`. It takes no commands: `apply` is `Rejected`
//! ("shopify is a source connector").
//!
//! **Settings and secrets.** `base_url` (the shop's origin), `api_version` (default `2025-10`),
//! `client_id`; secrets `client_secret`, `access_token` and/or `refresh_token` ([`settings`]);
//! `webhook_secret` (default: `client_secret`) and, during a secret rotation,
//! `webhook_secret_previous`; optional setting `shop_domain` ([`webhook`]).
//!
//! **Webhooks** ([`webhook`]): the HMAC is checked in constant time against the current and the
//! previous secret; the dedupe key is `X-Shopify-Event-Id`, else `X-Shopify-Webhook-Id`; the
//! reference is the resource's id as a string (never through f64: [`ids`]); `occurred_at` is
//! `X-Shopify-Triggered-At`. A bad signature is `Unauthorized` (401), a missing header or a body
//! that is not JSON `Malformed` (400). Mappings should key their commands by the business id
//! (order id, refund id), not the event key: a webhook and a poll of one change are two events.
//!
//! **Tokens** ([`token`]): expiring offline tokens are renewed a minute before they expire and when
//! Shopify answers 401; the rotated refresh token is stored before the new access token is used.
//!
//! **Throttling** ([`throttle`]): a `THROTTLED` answer (200 or 429) waits on the host clock until
//! the cost bucket holds what the query asked for, then sends it again; a call waits at most 45 s
//! in all, then ends `RateLimited`. Queries ask for little: an order's header query 147 points of
//! the standard bucket's 1000, and more only for an order that has more ([`queries`]).
//!
//! **Polling** ([`poll`]): orders by `updated_at`, one page of 100 a call, as `orders/updated`
//! events keyed `order/<id>/<updated_at>`; the cursor is the newest `updated_at` seen.
//!
//! **History** ([`history`]): the orders with `updated_at` in the range (since inclusive, until
//! exclusive), oldest first, read with one Shopify bulk query ([`bulk`]): the first call starts it,
//! the next ones wait for it (20 s at most a call, on the host clock), then each reads
//! 250 orders of its JSONL file; the cursor is JSON naming the operation and how far its file was
//! read. Each order is the poll's `orders/updated` event, followed by a `refunds/create` event per
//! refund listed on it (key `refund/<refund id>`, reference the refund id, `occurred_at` its
//! `created_at`); both carry the order as the bulk query read it, so `fetch` reads no order (a
//! refund's own lines it reads by id: the same `shopify.refund` as the webhook's). The file is on
//! Google Cloud Storage: add `allow = ["https://storage.googleapis.com"]` to the connection. Shopify
//! lists orders of the last 60 days only to an app without the `read_all_orders` scope, so a range
//! that starts earlier is `Rejected` without it, naming the first day it can start from.
//!
//! ## Entities
//!
//! `fetch` returns, by topic ([`fetch`]): `orders/*` → `shopify.order` and `shopify.customer`
//! (when the order has a customer; from the event's bulk order when it has one, else read); `refunds/create` → those two and `shopify.refund`;
//! `customers/*` → `shopify.customer`. Entity ids are the numeric Shopify ids as strings.
//!
//! Amounts are decimal strings in the shop's currency (`"19.99"`, never numbers); ids are numeric
//! strings (`"5821001234567890123"`); times are RFC 3339 as Shopify gives them; `?` marks a field
//! that may be `null` (customer personal fields are null for apps without protected-data access).
//!
//! `shopify.order` (from GraphQL, read whole: the header query reads the first few line items,
//! shipping lines, refunds and transactions; more line items and shipping lines are paged by
//! cursor, a full list of refunds or transactions read again alone; see [`order`]):
//!
//! | field | value |
//! | --- | --- |
//! | `id`, `gid` | `"5821…"`, `"gid://shopify/Order/5821…"` |
//! | `name` | `"#1001"` |
//! | `email`? | the order's email |
//! | `created_at`, `updated_at`, `processed_at`?, `cancelled_at`? | times |
//! | `cancel_reason`? | `"CUSTOMER"`, `"FRAUD"`, `"INVENTORY"`, `"DECLINED"`, `"OTHER"` |
//! | `currency`, `presentment_currency`? | `"USD"` |
//! | `financial_status`? | `"PENDING"`, `"PAID"`, `"PARTIALLY_REFUNDED"`, `"REFUNDED"`, … |
//! | `test`, `taxes_included` | booleans |
//! | `tags`, `payment_gateways` | lists of strings |
//! | `source_name`? | `"web"`, `"pos"`, … |
//! | `subtotal` | line items after discounts, before shipping and tax |
//! | `total_discounts`, `total_shipping`, `total_tax`, `total` | amounts |
//! | `total_refunded`, `current_total` | refunded so far; `total` less refunds |
//! | `customer_id`? | the customer's id (its entity follows) |
//! | `lines` | `[{"id", "sku"?, "name", "title"?, "variant_title"?, "quantity": n, "vendor"?, "product_type"?, "taxable": bool, "unit_price", "total_discount", "subtotal" (unit_price × quantity − total_discount), "total_tax", "tax_lines": [tax]}]` |
//! | `shipping_lines` | every one: `[{"id"?, "title", "code"?, "price", "discounted_price", "total_tax", "tax_lines": [tax]}]` |
//! | `tax_lines` | the order's taxes summed by title and rate: `[tax]` |
//! | `refunds` | `[{"id", "created_at"?, "note"?, "total"}]` (every one, up to 250: an order with as many is held for review; details in `shopify.refund`) |
//! | `transactions` | `[{"id", "kind", "status", "amount", "gateway"?, "processed_at"}]`, oldest first: every payment event of the order (up to 250 are read: an order with as many is held for review, as there may be more). `kind` `"sale"`, `"capture"`, `"authorization"`, `"refund"`, `"void"`, …; `status` `"success"`, `"pending"`, `"failure"`, `"error"`, …; `processed_at` the time it was processed (else created). Money received is the successful `sale`s and `capture`s |
//!
//! A `tax` is `{"title", "rate"? (decimal string, "0.0725" for 7.25 %), "amount"}`.
//!
//! `shopify.customer` (from GraphQL):
//!
//! | field | value |
//! | --- | --- |
//! | `id`, `gid` | `"5821…"`, `"gid://shopify/Customer/5821…"` |
//! | `email`?, `first_name`?, `last_name`?, `display_name`? | text |
//! | `tags` | list of strings |
//! | `created_at`?, `updated_at`? | times |
//!
//! `shopify.refund` (from the `refunds/create` webhook body, or, for an event without one (a
//! history's), read by id over GraphQL ([`refund_graphql`]); checked against the order; see
//! [`refund`] for why). Its times are RFC 3339 in UTC (`Z`) whichever source it came from:
//!
//! | field | value |
//! | --- | --- |
//! | `id`, `gid`, `order_id` | ids |
//! | `created_at`?, `processed_at`?, `note`? | times in UTC |
//! | `lines` | `[{"id", "line_item_id", "quantity": n, "sku"?, "name"?, "subtotal", "total_tax"}]` |
//! | `shipping` | `[{"id"?, "shipping_line_id"?, "amount", "tax"}]` |
//! | `adjustments` | `[{"id"?, "kind"?, "reason"?, "amount", "tax"}]` (order adjustments, e.g. a refund discrepancy, negative when refunded beyond the lines) |
//! | `transactions` | `[{"id"?, "kind"?, "status"?, "amount", "currency"?, "gateway"?, "created_at"?}]` |
//! | `subtotal`, `total_tax`, `total_shipping` | sums of the lines' subtotals, the lines' and shipping taxes, the shipping amounts |
//! | `total` | the sum of successful `refund` transactions: what went back to the customer |

mod bulk;
mod bulk_orders;
#[cfg(test)]
mod fake_shop;
mod fetch;
mod graphql;
mod history;
mod ids;
mod normalize;
mod oauth;
mod order;
mod poll;
mod queries;
mod refund;
mod refund_graphql;
mod settings;
mod shop;
mod signature;
mod throttle;
mod times;
mod token;
mod topics;
mod webhook;
mod wire;

use ml_connector_sdk::{
    Applied, Command, Connector, Entity, Event, InboundRequest, PluginError, PluginInfo,
    PollResult, TimeRange, VerifyError,
};

/// Why `apply` refuses.
const NOT_A_SINK: &str = "shopify is a source connector";

pub struct Shopify;

impl Connector for Shopify {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "shopify".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Reads Shopify orders, customers and refunds from signed webhooks and \
                          the GraphQL Admin API, polls for updated orders, and lists a range of \
                          orders and refunds for a backfill."
                .into(),
            topics: topics::TOPICS
                .iter()
                .map(|topic| topic.to_string())
                .collect(),
            commands: Vec::new(),
        }
    }

    fn ping() -> Result<String, PluginError> {
        shop::ping()
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

ml_connector_sdk::export_connector!(Shopify);
