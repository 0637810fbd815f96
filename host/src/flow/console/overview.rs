//! The console's front page: how many events are in each status (each a link to the list), each
//! flow's backlog, and each flow's last 24 hours as charts.

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use super::charts::{self, HOURS};
use super::page::{Failure, render, when};
use super::session::Operator;
use crate::flow::inbox::OpsError;
use crate::flow::shared::Shared;

struct FlowSummary {
    name: String,
    waiting: u64,
    oldest_waiting: String,
    /// Each chart as SVG, rendered by its own template (escaped there).
    charts: Vec<String>,
}

#[derive(Template)]
#[template(path = "overview.html")]
struct OverviewPage {
    op: Operator,
    counts: Vec<(&'static str, u64)>,
    flows: Vec<FlowSummary>,
}

pub(super) async fn page(
    State(shared): State<Arc<Shared>>,
    op: Operator,
) -> Result<Response, Failure> {
    let now = shared.now();
    let since = now - chrono::Duration::hours(HOURS as i64);
    let (counts, backlog, activity) = shared
        .inbox
        .run(move |inbox| {
            Ok::<_, OpsError>((inbox.counts()?, inbox.backlog()?, inbox.activity(since)?))
        })
        .await
        .map_err(|error| Failure::ops(&op.base, error))?;
    let flows = shared
        .config
        .flows
        .keys()
        .map(|flow| {
            let waiting = backlog.iter().find(|backlog| &backlog.flow == flow);
            let hours: Vec<_> = activity.iter().filter(|hour| &hour.flow == flow).collect();
            FlowSummary {
                name: flow.clone(),
                waiting: waiting.map_or(0, |backlog| backlog.waiting),
                oldest_waiting: waiting
                    .map(|backlog| when(&backlog.oldest_received_at))
                    .unwrap_or_default(),
                charts: charts::flow_charts(&hours, now)
                    .iter()
                    .filter_map(|chart| chart.render().ok())
                    .collect(),
            }
        })
        .collect();
    Ok(render(&OverviewPage {
        op,
        counts: counts
            .into_iter()
            .map(|(status, count)| (status.as_str(), count))
            .collect(),
        flows,
    }))
}
