//! What an order event becomes. The `shopify` connector fetches the order fresh for every
//! `orders/*` event, so the entity is the order as it is now, whatever the topic; the commands
//! therefore follow the order's state, and the topic only adds what it alone announces:
//!
//! | the order | commands |
//! | --- | --- |
//! | a test order (with `invoice.skip_test_orders`, the default) | none |
//! | cancelled and never paid (`cancelled_at` set; no money received, status not `PAID`, `PARTIALLY_PAID`, `PARTIALLY_REFUNDED` or `REFUNDED`) | `intacct.reverse-invoice` of its invoice |
//! | otherwise | `intacct.upsert-customer` (unless a person named the customer), `intacct.create-invoice` |
//! | … and the topic is `orders/updated` | the invoice `supersedes` the order's other versions |
//! | … and for each transaction that received money (a successful `sale` or `capture`) | `intacct.create-payment` of its amount ([`payment`]) |
//!
//! Payments follow the transactions, not the status: a `PARTIALLY_PAID` order posts what it
//! received so far, and each later capture posts itself (its own key), so `orders/paid` needs no
//! rule of its own. An order whose status says paid but that carries no such transaction posts no
//! payment, with a warning in the log.
//!
//! A cancelled order that was paid, in full or in part, keeps its invoice and payments: Shopify
//! refunds it, and each refund becomes a credit memo (`refunds/create`); reversing the invoice as
//! well would credit the customer twice, and Intacct does not reverse an invoice with a payment
//! applied.

use ml_connector_sdk::money::Decimal;
use ml_connector_sdk::{Command, PluginError, log};

use crate::config::Config;
use crate::context::{OrderContext, invoice_no, skipped};
use crate::customer;
use crate::entities::Records;
use crate::review::Resolution;
use crate::{invoice, payment};

/// Statuses of an order paid, in full or in part, at some point (later refunds do not undo the
/// payment).
const PAID: &[&str] = &["PAID", "PARTIALLY_PAID", "PARTIALLY_REFUNDED", "REFUNDED"];

/// The commands of an `orders/*` event.
pub fn map(
    topic: &str,
    config: &Config,
    records: &Records,
    resolution: &Resolution,
) -> Result<Vec<Command>, PluginError> {
    let order = records.order.as_ref().ok_or_else(|| {
        PluginError::rejected(format!("a {topic} event needs a shopify.order entity"))
    })?;
    if skipped(config, order) {
        return Ok(Vec::new());
    }
    let status = order.financial_status.as_deref().unwrap_or_default();
    let paid = PAID.contains(&status);
    if order.cancelled_at.is_some() {
        if !paid && order.payments().next().is_none() {
            // Needs no customer: a guest order without one to name reverses all the same.
            return Ok(vec![invoice::reverse(order, &invoice_no(config, order))?]);
        }
        log::info(
            "cancelled after payment: its refunds credit it",
            &[("order", &order.name)],
        );
    }
    let context = OrderContext::new(config, order, records.customer.as_ref(), resolution)?;
    log::debug(
        "rules matched",
        &[
            ("order", &order.name),
            ("order_type", context.rules.order_type),
            ("region", context.rules.region.unwrap_or("(none)")),
        ],
    );
    let mut commands = Vec::new();
    if let Some(upsert) = &context.party.upsert {
        commands.push(customer::command(upsert)?);
    }
    let Some(document) = invoice::build(&context)? else {
        log::info("nothing to invoice", &[("order", &order.name)]);
        return Ok(commands);
    };
    commands.push(invoice::create(
        &context,
        &document,
        topic == "orders/updated",
    )?);
    let payments = payment::commands(&context, &document)?;
    if payments.is_empty() && paid && document.total > Decimal::ZERO {
        log::warn(
            "the status says paid but no transaction received money: no payment posted",
            &[("order", &order.name), ("financial_status", status)],
        );
    }
    commands.extend(payments);
    Ok(commands)
}
