//! A dry-run's report: what the candidate would have done with each event, and the accounting
//! effect of the difference, as JSON (serde) and as text for a terminal.

use std::fmt::{self, Write};

use rust_decimal::Decimal;
use serde::Serialize;

use super::diff::CommandChange;
use super::effect::Effect;
use crate::flow::recording::RecordedPlugin;

/// What a candidate mapping would have done with recorded events.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DryRunReport {
    pub flow: String,
    pub candidate: RecordedPlugin,
    pub summary: Summary,
    pub events: Vec<EventVerdict>,
    pub effect: EffectReport,
    /// The events the candidate would send to review.
    pub review: Vec<i64>,
}

/// How many events got each verdict.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub events: usize,
    pub unchanged: usize,
    pub changed: usize,
    pub new_failure: usize,
    pub new_review: usize,
    pub not_replayable: usize,
}

impl fmt::Display for Summary {
    /// `unchanged 2 · changed 3 · new failures 0 · to review 0 · not replayable 0`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unchanged {} · changed {} · new failures {} · to review {} · not replayable {}",
            self.unchanged, self.changed, self.new_failure, self.new_review, self.not_replayable
        )
    }
}

/// One event's verdict.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventVerdict {
    pub id: i64,
    pub key: Option<String>,
    pub topic: Option<String>,
    pub verdict: Verdict,
    /// The mapping version that ran when it was recorded.
    pub recorded: Option<RecordedPlugin>,
    /// The candidate's error or review reason; why it is not replayable.
    pub message: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<CommandChange>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The same answer: the same commands, or the same refusal.
    Unchanged,
    /// Other commands, or commands where the recorded mapping failed or asked for review.
    Changed,
    /// The candidate fails where the recorded mapping did not.
    NewFailure,
    /// The candidate asks for review where the recorded mapping did not.
    NewReview,
    /// No recording to run it on.
    NotReplayable,
}

impl Verdict {
    /// As a person reads it: `unchanged`, `new failure`, `to review`, ….
    pub fn label(self) -> &'static str {
        match self {
            Self::Unchanged => "unchanged",
            Self::Changed => "changed",
            Self::NewFailure => "new failure",
            Self::NewReview => "to review",
            Self::NotReplayable => "not replayable",
        }
    }
}

/// The accounting effect of the candidate's commands minus the recorded ones', where non-zero.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct EffectReport {
    pub accounts: Vec<AccountDelta>,
    pub dimensions: Vec<DimensionDelta>,
    /// Invoices and adjustments whose total changes.
    pub documents: Vec<DocumentChange>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountDelta {
    pub account: String,
    pub debit: Decimal,
    pub credit: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DimensionDelta {
    pub dimension: String,
    pub value: String,
    pub debit: Decimal,
    pub credit: Decimal,
}

/// A document whose total changes; `None` on the side that does not post it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DocumentChange {
    pub event: i64,
    pub key: String,
    pub kind: String,
    pub before: Option<Decimal>,
    pub after: Option<Decimal>,
}

impl fmt::Display for DocumentChange {
    /// `event 7: intacct.create-invoice KEY: 54.88 -> (not posted)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let total =
            |amount: Option<Decimal>| amount.map_or("(not posted)".into(), |a| a.to_string());
        write!(
            f,
            "event {}: {} {}: {} -> {}",
            self.event,
            self.kind,
            self.key,
            total(self.before),
            total(self.after)
        )
    }
}

impl EffectReport {
    pub(super) fn new(effect: Effect, documents: Vec<DocumentChange>) -> Self {
        let effect = effect.without_zeros();
        Self {
            accounts: effect
                .accounts
                .into_iter()
                .map(|(account, sides)| AccountDelta {
                    account,
                    debit: sides.debit,
                    credit: sides.credit,
                })
                .collect(),
            dimensions: effect
                .dimensions
                .into_iter()
                .map(|((dimension, value), sides)| DimensionDelta {
                    dimension,
                    value,
                    debit: sides.debit,
                    credit: sides.credit,
                })
                .collect(),
            documents,
        }
    }
}

impl DryRunReport {
    /// Whether the candidate would post anything differently: an event changed, fails or goes to
    /// review where it did not, or an amount moves.
    pub fn changes_postings(&self) -> bool {
        let Summary {
            changed,
            new_failure,
            new_review,
            ..
        } = self.summary;
        changed + new_failure + new_review > 0
            || !self.effect.accounts.is_empty()
            || !self.effect.documents.is_empty()
    }

    /// `shopify-intacct 0.9.0 (3b1f0c2d9e4a) over 5 event(s) of flow orders-to-ar`.
    pub fn title(&self) -> String {
        let candidate = &self.candidate;
        format!(
            "{} {} ({}) over {} event(s) of flow {}",
            candidate.name,
            candidate.version,
            &candidate.hash[..12.min(candidate.hash.len())],
            self.summary.events,
            self.flow
        )
    }

    /// The report for a terminal.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "dry-run of {}", self.title());
        let _ = writeln!(out, "  {}", self.summary);
        let noteworthy: Vec<&EventVerdict> = self
            .events
            .iter()
            .filter(|event| event.verdict != Verdict::Unchanged)
            .collect();
        if !noteworthy.is_empty() {
            let _ = writeln!(out, "\nevents");
        }
        for event in noteworthy {
            write_event(&mut out, event);
        }
        let _ = writeln!(out, "\naccounting effect (candidate minus recorded)");
        if self.effect.accounts.is_empty() {
            let _ = writeln!(out, "  no amount moves");
        } else {
            let _ = writeln!(out, "  {:<28} {:>14} {:>14}", "ACCOUNT", "DEBIT", "CREDIT");
            for delta in &self.effect.accounts {
                let _ = writeln!(
                    out,
                    "  {:<28} {:>14} {:>14}",
                    delta.account,
                    signed(delta.debit),
                    signed(delta.credit)
                );
            }
        }
        if !self.effect.dimensions.is_empty() {
            let _ = writeln!(
                out,
                "  {:<28} {:>14} {:>14}",
                "DIMENSION", "DEBIT", "CREDIT"
            );
            for delta in &self.effect.dimensions {
                let _ = writeln!(
                    out,
                    "  {:<28} {:>14} {:>14}",
                    format!("{}={}", delta.dimension, delta.value),
                    signed(delta.debit),
                    signed(delta.credit)
                );
            }
        }
        if !self.effect.documents.is_empty() {
            let _ = writeln!(out, "\ndocuments whose total changes");
            for document in &self.effect.documents {
                let _ = writeln!(out, "  {document}");
            }
        }
        if !self.review.is_empty() {
            let ids: Vec<String> = self.review.iter().map(i64::to_string).collect();
            let _ = writeln!(
                out,
                "\nthe candidate sends to review: events {}",
                ids.join(", ")
            );
        }
        out
    }
}

fn write_event(out: &mut String, event: &EventVerdict) {
    let _ = writeln!(
        out,
        "  {:>6}  {:<14} {} {}",
        event.id,
        event.verdict.label(),
        event.topic.as_deref().unwrap_or("-"),
        event.key.as_deref().unwrap_or("-")
    );
    if let Some(message) = &event.message {
        let _ = writeln!(out, "          {message}");
    }
    for change in &event.changes {
        let _ = writeln!(out, "          {change}");
        for difference in &change.differences {
            let _ = writeln!(out, "            {difference}");
        }
    }
}

fn signed(amount: Decimal) -> String {
    if amount.is_zero() {
        "0".into()
    } else if amount.is_sign_positive() {
        format!("+{amount}")
    } else {
        amount.to_string()
    }
}
