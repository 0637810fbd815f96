//! What a test watches of the listings by date window (`GET /shipments?createDateStart=…`, or
//! `voidDate…`: what a poll or a backfill asks): when each arrived and when it was answered, and
//! a latency added to them alone, so that two pollers listing at once overlap where a test sees
//! it. A listing cut short (its client gone) counts as answered when it was dropped.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::listing::Params;

/// The date windows a shipments listing can filter on.
const WINDOW_FILTERS: [&str; 2] = ["createDate", "voidDate"];

/// One listing by date window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowListing {
    /// `createDate` or `voidDate`.
    pub filter: &'static str,
    pub arrived: Instant,
    pub answered: Instant,
}

/// The window listings served so far, and the latency added to each.
#[derive(Debug, Default)]
pub(super) struct WindowListings {
    latency: Mutex<Duration>,
    served: Mutex<Vec<WindowListing>>,
}

impl WindowListings {
    /// The date window `params` filter on, if any.
    pub fn filter(params: &Params) -> Option<&'static str> {
        WINDOW_FILTERS.into_iter().find(|filter| {
            params.get(&format!("{filter}Start")).is_some()
                || params.get(&format!("{filter}End")).is_some()
        })
    }

    /// A listing by `filter` arrived: waits out the latency; the listing is recorded when the
    /// returned guard drops.
    pub async fn arrived(&self, filter: &'static str) -> Serving<'_> {
        let serving = Serving {
            listings: self,
            filter,
            arrived: Instant::now(),
        };
        let latency = *self.latency.lock().expect("latency lock");
        tokio::time::sleep(latency).await;
        serving
    }

    pub fn set_latency(&self, latency: Duration) {
        *self.latency.lock().expect("latency lock") = latency;
    }

    /// Every listing served, in the order they were answered.
    pub fn served(&self) -> Vec<WindowListing> {
        self.served.lock().expect("listings lock").clone()
    }
}

/// A window listing being served; recorded as answered when dropped.
pub(super) struct Serving<'a> {
    listings: &'a WindowListings,
    filter: &'static str,
    arrived: Instant,
}

impl Drop for Serving<'_> {
    fn drop(&mut self) {
        let listing = WindowListing {
            filter: self.filter,
            arrived: self.arrived,
            answered: Instant::now(),
        };
        self.listings
            .served
            .lock()
            .expect("listings lock")
            .push(listing);
    }
}
