//! The host library's integration tests, one test binary (it links wasmtime once), one module per
//! area. What they share (the built plugins, the test ledger, flow configs, plugin variants) is the
//! `support` crate at `host/tests/support`, which the CLI's tests use too.

mod admin_input;
mod browser;
mod capabilities;
mod console;
mod flow;
mod host_errors;
mod intacct_connector;
mod intacct_signin;
mod ledger_sink;
mod outbound_http;
mod plugin_names;
mod recorded_history;
mod sandbox;
mod scale_out_inbox;
mod scale_out_store;
mod shared_storage;
mod shipstation_connector;
mod shopify_connector;
mod shopify_intacct_flow;
mod slow_clients;
mod two_hosts;
mod wit_versions;
