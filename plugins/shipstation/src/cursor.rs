//! The poll cursor: one watermark per stream (shipments by create date, voids by void date), in
//! UTC, and the window being read when a poll stopped between pages.
//!
//! ```json
//! {"shipments": {"read_to": "2024-11-20T18:00:00Z"},
//!  "voids": {"read_to": "2024-11-20T14:00:00Z",
//!            "pending": {"start": "…", "end": "2024-11-20T18:00:00Z", "page": 3}}}
//! ```
//!
//! `read_to` means every record up to that instant has been read. A poll's window for a stream runs
//! from `read_to` less the overlap (`poll_overlap_minutes`: records ShipStation lists late, and the
//! filters' whole-second and wall-clock rounding) to the poll's `now`. Only when its last page has
//! been read does `read_to` move to the window's end; a poll that stops earlier keeps the window
//! and the next page in `pending`, and the next poll resumes there. Without a cursor both streams
//! start `poll_lookback_hours` before now.

use ml_connector_sdk::PluginError;
use ml_connector_sdk::chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    pub shipments: Stream,
    pub voids: Stream,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stream {
    /// Every record up to here has been read.
    pub read_to: DateTime<Utc>,
    /// The window being read, when a poll stopped between its pages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<Window>,
}

/// A time window of one stream, and the page to read next (from 1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub page: u64,
}

impl Cursor {
    /// The stored cursor, or the start point `lookback` before `now`.
    pub fn parse(
        text: Option<&str>,
        now: DateTime<Utc>,
        lookback: TimeDelta,
    ) -> Result<Self, PluginError> {
        match text {
            Some(text) => serde_json::from_str(text).map_err(|error| {
                PluginError::rejected(format!(
                    "the poll cursor `{text}` is not this connector's: {error}"
                ))
            }),
            None => {
                let stream = Stream {
                    read_to: now - lookback,
                    pending: None,
                };
                Ok(Self {
                    shipments: stream.clone(),
                    voids: stream,
                })
            }
        }
    }

    pub fn text(&self) -> String {
        serde_json::to_string(self).expect("a cursor serialises")
    }
}

impl Stream {
    /// The window to read: the pending one, else from `read_to − overlap` to `now`.
    pub fn window(&self, now: DateTime<Utc>, overlap: TimeDelta) -> Window {
        self.pending.clone().unwrap_or_else(|| Window {
            start: (self.read_to - overlap).min(now),
            end: now,
            page: 1,
        })
    }

    /// Its last page read: the stream has read up to its end.
    pub fn finish(&mut self, window: &Window) {
        self.read_to = self.read_to.max(window.end);
        self.pending = None;
    }

    /// Stopped before `window.page`: the next poll resumes there.
    pub fn pause(&mut self, window: Window) {
        self.pending = Some(window);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn the_first_poll_looks_back_and_windows_overlap() {
        let now = at("2024-11-20T18:00:00Z");
        let mut cursor = Cursor::parse(None, now, TimeDelta::hours(24)).unwrap();
        assert_eq!(cursor.shipments.read_to, at("2024-11-19T18:00:00Z"));
        let window = cursor.shipments.window(now, TimeDelta::minutes(60));
        assert_eq!(
            window,
            Window {
                start: at("2024-11-19T17:00:00Z"),
                end: now,
                page: 1
            }
        );
        cursor.shipments.finish(&window);
        assert_eq!(
            cursor.text(),
            r#"{"shipments":{"read_to":"2024-11-20T18:00:00Z"},"voids":{"read_to":"2024-11-19T18:00:00Z"}}"#
        );
        let later = at("2024-11-20T22:00:00Z");
        let next = cursor.shipments.window(later, TimeDelta::minutes(60));
        assert_eq!((next.start, next.end), (at("2024-11-20T17:00:00Z"), later));
    }

    #[test]
    fn a_paused_window_resumes_at_its_page() {
        let now = at("2024-11-20T18:00:00Z");
        let mut cursor = Cursor::parse(None, now, TimeDelta::hours(1)).unwrap();
        let mut window = cursor.voids.window(now, TimeDelta::zero());
        window.page = 3;
        cursor.voids.pause(window.clone());
        let text = cursor.text();
        assert!(text.contains(r#""pending":{"start":"2024-11-20T17:00:00Z","end":"2024-11-20T18:00:00Z","page":3}"#), "{text}");
        let resumed =
            Cursor::parse(Some(&text), at("2024-11-20T19:00:00Z"), TimeDelta::hours(1)).unwrap();
        assert_eq!(
            resumed
                .voids
                .window(at("2024-11-20T19:00:00Z"), TimeDelta::hours(1)),
            window,
            "the pending window, not a new one"
        );
        assert_eq!(
            resumed.voids.read_to,
            at("2024-11-20T17:00:00Z"),
            "not moved yet"
        );
        assert!(Cursor::parse(Some("2024-11-20"), now, TimeDelta::hours(1)).is_err());
    }

    #[test]
    fn a_clock_behind_the_cursor_never_gives_an_inverted_window() {
        let mut cursor =
            Cursor::parse(None, at("2024-11-20T18:00:00Z"), TimeDelta::zero()).unwrap();
        let window = cursor
            .shipments
            .window(at("2024-11-20T17:00:00Z"), TimeDelta::zero());
        assert!(window.start <= window.end);
        cursor.shipments.finish(&window);
        assert_eq!(
            cursor.shipments.read_to,
            at("2024-11-20T18:00:00Z"),
            "never moves back"
        );
    }
}
