//! The operators' console over HTTP, as a browser would use it: the login (a wrong token, a
//! right one), every page, the CSRF and cross-site refusals (nothing changes), replaying a failed
//! event alone and in bulk, and resolving a review with a bad then a good resolution.

use std::time::{Duration, Instant};

use mlc_host::flow::{Service, Status};
use reqwest::header::{
    CONTENT_SECURITY_POLICY, CONTENT_TYPE, COOKIE, LOCATION, ORIGIN, SET_COOKIE,
};
use reqwest::redirect::Policy;
use serde_json::json;
use support::flows::*;
use support::ledger::Ledger;

use crate::flow::start;

const SETTLE: Duration = Duration::from_secs(30);

/// A served test flow with three settled events: one done, one failed (the ledger refused its
/// customer, until `clear_rejections`) and one held for review.
struct Scene {
    ledger: Ledger,
    dir: std::path::PathBuf,
    service: Service,
    base: String,
    failed: i64,
    held: i64,
}

impl Scene {
    async fn start(name: &str) -> Self {
        let ledger = Ledger::start().await;
        let dir = scratch(name);
        let (service, base) = start(write_config(&dir, &config_text(&dir, &ledger, ""))).await;
        ledger.reject_containing("order-2", "BL01", "customer is on hold");
        let events = [
            ("order-1", json!({"total": "10.00"})),
            ("order-2", json!({"total": "20.00"})),
            ("order-3", json!({"review": true})),
        ];
        let (status, answer) =
            post_webhook(&base, "shop", WEBHOOK_TOKEN, webhook_body(&events)).await;
        assert_eq!(status, 200, "{answer}");
        let rows = wait_settled(
            service.inbox(),
            3,
            &[Status::Done, Status::Failed, Status::Review],
            SETTLE,
        )
        .await;
        let id_of = |key: &str| rows.iter().find(|row| row.key.ends_with(key)).unwrap().id;
        let (failed, held) = (id_of("order-2"), id_of("order-3"));
        Self {
            ledger,
            dir,
            service,
            base,
            failed,
            held,
        }
    }
}

/// A browser without JavaScript: it keeps the session cookie and follows no redirect by itself.
pub(crate) struct Visitor {
    http: reqwest::Client,
    base: String,
    cookie: String,
}

impl Visitor {
    pub(crate) fn new(base: &str) -> Self {
        Self {
            http: reqwest::Client::builder()
                .redirect(Policy::none())
                .build()
                .unwrap(),
            base: base.to_owned(),
            cookie: String::new(),
        }
    }

    pub(crate) async fn get(&self, path: &str) -> (u16, String, reqwest::header::HeaderMap) {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .header(COOKIE, &self.cookie)
            .send()
            .await
            .unwrap();
        let (status, headers) = (response.status().as_u16(), response.headers().clone());
        (status, response.text().await.unwrap(), headers)
    }

    async fn post(&self, path: &str, form: &[(&str, &str)]) -> (u16, String, Option<String>) {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .header(COOKIE, &self.cookie)
            .header(CONTENT_TYPE, FORM)
            .body(encode(form))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get(LOCATION)
            .map(|value| value.to_str().unwrap().to_owned());
        (status, response.text().await.unwrap(), location)
    }

    /// Posts a `multipart/form-data` form, as a browser sends a form with a file input: `fields`,
    /// then `file` as (field name, file name, bytes). Returns the answer's status and page.
    pub(crate) async fn post_file(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        file: (&str, &str, &[u8]),
    ) -> (u16, String) {
        const BOUNDARY: &str = "mlc-test-boundary-7f3a";
        let mut body = Vec::new();
        for (name, value) in fields {
            body.extend_from_slice(
                format!(
                    "--{BOUNDARY}\r\ncontent-disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
                )
                .as_bytes(),
            );
        }
        let (name, file_name, bytes) = file;
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\ncontent-disposition: form-data; name=\"{name}\"; \
                 filename=\"{file_name}\"\r\ncontent-type: application/wasm\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .header(COOKIE, &self.cookie)
            .header(
                CONTENT_TYPE,
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .body(body)
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }

    /// Signs in with `token`; returns the answer's status and page.
    pub(crate) async fn sign_in(&mut self, token: &str) -> (u16, String) {
        let answer = self
            .http
            .post(format!("{}/ui/login", self.base))
            .header(ORIGIN, &self.base)
            .header(CONTENT_TYPE, FORM)
            .body(encode(&[("name", "Ada"), ("token", token)]))
            .send()
            .await
            .unwrap();
        let status = answer.status().as_u16();
        if let Some(session) = answer.headers().get(SET_COOKIE) {
            let pair = cookie_pair(session.to_str().unwrap());
            if pair.starts_with("mlc_session=") {
                self.cookie = pair;
            }
        }
        (status, answer.text().await.unwrap())
    }
}

const FORM: &str = "application/x-www-form-urlencoded";

fn encode(form: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish()
}

fn cookie_pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().to_owned()
}

/// The CSRF token a page's forms carry.
pub(crate) fn csrf_of(page: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = page.find(marker).expect("the page has a form") + marker.len();
    page[start..start + 64].to_owned()
}

#[tokio::test]
async fn an_operator_signs_in_replays_a_failed_event_and_resolves_a_review_with_csrf_enforced() {
    let Scene {
        ledger,
        dir: _,
        service,
        base,
        failed,
        held,
    } = Scene::start("console").await;
    assert_eq!(
        service.inbox().get(failed).unwrap().unwrap().status,
        Status::Failed
    );

    // Signed out: pages send to the login, posts are refused.
    let mut ada = Visitor::new(&base);
    let (status, _, headers) = ada.get("/ui/events").await;
    assert_eq!(
        (status, headers[LOCATION].to_str().unwrap()),
        (303, "/ui/login")
    );
    let no_origin = ada
        .http
        .post(format!("{base}/ui/login"))
        .header(CONTENT_TYPE, FORM)
        .body(encode(&[("name", "Ada"), ("token", ADMIN_TOKEN)]))
        .send()
        .await
        .unwrap();
    assert_eq!(no_origin.status().as_u16(), 403);
    assert!(no_origin.headers().get(SET_COOKIE).is_none());
    let (status, page) = ada.sign_in("not-the-token").await;
    assert_eq!(status, 401);
    assert!(page.contains("that is not the admin token"), "{page}");
    assert!(!page.contains(ADMIN_TOKEN));
    let (status, _, _) = ada.post(&format!("/ui/events/{failed}/replay"), &[]).await;
    assert_eq!(status, 401);

    let (status, _) = ada.sign_in(ADMIN_TOKEN).await;
    assert_eq!(status, 303);
    assert!(ada.cookie.starts_with("mlc_session="));

    // The overview: counts, a chart per flow, a policy without inline script or style.
    let (status, page, headers) = ada.get("/ui").await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("failed: 1") && page.contains("<svg"),
        "{page}"
    );
    let policy = headers[CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(policy.contains("script-src 'self'") && !policy.contains("unsafe-inline"));

    // The list, filtered, and the failed event's timeline.
    let (status, page, _) = ada.get("/ui/events?status=failed").await;
    assert_eq!(status, 200);
    assert!(page.contains(&format!("id=\"event-{failed}\"")), "{page}");
    assert!(!page.contains(&format!("id=\"event-{held}\"")), "{page}");
    let (status, page, _) = ada.get("/ui/events?since=yesterday").await;
    assert_eq!(status, 400);
    assert!(page.contains("neither an RFC 3339 time"), "{page}");
    let (status, page, _) = ada.get(&format!("/ui/events/{failed}")).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("customer is on hold") && page.contains("testkit"),
        "{page}"
    );
    assert!(
        page.contains("A replay runs the versions active now"),
        "{page}"
    );
    let csrf = csrf_of(&page);

    // A forged or cross-site replay changes nothing.
    let replay = format!("/ui/events/{failed}/replay");
    let (status, page, _) = ada
        .post(&replay, &[("csrf", "0".repeat(64).as_str())])
        .await;
    assert_eq!(status, 403);
    assert!(page.contains("CSRF"), "{page}");
    let cross_site = ada
        .http
        .post(format!("{base}{replay}"))
        .header(COOKIE, &ada.cookie)
        .header(ORIGIN, "http://evil.example")
        .header(CONTENT_TYPE, FORM)
        .body(encode(&[("csrf", csrf.as_str())]))
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status().as_u16(), 403);
    assert_eq!(
        service.inbox().get(failed).unwrap().unwrap().status,
        Status::Failed
    );

    // The real replay, once the ledger takes the customer again.
    ledger.clear_rejections();
    let (status, _, location) = ada.post(&replay, &[("csrf", csrf.as_str())]).await;
    assert_eq!(
        (status, location.as_deref()),
        (303, Some(format!("/ui/events/{failed}").as_str()))
    );
    wait_settled(service.inbox(), 3, &[Status::Done, Status::Review], SETTLE).await;
    let trail = service.inbox().show(failed).unwrap();
    assert!(
        trail.steps.iter().any(|step| step.message.as_deref()
            == Some("replay requested by Ada (console) (was failed)")),
        "{trail:?}"
    );

    // Review: a resolution that is not JSON is refused; a good one posts.
    let (status, page, _) = ada.get("/ui/review").await;
    assert_eq!(status, 200);
    assert!(page.contains(&format!("id=\"review-{held}\"")), "{page}");
    let resolve = format!("/ui/review/{held}/resolve");
    let (status, page, _) = ada
        .post(
            &resolve,
            &[("csrf", csrf.as_str()), ("resolution", "{order")],
        )
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("nothing was changed"), "{page}");
    assert_eq!(
        service.inbox().get(held).unwrap().unwrap().status,
        Status::Review
    );
    let (status, _, _) = ada
        .post(
            &resolve,
            &[
                ("csrf", csrf.as_str()),
                ("resolution", r#"{"order": "SO-1"}"#),
            ],
        )
        .await;
    assert_eq!(status, 303);
    wait_settled(service.inbox(), 3, &[Status::Done], SETTLE).await;
    let posted: Vec<_> = ledger
        .entries()
        .into_iter()
        .filter(|entry| entry.body.to_string().contains("order-3"))
        .collect();
    assert_eq!(posted.len(), 1, "posted once");
    assert_eq!(posted[0].body["resolution"], json!({"order": "SO-1"}));

    // Bulk replay of done events: the count first, then the batch settles.
    let (status, page, _) = ada.get("/ui/replay?status=done").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("<strong>3</strong> event(s) would run again"),
        "{page}"
    );
    let (status, _, location) = ada
        .post("/ui/replay", &[("csrf", csrf.as_str()), ("status", "done")])
        .await;
    assert_eq!((status, location.as_deref()), (303, Some("/ui/replay/1")));
    wait_settled(service.inbox(), 3, &[Status::Done], SETTLE).await;
    let (status, page, _) = ada.get("/ui/replay/1/items").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("done: 3") && page.contains("replay-settled"),
        "{page}"
    );
    let entries = ledger.entries();
    assert_eq!(
        entries.len(),
        3,
        "a replay posts nothing twice: {entries:?}"
    );

    // The other pages answer, and show no secret.
    for path in [
        "/ui/plugins",
        "/ui/connections",
        "/ui/connections/shop/ping",
    ] {
        let (status, page, _) = ada.get(path).await;
        assert_eq!(status, 200, "{path}: {page}");
        assert!(
            !page.contains(ADMIN_TOKEN) && !page.contains(WEBHOOK_TOKEN),
            "{path}"
        );
    }
    service.shutdown().await.unwrap();
}

/// Where the browser test saves its screenshots: `docs/console/` when `MLC_SCREENSHOTS` is set
/// (how the README's pictures are made), else the test's scratch directory.
fn screenshot_dir(scratch: &std::path::Path) -> std::path::PathBuf {
    match std::env::var_os("MLC_SCREENSHOTS") {
        Some(_) => std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/console"),
        None => scratch.to_owned(),
    }
}

#[tokio::test]
async fn in_a_real_browser_an_operator_replays_a_failed_event_and_resolves_a_review() {
    use fantoccini::Locator;

    let Scene {
        ledger,
        dir,
        service,
        base,
        failed,
        held,
    } = Scene::start("console-browser").await;
    let shots = screenshot_dir(&dir);
    std::fs::create_dir_all(&shots).unwrap();

    let browser = crate::browser::Browser::start().await;
    let page = browser.client();
    let wait = Duration::from_secs(15);
    let css = |selector: &'static str| Locator::Css(selector);

    // A wrong token, then the right one.
    page.goto(&format!("{base}/ui/login")).await.unwrap();
    page.find(css("#name"))
        .await
        .unwrap()
        .send_keys("Ada")
        .await
        .unwrap();
    page.find(css("#token"))
        .await
        .unwrap()
        .send_keys("wrong")
        .await
        .unwrap();
    page.find(css("#sign-in"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let problem = page
        .wait()
        .at_most(wait)
        .for_element(css("#problem"))
        .await
        .unwrap();
    let problem = problem.text().await.unwrap();
    assert!(problem.contains("not the admin token"), "{problem}");
    page.find(css("#name"))
        .await
        .unwrap()
        .clear()
        .await
        .unwrap();
    page.find(css("#name"))
        .await
        .unwrap()
        .send_keys("Ada")
        .await
        .unwrap();
    page.find(css("#token"))
        .await
        .unwrap()
        .send_keys(ADMIN_TOKEN)
        .await
        .unwrap();
    page.find(css("#sign-in"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    page.wait()
        .at_most(wait)
        .for_element(css("svg"))
        .await
        .unwrap();

    // Find the failed event through the filters and open it.
    page.goto(&format!("{base}/ui/events")).await.unwrap();
    let status_filter = page.find(css("#filter-status")).await.unwrap();
    status_filter.select_by_value("failed").await.unwrap();
    page.find(css("#apply-filters"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // The unfiltered page lists the event too: wait for the filtered one before taking its link.
    let deadline = Instant::now() + wait;
    while !page
        .current_url()
        .await
        .unwrap()
        .as_str()
        .contains("status=failed")
    {
        assert!(Instant::now() < deadline, "the filter did not load");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let row = format!("#event-{failed} a");
    let link = page
        .wait()
        .at_most(wait)
        .for_element(Locator::Css(&row))
        .await
        .unwrap();
    browser.screenshot(&shots.join("events.png")).await;
    link.click().await.unwrap();
    let error = page
        .wait()
        .at_most(wait)
        .for_element(css("#event-error"))
        .await
        .unwrap();
    assert!(error.text().await.unwrap().contains("customer is on hold"));
    browser.screenshot(&shots.join("event.png")).await;

    // Replay it once the ledger takes the customer again; the page shows it done.
    ledger.clear_rejections();
    page.find(css("#replay"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_settled(service.inbox(), 3, &[Status::Done, Status::Review], SETTLE).await;
    page.refresh().await.unwrap();
    let status = page
        .find(css("#event-status"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(status, "done");

    // Resolve the review with the sales order to match.
    page.goto(&format!("{base}/ui/review")).await.unwrap();
    let form = format!("#review-{held} textarea");
    page.find(Locator::Css(&form))
        .await
        .unwrap()
        .send_keys(r#"{"order": "SO-1"}"#)
        .await
        .unwrap();
    let button = format!("#review-{held} button.resolve");
    page.find(Locator::Css(&button))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    page.wait()
        .at_most(wait)
        .for_element(css("#event-status"))
        .await
        .unwrap();
    wait_settled(service.inbox(), 3, &[Status::Done], SETTLE).await;
    page.refresh().await.unwrap();
    let status = page
        .find(css("#event-status"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(status, "done");
    browser.close().await;

    let posted = ledger.entries();
    assert_eq!(posted.len(), 3, "each event posted once: {posted:?}");
    service.shutdown().await.unwrap();
}
