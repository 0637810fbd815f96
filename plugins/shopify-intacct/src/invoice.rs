//! The invoice of an order (`intacct.create-invoice`), its versions, and its reversals
//! (`intacct.reverse-invoice`).
//!
//! **The invoice**: `{"customer_id", "date", "date_due" | "term_name", "invoice_no",
//! "description", "external_id", "currency", "lines"}`, in the order's currency (the shop's: every
//! amount of the entity is in it; an order of a EUR shop posts in EUR). Lines: see [`posting`];
//! their sum must be Shopify's order total to the cent, else the event is held for review (e.g. an
//! order edit that removed items, which the entity's original quantities do not show).
//!
//! **Versions**: the version of an order is a hash of what its invoice is made of (the lines' ids,
//! quantities, prices, discounts and taxes, shipping, tax lines, currency, total, the Shopify
//! customer, the invoice date), not of tags, notes, fulfillment or payment status, nor of the
//! mapping config. The invoice's key and `external_id` (`<order id>-<version>`) carry it, so an
//! update that changes none of that maps to the key Intacct already ran, and an edit that changes
//! it maps to a new invoice. The invoice number is the same for every version.
//!
//! **Superseding** (`orders/updated`): the invoice carries `"supersedes": {"date",
//! "description"}`, and the intacct connector reverses every other live invoice with its number
//! (the previous version when the order changed, nothing when it did not) in the request that
//! creates it, or holds the event for review when one of them has payments applied. The mapping
//! cannot name the previous version itself (it sees only the order as it is now), so the
//! connector finds it by number; see the crate doc.
//!
//! **Cancelling**: `{"invoice_no", "date", "description"}` reverses every live invoice with the
//! number, dated the day of the cancellation.
//!
//! [`posting`]: crate::posting

use ml_connector_sdk::chrono::Days;
use ml_connector_sdk::money::{self, Decimal};
use ml_connector_sdk::serde_json::{Value, json};
use ml_connector_sdk::{Command, PluginError};
use serde::Serialize;

use crate::config::Due;
use crate::context::OrderContext;
use crate::dates::date;
use crate::entities::Order;
use crate::keys;
use crate::posting::{self, Amounts, DocLine, Lines, Taxes};

pub const CREATE: &str = "intacct.create-invoice";
pub const REVERSE: &str = "intacct.reverse-invoice";

/// An invoice ready to send.
#[derive(Debug, Clone)]
pub struct Document {
    pub version: String,
    pub total: Decimal,
    body: InvoiceBody,
}

#[derive(Debug, Clone, Serialize)]
struct InvoiceBody {
    customer_id: String,
    date: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    date_due: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    term_name: Option<String>,
    invoice_no: String,
    description: String,
    external_id: String,
    currency: String,
    lines: Vec<DocLine>,
}

impl Document {
    /// `<order id>-<version>`: which version of the order's invoice this is.
    pub fn external_id(&self) -> &str {
        &self.body.external_id
    }
}

/// The invoice of the order as it is now; `None` when it has no line to post.
pub fn build(context: &OrderContext) -> Result<Option<Document>, PluginError> {
    let order = context.order;
    let rules = &context.rules;
    let one = Decimal::ONE;
    let mut lines = Lines::default();
    for line in &order.lines {
        let amounts = Amounts {
            gross: line.unit_price * Decimal::from(line.quantity),
            subtotal: line.subtotal,
            tax: line.total_tax,
        };
        posting::product(
            &mut lines,
            rules,
            order.taxes_included,
            line,
            line.quantity,
            amounts,
            one,
        );
    }
    for shipping in &order.shipping_lines {
        let amounts = Amounts {
            gross: shipping.price,
            subtotal: shipping.discounted_price,
            tax: shipping.total_tax,
        };
        posting::shipping(
            &mut lines,
            rules,
            order.taxes_included,
            &shipping.title,
            amounts,
            one,
        );
    }
    let mut taxes = Taxes::default();
    for tax in &order.tax_lines {
        taxes.add(&tax.title, tax.rate, tax.amount);
    }
    taxes.post(&mut lines, rules, one);

    if lines.total != order.total && !context.resolution.accept_totals {
        return Err(PluginError::needs_review(format!(
            "order {}: the invoice lines sum to {} {} but Shopify's total is {}; resolve with \
             {{\"accept_totals\": true}} to post the lines as they are",
            order.name,
            money::cents_text(lines.total),
            order.currency,
            money::cents_text(order.total)
        )));
    }
    if lines.lines.is_empty() {
        return Ok(None);
    }
    let version = version(order);
    let (date_due, term_name) = match &context.config.invoice.due {
        Due::Days(days) => {
            let due = context
                .date
                .checked_add_days(Days::new(*days))
                .unwrap_or(context.date);
            (Some(due.to_string()), None)
        }
        Due::Term(term) => (None, Some(term.clone())),
    };
    Ok(Some(Document {
        total: lines.total,
        body: InvoiceBody {
            customer_id: context.party.customer_id.clone(),
            date: context.date.to_string(),
            date_due,
            term_name,
            invoice_no: context.invoice_no.clone(),
            description: format!("Shopify order {}", order.name),
            external_id: external_id(order, &version),
            currency: order.currency.clone(),
            lines: lines.lines,
        },
        version,
    }))
}

/// The create of `document`. With `supersedes` (an `orders/updated`) it is a new version of the
/// order's invoice: the intacct connector reverses the order's other live versions, dated the
/// update, or holds the event for review when one of them is paid.
pub fn create(
    context: &OrderContext,
    document: &Document,
    supersedes: bool,
) -> Result<Command, PluginError> {
    let order = context.order;
    let mut body = json!(document.body);
    if supersedes {
        body["supersedes"] = json!({
            "date": date(&order.updated_at)?.to_string(),
            "description": format!(
                "Shopify order {} changed: superseded by version {}",
                order.name, document.version
            ),
        });
    }
    Command::json(CREATE, keys::invoice(&order.id, &document.version), &body)
}

/// Reverses the invoice of a cancelled order (numbered `invoice_no`).
pub fn reverse(order: &Order, invoice_no: &str) -> Result<Command, PluginError> {
    let when = order.cancelled_at.as_deref().unwrap_or(&order.updated_at);
    let reason = order
        .cancel_reason
        .as_deref()
        .map(|reason| format!(" ({})", reason.to_lowercase()))
        .unwrap_or_default();
    Command::json(
        REVERSE,
        keys::reverse(&order.id),
        &json!({
            "invoice_no": invoice_no,
            "date": date(when)?.to_string(),
            "description": format!("Shopify order {} cancelled{reason}", order.name),
        }),
    )
}

/// `<order id>-<version>`: names one version of the order's invoice.
pub fn external_id(order: &Order, version: &str) -> String {
    format!("{}-{version}", order.id)
}

/// The version of the order's invoice: a hash of what the invoice is made of.
pub fn version(order: &Order) -> String {
    let taxes = |taxes: &[crate::entities::Tax]| -> Vec<Value> {
        taxes
            .iter()
            .map(|tax| {
                json!([
                    tax.title,
                    tax.rate.map(|rate| rate.normalize().to_string()),
                    money::cents_text(tax.amount)
                ])
            })
            .collect()
    };
    let lines: Vec<Value> = order
        .lines
        .iter()
        .map(|line| {
            json!([
                line.id,
                line.sku,
                line.quantity,
                money::cents_text(line.unit_price),
                money::cents_text(line.total_discount),
                money::cents_text(line.subtotal),
                money::cents_text(line.total_tax),
                taxes(&line.tax_lines)
            ])
        })
        .collect();
    let shipping: Vec<Value> = order
        .shipping_lines
        .iter()
        .map(|line| {
            json!([
                line.id,
                line.title,
                money::cents_text(line.price),
                money::cents_text(line.discounted_price),
                money::cents_text(line.total_tax)
            ])
        })
        .collect();
    keys::version(&json!({
        "order": order.id,
        "customer": order.customer_id,
        "currency": order.currency,
        "taxes_included": order.taxes_included,
        "date": order.processed_at.as_deref().unwrap_or(&order.created_at),
        "lines": lines,
        "shipping": shipping,
        "taxes": taxes(&order.tax_lines),
        "total": money::cents_text(order.total),
    }))
}
