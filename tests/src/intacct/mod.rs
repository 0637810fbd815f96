//! A simulated Sage Intacct XML gateway: `POST /ia/xml/xmlgw.phtml` with Intacct's request and
//! response documents, login and `getAPISession` sessions (sliding expiry on the simulator's clock),
//! uniqueid duplicate guarding, transactions, AR invoices, adjustments, reversals, payments, GL
//! batches, customers and sales-order look-ups, per company. `GET /ledger?company=ID` shows a
//! company's books as JSON. See `IntacctConfig::demo` for a ready company.

mod books;
mod config;
mod error;
mod functions;
mod gateway;
mod ledger;
mod schema;
mod session;
mod values;
mod xml_request;
mod xml_response;
mod xml_tree;

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

pub use config::{
    CompanyConfig, CustomerSeed, DEFAULT_DUPLICATE_CONTROLID_ERRNO, DEMO_COMPANY_ID,
    DEMO_SENDER_ID, DEMO_SENDER_PASSWORD, DEMO_USER_ID, DEMO_USER_PASSWORD, DimensionKind,
    IntacctConfig, SalesOrder, SenderCredentials, UserCredentials,
};
pub use error::{
    AUTHENTICATION_FAILED, BUSINESS_RULE, DUPLICATE_ID, GATEWAY_SIGN_IN_INCORRECT, RATE_LIMITED,
    TRANSACTION_ROLLED_BACK, XML_PARSE_ERROR,
};
pub use ledger::{
    Adjustment, AdjustmentKind, ArDocument, ArLine, Customer, Dimensions, GlBatch, GlEntry,
    Invoice, InvoiceState, Ledger, Payment, PaymentApplication, Posting, Reversal, TrialBalance,
    TrialBalanceLine,
};

use crate::clock::SimClock;
use crate::faults::Faults;
use crate::server::SimServer;
use gateway::Gateway;

/// Where clients sign in.
pub const LOGIN_PATH: &str = "/ia/xml/xmlgw.phtml";
/// The endpoint `getAPISession` hands out; it serves the same gateway, but lets tests see whether a
/// client follows the returned endpoint.
pub const SESSION_PATH: &str = "/ia/xml/session/xmlgw.phtml";

/// A running simulated Intacct gateway on 127.0.0.1.
pub struct IntacctSim {
    server: SimServer,
    gateway: Arc<Gateway>,
    faults: Arc<Faults>,
}

impl IntacctSim {
    /// Starts the gateway on a free port.
    pub async fn start(config: IntacctConfig) -> anyhow::Result<Self> {
        let gateway = Arc::new(Gateway::new(config));
        let faults = Arc::new(Faults::new());
        let router = Router::new()
            .route(LOGIN_PATH, post(gateway_request))
            .route(SESSION_PATH, post(gateway_request))
            .route("/ledger", get(ledger_view))
            .with_state(gateway.clone());
        let server = SimServer::start_local(router, faults.clone()).await?;
        Ok(Self {
            server,
            gateway,
            faults,
        })
    }

    /// `http://127.0.0.1:PORT/ia/xml/xmlgw.phtml`, the sign-in endpoint.
    pub fn endpoint_url(&self) -> String {
        format!("{}{LOGIN_PATH}", self.base_url())
    }

    /// The endpoint `getAPISession` returns.
    pub fn session_endpoint_url(&self) -> String {
        format!("{}{SESSION_PATH}", self.base_url())
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    /// `http://127.0.0.1:PORT/ledger?company=ID`, the ledger as JSON.
    pub fn ledger_url(&self, company_id: &str) -> String {
        format!("{}/ledger?company={company_id}", self.base_url())
    }

    pub fn clock(&self) -> &SimClock {
        self.gateway.clock()
    }

    pub fn faults(&self) -> &Arc<Faults> {
        &self.faults
    }

    /// A snapshot of a company's books.
    ///
    /// # Panics
    /// If the company is not configured.
    pub fn ledger(&self, company_id: &str) -> Ledger {
        self.gateway
            .ledger(company_id)
            .unwrap_or_else(|| panic!("no Intacct company {company_id}"))
    }

    /// The document numbers of a company's invoices from the `from`th one on, in the order they
    /// were created: cheaper than a [`ledger`](Self::ledger) snapshot for watching the books grow.
    ///
    /// # Panics
    /// If the company is not configured.
    pub fn invoice_numbers(&self, company_id: &str, from: usize) -> Vec<Option<String>> {
        self.gateway
            .invoice_numbers(company_id, from)
            .unwrap_or_else(|| panic!("no Intacct company {company_id}"))
    }

    /// Adds a sales order and returns its RECORDNO.
    ///
    /// # Panics
    /// If the company is not configured.
    pub fn add_sales_order(&self, company_id: &str, order: SalesOrder) -> String {
        self.gateway
            .add_sales_order(company_id, order)
            .unwrap_or_else(|| panic!("no Intacct company {company_id}"))
    }

    /// Adds GL account `number` titled `title` to a company's chart at run time: from now on the
    /// company accepts postings to it. False when the chart has it already (nothing changes).
    ///
    /// # Panics
    /// If the company is not configured.
    pub fn add_account(&self, company_id: &str, number: &str, title: &str) -> bool {
        self.gateway
            .edit_company(company_id, |company| company.add_account(number, title))
            .unwrap_or_else(|| panic!("no Intacct company {company_id}"))
    }

    /// Adds dimension `id` of `kind` to a company at run time: from now on GL lines may carry
    /// it. False when the company has it already (nothing changes).
    ///
    /// # Panics
    /// If the company is not configured.
    pub fn add_dimension(&self, company_id: &str, kind: DimensionKind, id: &str) -> bool {
        self.gateway
            .edit_company(company_id, |company| company.add_dimension(kind, id))
            .unwrap_or_else(|| panic!("no Intacct company {company_id}"))
    }

    /// Requests that reached the gateway (either endpoint), throttled ones included; 503s injected by
    /// the faults never reach it.
    pub fn request_count(&self) -> usize {
        self.gateway.request_count()
    }

    /// Requests that reached the endpoint `getAPISession` returned.
    pub fn session_endpoint_request_count(&self) -> usize {
        self.gateway.session_endpoint_request_count()
    }

    /// The next `count` requests get HTTP 429 with an XML body (nothing runs).
    pub fn throttle_next(&self, count: u32) {
        self.gateway.throttle_next(count);
    }

    /// While `on`, a refused login is answered by the gateway in front of Intacct: HTTP 401 with a
    /// control failure `XMLGW_JPP0002` "Sign-in information is incorrect", no operation. Off, it is
    /// answered in the authentication block (HTTP 200, `XL03000006`), the default.
    pub fn refuse_logins_at_gateway(&self, on: bool) {
        self.gateway.refuse_logins_at_gateway(on);
    }

    /// Ends every session, as a gateway restart would.
    pub fn expire_sessions(&self) {
        self.gateway.expire_sessions();
    }
}

async fn gateway_request(
    State(gateway): State<Arc<Gateway>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let host = headers
        .get(header::HOST)
        .and_then(|host| host.to_str().ok())
        .unwrap_or("127.0.0.1");
    let session_endpoint = format!("http://{host}{SESSION_PATH}");
    let (status, body) = gateway.handle(&body, &session_endpoint, uri.path() == SESSION_PATH);
    (
        status,
        [(header::CONTENT_TYPE, "text/xml; charset=UTF-8")],
        body,
    )
        .into_response()
}

#[derive(Deserialize)]
struct LedgerQuery {
    company: String,
}

async fn ledger_view(
    State(gateway): State<Arc<Gateway>>,
    Query(query): Query<LedgerQuery>,
) -> Response {
    match gateway.ledger(&query.company) {
        Some(ledger) => axum::Json(ledger).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            format!("no company {}", query.company),
        )
            .into_response(),
    }
}
