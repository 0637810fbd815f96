//! `mlc backfill`: a flow's source history walked into the config's inbox, whether or not `mlc
//! run` is serving (a running host's workers pick the events up; otherwise they wait for the next
//! start). Progress goes to stderr: a bar redrawn in place on a terminal (pages, events, rate,
//! ETA), a plain line at most every few seconds otherwise. Ctrl-C stops between pages; the same
//! command resumes where it stopped.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use anyhow::anyhow;
use chrono::Utc;
use mlc_host::config::Config;
use mlc_host::flow::backfill::{self, Backfill, Range};
use mlc_host::flow::{self, BackfillRow};

/// How often a plain progress line is printed when stderr is not a terminal.
const PLAIN_EVERY: Duration = Duration::from_secs(2);

/// Runs the backfill of `flow` over `--since`/`--until` to its end, or until Ctrl-C.
pub async fn backfill(
    config: &Config,
    flow: &str,
    since: &str,
    until: Option<&str>,
) -> anyhow::Result<()> {
    let range = Range::parse(since, until, Utc::now()).map_err(|why| anyhow!("{why}"))?;
    config.flow(flow)?;
    let host = flow::open_host(config).await?;
    let backfill = Backfill::new(config, &host, flow::open_inbox(config)?, flow, range)?;
    let mut progress = match backfill.resumes().await? {
        Some(row) => {
            eprintln!(
                "resuming backfill {} of flow {flow} ({} to {}) at page {}: {} events listed, {} \
                 new so far",
                row.id,
                backfill::text(row.since),
                backfill::text(row.until),
                row.pages + 1,
                row.listed,
                row.added
            );
            Progress::new(Some(&row))
        }
        None => {
            eprintln!(
                "backfill of flow {flow} from {} to {}",
                backfill::text(range.since),
                range.until.map_or("now".to_owned(), backfill::text)
            );
            Progress::new(None)
        }
    };
    let walk = backfill.run(|row| progress.show(row));
    let finished = tokio::select! {
        finished = walk => finished?,
        _ = tokio::signal::ctrl_c() => {
            progress.end_line();
            anyhow::bail!(
                "stopped; every page listed so far is in the inbox: run the same command to \
                 resume where it stopped"
            );
        }
    };
    progress.end_line();
    println!(
        "backfill {} of flow {flow} done: {} pages, {} events listed, {} new in the inbox, {} \
         already there, in {:.1} s; `mlc run` posts them",
        finished.id,
        finished.pages,
        finished.listed,
        finished.added,
        finished.listed - finished.added,
        progress.started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The progress of this run of a backfill, on stderr.
struct Progress {
    terminal: bool,
    started: Instant,
    /// The share of the range done when this run started, and the events listed by then.
    start_share: f64,
    start_listed: u64,
    last_line: Option<Instant>,
    drawn: bool,
}

impl Progress {
    fn new(resumed: Option<&BackfillRow>) -> Self {
        Self {
            terminal: std::io::stderr().is_terminal(),
            started: Instant::now(),
            start_share: resumed.map_or(0.0, share),
            start_listed: resumed.map_or(0, |row| row.listed),
            last_line: None,
            drawn: false,
        }
    }

    fn show(&mut self, row: &BackfillRow) {
        let line = self.line(row);
        let mut stderr = std::io::stderr().lock();
        if self.terminal {
            let _ = write!(stderr, "\r\x1b[2K{line}");
            self.drawn = true;
        } else if row.finished_at.is_some()
            || self.last_line.is_none_or(|at| at.elapsed() >= PLAIN_EVERY)
        {
            let _ = writeln!(stderr, "{line}");
            self.last_line = Some(Instant::now());
        }
        let _ = stderr.flush();
    }

    /// `[#######.............]  35%  page 7 · 700 listed · 650 new · 212/s · ETA 0:12`
    fn line(&self, row: &BackfillRow) -> String {
        let done = match row.finished_at {
            Some(_) => 1.0,
            None => share(row),
        };
        let width = 20;
        let filled = ((done * width as f64).round() as usize).min(width);
        let elapsed = self.started.elapsed().as_secs_f64();
        let rate = (row.listed - self.start_listed) as f64 / elapsed.max(0.001);
        let gained = done - self.start_share;
        let eta = match (row.finished_at, gained > 0.0) {
            (Some(_), _) => "done".to_owned(),
            (None, true) => clock(elapsed * (1.0 - done) / gained),
            (None, false) => "?".to_owned(),
        };
        let reached = row
            .reached
            .map(|time| format!(" · at {}", time.format("%Y-%m-%d")))
            .unwrap_or_default();
        format!(
            "[{}{}] {:>3.0}%  page {} · {} listed · {} new · {:.0}/s · ETA {eta}{reached}",
            "#".repeat(filled),
            ".".repeat(width - filled),
            done * 100.0,
            row.pages,
            row.listed,
            row.added,
            rate
        )
    }

    /// Ends a bar drawn in place, so what follows starts on its own line.
    fn end_line(&mut self) {
        if self.drawn {
            eprintln!();
            self.drawn = false;
        }
    }
}

/// How much of its range a backfill has listed, 0 to 1, by the newest change it reached.
fn share(row: &BackfillRow) -> f64 {
    let whole = (row.until - row.since).num_milliseconds().max(1) as f64;
    let done = row
        .reached
        .map_or(0, |reached| (reached - row.since).num_milliseconds()) as f64;
    (done / whole).clamp(0.0, 1.0)
}

/// Seconds as `m:ss` (or `h:mm:ss`).
fn clock(seconds: f64) -> String {
    let seconds = seconds.round() as u64;
    match seconds / 3600 {
        0 => format!("{}:{:02}", seconds / 60, seconds % 60),
        hours => format!("{hours}:{:02}:{:02}", seconds / 60 % 60, seconds % 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;

    fn at(text: &str) -> chrono::DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    #[test]
    fn the_bar_shows_the_share_of_the_range_reached_and_the_counts() {
        let row = BackfillRow {
            id: 1,
            flow: "orders".into(),
            since: at("2026-11-01T00:00:00Z"),
            until: at("2026-11-11T00:00:00Z"),
            cursor: Some("c".into()),
            pages: 4,
            listed: 400,
            added: 380,
            reached: Some(at("2026-11-05T00:00:00Z")),
            started_at: at("2026-12-01T00:00:00Z"),
            updated_at: at("2026-12-01T00:00:00Z"),
            finished_at: None,
        };
        assert_eq!(share(&row), 0.4);
        let progress = Progress::new(None);
        let line = progress.line(&row);
        assert!(
            line.starts_with("[########............]  40%  page 4 · 400 listed · 380 new · "),
            "{line}"
        );
        assert!(line.ends_with(" · at 2026-11-05"), "{line}");
        assert_eq!(clock(75.4), "1:15");
        assert_eq!(clock(3725.0), "1:02:05");
    }
}
