//! `mlc dry-run` and `mlc plugin install --dry-run`: a candidate mapping run over a flow's
//! recorded events, never reaching the sink, and the report of what it would have changed. They
//! read the config's inbox directly, whether or not `mlc run` is serving.

use std::io::{IsTerminal, Write};
use std::path::Path;

use anyhow::Context;
use chrono::Utc;
use mlc_host::config::Config;
use mlc_host::flow;
use mlc_host::flow::dry_run::{Candidate, DryRunReport, Selection};

use crate::differs::Differs;
use crate::terminal::visible;

/// `mlc dry-run`: the report, as text or JSON; [`Differs`] when the candidate would post
/// differently.
pub async fn dry_run(
    config: &Config,
    flow: &str,
    mapping: &Path,
    selection: (Option<&str>, Option<&str>),
    json: bool,
) -> anyhow::Result<()> {
    config.flow(flow)?;
    let selection = Selection::parse(selection.0, selection.1, Utc::now())
        .map_err(|why| anyhow::anyhow!("{why}"))?;
    let candidate = load(config, mapping).await?;
    let report = run(&candidate, flow, &selection).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_text(&report);
    }
    if report.changes_postings() {
        return Err(Differs(format!(
            "{} {} would post differently on flow {flow}",
            report.candidate.name, report.candidate.version
        ))
        .into());
    }
    Ok(())
}

/// `mlc plugin install --dry-run`: runs the mapping in `file` over the recent events of every
/// flow that maps with its name, and installs it only when nothing would post differently or
/// `accept_changes` is set.
pub async fn install(
    config: &Config,
    file: &Path,
    since: Option<&str>,
    accept_changes: bool,
) -> anyhow::Result<()> {
    let selection =
        Selection::parse(since, None, Utc::now()).map_err(|why| anyhow::anyhow!("{why}"))?;
    let candidate = load(config, file).await?;
    let name = candidate.summary().name.clone();
    let flows: Vec<&str> = config
        .flows
        .values()
        .filter(|flow| flow.mapping == name)
        .map(|flow| flow.name.as_str())
        .collect();
    if flows.is_empty() {
        println!("no flow in the config maps with {name}: nothing to dry-run");
    }
    let mut changing = Vec::new();
    for flow in flows {
        let report = run(&candidate, flow, &selection).await?;
        print_text(&report);
        if report.changes_postings() {
            changing.push(flow);
        }
    }
    if !changing.is_empty() && !accept_changes {
        anyhow::bail!(
            "not installed: {name} would post differently on {} (see above); install it with \
             --accept-changes to make it active all the same",
            changing.join(", ")
        );
    }
    crate::installs::install(config, file).await
}

async fn load(config: &Config, file: &Path) -> anyhow::Result<Candidate> {
    let component =
        std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    flow::open_candidate(config, &component)
        .await
        .with_context(|| format!("candidate {}", file.display()))
}

/// Runs the dry-run, showing its progress on a terminal.
async fn run(
    candidate: &Candidate,
    flow: &str,
    selection: &Selection,
) -> anyhow::Result<DryRunReport> {
    let terminal = std::io::stderr().is_terminal();
    let report = candidate
        .dry_run(flow, selection, |done, total| {
            if terminal {
                eprint!("\rdry-run {flow}: {done}/{total} events");
                let _ = std::io::stderr().flush();
            }
        })
        .await?;
    if terminal && report.summary.events > 0 {
        eprintln!();
    }
    Ok(report)
}

fn print_text(report: &DryRunReport) {
    for line in report.text().lines() {
        println!("{}", visible(line));
    }
}
