//! The recorded attempts (see [`crate::flow::recording`]): written in the transaction that
//! records the attempt's outcome, read by dry-runs, and pruned to `[recording]`'s age and size.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::blobs::{self, Blob};
use super::sqlite::SqliteInbox;
use super::{Inbox, InboxError};
use crate::flow::recording::{ApplyTape, Recording};
use crate::sqlite::{from_ms, to_ms};

/// How many of the oldest recordings go at a time while the blobs exceed their size.
pub(super) const PRUNE_BATCH: i64 = 200;

/// What the recordings take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RecordingUsage {
    pub recordings: u64,
    /// Compressed, on disk.
    pub stored_bytes: u64,
    /// Before compression, each part counted once.
    pub raw_bytes: u64,
}

/// What a prune removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    pub recordings: usize,
    pub blobs: usize,
}

/// One recorded attempt of an event.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedAttempt {
    pub attempt: u32,
    pub recorded_at: DateTime<Utc>,
    pub recording: Recording,
    /// The tape of the apply that carried its commands, when it reached the sink.
    pub apply: Option<ApplyTape>,
}

/// A recording encoded into its parts, each hashed and compressed, ready for the inbox's writer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedRecording {
    parts: Vec<(&'static str, Arc<Blob>)>,
}

/// An apply's tape, encoded once for all the events of its batch ([`encode_apply`]).
pub type EncodedApply = Arc<Blob>;

impl PreparedRecording {
    /// Encodes `recording`, with the tape of the apply that carried its commands; the work of
    /// hashing and compressing is done here, by the caller.
    pub fn of(recording: &Recording, apply: Option<EncodedApply>) -> Result<Self, InboxError> {
        let mut parts = vec![
            ("mapping", json_blob(&recording.mapping)?),
            ("records", json_blob(&recording.records)?),
            ("config", Arc::new(Blob::of(recording.config.as_bytes())?)),
            ("settings", json_blob(&recording.settings)?),
            ("answer", json_blob(&recording.answer)?),
            ("fetch", json_blob(&recording.fetch)?),
        ];
        parts.extend(apply.map(|apply| ("apply", apply)));
        Ok(Self { parts })
    }
}

/// Encodes a batch's apply tape once, for the recordings of all its events.
pub(crate) fn encode_apply(tape: &ApplyTape) -> Result<EncodedApply, InboxError> {
    json_blob(tape)
}

fn json_blob(value: &impl Serialize) -> Result<Arc<Blob>, InboxError> {
    let bytes = serde_json::to_vec(value)
        .map_err(|error| InboxError(format!("cannot encode a recording: {error}")))?;
    Ok(Arc::new(Blob::of(&bytes)?))
}

/// Stores attempt `attempt` of event `event_id`, replacing an earlier recording of it.
pub(super) fn insert(
    db: &Connection,
    event_id: i64,
    attempt: u32,
    now: DateTime<Utc>,
    recording: &PreparedRecording,
) -> Result<(), InboxError> {
    for blob in recording.blobs() {
        blobs::put(db, blob)?;
    }
    db.prepare_cached(
        "INSERT OR REPLACE INTO recordings (event_id, attempt, recorded_at, parts)
         VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![
        event_id,
        attempt,
        to_ms(now),
        recording.part_hashes()
    ])?;
    Ok(())
}

/// Where a recorded attempt's parts are: read by a backend, assembled by [`Inbox::recording`].
pub(super) struct RecordingHeader {
    pub attempt: u32,
    pub recorded_at: DateTime<Utc>,
    /// Each part's blob hash, by the part's name.
    pub parts: Map<String, Value>,
}

impl RecordingHeader {
    /// The header of event `id`'s recording whose parts are the JSON `parts`.
    pub(super) fn read(
        id: i64,
        attempt: u32,
        recorded_at: DateTime<Utc>,
        parts: &str,
    ) -> Result<Self, InboxError> {
        let parts = serde_json::from_str(parts)
            .map_err(|error| InboxError(format!("recording of event {id}: {error}")))?;
        Ok(Self {
            attempt,
            recorded_at,
            parts,
        })
    }
}

impl PreparedRecording {
    /// The parts as JSON naming each part's blob by its hash.
    pub(super) fn part_hashes(&self) -> String {
        let mut parts = Map::new();
        for (name, blob) in &self.parts {
            parts.insert((*name).into(), Value::String(blob.hash.clone()));
        }
        Value::Object(parts).to_string()
    }

    /// The parts' blobs.
    pub(super) fn blobs(&self) -> impl Iterator<Item = &Blob> {
        self.parts.iter().map(|(_, blob)| blob.as_ref())
    }
}

impl Inbox {
    /// The last recorded attempt of event `id`: none for an event whose mapping never ran, or
    /// that ran before this host recorded attempts, or whose recording was pruned.
    pub fn recording(&self, id: i64) -> Result<Option<RecordedAttempt>, InboxError> {
        let Some(header) = self.recording_header(id)? else {
            return Ok(None);
        };
        let part = |name: &str| -> Result<Vec<u8>, InboxError> {
            let hash = header
                .parts
                .get(name)
                .and_then(Value::as_str)
                .unwrap_or_default();
            self.blob(hash)?.ok_or_else(|| {
                InboxError(format!("recording of event {id}: its {name} is missing"))
            })
        };
        let apply = match header.parts.get("apply") {
            Some(_) => Some(decode(id, "apply", &part("apply")?)?),
            None => None,
        };
        let recording = Recording {
            mapping: decode(id, "mapping", &part("mapping")?)?,
            records: decode(id, "records", &part("records")?)?,
            config: String::from_utf8_lossy(&part("config")?).into_owned(),
            settings: decode(id, "settings", &part("settings")?)?,
            answer: decode(id, "answer", &part("answer")?)?,
            fetch: decode(id, "fetch", &part("fetch")?)?,
        };
        Ok(Some(RecordedAttempt {
            attempt: header.attempt,
            recorded_at: header.recorded_at,
            recording,
            apply,
        }))
    }
}

impl SqliteInbox {
    /// The last recording of event `id`: its attempt, when, and its parts' blob hashes by name.
    pub(super) fn recording_header(&self, id: i64) -> Result<Option<RecordingHeader>, InboxError> {
        let found: Option<(u32, i64, String)> = self
            .db()
            .prepare_cached(
                "SELECT attempt, recorded_at, parts FROM recordings WHERE event_id = ?1
                 ORDER BY attempt DESC LIMIT 1",
            )?
            .query_row(params![id], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?))
            })
            .optional()?;
        found
            .map(|(attempt, recorded_at, parts)| {
                RecordingHeader::read(id, attempt, from_ms(recorded_at), &parts)
            })
            .transpose()
    }

    /// The bytes of the part stored under `hash`.
    pub(super) fn blob(&self, hash: &str) -> Result<Option<Vec<u8>>, InboxError> {
        blobs::get(&self.db(), hash)
    }

    /// The ids of flow `flow`'s events received at or after `since`, oldest first.
    pub(super) fn event_ids_since(
        &self,
        flow: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<i64>, InboxError> {
        let db = self.db();
        let mut statement = db.prepare_cached(
            "SELECT id FROM events WHERE flow = ?1 AND received_at >= ?2 ORDER BY id",
        )?;
        let ids = statement
            .query_map(params![flow, to_ms(since)], |row| row.get(0))?
            .collect::<Result<_, _>>()?;
        Ok(ids)
    }

    /// What the recordings take now.
    pub(super) fn recording_usage(&self) -> Result<RecordingUsage, InboxError> {
        let db = self.db();
        let recordings: i64 =
            db.query_row("SELECT COUNT(*) FROM recordings", [], |row| row.get(0))?;
        let (stored_bytes, raw_bytes) = blobs::sizes(&db)?;
        Ok(RecordingUsage {
            recordings: recordings as u64,
            stored_bytes,
            raw_bytes,
        })
    }

    /// Removes the recordings older than `policy.keep`, then the oldest ones while the blobs
    /// take more than `max_bytes`, and the blobs no recording names any more.
    pub(super) async fn prune_recordings(
        &self,
        cutoff: DateTime<Utc>,
        max_bytes: u64,
    ) -> Result<Pruned, InboxError> {
        self.write(move |db| {
            let mut pruned = Pruned {
                recordings: db.execute(
                    "DELETE FROM recordings WHERE recorded_at < ?1",
                    params![to_ms(cutoff)],
                )?,
                blobs: blobs::remove_unnamed(db)?,
            };
            while blobs::sizes(db)?.0 > max_bytes {
                let removed = db.execute(
                    "DELETE FROM recordings WHERE rowid IN
                         (SELECT rowid FROM recordings ORDER BY recorded_at LIMIT ?1)",
                    params![PRUNE_BATCH],
                )?;
                pruned.recordings += removed;
                pruned.blobs += blobs::remove_unnamed(db)?;
                if removed == 0 {
                    break;
                }
            }
            Ok(pruned)
        })
        .await
    }
}

fn decode<T: DeserializeOwned>(id: i64, name: &str, bytes: &[u8]) -> Result<T, InboxError> {
    serde_json::from_slice(bytes)
        .map_err(|error| InboxError(format!("recording of event {id}: its {name}: {error}")))
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};

    use super::*;
    use crate::bindings::types::Event;
    use crate::config::RecordingPolicy;
    use crate::flow::audit::Step;
    use crate::flow::inbox::Inbox;
    use crate::flow::inbox::{Arrival, Finish};
    use crate::flow::recording::{
        FetchTape, MappingAnswer, RecordedCommand, RecordedEntity, RecordedPlugin,
    };
    use crate::sqlite::fresh_path;
    use crate::tape::Received;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    /// A recording of an order whose record body is `body`, with the config every event shares.
    fn recording(body: &str) -> Recording {
        Recording {
            mapping: RecordedPlugin {
                name: "shopify-intacct".into(),
                version: "0.1.0".into(),
                hash: "ab".repeat(32),
            },
            records: vec![RecordedEntity {
                kind: "shopify.order".into(),
                id: "1".into(),
                body: body.into(),
            }],
            config: format!("{{\"accounts\": \"{}\"}}", "4000 ".repeat(400)),
            settings: [("region".to_owned(), "east".to_owned())].into(),
            answer: MappingAnswer::Commands {
                commands: vec![RecordedCommand {
                    kind: "intacct.create-invoice".into(),
                    key: "k1".into(),
                    body: "{\"lines\": []}".into(),
                }],
            },
            fetch: FetchTape {
                connector: RecordedPlugin {
                    name: "shopify".into(),
                    version: "0.1.0".into(),
                    hash: "cd".repeat(32),
                },
                connection: "shop".into(),
                received: vec![Received::Clock {
                    at: at("2026-12-01T09:59:59Z"),
                }],
            },
        }
    }

    /// Receives event `key`, claims it and finishes its attempt with `recording` at `now`.
    async fn recorded(inbox: &Inbox, key: &str, recording: Recording, now: DateTime<Utc>) -> i64 {
        let event = Event {
            key: key.into(),
            topic: "orders/create".into(),
            reference: key.into(),
            occurred_at: None,
            payload: None,
        };
        let step = Step::note(0, "received", now, "webhook");
        let receipts = inbox
            .receive(
                "shop".into(),
                Arrival::Webhook,
                vec![("orders".into(), event)],
                step,
                now,
            )
            .await
            .unwrap();
        let claimed = inbox.claim(1, now, &Default::default()).await.unwrap();
        assert_eq!(claimed[0].id, receipts[0].id);
        let done = Finish::Done {
            external_ids: Vec::new(),
        };
        let prepared = PreparedRecording::of(&recording, None).unwrap();
        inbox
            .finish(receipts[0].id, 1, done, Vec::new(), Some(prepared), now)
            .await
            .unwrap();
        receipts[0].id
    }

    #[tokio::test]
    async fn a_recording_reads_back_whole_and_parts_seen_before_are_stored_once() {
        let inbox = Inbox::open(&fresh_path("inbox.db")).unwrap();
        let now = at("2026-12-01T10:00:00Z");
        let first = recorded(&inbox, "o1", recording("{\"id\": 1}"), now).await;
        let after_one = inbox.recording_usage().unwrap();
        let second = recorded(&inbox, "o2", recording("{\"id\": 2}"), now).await;
        let after_two = inbox.recording_usage().unwrap();

        let read = inbox.recording(second).unwrap().expect("a recording");
        assert_eq!(read.attempt, 1);
        assert_eq!(read.recorded_at, now);
        assert_eq!(read.recording, recording("{\"id\": 2}"));
        assert_eq!(
            inbox.recording(first).unwrap().unwrap().recording,
            recording("{\"id\": 1}")
        );
        assert_eq!(inbox.recording(999).unwrap(), None);
        // The second adds only its records: the config, settings, answer and mapping were there.
        let records_size = serde_json::to_vec(&recording("{\"id\": 2}").records)
            .unwrap()
            .len();
        assert_eq!(
            after_two.raw_bytes - after_one.raw_bytes,
            records_size as u64
        );
        assert!(
            after_one.stored_bytes < after_one.raw_bytes,
            "{after_one:?}"
        );
    }

    #[tokio::test]
    async fn pruning_removes_old_recordings_then_the_oldest_past_the_size_and_their_blobs() {
        let inbox = Inbox::open(&fresh_path("inbox.db")).unwrap();
        let old = recorded(
            &inbox,
            "o1",
            recording("{\"id\": 1}"),
            at("2026-10-01T10:00:00Z"),
        )
        .await;
        let older_kept = recorded(
            &inbox,
            "o2",
            recording("{\"id\": 2}"),
            at("2026-11-20T10:00:00Z"),
        )
        .await;
        let newest = recorded(
            &inbox,
            "o3",
            recording("{\"id\": 3}"),
            at("2026-11-30T10:00:00Z"),
        )
        .await;
        let now = at("2026-12-01T10:00:00Z");

        let month = RecordingPolicy::default();
        let pruned = inbox.prune_recordings(month, now).await.unwrap();
        assert_eq!(
            pruned,
            Pruned {
                recordings: 1,
                blobs: 1
            },
            "o1's records went"
        );
        assert_eq!(inbox.recording(old).unwrap(), None);
        assert!(inbox.recording(older_kept).unwrap().is_some());

        let stored = inbox.recording_usage().unwrap().stored_bytes;
        let smaller = RecordingPolicy {
            max_bytes: stored - 1,
            ..month
        };
        let pruned = inbox.prune_recordings(smaller, now).await.unwrap();
        assert_eq!(pruned.recordings, 2, "{pruned:?}: one batch takes both");
        assert_eq!(inbox.recording(newest).unwrap(), None);
        assert_eq!(
            inbox.recording_usage().unwrap().stored_bytes,
            0,
            "no blob is left unnamed"
        );
    }
}
