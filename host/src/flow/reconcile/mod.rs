//! Reconciliation: whether Intacct holds what a flow's source says it should for a period of
//! days. The source's history from the period's first day to now (its connector's `history`, as
//! a backfill walks it: a record changed since still belongs to the period of its documents) is
//! fetched and mapped by the flow's serving mapping with the flow's config, never applied, and
//! the documents dated in the period are kept: that is what the source implies
//! ([`books::Books::expect`]). Intacct's invoices, adjustments and GL batches dated in the period
//! are read through the sink connector (`intacct.read-period`: [`books::Books::found`]). The
//! [`report::Report`] sets them side by side: matched, missing in Intacct, amount differs, only in
//! Intacct. A [`fix::FixPlan`] is what posts the differences a fix can settle.

pub mod books;
pub mod fix;
pub mod report;

use std::sync::Arc;

use anyhow::{Context, bail};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde_json::{Value, json};

use crate::bindings::types::{Command, Event};
use crate::call::{ConnectorCall, MappingCall};
use crate::clock::Clock;
use crate::config::{Config, FlowConfig};
use crate::flow::backfill::text;
use crate::flow::recording::RecordedCommand;
use crate::host::Host;
use books::Books;
use report::{Report, Unmapped};

/// The Intacct objects read for a period, as `intacct.read-period` names them.
const OBJECTS: [&str; 4] = ["ARINVOICE", "ARADJUSTMENT", "GLBATCH", "GLENTRY"];

/// How many events are fetched and mapped at once.
const AT_ONCE: usize = 8;

/// A period of whole days, UTC, both included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Period {
    /// `--from` and `--to` (`YYYY-MM-DD`), refused when `to` is before `from` or after `today`.
    pub fn parse(from: &str, to: &str, today: NaiveDate) -> Result<Self, String> {
        let day = |text: &str, name: &str| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map_err(|_| format!("--{name} `{text}` is not a day (2026-11-01)"))
        };
        let period = Self {
            from: day(from, "from")?,
            to: day(to, "to")?,
        };
        if period.to < period.from {
            return Err(format!(
                "the period ends ({}) before it starts ({})",
                period.to, period.from
            ));
        }
        if period.to > today {
            return Err(format!(
                "the period ends in the future ({}, today is {today}): nothing has happened there \
                 yet",
                period.to
            ));
        }
        Ok(period)
    }

    /// The first instant of the period.
    fn start(&self) -> DateTime<Utc> {
        self.from.and_time(NaiveTime::MIN).and_utc()
    }
}

/// A reconciliation's report, with both sides' documents it compared.
pub struct Reconciled {
    pub report: Report,
    /// What the source implies, with the commands that make each document.
    pub expected: Books,
    /// What Intacct holds.
    pub found: Books,
}

/// A reconciliation of one flow, ready to run.
pub struct Reconcile {
    clock: Arc<dyn Clock>,
    flow: FlowConfig,
    source: ConnectorCall,
    mapping: MappingCall,
    sink: ConnectorCall,
    period: Period,
}

impl Reconcile {
    pub fn new(config: &Config, host: &Host, flow: &str, period: Period) -> anyhow::Result<Self> {
        let flow = config.flow(flow)?.clone();
        Ok(Self {
            clock: host.clock(),
            source: super::connection_call(config, host, &flow.source)?,
            sink: super::connection_call(config, host, &flow.sink)?,
            mapping: host.mapping(&flow.mapping, flow.mapping_settings())?,
            flow,
            period,
        })
    }

    /// Runs it; `progress` hears how many source events were mapped so far.
    pub async fn run(&self, mut progress: impl FnMut(usize)) -> anyhow::Result<Reconciled> {
        let (events, expected, unmapped) = self.expected(&mut progress).await?;
        let (from, to) = (self.period.from.to_string(), self.period.to.to_string());
        let expected = expected.dated(&from, &to);
        let found = self.found(&from, &to).await?;
        let (findings, totals) = Report::compare(&expected, &found);
        Ok(Reconciled {
            report: Report {
                flow: self.flow.name.clone(),
                from,
                to,
                events,
                unmapped,
                findings,
                totals,
            },
            expected,
            found,
        })
    }

    /// What the source's records of the period imply, and the events that could not be mapped.
    async fn expected(
        &self,
        progress: &mut impl FnMut(usize),
    ) -> anyhow::Result<(usize, Books, Vec<Unmapped>)> {
        let (since, until) = (self.period.start(), self.clock.now());
        let mut books = Books::default();
        let mut unmapped = Vec::new();
        let mut cursor: Option<String> = None;
        let mut listed = 0;
        loop {
            let report = self
                .source
                .history(&text(since), &text(until), cursor.as_deref())
                .await;
            let page = report.result.with_context(|| {
                format!(
                    "flow `{}`'s source `{}` could not list its history since the period began",
                    self.flow.name, self.flow.source
                )
            })?;
            let events: Vec<Event> = page
                .events
                .into_iter()
                .filter(|event| self.flow.takes(&event.topic))
                .collect();
            for chunk in events.chunks(AT_ONCE) {
                let mut mapping = tokio::task::JoinSet::new();
                for (index, event) in chunk.iter().enumerate() {
                    let (source, mapping_call) = (self.source.clone(), self.mapping.clone());
                    let (event, config) = (event.clone(), self.flow.mapping_config.to_string());
                    mapping.spawn(async move {
                        (index, map(&source, &mapping_call, &event, &config).await)
                    });
                }
                let mut mapped: Vec<_> = mapping.join_all().await;
                mapped.sort_by_key(|(index, _)| *index);
                for (event, (_, commands)) in chunk.iter().zip(mapped) {
                    match commands {
                        Ok(commands) => books.expect(&commands),
                        Err(reason) => unmapped.push(Unmapped {
                            event: event.key.clone(),
                            reason,
                        }),
                    }
                }
                listed += chunk.len();
                progress(listed);
            }
            if !page.more {
                return Ok((listed, books, unmapped));
            }
            if page.cursor == cursor {
                bail!(
                    "flow `{}`'s source `{}` says more of its history follows but gave the same \
                     cursor",
                    self.flow.name,
                    self.flow.source
                );
            }
            cursor = page.cursor;
        }
    }

    /// What Intacct holds from `from` to `to`, read through the sink connector.
    async fn found(&self, from: &str, to: &str) -> anyhow::Result<Books> {
        let reads: Vec<Command> = OBJECTS
            .iter()
            .map(|object| Command {
                kind: "intacct.read-period".into(),
                key: format!("reconcile/{object}/{from}/{to}"),
                body: json!({"object": object, "from": from, "to": to}).to_string(),
            })
            .collect();
        let sink = format!("flow `{}`'s sink `{}`", self.flow.name, self.flow.sink);
        let results = self
            .sink
            .apply(&reads)
            .await
            .result
            .with_context(|| format!("{sink} could not read its documents of the period"))?;
        let mut records = Vec::with_capacity(OBJECTS.len());
        for (object, result) in OBJECTS.iter().zip(results) {
            let applied = result.map_err(|error| {
                anyhow::anyhow!("{sink} could not read its {object} records: {error:?}")
            })?;
            let data: Value = applied
                .data
                .as_deref()
                .map(serde_json::from_str)
                .transpose()?
                .unwrap_or(Value::Null);
            records.push(data["records"].as_array().cloned().unwrap_or_default());
        }
        Ok(Books::found(
            &records[0],
            &records[1],
            &records[2],
            &records[3],
        ))
    }
}

/// The commands `mapping` makes of one event's records fetched by `source`, or why it makes none.
async fn map(
    source: &ConnectorCall,
    mapping: &MappingCall,
    event: &Event,
    config: &str,
) -> Result<Vec<RecordedCommand>, String> {
    let records = source
        .fetch(event)
        .await
        .result
        .map_err(|error| error.to_string())?;
    let commands = mapping
        .map(event, &records, config)
        .await
        .result
        .map_err(|error| error.to_string())?;
    Ok(commands.iter().map(RecordedCommand::from).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn a_period_is_whole_days_and_never_ends_in_the_future() {
        let today = day("2026-12-04");
        let period = Period::parse("2026-11-01", "2026-11-30", today).unwrap();
        assert_eq!(
            period.start(),
            "2026-11-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        assert_eq!(
            Period::parse("2026-11-01", "2026-12-05", today),
            Err(
                "the period ends in the future (2026-12-05, today is 2026-12-04): nothing has \
                 happened there yet"
                    .into()
            )
        );
        assert_eq!(
            Period::parse("2026-11-30", "2026-11-01", today),
            Err("the period ends (2026-11-01) before it starts (2026-11-30)".into())
        );
        assert_eq!(
            Period::parse("11/01/2026", "2026-11-30", today),
            Err("--from `11/01/2026` is not a day (2026-11-01)".into())
        );
    }
}
