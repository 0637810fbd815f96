//! AR payments, legacy `create_arpayment` and the generic ARPYMT object: both become one payment
//! that debits the receiving account, credits AR and marks the invoices it pays Partially Paid or Paid.

use rust_decimal::Decimal;

use super::Outcome;
use crate::intacct::books::{Books, PostingDetail};
use crate::intacct::error::{FnResult, IntacctError};
use crate::intacct::ledger::{InvoiceState, Payment, PaymentApplication};
use crate::intacct::schema::{Rule, SchemaError, any, check_date, check_sequence, one, opt};
use crate::intacct::values::{
    amount, optional, parse_amount, required, required_legacy_date, us_date,
};
use crate::intacct::xml_tree::Element;

const PAYMENT: &[Rule] = &[
    one(&["customerid"]),
    one(&["paymentamount"]),
    opt(&["translatedamount"]),
    opt(&["batchkey", "bankaccountid", "undepfundsacct"]),
    opt(&["refid"]),
    opt(&["overpaylocid"]),
    opt(&["overpaydeptid"]),
    one(&["datereceived"]),
    one(&["paymentmethod"]),
    opt(&["basecurr"]),
    opt(&["currency"]),
    opt(&["exchratedate"]),
    opt(&["exchratetype", "exchrate"]),
    opt(&["cctype"]),
    opt(&["authcode"]),
    any(&["arpaymentitem"]),
    opt(&["onlinecardpayment"]),
    opt(&["onlineachpayment"]),
];

const PAYMENT_ITEM: &[Rule] = &[one(&["invoicekey"]), one(&["amount"])];

const METHODS: &[&str] = &[
    "Printed Check",
    "Cash",
    "EFT",
    "Credit Card",
    "Online Charge Card",
    "Online ACH Debit",
];

pub fn check(element: &Element) -> Result<(), SchemaError> {
    check_sequence(element, PAYMENT)?;
    for date in ["datereceived", "exchratedate"]
        .iter()
        .filter_map(|name| element.find(name))
    {
        check_date(date)?;
    }
    element
        .children
        .iter()
        .filter(|child| child.name == "arpaymentitem")
        .try_for_each(|item| check_sequence(item, PAYMENT_ITEM))
}

/// Where the money goes.
enum Destination {
    BankAccount(String),
    GlAccount(String),
    Batch(String),
    Default,
}

struct PaymentRequest {
    customer_id: String,
    amount: Decimal,
    destination: Destination,
    ref_id: Option<String>,
    received: chrono::NaiveDate,
    method: String,
    currency: Option<String>,
    items: Vec<(String, Decimal)>,
}

pub fn create_arpayment(
    books: &mut Books,
    element: &Element,
    controlid: &str,
) -> FnResult<Outcome> {
    let destination = match (
        element.text_of("bankaccountid"),
        element.text_of("undepfundsacct"),
        element.text_of("batchkey"),
    ) {
        (Some(bank), _, _) => Destination::BankAccount(bank.to_owned()),
        (_, Some(account), _) => Destination::GlAccount(account.to_owned()),
        (_, _, Some(batch)) => Destination::Batch(batch.to_owned()),
        _ => Destination::Default,
    };
    let items = element
        .children
        .iter()
        .filter(|child| child.name == "arpaymentitem")
        .map(|item| {
            Ok((
                required(item, "invoicekey")?.to_owned(),
                amount(item, "amount")?,
            ))
        })
        .collect::<FnResult<_>>()?;
    let request = PaymentRequest {
        customer_id: required(element, "customerid")?.to_owned(),
        amount: amount(element, "paymentamount")?,
        destination,
        ref_id: optional(element, "refid"),
        received: required_legacy_date(element, "datereceived")?,
        method: required(element, "paymentmethod")?.to_owned(),
        currency: optional(element, "currency"),
        items,
    };
    apply(books, controlid, request).map(Outcome::Key)
}

/// The generic ARPYMT object of `create`; its amount is the sum of its details.
pub fn create_arpymt(books: &mut Books, object: &Element, controlid: &str) -> FnResult<Element> {
    let destination = match (
        object.text_of("FINANCIALENTITY"),
        object.text_of("UNDEPOSITEDACCOUNTNO"),
    ) {
        (Some(bank), _) => Destination::BankAccount(bank.to_owned()),
        (None, Some(account)) => Destination::GlAccount(account.to_owned()),
        (None, None) => Destination::Default,
    };
    let details = object
        .find("ARPYMTDETAILS")
        .map(|list| list.children.as_slice())
        .unwrap_or_default();
    let items: Vec<(String, Decimal)> = details
        .iter()
        .map(|detail| {
            let text = required(detail, "TRX_PAYMENTAMOUNT")?;
            Ok((
                required(detail, "RECORDKEY")?.to_owned(),
                parse_amount(text, "TRX_PAYMENTAMOUNT")?,
            ))
        })
        .collect::<FnResult<_>>()?;
    let request = PaymentRequest {
        customer_id: required(object, "CUSTOMERID")?.to_owned(),
        amount: items.iter().map(|(_, amount)| *amount).sum(),
        destination,
        ref_id: optional(object, "DOCNUMBER"),
        received: us_date(object, "RECEIPTDATE")?,
        method: required(object, "PAYMENTMETHOD")?.to_owned(),
        currency: optional(object, "CURRENCY"),
        items,
    };
    let key = apply(books, controlid, request)?;
    Ok(Element::new("arpymt").with_leaf("RECORDNO", key))
}

fn apply(books: &mut Books, controlid: &str, request: PaymentRequest) -> FnResult<String> {
    books.customer(&request.customer_id)?;
    if !METHODS.contains(&request.method.as_str()) {
        let allowed = METHODS.join(", ");
        return Err(IntacctError::business(format!(
            "Invalid payment method '{}': use one of {allowed}.",
            request.method
        )));
    }
    if request.amount <= Decimal::ZERO {
        return Err(IntacctError::business(
            "The payment amount must be greater than zero.",
        ));
    }
    let applied_total: Decimal = request.items.iter().map(|(_, amount)| *amount).sum();
    if applied_total > request.amount {
        return Err(IntacctError::business(format!(
            "The amounts applied ({applied_total}) exceed the payment amount ({}).",
            request.amount
        )));
    }
    let (account, bank_account_id) = receiving_account(books, &request.destination)?;
    let mut applied = Vec::new();
    for (invoice_key, amount) in &request.items {
        pay_invoice(books, &request.customer_id, invoice_key, *amount)?;
        applied.push(PaymentApplication {
            invoice_key: invoice_key.clone(),
            amount: *amount,
        });
    }
    let key = books.next_key();
    let source = format!("ARPAYMENT {key}");
    let detail = PostingDetail {
        customer_id: Some(request.customer_id.clone()),
        ..PostingDetail::default()
    };
    let ar_account = books.config.ar_account.clone();
    books.post(
        &source,
        request.received,
        &account,
        request.amount,
        detail.clone(),
    );
    books.post(
        &source,
        request.received,
        &ar_account,
        -request.amount,
        detail,
    );
    books.payments.push(Payment {
        key: key.clone(),
        controlid: controlid.to_owned(),
        customer_id: request.customer_id,
        amount: request.amount,
        account,
        bank_account_id,
        received: request.received,
        method: request.method,
        ref_id: request.ref_id,
        currency: request
            .currency
            .unwrap_or_else(|| books.config.base_currency.clone()),
        applied,
        unapplied: request.amount - applied_total,
    });
    Ok(key)
}

fn receiving_account(
    books: &Books,
    destination: &Destination,
) -> FnResult<(String, Option<String>)> {
    let config = &books.config;
    let account = match destination {
        Destination::BankAccount(bank) => {
            let account = config.bank_accounts.get(bank).ok_or_else(|| {
                IntacctError::business(format!(
                    "Invalid bank account {bank}: no such checking account."
                ))
            })?;
            return Ok((account.clone(), Some(bank.clone())));
        }
        Destination::GlAccount(account) => account.clone(),
        Destination::Batch(batch) => {
            config.payment_batches.get(batch).cloned().ok_or_else(|| {
                IntacctError::business(format!("Invalid batch key {batch}: no such payment batch."))
            })?
        }
        Destination::Default => config.undeposited_funds_account.clone(),
    };
    books.check_account(&account)?;
    Ok((account, None))
}

fn pay_invoice(books: &mut Books, customer_id: &str, key: &str, amount: Decimal) -> FnResult<()> {
    let invoice = books.invoice_mut(key)?;
    if invoice.document.customer_id != customer_id {
        return Err(IntacctError::business(format!(
            "Invoice {key} does not belong to customer {customer_id}."
        )));
    }
    if !matches!(
        invoice.state,
        InvoiceState::Posted | InvoiceState::PartiallyPaid
    ) {
        return Err(IntacctError::business(format!(
            "Invoice {key} cannot be paid: it is {}.",
            invoice.state.label()
        )));
    }
    if amount <= Decimal::ZERO || amount > invoice.total_due() {
        return Err(IntacctError::business(format!(
            "Invalid amount {amount} for invoice {key}: the amount due is {}.",
            invoice.total_due()
        )));
    }
    invoice.total_paid += amount;
    invoice.state = if invoice.total_due().is_zero() {
        InvoiceState::Paid
    } else {
        InvoiceState::PartiallyPaid
    };
    Ok(())
}
