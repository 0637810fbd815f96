//! What the engine does with the shared inbox (see `super::super::queue` for the SQLite twin):
//! take events in, deduplicated by `(flow, event key)` across hosts; claim due ones with
//! `FOR UPDATE SKIP LOCKED` and a lease; extend the leases of the attempts running; record an
//! outcome only for the attempt that still holds its event; return events whose lease ran out;
//! keep each polled flow's cursor in the transaction of the events it produced.

use crate::postgres::Statements;
use chrono::{DateTime, Utc};
use tokio_postgres::types::ToSql;

use super::PostgresInbox;
use super::rows::{EVENT_COLUMNS, attempt, event_rows, insert_steps};
use crate::bindings::types::Event;
use crate::flow::audit::Step;
use crate::flow::inbox::queue::of_flow;
use crate::flow::inbox::{
    Arrival, EventRow, Finish, InboxError, PollSave, PollState, PreparedRecording, Receipt,
};
use crate::sqlite::{from_ms, to_ms};

/// After this many attempts cut short in a row (their host died or stalled each time), an event
/// waits for review instead of running again: it may be what kills its hosts.
const MOST_INTERRUPTIONS: i64 = 3;

impl PostgresInbox {
    pub(in crate::flow::inbox) async fn receive(
        &self,
        connection: String,
        arrival: Arrival,
        entries: Vec<(String, Event)>,
        step: Step,
        now: DateTime<Utc>,
    ) -> Result<Vec<Receipt>, InboxError> {
        let mut session = self.session().await?;
        let tx = session.transaction().await.map_err(|e| self.failed(e))?;
        let receipts = insert_events(&tx, &connection, arrival, &entries, &step, now)
            .await
            .map_err(|e| self.failed(e))?;
        tx.commit().await.map_err(|e| self.failed(e))?;
        Ok(receipts)
    }

    pub(in crate::flow::inbox) async fn claim(
        &self,
        limit: usize,
        now: DateTime<Utc>,
        active: String,
    ) -> Result<Vec<EventRow>, InboxError> {
        let client = self.client().await?;
        let lease_until = self.lease_until(now);
        let rows = client
            .query(
                &format!(
                    "UPDATE events SET status = 'running', attempts = attempts + 1,
                         updated_at = $1, held_by = $3, lease_until = $4,
                         pins = COALESCE(pins, ($5::text)::jsonb ->> flow)
                     WHERE id IN (SELECT id FROM events
                                  WHERE status IN ('pending', 'retry') AND next_attempt_at <= $1
                                  ORDER BY next_attempt_at, id LIMIT $2
                                  FOR UPDATE SKIP LOCKED)
                     RETURNING {EVENT_COLUMNS}"
                ),
                &[
                    &to_ms(now),
                    &(limit as i64),
                    &&*self.holder,
                    &lease_until,
                    &active,
                ],
            )
            .await
            .map_err(|e| self.failed(e))?;
        let mut claimed = event_rows(&rows)?;
        claimed.sort_by_key(|row| row.id);
        Ok(claimed)
    }

    pub(in crate::flow::inbox) async fn finish(
        &self,
        id: i64,
        attempt_number: u32,
        finish: Finish,
        steps: Vec<Step>,
        recording: Option<PreparedRecording>,
        now: DateTime<Utc>,
    ) -> Result<bool, InboxError> {
        let mut session = self.session().await?;
        let tx = session.transaction().await.map_err(|e| self.failed(e))?;
        if let Some(recording) = &recording {
            super::recordings::insert(&tx, id, attempt_number, now, recording)
                .await
                .map_err(|e| self.failed(e))?;
        }
        insert_steps(&tx, id, &steps)
            .await
            .map_err(|e| self.failed(e))?;
        let taken = record_finish(&tx, id, attempt(attempt_number), &finish, now)
            .await
            .map_err(|e| self.failed(e))?;
        tx.commit().await.map_err(|e| self.failed(e))?;
        Ok(taken)
    }

    pub(in crate::flow::inbox) async fn keep_leases(
        &self,
        held: Vec<(i64, u32)>,
        now: DateTime<Utc>,
    ) -> Result<Vec<i64>, InboxError> {
        if held.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<i64> = held.iter().map(|(id, _)| *id).collect();
        let attempts: Vec<i32> = held.iter().map(|(_, number)| attempt(*number)).collect();
        let lease_until = self.lease_until(now);
        // A row another transaction holds (this host's own outcome being written, say) is
        // skipped, never waited for: this statement shares the host's connection, and a wait
        // there would hold up every statement behind it. The next round extends it; it is lost
        // only if, as committed, it no longer runs this attempt.
        let lost = self
            .client()
            .await?
            .query(
                "WITH held AS (SELECT * FROM unnest($1::bigint[], $2::int[]) AS held (id, attempt)),
                 kept AS (
                     UPDATE events SET lease_until = $3
                     WHERE id IN (SELECT events.id FROM events JOIN held
                                      ON events.id = held.id AND events.attempts = held.attempt
                                  WHERE events.status = 'running'
                                  FOR UPDATE OF events SKIP LOCKED)
                     RETURNING id)
                 SELECT held.id FROM held
                 WHERE held.id NOT IN (SELECT id FROM kept)
                   AND NOT EXISTS (SELECT 1 FROM events
                                   WHERE events.id = held.id AND events.attempts = held.attempt
                                     AND events.status = 'running')",
                &[&ids, &attempts, &lease_until],
            )
            .await
            .map_err(|e| self.failed(e))?;
        Ok(lost.iter().map(|row| row.get(0)).collect())
    }

    pub(in crate::flow::inbox) async fn release(
        &self,
        ids: Vec<i64>,
        now: DateTime<Utc>,
    ) -> Result<(), InboxError> {
        let note =
            "released at shutdown before it finished; another host or the next start runs it";
        self.client()
            .await?
            .execute(
                "WITH released AS (
                     UPDATE events SET status = 'pending', next_attempt_at = $2, updated_at = $2,
                         held_by = NULL, lease_until = NULL
                     WHERE id = ANY($1) AND status = 'running' AND held_by = $3
                     RETURNING id, attempts)
                 INSERT INTO steps (event_id, attempt, name, started_at, duration_us, ok, message,
                     detail)
                 SELECT id, attempts, 'released', $2, 0, true, $4, 'null' FROM released",
                &[&ids, &to_ms(now), &&*self.holder, &note],
            )
            .await
            .map_err(|e| self.failed(e))?;
        Ok(())
    }

    /// Returns the events whose lease ran out, whoever held them, each with an `interrupted`
    /// step; one cut short [`MOST_INTERRUPTIONS`] times in a row waits for review.
    pub(in crate::flow::inbox) async fn recover(
        &self,
        now: DateTime<Utc>,
    ) -> Result<usize, InboxError> {
        let returned = self
            .client()
            .await?
            .execute(
                "WITH returned AS (
                     UPDATE events SET
                         status = CASE WHEN interrupted.streak + 1 >= $2 THEN 'review'
                                       ELSE 'pending' END,
                         review_reason = CASE WHEN interrupted.streak + 1 >= $2
                             THEN 'its last ' || $2 || ' attempts were cut short: their host \
                                   stopped or stalled while running it'
                             ELSE review_reason END,
                         next_attempt_at = $1, updated_at = $1, held_by = NULL,
                         lease_until = NULL
                     FROM (SELECT e.id, e.held_by AS holder,
                               (SELECT count(*) FROM steps s
                                WHERE s.event_id = e.id AND s.name = 'interrupted'
                                  AND s.attempt > e.replayed_at_attempt) AS streak
                           FROM events e
                           WHERE e.status = 'running' AND e.lease_until < $1
                           FOR UPDATE OF e SKIP LOCKED) AS interrupted
                     WHERE events.id = interrupted.id
                     RETURNING events.id, events.attempts, interrupted.holder)
                 INSERT INTO steps (event_id, attempt, name, started_at, duration_us, ok, message,
                     detail)
                 SELECT id, attempts, 'interrupted', $1, 0, false,
                     'the lease of ' || COALESCE(holder, 'its host') || ' ran out during this \
                      attempt: the host stopped or stalled; returned to the queue',
                     'null'
                 FROM returned",
                &[&to_ms(now), &MOST_INTERRUPTIONS],
            )
            .await
            .map_err(|e| self.failed(e))?;
        Ok(returned as usize)
    }

    pub(in crate::flow::inbox) async fn poll_state(
        &self,
        flow: &str,
    ) -> Result<PollState, InboxError> {
        let found = self
            .client()
            .await?
            .query_opt(
                "SELECT cursor, polled_at, next_at, last_error FROM cursors WHERE flow = $1",
                &[&flow],
            )
            .await
            .map_err(|e| self.failed(e))?;
        Ok(found
            .map(|row| PollState {
                cursor: row.get(0),
                polled_at: row.get::<_, Option<i64>>(1).map(from_ms),
                next_at: row.get::<_, Option<i64>>(2).map(from_ms),
                last_error: row.get(3),
            })
            .unwrap_or_default())
    }

    /// Makes this host the one that polls `flow` for a lease from `now`, unless another host
    /// holds a lease on it that has not run out; whether this host polls it.
    pub(in crate::flow::inbox) async fn lead_poll(
        &self,
        flow: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, InboxError> {
        let lease_until = self.lease_until(now);
        let led = self
            .client()
            .await?
            .query_opt(
                "INSERT INTO cursors (flow, leader, lease_until) VALUES ($1, $2, $3)
                 ON CONFLICT (flow) DO UPDATE SET leader = $2, lease_until = $3
                 WHERE cursors.leader IS NULL OR cursors.leader = $2 OR cursors.lease_until < $4
                 RETURNING flow",
                &[&flow, &&*self.holder, &lease_until, &to_ms(now)],
            )
            .await
            .map_err(|e| self.failed(e))?;
        Ok(led.is_some())
    }

    /// Stores a poll's events and moves the cursor, if this host still polls the flow; else
    /// stores nothing and says so.
    pub(in crate::flow::inbox) async fn save_poll(
        &self,
        save: PollSave,
        next_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Receipt>, InboxError> {
        let entries = of_flow(&save.flow, save.events);
        let mut session = self.session().await?;
        let tx = session.transaction().await.map_err(|e| self.failed(e))?;
        let moved = tx
            .execute(
                "UPDATE cursors SET cursor = COALESCE($2, cursor), polled_at = $3, next_at = $4,
                     last_error = NULL
                 WHERE flow = $1 AND leader = $5",
                &[
                    &save.flow,
                    &save.cursor,
                    &to_ms(now),
                    &to_ms(next_at),
                    &&*self.holder,
                ],
            )
            .await
            .map_err(|e| self.failed(e))?;
        if moved == 0 {
            return Err(self.not_leading(&save.flow));
        }
        let receipts = insert_events(
            &tx,
            &save.connection,
            Arrival::Poll,
            &entries,
            &save.step,
            now,
        )
        .await
        .map_err(|e| self.failed(e))?;
        tx.commit().await.map_err(|e| self.failed(e))?;
        Ok(receipts)
    }

    pub(in crate::flow::inbox) async fn poll_failed(
        &self,
        flow: String,
        error: String,
        next_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), InboxError> {
        let recorded = self
            .client()
            .await?
            .execute(
                "UPDATE cursors SET polled_at = $2, next_at = $3, last_error = $4
                 WHERE flow = $1 AND leader = $5",
                &[&flow, &to_ms(now), &to_ms(next_at), &error, &&*self.holder],
            )
            .await
            .map_err(|e| self.failed(e))?;
        match recorded {
            0 => Err(self.not_leading(&flow)),
            _ => Ok(()),
        }
    }

    /// The refusal of a poll's result from a host that no longer polls the flow.
    fn not_leading(&self, flow: &str) -> InboxError {
        InboxError(format!(
            "flow `{flow}` is polled by another host now (this host's lease ran out): this \
             poll's result is not kept"
        ))
    }

    pub(in crate::flow::inbox) async fn status_counts(
        &self,
    ) -> Result<Vec<(String, u64)>, InboxError> {
        let rows = self
            .client()
            .await?
            .query("SELECT status, COUNT(*) FROM events GROUP BY status", &[])
            .await
            .map_err(|e| self.failed(e))?;
        Ok(rows
            .iter()
            .map(|row| (row.get(0), row.get::<_, i64>(1).max(0) as u64))
            .collect())
    }
}

/// Sets the outcome of attempt `attempt` of event `id`, if the event still runs that attempt;
/// whether it did.
async fn record_finish(
    client: &impl Statements,
    id: i64,
    attempt: i32,
    finish: &Finish,
    now: DateTime<Utc>,
) -> Result<bool, tokio_postgres::Error> {
    let row = finish.row();
    let values: [&(dyn ToSql + Sync); 9] = [
        &id,
        &attempt,
        &row.status.as_str(),
        &row.next_attempt_at,
        &row.last_error,
        &row.review_reason,
        &row.external_ids,
        &to_ms(now),
        &row.replays_moved,
    ];
    let updated = client
        .execute(
            "UPDATE events SET status = $3, next_attempt_at = $4, last_error = $5,
                 review_reason = $6, external_ids = COALESCE($7, external_ids), updated_at = $8,
                 replayed_at_attempt = replayed_at_attempt + $9,
                 held_by = NULL, lease_until = NULL
             WHERE id = $1 AND attempts = $2 AND status = 'running'",
            &values,
        )
        .await?;
    Ok(updated == 1)
}

/// Stores each (flow, event) pair not seen before as `pending` with `step` first in its trail;
/// what happened to each, in the order given. Run inside the caller's transaction. The rows are
/// written in `(flow, key)` order, whatever the order given: two hosts storing the same events at
/// once then wait for each other instead of deadlocking.
pub(super) async fn insert_events(
    client: &impl Statements,
    connection: &str,
    arrival: Arrival,
    entries: &[(String, Event)],
    step: &Step,
    now: DateTime<Utc>,
) -> Result<Vec<Receipt>, tokio_postgres::Error> {
    let mut order: Vec<usize> = (0..entries.len()).collect();
    order.sort_by(|&a, &b| {
        let key = |n: usize| (&entries[n].0, &entries[n].1.key);
        key(a).cmp(&key(b))
    });
    let mut receipts: Vec<Option<Receipt>> = vec![None; entries.len()];
    for n in order {
        let (flow, event) = &entries[n];
        let values: [&(dyn ToSql + Sync); 9] = [
            flow,
            &connection,
            &event.key,
            &event.topic,
            &event.reference,
            &event.occurred_at,
            &event.payload,
            &arrival.as_str(),
            &to_ms(now),
        ];
        let inserted = client
            .query_opt(
                "INSERT INTO events (flow, connection, event_key, topic, reference, occurred_at,
                     payload, arrival, status, received_at, updated_at, next_attempt_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', $9, $9, $9)
                 ON CONFLICT (flow, event_key) DO NOTHING RETURNING id",
                &values,
            )
            .await?;
        let (id, duplicate) = match inserted {
            Some(row) => {
                let id: i64 = row.get(0);
                insert_steps(client, id, std::slice::from_ref(step)).await?;
                (id, false)
            }
            None => {
                let row = client
                    .query_one(
                        "SELECT id FROM events WHERE flow = $1 AND event_key = $2",
                        &[flow, &event.key],
                    )
                    .await?;
                (row.get(0), true)
            }
        };
        receipts[n] = Some(Receipt {
            flow: flow.clone(),
            key: event.key.clone(),
            id,
            duplicate,
        });
    }
    Ok(receipts.into_iter().flatten().collect())
}
