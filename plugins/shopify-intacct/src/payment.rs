//! The payments of an order (`intacct.create-payment`): one per transaction that received money
//! (a successful `sale` or `capture`, [`Transaction::received`]), whatever the order's status says:
//!
//! ```json
//! {"customer_id": "SH7012345678901", "amount": "20.00", "date": "2025-11-03",
//!  "payment_method": "Credit Card", "undeposited_funds_account": "1499",
//!  "ref_id": "#1001/5821001234567890150", "currency": "USD",
//!  "applications": [{"invoice_no": "SH1001", "external_id": "5821…-<version>", "amount": "20.00"}]}
//! ```
//!
//! - `amount`: the transaction's, in the order's currency (the shop's, as every amount of the
//!   entity), applied in full to the current version of the order's invoice, by its number and
//!   `external_id` (the connector looks it up: see the crate doc);
//! - `date`: the day the transaction was processed (UTC, as the connector gives it), but never
//!   before the invoice date: a payment dated before its invoice would be received on a day the
//!   invoice is not yet in AR, so that day's aging shows an unapplied credit next to no invoice;
//! - the account: the transaction's gateway looked up in `gateways` (case-insensitively, `*` as
//!   the fallback; a transaction without a gateway takes `*`); a gateway the config lacks is
//!   `Rejected` naming the key to add;
//! - `ref_id`: the order name and the transaction id.
//!
//! **Keys**: `…/order/<order id>/payment/<transaction id>`, so a partially paid order posts what it
//! received, a later capture posts itself, and a replay posts nothing twice. A payment applied to an
//! earlier version of the invoice stays with it.
//!
//! **More received than invoiced** (an order edited down after payment, a double capture) is held
//! for review: applied in full, the payments would exceed the invoice. A resolution's
//! `accept_totals` posts them all, each applied only up to what the invoice has left after the
//! ones before it; the rest stays unapplied, a credit on the customer's account.

use ml_connector_sdk::chrono::NaiveDate;
use ml_connector_sdk::money::{self, Decimal};
use ml_connector_sdk::{Command, PluginError};
use serde::Serialize;

use crate::config::config_error;
use crate::config::{Destination, Gateway};
use crate::context::OrderContext;
use crate::dates::date;
use crate::entities::Transaction;
use crate::invoice::Document;
use crate::keys;

pub const KIND: &str = "intacct.create-payment";

#[derive(Debug, Clone, Serialize)]
struct PaymentBody<'a> {
    customer_id: &'a str,
    amount: String,
    date: String,
    payment_method: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    bank_account_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    undeposited_funds_account: Option<&'a str>,
    ref_id: String,
    currency: &'a str,
    applications: Vec<Application<'a>>,
}

#[derive(Debug, Clone, Serialize)]
struct Application<'a> {
    invoice_no: &'a str,
    /// The invoice version it pays: after an edit, the old version may still be live.
    external_id: &'a str,
    amount: String,
}

/// The payments of the money the order received, applied to the invoice `document`.
pub fn commands(context: &OrderContext, document: &Document) -> Result<Vec<Command>, PluginError> {
    let order = context.order;
    let payments: Vec<&Transaction> = order.payments().collect();
    let received: Decimal = payments.iter().map(|payment| payment.amount).sum();
    if received > document.total && !context.resolution.accept_totals {
        return Err(PluginError::needs_review(format!(
            "order {}: {} {} was received but the invoice is {}; applied in full the payments \
             would exceed it. Settle it in Intacct and skip, or resolve with \
             {{\"accept_totals\": true}} to apply them up to the invoice and leave the rest \
             unapplied on the customer's account",
            order.name,
            money::cents_text(received),
            order.currency,
            money::cents_text(document.total)
        )));
    }
    let mut left = document.total.max(Decimal::ZERO);
    let mut commands = Vec::with_capacity(payments.len());
    for payment in payments {
        let applied = payment.amount.min(left);
        left -= applied;
        commands.push(command(context, document, payment, applied)?);
    }
    Ok(commands)
}

/// The payment of `transaction`, `applied` of it to the invoice.
fn command(
    context: &OrderContext,
    document: &Document,
    transaction: &Transaction,
    applied: Decimal,
) -> Result<Command, PluginError> {
    let order = context.order;
    let gateway = gateway(context, transaction)?;
    let (bank_account_id, undeposited_funds_account) = match &gateway.destination {
        Destination::BankAccount(bank) => (Some(bank.as_str()), None),
        Destination::UndepositedFunds(account) => (None, Some(account.as_str())),
    };
    let applications = match applied > Decimal::ZERO {
        true => vec![Application {
            invoice_no: &context.invoice_no,
            external_id: document.external_id(),
            amount: money::cents_text(applied),
        }],
        false => Vec::new(),
    };
    let body = PaymentBody {
        customer_id: &context.party.customer_id,
        amount: money::cents_text(transaction.amount),
        date: received_on(context.date, transaction)?.to_string(),
        payment_method: &gateway.payment_method,
        bank_account_id,
        undeposited_funds_account,
        ref_id: format!("{}/{}", order.name, transaction.id),
        currency: &order.currency,
        applications,
    };
    Command::json(KIND, keys::payment(&order.id, &transaction.id), &body)
}

/// The day `transaction` was processed, not before the invoice date.
fn received_on(
    invoice_date: NaiveDate,
    transaction: &Transaction,
) -> Result<NaiveDate, PluginError> {
    match transaction.processed_at.as_deref() {
        Some(time) => Ok(date(time)?.max(invoice_date)),
        None => Ok(invoice_date),
    }
}

/// The gateway settings of the transaction's gateway.
fn gateway<'a>(
    context: &OrderContext<'a>,
    transaction: &Transaction,
) -> Result<&'a Gateway, PluginError> {
    let config = context.config;
    let name = transaction
        .gateway
        .as_deref()
        .map(str::trim)
        .filter(|name| !name.is_empty());
    let found = match name {
        Some(name) => config.gateway(name),
        None => config.gateways.get("*"),
    };
    found.ok_or_else(|| {
        let order = &context.order.name;
        let message = match name {
            Some(name) => format!(
                "order {order} was paid through `{name}`, which has no entry: add `gateways.{}` \
                 (or `gateways.\"*\"` for every gateway not listed)",
                ml_connector_sdk::serde_json::Value::from(name.to_lowercase())
            ),
            None => format!(
                "order {order} was paid through no named gateway: add `gateways.\"*\"` for it"
            ),
        };
        config_error("gateways", message)
    })
}
