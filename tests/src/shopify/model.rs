//! The shop's data as the simulator stores it (customers, orders, their transactions, refunds), the
//! specs tests create them from, and the money arithmetic: taxes and totals are computed in `Decimal`
//! and rounded to cents.

use chrono::{DateTime, Utc};
use rust_decimal::{Decimal, RoundingStrategy};

/// Rounds to cents, half away from zero.
pub fn cents(amount: Decimal) -> Decimal {
    amount.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

#[derive(Debug, Clone, PartialEq)]
pub struct Customer {
    pub id: u64,
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub tags: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What a test gives to create a customer.
#[derive(Debug, Clone, Default)]
pub struct CustomerSpec {
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TaxLine {
    pub title: String,
    pub rate: Decimal,
    pub price: Decimal,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LineItem {
    pub id: u64,
    pub sku: Option<String>,
    pub title: String,
    pub variant_title: Option<String>,
    pub quantity: u32,
    /// Unit price before discounts.
    pub price: Decimal,
    pub vendor: Option<String>,
    pub product_type: Option<String>,
    pub tax_lines: Vec<TaxLine>,
    /// Discount allocated to the whole line.
    pub discount: Decimal,
}

impl LineItem {
    /// `quantity × price − discount`.
    pub fn net(&self) -> Decimal {
        self.price * Decimal::from(self.quantity) - self.discount
    }

    pub fn tax(&self) -> Decimal {
        self.tax_lines.iter().map(|tax| tax.price).sum()
    }

    /// "Title - Variant" as Shopify names a line.
    pub fn name(&self) -> String {
        match &self.variant_title {
            Some(variant) => format!("{} - {variant}", self.title),
            None => self.title.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ShippingLine {
    pub id: u64,
    pub title: String,
    pub price: Decimal,
    pub tax_lines: Vec<TaxLine>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FinancialStatus {
    #[default]
    Pending,
    Authorized,
    Paid,
    PartiallyPaid,
    Refunded,
    PartiallyRefunded,
    Voided,
}

impl FinancialStatus {
    /// The REST spelling (`partially_refunded`).
    pub fn rest(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Authorized => "authorized",
            Self::Paid => "paid",
            Self::PartiallyPaid => "partially_paid",
            Self::Refunded => "refunded",
            Self::PartiallyRefunded => "partially_refunded",
            Self::Voided => "voided",
        }
    }
}

/// What an order transaction did, as Shopify names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransactionKind {
    /// Money held on the customer's card, not yet taken.
    Authorization,
    /// Money taken against an authorization.
    Capture,
    /// Money taken at once (authorization and capture together; also a manual payment).
    Sale,
    /// Money given back.
    Refund,
}

impl TransactionKind {
    /// The REST spelling (`sale`); GraphQL's is upper case.
    pub fn rest(self) -> &'static str {
        match self {
            Self::Authorization => "authorization",
            Self::Capture => "capture",
            Self::Sale => "sale",
            Self::Refund => "refund",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransactionStatus {
    Success,
    Failure,
    Pending,
}

impl TransactionStatus {
    /// The REST spelling (`success`); GraphQL's is upper case.
    pub fn rest(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Failure => "failure",
            Self::Pending => "pending",
        }
    }
}

/// A payment event of an order (Shopify's `OrderTransaction`), in the shop's currency.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderTransaction {
    pub id: u64,
    pub kind: TransactionKind,
    pub status: TransactionStatus,
    pub amount: Decimal,
    pub gateway: String,
    pub processed_at: DateTime<Utc>,
}

impl OrderTransaction {
    /// A successful sale or capture: money received from the customer.
    pub fn received(&self) -> bool {
        self.status == TransactionStatus::Success
            && matches!(self.kind, TransactionKind::Sale | TransactionKind::Capture)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct RefundLine {
    pub id: u64,
    pub line_item_id: u64,
    pub quantity: u32,
    pub subtotal: Decimal,
    pub total_tax: Decimal,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RefundShipping {
    pub id: u64,
    pub shipping_line_id: u64,
    pub amount: Decimal,
}

/// A refund discrepancy: `amount` positive when more was refunded than the lines and shipping.
#[derive(Debug, Clone, PartialEq)]
pub struct RefundAdjustment {
    pub id: u64,
    pub amount: Decimal,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Refund {
    pub id: u64,
    pub order_id: u64,
    pub created_at: DateTime<Utc>,
    pub note: Option<String>,
    pub lines: Vec<RefundLine>,
    pub shipping: Option<RefundShipping>,
    pub adjustment: Option<RefundAdjustment>,
    pub transaction_id: u64,
    pub gateway: String,
}

impl Refund {
    /// What the refund transaction paid back.
    pub fn amount(&self) -> Decimal {
        let lines: Decimal = self
            .lines
            .iter()
            .map(|line| line.subtotal + line.total_tax)
            .sum();
        lines
            + self
                .shipping
                .as_ref()
                .map_or(Decimal::ZERO, |shipping| shipping.amount)
            + self
                .adjustment
                .as_ref()
                .map_or(Decimal::ZERO, |adjustment| adjustment.amount)
    }
}

/// What a test gives to refund part of an order.
#[derive(Debug, Clone, Default)]
pub struct RefundSpec {
    /// (line item id, quantity) pairs.
    pub lines: Vec<(u64, u32)>,
    /// Shipping refunded (taken from the first shipping line).
    pub shipping: Option<Decimal>,
    pub note: Option<String>,
    /// A refund discrepancy added to the transaction.
    pub adjustment: Option<Decimal>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Order {
    pub id: u64,
    pub order_number: u64,
    pub email: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub cancel_reason: Option<String>,
    pub currency: String,
    pub financial_status: FinancialStatus,
    pub test: bool,
    pub customer: Option<Customer>,
    pub line_items: Vec<LineItem>,
    pub shipping_lines: Vec<ShippingLine>,
    pub tags: Vec<String>,
    pub source_name: String,
    pub gateway: String,
    /// Authorizations, sales, captures and refunds, oldest first.
    pub transactions: Vec<OrderTransaction>,
    pub refunds: Vec<Refund>,
}

impl Order {
    /// "#1001".
    pub fn name(&self) -> String {
        format!("#{}", self.order_number)
    }

    pub fn gid(&self) -> String {
        format!("gid://shopify/Order/{}", self.id)
    }

    /// Line items before discounts.
    pub fn total_line_items_price(&self) -> Decimal {
        self.line_items
            .iter()
            .map(|line| line.price * Decimal::from(line.quantity))
            .sum()
    }

    pub fn total_discounts(&self) -> Decimal {
        self.line_items.iter().map(|line| line.discount).sum()
    }

    /// Line items after discounts, before shipping and taxes.
    pub fn subtotal_price(&self) -> Decimal {
        self.total_line_items_price() - self.total_discounts()
    }

    pub fn total_shipping(&self) -> Decimal {
        self.shipping_lines.iter().map(|line| line.price).sum()
    }

    pub fn total_tax(&self) -> Decimal {
        let lines: Decimal = self.line_items.iter().map(LineItem::tax).sum();
        lines
            + self
                .shipping_lines
                .iter()
                .flat_map(|line| &line.tax_lines)
                .map(|tax| tax.price)
                .sum::<Decimal>()
    }

    pub fn total_price(&self) -> Decimal {
        self.subtotal_price() + self.total_shipping() + self.total_tax()
    }

    pub fn total_refunded(&self) -> Decimal {
        self.refunds.iter().map(Refund::amount).sum()
    }

    /// What the customer paid: the successful sales and captures (refunds not deducted).
    pub fn total_received(&self) -> Decimal {
        self.transactions
            .iter()
            .filter(|transaction| transaction.received())
            .map(|transaction| transaction.amount)
            .sum()
    }

    /// What is still to be paid of the total (never below zero).
    pub fn total_outstanding(&self) -> Decimal {
        (self.total_price() - self.total_received()).max(Decimal::ZERO)
    }

    /// Taxes summed by title and rate across lines and shipping, in first-seen order.
    pub fn tax_summary(&self) -> Vec<TaxLine> {
        let mut summary: Vec<TaxLine> = Vec::new();
        let all = self.line_items.iter().flat_map(|line| &line.tax_lines);
        for tax in all.chain(self.shipping_lines.iter().flat_map(|line| &line.tax_lines)) {
            match summary
                .iter_mut()
                .find(|seen| seen.title == tax.title && seen.rate == tax.rate)
            {
                Some(seen) => seen.price += tax.price,
                None => summary.push(tax.clone()),
            }
        }
        summary
    }
}

/// One tax applied to a line: title and rate (0.0825 for 8.25 %).
#[derive(Debug, Clone, PartialEq)]
pub struct TaxSpec {
    pub title: String,
    pub rate: Decimal,
}

/// A line of an order a test creates.
#[derive(Debug, Clone, PartialEq)]
pub struct LineSpec {
    pub sku: Option<String>,
    pub title: String,
    pub variant_title: Option<String>,
    pub quantity: u32,
    pub price: Decimal,
    pub vendor: Option<String>,
    pub product_type: Option<String>,
    pub taxes: Vec<TaxSpec>,
    pub discount: Decimal,
}

impl LineSpec {
    pub fn new(sku: &str, title: &str, quantity: u32, price: Decimal) -> Self {
        Self {
            sku: Some(sku.to_string()),
            title: title.to_string(),
            variant_title: None,
            quantity,
            price,
            vendor: None,
            product_type: None,
            taxes: Vec::new(),
            discount: Decimal::ZERO,
        }
    }

    /// Adds a tax charged on the discounted line.
    pub fn tax(mut self, title: &str, rate: Decimal) -> Self {
        self.taxes.push(TaxSpec {
            title: title.to_string(),
            rate,
        });
        self
    }

    /// Sets the discount allocated to the whole line.
    pub fn discount(mut self, amount: Decimal) -> Self {
        self.discount = amount;
        self
    }
}

/// A shipping line of an order a test creates.
#[derive(Debug, Clone, PartialEq)]
pub struct ShippingSpec {
    pub title: String,
    pub price: Decimal,
    pub taxes: Vec<TaxSpec>,
}

/// What a test gives to create an order. `Default` is an empty pending USD web order.
#[derive(Debug, Clone)]
pub struct OrderSpec {
    pub customer_id: Option<u64>,
    /// Defaults to the customer's email.
    pub email: Option<String>,
    pub currency: String,
    pub financial_status: FinancialStatus,
    pub test: bool,
    pub lines: Vec<LineSpec>,
    pub shipping: Vec<ShippingSpec>,
    pub tags: Vec<String>,
    pub source_name: String,
    pub gateway: String,
    /// What the customer paid at checkout, recorded as a successful `sale` on `gateway`: required
    /// for `PartiallyPaid` (more than zero, less than the total); for `Paid` it defaults to the
    /// total (and must be it); other statuses take none.
    pub paid_amount: Option<Decimal>,
    /// Defaults to the simulator clock's now.
    pub created_at: Option<DateTime<Utc>>,
}

impl Default for OrderSpec {
    fn default() -> Self {
        Self {
            customer_id: None,
            email: None,
            currency: "USD".to_string(),
            financial_status: FinancialStatus::Pending,
            test: false,
            lines: Vec::new(),
            shipping: Vec::new(),
            tags: Vec::new(),
            source_name: "web".to_string(),
            gateway: "shopify_payments".to_string(),
            paid_amount: None,
            created_at: None,
        }
    }
}

/// The tax lines of `taxes` charged on `base`.
pub fn taxes_on(base: Decimal, taxes: &[TaxSpec]) -> Vec<TaxLine> {
    taxes
        .iter()
        .map(|tax| TaxLine {
            title: tax.title.clone(),
            rate: tax.rate,
            price: cents(base * tax.rate),
        })
        .collect()
}
