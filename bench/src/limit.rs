//! The model's lower bound on a pass: what the devices' own setup and service times allow,
//! so a report can say how close each mode came.

use junos_sim::commands::CommandLine;
use junos_sim::Timing;

use crate::plan::{Mode, Transport};
use crate::workload::Workload;

/// The model's lower bound on one pass: what the device's own setup and service times
/// allow, with loopback round trips taken as zero.
///
/// With a network round trip `rtt`: a pooled operation costs one round trip more; a
/// per-call operation about six (TCP handshake, key exchange, authentication, channel open,
/// hello, then the RPC; a lower bound, since the key exchange alone can take two).
pub(crate) fn limit(
    mode: Mode,
    transport: Transport,
    timing: &Timing,
    targets: usize,
    w: &Workload,
    rtt: f64,
) -> f64 {
    let service = |cmd: &str| {
        let show = CommandLine::parse(cmd).ok().map(|c| c.show);
        timing.service_time(show.as_ref()).as_secs_f64()
    };
    let per_op_extra = rtt
        + match transport {
            Transport::Netconf => 0.0,
            Transport::Cli => timing.exec_spawn.as_secs_f64(),
        };
    let setup = 5.0 * rtt
        + timing.auth_delay.as_secs_f64()
        + match transport {
            Transport::Netconf => timing.session_spawn.as_secs_f64(),
            Transport::Cli => 0.0,
        };
    // Per device: the routing engine's service times (queued on its concurrency), and the
    // per-operation extras that run in parallel (round trip, exec process spawn).
    let per_device: Vec<Vec<f64>> = (0..targets)
        .map(|t| {
            w.ops
                .iter()
                .filter(|o| o.target == t)
                .map(|o| service(&o.command))
                .collect()
        })
        .collect();
    let c = timing.concurrency.max(1) as f64;
    match mode {
        Mode::PerCall => w
            .ops
            .iter()
            .map(|o| setup + service(&o.command) + per_op_extra)
            .sum(),
        Mode::PooledSeq => w
            .ops
            .iter()
            .map(|o| service(&o.command) + per_op_extra)
            .sum(),
        Mode::OnePerDevice => per_device
            .iter()
            .map(|v| v.iter().map(|s| s + per_op_extra).sum::<f64>())
            .fold(0.0, f64::max),
        Mode::PooledPar | Mode::OpensshMux | Mode::RustnetconfPool => per_device
            .iter()
            .map(|v| {
                per_op_extra
                    + v.iter()
                        .cloned()
                        .fold(0.0, f64::max)
                        .max(v.iter().sum::<f64>() / c)
            })
            .fold(0.0, f64::max),
    }
}
