//! The dry-run page: a candidate mapping uploaded from the browser, run over a flow's recorded
//! events as `mlc dry-run` runs it (never reaching the sink, never installed), and its report:
//! the verdict of each event that does not come out unchanged, with the commands' differences,
//! and the accounting effect per account, dimension and document.

use std::sync::Arc;

use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::page::{Failure, render};
use super::session::Operator;
use crate::flow::dry_run::{Candidate, DEFAULT_SINCE, DryRunReport, Selection, Verdict};
use crate::flow::shared::Shared;

#[derive(askama::Template)]
#[template(path = "dry_run.html")]
struct DryRunPage {
    op: Operator,
    flows: Vec<String>,
    flow: String,
    since: String,
    problem: Option<String>,
    report: Option<ReportView>,
}

/// The report as the page shows it.
struct ReportView {
    title: String,
    counts: String,
    events: Vec<EventView>,
    accounts: Vec<(String, String, String)>,
    dimensions: Vec<(String, String, String)>,
    documents: Vec<String>,
    review: String,
    changes_postings: bool,
}

struct EventView {
    id: i64,
    verdict: &'static str,
    what: String,
    message: String,
    lines: Vec<String>,
}

pub(super) async fn page(
    State(shared): State<Arc<Shared>>,
    op: Operator,
) -> Result<Response, Failure> {
    let flows: Vec<String> = shared.config.flows.keys().cloned().collect();
    let flow = flows.first().cloned().unwrap_or_default();
    Ok(render(&DryRunPage {
        op,
        flows,
        flow,
        since: DEFAULT_SINCE.to_owned(),
        problem: None,
        report: None,
    })
    .into_response())
}

/// Runs the uploaded candidate (`component`) over the chosen `flow` since `since`.
pub(super) async fn run(
    State(shared): State<Arc<Shared>>,
    op: Operator,
    mut form: Multipart,
) -> Result<Response, Failure> {
    let (mut csrf, mut flow, mut since, mut component) = (None, None, None, None);
    loop {
        let field = form.next_field().await.map_err(|error| {
            op.fail(
                StatusCode::BAD_REQUEST,
                format!("the upload did not arrive whole ({error})"),
            )
        })?;
        let Some(field) = field else { break };
        match field.name() {
            Some("csrf") => csrf = field.text().await.ok(),
            Some("flow") => flow = field.text().await.ok(),
            Some("since") => since = field.text().await.ok(),
            Some("component") => component = field.bytes().await.ok(),
            _ => {}
        }
    }
    op.check(csrf.as_deref().unwrap_or_default())?;
    let flows: Vec<String> = shared.config.flows.keys().cloned().collect();
    let flow = flow.unwrap_or_default();
    let since = since
        .filter(|since| !since.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_SINCE.to_owned());
    let outcome = dry_run(&shared, &flow, &since, component.as_deref()).await;
    tracing::info!(who = %op.who, %flow, ok = outcome.is_ok(), "console: dry-run");
    let (status, problem, report) = match outcome {
        Ok(report) => (StatusCode::OK, None, Some(view(&report))),
        Err(problem) => (StatusCode::UNPROCESSABLE_ENTITY, Some(problem), None),
    };
    let page = DryRunPage {
        op,
        flows,
        flow,
        since,
        problem,
        report,
    };
    Ok((status, render(&page)).into_response())
}

async fn dry_run(
    shared: &Shared,
    flow: &str,
    since: &str,
    component: Option<&[u8]>,
) -> Result<DryRunReport, String> {
    if !shared.config.flows.contains_key(flow) {
        return Err(format!("no flow {flow:?} in the config"));
    }
    let component = component
        .filter(|bytes| !bytes.is_empty())
        .ok_or("choose a candidate mapping (.wasm) to run")?;
    let selection = Selection::parse(Some(since), None, shared.now())?;
    let candidate = Candidate::load(shared.host.clone(), shared.inbox.clone(), component)
        .await
        .map_err(|error| format!("{error:#}"))?;
    candidate
        .dry_run(flow, &selection, |_, _| {})
        .await
        .map_err(|error| format!("{error:#}"))
}

fn view(report: &DryRunReport) -> ReportView {
    let amount = |value: rust_decimal::Decimal| value.to_string();
    ReportView {
        title: report.title(),
        counts: report.summary.to_string(),
        events: report
            .events
            .iter()
            .filter(|event| event.verdict != Verdict::Unchanged)
            .map(|event| EventView {
                id: event.id,
                verdict: event.verdict.label(),
                what: format!(
                    "{} {}",
                    event.topic.as_deref().unwrap_or("-"),
                    event.key.as_deref().unwrap_or("-")
                ),
                message: event.message.clone().unwrap_or_default(),
                lines: event
                    .changes
                    .iter()
                    .flat_map(|change| {
                        std::iter::once(change.to_string())
                            .chain(change.differences.iter().map(ToString::to_string))
                    })
                    .collect(),
            })
            .collect(),
        accounts: report
            .effect
            .accounts
            .iter()
            .map(|delta| {
                (
                    delta.account.clone(),
                    amount(delta.debit),
                    amount(delta.credit),
                )
            })
            .collect(),
        dimensions: report
            .effect
            .dimensions
            .iter()
            .map(|delta| {
                (
                    format!("{}={}", delta.dimension, delta.value),
                    amount(delta.debit),
                    amount(delta.credit),
                )
            })
            .collect(),
        documents: report
            .effect
            .documents
            .iter()
            .map(ToString::to_string)
            .collect(),
        review: report
            .review
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        changes_postings: report.changes_postings(),
    }
}
