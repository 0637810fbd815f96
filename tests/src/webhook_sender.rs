//! Sends the simulators' webhooks in background tasks: POSTs a prepared request, retries non-2xx answers
//! on a schedule, records every attempt, and on demand duplicates, holds (to release late or reversed)
//! or drops deliveries; at most 64 POSTs are in flight at once. Tests wait for all started deliveries
//! with `wait_idle`.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{Semaphore, watch};

/// POSTs in flight at once, as a platform caps its deliveries to one endpoint: a burst of
/// thousands of orders queues here instead of opening thousands of connections.
const IN_FLIGHT: usize = 64;

/// One webhook to send, with the headers it carries on every attempt.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The subscription this delivery belongs to (handed back when the delivery gives up).
    pub subscription: u64,
}

impl Outgoing {
    /// The value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// One attempt to deliver an `Outgoing`.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub outgoing: Outgoing,
    /// 1 for the first try, 2 for the first retry, …
    pub number: u32,
    /// The receiver's HTTP status; `None` when no answer came (refused, timed out).
    pub status: Option<u16>,
    /// From starting the POST to its answer (or to giving up on it).
    pub answered_in: Duration,
}

impl Attempt {
    pub fn succeeded(&self) -> bool {
        self.status
            .is_some_and(|status| (200..300).contains(&status))
    }
}

/// How failed deliveries are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetrySchedule {
    /// Retries after the first attempt.
    pub retries: u32,
    /// Pause between two attempts.
    pub delay: Duration,
}

/// What happens to deliveries as they are sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeliveryMode {
    /// Each delivery is sent once (plus retries).
    #[default]
    Normal,
    /// Each delivery is sent this many times, identical headers and body each time.
    Duplicates(u32),
    /// Deliveries wait until `release_held`.
    Hold,
    /// Deliveries are silently lost.
    Drop,
}

/// Called with a delivery whose every attempt failed.
pub type GiveUp = Box<dyn Fn(&Outgoing) + Send + Sync>;

/// The background webhook sender of one simulator. Cloning shares it.
#[derive(Clone)]
pub struct WebhookSender {
    inner: Arc<Inner>,
}

struct Inner {
    client: reqwest::Client,
    schedule: RetrySchedule,
    attempts: Mutex<Vec<Attempt>>,
    in_flight: Semaphore,
    mode: Mutex<DeliveryMode>,
    held: Mutex<Vec<Outgoing>>,
    pending: watch::Sender<usize>,
    give_up: GiveUp,
}

impl std::fmt::Debug for WebhookSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookSender")
            .field("schedule", &self.inner.schedule)
            .finish_non_exhaustive()
    }
}

impl WebhookSender {
    /// A sender with a 5 s answer timeout (1 s to connect).
    pub fn new(schedule: RetrySchedule, give_up: GiveUp) -> Self {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .connect_timeout(Duration::from_secs(1))
            .build()
            .expect("webhook client");
        Self {
            inner: Arc::new(Inner {
                client,
                schedule,
                attempts: Mutex::new(Vec::new()),
                in_flight: Semaphore::new(IN_FLIGHT),
                mode: Mutex::new(DeliveryMode::Normal),
                held: Mutex::new(Vec::new()),
                pending: watch::Sender::new(0),
                give_up,
            }),
        }
    }

    pub fn set_mode(&self, mode: DeliveryMode) {
        *self.inner.mode.lock().expect("mode lock") = mode;
    }

    /// Sends `outgoing` in the background as the current mode says.
    pub fn send(&self, outgoing: Outgoing) {
        let mode = *self.inner.mode.lock().expect("mode lock");
        match mode {
            DeliveryMode::Normal => self.spawn_sequence(vec![outgoing]),
            DeliveryMode::Duplicates(copies) => {
                for _ in 0..copies.max(1) {
                    self.spawn_sequence(vec![outgoing.clone()]);
                }
            }
            DeliveryMode::Hold => self.inner.held.lock().expect("held lock").push(outgoing),
            DeliveryMode::Drop => {}
        }
    }

    /// Sends the held deliveries, first attempts one after another: in the order they were made, or
    /// newest first when `reversed`.
    pub fn release_held(&self, reversed: bool) {
        let mut held = std::mem::take(&mut *self.inner.held.lock().expect("held lock"));
        if reversed {
            held.reverse();
        }
        self.spawn_sequence(held);
    }

    /// How many deliveries are held.
    pub fn held_count(&self) -> usize {
        self.inner.held.lock().expect("held lock").len()
    }

    /// Every attempt so far, in the order they finished.
    pub fn attempts(&self) -> Vec<Attempt> {
        self.inner.attempts.lock().expect("attempts lock").clone()
    }

    /// Waits until every started delivery has succeeded or given up (held ones do not count).
    pub async fn wait_idle(&self) {
        let mut pending = self.inner.pending.subscribe();
        pending
            .wait_for(|count| *count == 0)
            .await
            .expect("sender alive");
    }

    /// Delivers `batch` in one task: each first attempt in turn; a failed one retries in its own task.
    fn spawn_sequence(&self, batch: Vec<Outgoing>) {
        if batch.is_empty() {
            return;
        }
        self.inner
            .pending
            .send_modify(|count| *count += batch.len());
        let inner = self.inner.clone();
        tokio::spawn(async move {
            for outgoing in batch {
                if inner.attempt(&outgoing, 1).await {
                    inner.pending.send_modify(|count| *count -= 1);
                } else {
                    tokio::spawn(inner.clone().retry(outgoing));
                }
            }
        });
    }
}

impl Inner {
    /// One POST; records it and says whether it succeeded.
    async fn attempt(&self, outgoing: &Outgoing, number: u32) -> bool {
        let _slot = self.in_flight.acquire().await.expect("never closed");
        let started = Instant::now();
        let mut request = self.client.post(&outgoing.url).body(outgoing.body.clone());
        for (name, value) in &outgoing.headers {
            request = request.header(name, value);
        }
        let status = request
            .send()
            .await
            .ok()
            .map(|response| response.status().as_u16());
        let attempt = Attempt {
            outgoing: outgoing.clone(),
            number,
            status,
            answered_in: started.elapsed(),
        };
        let succeeded = attempt.succeeded();
        self.attempts.lock().expect("attempts lock").push(attempt);
        succeeded
    }

    async fn retry(self: Arc<Self>, outgoing: Outgoing) {
        let mut delivered = false;
        for number in 2..=self.schedule.retries + 1 {
            tokio::time::sleep(self.schedule.delay).await;
            if self.attempt(&outgoing, number).await {
                delivered = true;
                break;
            }
        }
        if !delivered {
            (self.give_up)(&outgoing);
        }
        self.pending.send_modify(|count| *count -= 1);
    }
}
