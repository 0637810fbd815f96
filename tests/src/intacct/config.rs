//! What a simulated Intacct gateway knows before the first request: the web-services senders, the
//! companies (users, chart of accounts, dimensions, bank accounts, customers, sales orders), the
//! session timeout and the error number for a repeated controlid.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::clock::SimClock;

/// The error number the simulator answers for a function whose controlid already completed under
/// `uniqueid=true`. Intacct does not document its own, so this one is the simulator's choice; it is
/// distinct from every other number the simulator uses.
pub const DEFAULT_DUPLICATE_CONTROLID_ERRNO: &str = "XL03000050";

/// A web-services sender (integration partner) credential.
#[derive(Clone, Debug)]
pub struct SenderCredentials {
    pub sender_id: String,
    pub password: String,
}

/// A company user allowed to sign in through the API.
#[derive(Clone, Debug)]
pub struct UserCredentials {
    pub user_id: String,
    pub password: String,
}

/// A customer that exists before the first request.
#[derive(Clone, Debug)]
pub struct CustomerSeed {
    pub customer_id: String,
    pub name: String,
    pub email: Option<String>,
}

/// A sales order (SODOCUMENT) the connector can look up by DOCNO or PONUMBER.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct SalesOrder {
    /// RECORDNO; assigned by the simulator when the order is added.
    pub record_no: String,
    pub doc_no: String,
    pub po_number: Option<String>,
    pub customer_id: String,
    pub total: Decimal,
    pub date: NaiveDate,
    /// The transaction definition, `Sales Order` unless set otherwise.
    pub docpar_id: String,
    pub state: String,
    pub currency: String,
}

impl SalesOrder {
    /// A pending `Sales Order` in USD.
    pub fn new(
        doc_no: &str,
        po_number: Option<&str>,
        customer_id: &str,
        total: Decimal,
        date: NaiveDate,
    ) -> Self {
        Self {
            record_no: String::new(),
            doc_no: doc_no.to_owned(),
            po_number: po_number.map(str::to_owned),
            customer_id: customer_id.to_owned(),
            total,
            date,
            docpar_id: "Sales Order".to_owned(),
            state: "Pending".to_owned(),
            currency: "USD".to_owned(),
        }
    }
}

/// One company: its users, books and dimensions.
#[derive(Clone, Debug)]
pub struct CompanyConfig {
    pub company_id: String,
    pub users: Vec<UserCredentials>,
    pub base_currency: String,
    /// GL account number → title.
    pub accounts: BTreeMap<String, String>,
    /// The accounts-receivable account invoices debit (unless a line names an offset account).
    pub ar_account: String,
    /// Where payments go when they name no bank account, undeposited-funds account or batch.
    pub undeposited_funds_account: String,
    /// Checking account ID (`bankaccountid`, `FINANCIALENTITY`) → its GL account.
    pub bank_accounts: BTreeMap<String, String>,
    /// AR payment batch key (`batchkey`) → the GL account it deposits to.
    pub payment_batches: BTreeMap<String, String>,
    pub locations: Vec<String>,
    pub departments: Vec<String>,
    pub classes: Vec<String>,
    /// GL journal symbols GLBATCH may name.
    pub journals: Vec<String>,
    pub customers: Vec<CustomerSeed>,
    pub sales_orders: Vec<SalesOrder>,
}

/// The kinds of dimension a GL line may carry, each a list of ids in [`CompanyConfig`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DimensionKind {
    Location,
    Department,
    Class,
}

impl DimensionKind {
    /// `location`, `department` or `class`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Location => "location",
            Self::Department => "department",
            Self::Class => "class",
        }
    }
}

/// The whole simulated gateway.
#[derive(Clone, Debug)]
pub struct IntacctConfig {
    pub senders: Vec<SenderCredentials>,
    pub companies: Vec<CompanyConfig>,
    /// A session dies this long after its last call (sliding). Default 60 minutes.
    pub session_timeout: Duration,
    /// The errorno for a repeated controlid under `uniqueid=true`; see [`DEFAULT_DUPLICATE_CONTROLID_ERRNO`].
    pub duplicate_controlid_errno: String,
    pub clock: SimClock,
}

/// The demo sender ID.
pub const DEMO_SENDER_ID: &str = "mlconnector";
/// The demo sender password.
pub const DEMO_SENDER_PASSWORD: &str = "sender-secret";
/// The demo company ID.
pub const DEMO_COMPANY_ID: &str = "ml-demo";
/// The demo API user.
pub const DEMO_USER_ID: &str = "xml_gateway";
/// The demo API user's password.
pub const DEMO_USER_PASSWORD: &str = "user-secret";

impl IntacctConfig {
    /// One sender ([`DEMO_SENDER_ID`]) and one company ([`DEMO_COMPANY_ID`], see [`CompanyConfig::demo`])
    /// on the real clock, 60-minute sessions.
    pub fn demo() -> Self {
        Self {
            senders: vec![SenderCredentials {
                sender_id: DEMO_SENDER_ID.to_owned(),
                password: DEMO_SENDER_PASSWORD.to_owned(),
            }],
            companies: vec![CompanyConfig::demo(DEMO_COMPANY_ID)],
            session_timeout: Duration::minutes(60),
            duplicate_controlid_errno: DEFAULT_DUPLICATE_CONTROLID_ERRNO.to_owned(),
            clock: SimClock::real(),
        }
    }
}

impl CompanyConfig {
    /// Adds GL account `number` titled `title` to the chart; false when the chart has it already
    /// (its title is kept).
    pub fn add_account(&mut self, number: &str, title: &str) -> bool {
        if self.accounts.contains_key(number) {
            return false;
        }
        self.accounts.insert(number.to_owned(), title.to_owned());
        true
    }

    /// Adds dimension `id` of `kind`; false when the company has it already.
    pub fn add_dimension(&mut self, kind: DimensionKind, id: &str) -> bool {
        let ids = match kind {
            DimensionKind::Location => &mut self.locations,
            DimensionKind::Department => &mut self.departments,
            DimensionKind::Class => &mut self.classes,
        };
        if ids.iter().any(|known| known == id) {
            return false;
        }
        ids.push(id.to_owned());
        true
    }

    /// A ready company: user [`DEMO_USER_ID`], a retail chart of accounts (sales, shipping income,
    /// sales tax, discounts, AR 1200, bank 1010, undeposited funds 1499, freight by carrier 6100–6150,
    /// insurance 6160, surcharges 6170, accrued freight 2100), locations, departments, classes,
    /// bank account `BOA-CHK` (1010), customer `C-DEMO` and sales orders SO-1001…SO-1003.
    pub fn demo(company_id: &str) -> Self {
        let accounts = [
            ("1010", "Bank - Operating"),
            ("1200", "Accounts Receivable"),
            ("1499", "Undeposited Funds"),
            ("2100", "Accrued Freight"),
            ("2200", "Sales Tax Payable"),
            ("4000", "Sales"),
            ("4100", "Shipping Income"),
            ("4900", "Sales Discounts"),
            ("6100", "Freight - UPS"),
            ("6110", "Freight - FedEx"),
            ("6120", "Freight - USPS"),
            ("6130", "Freight - DHL"),
            ("6140", "Freight - Other carriers"),
            ("6150", "Freight - Fulfilment"),
            ("6160", "Shipping Insurance"),
            ("6170", "Carrier Surcharges"),
        ];
        let date = NaiveDate::from_ymd_opt(2025, 1, 10).expect("valid date");
        let order = |doc: &str, po: &str, total: i64| {
            SalesOrder::new(doc, Some(po), "C-DEMO", Decimal::new(total, 2), date)
        };
        Self {
            company_id: company_id.to_owned(),
            users: vec![UserCredentials {
                user_id: DEMO_USER_ID.to_owned(),
                password: DEMO_USER_PASSWORD.to_owned(),
            }],
            base_currency: "USD".to_owned(),
            accounts: accounts
                .iter()
                .map(|(number, title)| ((*number).to_owned(), (*title).to_owned()))
                .collect(),
            ar_account: "1200".to_owned(),
            undeposited_funds_account: "1499".to_owned(),
            bank_accounts: BTreeMap::from([("BOA-CHK".to_owned(), "1010".to_owned())]),
            payment_batches: BTreeMap::from([("1".to_owned(), "1499".to_owned())]),
            locations: strings(&["HQ", "WH-EAST", "WH-WEST"]),
            departments: strings(&["SALES", "OPS", "FIN"]),
            classes: strings(&["RETAIL", "WHOLESALE", "ONLINE"]),
            journals: strings(&["GJ", "SJ"]),
            customers: vec![CustomerSeed {
                customer_id: "C-DEMO".to_owned(),
                name: "Demo Customer".to_owned(),
                email: Some("demo@example.com".to_owned()),
            }],
            sales_orders: vec![
                order("SO-1001", "PO-1001", 12_500),
                order("SO-1002", "PO-1002", 4_999),
                order("SO-1003", "PO-O'Brien", 100_000),
            ],
        }
    }
}

fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|value| (*value).to_owned()).collect()
}
