//! Layer 2 services, from the committed configuration, each command's XML and text in
//! one place: Layer 2 circuits (`protocols l2circuit`), CCC connections (`protocols
//! connections`) and LACP on aggregated Ethernet bundles.
//!
//! State follows what a router can know alone: a circuit's local interface is up when
//! its port is; a pseudowire is up when LDP (its signalling) runs on some link, and
//! otherwise waits for an outgoing label (`OL`), as Junos shows it. The element names are
//! the ones Junos replies carry (PyEZ's `L2CircuitConnectionTable`, `CCCTable` and
//! `LacpPortTable` read them).

use std::fmt::Write as _;

use super::igp::links_running;
use super::xml::X;
use super::{one, Pieces};
use crate::junos_config::ConfigTree;
use crate::spec::DeviceSpec;
use crate::state::DeviceState;

/// Whether the physical port of a logical interface (`ge-0/0/3.100`) is up.
fn port_up(spec: &DeviceSpec, ifl: &str) -> bool {
    let physical = ifl.split('.').next().unwrap_or(ifl);
    spec.ports().iter().any(|p| p.name == physical && p.up)
}

/// A configured Layer 2 circuit.
struct Circuit {
    neighbor: String,
    interface: String,
    vc_id: String,
    description: Option<String>,
}

fn circuits(config: &ConfigTree) -> Vec<Circuit> {
    let mut out = Vec::new();
    for neighbor in config.entries(&["protocols", "l2circuit"], "neighbor") {
        let at = ["protocols", "l2circuit", "neighbor", neighbor.as_str()];
        for interface in config.entries(&at, "interface") {
            let leaf = |name: &str| {
                let mut path = at.to_vec();
                path.extend(["interface", interface.as_str(), name]);
                config.value(&path).map(str::to_string)
            };
            out.push(Circuit {
                neighbor: neighbor.clone(),
                vc_id: leaf("virtual-circuit-id").unwrap_or_default(),
                description: leaf("description"),
                interface,
            });
        }
    }
    out
}

/// `get-l2ckt-connection-information` / `show l2circuit connections`.
pub(crate) fn l2circuit_connections(spec: &DeviceSpec, state: &DeviceState, xml: bool) -> Pieces {
    let signalled = !links_running(spec, &state.running, "ldp").is_empty();
    let all = circuits(&state.running);
    let status = |c: &Circuit| match (port_up(spec, &c.interface), signalled) {
        (false, _) => "CI",
        (true, false) => "OL",
        (true, true) => "Up",
    };
    let label = |c: &Circuit| 299_776 + c.vc_id.parse::<u32>().unwrap_or(0) % 100_000;
    if !xml {
        let mut s = String::from("Layer-2 Circuit Connections:\n\nLegend for connection status (St)\nEI -- encapsulation invalid      NP -- interface h/w not present\nCI -- Circuit interface down     OL -- no outgoing label\nUp -- operational\n\n");
        let mut neighbors: Vec<&str> = all.iter().map(|c| c.neighbor.as_str()).collect();
        neighbors.dedup();
        for n in neighbors {
            let _ = writeln!(s, "Neighbor: {n}\n    Interface                 Type  St     Time last up          # Up trans");
            for c in all.iter().filter(|c| c.neighbor == n) {
                let _ = writeln!(
                    s,
                    "    {:<26}rmt   {:<7}{}  {}",
                    format!("{}(vc {})", c.interface, c.vc_id),
                    status(c),
                    super::now_str(),
                    u8::from(status(c) == "Up")
                );
            }
        }
        return one(s);
    }
    let mut x = X::with_ns("l2circuit-connection-information", "junos-l2ckt", None);
    let mut i = 0;
    while i < all.len() {
        let neighbor = &all[i].neighbor;
        x.open("l2circuit-neighbor")
            .leaf("neighbor-address", neighbor);
        while i < all.len() && &all[i].neighbor == neighbor {
            let c = &all[i];
            let st = status(c);
            x.open("connection")
                .leaf("connection-id", format!("{}(vc {})", c.interface, c.vc_id))
                .leaf("connection-type", "rmt")
                .leaf("connection-status", st)
                .leaf("last-change", super::now_str())
                .leaf("up-transitions", u8::from(st == "Up"));
            if st == "Up" {
                x.leaf("remote-pe", neighbor)
                    .leaf("control-word", "Yes")
                    .leaf("inbound-label", label(c))
                    .leaf("outbound-label", label(c))
                    .leaf("pw-status-tlv", "Yes");
            }
            x.open("local-interface")
                .leaf("interface-name", &c.interface)
                .leaf(
                    "interface-status",
                    if port_up(spec, &c.interface) {
                        "Up"
                    } else {
                        "Down"
                    },
                )
                .leaf("interface-encapsulation", "ETHERNET");
            if let Some(d) = &c.description {
                x.leaf("interface-description", d);
            }
            x.close("local-interface").close("connection");
            i += 1;
        }
        x.close("l2circuit-neighbor");
    }
    x.done("l2circuit-connection-information")
}

/// A CCC connection: its name, its type (`if-sw`, `rmt-if`) and its circuits (name and
/// type: `intf` or `tlsp`).
type Connection = (String, &'static str, Vec<(String, &'static str)>);

/// `get-ccc-information` / `show connections`: each interface-switch and
/// remote-interface-switch connection with its circuits.
pub(crate) fn ccc_connections(spec: &DeviceSpec, state: &DeviceState, xml: bool) -> Pieces {
    let config = &state.running;
    let mut conns: Vec<Connection> = Vec::new();
    for (kind, short) in [
        ("interface-switch", "if-sw"),
        ("remote-interface-switch", "rmt-if"),
    ] {
        for name in config.entries(&["protocols", "connections"], kind) {
            let mut circuits: Vec<(String, &'static str)> = config
                .entries(&["protocols", "connections", kind, &name], "interface")
                .into_iter()
                .map(|i| (i, "intf"))
                .collect();
            for lsp in ["transmit-lsp", "receive-lsp"] {
                if let Some(l) = config.value(&["protocols", "connections", kind, &name, lsp]) {
                    circuits.push((l.to_string(), "tlsp"));
                }
            }
            conns.push((name, short, circuits));
        }
    }
    let up = |circuit: &(String, &str)| circuit.1 != "intf" || port_up(spec, &circuit.0);
    if !xml {
        let mut s = String::from("CCC and TCC connections [Link Monitoring On]\nLegend for status (St):\n Up -- operational    Dn -- down\n\nConnection/Circuit                Type        St      Time last up     # Up trans\n");
        for (name, kind, circuits) in &conns {
            let st = if circuits.iter().all(up) { "Up" } else { "Dn" };
            let _ = writeln!(s, "{name:<34}{kind:<12}{st}");
            for c in circuits {
                let _ = writeln!(
                    s,
                    "  {:<32}{:<12}{}",
                    c.0,
                    c.1,
                    if up(c) { "Up" } else { "Dn" }
                );
            }
        }
        return one(s);
    }
    let mut x = X::with_ns("ccc-connection-information", "junos-ccc", None);
    for (name, kind, circuits) in &conns {
        let st = if circuits.iter().all(up) { "Up" } else { "Dn" };
        x.open("ccc-connection")
            .leaf("ccc-connection-name", name)
            .leaf("ccc-connection-type", kind)
            .leaf("ccc-connection-status", st)
            .leaf("ccc-last-change", super::now_str())
            .leaf("ccc-up-transitions", u8::from(st == "Up"));
        for c in circuits {
            x.open("ccc-connection-circuit")
                .leaf("ccc-circuit-name", &c.0)
                .leaf("ccc-circuit-type", c.1)
                .leaf("ccc-circuit-status", if up(c) { "Up" } else { "Dn" })
                .close("ccc-connection-circuit");
        }
        x.close("ccc-connection");
    }
    x.done("ccc-connection-information")
}

/// The aggregated Ethernet bundles running LACP, each with its member ports and its mode
/// (`active` or `passive`).
fn lacp_bundles(
    spec: &DeviceSpec,
    config: &ConfigTree,
) -> Vec<(String, &'static str, Vec<String>)> {
    let ifds = config.entries(&["interfaces"], "interface");
    ifds.iter()
        .filter(|ae| ae.starts_with("ae"))
        .filter_map(|ae| {
            let lacp = [
                "interfaces",
                ae.as_str(),
                "aggregated-ether-options",
                "lacp",
            ];
            let mode = if config.has(&[lacp.as_slice(), &["active"]].concat()) {
                "Active"
            } else if config.has(&[lacp.as_slice(), &["passive"]].concat()) {
                "Passive"
            } else {
                return None;
            };
            let members = spec
                .ports()
                .into_iter()
                .map(|p| p.name)
                .filter(|p| {
                    config.value(&["interfaces", p, "gigether-options", "802.3ad", "bundle"])
                        == Some(ae.as_str())
                })
                .collect();
            Some((ae.clone(), mode, members))
        })
        .collect()
}

/// A member's LACP machines (receive, transmit, mux) as its port being up leaves them.
fn lacp_protocol(up: bool) -> (&'static str, &'static str, &'static str) {
    if up {
        ("Current", "Fast periodic", "Collecting distributing")
    } else {
        ("Port disabled", "No periodic", "Detached")
    }
}

/// `get-lacp-interface-information` / `show lacp interfaces [NAME]`: each bundle's
/// members, actor and partner, in collecting-distributing state when the port is up.
pub(crate) fn lacp_interfaces(
    spec: &DeviceSpec,
    state: &DeviceState,
    name: Option<&str>,
    xml: bool,
) -> Pieces {
    let bundles: Vec<_> = lacp_bundles(spec, &state.running)
        .into_iter()
        .filter(|(ae, _, _)| name.is_none_or(|n| crate::spec::glob_match(n, ae)))
        .collect();
    let yes = |b: bool| if b { "Yes" } else { "No" };
    if !xml {
        let mut s = String::new();
        for (ae, mode, members) in &bundles {
            let _ = writeln!(s, "Aggregated interface: {ae}\n    LACP state:       Role   Exp   Def  Dist  Col  Syn  Aggr  Timeout  Activity");
            for m in members {
                let up = port_up(spec, m);
                for role in ["Actor", "Partner"] {
                    let _ = writeln!(
                        s,
                        "      {m:<16}{role:<8}No   {:<5}{:<6}{:<5}{:<5}Yes   Fast    {mode}",
                        yes(!up),
                        yes(up),
                        yes(up),
                        yes(up)
                    );
                }
            }
            let _ = writeln!(
                s,
                "    LACP protocol:        Receive State  Transmit State          Mux State"
            );
            for m in members {
                let (receive, transmit, mux) = lacp_protocol(port_up(spec, m));
                let _ = writeln!(s, "      {m:<22}{receive:<15}{transmit:<24}{mux}");
            }
        }
        return one(s);
    }
    let mut x = X::with_ns("lacp-interface-information-list", "junos-lacpd", None);
    for (ae, mode, members) in &bundles {
        x.open("lacp-interface-information")
            .open("lag-lacp-header")
            .leaf("aggregate-name", ae)
            .close("lag-lacp-header");
        for m in members {
            let up = port_up(spec, m);
            for role in ["Actor", "Partner"] {
                x.open("lag-lacp-state")
                    .leaf("name", m)
                    .leaf("lacp-role", role)
                    .leaf("lacp-expired", "No")
                    .leaf("lacp-defaulted", yes(!up))
                    .leaf("lacp-distributing", yes(up))
                    .leaf("lacp-collecting", yes(up))
                    .leaf("lacp-synchronization", yes(up))
                    .leaf("lacp-aggregation", "Yes")
                    .leaf("lacp-timeout", "Fast")
                    .leaf("lacp-activity", mode)
                    .close("lag-lacp-state");
            }
        }
        for m in members {
            let (receive, transmit, mux) = lacp_protocol(port_up(spec, m));
            x.open("lag-lacp-protocol")
                .leaf("name", m)
                .leaf("lacp-receive-state", receive)
                .leaf("lacp-transmit-state", transmit)
                .leaf("lacp-mux-state", mux)
                .close("lag-lacp-protocol");
        }
        x.close("lacp-interface-information");
    }
    x.done("lacp-interface-information-list")
}
