//! The connections page: each connection's connector and the flows that use it, its health from
//! the connector's `ping` (each row asks for it when the page loads), and per flow the last poll,
//! the poll's last error and the last event that failed.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::page::{Failure, excerpt, render, when};
use super::session::Operator;
use crate::flow::diagnose::{self, PingReport};
use crate::flow::inbox::{EventFilter, OpsError, PollState};
use crate::flow::shared::Shared;
use crate::flow::status::Status;

struct ConnectionView {
    name: String,
    connector: String,
    base_url: String,
    uses: Vec<String>,
}

struct FlowView {
    name: String,
    route: String,
    polled: String,
    next_poll: String,
    poll_error: String,
    /// The newest failed event: its id and error.
    last_failure: Option<(i64, String)>,
}

#[derive(askama::Template)]
#[template(path = "connections.html")]
struct ConnectionsPage {
    op: Operator,
    connections: Vec<ConnectionView>,
    flows: Vec<FlowView>,
}

pub(super) async fn page(
    State(shared): State<Arc<Shared>>,
    op: Operator,
) -> Result<Response, Failure> {
    let connections = shared
        .config
        .connections
        .values()
        .map(|connection| ConnectionView {
            name: connection.name.clone(),
            connector: connection.connector.clone(),
            base_url: connection
                .base_url
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            uses: shared
                .config
                .flows
                .values()
                .flat_map(|flow| {
                    let source = (flow.source == connection.name)
                        .then(|| format!("source of {}", flow.name));
                    let sink =
                        (flow.sink == connection.name).then(|| format!("sink of {}", flow.name));
                    source.into_iter().chain(sink)
                })
                .collect(),
        })
        .collect();
    let flow_names: Vec<(String, String, bool)> = shared
        .config
        .flows
        .values()
        .map(|flow| {
            (
                flow.name.clone(),
                format!("{} → {} → {}", flow.source, flow.mapping, flow.sink),
                flow.poll_interval.is_some(),
            )
        })
        .collect();
    let states = shared
        .inbox
        .run(move |inbox| {
            flow_names
                .into_iter()
                .map(|(name, route, polled)| {
                    let poll = match polled {
                        true => Some(inbox.poll_state(&name)?),
                        false => None,
                    };
                    let failed = inbox.list(&EventFilter {
                        status: Some(Status::Failed),
                        flow: Some(name.clone()),
                        limit: 1,
                        ..EventFilter::default()
                    })?;
                    Ok::<_, OpsError>(flow_view(name, route, poll, failed.first()))
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .await
        .map_err(|error| Failure::ops(&op.base, error))?;
    Ok(render(&ConnectionsPage {
        op,
        connections,
        flows: states,
    }))
}

fn flow_view(
    name: String,
    route: String,
    poll: Option<PollState>,
    failed: Option<&crate::flow::inbox::EventRow>,
) -> FlowView {
    let (polled, next_poll, poll_error) = match poll {
        None => (
            "not polled (webhooks only)".to_owned(),
            String::new(),
            String::new(),
        ),
        Some(state) => (
            state
                .polled_at
                .as_ref()
                .map(when)
                .unwrap_or_else(|| "not yet".to_owned()),
            state.next_at.as_ref().map(when).unwrap_or_default(),
            state
                .last_error
                .map(|error| excerpt(&error, 300))
                .unwrap_or_default(),
        ),
    };
    FlowView {
        name,
        route,
        polled,
        next_poll,
        poll_error,
        last_failure: failed.map(|row| {
            (
                row.id,
                excerpt(row.last_error.as_deref().unwrap_or_default(), 300),
            )
        }),
    }
}

#[derive(askama::Template)]
#[template(path = "ping.html")]
struct PingFragment {
    report: PingReport,
}

/// One connection's health: the connector's `ping`, as a table cell.
pub(super) async fn ping(
    State(shared): State<Arc<Shared>>,
    op: Operator,
    Path(name): Path<String>,
) -> Result<Response, Failure> {
    let connector = shared
        .connector(&name)
        .map_err(|error| op.fail(StatusCode::NOT_FOUND, error.to_string()))?;
    let report = diagnose::ping(&connector).await;
    Ok(render(&PingFragment { report }))
}
