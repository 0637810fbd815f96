//! Books for the simulator's unit tests: the demo company, filled by running the gateway's own
//! functions on XML as a request would (invoices, adjustments, payments, GL batches), and any
//! function run on it with its result or failure.

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

use super::books::Books;
use super::config::CompanyConfig;
use super::error::FnResult;
use super::functions::{self, Kind, Outcome};
use super::xml_tree::Element;

pub fn money(text: &str) -> Decimal {
    text.parse().expect("an amount")
}

/// The demo company's books and the functions run on them.
pub struct DemoBooks {
    pub books: Books,
    functions_run: usize,
}

impl DemoBooks {
    pub fn new() -> Self {
        Self {
            books: Books::new(CompanyConfig::demo("ml-test")),
            functions_run: 0,
        }
    }

    /// Runs the function `xml` (its root names it) under a new controlid.
    pub fn run(&mut self, xml: &str) -> FnResult<Outcome> {
        let element = Element::parse(xml.as_bytes()).expect("well-formed XML");
        let kind = Kind::from_name(&element.name).expect("a function the gateway knows");
        self.functions_run += 1;
        let controlid = format!("test-{}", self.functions_run);
        functions::run(kind, &mut self.books, &element, &controlid)
    }

    /// Runs a query and returns its `<data>`.
    pub fn read(&mut self, xml: &str) -> FnResult<Element> {
        match self.run(xml)? {
            Outcome::Data(data) => Ok(data),
            Outcome::Key(key) => panic!("a query answered a key {key}"),
        }
    }

    /// Runs a function that must succeed and returns its key.
    fn create(&mut self, xml: &str) -> String {
        match self.run(xml) {
            Ok(Outcome::Key(key)) => key,
            Ok(Outcome::Data(data)) => data.children[0]
                .text_of("RECORDNO")
                .expect("a RECORDNO")
                .to_owned(),
            Err(error) => panic!("{xml}: {}", error.description2),
        }
    }

    /// A posted invoice numbered `number` for C-DEMO: one sales line of `amount`.
    pub fn invoice(&mut self, number: &str, date: NaiveDate, amount: &str) -> String {
        self.create(&format!(
            "<create_invoice><customerid>C-DEMO</customerid>{}<invoiceno>{number}</invoiceno>\
             <invoiceitems><lineitem><glaccountno>4000</glaccountno><amount>{amount}</amount>\
             </lineitem></invoiceitems></create_invoice>",
            legacy_date("datecreated", date)
        ))
    }

    /// A posted adjustment numbered `number` for C-DEMO (a credit memo when `amount` is negative).
    pub fn adjustment(&mut self, number: &str, date: NaiveDate, amount: &str) -> String {
        self.create(&format!(
            "<create_aradjustment><customerid>C-DEMO</customerid>{}<adjustmentno>{number}\
             </adjustmentno><aradjustmentitems><lineitem><glaccountno>4000</glaccountno>\
             <amount>{amount}</amount></lineitem></aradjustmentitems></create_aradjustment>",
            legacy_date("datecreated", date)
        ))
    }

    /// A card payment of `amount` by C-DEMO into BOA-CHK, all of it applied to `invoice_key`.
    pub fn payment(&mut self, invoice_key: &str, date: NaiveDate, amount: &str) -> String {
        self.create(&format!(
            "<create_arpayment><customerid>C-DEMO</customerid><paymentamount>{amount}\
             </paymentamount><bankaccountid>BOA-CHK</bankaccountid><refid>ch_{invoice_key}</refid>\
             {}<paymentmethod>Credit Card</paymentmethod><arpaymentitem><invoicekey>{invoice_key}\
             </invoicekey><amount>{amount}</amount></arpaymentitem></create_arpayment>",
            legacy_date("datereceived", date)
        ))
    }

    /// A posted GJ batch: freight 6100 debited `amount`, accrued freight 2100 credited.
    pub fn gl_batch(&mut self, date: NaiveDate, amount: &str) -> String {
        let entry = |account: &str, tr_type: &str| {
            format!(
                "<GLENTRY><ACCOUNTNO>{account}</ACCOUNTNO><TR_TYPE>{tr_type}</TR_TYPE>\
                 <TRX_AMOUNT>{amount}</TRX_AMOUNT></GLENTRY>"
            )
        };
        self.create(&format!(
            "<create><GLBATCH><JOURNAL>GJ</JOURNAL><BATCH_DATE>{}</BATCH_DATE>\
             <BATCH_TITLE>Labels</BATCH_TITLE><REFERENCENO>SO-1001</REFERENCENO><ENTRIES>{}{}\
             </ENTRIES></GLBATCH></create>",
            date.format("%m/%d/%Y"),
            entry("6100", "1"),
            entry("2100", "-1")
        ))
    }
}

fn legacy_date(name: &str, date: NaiveDate) -> String {
    format!(
        "<{name}><year>{}</year><month>{}</month><day>{}</day></{name}>",
        date.year(),
        date.month(),
        date.day()
    )
}
