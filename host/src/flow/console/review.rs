//! The review queue: each held event with its reason and the reason's class, and the two ways to
//! settle it: post (with the mapping's resolution JSON) or skip (with a note). Both go into the
//! audit trail with the operator's name.

use std::sync::Arc;

use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::Value;

use super::events::EventLine;
use super::page::{Failure, render};
use super::session::Operator;
use crate::flow::inbox::{EventFilter, OpsError, Resolution};
use crate::flow::shared::Shared;
use crate::flow::status::Status;

/// The most held events the page shows, oldest first.
const SHOWN: usize = 200;

/// What kind of trouble a review reason describes, from its words: `no sales order`, `config`,
/// `rate limit`, `connection`, `data`, or `other`.
pub(super) fn class(reason: &str) -> &'static str {
    let reason = reason.to_ascii_lowercase();
    let mentions = |words: &[&str]| words.iter().any(|word| reason.contains(word));
    if mentions(&["sales order", "no order", "order to match"]) {
        "no sales order"
    } else if mentions(&[
        "config",
        "setting",
        "not installed",
        "not loaded",
        "no plugin",
    ]) {
        "config"
    } else if mentions(&["rate limit", "429", "too many requests"]) {
        "rate limit"
    } else if mentions(&[
        "connect",
        "unreachable",
        "timed out",
        "credential",
        "auth",
        "dns",
    ]) {
        "connection"
    } else if mentions(&[
        "account", "customer", "amount", "missing", "invalid", "unknown", "currency", "tax",
    ]) {
        "data"
    } else {
        "other"
    }
}

struct HeldEvent {
    line: EventLine,
    reason: String,
    class: &'static str,
}

#[derive(askama::Template)]
#[template(path = "review.html")]
struct ReviewPage {
    op: Operator,
    held: Vec<HeldEvent>,
    total: u64,
}

pub(super) async fn queue(
    State(shared): State<Arc<Shared>>,
    op: Operator,
) -> Result<Response, Failure> {
    let filter = EventFilter {
        status: Some(Status::Review),
        limit: SHOWN,
        ..EventFilter::default()
    };
    let (rows, total) = shared
        .inbox
        .run(move |inbox| {
            let total = inbox.count(&filter)?;
            Ok::<_, OpsError>((inbox.list(&filter)?, total))
        })
        .await
        .map_err(|error| Failure::ops(&op.base, error))?;
    let held = rows
        .iter()
        .rev()
        .map(|row| {
            let reason = row.review_reason.clone().unwrap_or_default();
            HeldEvent {
                line: EventLine::of(row),
                class: class(&reason),
                reason,
            }
        })
        .collect();
    Ok(render(&ReviewPage { op, held, total }))
}

#[derive(Deserialize)]
pub(super) struct ResolveForm {
    csrf: String,
    #[serde(default)]
    resolution: String,
}

/// Posts a held event with the resolution given (a JSON object; empty is `{}`).
pub(super) async fn resolve(
    State(shared): State<Arc<Shared>>,
    op: Operator,
    Path(id): Path<i64>,
    Form(form): Form<ResolveForm>,
) -> Result<Response, Failure> {
    op.check(&form.csrf)?;
    let text = form.resolution.trim();
    let decision = match text {
        "" => Value::Object(Default::default()),
        text => match serde_json::from_str::<Value>(text) {
            Ok(decision @ Value::Object(_)) => decision,
            Ok(_) => {
                return Err(op.fail(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    format!(
                        "the resolution must be a JSON object such as {{\"sales_order\": \
                         \"SO-1002\"}}, not `{text}`; nothing was changed"
                    ),
                ));
            }
            Err(why) => {
                return Err(op.fail(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    format!("the resolution is not JSON ({why}); nothing was changed"),
                ));
            }
        },
    };
    settle(&shared, &op, id, Resolution::Post(decision)).await
}

#[derive(Deserialize)]
pub(super) struct SkipForm {
    csrf: String,
    #[serde(default)]
    note: String,
}

/// Settles a held event without posting it; the note says why.
pub(super) async fn skip(
    State(shared): State<Arc<Shared>>,
    op: Operator,
    Path(id): Path<i64>,
    Form(form): Form<SkipForm>,
) -> Result<Response, Failure> {
    op.check(&form.csrf)?;
    let note = form.note.trim();
    if note.is_empty() {
        return Err(op.fail(
            StatusCode::UNPROCESSABLE_ENTITY,
            "say why the event is skipped: the note goes into the audit trail; nothing was changed",
        ));
    }
    settle(&shared, &op, id, Resolution::Skip(note.to_owned())).await
}

async fn settle(
    shared: &Arc<Shared>,
    op: &Operator,
    id: i64,
    resolution: Resolution,
) -> Result<Response, Failure> {
    let (actor, now) = (op.actor(), shared.now());
    shared
        .inbox
        .run(move |inbox| inbox.resolve(id, &resolution, &actor, now))
        .await
        .map_err(|error| Failure::ops(&op.base, error))?;
    shared.work.notify_one();
    Ok(Redirect::to(&format!("{}/ui/events/{id}", op.base)).into_response())
}

#[cfg(test)]
mod tests {
    use super::class;

    #[test]
    fn reasons_fall_into_the_class_their_words_describe() {
        let cases = [
            ("no sales order 1002 in Intacct", "no sales order"),
            ("flow orders: mapping `x` is not loaded", "config"),
            ("Intacct answered 429 Too Many Requests", "rate limit"),
            ("cannot connect to api.example.com", "connection"),
            ("GL account 4999 is unknown in Intacct", "data"),
            ("a person should look at this", "other"),
        ];
        for (reason, expected) in cases {
            assert_eq!(class(reason), expected, "{reason}");
        }
    }
}
