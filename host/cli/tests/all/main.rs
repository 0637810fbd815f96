//! The `mlc` binary's tests, one test binary, one module per area: each runs `mlc` as a person
//! or a script would (`CARGO_BIN_EXE_mlc`), beside the library's own calls where a test needs
//! both. [`process`] runs `mlc` as a child process; the rest they share with the host's tests
//! comes from the `support` crate.

mod backfill;
mod cli;
mod dry_run;
mod flow_process;
mod guide;
mod mapping_languages;
mod playground;
mod plugin_build;
mod plugin_upgrade;
mod process;
mod scale_out;
mod scale_out_polling;
mod shipstation_intacct_flow;
