//! The REST JSON of orders, customers and refunds as Shopify sends them in webhook bodies: ids as JSON
//! numbers (beyond 2^53), money as decimal strings (refund line subtotals as numbers), RFC 3339 times.

use chrono::{DateTime, SecondsFormat, Utc};
use rust_decimal::Decimal;
use serde_json::{Value, json};

pub use crate::json_decimal::number as decimal_number;

use super::model::{Customer, LineItem, Order, Refund, ShippingLine, TaxLine};

/// How personal data and legacy number formats are rendered.
#[derive(Debug, Clone, Copy, Default)]
pub struct Rendering {
    /// Customer name and email are null (app without protected-data approval).
    pub redact_customer: bool,
    /// Refund line `subtotal`/`total_tax` as strings, as older payloads had them.
    pub legacy_refund_strings: bool,
}

/// "12.30".
pub fn money(amount: Decimal) -> String {
    format!("{amount:.2}")
}

/// 12.30 as a JSON number, digits kept exactly.
pub fn money_number(amount: Decimal) -> Value {
    decimal_number(&money(amount))
}

/// Shopify's REST time format: seconds and the shop's offset (UTC here).
pub fn time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, false)
}

fn tax_lines(taxes: &[TaxLine]) -> Value {
    taxes
        .iter()
        .map(|tax| json!({"title": tax.title, "price": money(tax.price), "rate": decimal_number(&tax.rate.normalize().to_string())}))
        .collect()
}

pub fn customer_json(customer: &Customer, rendering: Rendering) -> Value {
    let personal = |value: &Option<String>| {
        if rendering.redact_customer {
            None
        } else {
            value.clone()
        }
    };
    json!({
        "id": customer.id,
        "admin_graphql_api_id": format!("gid://shopify/Customer/{}", customer.id),
        "email": personal(&customer.email),
        "first_name": personal(&customer.first_name),
        "last_name": personal(&customer.last_name),
        "tags": customer.tags.join(", "),
        "created_at": time(customer.created_at),
        "updated_at": time(customer.updated_at),
    })
}

fn line_item_json(line: &LineItem) -> Value {
    json!({
        "id": line.id,
        "admin_graphql_api_id": format!("gid://shopify/LineItem/{}", line.id),
        "sku": line.sku,
        "name": line.name(),
        "title": line.title,
        "variant_title": line.variant_title,
        "quantity": line.quantity,
        "current_quantity": line.quantity,
        "price": money(line.price),
        "total_discount": money(line.discount),
        "vendor": line.vendor,
        "product_type": line.product_type,
        "taxable": !line.tax_lines.is_empty(),
        "tax_lines": tax_lines(&line.tax_lines),
        "discount_allocations": if line.discount.is_zero() {
            json!([])
        } else {
            json!([{"amount": money(line.discount), "discount_application_index": 0}])
        },
    })
}

fn shipping_line_json(line: &ShippingLine) -> Value {
    json!({
        "id": line.id,
        "title": line.title,
        "code": line.title,
        "price": money(line.price),
        "discounted_price": money(line.price),
        "tax_lines": tax_lines(&line.tax_lines),
    })
}

pub fn order_json(order: &Order, rendering: Rendering) -> Value {
    json!({
        "id": order.id,
        "admin_graphql_api_id": order.gid(),
        "name": order.name(),
        "order_number": order.order_number,
        "number": order.order_number - 1000,
        "email": if rendering.redact_customer { None } else { order.email.clone() },
        "created_at": time(order.created_at),
        "updated_at": time(order.updated_at),
        "processed_at": time(order.created_at),
        "cancelled_at": order.cancelled_at.map(time),
        "cancel_reason": order.cancel_reason,
        "currency": order.currency,
        "presentment_currency": order.currency,
        "financial_status": order.financial_status.rest(),
        "fulfillment_status": Value::Null,
        "total_price": money(order.total_price()),
        "subtotal_price": money(order.subtotal_price()),
        "total_line_items_price": money(order.total_line_items_price()),
        "total_tax": money(order.total_tax()),
        "total_discounts": money(order.total_discounts()),
        "taxes_included": false,
        "test": order.test,
        "customer": order.customer.as_ref().map(|customer| customer_json(customer, rendering)),
        "line_items": order.line_items.iter().map(line_item_json).collect::<Vec<_>>(),
        "shipping_lines": order.shipping_lines.iter().map(shipping_line_json).collect::<Vec<_>>(),
        "tax_lines": tax_lines(&order.tax_summary()),
        "tags": order.tags.join(", "),
        "source_name": order.source_name,
        "payment_gateway_names": [order.gateway],
        "refunds": order.refunds.iter().map(|refund| refund_json(refund, order, rendering)).collect::<Vec<_>>(),
    })
}

pub fn refund_json(refund: &Refund, order: &Order, rendering: Rendering) -> Value {
    let amount = |value: Decimal| {
        if rendering.legacy_refund_strings {
            Value::String(money(value))
        } else {
            money_number(value)
        }
    };
    let lines: Vec<Value> = refund
        .lines
        .iter()
        .map(|line| {
            let item = order
                .line_items
                .iter()
                .find(|item| item.id == line.line_item_id);
            json!({
                "id": line.id,
                "line_item_id": line.line_item_id,
                "quantity": line.quantity,
                "restock_type": "no_restock",
                "subtotal": amount(line.subtotal),
                "total_tax": amount(line.total_tax),
                "line_item": item.map(line_item_json),
            })
        })
        .collect();
    let shipping: Vec<Value> = refund
        .shipping
        .iter()
        .map(|shipping| json!({"id": shipping.id, "shipping_line_id": shipping.shipping_line_id, "amount": money(shipping.amount)}))
        .collect();
    let adjustments: Vec<Value> = refund
        .adjustment
        .iter()
        .map(|adjustment| {
            json!({
                "id": adjustment.id,
                "order_id": refund.order_id,
                "refund_id": refund.id,
                "amount": money(-adjustment.amount),
                "tax_amount": "0.00",
                "kind": "refund_discrepancy",
                "reason": "Refund discrepancy",
            })
        })
        .collect();
    json!({
        "id": refund.id,
        "admin_graphql_api_id": format!("gid://shopify/Refund/{}", refund.id),
        "order_id": refund.order_id,
        "created_at": time(refund.created_at),
        "processed_at": time(refund.created_at),
        "note": refund.note,
        "restock": false,
        "refund_line_items": lines,
        "refund_shipping_lines": shipping,
        "order_adjustments": adjustments,
        "transactions": [{
            "id": refund.transaction_id,
            "order_id": refund.order_id,
            "kind": "refund",
            "status": "success",
            "amount": money(refund.amount()),
            "currency": order.currency,
            "gateway": refund.gateway,
            "created_at": time(refund.created_at),
        }],
    })
}
