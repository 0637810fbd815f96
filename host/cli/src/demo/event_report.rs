//! The demo's table of events: each event the flow took in, what it was about, where it ended, in
//! how many attempts, and the ids Intacct gave back or the error that stopped it.

use std::fmt::Write;
use std::time::Duration;

use mlc_host::flow::{EventDetail, EventRow, Status};
use serde_json::Value;

use super::actions::Labels;
use super::table::{Align, Table};

/// How much of an error a row shows; `mlc events show` has the rest.
const ERROR_WIDTH: usize = 110;

/// The events, oldest first, as a table indented by two spaces.
pub fn render(events: &[EventRow], labels: &Labels) -> String {
    let mut table = Table::new(&[
        ("ID", Align::Right),
        ("TOPIC", Align::Left),
        ("FOR", Align::Left),
        ("STATUS", Align::Left),
        ("TRIES", Align::Right),
        ("INTACCT IDS / ERROR", Align::Left),
    ]);
    for event in events {
        table.row(vec![
            event.id.to_string(),
            event.topic.clone(),
            labels
                .get(&event.reference)
                .cloned()
                .unwrap_or_else(|| event.reference.clone()),
            event.status.to_string(),
            event.attempts.to_string(),
            result(event),
        ]);
    }
    table.render(2)
}

/// The created ids (`invoice 12, customer SH-1A2B`) of a done event, else its error or review
/// reason.
fn result(event: &EventRow) -> String {
    match event.status {
        Status::Done if event.external_ids.is_empty() => "(nothing new)".into(),
        Status::Done => event
            .external_ids
            .iter()
            .map(|(kind, id)| format!("{kind} {id}"))
            .collect::<Vec<_>>()
            .join(", "),
        Status::Review => shorten(event.review_reason.as_deref().unwrap_or_default()),
        _ => shorten(event.last_error.as_deref().unwrap_or_default()),
    }
}

fn shorten(text: &str) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match line.char_indices().nth(ERROR_WIDTH) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line,
    }
}

/// Where the events' time went, from their audit trails: each step's total, and how long the
/// `shopify` connector waited for Shopify's GraphQL bucket to refill (its `wait_ms` log fields).
pub fn time_spent(details: &[EventDetail]) -> String {
    let mut totals: Vec<(&str, Duration)> = Vec::new();
    let mut waited = Duration::ZERO;
    for step in details.iter().flat_map(|detail| &detail.steps) {
        if step.plugin.is_none() {
            continue;
        }
        match totals.iter_mut().find(|(name, _)| *name == step.name) {
            Some((_, total)) => *total += step.duration,
            None => totals.push((&step.name, step.duration)),
        }
        let logs = step.detail.get("logs").and_then(Value::as_array);
        for record in logs.into_iter().flatten() {
            let wait = record.pointer("/fields/wait_ms").and_then(Value::as_str);
            if let Some(ms) = wait.and_then(|ms| ms.parse().ok()) {
                waited += Duration::from_millis(ms);
            }
        }
    }
    let steps: Vec<String> = totals
        .iter()
        .map(|(name, total)| format!("{name} {total:.1?}"))
        .collect();
    let mut line = format!("time in steps, all events: {}", steps.join(", "));
    if !waited.is_zero() {
        let _ = write!(
            line,
            "; the fetches include {waited:.1?} waiting for Shopify's GraphQL rate limit"
        );
    }
    line
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use mlc_host::flow::Arrival;

    use super::*;

    fn event(id: i64, status: Status, error: Option<&str>, ids: &[(&str, &str)]) -> EventRow {
        EventRow {
            id,
            flow: "orders-to-ar".into(),
            connection: "shopify".into(),
            key: format!("key-{id}"),
            topic: "orders/paid".into(),
            reference: "5821001234567890123".into(),
            occurred_at: None,
            payload: None,
            arrival: Arrival::Webhook,
            status,
            attempts: 3,
            replayed_at_attempt: 0,
            received_at: Utc::now(),
            updated_at: Utc::now(),
            next_attempt_at: None,
            last_error: error.map(str::to_owned),
            review_reason: None,
            resolution: None,
            external_ids: ids
                .iter()
                .map(|(kind, id)| ((*kind).to_owned(), (*id).to_owned()))
                .collect(),
            pins: None,
        }
    }

    #[test]
    fn a_failed_event_shows_its_error_and_a_done_one_its_ids() {
        let labels = Labels::from([("5821001234567890123".to_owned(), "#1001".to_owned())]);
        let long = format!("rejected BL01001973: {}", "no such invoice ".repeat(20));
        let table = render(
            &[
                event(1, Status::Failed, Some(&long), &[]),
                event(
                    2,
                    Status::Done,
                    Some("an earlier try's error"),
                    &[("payment", "7")],
                ),
            ],
            &labels,
        );
        let lines: Vec<&str> = table.lines().collect();
        assert!(
            lines[1].contains("#1001") && lines[1].contains("failed"),
            "{table}"
        );
        assert!(
            lines[1].contains("rejected BL01001973: no such invoice"),
            "{table}"
        );
        assert!(lines[1].ends_with('…'), "{table}");
        assert!(lines[2].ends_with("payment 7"), "{table}");
    }
}
