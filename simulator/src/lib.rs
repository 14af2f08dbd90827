//! junos-sim: a fleet of simulated Junos routers that real clients accept.
//!
//! Each [`Device`] is a russh SSH server with password and public-key authentication.
//! An exec channel runs one CLI command; the `netconf` subsystem (or exec
//! `xml-mode netconf need-trailer`) speaks NETCONF as Junos does; a PTY shell gives the
//! interactive CLI. State (configuration, locks, commit history, a synthetic route table)
//! is deterministic from a seed. A [`Fleet`] runs many devices in one process.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use junos_sim::{Fleet, FleetConfig};
//! let fleet = Fleet::start(FleetConfig { routers: 5, ..Default::default() }).await?;
//! for d in fleet.devices() {
//!     println!("{} at {} (user lab, password lab123)", d.hostname(), d.addr());
//! }
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod commands;
pub mod config;
mod counters;
pub mod device;
mod fleet;
mod netconf_server;
pub mod profile;
mod server;
mod shell;
mod stream;

pub use counters::CounterSnapshot;
pub use fleet::{
    Addressing, Device, DeviceConfig, Fleet, FleetConfig, User, DEFAULT_PASSWORD, DEFAULT_USER,
};
pub use netconf_server::junos_capabilities;
pub use profile::Timing;
