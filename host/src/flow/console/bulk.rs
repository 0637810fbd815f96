//! Bulk replay: events chosen by a filter (failed ones unless told otherwise) or ticked on the
//! events page. The first page shows how many would run again and which plugin versions they
//! would run (replays run the versions active now); confirming replays each one, and the batch's
//! page then follows every item to its new end, refreshing itself (htmx) until all are settled.
//! Batches are kept in memory, the latest [`KEPT_BATCHES`].

use std::collections::{BTreeSet, VecDeque};
use std::sync::{Arc, Mutex};

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use super::events::{EventLine, FilterForm, pairs, versions_now};
use super::page::{Failure, render, when};
use super::session::Operator;
use crate::flow::inbox::{EventFilter, EventRow, OpsError};
use crate::flow::shared::Shared;
use crate::flow::status::Status;

/// The most events one bulk replay takes.
const MAX_BULK: usize = 10_000;
/// Events the confirmation page lists as a sample.
const SAMPLE: usize = 20;
/// Items the batch page lists (its counts cover all).
const LISTED: usize = 500;
/// Batches remembered for their pages.
const KEPT_BATCHES: usize = 50;

/// The batches started from the console, newest last.
#[derive(Default)]
pub(super) struct Batches {
    kept: Mutex<VecDeque<Arc<Batch>>>,
}

struct Batch {
    number: u64,
    who: String,
    started: String,
    /// Each event, with why it was not replayed when it was refused.
    items: Vec<(i64, Option<String>)>,
}

impl Batches {
    fn add(&self, who: String, started: String, items: Vec<(i64, Option<String>)>) -> u64 {
        let mut kept = self
            .kept
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let number = kept.back().map_or(1, |batch| batch.number + 1);
        kept.push_back(Arc::new(Batch {
            number,
            who,
            started,
            items,
        }));
        while kept.len() > KEPT_BATCHES {
            kept.pop_front();
        }
        number
    }

    fn get(&self, number: u64) -> Option<Arc<Batch>> {
        let kept = self
            .kept
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        kept.iter().find(|batch| batch.number == number).cloned()
    }
}

/// What a bulk replay is asked to take: the events ticked, or else those the filter matches.
struct Choice {
    form: FilterForm,
    ids: Vec<i64>,
}

impl Choice {
    fn read(pairs: &[(String, String)]) -> Self {
        let form = FilterForm::read(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let ids = pairs
            .iter()
            .filter(|(name, _)| name == "id")
            .filter_map(|(_, value)| value.parse::<i64>().ok())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        Self { form, ids }
    }

    /// The filter, failed events when no status is given; refused unless its status is one a
    /// replay takes.
    fn filter(&self, shared: &Shared) -> Result<EventFilter, String> {
        let mut filter = self.form.filter(shared)?;
        let status = *filter.status.get_or_insert(Status::Failed);
        if !replayable(status) {
            return Err(format!(
                "a replay takes failed, done or skipped events, not {status} ones"
            ));
        }
        Ok(filter)
    }
}

fn replayable(status: Status) -> bool {
    matches!(status, Status::Failed | Status::Done | Status::Skipped)
}

#[derive(askama::Template)]
#[template(path = "replay_preview.html")]
struct PreviewPage {
    op: Operator,
    form: FilterForm,
    ids: Vec<i64>,
    count: u64,
    sample: Vec<EventLine>,
    /// Per flow: the versions the replay runs.
    versions: Vec<(String, Vec<String>)>,
    problem: Option<String>,
}

pub(super) async fn preview(
    State(shared): State<Arc<Shared>>,
    op: Operator,
    RawQuery(query): RawQuery,
) -> Result<Response, Failure> {
    let choice = Choice::read(&pairs(query.as_deref()));
    let mut page = PreviewPage {
        op: op.clone(),
        form: choice.form.clone(),
        ids: choice.ids.clone(),
        count: 0,
        sample: Vec::new(),
        versions: Vec::new(),
        problem: None,
    };
    let rows = if choice.ids.is_empty() {
        let mut filter = match choice.filter(&shared) {
            Ok(filter) => filter,
            Err(problem) => {
                page.problem = Some(problem);
                return Ok((StatusCode::BAD_REQUEST, render(&page)).into_response());
            }
        };
        page.form.status = filter
            .status
            .map(Status::as_str)
            .unwrap_or_default()
            .to_owned();
        filter.limit = SAMPLE;
        let (count, rows) = shared
            .inbox
            .run(move |inbox| Ok::<_, OpsError>((inbox.count(&filter)?, inbox.list(&filter)?)))
            .await
            .map_err(|error| Failure::ops(&op.base, error))?;
        page.count = count;
        rows
    } else {
        let ids = choice.ids.clone();
        let rows = shared
            .inbox
            .run(move |inbox| chosen(inbox, &ids))
            .await
            .map_err(|error| Failure::ops(&op.base, error))?;
        page.count = rows.len() as u64;
        rows
    };
    if page.count as usize > MAX_BULK {
        page.problem = Some(format!(
            "{} events match: a bulk replay takes at most {MAX_BULK}; narrow the filter",
            page.count
        ));
    }
    let flows: BTreeSet<String> = match &choice.form.flow {
        flow if !flow.is_empty() => [flow.clone()].into(),
        _ if rows.is_empty() => BTreeSet::new(),
        _ => rows.iter().map(|row| row.flow.clone()).collect(),
    };
    page.versions = flows
        .into_iter()
        .map(|flow| {
            let versions = versions_now(&shared, &flow);
            (flow, versions)
        })
        .collect();
    page.sample = rows.iter().take(SAMPLE).map(EventLine::of).collect();
    Ok(render(&page))
}

/// The events of `ids` that exist, newest first.
fn chosen(inbox: &crate::flow::inbox::Inbox, ids: &[i64]) -> Result<Vec<EventRow>, OpsError> {
    let mut rows = Vec::with_capacity(ids.len());
    for &id in ids.iter().rev().take(MAX_BULK + 1) {
        if let Some(row) = inbox.get(id)? {
            rows.push(row);
        }
    }
    Ok(rows)
}

/// Replays what the confirmed form chose, then shows the batch.
pub(super) async fn start(
    State(shared): State<Arc<Shared>>,
    Extension(batches): Extension<Arc<Batches>>,
    op: Operator,
    body: Bytes,
) -> Result<Response, Failure> {
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
    let csrf = pairs
        .iter()
        .find(|(name, _)| name == "csrf")
        .map(|(_, value)| value.as_str())
        .unwrap_or_default();
    op.check(csrf)?;
    let choice = Choice::read(&pairs);
    let ids = match choice.ids.is_empty() {
        false => choice.ids.clone(),
        true => {
            let mut filter = choice
                .filter(&shared)
                .map_err(|problem| op.fail(StatusCode::BAD_REQUEST, problem))?;
            filter.limit = MAX_BULK + 1;
            let rows = shared
                .inbox
                .run(move |inbox| inbox.list(&filter).map_err(OpsError::from))
                .await
                .map_err(|error| Failure::ops(&op.base, error))?;
            rows.iter().rev().map(|row| row.id).collect()
        }
    };
    if ids.is_empty() {
        return Err(op.fail(
            StatusCode::BAD_REQUEST,
            "no events chosen: nothing was replayed",
        ));
    }
    if ids.len() > MAX_BULK {
        return Err(op.fail(
            StatusCode::BAD_REQUEST,
            format!("a bulk replay takes at most {MAX_BULK} events; narrow the filter"),
        ));
    }
    let (actor, now) = (op.actor(), shared.now());
    let items = shared
        .inbox
        .run(move |inbox| {
            ids.iter()
                .map(|&id| match inbox.replay(id, &actor, now) {
                    Ok(_) => Ok((id, None)),
                    Err(OpsError::Inbox(error)) => Err(OpsError::Inbox(error)),
                    Err(refused) => Ok((id, Some(refused.to_string()))),
                })
                .collect::<Result<Vec<_>, OpsError>>()
        })
        .await
        .map_err(|error| Failure::ops(&op.base, error))?;
    shared.work.notify_one();
    let replayed = items
        .iter()
        .filter(|(_, refused)| refused.is_none())
        .count();
    tracing::info!(who = %op.who, replayed, refused = items.len() - replayed, "console: bulk replay");
    let number = batches.add(op.who.clone(), when(&now), items);
    Ok(Redirect::to(&format!("{}/ui/replay/{number}", op.base)).into_response())
}

/// One item of a batch as it stands now.
struct ItemView {
    line: Option<EventLine>,
    id: i64,
    refused: Option<String>,
}

/// A batch's items and counts, as they stand.
#[derive(askama::Template)]
#[template(path = "replay_items.html")]
struct ItemsFragment {
    base: String,
    number: u64,
    items: Vec<ItemView>,
    counts: Vec<(&'static str, usize)>,
    settled: bool,
}

async fn items_now(
    shared: &Arc<Shared>,
    base: &str,
    batch: &Batch,
) -> Result<ItemsFragment, Failure> {
    let ids: Vec<i64> = batch.items.iter().map(|(id, _)| *id).collect();
    let rows = shared
        .inbox
        .run(move |inbox| {
            ids.iter()
                .map(|&id| inbox.get(id).map_err(OpsError::from))
                .collect::<Result<Vec<_>, _>>()
        })
        .await
        .map_err(|error| Failure::ops(base, error))?;
    let mut counts: Vec<(&'static str, usize)> = Vec::new();
    let mut count = |label: &'static str| match counts.iter_mut().find(|(seen, _)| *seen == label) {
        Some((_, n)) => *n += 1,
        None => counts.push((label, 1)),
    };
    let mut settled = true;
    for ((_, refused), row) in batch.items.iter().zip(&rows) {
        match (refused, row) {
            (Some(_), _) => count("refused"),
            (None, Some(row)) => {
                settled &= row.status.is_settled();
                count(row.status.as_str());
            }
            (None, None) => count("gone"),
        }
    }
    let items = batch
        .items
        .iter()
        .zip(rows)
        .take(LISTED)
        .map(|((id, refused), row)| ItemView {
            line: row.as_ref().map(EventLine::of),
            id: *id,
            refused: refused.clone(),
        })
        .collect();
    Ok(ItemsFragment {
        base: base.to_owned(),
        number: batch.number,
        items,
        counts,
        settled,
    })
}

#[derive(askama::Template)]
#[template(path = "replay_progress.html")]
struct ProgressPage {
    op: Operator,
    who: String,
    started: String,
    total: usize,
    listed: usize,
    items: ItemsFragment,
}

pub(super) async fn progress(
    State(shared): State<Arc<Shared>>,
    Extension(batches): Extension<Arc<Batches>>,
    op: Operator,
    Path(number): Path<u64>,
) -> Result<Response, Failure> {
    let batch = find(&batches, &op, number)?;
    let items = items_now(&shared, &op.base, &batch).await?;
    Ok(render(&ProgressPage {
        who: batch.who.clone(),
        started: batch.started.clone(),
        total: batch.items.len(),
        listed: batch.items.len().min(LISTED),
        op,
        items,
    }))
}

/// The batch's items alone: what the progress page fetches every second until all are settled.
pub(super) async fn items(
    State(shared): State<Arc<Shared>>,
    Extension(batches): Extension<Arc<Batches>>,
    op: Operator,
    Path(number): Path<u64>,
) -> Result<Response, Failure> {
    let batch = find(&batches, &op, number)?;
    Ok(render(&items_now(&shared, &op.base, &batch).await?))
}

fn find(batches: &Batches, op: &Operator, number: u64) -> Result<Arc<Batch>, Failure> {
    batches.get(number).ok_or_else(|| {
        op.fail(
            StatusCode::NOT_FOUND,
            format!(
                "no replay batch {number} here: batches are kept in memory, the latest \
                 {KEPT_BATCHES}, until the service restarts"
            ),
        )
    })
}
