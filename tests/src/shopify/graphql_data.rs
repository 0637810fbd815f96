//! The full GraphQL Admin objects (Order, Refund, Customer, Shop, AppInstallation, …) built from the
//! stored data, before a query's selection is applied. Connections (lineItems, shippingLines, a
//! refund's refundLineItems, refundShippingLines, orderAdjustments and transactions, orders) are
//! marked with `{"__connection": [nodes]}` so the executor can page them; lists (an order's refunds
//! and transactions, taxLines, accessScopes) are plain arrays the executor cuts at `first`; money is
//! a `MoneyBag` of decimal strings.

use chrono::{DateTime, SecondsFormat, Utc};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::model::{Customer, LineItem, Order, OrderTransaction, Refund, ShippingLine, TaxLine};
use super::rest_json::{Rendering, decimal_number, money};

/// Marks `nodes` as a connection the executor pages.
pub fn connection(nodes: Vec<Value>) -> Value {
    json!({ "__connection": nodes })
}

/// GraphQL `DateTime`: RFC 3339 UTC with a `Z`.
fn time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn money_bag(amount: Decimal, currency: &str) -> Value {
    let money = json!({"__typename": "MoneyV2", "amount": money(amount), "currencyCode": currency});
    json!({"__typename": "MoneyBag", "shopMoney": money, "presentmentMoney": money})
}

fn tax_lines(taxes: &[TaxLine], currency: &str) -> Value {
    taxes
        .iter()
        .map(|tax| {
            json!({
                "__typename": "TaxLine",
                "title": tax.title,
                "rate": decimal_number(&tax.rate.normalize().to_string()),
                "ratePercentage": decimal_number(&(tax.rate * Decimal::ONE_HUNDRED).normalize().to_string()),
                "priceSet": money_bag(tax.price, currency),
            })
        })
        .collect()
}

pub fn customer_node(customer: &Customer, rendering: Rendering) -> Value {
    let personal = |value: &Option<String>| {
        if rendering.redact_customer {
            None
        } else {
            value.clone()
        }
    };
    let display_name = match (
        personal(&customer.first_name),
        personal(&customer.last_name),
    ) {
        (Some(first), Some(last)) => format!("{first} {last}"),
        (Some(name), None) | (None, Some(name)) => name,
        (None, None) => personal(&customer.email).unwrap_or_default(),
    };
    json!({
        "__typename": "Customer",
        "id": format!("gid://shopify/Customer/{}", customer.id),
        "legacyResourceId": customer.id.to_string(),
        "email": personal(&customer.email),
        "firstName": personal(&customer.first_name),
        "lastName": personal(&customer.last_name),
        "displayName": display_name,
        "tags": customer.tags,
        "createdAt": time(customer.created_at),
        "updatedAt": time(customer.updated_at),
    })
}

fn line_item_node(line: &LineItem, currency: &str) -> Value {
    let quantity = Decimal::from(line.quantity);
    let discounted_unit = if line.quantity == 0 {
        line.price
    } else {
        line.net() / quantity
    };
    json!({
        "__typename": "LineItem",
        "id": format!("gid://shopify/LineItem/{}", line.id),
        "sku": line.sku,
        "name": line.name(),
        "title": line.title,
        "variantTitle": line.variant_title,
        "quantity": line.quantity,
        "currentQuantity": line.quantity,
        "vendor": line.vendor,
        "product": line.product_type.as_ref().map(|product_type| json!({"__typename": "Product", "productType": product_type})),
        "taxable": !line.tax_lines.is_empty(),
        "originalUnitPriceSet": money_bag(line.price, currency),
        "discountedUnitPriceSet": money_bag(discounted_unit, currency),
        "originalTotalSet": money_bag(line.price * quantity, currency),
        "discountedTotalSet": money_bag(line.net(), currency),
        "totalDiscountSet": money_bag(line.discount, currency),
        "taxLines": tax_lines(&line.tax_lines, currency),
        "discountAllocations": if line.discount.is_zero() {
            json!([])
        } else {
            json!([{"__typename": "DiscountAllocation", "allocatedAmountSet": money_bag(line.discount, currency)}])
        },
    })
}

fn shipping_line_node(line: &ShippingLine, currency: &str) -> Value {
    json!({
        "__typename": "ShippingLine",
        "id": format!("gid://shopify/ShippingLine/{}", line.id),
        "title": line.title,
        "code": line.title,
        "originalPriceSet": money_bag(line.price, currency),
        "discountedPriceSet": money_bag(line.price, currency),
        "taxLines": tax_lines(&line.tax_lines, currency),
    })
}

fn refund_node(refund: &Refund, order: &Order) -> Value {
    let currency = order.currency.as_str();
    let lines = refund
        .lines
        .iter()
        .map(|line| {
            let item = order
                .line_items
                .iter()
                .find(|item| item.id == line.line_item_id);
            json!({
                "__typename": "RefundLineItem",
                "id": format!("gid://shopify/RefundLineItem/{}", line.id),
                "quantity": line.quantity,
                "restockType": "NO_RESTOCK",
                "lineItem": item.map(|item| line_item_node(item, currency)),
                "subtotalSet": money_bag(line.subtotal, currency),
                "totalTaxSet": money_bag(line.total_tax, currency),
            })
        })
        .collect();
    let shipping = refund
        .shipping
        .iter()
        .map(|shipping| {
            let line = order
                .shipping_lines
                .iter()
                .find(|line| line.id == shipping.shipping_line_id);
            json!({
                "__typename": "RefundShippingLine",
                "id": format!("gid://shopify/RefundShippingLine/{}", shipping.id),
                "shippingLine": line.map(|line| shipping_line_node(line, currency)),
                "subtotalAmountSet": money_bag(shipping.amount, currency),
                "taxAmountSet": money_bag(Decimal::ZERO, currency),
            })
        })
        .collect();
    // Signed as Shopify signs it: negative when more was refunded than the lines and shipping.
    let adjustments = refund
        .adjustment
        .iter()
        .map(|adjustment| {
            json!({
                "__typename": "OrderAdjustment",
                "id": format!("gid://shopify/OrderAdjustment/{}", adjustment.id),
                "reason": "REFUND_DISCREPANCY",
                "amountSet": money_bag(-adjustment.amount, currency),
                "taxAmountSet": money_bag(Decimal::ZERO, currency),
            })
        })
        .collect();
    let transactions = order
        .transactions
        .iter()
        .filter(|transaction| transaction.id == refund.transaction_id)
        .map(|transaction| transaction_node(transaction, order))
        .collect();
    json!({
        "__typename": "Refund",
        "id": format!("gid://shopify/Refund/{}", refund.id),
        "legacyResourceId": refund.id.to_string(),
        "createdAt": time(refund.created_at),
        "updatedAt": time(refund.created_at),
        "note": refund.note,
        "totalRefundedSet": money_bag(refund.amount(), currency),
        "refundLineItems": connection(lines),
        "refundShippingLines": connection(shipping),
        "orderAdjustments": connection(adjustments),
        "transactions": connection(transactions),
    })
}

/// The root `refund(id:)`: a refund with its whole `order` (the order's own `refunds` list leaves
/// `order` out, so the two never nest).
pub fn refund_root_node(refund: &Refund, order: &Order, rendering: Rendering) -> Value {
    let mut node = refund_node(refund, order);
    node["order"] = order_node(order, rendering);
    node
}

/// `currentAppInstallation`: the scopes granted to the app.
pub fn app_installation_node(scopes: &[String]) -> Value {
    let scopes: Vec<Value> = scopes
        .iter()
        .map(|handle| json!({"__typename": "AccessScope", "handle": handle}))
        .collect();
    json!({
        "__typename": "AppInstallation",
        "id": "gid://shopify/AppInstallation/1",
        "accessScopes": scopes,
    })
}

/// An `OrderTransaction`: kind and status in GraphQL's upper case (`SALE`, `SUCCESS`).
fn transaction_node(transaction: &OrderTransaction, order: &Order) -> Value {
    json!({
        "__typename": "OrderTransaction",
        "id": format!("gid://shopify/OrderTransaction/{}", transaction.id),
        "kind": transaction.kind.rest().to_uppercase(),
        "status": transaction.status.rest().to_uppercase(),
        "gateway": transaction.gateway,
        "processedAt": time(transaction.processed_at),
        "createdAt": time(transaction.processed_at),
        "test": order.test,
        "amountSet": money_bag(transaction.amount, &order.currency),
    })
}

pub fn order_node(order: &Order, rendering: Rendering) -> Value {
    let currency = order.currency.as_str();
    json!({
        "__typename": "Order",
        "id": order.gid(),
        "legacyResourceId": order.id.to_string(),
        "name": order.name(),
        "email": if rendering.redact_customer { None } else { order.email.clone() },
        "createdAt": time(order.created_at),
        "updatedAt": time(order.updated_at),
        "processedAt": time(order.created_at),
        "cancelledAt": order.cancelled_at.map(time),
        "cancelReason": order.cancel_reason.as_ref().map(|reason| reason.to_uppercase()),
        "currencyCode": currency,
        "presentmentCurrencyCode": currency,
        "displayFinancialStatus": order.financial_status.rest().to_uppercase(),
        "test": order.test,
        "tags": order.tags,
        "sourceName": order.source_name,
        "paymentGatewayNames": [order.gateway],
        "taxesIncluded": false,
        "subtotalPriceSet": money_bag(order.subtotal_price(), currency),
        "totalPriceSet": money_bag(order.total_price(), currency),
        "totalTaxSet": money_bag(order.total_tax(), currency),
        "totalDiscountsSet": money_bag(order.total_discounts(), currency),
        "totalShippingPriceSet": money_bag(order.total_shipping(), currency),
        "totalRefundedSet": money_bag(order.total_refunded(), currency),
        "currentTotalPriceSet": money_bag(order.total_price() - order.total_refunded(), currency),
        "totalReceivedSet": money_bag(order.total_received(), currency),
        "customer": order.customer.as_ref().map(|customer| customer_node(customer, rendering)),
        "lineItems": connection(order.line_items.iter().map(|line| line_item_node(line, currency)).collect()),
        "shippingLines": connection(order.shipping_lines.iter().map(|line| shipping_line_node(line, currency)).collect()),
        "taxLines": tax_lines(&order.tax_summary(), currency),
        "refunds": order.refunds.iter().map(|refund| refund_node(refund, order)).collect::<Vec<_>>(),
        "transactions": order.transactions.iter().map(|transaction| transaction_node(transaction, order)).collect::<Vec<_>>(),
    })
}

pub fn shop_node(name: &str, domain: &str, currency: &str) -> Value {
    json!({
        "__typename": "Shop",
        "id": "gid://shopify/Shop/1",
        "name": name,
        "myshopifyDomain": domain,
        "currencyCode": currency,
        "ianaTimezone": "UTC",
    })
}
