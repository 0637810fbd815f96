//! A tape played back in place of the world: the HTTP transport answers each request with the
//! recorded response to the same method and URL (in recorded order), the clock gives the recorded
//! readings in turn, and storage starts with the values the connector read. Nothing reaches the
//! network: a request the tape has no answer for gets a connection error, and is reported.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::capabilities::http::method_name;
use crate::clock::{Clock, SleepFuture};
use crate::outbound::{
    OutboundError, OutboundFuture, OutboundHttp, OutboundRequest, OutboundResponse,
};
use crate::redact::Redactor;
use crate::storage::{KvStore, Namespace, SqliteStore, StoreError};
use crate::tape::{Received, TapedExchange};

/// What became of one request the replayed connector sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RequestReplay {
    pub method: String,
    /// Redacted.
    pub url: String,
    pub outcome: RequestOutcome,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum RequestOutcome {
    /// Answered from the tape; the same body as recorded.
    Same,
    /// Answered from the tape, but its body differs from the recorded request's (both redacted).
    BodyDiffers { recorded: String, replayed: String },
    /// The tape has no answer for it: the connector asked for something it did not ask before.
    NotRecorded,
}

/// The playback of one fetch's tape.
pub(crate) struct Playback {
    exchanges: Vec<TapedExchange>,
    clock: Vec<DateTime<Utc>>,
    redactor: Redactor,
    state: Mutex<PlaybackState>,
}

#[derive(Default)]
struct PlaybackState {
    used: BTreeSet<usize>,
    readings: usize,
    requests: Vec<RequestReplay>,
}

impl Playback {
    /// Plays `tape` back; `redactor` (of the connection's secrets now) redacts what the replayed
    /// connector sends, to compare it with what was recorded, and puts the secrets back into the
    /// recorded answers.
    pub fn new(tape: &[Received], redactor: Redactor) -> Arc<Self> {
        let mut exchanges = Vec::new();
        let mut clock = Vec::new();
        for received in tape {
            match received {
                Received::Http(exchange) => exchanges.push(exchange.clone()),
                Received::Clock { at } => clock.push(*at),
                Received::Storage { .. } => {}
            }
        }
        Arc::new(Self {
            exchanges,
            clock,
            redactor,
            state: Mutex::default(),
        })
    }

    /// An in-memory store holding, in namespace `ns`, the first value the tape read of each key,
    /// its secrets put back by `redactor`.
    pub fn storage(
        tape: &[Received],
        ns: &Namespace,
        redactor: &Redactor,
    ) -> Result<SqliteStore, StoreError> {
        let store = SqliteStore::in_memory()?;
        let mut seen = BTreeSet::new();
        for received in tape {
            if let Received::Storage { key, value } = received
                && seen.insert(key.clone())
                && let Some(value) = value
            {
                store.set(ns, key, redactor.restore(value).as_bytes())?;
            }
        }
        Ok(store)
    }

    /// What became of each request, then the recorded requests nobody asked for again.
    pub fn requests(&self) -> (Vec<RequestReplay>, Vec<RequestReplay>) {
        let state = self.state();
        let unasked = self
            .exchanges
            .iter()
            .enumerate()
            .filter(|(index, _)| !state.used.contains(index))
            .map(|(_, exchange)| RequestReplay {
                method: exchange.method.clone(),
                url: exchange.url.clone(),
                outcome: RequestOutcome::NotRecorded,
            })
            .collect();
        (state.requests.clone(), unasked)
    }

    fn state(&self) -> std::sync::MutexGuard<'_, PlaybackState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The recorded answer to `request`: the first unused exchange with its method and URL.
    fn answer(&self, request: &OutboundRequest) -> Result<OutboundResponse, OutboundError> {
        let method = method_name(request.method);
        let url = self.redactor.redact(request.url.as_str());
        let body = self.redactor.whole(&request.body);
        let mut state = self.state();
        let found = self.exchanges.iter().enumerate().find(|(index, exchange)| {
            !state.used.contains(index) && exchange.method == method && exchange.url == url
        });
        let Some((index, exchange)) = found else {
            state.requests.push(RequestReplay {
                method: method.to_owned(),
                url: url.clone(),
                outcome: RequestOutcome::NotRecorded,
            });
            return Err(OutboundError::Connection(format!(
                "replay: no recorded answer for {method} {url}; a replay does not reach the network"
            )));
        };
        state.used.insert(index);
        let outcome = match exchange.request_body == body {
            true => RequestOutcome::Same,
            false => RequestOutcome::BodyDiffers {
                recorded: exchange.request_body.clone(),
                replayed: body,
            },
        };
        state.requests.push(RequestReplay {
            method: method.to_owned(),
            url,
            outcome,
        });
        match exchange.status {
            Some(status) => Ok(OutboundResponse {
                status,
                headers: exchange
                    .headers
                    .iter()
                    .map(|(name, value)| (name.clone(), self.redactor.restore(value)))
                    .collect(),
                body: self.redactor.restore(&exchange.body).into_bytes(),
            }),
            None => Err(OutboundError::Connection(
                exchange
                    .error
                    .clone()
                    .unwrap_or_else(|| "no response".into()),
            )),
        }
    }
}

/// The transport of a replay.
pub(crate) struct PlaybackHttp(pub Arc<Playback>);

impl OutboundHttp for PlaybackHttp {
    fn send(&self, request: OutboundRequest) -> OutboundFuture<'_> {
        let answer = self.0.answer(&request);
        Box::pin(async move { answer })
    }
}

/// The clock of a replay: the recorded readings in turn, then the last one; sleeping takes no
/// time.
pub(crate) struct PlaybackClock(pub Arc<Playback>);

impl Clock for PlaybackClock {
    fn now(&self) -> DateTime<Utc> {
        let playback = &self.0;
        let mut state = playback.state();
        let reading = playback
            .clock
            .get(state.readings)
            .or(playback.clock.last())
            .copied()
            .unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
        state.readings += 1;
        reading
    }

    fn sleep(&self, _duration: Duration) -> SleepFuture {
        Box::pin(tokio::task::yield_now())
    }
}
