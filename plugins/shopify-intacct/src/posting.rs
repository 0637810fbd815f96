//! The lines of an invoice or a credit memo, as the intacct connector's `line` takes them
//! (`{"gl_account_no", "amount", "memo"?, "location_id"?, "department_id"?, "class_id"?}`), and
//! how an order line, a shipping line and taxes become lines. Shared by invoices (positive) and
//! credit memos (negative), so a refund credits exactly the accounts its sale was posted to.
//!
//! - **Products**: one line per order line, its revenue net of tax (in a shop whose prices
//!   include tax, the line's tax is taken out). With `accounts.discounts` set, the line posts
//!   before discounts and its discount follows as its own negative line on the discounts account
//!   (same dimensions), so revenue and discounts show apart; without it, the line posts net of
//!   its discount. In a tax-inclusive shop the discount line carries the discount as Shopify
//!   states it (tax included) and the revenue line is what makes the net right.
//! - **Shipping**: one line per shipping line, discounted likewise.
//! - **Tax**: one line per tax title and rate, on `tax_by_title[<title>]` else `tax`.
//! - Lines of zero are left out.

use ml_connector_sdk::PluginError;
use ml_connector_sdk::money::{self, Decimal};
use serde::Serialize;

use crate::entities::{Line, Tax};
use crate::rules::{OrderRules, Target};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DocLine {
    pub gl_account_no: String,
    pub amount: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memo: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub department_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class_id: Option<String>,
}

/// Lines being built, and their sum.
#[derive(Debug, Clone, Default)]
pub struct Lines {
    pub lines: Vec<DocLine>,
    pub total: Decimal,
}

impl Lines {
    /// Adds `amount` (rounded to cents) on `target`; zero adds nothing.
    pub fn push(&mut self, target: Target, amount: Decimal, memo: String) {
        let cents = money::round_cents(amount);
        if cents.is_zero() {
            return;
        }
        self.total += cents;
        self.lines.push(DocLine {
            gl_account_no: target.account,
            amount: money::cents_text(cents),
            memo: Some(memo),
            location_id: target.dimensions.location_id,
            department_id: target.dimensions.department_id,
            class_id: target.dimensions.class_id,
        });
    }
}

/// What a product or shipping amount is made of, as Shopify states it.
#[derive(Debug, Clone, Copy)]
pub struct Amounts {
    /// Before discounts.
    pub gross: Decimal,
    /// After discounts (tax included when the order's taxes are).
    pub subtotal: Decimal,
    /// The tax on it (or in it).
    pub tax: Decimal,
}

impl Amounts {
    fn split(self, taxes_included: bool) -> (Decimal, Decimal) {
        let net = match taxes_included {
            true => self.subtotal - self.tax,
            false => self.subtotal,
        };
        let discount = self.gross - self.subtotal;
        (net, discount)
    }
}

/// Posts `quantity` of `line`, times `sign` (1 for an invoice, −1 for a credit memo).
pub fn product(
    lines: &mut Lines,
    rules: &OrderRules,
    taxes_included: bool,
    line: &Line,
    quantity: u64,
    amounts: Amounts,
    sign: Decimal,
) {
    let (net, discount) = amounts.split(taxes_included);
    let memo = format!("{quantity} × {}", line.name);
    match rules.line_discount(line) {
        Some(target) if discount > Decimal::ZERO => {
            lines.push(rules.revenue(line), sign * (net + discount), memo);
            lines.push(target, -sign * discount, format!("Discount: {}", line.name));
        }
        _ => lines.push(rules.revenue(line), sign * net, memo),
    }
}

/// Posts a shipping amount titled `title`, times `sign`.
pub fn shipping(
    lines: &mut Lines,
    rules: &OrderRules,
    taxes_included: bool,
    title: &str,
    amounts: Amounts,
    sign: Decimal,
) {
    let (net, discount) = amounts.split(taxes_included);
    let memo = format!("Shipping: {title}");
    match rules.shipping_discount() {
        Some(target) if discount > Decimal::ZERO => {
            lines.push(rules.shipping(), sign * (net + discount), memo);
            lines.push(
                target,
                -sign * discount,
                format!("Discount: shipping {title}"),
            );
        }
        _ => lines.push(rules.shipping(), sign * net, memo),
    }
}

/// Taxes summed by title and rate, in the order they first appear.
#[derive(Debug, Clone, Default)]
pub struct Taxes(Vec<Tax>);

impl Taxes {
    pub fn add(&mut self, title: &str, rate: Option<Decimal>, amount: Decimal) {
        match self
            .0
            .iter_mut()
            .find(|tax| tax.title == title && tax.rate == rate)
        {
            Some(tax) => tax.amount += amount,
            None => self.0.push(Tax {
                title: title.to_owned(),
                rate,
                amount,
            }),
        }
    }

    /// `amount` of tax split over `taxes` in proportion to their amounts, to the cent and summing
    /// exactly, by the SDK's one rule ([`money::allocate`]); over tax lines that all have no
    /// amount, evenly; with no tax lines to go by, one untitled tax. A tax line of a negative
    /// amount is `Rejected`: nothing says what share of the tax it had.
    pub fn add_split(&mut self, amount: Decimal, taxes: &[Tax]) -> Result<(), PluginError> {
        if amount.is_zero() {
            return Ok(());
        }
        if taxes.is_empty() {
            self.add("", None, amount);
            return Ok(());
        }
        let mut weights: Vec<Decimal> = taxes.iter().map(|tax| tax.amount).collect();
        if weights.iter().all(Decimal::is_zero) {
            weights.fill(Decimal::ONE);
        }
        let shares = money::allocate(amount, &weights).map_err(|error| {
            PluginError::rejected(format!(
                "the tax of {} over its tax lines: {error}",
                money::cents_text(amount)
            ))
        })?;
        for (tax, share) in taxes.iter().zip(shares) {
            self.add(&tax.title, tax.rate, share);
        }
        Ok(())
    }

    /// One line per tax, times `sign`.
    pub fn post(self, lines: &mut Lines, rules: &OrderRules, sign: Decimal) {
        for tax in self.0 {
            let memo = match (tax.title.as_str(), tax.rate) {
                ("", _) => "Tax".to_owned(),
                (title, Some(rate)) => {
                    let percent = (rate * Decimal::ONE_HUNDRED).normalize();
                    format!("{title} {percent}%")
                }
                (title, None) => title.to_owned(),
            };
            lines.push(rules.tax(&tax.title), sign * tax.amount, memo);
        }
    }
}
