//! The changes to the shop's data, made at a given time and announcing nothing: a customer or an
//! order added, an order edited, a refund recorded. [`ShopifySim`](super::ShopifySim)'s `create_*`
//! and `cancel_order` make them now and then fire their webhooks; its `seed_*` methods
//! ([`super::seed`]) make them in the shop's past and fire none.

use anyhow::{Context, anyhow, bail};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::model::{
    Customer, CustomerSpec, FinancialStatus, LineItem, Order, OrderSpec, OrderTransaction, Refund,
    RefundAdjustment, RefundLine, RefundShipping, RefundSpec, ShippingLine, TransactionKind,
    TransactionStatus, cents, taxes_on,
};
use super::{Store, bumped, payments};

impl Store {
    /// A customer created (and last updated) at `at`.
    pub(super) fn add_customer(&mut self, spec: CustomerSpec, at: DateTime<Utc>) -> Customer {
        let customer = Customer {
            id: self.id(),
            email: spec.email,
            first_name: spec.first_name,
            last_name: spec.last_name,
            tags: spec.tags,
            created_at: at,
            updated_at: at,
        };
        self.customers.insert(customer.id, customer.clone());
        customer
    }

    /// An order created at `spec.created_at`, else `now`: taxes and totals computed, and the
    /// transactions of its status (see [`payments`]). A `paid_amount` that does not fit the status
    /// errs.
    pub(super) fn add_order(
        &mut self,
        spec: OrderSpec,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Order> {
        let customer = match spec.customer_id {
            Some(id) => Some(
                self.customers
                    .get(&id)
                    .cloned()
                    .ok_or_else(|| anyhow!("no customer {id}"))?,
            ),
            None => None,
        };
        let line_items = spec
            .lines
            .into_iter()
            .map(|line| {
                let net = line.price * Decimal::from(line.quantity) - line.discount;
                LineItem {
                    id: self.id(),
                    sku: line.sku,
                    title: line.title,
                    variant_title: line.variant_title,
                    quantity: line.quantity,
                    price: line.price,
                    vendor: line.vendor,
                    product_type: line.product_type,
                    tax_lines: taxes_on(net, &line.taxes),
                    discount: line.discount,
                }
            })
            .collect();
        let shipping_lines = spec
            .shipping
            .into_iter()
            .map(|line| ShippingLine {
                id: self.id(),
                tax_lines: taxes_on(line.price, &line.taxes),
                title: line.title,
                price: line.price,
            })
            .collect();
        let created_at = spec.created_at.unwrap_or(now);
        let mut order = Order {
            id: self.id(),
            order_number: self.next_order_number,
            email: spec.email.or_else(|| {
                customer
                    .as_ref()
                    .and_then(|customer| customer.email.clone())
            }),
            created_at,
            updated_at: created_at,
            cancelled_at: None,
            cancel_reason: None,
            currency: spec.currency,
            financial_status: spec.financial_status,
            test: spec.test,
            customer,
            line_items,
            shipping_lines,
            tags: spec.tags,
            source_name: spec.source_name,
            gateway: spec.gateway,
            transactions: Vec::new(),
            refunds: Vec::new(),
        };
        order.transactions = payments::at_checkout(&order, spec.paid_amount, || self.id())?;
        self.next_order_number += 1;
        self.orders.insert(order.id, order.clone());
        Ok(order)
    }

    /// Changes order `id` with `edit` and moves its `updated_at` to `at` (at least a second on).
    pub(super) fn edit_order(
        &mut self,
        id: u64,
        at: DateTime<Utc>,
        edit: impl FnOnce(&mut Order),
    ) -> anyhow::Result<Order> {
        let order = self.order_mut(id)?;
        edit(order);
        order.updated_at = bumped(order.updated_at, at);
        Ok(order.clone())
    }

    /// Records a refund at `at`: lines (prorated subtotal and tax), shipping and an optional
    /// discrepancy, its `refund` transaction, and the order's new financial status. Returns the
    /// refund and the order as it now is.
    pub(super) fn add_refund(
        &mut self,
        order_id: u64,
        spec: RefundSpec,
        at: DateTime<Utc>,
    ) -> anyhow::Result<(Refund, Order)> {
        let order = self
            .orders
            .get(&order_id)
            .cloned()
            .ok_or_else(|| anyhow!("no order {order_id}"))?;
        let mut lines = Vec::new();
        for (line_item_id, quantity) in spec.lines {
            let line = order
                .line_items
                .iter()
                .find(|line| line.id == line_item_id)
                .ok_or_else(|| anyhow!("no line item {line_item_id}"))?;
            let refunded: u32 = order
                .refunds
                .iter()
                .flat_map(|refund| &refund.lines)
                .filter(|done| done.line_item_id == line_item_id)
                .map(|done| done.quantity)
                .sum();
            if quantity == 0 || refunded + quantity > line.quantity {
                bail!(
                    "cannot refund {quantity} of line {line_item_id}: {refunded} of {} already refunded",
                    line.quantity
                );
            }
            let share = Decimal::from(quantity) / Decimal::from(line.quantity);
            lines.push(RefundLine {
                id: self.id(),
                line_item_id,
                quantity,
                subtotal: cents(line.net() * share),
                total_tax: cents(line.tax() * share),
            });
        }
        let shipping = match spec.shipping {
            Some(amount) => {
                let line = order
                    .shipping_lines
                    .first()
                    .context("the order has no shipping line to refund")?;
                Some(RefundShipping {
                    id: self.id(),
                    shipping_line_id: line.id,
                    amount,
                })
            }
            None => None,
        };
        let adjustment = spec.adjustment.map(|amount| RefundAdjustment {
            id: self.id(),
            amount,
        });
        let refund = Refund {
            id: self.id(),
            order_id,
            created_at: at,
            note: spec.note,
            lines,
            shipping,
            adjustment,
            transaction_id: self.id(),
            gateway: order.gateway.clone(),
        };
        let order = self.edit_order(order_id, at, |order| {
            order.transactions.push(OrderTransaction {
                id: refund.transaction_id,
                kind: TransactionKind::Refund,
                status: TransactionStatus::Success,
                amount: refund.amount(),
                gateway: refund.gateway.clone(),
                processed_at: at,
            });
            order.refunds.push(refund.clone());
            order.financial_status = if order.total_refunded() >= order.total_price() {
                FinancialStatus::Refunded
            } else {
                FinancialStatus::PartiallyRefunded
            };
        })?;
        Ok((refund, order))
    }
}
