//! The inbox in one SQLite file opened by `crate::sqlite` (WAL, `synchronous=FULL`, so an event
//! acknowledged to its sender survives a crash or a power cut; schema changes in `migrations/`).
//! The engine's writes go through `group_commit`; the statements of each concern live beside its
//! types (`queue`, `ops`, `recordings`, `backfills`, `fixes`, `health`, `activity`).

use std::path::Path;
use std::sync::{Arc, MutexGuard, OnceLock};

use rusqlite::Connection;

use super::InboxError;
use super::group_commit::GroupCommit;
use crate::sqlite::{self, Migration, Schema, SharedConnection};

/// The inbox's schema, one file per change (see `crate::sqlite`). Never edit a released file:
/// add the next one.
const SCHEMA: Schema = Schema::new(&[
    Migration::new(
        "0001_initial.sql",
        include_str!("migrations/0001_initial.sql"),
    ),
    // An inbox made before numbered migrations has user_version 0 and may have this column
    // already: those made from commit 0ad525d on created `steps` with it (and SQLite has no
    // `ADD COLUMN IF NOT EXISTS`). Finding the column is finding the change.
    Migration::new(
        "0002_step_plugin_hash.sql",
        include_str!("migrations/0002_step_plugin_hash.sql"),
    )
    .present_if("SELECT 1 FROM pragma_table_info('steps') WHERE name = 'plugin_hash'"),
    Migration::new(
        "0003_health_probe.sql",
        include_str!("migrations/0003_health_probe.sql"),
    ),
    Migration::new(
        "0004_console_indexes.sql",
        include_str!("migrations/0004_console_indexes.sql"),
    ),
    Migration::new(
        "0005_recordings.sql",
        include_str!("migrations/0005_recordings.sql"),
    ),
    Migration::new(
        "0006_backfills.sql",
        include_str!("migrations/0006_backfills.sql"),
    ),
    Migration::new(
        "0007_event_pins.sql",
        include_str!("migrations/0007_event_pins.sql"),
    ),
]);

/// The inbox in SQLite. Cheap to clone; clones share one database connection and one writer
/// thread. The engine's writes are async and committed in groups; the other methods block.
#[derive(Clone)]
pub(super) struct SqliteInbox {
    db: SharedConnection,
    writer: Arc<OnceLock<GroupCommit>>,
}

impl SqliteInbox {
    /// Opens (or creates) the inbox at `path`, migrating it to this build's schema.
    pub(super) fn open(path: &Path) -> Result<Self, InboxError> {
        let db = sqlite::open(path, &SCHEMA).map_err(|error| InboxError(error.to_string()))?;
        Ok(Self {
            db: SharedConnection::new(db),
            writer: Arc::default(),
        })
    }

    /// Runs `work` in the next group commit; its result once that is on disk.
    pub(super) async fn write<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Connection) -> Result<T, InboxError> + Send + 'static,
    ) -> Result<T, InboxError> {
        let writer = self
            .writer
            .get_or_init(|| GroupCommit::start(self.db.clone()));
        writer.write(work).await
    }

    pub(super) fn db(&self) -> MutexGuard<'_, Connection> {
        self.db.lock()
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};

    use super::*;
    use crate::bindings::types::Event;
    use crate::flow::audit::Step;
    use crate::flow::inbox::{Arrival, Inbox};
    use crate::flow::status::Status;
    use crate::sqlite::fresh_path;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    /// A database at `path` made the way the inbox did before numbered migrations: `schema` run
    /// as is, user_version left at 0.
    fn unnumbered(path: &Path, schema: &str) -> Connection {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let db = Connection::open(path).unwrap();
        db.execute_batch(schema).unwrap();
        db.execute_batch(
            "INSERT INTO events (flow, connection, event_key, topic, reference, arrival, status,
                 attempts, received_at, updated_at, external_ids)
             VALUES ('orders', 'shop', 'order-1', 'orders/create', 'orders/1', 'webhook', 'done',
                 1, 1795335330000, 1795335331000, '[[\"invoice\",\"INV-1\"]]');
             INSERT INTO cursors (flow, cursor, polled_at, next_at)
             VALUES ('labels', 'page-7', 1795335330000, 1795349730000);",
        )
        .unwrap();
        db
    }

    fn version(path: &Path) -> i64 {
        Connection::open(path)
            .unwrap()
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .unwrap()
    }

    fn assert_old_rows_kept(inbox: &Inbox) {
        let detail = inbox.show(1).unwrap();
        assert_eq!(detail.event.key, "order-1");
        assert_eq!(detail.event.status, Status::Done);
        assert_eq!(detail.event.received_at, at("2026-11-22T08:15:30Z"));
        assert_eq!(
            detail.event.external_ids,
            [("invoice".to_owned(), "INV-1".to_owned())]
        );
        let cursor = inbox.poll_state("labels").unwrap();
        assert_eq!(cursor.cursor.as_deref(), Some("page-7"));
        assert_eq!(cursor.next_at, Some(at("2026-11-22T12:15:30Z")));
    }

    #[test]
    fn an_inbox_made_before_numbered_migrations_migrates_and_keeps_its_rows() {
        let path = fresh_path("inbox.db");
        let old = unnumbered(
            &path,
            include_str!("fixtures/schema_before_numbered_migrations.sql"),
        );
        old.execute_batch(
            "INSERT INTO steps (event_id, attempt, name, plugin, plugin_version, plugin_hash,
                 started_at, duration_us, ok, detail)
             VALUES (1, 1, 'fetch', 'shopify', '0.3.0', 'abc123', 1795335330500, 1200, 1, 'null');",
        )
        .unwrap();
        drop(old);

        let inbox = Inbox::open(&path).unwrap();
        assert_eq!(version(&path), SCHEMA.version() as i64);
        assert_old_rows_kept(&inbox);
        let steps = inbox.show(1).unwrap().steps;
        assert_eq!(steps.len(), 1);
        assert_eq!(steps[0].plugin_hash.as_deref(), Some("abc123"));
        drop(inbox);
        Inbox::open(&path).expect("opens again, nothing left to migrate");
    }

    #[tokio::test]
    async fn an_inbox_from_before_steps_had_a_plugin_hash_gains_the_column() {
        let path = fresh_path("inbox.db");
        // 0001 is, unedited, the schema the inbox ran before it recorded plugin hashes.
        let old = unnumbered(&path, include_str!("migrations/0001_initial.sql"));
        old.execute_batch(
            "INSERT INTO steps (event_id, attempt, name, plugin, plugin_version, started_at,
                 duration_us, ok, detail)
             VALUES (1, 1, 'fetch', 'shopify', '0.2.0', 1795335330500, 1200, 1, 'null');",
        )
        .unwrap();
        drop(old);

        let inbox = Inbox::open(&path).unwrap();
        assert_eq!(version(&path), SCHEMA.version() as i64);
        assert_old_rows_kept(&inbox);
        assert_eq!(inbox.show(1).unwrap().steps[0].plugin_hash, None);

        let now = at("2026-11-23T09:00:00Z");
        let mut step = Step::note(0, "received", now, "webhook");
        step.plugin_hash = Some("def456".to_owned());
        let event = Event {
            key: "order-2".to_owned(),
            topic: "orders/create".to_owned(),
            reference: "orders/2".to_owned(),
            occurred_at: None,
            payload: None,
        };
        let receipts = inbox
            .receive(
                "shop".to_owned(),
                Arrival::Webhook,
                vec![("orders".to_owned(), event)],
                step,
                now,
            )
            .await
            .unwrap();
        let steps = inbox.show(receipts[0].id).unwrap().steps;
        assert_eq!(steps[0].plugin_hash.as_deref(), Some("def456"));
    }

    #[test]
    fn an_inbox_written_by_a_newer_release_is_refused() {
        let path = fresh_path("inbox.db");
        drop(Inbox::open(&path).unwrap());
        Connection::open(&path)
            .unwrap()
            .pragma_update(None, "user_version", 8)
            .unwrap();
        let error = Inbox::open(&path).err().unwrap();
        assert!(
            error.to_string().starts_with(&format!(
                "inbox database: {} has schema version 8, which this ml-connector does not know",
                path.display()
            )),
            "{error}"
        );
    }
}
