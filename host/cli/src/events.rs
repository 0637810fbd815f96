//! `mlc events`, `mlc replay`, `mlc review` and `mlc ping`: the operator's commands. They work on
//! the config's inbox directly, whether or not `mlc run` is serving (it picks up replays and
//! resolutions within a tick).

use chrono::{SecondsFormat, Utc};
use mlc_host::config::Config;
use mlc_host::flow::{self, EventDetail, EventFilter, EventRow, Resolution, Status, Step};

use crate::terminal::visible;

/// How much of an error a list row shows.
const ERROR_WIDTH: usize = 60;

pub fn list(config: &Config, filter: EventFilter, json: bool) -> anyhow::Result<()> {
    let rows = flow::open_inbox(config)?.list(&filter)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    if rows.is_empty() {
        println!("no events match");
        return Ok(());
    }
    println!(
        "{:>6}  {:<8} {:<14} {:<24} {:<18} {:>3}  {:<20}  ERROR / REASON",
        "ID", "STATUS", "FLOW", "KEY", "TOPIC", "TRY", "RECEIVED"
    );
    for row in &rows {
        println!(
            "{:>6}  {:<8} {:<14} {:<24} {:<18} {:>3}  {:<20}  {}",
            row.id,
            row.status,
            row.flow,
            visible(&row.key),
            visible(&row.topic),
            row.attempts,
            time(row.received_at),
            shorten(&visible(problem(row).unwrap_or_default()), ERROR_WIDTH)
        );
    }
    Ok(())
}

pub fn show(config: &Config, id: i64, json: bool) -> anyhow::Result<()> {
    let detail = flow::open_inbox(config)?.show(id)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&detail)?);
        return Ok(());
    }
    print_detail(&detail);
    Ok(())
}

pub fn replay(config: &Config, id: Option<i64>, failed: bool) -> anyhow::Result<()> {
    let inbox = flow::open_inbox(config)?;
    let now = Utc::now();
    match (id, failed) {
        (Some(id), false) => {
            let row = inbox.replay(id, "cli", now)?;
            println!(
                "event {} ({} {}) is pending again",
                row.id, row.flow, row.key
            );
        }
        (None, true) => {
            let ids = inbox.replay_failed("cli", now)?;
            println!("{} failed event(s) pending again: {:?}", ids.len(), ids);
        }
        _ => anyhow::bail!("give an event id or --failed, not both"),
    }
    Ok(())
}

pub fn review_list(config: &Config) -> anyhow::Result<()> {
    let filter = EventFilter {
        status: Some(Status::Review),
        ..EventFilter::default()
    };
    let rows = flow::open_inbox(config)?.list(&filter)?;
    if rows.is_empty() {
        println!("nothing waits for review");
    }
    for row in rows {
        println!(
            "{:>6}  {} {} ({})  since {}\n        {}",
            row.id,
            row.flow,
            visible(&row.key),
            visible(&row.topic),
            time(row.updated_at),
            visible(row.review_reason.as_deref().unwrap_or(""))
        );
    }
    Ok(())
}

pub fn resolve(
    config: &Config,
    id: i64,
    with: Option<String>,
    skip: Option<String>,
) -> anyhow::Result<()> {
    let resolution = match (with, skip) {
        (Some(_), Some(_)) => anyhow::bail!("give either --with or --skip, not both"),
        (_, Some(why)) => Resolution::Skip(why),
        (with, None) => {
            let text = with.unwrap_or_else(|| "{}".into());
            let decision = serde_json::from_str(&text).map_err(|error| {
                anyhow::anyhow!("--with must be JSON, e.g. '{{\"order\": \"SO-1001\"}}': {error}")
            })?;
            Resolution::Post(decision)
        }
    };
    let row = flow::open_inbox(config)?.resolve(id, &resolution, "cli", Utc::now())?;
    match row.status {
        Status::Skipped => println!("event {id} skipped"),
        _ => println!("event {id} resolved; it is pending and posts on the next run of its flow"),
    }
    Ok(())
}

pub async fn ping(config: &Config, connection: &str) -> anyhow::Result<()> {
    let Some(settings) = config.connections.get(connection) else {
        let known: Vec<&str> = config.connections.keys().map(String::as_str).collect();
        anyhow::bail!(
            "there is no connection `{connection}` in {} (its connections: {})",
            config.path.display(),
            known.join(", ")
        );
    };
    let host = flow::open_host(config).await?;
    let connector = host.connector(
        &settings.connector,
        std::sync::Arc::new(settings.connection()?),
    )?;
    let report = flow::ping(&connector).await;
    for request in &report.requests {
        println!("  {}", visible(request));
    }
    match report.ok {
        true => {
            println!(
                "{connection} ({} {}): ok: {}",
                report.plugin,
                report.version,
                visible(&report.message)
            );
            Ok(())
        }
        false => anyhow::bail!(
            "{connection} ({} {}): {}\n  what to do: {}",
            report.plugin,
            report.version,
            visible(&report.message),
            report.advice.unwrap_or_default()
        ),
    }
}

fn print_detail(detail: &EventDetail) {
    let event = &detail.event;
    println!(
        "event {}  {}  flow {}  from {} ({})",
        event.id,
        event.status,
        event.flow,
        event.connection,
        event.arrival.as_str()
    );
    println!(
        "  key {}  topic {}  reference {}",
        visible(&event.key),
        visible(&event.topic),
        visible(&event.reference)
    );
    println!(
        "  received {}  updated {}  attempts {}",
        time(event.received_at),
        time(event.updated_at),
        event.attempts
    );
    if let Some(next) = event.next_attempt_at.filter(|_| !event.status.is_settled()) {
        println!("  next attempt {}", time(next));
    }
    if let Some(problem) = problem(event) {
        println!(
            "  {}: {}",
            if event.status == Status::Review {
                "review"
            } else {
                "error"
            },
            visible(problem)
        );
    }
    for (kind, id) in &event.external_ids {
        println!("  created {} {}", visible(kind), visible(id));
    }
    println!("steps:");
    for step in &detail.steps {
        print_step(step);
    }
}

fn print_step(step: &Step) {
    let plugin = match (&step.plugin, &step.plugin_version, &step.plugin_hash) {
        (Some(name), Some(version), Some(hash)) => {
            format!("{name} {version} ({})", &hash[..hash.len().min(12)])
        }
        (Some(name), Some(version), None) => format!("{name} {version}"),
        _ => String::new(),
    };
    println!(
        "  #{} {:<11} {} {:>9.1?} {:<3} {plugin}{}",
        step.attempt,
        step.name,
        time(step.started_at),
        step.duration,
        if step.ok { "ok" } else { "ERR" },
        step.message
            .as_deref()
            .map(|message| format!("  {}", visible(message)))
            .unwrap_or_default()
    );
    for request in step
        .detail
        .get("requests")
        .and_then(|value| value.as_array())
        .into_iter()
        .flatten()
    {
        let outcome = request["status"]
            .as_u64()
            .map(|status| status.to_string())
            .or_else(|| request["error"].as_str().map(visible))
            .unwrap_or_default();
        println!(
            "      {} {} → {outcome} ({} µs)",
            request["method"].as_str().unwrap_or(""),
            visible(request["url"].as_str().unwrap_or("")),
            request["duration_us"]
        );
    }
    for command in step
        .detail
        .get("commands")
        .and_then(|value| value.as_array())
        .into_iter()
        .flatten()
    {
        println!(
            "      command {} key {}",
            visible(command["kind"].as_str().unwrap_or("")),
            visible(command["key"].as_str().unwrap_or(""))
        );
    }
}

fn problem(row: &EventRow) -> Option<&str> {
    match row.status {
        Status::Review => row.review_reason.as_deref(),
        Status::Done | Status::Skipped => None,
        _ => row.last_error.as_deref(),
    }
}

fn time(at: chrono::DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn shorten(text: &str, width: usize) -> String {
    match text.char_indices().nth(width) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}
