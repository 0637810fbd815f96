//! The credit memo of a refund (`refunds/create` → `intacct.create-adjustment` with negative
//! lines): `{"customer_id", "date", "invoice_no", "description", "external_id", "currency",
//! "lines"}`, keyed by the refund id (a refund never changes).
//!
//! It credits exactly what was refunded, on the accounts the sale was posted to:
//! - each refunded line: its quantity at the order line's unit price on the line's revenue
//!   account, less the discount share (`unit price × quantity − refunded subtotal`) on the
//!   discounts account when discounts post on their own lines, else net; with the order line's
//!   dimensions;
//! - refunded shipping on the shipping account (its tax split over the refunded shipping line's
//!   taxes, else over all the order's shipping taxes);
//! - the refunded tax, each line's split over the order line's tax lines in proportion to their
//!   amounts, to the cent, by the SDK's one rule (`money::allocate`: largest remainder), summed
//!   by tax title and rate; over tax lines that all have no amount, evenly; a negative tax line
//!   is `Rejected` ([`Taxes::add_split`]);
//! - order adjustments (a refund discrepancy: more or less refunded than the lines) on
//!   `accounts.adjustments` (else revenue), a `shipping_refund` adjustment on shipping, their tax
//!   on tax.
//!
//! The credit must equal the money refunded (`total`) to the cent, else the event is held for
//! review (`accept_totals` posts it anyway); a refund that moved no money (nothing refunded to the
//! customer, e.g. items taken off an unpaid order) posts its lines as they are. A refund of
//! nothing posts no command.

use ml_connector_sdk::money::{self, Decimal};
use ml_connector_sdk::serde_json::json;
use ml_connector_sdk::{Command, PluginError, log};

use crate::context::OrderContext;
use crate::dates::date;
use crate::entities::{Refund, Tax};
use crate::keys;
use crate::posting::{self, Amounts, Lines, Taxes};

pub const KIND: &str = "intacct.create-adjustment";

/// The credit memo of `refund`; `None` when it refunds nothing.
pub fn command(context: &OrderContext, refund: &Refund) -> Result<Option<Command>, PluginError> {
    let order = context.order;
    if refund.order_id != order.id {
        return Err(PluginError::rejected(format!(
            "refund {} is of order {}, the event's order is {}",
            refund.id, refund.order_id, order.id
        )));
    }
    let rules = &context.rules;
    let credit = -Decimal::ONE;
    let mut lines = Lines::default();
    let mut taxes = Taxes::default();
    for refunded in &refund.lines {
        let line = order
            .lines
            .iter()
            .find(|line| line.id == refunded.line_item_id)
            .ok_or_else(|| {
                PluginError::needs_review(format!(
                    "refund {} returns line item {}, which order {} does not have",
                    refund.id, refunded.line_item_id, order.name
                ))
            })?;
        let amounts = Amounts {
            gross: line.unit_price * Decimal::from(refunded.quantity),
            subtotal: refunded.subtotal,
            tax: refunded.total_tax,
        };
        posting::product(
            &mut lines,
            rules,
            order.taxes_included,
            line,
            refunded.quantity,
            amounts,
            credit,
        );
        taxes.add_split(refunded.total_tax, &line.tax_lines)?;
    }
    let all_shipping_taxes: Vec<Tax> = order
        .shipping_lines
        .iter()
        .flat_map(|line| line.tax_lines.iter().cloned())
        .collect();
    for shipping in &refund.shipping {
        // The shipping line refunded, when the refund names one the order has.
        let line = order.shipping_lines.iter().find(|line| {
            line.id.is_some() && line.id.as_deref() == shipping.shipping_line_id.as_deref()
        });
        let amounts = Amounts {
            gross: shipping.amount,
            subtotal: shipping.amount,
            tax: shipping.tax,
        };
        posting::shipping(
            &mut lines,
            rules,
            order.taxes_included,
            line.map_or("refund", |line| line.title.as_str()),
            amounts,
            credit,
        );
        let line_taxes = line.map(|line| line.tax_lines.as_slice());
        taxes.add_split(
            shipping.tax,
            line_taxes
                .filter(|taxes| !taxes.is_empty())
                .unwrap_or(&all_shipping_taxes),
        )?;
    }
    for adjustment in &refund.adjustments {
        let memo = adjustment
            .reason
            .clone()
            .or(adjustment.kind.clone())
            .unwrap_or_else(|| "Refund adjustment".into());
        let target = match adjustment.kind.as_deref() {
            Some("shipping_refund") => rules.shipping(),
            _ => rules.adjustment(),
        };
        // Shopify signs an adjustment as a credit (negative: more refunded), so its amount goes
        // on the memo as it is; its tax joins the refunded taxes, which are credited below.
        lines.push(target, adjustment.amount, memo);
        taxes.add("", None, -adjustment.tax);
    }
    taxes.post(&mut lines, rules, credit);

    if lines.lines.is_empty() {
        log::info("refund of nothing", &[("refund", &refund.id)]);
        return Ok(None);
    }
    let refunded = -lines.total;
    let moved_money = !refund.total.is_zero();
    if moved_money && refunded != refund.total && !context.resolution.accept_totals {
        return Err(PluginError::needs_review(format!(
            "refund {} of order {}: the credit lines sum to {} {} but {} was refunded; resolve \
             with {{\"accept_totals\": true}} to post the lines as they are",
            refund.id,
            order.name,
            money::cents_text(refunded),
            order.currency,
            money::cents_text(refund.total)
        )));
    }
    let when = refund
        .processed_at
        .as_deref()
        .or(refund.created_at.as_deref());
    let day = match when {
        Some(when) => date(when)?,
        None => context.date,
    };
    let note = refund
        .note
        .as_deref()
        .map(|note| format!(": {note}"))
        .unwrap_or_default();
    let body = json!({
        "customer_id": context.party.customer_id,
        "date": day.to_string(),
        "invoice_no": context.invoice_no,
        "description": format!("Refund {} of Shopify order {}{note}", refund.id, order.name),
        "external_id": refund.id,
        "currency": order.currency,
        "lines": lines.lines,
    });
    Command::json(KIND, keys::refund(&refund.id), &body).map(Some)
}
