//! The body of the `shopify.refund` entity, made from the `refunds/create` webhook body (the REST
//! Refund, kept as the event's payload) by [`from_webhook`], or from GraphQL's `refund(id:)` when
//! an event has no payload (a history's: [`crate::refund_graphql`]). GraphQL's `Order.refunds`
//! cannot serve: it is a list priced per refund times its line items, so a refund's lines cannot be
//! paged there, and it has no transactions or order adjustments; the root `refund(id:)` pages them
//! all. Both sources become [`RefundParts`], summed and written alike by [`RefundParts::body`], so
//! one refund is one body whichever way it came.
//!
//! Ids become strings from their JSON text, amounts decimal strings whether Shopify sent strings
//! or numbers (`subtotal` and `total_tax` of a refund line are numbers in current payloads, strings
//! in older ones), times RFC 3339 in UTC ([`crate::times`]: the webhook writes the shop's offset,
//! GraphQL UTC).

use ml_connector_sdk::PluginError;
use ml_connector_sdk::money::{self, Decimal};
use serde::Serialize;
use serde_json::Value;

use crate::{ids, times};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RefundBody {
    pub id: String,
    pub gid: String,
    pub order_id: String,
    pub created_at: Option<String>,
    pub processed_at: Option<String>,
    pub note: Option<String>,
    pub lines: Vec<RefundLineBody>,
    pub shipping: Vec<RefundShippingBody>,
    pub adjustments: Vec<AdjustmentBody>,
    pub transactions: Vec<TransactionBody>,
    /// Σ `lines[].subtotal`.
    pub subtotal: String,
    /// Σ `lines[].total_tax` + Σ `shipping[].tax`.
    pub total_tax: String,
    /// Σ `shipping[].amount`.
    pub total_shipping: String,
    /// Σ the `amount` of successful `refund` transactions: what went back to the customer.
    pub total: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RefundLineBody {
    pub id: String,
    pub line_item_id: String,
    pub quantity: u64,
    pub sku: Option<String>,
    pub name: Option<String>,
    pub subtotal: String,
    pub total_tax: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RefundShippingBody {
    pub id: Option<String>,
    pub shipping_line_id: Option<String>,
    pub amount: String,
    pub tax: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AdjustmentBody {
    pub id: Option<String>,
    pub kind: Option<String>,
    pub reason: Option<String>,
    pub amount: String,
    pub tax: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TransactionBody {
    pub id: Option<String>,
    pub kind: Option<String>,
    pub status: Option<String>,
    pub amount: String,
    pub currency: Option<String>,
    pub gateway: Option<String>,
    pub created_at: Option<String>,
}

/// What a refund is made of, as either source gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundParts {
    pub id: String,
    pub order_id: String,
    pub created_at: Option<String>,
    pub processed_at: Option<String>,
    pub note: Option<String>,
    pub lines: Vec<RefundLineBody>,
    pub shipping: Vec<RefundShippingBody>,
    pub adjustments: Vec<AdjustmentBody>,
    pub transactions: Vec<TransactionBody>,
}

impl RefundParts {
    /// The body: times in UTC, and the totals summed.
    pub fn body(self) -> Result<RefundBody, PluginError> {
        let mut transactions = self.transactions;
        for transaction in &mut transactions {
            transaction.created_at = utc(transaction.created_at.take(), "a transaction's time")?;
        }
        let refunded = transactions.iter().filter(|transaction| {
            transaction.kind.as_deref() == Some("refund")
                && transaction.status.as_deref() == Some("success")
        });
        let lines = self.lines;
        let shipping = self.shipping;
        Ok(RefundBody {
            gid: ids::gid("Refund", &self.id),
            id: self.id,
            order_id: self.order_id,
            created_at: utc(self.created_at, "the refund's created_at")?,
            processed_at: utc(self.processed_at, "the refund's processed_at")?,
            note: self.note,
            subtotal: total(lines.iter().map(|line| &line.subtotal))?,
            total_tax: total(
                lines
                    .iter()
                    .map(|line| &line.total_tax)
                    .chain(shipping.iter().map(|line| &line.tax)),
            )?,
            total_shipping: total(shipping.iter().map(|line| &line.amount))?,
            total: total(refunded.map(|transaction| &transaction.amount))?,
            lines,
            shipping,
            adjustments: self.adjustments,
            transactions,
        })
    }
}

/// The refund body from the webhook's REST Refund.
pub fn from_webhook(refund: &Value) -> Result<RefundBody, PluginError> {
    RefundParts {
        id: ids::of_rest(refund, "Refund").ok_or_else(|| missing("id"))?,
        order_id: order_id(refund)?,
        created_at: text(refund, "created_at"),
        processed_at: text(refund, "processed_at"),
        note: text(refund, "note"),
        lines: list(refund, "refund_line_items")
            .iter()
            .map(line)
            .collect::<Result<_, _>>()?,
        shipping: list(refund, "refund_shipping_lines")
            .iter()
            .map(shipping_line)
            .collect::<Result<_, _>>()?,
        adjustments: list(refund, "order_adjustments")
            .iter()
            .map(adjustment)
            .collect::<Result<_, _>>()?,
        transactions: list(refund, "transactions")
            .iter()
            .map(transaction)
            .collect::<Result<_, _>>()?,
    }
    .body()
}

/// The id of the refunded order.
pub fn order_id(refund: &Value) -> Result<String, PluginError> {
    refund
        .get("order_id")
        .and_then(ids::from_json)
        .ok_or_else(|| missing("order_id"))
}

fn line(line: &Value) -> Result<RefundLineBody, PluginError> {
    let item = line.get("line_item").unwrap_or(&Value::Null);
    Ok(RefundLineBody {
        id: id_of(line).ok_or_else(|| missing("refund_line_items[].id"))?,
        line_item_id: line
            .get("line_item_id")
            .and_then(ids::from_json)
            .or_else(|| id_of(item))
            .ok_or_else(|| missing("refund_line_items[].line_item_id"))?,
        quantity: line.get("quantity").and_then(Value::as_u64).unwrap_or(0),
        sku: text(item, "sku"),
        name: text(item, "name"),
        subtotal: amount(line, &["subtotal"])?,
        total_tax: amount(line, &["total_tax"])?,
    })
}

fn shipping_line(line: &Value) -> Result<RefundShippingBody, PluginError> {
    Ok(RefundShippingBody {
        id: id_of(line),
        shipping_line_id: line.get("shipping_line_id").and_then(ids::from_json),
        amount: amount(line, &["amount", "subtotal_amount_set"])?,
        tax: amount(line, &["tax_amount", "tax_amount_set"])?,
    })
}

fn adjustment(adjustment: &Value) -> Result<AdjustmentBody, PluginError> {
    Ok(AdjustmentBody {
        id: id_of(adjustment),
        kind: text(adjustment, "kind"),
        reason: text(adjustment, "reason"),
        amount: amount(adjustment, &["amount", "amount_set"])?,
        tax: amount(adjustment, &["tax_amount", "tax_amount_set"])?,
    })
}

fn transaction(transaction: &Value) -> Result<TransactionBody, PluginError> {
    Ok(TransactionBody {
        id: id_of(transaction),
        kind: text(transaction, "kind"),
        status: text(transaction, "status"),
        amount: amount(transaction, &["amount"])?,
        currency: text(transaction, "currency"),
        gateway: text(transaction, "gateway"),
        created_at: text(transaction, "created_at"),
    })
}

/// The first of `fields` present, as an amount: a string, a number, or a REST money set
/// (`{"shop_money": {"amount"}}`); absent is zero.
fn amount(value: &Value, fields: &[&str]) -> Result<String, PluginError> {
    let found = fields
        .iter()
        .filter_map(|field| value.get(*field))
        .find(|found| !found.is_null());
    let amount = match found {
        None => Decimal::new(0, 2),
        Some(Value::Object(set)) => money::from_json(
            set.get("shop_money")
                .and_then(|money| money.get("amount"))
                .unwrap_or(&Value::Null),
        )?,
        Some(found) => money::from_json(found)?,
    };
    Ok(amount.to_string())
}

/// A time as RFC 3339 in UTC.
fn utc(time: Option<String>, what: &str) -> Result<Option<String>, PluginError> {
    time.map(|time| times::parse(&time, what).map(times::text))
        .transpose()
}

fn total<'a>(amounts: impl Iterator<Item = &'a String>) -> Result<String, PluginError> {
    let mut sum = Decimal::new(0, 2);
    for amount in amounts {
        sum += money::parse(amount)?;
    }
    Ok(sum.to_string())
}

fn list<'a>(value: &'a Value, field: &str) -> &'a [Value] {
    value
        .get(field)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

fn id_of(value: &Value) -> Option<String> {
    value.get("id").and_then(ids::from_json)
}

fn text(value: &Value, field: &str) -> Option<String> {
    value.get(field).and_then(Value::as_str).map(String::from)
}

fn missing(field: &str) -> PluginError {
    PluginError::rejected(format!("the refunds/create payload has no `{field}`"))
}

#[cfg(test)]
pub(crate) mod tests {
    use serde_json::json;

    use super::*;

    /// A refund as the simulator's webhook sends it (line amounts as numbers).
    pub(crate) const WEBHOOK: &str = r#"{
        "id": 5821001234567890140, "admin_graphql_api_id": "gid://shopify/Refund/5821001234567890140",
        "order_id": 5821001234567890130, "created_at": "2025-11-04T10:00:00+00:00",
        "processed_at": "2025-11-04T10:00:00+00:00", "note": "damaged", "restock": false,
        "refund_line_items": [{"id": 5821001234567890138, "line_item_id": 5821001234567890128,
            "quantity": 1, "restock_type": "no_restock", "subtotal": 19.49, "total_tax": 1.42,
            "line_item": {"id": 5821001234567890128, "sku": "SKU-000", "name": "Widget"}}],
        "refund_shipping_lines": [{"id": 5821001234567890139, "shipping_line_id": 5821001234567890129,
            "amount": "5.00"}],
        "order_adjustments": [{"id": 5821001234567890141, "amount": "-0.50", "tax_amount": "0.00",
            "kind": "refund_discrepancy", "reason": "Refund discrepancy"}],
        "transactions": [{"id": 5821001234567890142, "kind": "refund", "status": "success",
            "amount": "26.41", "currency": "USD", "gateway": "shopify_payments",
            "created_at": "2025-11-04T10:00:00+00:00"}]
    }"#;

    #[test]
    fn a_refund_webhook_becomes_the_documented_body() {
        let refund: Value = serde_json::from_str(WEBHOOK).unwrap();
        let body = serde_json::to_value(from_webhook(&refund).unwrap()).unwrap();
        assert_eq!(body["id"], "5821001234567890140");
        assert_eq!(body["order_id"], "5821001234567890130");
        assert_eq!(
            body["created_at"], "2025-11-04T10:00:00Z",
            "in UTC, as GraphQL writes it"
        );
        assert_eq!(body["processed_at"], "2025-11-04T10:00:00Z");
        assert_eq!(
            body["transactions"][0]["created_at"],
            "2025-11-04T10:00:00Z"
        );
        assert_eq!(
            body["lines"],
            json!([{"id": "5821001234567890138", "line_item_id": "5821001234567890128",
                    "quantity": 1, "sku": "SKU-000", "name": "Widget",
                    "subtotal": "19.49", "total_tax": "1.42"}])
        );
        assert_eq!(
            body["shipping"],
            json!([{"id": "5821001234567890139", "shipping_line_id": "5821001234567890129",
                    "amount": "5.00", "tax": "0.00"}])
        );
        assert_eq!(body["adjustments"][0]["amount"], "-0.50");
        assert_eq!(body["transactions"][0]["amount"], "26.41");
        assert_eq!(
            (
                &body["subtotal"],
                &body["total_tax"],
                &body["total_shipping"],
                &body["total"]
            ),
            (
                &json!("19.49"),
                &json!("1.42"),
                &json!("5.00"),
                &json!("26.41")
            )
        );
    }

    #[test]
    fn legacy_string_amounts_and_money_sets_read_the_same() {
        let refund = json!({
            "id": "7", "order_id": "8",
            "refund_line_items": [{"id": 1, "line_item_id": 2, "quantity": 1,
                "subtotal": "19.49", "total_tax": "1.42"}],
            "refund_shipping_lines": [{"id": 3,
                "subtotal_amount_set": {"shop_money": {"amount": "5.00", "currency_code": "USD"}},
                "tax_amount_set": {"shop_money": {"amount": "0.40", "currency_code": "USD"}}}]
        });
        let body = from_webhook(&refund).unwrap();
        assert_eq!(body.lines[0].subtotal, "19.49");
        assert_eq!(body.shipping[0].amount, "5.00");
        assert_eq!(body.total_tax, "1.82");
        assert_eq!(body.total, "0.00");
        assert!(from_webhook(&json!({"id": 7})).is_err());
    }
}
