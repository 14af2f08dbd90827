//! Times as Junos writes them: uptimes, ages and the reply timestamp.

use std::time::SystemTime;

use crate::state::DeviceState;

/// Seconds the device has been up.
pub fn uptime(state: &DeviceState) -> u64 {
    SystemTime::now()
        .duration_since(state.booted)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

pub(crate) use crate::clock::unix_now;

/// Now, as Junos writes times in replies.
pub(crate) fn now_str() -> String {
    crate::clock::junos_time(unix_now())
}

pub(crate) fn fmt_dur(secs: u64) -> String {
    let d = secs / 86_400;
    let h = (secs / 3600) % 24;
    let m = (secs / 60) % 60;
    format!("{d} days, {h}:{m:02}")
}

pub(crate) fn fmt_age(secs: u64) -> String {
    let w = secs / 604_800;
    let d = (secs / 86_400) % 7;
    let h = (secs / 3600) % 24;
    let m = (secs / 60) % 60;
    let s = secs % 60;
    if w > 0 {
        format!("{w}w{d}d {h:02}:{m:02}:{s:02}")
    } else if d > 0 {
        format!("{d}d {h:02}:{m:02}:{s:02}")
    } else {
        format!("{h:02}:{m:02}:{s:02}")
    }
}
