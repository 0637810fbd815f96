//! The shop's side of the demo: business actions on the simulated shop (a customer signs up, an
//! order is placed, paid, refunded, cancelled), each printed as one line when it happens and
//! finished with the events it caused once the flow has settled them. Keeps the names the reports
//! give the shop's records.

use std::collections::BTreeMap;
use std::io::Write;
use std::time::Duration;

use mlc_host::flow::{EventRow, Inbox, Status};
use simulators::shopify::{
    Customer, CustomerSpec, Order, OrderSpec, Refund, RefundSpec, ShopifySim,
};

use super::settle;

/// How long one action's events may take to settle (retries with backoff included).
pub const SETTLE_WITHIN: Duration = Duration::from_secs(60);

/// What the report calls the shop's records, by Shopify id (the events' `reference`).
pub type Labels = BTreeMap<String, String>;

/// The shop, the inbox it feeds, and the names given to what was created.
pub struct Shop<'a> {
    shop: &'a ShopifySim,
    inbox: &'a Inbox,
    labels: Labels,
}

impl<'a> Shop<'a> {
    pub fn new(shop: &'a ShopifySim, inbox: &'a Inbox) -> Self {
        Self {
            shop,
            inbox,
            labels: Labels::new(),
        }
    }

    /// The names of the shop's records, for the reports.
    pub fn into_labels(self) -> Labels {
        self.labels
    }

    pub async fn customer(
        &mut self,
        first: &str,
        last: &str,
        tags: &[&str],
        what: &str,
    ) -> anyhow::Result<Customer> {
        let name = format!("{first} {last}");
        let shown = crate::terminal::visible(&name);
        let tags_shown = match tags {
            [] => String::new(),
            tags => format!(" [{}]", tags.join(", ")),
        };
        let customer = self
            .act(format!("{shown}{tags_shown} {what}"), |shop| {
                Ok(shop.create_customer(CustomerSpec {
                    email: Some(format!("{}@example.com", first.to_lowercase())),
                    first_name: Some(first.into()),
                    last_name: Some(last.into()),
                    tags: tags.iter().map(|tag| (*tag).into()).collect(),
                }))
            })
            .await?;
        self.labels.insert(customer.id.to_string(), shown);
        Ok(customer)
    }

    pub async fn order(&mut self, what: &str, spec: OrderSpec) -> anyhow::Result<Order> {
        let buyer = match spec.customer_id {
            Some(id) => self
                .labels
                .get(&id.to_string())
                .cloned()
                .unwrap_or_default(),
            None => "a guest".into(),
        };
        let items = describe(&spec);
        let order = self
            .act_named(
                |order: &Order| {
                    format!(
                        "{} {what}, {buyer}: {items}, {} {}",
                        order.name(),
                        order.currency,
                        order.total_price()
                    )
                },
                |shop| shop.create_order(spec),
            )
            .await?;
        self.labels.insert(order.id.to_string(), order.name());
        Ok(order)
    }

    pub async fn paid(&mut self, order: &Order, what: &str) -> anyhow::Result<()> {
        self.act(format!("{} {what}", order.name()), |shop| {
            shop.mark_paid(order.id)
        })
        .await?;
        Ok(())
    }

    pub async fn refund(&mut self, order: &Order, line_id: u64, what: &str) -> anyhow::Result<()> {
        let quantity = order
            .line_items
            .iter()
            .find(|line| line.id == line_id)
            .map_or(1, |line| line.quantity);
        let spec = RefundSpec {
            lines: vec![(line_id, quantity)],
            note: Some("arrived chipped".into()),
            ..RefundSpec::default()
        };
        let refund = self
            .act_named(
                |refund: &Refund| {
                    format!(
                        "{} {what}: {} {}",
                        order.name(),
                        order.currency,
                        refund.amount()
                    )
                },
                |shop| shop.create_refund(order.id, spec),
            )
            .await?;
        self.labels
            .insert(refund.id.to_string(), format!("{} refund", order.name()));
        Ok(())
    }

    pub async fn cancel(&mut self, order: &Order, what: &str) -> anyhow::Result<()> {
        self.act(format!("{} {what}", order.name()), |shop| {
            shop.cancel_order(order.id, "customer")
        })
        .await?;
        Ok(())
    }

    /// Does `action` in the shop, printing `line` first, then the events it caused once settled.
    async fn act<T>(
        &mut self,
        line: String,
        action: impl FnOnce(&ShopifySim) -> anyhow::Result<T>,
    ) -> anyhow::Result<T> {
        self.act_named(|_| line, action).await
    }

    /// As [`Shop::act`], the line made from what the action returned (an order's number, say).
    async fn act_named<T>(
        &mut self,
        line: impl FnOnce(&T) -> String,
        action: impl FnOnce(&ShopifySim) -> anyhow::Result<T>,
    ) -> anyhow::Result<T> {
        let before = settle::last_id(self.inbox).await?;
        let value = action(self.shop)?;
        print!(
            "  {}  {:<76}",
            chrono::Local::now().format("%H:%M:%S"),
            line(&value)
        );
        let _ = std::io::stdout().flush();
        let events = settle::events_after(
            self.shop.wait_idle(),
            self.inbox,
            before,
            SETTLE_WITHIN,
            |_| true,
        )
        .await?;
        println!(" → {}", outcome(&events));
        Ok(value)
    }
}

/// "2 done, 1 failed" over `events`.
pub fn outcome(events: &[EventRow]) -> String {
    if events.is_empty() {
        return "no events".into();
    }
    let mut counts: BTreeMap<Status, usize> = BTreeMap::new();
    for event in events {
        *counts.entry(event.status).or_default() += 1;
    }
    counts
        .iter()
        .map(|(status, count)| format!("{count} {status}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// "3 items + shipping" of an order about to be placed.
fn describe(spec: &OrderSpec) -> String {
    let items: u32 = spec.lines.iter().map(|line| line.quantity).sum();
    let plural = if items == 1 { "" } else { "s" };
    match spec.shipping.is_empty() {
        true => format!("{items} item{plural}"),
        false => format!("{items} item{plural} + shipping"),
    }
}
