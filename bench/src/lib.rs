//! netpool-bench: pooled against per-call sessions, every mode measured the same way, side
//! by side in one run, with percentiles, connections counted on the devices themselves,
//! an event-loop probe, and the limit the device's own service time allows.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod charts;
pub mod drive;
pub mod gate;
pub mod html;
pub mod lab;
mod limit;
mod peers;
mod plan;
pub mod report;
pub mod runner;
pub mod scale;
pub mod workload;

pub use runner::{run, BenchOptions, Mode, ModeResult, Target, Transport};
pub use workload::{Op, Workload};
