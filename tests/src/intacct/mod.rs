//! A simulated Sage Intacct XML gateway: `POST /ia/xml/xmlgw.phtml` with Intacct's request and
//! response documents, login and `getAPISession` sessions (sliding expiry on the simulator's clock),
//! uniqueid duplicate guarding, transactions, AR invoices, adjustments, reversals, payments, GL
//! batches, customers, sales-order look-ups and queries by date with paging, per company.
//! `GET /ledger?company=ID` shows a company's books as JSON. Tests can also change the books as a
//! person in Intacct's screens would (`…_by_hand`), and read the most requests in flight at once
//! per company. See `IntacctConfig::demo` for a ready company.

mod books;
mod by_hand;
mod config;
mod error;
mod functions;
mod gateway;
mod ledger;
mod schema;
mod session;
#[cfg(test)]
mod testing;
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
use chrono::NaiveDate;
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
use books::Books;
use error::FnResult;
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
        let company_of = {
            let gateway = gateway.clone();
            Arc::new(move |body: &[u8]| gateway.company_of(body))
        };
        let server = SimServer::start_local_per_account(router, faults.clone(), company_of).await?;
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

    /// The most requests addressed to company `company_id` (logging in to it, or in one of its
    /// sessions) that were in flight at once, latency included; 0 when none came. Started again
    /// by [`Faults::reset_most_in_flight`].
    pub fn most_in_flight(&self, company_id: &str) -> usize {
        self.faults.most_in_flight_for(company_id)
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

    /// Reverses invoice `key` on `date` as a person would in Intacct's screens, unknown to the
    /// host: the invoice becomes Reversed and its postings are negated. Returns the reversal's key.
    ///
    /// # Panics
    /// If the company is not configured, or Intacct would refuse (no such invoice, a draft, one
    /// already reversed or with payments applied).
    pub fn reverse_invoice_by_hand(&self, company_id: &str, key: &str, date: NaiveDate) -> String {
        self.by_hand(company_id, |books| {
            by_hand::reverse_invoice(books, key, date)
        })
    }

    /// Deletes adjustment `key` (a credit memo, say) and what it posted, as a person would in
    /// Intacct's screens, unknown to the host.
    ///
    /// # Panics
    /// If the company is not configured or has no such adjustment.
    pub fn delete_adjustment_by_hand(&self, company_id: &str, key: &str) {
        self.by_hand(company_id, |books| by_hand::delete_adjustment(books, key));
    }

    /// Changes GL batch `key`'s lines with `edit` (e.g. every line's amount, to change the
    /// batch's amount) and posts it again as edited, as a person would in Intacct's screens,
    /// unknown to the host.
    ///
    /// # Panics
    /// If the company is not configured, has no such batch, or Intacct would refuse the edited
    /// lines (fewer than two, unbalanced, an unknown account or dimension, an amount not positive).
    pub fn edit_gl_batch_by_hand(
        &self,
        company_id: &str,
        key: &str,
        edit: impl FnOnce(&mut Vec<GlEntry>),
    ) {
        self.by_hand(company_id, |books| by_hand::edit_gl_batch(books, key, edit));
    }

    fn by_hand<T>(&self, company_id: &str, edit: impl FnOnce(&mut Books) -> FnResult<T>) -> T {
        match self.gateway.edit_books(company_id, edit) {
            None => panic!("no Intacct company {company_id}"),
            Some(Err(error)) => panic!("Intacct refuses the edit: {}", error.description2),
            Some(Ok(value)) => value,
        }
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

#[cfg(test)]
mod tests {
    use std::panic::{AssertUnwindSafe, catch_unwind};

    use super::*;
    use crate::intacct::testing::money;

    /// A request by the demo sender running `functions` under `authentication`.
    fn request(authentication: &str, functions: &str) -> String {
        format!(
            "<request><control><senderid>{DEMO_SENDER_ID}</senderid><password>\
             {DEMO_SENDER_PASSWORD}</password><controlid>r</controlid><uniqueid>false</uniqueid>\
             <dtdversion>3.0</dtdversion></control><operation><authentication>{authentication}\
             </authentication><content>{functions}</content></operation></request>"
        )
    }

    /// A request running `functions` in company `company_id`, signed in as the demo user.
    fn login_request(company_id: &str, functions: &str) -> String {
        request(
            &format!(
                "<login><userid>{DEMO_USER_ID}</userid><companyid>{company_id}</companyid>\
                 <password>{DEMO_USER_PASSWORD}</password></login>"
            ),
            functions,
        )
    }

    /// Posts `body` to the gateway; returns the answer parsed.
    async fn post(sim: &IntacctSim, body: String) -> xml_tree::Element {
        let answer = reqwest::Client::new()
            .post(sim.endpoint_url())
            .body(body)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        xml_tree::Element::parse(answer.as_bytes())
            .unwrap_or_else(|error| panic!("{error}: {answer}"))
    }

    /// Runs `functions` in the demo company over HTTP and returns the keys they answer, in order.
    async fn run(sim: &IntacctSim, functions: &str) -> Vec<String> {
        let element = post(sim, login_request(DEMO_COMPANY_ID, functions)).await;
        element
            .find("operation")
            .unwrap()
            .children
            .iter()
            .filter(|child| child.name == "result")
            .map(|result| match result.text_of("key") {
                Some(key) => key.to_owned(),
                None => result
                    .find("data")
                    .and_then(|data| data.children[0].text_of("RECORDNO"))
                    .unwrap_or_else(|| panic!("no key in {element:?}"))
                    .to_owned(),
            })
            .collect()
    }

    #[tokio::test]
    async fn requests_in_flight_are_counted_per_company_whether_they_log_in_or_use_a_session() {
        const OTHER: &str = "ml-other";
        let mut config = IntacctConfig::demo();
        config.companies.push(CompanyConfig::demo(OTHER));
        let sim = IntacctSim::start(config).await.unwrap();
        let get_session = "<function controlid=\"s\"><getAPISession/></function>";
        let opened = post(&sim, login_request(OTHER, get_session)).await;
        let session = opened
            .find("operation")
            .and_then(|operation| operation.find("result"))
            .and_then(|result| result.find("data"))
            .and_then(|data| data.find("api"))
            .and_then(|api| api.text_of("sessionid"))
            .unwrap_or_else(|| panic!("no session in {opened:?}"))
            .to_owned();
        let in_session = request(&format!("<sessionid>{session}</sessionid>"), get_session);
        sim.faults().reset_most_in_flight();
        assert_eq!(sim.most_in_flight(OTHER), 0);

        // Two requests to the demo company and one to the other overlap in the latency.
        sim.faults()
            .set_latency(std::time::Duration::from_millis(300));
        tokio::join!(
            post(&sim, login_request(DEMO_COMPANY_ID, get_session)),
            post(&sim, login_request(DEMO_COMPANY_ID, get_session)),
            post(&sim, in_session),
        );
        assert_eq!(sim.most_in_flight(DEMO_COMPANY_ID), 2);
        assert_eq!(sim.most_in_flight(OTHER), 1);
        assert_eq!(sim.faults().most_in_flight(), 3);
        assert_eq!(sim.most_in_flight("no-such-company"), 0);
        sim.faults().reset_most_in_flight();
        assert_eq!(sim.most_in_flight(DEMO_COMPANY_ID), 0);
    }

    #[tokio::test]
    async fn a_person_breaks_the_books_by_hand_and_a_refused_edit_changes_nothing() {
        let sim = IntacctSim::start(IntacctConfig::demo()).await.unwrap();
        let date = "<datecreated><year>2026</year><month>11</month><day>3</day></datecreated>";
        let line = |amount: &str| {
            format!("<lineitem><glaccountno>4000</glaccountno><amount>{amount}</amount></lineitem>")
        };
        let entry = |account: &str, tr_type: &str| {
            format!(
                "<GLENTRY><ACCOUNTNO>{account}</ACCOUNTNO><TR_TYPE>{tr_type}</TR_TYPE>\
                 <TRX_AMOUNT>8.45</TRX_AMOUNT></GLENTRY>"
            )
        };
        let keys = run(
            &sim,
            &format!(
                "<function controlid=\"i\"><create_invoice><customerid>C-DEMO</customerid>{date}\
                 <invoiceitems>{}</invoiceitems></create_invoice></function>\
                 <function controlid=\"a\"><create_aradjustment><customerid>C-DEMO</customerid>\
                 {date}<aradjustmentitems>{}</aradjustmentitems></create_aradjustment></function>\
                 <function controlid=\"g\"><create><GLBATCH><JOURNAL>GJ</JOURNAL><BATCH_DATE>\
                 11/05/2026</BATCH_DATE><BATCH_TITLE>Labels</BATCH_TITLE><ENTRIES>{}{}</ENTRIES>\
                 </GLBATCH></create></function>",
                line("40.00"),
                line("-15.00"),
                entry("6100", "1"),
                entry("2100", "-1")
            ),
        )
        .await;
        let [invoice, credit, batch] = keys.as_slice() else {
            panic!("three keys, not {keys:?}");
        };

        let day = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
        let reversal = sim.reverse_invoice_by_hand(DEMO_COMPANY_ID, invoice, day);
        sim.delete_adjustment_by_hand(DEMO_COMPANY_ID, credit);
        sim.edit_gl_batch_by_hand(DEMO_COMPANY_ID, batch, |entries| {
            entries
                .iter_mut()
                .for_each(|entry| entry.amount = money("9.99"));
        });
        let ledger = sim.ledger(DEMO_COMPANY_ID);
        assert_eq!(
            ledger.invoice(invoice).unwrap().state,
            InvoiceState::Reversed
        );
        assert_eq!(ledger.reversals[0].key, reversal);
        assert!(ledger.adjustments.is_empty());
        assert_eq!(ledger.account_balance("4000"), money("0.00"));
        assert_eq!(ledger.account_balance("6100"), money("9.99"));

        let refused = catch_unwind(AssertUnwindSafe(|| {
            sim.edit_gl_batch_by_hand(DEMO_COMPANY_ID, batch, |entries| entries.truncate(1));
        }))
        .unwrap_err();
        assert_eq!(
            refused.downcast_ref::<String>().map(String::as_str),
            Some("Intacct refuses the edit: A journal entry needs at least two lines.")
        );
        let after = sim.ledger(DEMO_COMPANY_ID);
        assert_eq!(after.gl_batches[0].entries.len(), 2);
        assert_eq!(after.account_balance("6100"), money("9.99"));
    }
}
