//! One operation of a run, and the gate that keeps a dead device from holding the run
//! hostage: every mode fails fast against a device found down, until the pool's breaker
//! cooldown has passed.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use indicatif::ProgressBar;
use netpool::{Device, Pool};

use crate::plan::{Target, Transport};

/// Why one operation failed: the pool's error (classified), or a check of the output.
pub(crate) enum OpError {
    Pool(netpool::Error),
    Check(String),
}

impl std::fmt::Display for OpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpError::Pool(e) => e.fmt(f),
            OpError::Check(s) => f.write_str(s),
        }
    }
}

pub(crate) async fn one_op(
    pool: &Pool,
    device: &Device,
    transport: Transport,
    command: &str,
) -> Result<(), OpError> {
    match transport {
        Transport::Netconf => {
            let mut nc = pool.netconf(device).await.map_err(OpError::Pool)?;
            let out = nc.command(command).await.map_err(OpError::Pool)?;
            if out.trim().is_empty() {
                return Err(OpError::Check(format!(
                    "{device}: empty output for {command:?}"
                )));
            }
        }
        Transport::Cli => {
            let out = pool.cli(device, command).await.map_err(OpError::Pool)?;
            if !out.success() || out.stdout.trim().is_empty() {
                return Err(OpError::Check(format!(
                    "{device}: {command:?} failed: {}",
                    out.stderr.trim()
                )));
            }
        }
    }
    Ok(())
}

/// Devices found down during a run. Every mode fails fast against a device that could
/// not be reached or logged into, until the pool's breaker cooldown has passed; then one
/// operation probes it again. A hung device so costs one connect timeout per cooldown
/// over the whole run, not one per operation and mode.
pub struct Gate {
    down: std::sync::Mutex<BTreeMap<usize, (Instant, String)>>,
    cooldown: Duration,
}

impl Gate {
    /// A gate whose devices stay down for `cooldown` after a failure.
    pub fn new(cooldown: Duration) -> Self {
        Self {
            down: std::sync::Mutex::default(),
            cooldown,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<usize, (Instant, String)>> {
        self.down
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// `Err` (at once) while target `i` is down and its cooldown runs.
    pub(crate) fn admit(&self, i: usize, name: &str) -> Result<(), OpError> {
        match self.lock().get(&i) {
            Some((since, why)) if since.elapsed() < self.cooldown => Err(OpError::Check(format!(
                "{name}: skipped, down since {:.1} s: {why}",
                since.elapsed().as_secs_f64()
            ))),
            _ => Ok(()),
        }
    }

    /// Record an operation's outcome; returns the message to show when a device has just
    /// been found down.
    pub(crate) fn record(&self, i: usize, name: &str, r: &Result<(), OpError>) -> Option<String> {
        match r {
            Ok(()) => {
                self.lock().remove(&i);
                None
            }
            Err(OpError::Pool(e)) if e.is_device_down() => {
                let mut down = self.lock();
                let fresh = down
                    .get(&i)
                    .is_none_or(|(t, _)| t.elapsed() >= self.cooldown);
                if fresh {
                    down.insert(i, (Instant::now(), e.to_string()));
                    Some(format!(
                        "{name} is down: {e}; its operations fail fast for {:?}",
                        self.cooldown
                    ))
                } else {
                    None
                }
            }
            Err(_) => None,
        }
    }

    /// The devices down now, by target index, with the first error.
    pub fn down(&self) -> Vec<(usize, String)> {
        self.lock()
            .iter()
            .map(|(i, (_, why))| (*i, why.clone()))
            .collect()
    }
}

/// One gated operation: skipped at once if its device is down, its outcome recorded.
pub(crate) async fn gated_op(
    gate: &Gate,
    pool: &Pool,
    targets: &[Target],
    i: usize,
    transport: Transport,
    command: &str,
    bar: &ProgressBar,
) -> Result<(), OpError> {
    let t = &targets[i];
    gate.admit(i, &t.name)?;
    let r = one_op(pool, &t.device, transport, command).await;
    if let Some(msg) = gate.record(i, &t.name, &r) {
        say(bar, msg);
    }
    r
}

/// A progress line: above the bar on a terminal, on stderr otherwise (a hidden bar
/// prints nothing, and a log reader needs these lines most).
pub(crate) fn say(bar: &ProgressBar, msg: String) {
    if bar.is_hidden() {
        eprintln!("{msg}");
    } else {
        bar.println(msg);
    }
}
