//! The ledger: a local HTTP sink for `testkit.post`, for the flow engine's tests. It serves
//! `POST /entries` with `{"entries": [{"key", "body"}, ...]}` and answers 200
//! `{"results": [{"key", "id", "replayed"} | {"key", "error": {"code", "message"}}, ...]}`, one
//! result per entry, in order.
//!
//! - Idempotent: an entry whose key is already stored is answered with the stored id and
//!   `"replayed": true`, and stores nothing. Ids are `E-1`, `E-2`, ... in storing order.
//! - Each request is handled atomically under one lock, so a batch is stored whole, after any
//!   [`Ledger::set_delay`] wait (taken outside the lock, so concurrent requests overlap and
//!   [`Ledger::max_in_flight`] shows it).
//! - Failure on demand: [`Ledger::fail_next`] makes the next requests answer an error status
//!   (body `{"message": "injected failure"}`, `Retry-After` if given) and store nothing;
//!   [`Ledger::reject_containing`] gives a per-entry error to every entry whose JSON body text
//!   contains a string, and stores nothing for it.
//! - A body that is not `{"entries": [{"key": "...", "body": ...}]}` is answered 400.
//!
//! ```ignore
//! let ledger = Ledger::start().await;
//! let connection = Connection::new("ledger")?.setting("base_url", &ledger.base_url).allow(&ledger.base_url)?;
//! // ... apply testkit.post commands ...
//! assert_eq!(ledger.writes(), 3);
//! ```

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde::Deserialize;
use serde_json::{Value, json};

/// The local ledger server; it stops with the test's runtime.
pub struct Ledger {
    pub base_url: String,
    state: Arc<Shared>,
}

/// One stored entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: String,
    pub id: String,
    pub body: Value,
}

/// What the handlers share: the store under one lock, the in-flight gauge beside it.
#[derive(Default)]
struct Shared {
    store: Mutex<Store>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

#[derive(Default)]
struct Store {
    entries: Vec<Entry>,
    /// Key → index in `entries`.
    index: HashMap<String, usize>,
    writes: usize,
    replays: usize,
    requests: usize,
    delay: Duration,
    failures: Option<Failures>,
    rejections: Vec<Rejection>,
}

struct Failures {
    remaining: usize,
    status: StatusCode,
    retry_after_secs: Option<u64>,
}

struct Rejection {
    text: String,
    code: String,
    message: String,
}

#[derive(Deserialize)]
struct Batch {
    entries: Vec<PostedEntry>,
}

#[derive(Deserialize)]
struct PostedEntry {
    key: String,
    #[serde(default)]
    body: Value,
}

impl Ledger {
    /// Binds `127.0.0.1:0` and serves `POST /entries` on the current tokio runtime.
    pub async fn start() -> Self {
        let state = Arc::new(Shared::default());
        let router = Router::new()
            .route("/entries", post(entries))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binding a local port");
        let base_url = format!("http://{}", listener.local_addr().expect("local address"));
        tokio::spawn(async move { axum::serve(listener, router).await });
        Self { base_url, state }
    }

    /// Every stored entry (once per key), in arrival order.
    pub fn entries(&self) -> Vec<Entry> {
        self.store().entries.clone()
    }

    /// How many stored entries have `key` (0 or 1: a replayed key does not add).
    pub fn count(&self, key: &str) -> usize {
        self.store()
            .entries
            .iter()
            .filter(|entry| entry.key == key)
            .count()
    }

    /// Entries newly stored (replays not counted).
    pub fn writes(&self) -> usize {
        self.store().writes
    }

    /// Entries answered as replayed (their key was already stored).
    pub fn replays(&self) -> usize {
        self.store().replays
    }

    /// `POST /entries` requests received, failed and malformed ones included.
    pub fn requests(&self) -> usize {
        self.store().requests
    }

    /// The most requests being handled at once so far.
    pub fn max_in_flight(&self) -> usize {
        self.state.max_in_flight.load(Ordering::SeqCst)
    }

    /// Each request waits `delay` before it is handled (outside the lock), so concurrency shows.
    pub fn set_delay(&self, delay: Duration) {
        self.store().delay = delay;
    }

    /// The next `n` requests answer `status` with body `{"message": "injected failure"}` (and
    /// `Retry-After: <secs>` if given), storing nothing. Replaces any failures still pending.
    pub fn fail_next(&self, n: usize, status: u16, retry_after_secs: Option<u64>) {
        let status = StatusCode::from_u16(status).expect("a valid HTTP status");
        self.store().failures = (n > 0).then_some(Failures {
            remaining: n,
            status,
            retry_after_secs,
        });
    }

    /// Every entry whose JSON body text contains `text` is answered with the per-entry error
    /// `{code, message}` and not stored (a stored key is still answered as a replay).
    pub fn reject_containing(&self, text: &str, code: &str, message: &str) {
        self.store().rejections.push(Rejection {
            text: text.into(),
            code: code.into(),
            message: message.into(),
        });
    }

    pub fn clear_rejections(&self) {
        self.store().rejections.clear();
    }

    /// Polls until `writes() >= n`; false if that did not happen `within`.
    pub async fn wait_for_writes(&self, n: usize, within: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if self.writes() >= n {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    fn store(&self) -> MutexGuard<'_, Store> {
        self.state.store()
    }
}

impl Shared {
    fn store(&self) -> MutexGuard<'_, Store> {
        // A test that panicked while holding the lock must not hide the store from the others.
        self.store
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Counts a request as in flight for as long as it lives.
struct InFlight<'a>(&'a Shared);

impl<'a> InFlight<'a> {
    fn enter(shared: &'a Shared) -> Self {
        let now = shared.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        shared.max_in_flight.fetch_max(now, Ordering::SeqCst);
        Self(shared)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// `POST /entries`. Whether the request fails is decided on arrival (so "the next n requests"
/// means in arrival order), then the delay, then the batch under the lock.
async fn entries(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let _in_flight = InFlight::enter(&shared);
    let (delay, failure) = {
        let mut store = shared.store();
        store.requests += 1;
        (store.delay, store.take_failure())
    };
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    if let Some((status, retry_after_secs)) = failure {
        return injected_failure(status, retry_after_secs);
    }
    let batch: Batch = match serde_json::from_slice(&body) {
        Ok(batch) => batch,
        Err(error) => {
            let message = format!("expected {{\"entries\": [{{\"key\", \"body\"}}]}}: {error}");
            return (
                StatusCode::BAD_REQUEST,
                axum::Json(json!({ "message": message })),
            )
                .into_response();
        }
    };
    let results = shared.store().record(batch);
    axum::Json(json!({ "results": results })).into_response()
}

fn injected_failure(status: StatusCode, retry_after_secs: Option<u64>) -> Response {
    let mut response =
        (status, axum::Json(json!({ "message": "injected failure" }))).into_response();
    if let Some(secs) = retry_after_secs {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    response
}

impl Store {
    /// The injected failure for this request, if one is pending.
    fn take_failure(&mut self) -> Option<(StatusCode, Option<u64>)> {
        let failures = self.failures.as_mut()?;
        let failure = (failures.status, failures.retry_after_secs);
        failures.remaining -= 1;
        if failures.remaining == 0 {
            self.failures = None;
        }
        Some(failure)
    }

    /// Stores a batch; one result per entry, in order.
    fn record(&mut self, batch: Batch) -> Vec<Value> {
        batch
            .entries
            .into_iter()
            .map(|entry| self.record_one(entry))
            .collect()
    }

    fn record_one(&mut self, PostedEntry { key, body }: PostedEntry) -> Value {
        if let Some(&at) = self.index.get(&key) {
            self.replays += 1;
            return json!({ "key": key, "id": self.entries[at].id, "replayed": true });
        }
        let text = body.to_string();
        if let Some(rejection) = self
            .rejections
            .iter()
            .find(|rejection| text.contains(&rejection.text))
        {
            return json!({
                "key": key,
                "error": { "code": rejection.code, "message": rejection.message },
            });
        }
        let id = format!("E-{}", self.entries.len() + 1);
        self.index.insert(key.clone(), self.entries.len());
        self.entries.push(Entry {
            key: key.clone(),
            id: id.clone(),
            body,
        });
        self.writes += 1;
        json!({ "key": key, "id": id, "replayed": false })
    }
}
