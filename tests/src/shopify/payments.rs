//! Money received on orders, as Shopify records it: transactions. An order created `Paid` has a
//! successful `sale` of its total on its gateway, `PartiallyPaid` a sale of
//! `OrderSpec.paid_amount`, `Authorized` a successful `authorization` of the total. A later payment
//! ([`ShopifySim::capture_payment`], [`ShopifySim::mark_paid`]) is a `capture` when the order holds
//! an authorization, else a `sale`; it makes the order `PartiallyPaid`, or `Paid` once the received
//! total reaches the order total, and fires `orders/updated`, preceded by `orders/paid` when the
//! order became paid in full. Refund transactions are recorded by `create_refund`.

use anyhow::{anyhow, bail};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::model::{FinancialStatus, Order, OrderTransaction, TransactionKind, TransactionStatus};
use super::{ShopifySim, bumped, rest_json};

/// The transactions of an order at checkout, by the status it was created with; `next_id` hands
/// out their ids.
pub(super) fn at_checkout(
    order: &Order,
    paid_amount: Option<Decimal>,
    mut next_id: impl FnMut() -> u64,
) -> anyhow::Result<Vec<OrderTransaction>> {
    let total = order.total_price();
    let at = order.created_at;
    let one = |kind, amount, id| transaction(id, kind, amount, &order.gateway, at);
    let status = order.financial_status;
    match (status, paid_amount) {
        (FinancialStatus::Paid, amount) if amount.is_none_or(|amount| amount == total) => {
            Ok(positive(total).map(|total| one(TransactionKind::Sale, total, next_id())))
        }
        (FinancialStatus::PartiallyPaid, Some(amount))
            if amount > Decimal::ZERO && amount < total =>
        {
            Ok(Some(one(TransactionKind::Sale, amount, next_id())))
        }
        (FinancialStatus::Authorized, None) => {
            Ok(positive(total).map(|total| one(TransactionKind::Authorization, total, next_id())))
        }
        (FinancialStatus::PartiallyPaid, _) => bail!(
            "a partially paid order needs a `paid_amount` above zero and below its total {total}"
        ),
        (FinancialStatus::Paid, Some(amount)) => {
            bail!("a paid order is paid its total {total}, not {amount}: use PartiallyPaid")
        }
        (_, Some(amount)) => bail!(
            "an order created {} pays nothing at checkout, not {amount}",
            status.rest()
        ),
        (_, None) => Ok(None),
    }
    .map(|transaction| transaction.into_iter().collect())
}

fn positive(amount: Decimal) -> Option<Decimal> {
    (amount > Decimal::ZERO).then_some(amount)
}

fn transaction(
    id: u64,
    kind: TransactionKind,
    amount: Decimal,
    gateway: &str,
    processed_at: DateTime<Utc>,
) -> OrderTransaction {
    OrderTransaction {
        id,
        kind,
        status: TransactionStatus::Success,
        amount,
        gateway: gateway.to_string(),
        processed_at,
    }
}

impl ShopifySim {
    /// Records a successful payment of `amount` (above zero, at most what is outstanding) on the
    /// order's gateway: a `capture` of its authorization, else a `sale`. The order becomes
    /// `PartiallyPaid`, or `Paid` when nothing is left outstanding; fires `orders/paid` (when now
    /// paid in full) and `orders/updated`.
    pub fn capture_payment(&self, id: u64, amount: Decimal) -> anyhow::Result<Order> {
        self.receive(id, Some(amount))
    }

    /// Records a payment of what is outstanding (as [`Self::capture_payment`]; nothing when the
    /// order owes nothing) and marks the order `Paid`; fires `orders/paid` and `orders/updated`.
    pub fn mark_paid(&self, id: u64) -> anyhow::Result<Order> {
        self.receive(id, None)
    }

    /// A payment of `amount`, or of what is outstanding.
    fn receive(&self, id: u64, amount: Option<Decimal>) -> anyhow::Result<Order> {
        let now = self.clock().now();
        let mut store = self.store();
        let transaction_id = store.id();
        let order = store.order_mut(id)?;
        let outstanding = order.total_outstanding();
        let amount = amount.unwrap_or(outstanding);
        if amount < Decimal::ZERO
            || amount > outstanding
            || (amount.is_zero() && !outstanding.is_zero())
        {
            return Err(anyhow!(
                "cannot take {amount} on order {}: {outstanding} is outstanding",
                order.name()
            ));
        }
        if !amount.is_zero() {
            let authorized = order.transactions.iter().any(|transaction| {
                transaction.kind == TransactionKind::Authorization
                    && transaction.status == TransactionStatus::Success
            });
            let kind = if authorized {
                TransactionKind::Capture
            } else {
                TransactionKind::Sale
            };
            let gateway = order.gateway.clone();
            order
                .transactions
                .push(transaction(transaction_id, kind, amount, &gateway, now));
        }
        let paid = order.total_outstanding().is_zero();
        order.financial_status = if paid {
            FinancialStatus::Paid
        } else {
            FinancialStatus::PartiallyPaid
        };
        order.updated_at = bumped(order.updated_at, now);
        let order = order.clone();
        let body = rest_json::order_json(&order, store.rendering);
        let topics: &[&str] = if paid {
            &["orders/paid", "orders/updated"]
        } else {
            &["orders/updated"]
        };
        self.emit(&mut store, topics, &body);
        Ok(order)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn order(status: FinancialStatus) -> Order {
        let at = Utc.with_ymd_and_hms(2025, 11, 3, 15, 0, 0).unwrap();
        Order {
            id: 1,
            order_number: 1001,
            email: None,
            created_at: at,
            updated_at: at,
            cancelled_at: None,
            cancel_reason: None,
            currency: "USD".into(),
            financial_status: status,
            test: false,
            customer: None,
            line_items: Vec::new(),
            shipping_lines: vec![super::super::model::ShippingLine {
                id: 2,
                title: "Standard".into(),
                price: Decimal::new(1000, 2),
                tax_lines: Vec::new(),
            }],
            tags: Vec::new(),
            source_name: "web".into(),
            gateway: "paypal".into(),
            transactions: Vec::new(),
            refunds: Vec::new(),
        }
    }

    #[test]
    fn checkout_records_what_the_status_says_was_paid() {
        let ids = || 7;
        let paid = at_checkout(&order(FinancialStatus::Paid), None, ids).unwrap();
        assert_eq!(paid.len(), 1);
        assert_eq!(paid[0].kind, TransactionKind::Sale);
        assert_eq!(paid[0].amount, Decimal::new(1000, 2));
        assert_eq!(paid[0].gateway, "paypal");
        assert!(paid[0].received());

        let partial = at_checkout(
            &order(FinancialStatus::PartiallyPaid),
            Some(Decimal::new(400, 2)),
            ids,
        )
        .unwrap();
        assert_eq!(partial[0].amount, Decimal::new(400, 2));

        let held = at_checkout(&order(FinancialStatus::Authorized), None, ids).unwrap();
        assert_eq!(held[0].kind, TransactionKind::Authorization);
        assert!(!held[0].received());

        assert!(
            at_checkout(&order(FinancialStatus::Pending), None, ids)
                .unwrap()
                .is_empty()
        );
        assert!(at_checkout(&order(FinancialStatus::PartiallyPaid), None, ids).is_err());
        assert!(at_checkout(&order(FinancialStatus::Pending), Some(Decimal::ONE), ids).is_err());
    }
}
