//! `mlc reconcile`: whether Intacct holds what a flow's source says it should for a period, as
//! text (the differences and the totals), JSON or CSV; [`Differs`] (exit status 2) when
//! anything differs, for a nightly job. It reads the source and Intacct, posts nothing, and works
//! whether or not `mlc run` is serving. With `--fix` it queues the fixes of the differences
//! ([`FixPlan`]) in the inbox, says on stderr what each does and what is left for a person, and
//! exits 2 only when something is left; `mlc run` posts them.

use std::io::{IsTerminal, Write};

use anyhow::anyhow;
use chrono::Utc;
use mlc_host::config::Config;
use mlc_host::flow;
use mlc_host::flow::reconcile::fix::FixPlan;
use mlc_host::flow::reconcile::report::Verdict;
use mlc_host::flow::reconcile::{Period, Reconcile, Reconciled};

use crate::differs::Differs;

/// How the report is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Csv,
}

pub async fn reconcile(
    config: &Config,
    flow_name: &str,
    (from, to): (&str, &str),
    format: Format,
    fix: bool,
) -> anyhow::Result<()> {
    let period =
        Period::parse(from, to, Utc::now().date_naive()).map_err(|why| anyhow!("{why}"))?;
    config.flow(flow_name)?;
    let host = flow::open_host(config).await?;
    let reconcile = Reconcile::new(config, &host, flow_name, period)?;
    let terminal = std::io::stderr().is_terminal();
    let report = reconcile
        .run(|mapped| {
            if terminal {
                let _ = write!(std::io::stderr(), "\r\x1b[2Ksource events mapped: {mapped}");
            }
        })
        .await;
    if terminal {
        eprintln!();
    }
    let reconciled = report?;
    let report = &reconciled.report;
    match format {
        Format::Text => print!("{report}"),
        Format::Json => println!("{}", serde_json::to_string_pretty(report)?),
        Format::Csv => print!("{}", report.csv()),
    }
    if fix && report.differs() {
        return queue_fixes(config, flow_name, &reconciled).await;
    }
    if report.differs() {
        let matched = report.counts().get(&Verdict::Matched).copied().unwrap_or(0);
        return Err(Differs(format!(
            "flow {flow_name} differs from Intacct from {} to {}: {} of {} documents matched, {} \
             events not mapped",
            period.from,
            period.to,
            matched,
            report.findings.len(),
            report.unmapped.len()
        ))
        .into());
    }
    Ok(())
}

/// Queues the fixes of `reconciled`'s differences and says what each does; [`Differs`] when
/// some are left for a person (or events were not mapped).
async fn queue_fixes(
    config: &Config,
    flow_name: &str,
    reconciled: &Reconciled,
) -> anyhow::Result<()> {
    let flow = config.flow(flow_name)?;
    let inbox = flow::open_inbox(config)?;
    let now = Utc::now();
    let plan = FixPlan::make(&inbox, flow_name, reconciled, now.date_naive()).await?;
    let receipts = plan.queue(&inbox, flow, now).await?;
    for (repair, receipt) in plan.repairs.iter().zip(&receipts) {
        let queued = match receipt.duplicate {
            true => format!("queued already today as event {}", receipt.id),
            false => format!("queued as event {}", receipt.id),
        };
        eprintln!(
            "fix  {} {}: {}; {queued}",
            repair.document, repair.key, repair.how
        );
    }
    for left in &plan.left {
        eprintln!("left {} {}: {}", left.document, left.key, left.why);
    }
    let unmapped = reconciled.report.unmapped.len();
    eprintln!(
        "{} fix(es) in the inbox for `mlc run` to post (then reconcile again); {} difference(s) \
         left; {unmapped} event(s) not mapped",
        receipts.len(),
        plan.left.len()
    );
    if !plan.left.is_empty() || unmapped > 0 {
        return Err(Differs(format!(
            "flow {flow_name}: {} difference(s) have no fix and {unmapped} event(s) were not \
             mapped; see above what a person does",
            plan.left.len()
        ))
        .into());
    }
    Ok(())
}
