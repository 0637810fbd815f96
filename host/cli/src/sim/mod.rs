//! `mlc sim`: the playground, simulators of a shop, a ShipStation account and an Intacct company
//! to try flows on by hand. `mlc sim start` ([`start`]) runs them with an `mlc.toml` for them;
//! the other commands ([`Playground`]) make things happen in them through their control surface
//! (the routes of `simulators::playground`) and show the Intacct company's books ([`ledger`]).

mod control;
mod ledger;
mod start;

pub use control::{Dimension, Playground};
pub use start::start;
