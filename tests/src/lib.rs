//! Simulators of the Shopify, ShipStation and Sage Intacct APIs: real HTTP on 127.0.0.1, the real wire
//! formats and failure modes, a clock tests move forward, and faults switched on at run time. Tests
//! start them in-process on free ports; the `simulators` binary runs them standalone.

pub mod clock;
pub mod faults;
pub mod intacct;
pub mod json_decimal;
pub mod playground;
pub mod rate_window;
pub mod secret_files;
pub mod server;
pub mod shipstation;
pub mod shipstation_intacct;
pub mod shopify;
pub mod shopify_intacct;
pub mod uuid;
pub mod webhook_receiver;
pub mod webhook_sender;
