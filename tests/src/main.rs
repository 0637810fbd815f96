//! Runs the simulators standalone until interrupted.
fn main() {}
