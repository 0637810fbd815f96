//! What a reconciliation's fix asks of the shared inbox (see `super::super::fixes` for the SQLite
//! twin): which event produced each command key, and which fixes are not done yet.

use std::collections::BTreeMap;

use super::PostgresInbox;
use crate::flow::inbox::fixes::{holder_of, like_key};
use crate::flow::inbox::{Holder, InboxError};
use crate::postgres::Statements;

impl PostgresInbox {
    /// All the keys in one statement: for each, its producers ranked as SQLite's one-key query
    /// ranks them, the first kept.
    pub(in crate::flow::inbox) async fn producers(
        &self,
        flow: &str,
        keys: &[String],
    ) -> Result<BTreeMap<String, Holder>, InboxError> {
        if keys.is_empty() {
            return Ok(BTreeMap::new());
        }
        let patterns: Vec<String> = keys.iter().map(|key| like_key(key)).collect();
        let rows = self
            .client()
            .await?
            .query(
                "SELECT DISTINCT ON (wanted.key) wanted.key, e.id, e.status
                 FROM unnest($2::text[], $3::text[]) AS wanted (key, pattern)
                 JOIN steps s ON s.detail LIKE wanted.pattern ESCAPE '\\'
                 JOIN events e ON e.id = s.event_id
                 WHERE e.flow = $1 AND s.name IN ('map', 'plan')
                 ORDER BY wanted.key, e.status = 'done' DESC, e.id DESC",
                &[&flow, &keys, &patterns],
            )
            .await
            .map_err(|e| self.failed(e))?;
        rows.iter()
            .map(|row| Ok((row.get(0), holder_of(row.get(1), row.get(2))?)))
            .collect()
    }

    pub(in crate::flow::inbox) async fn open_fixes(
        &self,
        flow: &str,
    ) -> Result<BTreeMap<String, Holder>, InboxError> {
        let rows = self
            .client()
            .await?
            .query(
                "SELECT reference, id, status FROM events
                 WHERE flow = $1 AND arrival = 'reconcile' AND status != 'done' ORDER BY id",
                &[&flow],
            )
            .await
            .map_err(|e| self.failed(e))?;
        let mut open = BTreeMap::new();
        for row in &rows {
            open.insert(row.get(0), holder_of(row.get(1), row.get(2))?);
        }
        Ok(open)
    }
}
