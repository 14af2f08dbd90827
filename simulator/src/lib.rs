//! junos-sim: a fleet of simulated Junos routers that real clients accept.
//!
//! Each [`Router`] is a russh SSH server with password and public-key authentication.
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

mod channel;
mod cli;
pub mod clock;
pub mod commands;
mod counters;
mod ctx;
mod engine;
mod faults;
mod fleet;
pub mod junos_config;
mod netconf;
pub mod profile;
mod router;
pub mod schema;
mod shell;
pub mod spec;
mod ssh;
pub mod sshd;
pub mod state;
mod sync;
pub mod terminal;

pub use counters::CounterSnapshot;
pub use fleet::{Addressing, Fleet, FleetConfig};
pub use netconf::junos_capabilities;
pub use profile::Timing;
pub use router::{
    host_key_fingerprint_of, DeviceConfig, Router, User, DEFAULT_PASSWORD, DEFAULT_USER,
};
pub use terminal::{Key, LineEditor};
