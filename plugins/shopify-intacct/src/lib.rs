//! `shopify-intacct`: the mapping from the `shopify` connector's entities to the `intacct`
//! connector's commands. Pure: no HTTP, no secrets, no clock; the same event, entities and config
//! always give the same commands.
//!
//! | topic | commands |
//! | --- | --- |
//! | `orders/create`, `orders/updated`, `orders/paid`, `orders/cancelled` | by the order's state ([`order`]): `intacct.upsert-customer` + `intacct.create-invoice` (on `orders/updated` superseding the order's other versions); an `intacct.create-payment` per transaction that received money (a successful `sale` or `capture`: [`payment`]); when cancelled unpaid only `intacct.reverse-invoice` |
//! | `refunds/create` | `intacct.upsert-customer` (unless a person named the customer) + `intacct.create-adjustment`, a credit memo of exactly what was refunded ([`refund`]) |
//! | `customers/create`, `customers/update` | `intacct.upsert-customer` ([`customer`]) |
//!
//! Another topic is `Rejected` (code `shopify-intacct.topic`). Each call logs one `mapped` line
//! with the topic, the order or customer, and the command count.
//!
//! ## Config
//!
//! The flow's `mapping_config`. Every key is checked before anything is mapped; a bad one is
//! `Rejected` with code `shopify-intacct.config` and a message naming the key
//! (``mapping config `gateways.paypal.payment_method`: `Paypal` is not an Intacct payment
//! method…``). A full example:
//!
//! ```json
//! {
//!   "customer": {
//!     "id_scheme": "shopify_id",
//!     "id_prefix": "SH",
//!     "guest_customer_id": "SH-GUEST",
//!     "guest_customer_name": "Shopify guest checkout"
//!   },
//!   "invoice": { "number_prefix": "SH", "due_days": 0, "skip_test_orders": true },
//!   "default_order_type": {
//!     "name": "web",
//!     "accounts": {
//!       "revenue": "4000", "shipping": "4050", "tax": "2200", "discounts": "4090",
//!       "adjustments": "4095",
//!       "revenue_by_product_line": { "gift-cards": "2450" },
//!       "tax_by_title": { "GST": "2210" }
//!     },
//!     "dimensions": { "department_id": "ECOM" }
//!   },
//!   "order_types": [
//!     { "name": "wholesale", "when": { "customer_tags": ["wholesale"] },
//!       "accounts": { "revenue": "4100" }, "dimensions": { "department_id": "WHSL" } },
//!     { "name": "pos", "when": { "source_names": ["pos"] },
//!       "dimensions": { "department_id": "RETAIL" } }
//!   ],
//!   "regions": [
//!     { "name": "eu", "when": { "currencies": ["EUR"] }, "dimensions": { "location_id": "EU" } },
//!     { "name": "canada", "when": { "customer_tags": ["region:ca"] },
//!       "dimensions": { "location_id": "CA" } }
//!   ],
//!   "default_region": { "dimensions": { "location_id": "US" } },
//!   "product_lines": [
//!     { "name": "gift-cards", "when": { "sku_prefixes": ["GC-"] },
//!       "dimensions": { "class_id": "GIFT" } },
//!     { "name": "apparel", "when": { "sku_prefixes": ["TS-", "HD-"] },
//!       "revenue_account": "4010", "dimensions": { "class_id": "APPAREL" } }
//!   ],
//!   "default_product_line": { "dimensions": { "class_id": "GENERAL" } },
//!   "gateways": {
//!     "shopify_payments": { "payment_method": "Credit Card", "undeposited_funds_account": "1499" },
//!     "paypal": { "payment_method": "EFT", "bank_account_id": "PAYPAL" },
//!     "*": { "payment_method": "Cash", "undeposited_funds_account": "1498" }
//!   }
//! }
//! ```
//!
//! | key | meaning |
//! | --- | --- |
//! | `customer.id_scheme` | how an Intacct customer id is made (≤ 20 characters): `"shopify_id"` (default: prefix + Shopify id), `"shopify_id_base36"`, `"email"` ([`customer`]) |
//! | `customer.id_prefix` | default `"SH"`; at most 7 characters (10 for `email`) so ids fit |
//! | `customer.guest_customer_id`, `guest_customer_name` | the customer of orders without one; without it such orders are held for review |
//! | `invoice.number_prefix` | `invoice_no` = prefix + the order name without `#` (`#1001` → `SH1001`); default none |
//! | `invoice.due_days` \| `invoice.term_name` | `date_due` that many days after the invoice date (default 0), or Intacct terms |
//! | `invoice.skip_test_orders` | default `true`: test orders map to nothing |
//! | `default_order_type` | required: `accounts` (`revenue`, `shipping`, `tax` required; `discounts`, `adjustments`, `revenue_by_product_line`, `tax_by_title` optional) and `dimensions` (`location_id`, `department_id`, `class_id`) |
//! | `order_types` | rules `{name, when, accounts?, dimensions?}`, first match wins; what one leaves unset comes from `default_order_type` |
//! | `regions`, `default_region` | the customer's region: `{name, when, dimensions}` |
//! | `product_lines`, `default_product_line` | a line's product line: `{name, when, revenue_account?, dimensions?}` |
//! | `gateways` | where each payment goes, by the gateway its transaction names (case-insensitive; `"*"` for the rest): `payment_method` (`Printed Check`, `Cash`, `EFT`, `Credit Card`, `Online Charge Card`, `Online ACH Debit`) and one of `bank_account_id`, `undeposited_funds_account` |
//!
//! An order `when` holds any of `order_tags`, `customer_tags`, `source_names`, `currencies`,
//! `gateways` (each a text or a list; all given must hold, any value of one will do); a product
//! line `when` any of `sku_prefixes`, `vendors`, `product_types`. Precedence of accounts and
//! dimensions: [`rules`]. Discounts: with `accounts.discounts` set they post as their own negative
//! lines after the line they discount, else lines post net ([`posting`]). Tax posts one line per
//! tax title and rate.
//!
//! The `shopify.order` entity carries no address: regions match by tags, currency, source or
//! gateway until the connector adds the address.
//!
//! ## Keys and replays
//!
//! Keys come from the Shopify order, refund or customer id and a version of the content
//! ([`keys`]), never from the event key: a webhook, its redelivery and a poll of the same change
//! map to the same keys, which the intacct connector makes Intacct run once.
//!
//! ## `orders/updated`: the invoice follows the order
//!
//! Every `orders/*` event carries the order as it is now. The invoice of that state has a version
//! (a hash of its lines, amounts, currency, customer and date: [`invoice`]); its key and
//! `external_id` carry the version, its number (`invoice_no`) does not. So:
//! - an update that changes nothing the invoice is made of (tags, fulfillment, payment status;
//!   most updates) maps to the invoice key already run: nothing happens;
//! - a payment (a capture of an authorized or partially paid order, a manual payment) is a new
//!   transaction: its `intacct.create-payment` is keyed by the transaction id, so the update posts
//!   it and the payments already posted map to keys already run;
//! - an edit that changes lines or amounts maps to a new invoice (same number, new version) that
//!   supersedes the others: the intacct connector reverses every other live invoice with that
//!   number, dated the update, in the request that creates the new one. The key carries the new
//!   version (each reversal's controlid adds the reversed RECORDNO), so replays are idempotent.
//!
//! The alternative, an AR adjustment for the difference, needs the amounts of the previous
//! version, which a pure mapping cannot know: it sees only the current order, and the previous
//! version lives only in Intacct. Reversal + re-invoice needs no arithmetic against the past; the
//! connector only has to find the live invoices by number. Changing the mapping config does not
//! change versions (it applies to orders invoiced afterwards). A paid invoice cannot be reversed in
//! Intacct, so an edit after payment posts nothing and waits in review for a person to settle.
//!
//! ## Which invoice?
//!
//! Intacct knows an invoice by its RECORDNO, which only the `create-invoice` answer carries; a
//! mapping never sees it (and an "already executed" answer does not carry it either). So this
//! mapping names invoices by number, which the intacct connector looks up (`readByQuery` of
//! ARINVOICE by RECORDID, reversed ones left out) in the same request as any invoice created
//! before it:
//! - `intacct.create-invoice` with `"supersedes": {"date", "description"}` reverses each other
//!   live invoice with its number (found by `external_id` ≠ its own);
//! - `intacct.reverse-invoice` `{"invoice_no", "date", "description"}` reverses each live invoice
//!   with the number (a cancellation);
//! - `intacct.create-payment` applications `{"invoice_no", "external_id", "amount"}` need exactly
//!   one live invoice with the number and version (none: retried, its create may still be on its
//!   way; several: held for review). A payment is applied to the version current when its
//!   transaction is mapped; one applied to an earlier version stays with it.
//!
//! ## Held for review
//!
//! `NeedsReview` (resolved with the keys in [`review`]): an order whose invoice lines do not add
//! up to its total, or a refund whose credit does not add up to what was refunded; an order with no
//! customer to name; payments that add up to more than the invoice; a refund of a line the order
//! lacks.

mod config;
mod context;
mod customer;
mod dates;
mod entities;
mod invoice;
mod keys;
mod order;
mod payment;
mod posting;
mod refund;
mod review;
mod rules;

use ml_connector_sdk::serde_json::Value;
use ml_connector_sdk::{Command, Entity, Event, Mapping, PluginError, PluginInfo, log};

use crate::config::Config;
use crate::context::{OrderContext, skipped};
use crate::entities::Records;
use crate::review::Resolution;

/// The topics this mapping maps.
pub const TOPICS: &[&str] = &[
    "orders/create",
    "orders/updated",
    "orders/paid",
    "orders/cancelled",
    "refunds/create",
    "customers/create",
    "customers/update",
];

/// The command kinds it emits.
pub const COMMANDS: &[&str] = &[
    customer::KIND,
    invoice::CREATE,
    invoice::REVERSE,
    payment::KIND,
    refund::KIND,
];

pub struct ShopifyIntacct;

impl Mapping for ShopifyIntacct {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "shopify-intacct".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Maps Shopify orders, refunds and customers to Sage Intacct customers, \
                          AR invoices, reversals, payments and credit memos."
                .into(),
            topics: TOPICS.iter().map(|topic| topic.to_string()).collect(),
            commands: COMMANDS.iter().map(|kind| kind.to_string()).collect(),
        }
    }

    fn map(
        event: Event,
        records: Vec<Entity>,
        config: &Value,
    ) -> Result<Vec<Command>, PluginError> {
        let config_parsed = Config::parse(config)?;
        let resolution = Resolution::read(config)?;
        let records = Records::read(&records)?;
        let topic = event.topic.as_str();
        let commands = match topic {
            "orders/create" | "orders/updated" | "orders/paid" | "orders/cancelled" => {
                order::map(topic, &config_parsed, &records, &resolution)?
            }
            "refunds/create" => map_refund(&config_parsed, &records, &resolution)?,
            "customers/create" | "customers/update" => map_customer(&config_parsed, &records)?,
            other => {
                return Err(PluginError::rejected_with_code(
                    "shopify-intacct.topic",
                    format!(
                        "shopify-intacct maps no topic `{other}` (it maps {})",
                        TOPICS.join(", ")
                    ),
                ));
            }
        };
        let subject = match (&records.order, &records.customer) {
            (Some(order), _) => order.name.clone(),
            (None, Some(customer)) => format!("customer {}", customer.id),
            (None, None) => String::new(),
        };
        log::info(
            "mapped",
            &[
                ("topic", topic),
                ("subject", &subject),
                ("commands", &commands.len().to_string()),
            ],
        );
        Ok(commands)
    }

    /// Runs the config parsing `map` runs, so the host refuses a bad `mapping_config` at start.
    fn check_config(config: &Value) -> Result<(), String> {
        Config::parse(config)
            .map(drop)
            .map_err(|error| error.message().to_owned())
    }
}

fn map_refund(
    config: &Config,
    records: &Records,
    resolution: &Resolution,
) -> Result<Vec<Command>, PluginError> {
    let (Some(order), Some(refund)) = (&records.order, &records.refund) else {
        return Err(PluginError::rejected(
            "a refunds/create event needs a shopify.order and a shopify.refund entity",
        ));
    };
    if skipped(config, order) {
        return Ok(Vec::new());
    }
    let context = OrderContext::new(config, order, records.customer.as_ref(), resolution)?;
    let Some(memo) = refund::command(&context, refund)? else {
        return Ok(Vec::new());
    };
    // The credit memo's customer first, as an order's invoice has it: a refund mapped before its
    // order (a backfill lists both at once) still finds its customer in Intacct. The key is the
    // order's, so Intacct makes the customer once.
    let mut commands = Vec::new();
    if let Some(upsert) = &context.party.upsert {
        commands.push(customer::command(upsert)?);
    }
    commands.push(memo);
    Ok(commands)
}

fn map_customer(config: &Config, records: &Records) -> Result<Vec<Command>, PluginError> {
    let customer = records.customer.as_ref().ok_or_else(|| {
        PluginError::rejected("a customers/* event needs a shopify.customer entity")
    })?;
    match customer::of_customer(&config.customer, customer)? {
        Some(customer::Party {
            upsert: Some(upsert),
            ..
        }) => Ok(vec![customer::command(&upsert)?]),
        _ => {
            log::warn(
                "customer has no id under the configured scheme",
                &[("customer", &customer.id)],
            );
            Ok(Vec::new())
        }
    }
}

ml_connector_sdk::export_mapping!(ShopifyIntacct);

#[cfg(test)]
mod tests;
