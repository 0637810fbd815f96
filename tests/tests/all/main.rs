//! The simulators driven over real HTTP, one test binary, one module per simulator.

mod intacct_sim;
mod shipstation_sim;
mod shopify_sim;
