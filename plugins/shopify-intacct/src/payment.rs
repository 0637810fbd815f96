//! The payment of a paid order (`intacct.create-payment`):
//! `{"customer_id", "amount", "date", "payment_method", "bank_account_id" |
//! "undeposited_funds_account", "ref_id", "currency", "applications": [{"invoice_no",
//! "external_id", "amount"}]}` for the invoice total, in the order's currency, dated the invoice date, applied to the order's
//! invoice by its number (the connector looks it up: see the crate doc), with the order name as
//! the reference.
//!
//! **The account**: the order's payment gateways (`payment_gateways`) are looked up in `gateways`
//! (case-insensitively, `*` as the fallback). A gateway the config lacks is `Rejected` naming the
//! key to add. Gateways that post to different places are held for review: the entity does not say
//! how much each took (a resolution's `gateway` picks the one that takes it all).
//!
//! Keyed by the order alone: one payment per order, whatever version of the invoice it pays.

use ml_connector_sdk::money::Decimal;
use ml_connector_sdk::{Command, PluginError};
use serde::Serialize;

use crate::amount;
use crate::config::{Destination, Gateway};
use crate::invoice::Document;
use crate::json::config_error;
use crate::keys;
use crate::order::OrderContext;

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
    ref_id: &'a str,
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

/// The payment of the invoice `document` in full; `None` for a total of zero.
pub fn command(
    context: &OrderContext,
    document: &Document,
) -> Result<Option<Command>, PluginError> {
    let total = document.total;
    if total <= Decimal::ZERO {
        return Ok(None);
    }
    let gateway = gateway(context)?;
    let (bank_account_id, undeposited_funds_account) = match &gateway.destination {
        Destination::BankAccount(bank) => (Some(bank.as_str()), None),
        Destination::UndepositedFunds(account) => (None, Some(account.as_str())),
    };
    let order = context.order;
    let body = PaymentBody {
        customer_id: &context.party.customer_id,
        amount: amount::text(total),
        date: context.date.to_string(),
        payment_method: &gateway.payment_method,
        bank_account_id,
        undeposited_funds_account,
        ref_id: &order.name,
        currency: &order.currency,
        applications: vec![Application {
            invoice_no: &context.invoice_no,
            external_id: document.external_id(),
            amount: amount::text(total),
        }],
    };
    Command::json(KIND, keys::payment(&order.id), &body).map(Some)
}

/// The gateway settings the payment goes by.
fn gateway<'a>(context: &OrderContext<'a>) -> Result<&'a Gateway, PluginError> {
    let config = context.config;
    let order = context.order;
    let missing = |name: &str| {
        config_error(
            "gateways",
            format!(
                "order {} was paid through `{name}`, which has no entry: add `gateways.{}` (or \
                 `gateways.\"*\"` for every gateway not listed)",
                order.name,
                ml_connector_sdk::serde_json::Value::from(name.to_lowercase())
            ),
        )
    };
    if let Some(name) = &context.resolution.gateway {
        return config.gateway(name).ok_or_else(|| missing(name));
    }
    let names: Vec<&str> = order
        .payment_gateways
        .iter()
        .map(|name| name.trim())
        .filter(|name| !name.is_empty())
        .collect();
    if names.is_empty() {
        return config.gateways.get("*").ok_or_else(|| missing("(none)"));
    }
    let mut found: Vec<&Gateway> = Vec::new();
    for name in &names {
        let gateway = config.gateway(name).ok_or_else(|| missing(name))?;
        if !found.contains(&gateway) {
            found.push(gateway);
        }
    }
    match found.as_slice() {
        [gateway] => Ok(gateway),
        _ => Err(PluginError::needs_review(format!(
            "order {} was paid through {}, which post to different accounts, and the order does \
             not say how much each took; resolve with {{\"gateway\": \"<name>\"}} to post it all \
             through one",
            order.name,
            names.join(", ")
        ))),
    }
}
