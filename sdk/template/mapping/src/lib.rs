//! `{{name}}`: Shopify orders to Sage Intacct AR invoices, an ml-connector mapping plugin. It
//! began as the SDK's template (`mlc plugin new mapping {{name}}`); make it yours.
//!
//! For each `orders/create` event, the `shopify` connector fetches the order as a `shopify.order`
//! entity (its fields are listed in the shopify plugin's crate doc). This mapping turns each such
//! entity into one `intacct.create-invoice` command for the `intacct` connector:
//!
//! - the customer is the flow's `customer_id`: one Intacct customer for all web sales;
//! - the date is the day the order was placed, in the shop's time zone; the currency the order's;
//! - the invoice number is the order's name without `#` (`#1001` → `1001`);
//! - one invoice line per order line, on the flow's `revenue_account`: the line's subtotal (price
//!   × quantity less the line's discount), with the memo `2 × T-Shirt - Blue`. Tax and shipping
//!   are not invoiced.
//!
//! The flow's settings, `mapping_config` in mlc.toml (both required):
//!
//! ```toml
//! mapping_config = { customer_id = "C-WEB", revenue_account = "4000" }
//! ```
//!
//! A command's key is `{{name}}/order/<order id>/invoice`. Intacct runs each key at most once, so
//! a retried event, a duplicate webhook or a replay never posts an order twice.

// The SDK's chrono: without the system clock, which a plugin must not read.
use ml_connector_sdk::chrono::{DateTime, FixedOffset};
use ml_connector_sdk::mapping_config::Node;
use ml_connector_sdk::money::{self, Decimal};
use ml_connector_sdk::{Command, Entity, Event, Mapping, PluginError, PluginInfo, log};
use serde::Deserialize;
use serde_json::{Value, json};

/// The start of every command key. Keep it once the plugin has posted: Intacct knows a command
/// it already ran by its key.
const KEY_PREFIX: &str = "{{name}}";
/// The error code of a refused `mapping_config`.
const CONFIG_ERROR: &str = "{{name}}.config";
const ORDER: &str = "shopify.order";
const CREATE_INVOICE: &str = "intacct.create-invoice";

pub struct OrderInvoices;

impl Mapping for OrderInvoices {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: env!("CARGO_PKG_NAME").into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Shopify orders to Sage Intacct AR invoices, a line per order line."
                .into(),
            topics: vec!["orders/create".into()],
            commands: vec![CREATE_INVOICE.into()],
        }
    }

    fn map(
        event: Event,
        records: Vec<Entity>,
        config: &Value,
    ) -> Result<Vec<Command>, PluginError> {
        let settings = Settings::read(config)?;
        let commands = records
            .iter()
            .filter(|record| record.kind == ORDER)
            .map(|record| invoice(&record.body_json()?, &settings))
            .collect::<Result<Vec<_>, _>>()?;
        log::info(
            "mapped",
            &[
                ("event", &event.key),
                ("commands", &commands.len().to_string()),
            ],
        );
        Ok(commands)
    }

    /// The host asks this when it starts the flow: a bad `mapping_config` stops it there, with
    /// this message beside the key, instead of failing every event.
    fn check_config(config: &Value) -> Result<(), String> {
        Settings::read(config)
            .map(drop)
            .map_err(|error| error.message().to_owned())
    }
}

ml_connector_sdk::export_mapping!(OrderInvoices);

/// The flow's `mapping_config`.
struct Settings {
    customer_id: String,
    revenue_account: String,
}

impl Settings {
    /// Reads the config; a refusal names the key to fix in mlc.toml.
    fn read(config: &Value) -> Result<Self, PluginError> {
        let config = Node::root(config, CONFIG_ERROR);
        config.object(&["customer_id", "revenue_account"])?;
        Ok(Self {
            customer_id: config.required("customer_id")?.text()?,
            revenue_account: config.required("revenue_account")?.text()?,
        })
    }
}

/// The fields of a `shopify.order` this mapping reads; the others are ignored.
#[derive(Deserialize)]
struct Order {
    id: String,
    name: String,
    created_at: DateTime<FixedOffset>,
    currency: String,
    lines: Vec<Line>,
}

#[derive(Deserialize)]
struct Line {
    name: String,
    quantity: u32,
    /// Amounts are decimal strings: read as [`Decimal`], never through f64.
    #[serde(deserialize_with = "money::deserialize")]
    subtotal: Decimal,
}

/// The invoice of one order (the body is in the intacct plugin's crate doc).
fn invoice(order: &Order, settings: &Settings) -> Result<Command, PluginError> {
    let lines: Vec<Value> = order
        .lines
        .iter()
        .map(|line| {
            json!({
                "gl_account_no": settings.revenue_account,
                "amount": line.subtotal.to_string(),
                "memo": format!("{} × {}", line.quantity, line.name),
            })
        })
        .collect();
    let body = json!({
        "customer_id": settings.customer_id,
        "date": order.created_at.date_naive().to_string(),
        "invoice_no": order.name.trim_start_matches('#'),
        "description": format!("Shopify order {}", order.name),
        "currency": order.currency,
        "lines": lines,
    });
    let key = format!("{KEY_PREFIX}/order/{}/invoice", order.id);
    Command::json(CREATE_INVOICE, key, &body)
}

#[cfg(test)]
mod tests {
    use ml_connector_sdk::testing;

    use super::*;

    /// An order as the `shopify` connector fetches it: a T-shirt line with a discount and a mug
    /// line, placed on the evening of 3 November in California (4 November in UTC).
    const ORDER_JSON: &str = include_str!("../fixtures/order.json");
    const ORDER_ID: &str = "5821001234567890123";

    fn config() -> Value {
        json!({"customer_id": "C-WEB", "revenue_account": "4000"})
    }

    fn event(key: &str) -> Event {
        Event {
            key: key.into(),
            topic: "orders/create".into(),
            reference: ORDER_ID.into(),
            ..Event::default()
        }
    }

    fn records() -> Vec<Entity> {
        let customer = json!({"id": "7012345678901", "first_name": "Ada", "last_name": "Lovelace"});
        vec![
            Entity {
                kind: ORDER.into(),
                id: ORDER_ID.into(),
                body: ORDER_JSON.into(),
            },
            Entity::json("shopify.customer", "7012345678901", &customer).unwrap(),
        ]
    }

    #[test]
    fn an_order_is_one_invoice_with_a_line_per_order_line() {
        testing::reset();

        let commands = OrderInvoices::map(event("evt-1"), records(), &config()).unwrap();

        assert_eq!(commands.len(), 1);
        assert_eq!(commands[0].kind, "intacct.create-invoice");
        assert_eq!(
            commands[0].key,
            format!("{KEY_PREFIX}/order/{ORDER_ID}/invoice")
        );
        assert_eq!(
            commands[0].body_json::<Value>().unwrap(),
            json!({
                "customer_id": "C-WEB",
                "date": "2025-11-03",
                "invoice_no": "1001",
                "description": "Shopify order #1001",
                "currency": "USD",
                "lines": [
                    {"gl_account_no": "4000", "amount": "45.00", "memo": "2 × T-Shirt - Blue"},
                    {"gl_account_no": "4000", "amount": "44.97", "memo": "3 × Mug"},
                ],
            })
        );
        let logs = testing::take_logs();
        assert_eq!(logs[0].message, "mapped");
        assert_eq!(logs[0].field("commands"), Some("1"));
    }

    #[test]
    fn the_key_comes_from_the_order_so_another_event_of_it_posts_nothing_new() {
        testing::reset();
        assert_eq!(
            OrderInvoices::map(event("evt-1"), records(), &config()).unwrap(),
            OrderInvoices::map(event("evt-2"), records(), &config()).unwrap()
        );
    }

    #[test]
    fn a_config_without_an_account_is_refused_naming_the_key() {
        testing::reset();
        let no_account = json!({"customer_id": "C-WEB"});
        let missing = "mapping config `revenue_account`: missing; this key is required";

        assert_eq!(OrderInvoices::check_config(&config()), Ok(()));
        assert_eq!(
            OrderInvoices::check_config(&no_account),
            Err(missing.into())
        );
        assert_eq!(
            OrderInvoices::map(event("evt-1"), records(), &no_account),
            Err(PluginError::rejected_with_code(CONFIG_ERROR, missing))
        );
    }
}
