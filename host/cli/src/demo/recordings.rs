//! The demo's recordings: what keeping the day's attempts took, one order replayed on its
//! recording with no network, and the mapping that served the day dry-run over it (it would post
//! exactly what it posted).

use std::path::Path;

use anyhow::Context;
use chrono::{DateTime, Utc};
use mlc_host::config::Config;
use mlc_host::flow::dry_run::Selection;
use mlc_host::flow::{self, EventRow, Inbox, Status};
use simulators::shopify_intacct::FLOW;

/// Prints the section; `mapping` is the component that served the Shopify flow.
pub async fn show(
    config: &Config,
    inbox: &Inbox,
    events: &[EventRow],
    mapping: &Path,
) -> anyhow::Result<()> {
    let usage = inbox.recording_usage()?;
    let per_attempt = usage.stored_bytes / usage.recordings.max(1);
    println!(
        "  {} attempts recorded (the tapes of each fetch and apply, each mapping's input and \
         answer): {} KiB on disk, {} KiB before compression, {per_attempt} bytes an attempt",
        usage.recordings,
        usage.stored_bytes.div_ceil(1024),
        usage.raw_bytes.div_ceil(1024)
    );

    let order = events
        .iter()
        .find(|event| {
            event.flow == FLOW && event.topic == "orders/create" && event.status == Status::Done
        })
        .context("the day has an order done")?;
    let replay = flow::replay_recorded(config, order.id, &[]).await?;
    let applied = replay
        .apply
        .as_ref()
        .map_or(0, |apply| apply.requests.len());
    println!(
        "  event {} ({}) replayed on its recording, with no network: {}; {} request(s) of its \
         fetch and {applied} of its batch's apply answered from the recording",
        order.id,
        order.topic,
        match replay.identical {
            true => "identical requests, records and commands",
            false => "it DIFFERS from its recording",
        },
        replay.requests.len()
    );

    let component =
        std::fs::read(mapping).with_context(|| format!("reading {}", mapping.display()))?;
    let candidate = flow::open_candidate(config, &component).await?;
    let everything = Selection::Since(DateTime::<Utc>::MIN_UTC);
    let report = candidate.dry_run(FLOW, &everything, |_, _| {}).await?;
    let summary = report.summary;
    println!(
        "  {} {} dry-run over the day's {} {FLOW} events: unchanged {} · changed {} · new \
         failures {} · not replayable {}; {}",
        report.candidate.name,
        report.candidate.version,
        summary.events,
        summary.unchanged,
        summary.changed,
        summary.new_failure,
        summary.not_replayable,
        match report.changes_postings() {
            true => "it would post differently",
            false => "no amount moves",
        }
    );
    Ok(())
}
