//! The router's own machinery, each command's XML and text in one place: the packet
//! forwarding engine's traffic statistics, the periodic packet manager's adjacencies,
//! the routing daemon's task memory and the DDoS protection summary.
//!
//! The figures are deterministic per router and grow with its uptime where Junos's
//! counters do. The element names are the ones Junos replies carry (PyEZ's
//! `PFEStatsTrafficTable`, `PPMTable`, `TaskMemoryTable` and `DDOSTable` read them).

use std::fmt::Write as _;

use super::igp::links_running;
use super::xml::X;
use super::{one, uptime, Pieces};
use crate::spec::{mix, DeviceSpec};
use crate::state::DeviceState;

/// `get-pfe-statistics` / `show pfe statistics traffic`.
pub(crate) fn pfe_statistics(spec: &DeviceSpec, state: &DeviceState, xml: bool) -> Pieces {
    let up = uptime(state) + 1;
    let (input, output) = spec
        .ports()
        .iter()
        .fold((0, 0), |(i, o), p| (i + p.packets.0, o + p.packets.1));
    let local_in = up * 9 + mix(spec.seed) % 1000;
    let local_out = up * 8 + mix(spec.seed ^ 1) % 1000;
    let links = spec.interfaces().iter().filter(|i| i.up).count() as u64;
    let protocol = [
        ("hdlc-keepalive-count", 0),
        ("atm-oam-count", 0),
        ("fr-lmi-count", 0),
        ("ppp-lcp-ncp-count", 0),
        ("ospf-hello-count", links * (up / 10 + 1)),
        ("ospf3-hello-count", 0),
        ("rsvp-hello-count", 0),
        ("ldp-hello-count", 0),
        ("bfd-count", links * up * 3),
        ("isis-iih-count", 0),
        ("lacp-count", 0),
        ("arp-count", links * (up / 60 + 1)),
        ("ether-oam-count", 0),
        ("unknown-count", 0),
    ];
    if !xml {
        let mut s = format!(
            "Packet Forwarding Engine traffic statistics:\n    Input  packets:          {input:>12}                    0 pps\n    Output packets:          {output:>12}                    0 pps\nPacket Forwarding Engine local traffic statistics:\n    Local packets input                 :  {local_in:>10}\n    Local packets output                :  {local_out:>10}\nPacket Forwarding Engine local protocol statistics:\n"
        );
        for (name, n) in protocol {
            let label = name.trim_end_matches("-count").replace('-', " ");
            let _ = writeln!(s, "    {label:<36}:  {n:>10}");
        }
        return one(s);
    }
    let mut x = X::with_ns("pfe-statistics", "junos-pfe", None);
    x.open("pfe-traffic-statistics")
        .leaf("pfe-input-packets", input)
        .leaf("input-pps", 0)
        .leaf("pfe-output-packets", output)
        .leaf("output-pps", 0)
        .leaf("pfe-fabric-input", 0)
        .leaf("pfe-fabric-input-pps", 0)
        .leaf("pfe-fabric-output", 0)
        .leaf("pfe-fabric-output-pps", 0)
        .close("pfe-traffic-statistics");
    x.open("pfe-local-traffic-statistics")
        .leaf("pfe-input-packets", local_in)
        .leaf("pfe-output-packets", local_out)
        .leaf("software-input-control-drops", 0)
        .leaf("software-input-high-drops", 0)
        .leaf("software-input-medium-drops", 0)
        .leaf("software-input-low-drops", 0)
        .leaf("software-output-drops", 0)
        .leaf("hardware-input-drops", 0)
        .close("pfe-local-traffic-statistics");
    x.open("pfe-local-protocol-statistics");
    for (name, n) in protocol {
        x.leaf(name, n);
    }
    x.close("pfe-local-protocol-statistics");
    x.open("pfe-hardware-discard-statistics");
    for name in [
        "timeout-discard",
        "truncated-key-discard",
        "bits-to-test-discard",
        "data-error-discard",
        "stack-underflow-discard",
        "stack-overflow-discard",
        "normal-discard",
        "extended-discard",
        "invalid-iif-discard",
        "info-cell-discard",
        "fabric-discard",
    ] {
        x.leaf(name, 0);
    }
    x.close("pfe-hardware-discard-statistics");
    x.done("pfe-statistics")
}

/// `get-ppm-adjacencies` / `show ppm adjacencies [detail]`: the hello adjacencies the
/// periodic packet manager runs in the line card: OSPF on each up link, BFD on each, and
/// IS-IS where it runs.
pub(crate) fn ppm_adjacencies(
    spec: &DeviceSpec,
    state: &DeviceState,
    detail: bool,
    xml: bool,
) -> Pieces {
    let index = |name: &str| super::igp::unit_index(spec, name);
    let up: Vec<_> = spec.interfaces().into_iter().filter(|i| i.up).collect();
    let isis = links_running(spec, &state.running, "isis");
    let rows: Vec<(&str, u32, u32, &crate::spec::Interface)> = up
        .iter()
        .map(|i| ("OSPF", 40_000, index(&i.name), i))
        .chain(up.iter().map(|i| ("BFD", 900, index(&i.name), i)))
        .chain(isis.iter().map(|i| ("ISIS", 27_000, index(&i.name), i)))
        .collect();
    if !xml {
        let mut s = String::from("Protocol   Hold time (msec)\n");
        for (protocol, hold, ifindex, i) in &rows {
            let _ = writeln!(s, "{protocol:<11}{hold}");
            if detail {
                let _ = writeln!(
                    s,
                    "  Interface index: {ifindex}, Distributed: Yes\n  Source: {}",
                    i.address
                );
            }
        }
        let _ = writeln!(
            s,
            "\nAdjacencies: {}, Remote adjacencies: {}",
            rows.len(),
            rows.len()
        );
        return one(s);
    }
    let style = detail.then_some("detail");
    let mut x = X::with_ns("ppm-adjacency-information", "junos-ppmd", style);
    for (protocol, hold, ifindex, i) in &rows {
        x.open("adjacency-data")
            .leaf("protocol", protocol)
            .leaf("adjacency-holdtime", hold);
        if detail {
            x.leaf("adjacency-interface-index", ifindex)
                .leaf("adjacency-distributed", "Yes");
            if *protocol == "OSPF" {
                x.leaf("adjacency-ospf-src-key", i.address)
                    .leaf("adjacency-ospf-area-id", "0.0.0.0");
            }
        }
        x.close("adjacency-data");
    }
    x.open("adjacency-summary")
        .leaf("adjacency-total-count", rows.len())
        .leaf("adjacency-remote-count", rows.len())
        .close("adjacency-summary");
    x.done("ppm-adjacency-information")
}

/// `get-task-memory-information` / `show task memory [detail]`: the routing daemon's
/// memory, overall and (with `detail`) by allocation size block.
pub(crate) fn task_memory(spec: &DeviceSpec, detail: bool, xml: bool) -> Pieces {
    let routes = u64::from(spec.route_count);
    let blocks: Vec<(u64, u64, u64)> = [16u64, 20, 24, 28, 32, 48, 64, 96, 128, 192, 256, 512]
        .iter()
        .enumerate()
        .map(|(k, &size)| {
            let allocs = routes / (k as u64 + 1) + 100 + mix(spec.seed ^ size) % 200;
            (size, allocs, allocs + allocs / 8)
        })
        .collect();
    let in_use: u64 = blocks.iter().map(|(size, allocs, _)| size * allocs).sum();
    let total = 3_200_000 + in_use / 1024;
    if !xml {
        let mut s = format!(
            "Memory                 Size (kB)  Percentage  When\n  Currently In Use:        {:>8}          3%  now\n  Maximum Ever Used:       {:>8}          3%  {}\n  Available:               {:>8}        100%  now\n",
            in_use / 1024,
            in_use / 1024 + 512,
            super::now_str(),
            total
        );
        if detail {
            s.push_str(
                "\n    Size   TSB name         Bytes    Allocs   MaxAllocs   MaxBytes  FreeBytes\n",
            );
            for (size, allocs, max) in &blocks {
                let _ = writeln!(
                    s,
                    "{size:>8}   size-{size:<10}{:>10}{allocs:>10}{max:>12}{:>11}{:>11}",
                    size * allocs,
                    size * max,
                    size * (max - allocs)
                );
            }
        }
        return one(s);
    }
    let style = detail.then_some("detail");
    let mut x = X::with_ns("task-memory-information", "junos-routing", style);
    x.leaf("task-memory-in-use-size", in_use / 1024)
        .leaf("task-memory-in-use-avail", 3)
        .leaf("task-memory-max-size", in_use / 1024 + 512)
        .leaf("task-memory-max-avail", 3)
        .leaf("task-memory-max-when", super::now_str())
        .leaf("task-memory-free-size", total)
        .leaf("task-memory-free-avail", 100);
    if detail {
        x.open("task-memory-overall-report")
            .open("task-size-block-list");
        for (size, allocs, max) in &blocks {
            x.open("task-size-block")
                .leaf("tsb-size", size)
                .leaf("tsb-name", format!("size-{size}"))
                .leaf("tsb-alloc-bytes", size * allocs)
                .leaf("tsb-allocs", allocs)
                .leaf("tsb-max-allocs", max)
                .leaf("tsb-max-bytes", size * max)
                .leaf("tsb-free-bytes", size * (max - allocs))
                .close("task-size-block");
        }
        x.close("task-size-block-list")
            .close("task-memory-overall-report");
    }
    x.done("task-memory-information")
}

/// `get-ddos-statistics-information` / `show ddos-protection statistics`: DDoS
/// protection's global state (on by default on an MX), nothing in violation.
pub(crate) fn ddos_statistics(xml: bool) -> Pieces {
    let rows = [
        (
            "ddos-policing-re-enabled",
            "Policing on routing engine:",
            "Yes",
        ),
        ("ddos-policing-fpc-enabled", "Policing on FPC:", "Yes"),
        ("ddos-flow-detection-enabled", "Flow detection:", "No"),
        ("ddos-logging-enabled", "Logging:", "Yes"),
        (
            "ddos-policer-violation-report-rate",
            "Policer violation report rate:",
            "100",
        ),
        ("ddos-flow-report-rate", "Flow report rate:", "100"),
        (
            "ddos-detection-mode",
            "Default flow detection mode",
            "Automatic",
        ),
        (
            "ddos-aggregation-level",
            "Default flow level detection mode",
            "Automatic",
        ),
        (
            "packet-types-in-violation",
            "Currently violated packet types:",
            "0",
        ),
        (
            "packet-types-seen-violation",
            "Packet types have seen violations:",
            "0",
        ),
        ("total-violation-events", "Total violation counts:", "0"),
    ];
    if !xml {
        let mut s = String::from("DDOS protection global statistics:\n");
        for (_, label, value) in rows {
            let _ = writeln!(s, "  {label:<36}{value}");
        }
        return one(s);
    }
    let mut x = X::with_ns("ddos-statistics-information", "junos-jddosd", None);
    for (name, _, value) in rows {
        x.leaf(name, value);
    }
    x.done("ddos-statistics-information")
}
