//! Backfill: a flow's source history from a date walked into the inbox, page by page, through
//! the source connector's `history` export (contract 0.3.0). Each page's events of the flow's
//! topics go in with the same dedupe as webhooks and polls, so what the inbox has is skipped and
//! nothing posts twice; the page and the backfill's new cursor commit together, so a backfill
//! stopped anywhere (Ctrl-C, a crash, a kill) resumes at the page it had not stored when it is
//! run again with the same flow and `since`. The events are then served by `mlc run` as any
//! other: the workers of a running host pick them up within a tick.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use anyhow::bail;
use chrono::{DateTime, NaiveDate, NaiveTime, SecondsFormat, Utc};
use serde::Serialize;
use serde_json::{Map, json};

use crate::call::ConnectorCall;
use crate::clock::Clock;
use crate::config::{Config, FlowConfig};
use crate::flow::audit::Step;
use crate::flow::connection_call;
use crate::flow::inbox::{BackfillOf, BackfillPage, BackfillRow, Inbox};
use crate::host::Host;

/// The range a backfill was asked for: from `since`, to `until` or (none) to when it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    pub since: DateTime<Utc>,
    pub until: Option<DateTime<Utc>>,
}

impl Range {
    /// The range of `--since` and `--until` (a date, `2026-11-01`, meaning its midnight UTC; an
    /// RFC 3339 time; or a duration ago, `30d`), refused when it starts or ends after `now` or
    /// ends where or before it starts.
    pub fn parse(since: &str, until: Option<&str>, now: DateTime<Utc>) -> Result<Self, String> {
        let since = time(since, now)?;
        let until = until.map(|until| time(until, now)).transpose()?;
        if since >= now {
            return Err(format!(
                "the range starts in the future ({}, now is {}): nothing has happened there yet",
                text(since),
                text(now)
            ));
        }
        if let Some(until) = until {
            if until > now {
                return Err(format!(
                    "the range ends in the future ({}, now is {}); leave --until out to backfill \
                     up to now",
                    text(until),
                    text(now)
                ));
            }
            if until <= since {
                return Err(format!(
                    "the range ends ({}) where or before it starts ({})",
                    text(until),
                    text(since)
                ));
            }
        }
        Ok(Self { since, until })
    }
}

/// `text` as a time: a date (its midnight UTC), RFC 3339, or a duration back from `now`.
fn time(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        Ok(date) => Ok(date.and_time(NaiveTime::MIN).and_utc()),
        Err(_) => super::parse_since(text, now).map_err(|why| {
            why.replace(
                "is neither an RFC 3339 time",
                "is neither a date (2026-11-01), an RFC 3339 time",
            )
        }),
    }
}

/// An instant as the history export and the messages write it.
pub fn text(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A backfill of one flow, ready to walk: its source connector and its inbox.
pub struct Backfill {
    flow: FlowConfig,
    source: ConnectorCall,
    inbox: Inbox,
    range: Range,
    clock: Arc<dyn Clock>,
}

impl Backfill {
    /// A backfill of `flow` of `config` over `range`, calling the flow's source through `host`.
    pub fn new(
        config: &Config,
        host: &Host,
        inbox: Inbox,
        flow: &str,
        range: Range,
    ) -> anyhow::Result<Self> {
        let flow = config.flow(flow)?.clone();
        let source = connection_call(config, host, &flow.source)?;
        Ok(Self {
            flow,
            source,
            inbox,
            range,
            clock: host.clock(),
        })
    }

    /// The unfinished backfill this one resumes, if any.
    pub async fn resumes(&self) -> anyhow::Result<Option<BackfillRow>> {
        let (flow, range) = (self.flow.name.clone(), self.range);
        Ok(self
            .inbox
            .run(move |inbox| inbox.open_backfill(&flow, range.since, range.until))
            .await?)
    }

    /// Walks the history to its end, from where an unfinished backfill of the same flow and
    /// range stopped; `on_page` sees the backfill after each page is stored. Returns it finished.
    pub async fn run(&self, mut on_page: impl FnMut(&BackfillRow)) -> anyhow::Result<BackfillRow> {
        let mut stored = self.resumes().await?;
        let until = self.range.until.unwrap_or_else(|| self.clock.now());
        loop {
            let (of, since, until, cursor) = match &stored {
                Some(row) => (
                    BackfillOf::Stored(row.id),
                    row.since,
                    row.until,
                    row.cursor.clone(),
                ),
                None => (
                    BackfillOf::New {
                        since: self.range.since,
                        until,
                    },
                    self.range.since,
                    until,
                    None,
                ),
            };
            let row = self.page(of, since, until, cursor.as_deref()).await?;
            on_page(&row);
            if row.finished_at.is_some() {
                return Ok(row);
            }
            if row.cursor == cursor {
                bail!(
                    "{} says more of its history follows but gave the same cursor ({}); the \
                     backfill stops here: upgrade or roll back the connector",
                    self.source_name(),
                    cursor.as_deref().unwrap_or("none")
                );
            }
            stored = Some(row);
        }
    }

    /// Lists one page and stores it.
    async fn page(
        &self,
        of: BackfillOf,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
        cursor: Option<&str>,
    ) -> anyhow::Result<BackfillRow> {
        let started = self.clock.now();
        let report = self
            .source
            .history(&text(since), &text(until), cursor)
            .await;
        let page = match &report.result {
            Ok(page) => page.clone(),
            Err(error) => bail!(
                "{} could not list its history from {} to {}: {error}",
                self.source_name(),
                text(since),
                text(until)
            ),
        };
        let reached = page
            .events
            .iter()
            .filter_map(|event| event.occurred_at.as_deref())
            .filter_map(|time| DateTime::parse_from_rfc3339(time).ok())
            .map(|time| time.to_utc())
            .max();
        let detail = Map::from_iter([
            ("arrival".into(), json!("backfill")),
            ("range".into(), json!([text(since), text(until)])),
            ("cursor".into(), json!(cursor)),
            ("next_cursor".into(), json!(page.cursor)),
            ("events_in_page".into(), json!(page.events.len())),
        ]);
        let save = BackfillPage {
            backfill: of,
            connection: self.flow.source.clone(),
            listed: page.events.len() as u64,
            events: page
                .events
                .into_iter()
                .filter(|event| self.flow.takes(&event.topic))
                .collect(),
            cursor: page.cursor,
            reached,
            last: !page.more,
            step: Step::call(
                0,
                "received",
                self.source.plugin(),
                started,
                &report,
                detail,
            ),
        };
        let (_, row) = self
            .inbox
            .save_backfill_page(self.flow.name.clone(), save, self.clock.now())
            .await?;
        Ok(row)
    }

    /// The flow's source, for messages: `flow `orders`'s source `shop` (shopify 1.2.0)`.
    fn source_name(&self) -> String {
        let plugin = self.source.plugin();
        format!(
            "flow `{}`'s source `{}` ({} {})",
            self.flow.name, self.flow.source, plugin.name, plugin.version
        )
    }
}

/// What became of the backfill a serving host last ran for a flow (its admin API starts them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum RunState {
    Running {
        since: DateTime<Utc>,
        until: Option<DateTime<Utc>>,
    },
    Done {
        backfill: i64,
    },
    Failed {
        error: String,
    },
}

/// The backfills a serving host runs, one per flow at a time, by flow.
#[derive(Debug, Default)]
pub(crate) struct Runs(Mutex<BTreeMap<String, RunState>>);

impl Runs {
    /// Marks a backfill of `flow` over `range` running; false when one of the flow already is.
    pub fn try_start(&self, flow: &str, range: Range) -> bool {
        let mut runs = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(RunState::Running { .. }) = runs.get(flow) {
            return false;
        }
        runs.insert(
            flow.to_owned(),
            RunState::Running {
                since: range.since,
                until: range.until,
            },
        );
        true
    }

    /// Records how the flow's backfill ended.
    pub fn finish(&self, flow: &str, ended: &anyhow::Result<BackfillRow>) {
        let state = match ended {
            Ok(row) => RunState::Done { backfill: row.id },
            Err(error) => RunState::Failed {
                error: format!("{error:#}"),
            },
        };
        let mut runs = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        runs.insert(flow.to_owned(), state);
    }

    /// Each flow's last backfill in this host.
    pub fn states(&self) -> BTreeMap<String, RunState> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    #[test]
    fn a_range_is_dates_times_or_durations_and_never_in_the_future() {
        let now = at("2026-12-04T12:00:00Z");
        assert_eq!(
            Range::parse("2026-11-01", Some("2026-11-17T06:00:00Z"), now),
            Ok(Range {
                since: at("2026-11-01T00:00:00Z"),
                until: Some(at("2026-11-17T06:00:00Z"))
            })
        );
        assert_eq!(
            Range::parse("30d", None, now),
            Ok(Range {
                since: at("2026-11-04T12:00:00Z"),
                until: None
            })
        );
        assert_eq!(
            Range::parse("2026-12-05", None, now),
            Err(
                "the range starts in the future (2026-12-05T00:00:00Z, now is \
                 2026-12-04T12:00:00Z): nothing has happened there yet"
                    .into()
            )
        );
        assert_eq!(
            Range::parse("2026-11-01", Some("2027-01-01"), now),
            Err(
                "the range ends in the future (2027-01-01T00:00:00Z, now is \
                 2026-12-04T12:00:00Z); leave --until out to backfill up to now"
                    .into()
            )
        );
        assert_eq!(
            Range::parse("2026-11-17", Some("2026-11-01"), now),
            Err(
                "the range ends (2026-11-01T00:00:00Z) where or before it starts \
                 (2026-11-17T00:00:00Z)"
                    .into()
            )
        );
        let error = Range::parse("last tuesday", None, now).unwrap_err();
        assert!(
            error.starts_with("`last tuesday` is neither a date (2026-11-01), an RFC 3339 time"),
            "{error}"
        );
    }
}
