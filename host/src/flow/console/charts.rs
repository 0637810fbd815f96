//! Each flow's last 24 hours as three small bar charts in SVG (no script, no inline style):
//! events received per hour, the share of them that failed or wait for review, and the mean time
//! from arrival to done.

use chrono::{DateTime, Duration, DurationRound, Utc};

use crate::flow::inbox::HourActivity;

/// Hours a chart covers, ending with the current one.
pub(super) const HOURS: usize = 24;
const WIDTH: f64 = 360.0;
const HEIGHT: f64 = 90.0;
/// Room under the bars for the axis labels.
const AXIS: f64 = 14.0;

/// One bar: where it is drawn, and what hovering it says.
pub(super) struct Bar {
    pub x: String,
    pub y: String,
    pub width: String,
    pub height: String,
    pub title: String,
}

/// One chart, ready for `chart.svg`.
#[derive(askama::Template)]
#[template(path = "chart.svg")]
pub(super) struct Chart {
    pub title: String,
    /// The top of the scale, with its unit.
    pub top: String,
    pub first_hour: String,
    pub last_hour: String,
    pub bars: Vec<Bar>,
    pub width: f64,
    pub height: f64,
    pub baseline: f64,
}

/// The received, failure-rate and lag charts of one flow's `hours` (any order, any span: those
/// outside the last [`HOURS`] before `now` are left out).
pub(super) fn flow_charts(hours: &[&HourActivity], now: DateTime<Utc>) -> Vec<Chart> {
    let last = now.duration_trunc(Duration::hours(1)).unwrap_or(now);
    let slots: Vec<(DateTime<Utc>, Option<&HourActivity>)> = (0..HOURS)
        .map(|back| last - Duration::hours((HOURS - 1 - back) as i64))
        .map(|hour| {
            (
                hour,
                hours.iter().copied().find(|activity| activity.hour == hour),
            )
        })
        .collect();
    let received: Vec<f64> = slots
        .iter()
        .map(|(_, activity)| activity.map_or(0.0, |activity| activity.received as f64))
        .collect();
    let failed_share: Vec<f64> = slots
        .iter()
        .map(|(_, activity)| {
            activity
                .filter(|activity| activity.received > 0)
                .map_or(0.0, |activity| {
                    100.0 * activity.failed as f64 / activity.received as f64
                })
        })
        .collect();
    let lag_seconds: Vec<f64> = slots
        .iter()
        .map(|(_, activity)| {
            activity
                .and_then(|activity| activity.mean_lag_ms)
                .map_or(0.0, |lag| lag as f64 / 1000.0)
        })
        .collect();
    let hours: Vec<DateTime<Utc>> = slots.iter().map(|(hour, _)| *hour).collect();
    vec![
        chart("events received per hour", &hours, &received, "", |value| {
            format!("{value:.0} events")
        }),
        chart(
            "failed or held for review",
            &hours,
            &failed_share,
            "%",
            |value| format!("{value:.1} % failed or held"),
        ),
        chart(
            "mean lag, arrival to done",
            &hours,
            &lag_seconds,
            " s",
            |value| format!("{value:.2} s from arrival to done"),
        ),
    ]
}

fn chart(
    title: &str,
    hours: &[DateTime<Utc>],
    values: &[f64],
    unit: &str,
    describe: impl Fn(f64) -> String,
) -> Chart {
    let top = values.iter().copied().fold(0.0_f64, f64::max);
    let scale = match top > 0.0 {
        true => (HEIGHT - AXIS) / top,
        false => 0.0,
    };
    let slot = WIDTH / values.len().max(1) as f64;
    let bars = hours
        .iter()
        .zip(values)
        .enumerate()
        .map(|(index, (hour, value))| {
            let height = value * scale;
            Bar {
                x: format!("{:.1}", index as f64 * slot + 1.0),
                y: format!("{:.1}", HEIGHT - AXIS - height),
                width: format!("{:.1}", (slot - 2.0).max(1.0)),
                height: format!("{height:.1}"),
                title: format!("{} UTC: {}", hour.format("%H:00"), describe(*value)),
            }
        })
        .collect();
    Chart {
        title: title.to_owned(),
        top: match unit {
            "" => format!("{top:.0}"),
            unit => format!("{top:.1}{unit}"),
        },
        first_hour: hours
            .first()
            .map(|hour| hour.format("%H:00").to_string())
            .unwrap_or_default(),
        last_hour: hours
            .last()
            .map(|hour| hour.format("%H:00").to_string())
            .unwrap_or_default(),
        bars,
        width: WIDTH,
        height: HEIGHT,
        baseline: HEIGHT - AXIS,
    }
}
