//! The system's own state: uptime, users, memory, chassis inventory, routing engine.

use super::X;
use crate::commands::{fmt_dur, now_str, unix_now, uptime, Pieces};
use crate::spec::DeviceSpec;
use crate::state::DeviceState;

pub(super) fn system_uptime(state: &DeviceState) -> Pieces {
    let up = uptime(state);
    let now = unix_now();
    let booted = now.saturating_sub(up);
    let mut x = X::with_ns("system-uptime-information", "junos", None);
    x.open("current-time")
        .leaf_attr("date-time", "junos:seconds", now, now_str())
        .close("current-time")
        .leaf("time-source", " LOCAL CLOCK ")
        .open("system-booted-time")
        .leaf_attr(
            "date-time",
            "junos:seconds",
            booted,
            "2026-11-18 18:33:12 UTC",
        )
        .leaf_attr("time-length", "junos:seconds", up, fmt_dur(up))
        .close("system-booted-time")
        .open("protocols-started-time")
        .leaf_attr(
            "date-time",
            "junos:seconds",
            booted + 148,
            "2026-11-18 18:35:40 UTC",
        )
        .leaf_attr(
            "time-length",
            "junos:seconds",
            up.saturating_sub(148),
            fmt_dur(up.saturating_sub(148)),
        )
        .close("protocols-started-time");
    let last = state
        .commits
        .last()
        .map_or("root".to_string(), |c| c.user.clone());
    x.open("last-configured-time")
        .leaf_attr(
            "date-time",
            "junos:seconds",
            booted + 410,
            "2026-11-18 18:40:02 UTC",
        )
        .leaf_attr(
            "time-length",
            "junos:seconds",
            up.saturating_sub(410),
            fmt_dur(up.saturating_sub(410)),
        )
        .leaf("user", last)
        .close("last-configured-time");
    uptime_information(&mut x, state, up, false);
    x.done("system-uptime-information")
}

fn uptime_information(x: &mut X, state: &DeviceState, up: u64, users: bool) {
    let n = state.sessions.len();
    x.open("uptime-information")
        .leaf_attr("date-time", "junos:seconds", unix_now(), "10:37PM")
        .leaf_attr("up-time", "junos:seconds", up, fmt_dur(up))
        .leaf_attr("active-user-count", "junos:format", format!("{n} users"), n)
        .leaf("load-average-1", "0.21")
        .leaf("load-average-5", "0.18")
        .leaf("load-average-15", "0.16");
    x.open("user-table");
    if users {
        for (id, (user, client, _)) in &state.sessions {
            x.open("user-entry")
                .leaf("user", user)
                .leaf("tty", format!("pts/{id}"))
                .leaf("from", "127.0.0.1")
                .leaf_attr("login-time", "junos:seconds", unix_now(), "10:37PM")
                .leaf_attr("idle-time", "junos:seconds", 0, "-")
                .leaf("command", client)
                .close("user-entry");
        }
    }
    x.close("user-table").close("uptime-information");
}

pub(super) fn system_users(state: &DeviceState) -> Pieces {
    let mut x = X::with_ns("system-users-information", "junos", None);
    uptime_information(&mut x, state, uptime(state), true);
    x.done("system-users-information")
}

pub(super) fn system_memory() -> Pieces {
    let mut x = X::with_ns("system-memory-information", "junos-routing", None);
    x.open("system-memory-summary-information")
        .leaf("system-memory-total", "4057576")
        .leaf("system-memory-total-percent", "100%")
        .leaf("system-memory-reserved", "0")
        .leaf("system-memory-wired", "1112084")
        .leaf("system-memory-active", "1392740")
        .leaf("system-memory-inactive", "410584")
        .leaf("system-memory-cache", "0")
        .leaf("system-memory-free", "1142168")
        .leaf("system-memory-free-percent", "28%")
        .close("system-memory-summary-information");
    x.done("system-memory-information")
}

pub(super) fn chassis_inventory(spec: &DeviceSpec) -> Pieces {
    let mut x = X::with_ns("chassis-inventory", "junos-chassis", None);
    x.open_style("chassis", "inventory")
        .leaf("name", "Chassis")
        .leaf("serial-number", &spec.serial)
        .leaf("description", "VMX");
    let module = |x: &mut X, name: &str, version: &str, part: &str, serial: &str, desc: &str| {
        x.leaf("name", name)
            .leaf("version", version)
            .leaf("part-number", part)
            .leaf("serial-number", serial)
            .leaf("description", desc);
    };
    x.open("chassis-module")
        .leaf("name", "Midplane")
        .close("chassis-module");
    x.open("chassis-module");
    module(&mut x, "Routing Engine 0", "", "", "", "RE-VMX");
    x.close("chassis-module");
    x.open("chassis-module");
    module(&mut x, "CB 0", "", "", "", "VMX SCB");
    x.close("chassis-module");
    x.open("chassis-module");
    module(&mut x, "FPC 0", "", "BUILTIN", "BUILTIN", "Virtual FPC");
    x.leaf("model-number", "VMX-FPC").leaf("clei-code", "");
    x.open("chassis-sub-module");
    module(&mut x, "CPU", "Rev. 1.0", "RIOT-LITE", "BUILTIN", "");
    x.close("chassis-sub-module");
    x.open("chassis-sub-module");
    module(&mut x, "MIC 0", "", "", "", "Virtual");
    for pic in 0..1 {
        x.open("chassis-sub-sub-module");
        module(
            &mut x,
            &format!("PIC {pic}"),
            "",
            "BUILTIN",
            "BUILTIN",
            "Virtual",
        );
        x.close("chassis-sub-sub-module");
    }
    x.close("chassis-sub-module").close("chassis-module");
    x.close("chassis");
    x.done("chassis-inventory")
}

pub(super) fn route_engine(spec: &DeviceSpec, state: &DeviceState) -> Pieces {
    let up = uptime(state);
    let mut x = X::with_ns("route-engine-information", "junos-chassis", None);
    x.open("route-engine")
        .leaf("slot", 0)
        .leaf("mastership-state", "master")
        .leaf("mastership-priority", "master (default)")
        .leaf("status", "OK")
        .leaf_attr(
            "temperature",
            "junos:celsius",
            34,
            "34 degrees C / 93 degrees F",
        )
        .leaf_attr(
            "cpu-temperature",
            "junos:celsius",
            34,
            "34 degrees C / 93 degrees F",
        )
        .leaf("memory-dram-size", "3968 MB")
        .leaf("memory-installed-size", "(4096 MB installed)")
        // A vMX's routing engine reports DRAM size and buffer utilization; the
        // `memory-system-total` / control plane / data plane split is the SRX's (and
        // NAPALM reads one or the other, never both).
        .leaf("memory-buffer-utilization", 31);
    for (suffix, values) in [
        ("", [2, 1, 0, 1, 96]),
        ("1", [3, 1, 0, 1, 95]),
        ("2", [2, 1, 0, 1, 96]),
        ("3", [2, 1, 0, 1, 96]),
    ] {
        for (name, v) in [
            "cpu-user",
            "cpu-background",
            "cpu-system",
            "cpu-interrupt",
            "cpu-idle",
        ]
        .iter()
        .zip(values)
        {
            x.leaf(&format!("{name}{suffix}"), v);
        }
    }
    x.leaf("model", "RE-VMX")
        .leaf("serial-number", &spec.serial)
        .leaf_attr(
            "start-time",
            "junos:seconds",
            unix_now().saturating_sub(up),
            "2026-11-18 18:33:12 UTC",
        )
        .leaf_attr("up-time", "junos:seconds", up, fmt_dur(up))
        .leaf(
            "last-reboot-reason",
            "Router rebooted after a normal shutdown.",
        )
        .leaf("load-average-one", "0.21")
        .leaf("load-average-five", "0.18")
        .leaf("load-average-fifteen", "0.16")
        .close("route-engine");
    x.done("route-engine-information")
}
