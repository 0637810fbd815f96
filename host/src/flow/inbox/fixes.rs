//! What a reconciliation's fix asks of the inbox: which event's commands made a document (found
//! by the command's key in the commands the audit trail keeps of each `map` and `plan` step), and
//! which fixes are queued and not done yet. The fixes themselves are stored as events of arrival
//! `reconcile` ([`super::Inbox::receive`]).

use std::collections::BTreeMap;

use rusqlite::{OptionalExtension, params};

use super::InboxError;
use super::sqlite::SqliteInbox;
use crate::flow::status::Status;

/// An event of the inbox and where it stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Holder {
    pub event: i64,
    pub status: Status,
}

impl SqliteInbox {
    /// For each of `keys`, the event of `flow` whose mapping (or fix) produced a command of that
    /// key: a done one first, else the latest. Keys no event produced are left out.
    pub(super) fn producers(
        &self,
        flow: &str,
        keys: &[String],
    ) -> Result<BTreeMap<String, Holder>, InboxError> {
        let db = self.db();
        let mut statement = db.prepare(
            "SELECT e.id, e.status FROM steps s JOIN events e ON e.id = s.event_id
             WHERE e.flow = ?1 AND s.name IN ('map', 'plan') AND s.detail LIKE ?2 ESCAPE '\\'
             ORDER BY e.status = 'done' DESC, e.id DESC LIMIT 1",
        )?;
        let mut producers = BTreeMap::new();
        for key in keys {
            let holder = statement
                .query_row(params![flow, like_key(key)], |row| {
                    Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?))
                })
                .optional()?;
            if let Some((event, status)) = holder {
                producers.insert(key.clone(), holder_of(event, &status)?);
            }
        }
        Ok(producers)
    }

    /// The fix events of `flow` not done yet, by their reference (the document they fix).
    pub(super) fn open_fixes(&self, flow: &str) -> Result<BTreeMap<String, Holder>, InboxError> {
        let db = self.db();
        let mut statement = db.prepare(
            "SELECT reference, id, status FROM events
             WHERE flow = ?1 AND arrival = 'reconcile' AND status != 'done' ORDER BY id",
        )?;
        let rows = statement.query_map(params![flow], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get(1)?,
                row.get::<_, String>(2)?,
            ))
        })?;
        let mut open = BTreeMap::new();
        for row in rows {
            let (reference, event, status) = row?;
            open.insert(reference, holder_of(event, &status)?);
        }
        Ok(open)
    }
}

pub(super) fn holder_of(event: i64, status: &str) -> Result<Holder, InboxError> {
    Ok(Holder {
        event,
        status: status.parse().map_err(InboxError)?,
    })
}

/// A `LIKE` pattern finding `"key":"<key>"` (JSON-quoted, as the steps' detail writes it).
pub(super) fn like_key(key: &str) -> String {
    let quoted = serde_json::Value::from(key).to_string();
    let escaped = format!("\"key\":{quoted}")
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}
