//! A Shopify order posted as an Intacct invoice by a mapping made from the SDK's template: the
//! deployment on the simulators without a flow (the test adds its own), the order the guide
//! places, and the check of the invoice to the cent. Shared by the guide's test and the
//! JavaScript and Python mappings' tests.

use std::path::{Path, PathBuf};
use std::time::Duration;

use mlc_host::config::Config;
use mlc_host::flow::{self, Status};
use rust_decimal::Decimal;
use simulators::shopify::{CustomerSpec, LineSpec, Order, OrderSpec, ShippingSpec};
use simulators::shopify_intacct::{FLOW as FIXTURE_FLOW, Setup, ShopifyIntacct};
use support::flows::wait_settled;

/// The simulated Intacct company's demo customer, on every invoice.
const CUSTOMER: &str = "C-DEMO";
/// How long the order's event may take, from the webhook to the invoice.
const SETTLE: Duration = Duration::from_secs(60);

/// The deployment of the guide's reader: connections to the simulated shop and Intacct company
/// and the built connectors; the flows are the caller's to add.
pub fn write_deployment(sims: &ShopifyIntacct, dir: &Path) -> PathBuf {
    let path = sims
        .write_config(dir, &Setup::new(support::plugin_dir()), "")
        .expect("writing the config");
    let text = std::fs::read_to_string(&path).unwrap();
    let flow = text
        .find(&format!("[flows.{FIXTURE_FLOW}]"))
        .expect("the fixture's config ends with its flow");
    std::fs::write(&path, &text[..flow]).unwrap();
    path
}

/// The guide's order (and the templates' fixture's): 2 T-shirts at 25.00 less 5.00, 3 mugs at 14.99, 7.25 % tax on both lines,
/// 8.00 shipping. Its customer's `customers/create` webhook finds no flow that takes it.
pub fn place_order(sims: &ShopifyIntacct) -> Order {
    let shop = &sims.shopify;
    let customer = shop.create_customer(CustomerSpec {
        email: Some("ada@example.com".into()),
        first_name: Some("Ada".into()),
        last_name: Some("Lovelace".into()),
        tags: Vec::new(),
    });
    let tax = d("0.0725");
    let shirt = LineSpec {
        variant_title: Some("Blue".into()),
        ..LineSpec::new("TS-001", "T-Shirt", 2, d("25.00"))
    };
    shop.create_order(OrderSpec {
        customer_id: Some(customer.id),
        lines: vec![
            shirt.discount(d("5.00")).tax("CA State Tax", tax),
            LineSpec::new("MUG-1", "Mug", 3, d("14.99")).tax("CA State Tax", tax),
        ],
        shipping: vec![ShippingSpec {
            title: "Standard".into(),
            price: d("8.00"),
            taxes: Vec::new(),
        }],
        ..OrderSpec::default()
    })
    .expect("the shop takes the order")
}

pub fn d(text: &str) -> Decimal {
    text.parse().expect("a decimal")
}

/// The one event, of `flow`, is done, and the invoice in Intacct is exactly what the templates'
/// mapping makes of `order` (the guide's edit adds the `department`).
pub async fn check_invoice(
    sims: &ShopifyIntacct,
    config: &Path,
    order: &Order,
    flow: &str,
    department: Option<&str>,
) {
    sims.shopify.wait_idle().await;
    let config = Config::load(config).unwrap_or_else(|error| panic!("{error}"));
    let inbox = flow::open_inbox(&config).expect("the inbox");
    let rows = wait_settled(
        &inbox,
        1,
        &[Status::Done, Status::Failed, Status::Review],
        SETTLE,
    )
    .await;
    let summary: Vec<String> = rows.iter().map(|row| row.summary()).collect();
    assert!(
        rows.len() == 1 && rows[0].status == Status::Done && rows[0].flow == flow,
        "one event of {flow}, done: {summary:?}"
    );

    let ledger = sims.ledger();
    assert_eq!(ledger.invoices.len(), 1, "{:#?}", ledger.invoices);
    let invoice = &ledger.invoices[0].document;
    assert_eq!(invoice.customer_id, CUSTOMER);
    assert_eq!(invoice.date_created, order.created_at.date_naive());
    assert_eq!(invoice.number, Some(order.order_number.to_string()));
    assert_eq!(
        invoice.description,
        Some(format!("Shopify order #{}", order.order_number))
    );
    assert_eq!(invoice.currency, "USD");
    let lines: Vec<(&str, Decimal, Option<&str>, Option<&str>)> = invoice
        .lines
        .iter()
        .map(|line| {
            (
                line.account.as_str(),
                line.amount,
                line.memo.as_deref(),
                line.dimensions.department.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            ("4000", d("45.00"), Some("2 × T-Shirt - Blue"), department),
            ("4000", d("44.97"), Some("3 × Mug"), department),
        ]
    );
    assert_eq!(invoice.total, d("89.97"));
    assert_eq!(ledger.account_balance("4000"), d("-89.97"));
    assert_eq!(ledger.account_balance("1200"), d("89.97"));
}
