//! The recorded attempts and their blobs in the shared inbox (see `super::super::recordings` and
//! `super::super::blobs` for the SQLite twins): written in an attempt's finish, read, and pruned.

use crate::postgres::Statements;
use chrono::{DateTime, Utc};

use super::PostgresInbox;
use super::rows::{attempt, count};
use crate::flow::inbox::blobs::decompress;
use crate::flow::inbox::recordings::{PRUNE_BATCH, RecordingHeader};
use crate::flow::inbox::{InboxError, PreparedRecording, Pruned, RecordingUsage};
use crate::sqlite::{from_ms, to_ms};

/// The key of the advisory lock between the writes that name blobs (shared) and a prune
/// (exclusive): a prune does not see the recordings of transactions not committed yet, and would
/// take a blob from under one that found it stored.
const BLOBS_LOCK: i64 = 7_240_002;

/// Stores attempt `attempt_number` of event `event_id`, replacing an earlier recording of it. Run
/// inside the caller's transaction.
pub(super) async fn insert(
    client: &impl Statements,
    event_id: i64,
    attempt_number: u32,
    now: DateTime<Utc>,
    recording: &PreparedRecording,
) -> Result<(), tokio_postgres::Error> {
    // In the order of their hashes, so that two transactions storing the same new blobs wait for
    // each other rather than deadlock.
    let mut blobs: Vec<_> = recording.blobs().collect();
    blobs.sort_by(|a, b| a.hash.cmp(&b.hash));
    blobs.dedup_by(|a, b| a.hash == b.hash);
    let hashes: Vec<&str> = blobs.iter().map(|blob| blob.hash.as_str()).collect();
    let sizes: Vec<i64> = blobs.iter().map(|blob| blob.size as i64).collect();
    let stored_sizes: Vec<i64> = blobs.iter().map(|blob| blob.data.len() as i64).collect();
    let data: Vec<&[u8]> = blobs.iter().map(|blob| blob.data.as_slice()).collect();
    client
        .execute("SELECT pg_advisory_xact_lock_shared($1)", &[&BLOBS_LOCK])
        .await?;
    client
        .execute(
            "INSERT INTO blobs (hash, size, stored_size, data)
             SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bytea[])
             ON CONFLICT (hash) DO NOTHING",
            &[&hashes, &sizes, &stored_sizes, &data],
        )
        .await?;
    client
        .execute(
            "INSERT INTO recordings (event_id, attempt, recorded_at, parts)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (event_id, attempt) DO UPDATE
                 SET recorded_at = excluded.recorded_at, parts = excluded.parts",
            &[
                &event_id,
                &attempt(attempt_number),
                &to_ms(now),
                &recording.part_hashes(),
            ],
        )
        .await?;
    Ok(())
}

impl PostgresInbox {
    pub(in crate::flow::inbox) async fn recording_header(
        &self,
        id: i64,
    ) -> Result<Option<RecordingHeader>, InboxError> {
        let found = self
            .client()
            .await?
            .query_opt(
                "SELECT attempt, recorded_at, parts FROM recordings WHERE event_id = $1
                 ORDER BY attempt DESC LIMIT 1",
                &[&id],
            )
            .await
            .map_err(|e| self.failed(e))?;
        found
            .map(|row| {
                RecordingHeader::read(id, count(row.get(0)), from_ms(row.get(1)), row.get(2))
            })
            .transpose()
    }

    pub(in crate::flow::inbox) async fn blob(
        &self,
        hash: &str,
    ) -> Result<Option<Vec<u8>>, InboxError> {
        let found = self
            .client()
            .await?
            .query_opt("SELECT size, data FROM blobs WHERE hash = $1", &[&hash])
            .await
            .map_err(|e| self.failed(e))?;
        found
            .map(|row| decompress(hash, row.get(0), row.get(1)))
            .transpose()
    }

    pub(in crate::flow::inbox) async fn event_ids_since(
        &self,
        flow: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<i64>, InboxError> {
        let rows = self
            .client()
            .await?
            .query(
                "SELECT id FROM events WHERE flow = $1 AND received_at >= $2 ORDER BY id",
                &[&flow, &to_ms(since)],
            )
            .await
            .map_err(|e| self.failed(e))?;
        Ok(rows.iter().map(|row| row.get(0)).collect())
    }

    pub(in crate::flow::inbox) async fn recording_usage(
        &self,
    ) -> Result<RecordingUsage, InboxError> {
        let row = self
            .client()
            .await?
            .query_one(
                "SELECT (SELECT COUNT(*) FROM recordings),
                     COALESCE(SUM(stored_size), 0)::bigint, COALESCE(SUM(size), 0)::bigint
                 FROM blobs",
                &[],
            )
            .await
            .map_err(|e| self.failed(e))?;
        Ok(RecordingUsage {
            recordings: row.get::<_, i64>(0).unsigned_abs(),
            stored_bytes: row.get::<_, i64>(1).unsigned_abs(),
            raw_bytes: row.get::<_, i64>(2).unsigned_abs(),
        })
    }

    /// Removes the recordings older than `policy.keep`, then the oldest ones while the blobs
    /// take more than `max_bytes`, and the blobs no recording names any more; in one
    /// transaction, during which no host stores a recording.
    pub(in crate::flow::inbox) async fn prune_recordings(
        &self,
        cutoff: DateTime<Utc>,
        max_bytes: u64,
    ) -> Result<Pruned, InboxError> {
        let mut session = self.session().await?;
        let tx = session.transaction().await.map_err(|e| self.failed(e))?;
        let pruned = prune(&tx, cutoff, max_bytes)
            .await
            .map_err(|e| self.failed(e))?;
        tx.commit().await.map_err(|e| self.failed(e))?;
        Ok(pruned)
    }
}

async fn prune(
    client: &impl Statements,
    cutoff: DateTime<Utc>,
    max_bytes: u64,
) -> Result<Pruned, tokio_postgres::Error> {
    client
        .execute("SELECT pg_advisory_xact_lock($1)", &[&BLOBS_LOCK])
        .await?;
    let old = client
        .execute(
            "DELETE FROM recordings WHERE recorded_at < $1",
            &[&to_ms(cutoff)],
        )
        .await?;
    let mut pruned = Pruned {
        recordings: old as usize,
        blobs: remove_unnamed(client).await?,
    };
    while stored_bytes(client).await? > max_bytes {
        let removed = client
            .execute(
                "DELETE FROM recordings WHERE (event_id, attempt) IN
                     (SELECT event_id, attempt FROM recordings ORDER BY recorded_at LIMIT $1)",
                &[&PRUNE_BATCH],
            )
            .await?;
        pruned.recordings += removed as usize;
        pruned.blobs += remove_unnamed(client).await?;
        if removed == 0 {
            break;
        }
    }
    Ok(pruned)
}

/// Removes the blobs no recording names; returns how many.
async fn remove_unnamed(client: &impl Statements) -> Result<usize, tokio_postgres::Error> {
    let removed = client
        .execute(
            "DELETE FROM blobs WHERE NOT EXISTS
                 (SELECT 1 FROM recordings, jsonb_each_text(recordings.parts::jsonb) AS part
                  WHERE part.value = blobs.hash)",
            &[],
        )
        .await?;
    Ok(removed as usize)
}

/// The bytes the blobs take, compressed.
async fn stored_bytes(client: &impl Statements) -> Result<u64, tokio_postgres::Error> {
    let row = client
        .query_one(
            "SELECT COALESCE(SUM(stored_size), 0)::bigint FROM blobs",
            &[],
        )
        .await?;
    Ok(row.get::<_, i64>(0).unsigned_abs())
}
