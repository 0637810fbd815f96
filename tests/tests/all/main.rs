//! The simulators driven over real HTTP, one test binary, one module per simulator (and one for the
//! playground that drives all three).

mod intacct_sim;
mod playground;
mod shipstation_sim;
mod shopify_sim;
