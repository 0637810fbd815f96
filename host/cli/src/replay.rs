//! `mlc replay ID --deterministic [--plugin NAME=FILE]`: the event's recorded attempt run again
//! on its tape, with no network, and whether its requests, records and commands come out as
//! recorded (see `mlc_host::flow::replay`).

use std::path::Path;

use anyhow::Context;
use mlc_host::config::Config;
use mlc_host::flow::replay::{ReplayReport, RequestOutcome, RequestReplay, Versions};
use mlc_host::flow::{self, dry_run::Difference};

use crate::differs::Differs;
use crate::terminal::visible;

/// Replays event `id`; [`Differs`] (exit status 2) when anything differs.
pub async fn deterministic(
    config: &Config,
    id: i64,
    plugins: &[String],
    json: bool,
) -> anyhow::Result<()> {
    let candidates = plugins
        .iter()
        .map(|given| candidate(given))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let report = flow::replay_recorded(config, id, &candidates).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        for line in text(&report).lines() {
            println!("{}", visible(line));
        }
    }
    if !report.identical {
        return Err(Differs(format!("event {id}'s replay differs from its recording")).into());
    }
    Ok(())
}

/// `NAME=FILE`: the name and the component's bytes.
fn candidate(given: &str) -> anyhow::Result<(String, Vec<u8>)> {
    let (name, file) = given.split_once('=').with_context(|| {
        format!(
            "--plugin {given}: give NAME=FILE, e.g. --plugin shopify=target/plugins/shopify.wasm"
        )
    })?;
    let bytes = std::fs::read(Path::new(file)).with_context(|| format!("cannot read {file}"))?;
    Ok((name.to_owned(), bytes))
}

fn text(report: &ReplayReport) -> String {
    let mut out = format!(
        "deterministic replay of event {} (attempt {}), no network\n",
        report.event, report.attempt
    );
    out += &format!("  fetch  {}\n", versions(&report.source));
    out += &requests(&report.requests, &report.unasked);
    if let Some(error) = &report.fetch_error {
        out += &format!("         failed: {error}\n");
    }
    out += &differences("records", &report.record_differences);
    out += &format!("  map    {}\n", versions(&report.mapping));
    if let Some(answer) = &report.answer_differs {
        out += &format!("         {answer}\n");
    }
    for change in &report.command_changes {
        out += &format!("         {change}\n");
        out += &differences("", &change.differences);
    }
    if let Some(apply) = &report.apply {
        out += &format!(
            "  apply  {}: the batch's {} command(s) again\n",
            versions(&apply.sink),
            apply.commands
        );
        out += &requests(&apply.requests, &apply.unasked);
        if let Some(error) = &apply.error {
            out += &format!("         failed: {error}\n");
        }
    }
    out += match report.identical {
        true => "identical: the same requests, records and commands as recorded\n",
        false => "differs from the recording\n",
    };
    out
}

/// Each request and what became of it, then the recorded ones not asked for again.
fn requests(requests: &[RequestReplay], unasked: &[RequestReplay]) -> String {
    let mut out = String::new();
    for request in requests {
        let outcome = match &request.outcome {
            RequestOutcome::Same => "answered from the recording".to_owned(),
            RequestOutcome::BodyDiffers { recorded, replayed } => format!(
                "answered, but its body differs:\n           recorded {recorded}\n           \
                 replayed {replayed}"
            ),
            RequestOutcome::NotRecorded => {
                "not in the recording: answered with a connection error".to_owned()
            }
        };
        out += &format!("         {} {}: {outcome}\n", request.method, request.url);
    }
    for request in unasked {
        out += &format!(
            "         {} {}: recorded, not asked this time\n",
            request.method, request.url
        );
    }
    out
}

fn versions(versions: &Versions) -> String {
    let (replayed, recorded) = (&versions.replayed, &versions.recorded);
    let short = |hash: &str| hash[..12.min(hash.len())].to_owned();
    if replayed.hash == recorded.hash {
        format!(
            "{} {} ({}), as recorded",
            replayed.name,
            replayed.version,
            short(&replayed.hash)
        )
    } else {
        format!(
            "{} {} ({}) in place of the recorded {} ({})",
            replayed.name,
            replayed.version,
            short(&replayed.hash),
            recorded.version,
            short(&recorded.hash)
        )
    }
}

fn differences(what: &str, differences: &[Difference]) -> String {
    let mut out = String::new();
    if !what.is_empty() && !differences.is_empty() {
        out += &format!("         {what} differ:\n");
    }
    for difference in differences {
        out += &format!("           {difference}\n");
    }
    out
}
