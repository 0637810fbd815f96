//! `mlc reconcile`: whether Intacct holds what a flow's source says it should for a period, as
//! text (the differences and the totals), JSON or CSV; [`Differs`] (exit status 2) when
//! anything differs, for a nightly job. It reads the source and Intacct, posts nothing, and works
//! whether or not `mlc run` is serving.

use std::io::{IsTerminal, Write};

use anyhow::anyhow;
use chrono::Utc;
use mlc_host::config::Config;
use mlc_host::flow;
use mlc_host::flow::reconcile::report::Verdict;
use mlc_host::flow::reconcile::{Period, Reconcile};

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
    let report = report?;
    match format {
        Format::Text => print!("{report}"),
        Format::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        Format::Csv => print!("{}", report.csv()),
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
