//! The interior routing state beyond the seed commands, each command's XML and text in
//! one place: OSPF routes, packet and I/O statistics; IS-IS adjacencies, LDP neighbors
//! and the traffic-engineering database.
//!
//! OSPF runs on every up link (as the rest of the simulator's OSPF replies have it). IS-IS
//! and LDP follow the committed configuration: an adjacency is up on an up link the
//! protocol is configured on (`protocols isis interface ge-0/0/0.0`, or `interface all`),
//! not `disable`d and not `passive`; IS-IS also needs the unit's `family iso`, as on
//! Junos. The neighbor across each link is the next router of the fleet, named as LLDP
//! names it. The element names and their nesting are the ones Junos replies carry (PyEZ's
//! `OspfRoutesTable`, `OSPFStatsTable`, `OSPFIOStatsTable`, `IsisAdjacencyTable`,
//! `LdpNeighborTable`, `TedTable` and `TedSummaryTable` read them).

use std::fmt::Write as _;
use std::net::Ipv4Addr;

use super::xml::X;
use super::{one, uptime, Level, Pieces};
use crate::junos_config::ConfigTree;
use crate::spec::{mix, DeviceSpec, Interface};
use crate::state::DeviceState;

/// The up links `proto` runs on by the configuration.
pub(crate) fn links_running(spec: &DeviceSpec, config: &ConfigTree, proto: &str) -> Vec<Interface> {
    let names = config.entries(&["protocols", proto], "interface");
    let on = |unit: &str| {
        names.iter().any(|n| {
            (n == unit || n == "all")
                && !config.has(&["protocols", proto, "interface", n, "disable"])
                && !config.has(&["protocols", proto, "interface", n, "passive"])
        })
    };
    spec.interfaces()
        .into_iter()
        .filter(|i| i.up && on(&format!("{}.0", i.name)))
        .filter(|i| {
            proto != "isis" || config.has(&["interfaces", &i.name, "unit", "0", "family", "iso"])
        })
        .collect()
}

/// The interface index of a port's unit 0 (`ge-0/0/0.0`), as the interface replies give
/// it.
pub(crate) fn unit_index(spec: &DeviceSpec, port: &str) -> u32 {
    spec.ports()
        .iter()
        .find(|p| p.name == port)
        .map_or(0, |p| p.local_index + 185)
}

/// The output level's style attribute, and whether it is `detail` or more.
fn detail_style(level: Level) -> (Option<&'static str>, bool) {
    let detail = matches!(level, Level::Detail | Level::Extensive);
    (detail.then_some(level.style()), detail)
}

/// The name of the router across every link (LLDP's system name for it).
fn neighbor_name(spec: &DeviceSpec) -> String {
    format!("r{}", spec.index + 2)
}

/// A deterministic counter for this router: `what` keeps different counters apart.
fn counter(spec: &DeviceSpec, what: u64, modulus: u64) -> u64 {
    mix(spec.seed ^ what.wrapping_mul(0x9e37_79b9)) % modulus
}

/// `get-ospf-route-information` / `show ospf route`: a router route to each neighbor's
/// router id and a network route for each up link, all intra-area.
pub(crate) fn ospf_routes(spec: &DeviceSpec, xml: bool) -> Pieces {
    let links: Vec<Interface> = spec.interfaces().into_iter().filter(|i| i.up).collect();
    let rows = links
        .iter()
        .map(|i| (i.neighbor_id.to_string(), "Router", i, Some(i.neighbor)))
        .chain(links.iter().map(|i| {
            let o = i.address.octets();
            (
                format!("{}.{}.{}.0/{}", o[0], o[1], o[2], i.prefix_len),
                "Network",
                i,
                None,
            )
        }));
    if !xml {
        let mut s = String::from("Topology default Route Table:\n\nPrefix             Path  Route      NH       Metric NextHop       Nexthop\n                   Type  Type       Type            Interface     Address/LSP\n");
        for (prefix, kind, i, via) in rows {
            let via = via.map(|a| a.to_string()).unwrap_or_default();
            let _ = writeln!(
                s,
                "{prefix:<19}Intra {kind:<10} IP            1 {:<14}{via}",
                format!("{}.0", i.name)
            );
        }
        return one(s);
    }
    let mut x = X::with_ns("ospf-route-information", "junos-routing", None);
    x.open("ospf-topology-route-table")
        .leaf("ospf-topology-name", "default");
    for (prefix, kind, i, via) in rows {
        x.open("ospf-route")
            .open("ospf-route-entry")
            .leaf("address-prefix", prefix)
            .leaf("route-path-type", "Intra")
            .leaf("route-type", kind)
            .leaf("next-hop-type", "IP")
            .leaf("interface-cost", 1)
            .open("ospf-next-hop")
            .open("next-hop-name")
            .leaf("interface-name", format!("{}.0", i.name))
            .close("next-hop-name");
        if let Some(a) = via {
            x.open("next-hop-address")
                .leaf("interface-address", a)
                .close("next-hop-address");
        }
        x.close("ospf-next-hop")
            .close("ospf-route-entry")
            .close("ospf-route");
    }
    x.close("ospf-topology-route-table");
    x.done("ospf-route-information")
}

/// OSPF packet types and their counts (sent, received) since the router booted: hellos
/// every 10 s on each up link, the rest from the adjacencies' start.
fn ospf_packets(spec: &DeviceSpec, state: &DeviceState) -> Vec<(&'static str, u64, u64)> {
    let links = spec.interfaces().iter().filter(|i| i.up).count() as u64;
    let hellos = links * (uptime(state) / 10 + 1);
    vec![
        ("Hello", hellos, hellos),
        ("DbD", 3 * links, 2 * links),
        ("LSReq", links, links),
        (
            "LSUpdate",
            40 * links + counter(spec, 1, 50),
            45 * links + counter(spec, 2, 50),
        ),
        (
            "LSAck",
            30 * links + counter(spec, 3, 40),
            28 * links + counter(spec, 4, 40),
        ),
    ]
}

/// `get-ospf-statistics-information` / `show ospf statistics`.
pub(crate) fn ospf_statistics(spec: &DeviceSpec, state: &DeviceState, xml: bool) -> Pieces {
    let packets = ospf_packets(spec, state);
    if !xml {
        let mut s = String::from("Packet type             Total                  Last 5 seconds\n                   Sent      Received        Sent      Received\n");
        for (kind, sent, received) in &packets {
            let _ = writeln!(s, "    {kind:<10}{sent:>9}{received:>14}{:>12}{:>14}", 0, 0);
        }
        s.push_str("    LSAs retransmitted             0, last 5 seconds          0\n    Flood queue depth              0\n");
        return one(s);
    }
    let mut x = X::with_ns("ospf-statistics-information", "junos-routing", None);
    x.open("ospf-statistics");
    for (kind, sent, received) in &packets {
        x.open("packet-statistics")
            .leaf("ospf-packet-type", kind)
            .leaf("packets-sent", sent)
            .leaf("packets-received", received)
            .leaf("packets-sent-5seconds", 0)
            .leaf("packets-received-5seconds", 0)
            .close("packet-statistics");
    }
    for leaf in [
        "dbds-retransmit",
        "lsas-flooded",
        "lsas-high-prio-flooded",
        "lsas-retransmit",
        "lsas-requested",
        "lsas-acknowledged",
        "lsas-nbr-transmit",
    ] {
        x.leaf(leaf, 0).leaf(&format!("{leaf}-5seconds"), 0);
    }
    x.leaf("flood-queue-depth", 0)
        .leaf("total-retransmits", 0)
        .leaf("total-database-summaries", 0)
        .leaf("total-linkstate-request", 0)
        .open("ospf-errors")
        .close("ospf-errors")
        .close("ospf-statistics");
    x.done("ospf-statistics-information")
}

/// `get-ospf-io-statistics-information` / `show ospf io-statistics`: the packets the
/// OSPF I/O thread read, per run.
pub(crate) fn ospf_io_statistics(spec: &DeviceSpec, state: &DeviceState, xml: bool) -> Pieces {
    let read: u64 = ospf_packets(spec, state).iter().map(|p| p.2).sum();
    if !xml {
        return one(format!(
            "Packets read: {read}\nAverage packets per run: 1\nMaximum packets per run: 3\n"
        ));
    }
    let mut x = X::with_ns("ospf-io-statistics-information", "junos-routing", None);
    x.open("ospf-io-statistics")
        .leaf("packets-read", read)
        .leaf("average-per-run", 1)
        .leaf("max-run", 3)
        .close("ospf-io-statistics");
    x.done("ospf-io-statistics-information")
}

/// `get-isis-adjacency-information` / `show isis adjacency [detail|extensive]`: one
/// level-2 point-to-point adjacency per link IS-IS runs on.
pub(crate) fn isis_adjacencies(
    spec: &DeviceSpec,
    state: &DeviceState,
    level: Level,
    xml: bool,
) -> Pieces {
    let links = links_running(spec, &state.running, "isis");
    let name = neighbor_name(spec);
    if !xml {
        let mut s =
            String::from("Interface             System         L State        Hold (secs) SNPA\n");
        for i in &links {
            let _ = writeln!(
                s,
                "{:<22}{name:<15}2  Up                   24",
                format!("{}.0", i.name)
            );
        }
        return one(s);
    }
    per_link(
        "isis-adjacency-information",
        "isis-adjacency",
        level,
        &links,
        |x, i, detail| {
            x.leaf("system-name", &name)
                .leaf("level", 2)
                .leaf("adjacency-state", "Up")
                .leaf("holdtime", 24);
            if detail {
                x.leaf("interface-priority", 0)
                    .leaf("circuit-type", 2)
                    .leaf("adjacency-advertisement", "Advertises restart capable")
                    .leaf("adjacency-uptime", super::fmt_dur(uptime(state)))
                    .leaf("adjacency-topologies", "Unicast")
                    .leaf("adjacency-restart-capable", "Yes")
                    .leaf("adjacency-flag", "Speaks: IP")
                    .leaf("ip-address", i.neighbor);
            }
            if level == Level::Extensive {
                x.open("isis-adjacency-log")
                    .leaf("adjacency-when", super::now_str())
                    .leaf("adjacency-state", "Up")
                    .leaf("adjacency-event", "Seenself")
                    .leaf("adjacency-down-reason", "")
                    .leaf("adjacency-level", 2)
                    .close("isis-adjacency-log");
            }
        },
    )
}

/// `get-ldp-neighbor-information` / `show ldp neighbor [detail|extensive]`: the neighbor
/// discovered on each link LDP runs on.
pub(crate) fn ldp_neighbors(
    spec: &DeviceSpec,
    state: &DeviceState,
    level: Level,
    xml: bool,
) -> Pieces {
    let links = links_running(spec, &state.running, "ldp");
    if !xml {
        let mut s = String::from(
            "Address                             Interface       Label space ID     Hold time\n",
        );
        for i in &links {
            let _ = writeln!(
                s,
                "{:<36}{:<16}{:<19}{}",
                i.neighbor,
                format!("{}.0", i.name),
                format!("{}:0", i.neighbor_id),
                12
            );
        }
        return one(s);
    }
    per_link(
        "ldp-neighbor-information",
        "ldp-neighbor",
        level,
        &links,
        |x, i, detail| {
            x.leaf("ldp-neighbor-address", i.neighbor)
                .leaf("ldp-label-space-id", format!("{}:0", i.neighbor_id))
                .leaf("ldp-remaining-time", 12);
            if detail {
                x.leaf("ldp-transport-address", i.neighbor_id)
                    .leaf("ldp-config-sequence", 1)
                    .leaf("ldp-up-time", super::fmt_dur(uptime(state)))
                    .leaf("ldp-reference-count", 1)
                    .leaf("ldp-holdtime", 15)
                    .leaf("ldp-proposed-local-holdtime", 15)
                    .leaf("ldp-proposed-peer-holdtime", 15)
                    .leaf("ldp-hello-interval", 5)
                    .open("ldp-neighbor-hello-flags")
                    .leaf("ldp-neighbor-hello-flag", "none")
                    .close("ldp-neighbor-hello-flags")
                    .open("ldp-neighbor-types")
                    .leaf("ldp-neighbor-type", "discovered")
                    .close("ldp-neighbor-types");
            }
        },
    )
}

/// A routing reply with one `entry` element a link, each starting with the link's unit 0
/// as `interface-name`; `each` writes the rest (told whether the level asks for detail).
fn per_link(
    info: &str,
    entry: &str,
    level: Level,
    links: &[Interface],
    mut each: impl FnMut(&mut X, &Interface, bool),
) -> Pieces {
    let (style, detail) = detail_style(level);
    let mut x = X::with_ns(info, "junos-routing", style);
    for i in links {
        x.open(entry)
            .leaf("interface-name", format!("{}.0", i.name));
        each(&mut x, i, detail);
        x.close(entry);
    }
    x.done(info)
}

/// One node of the traffic-engineering database: its id, the protocol that told of it,
/// and its links (to, local address, remote address, local ifindex).
struct TedNode {
    id: String,
    protocol: &'static str,
    links: Vec<(String, Ipv4Addr, Ipv4Addr, u32)>,
}

/// The traffic-engineering database: IS-IS feeds it wherever it runs (its TE extensions
/// are on by default); OSPF only with `protocols ospf traffic-engineering`. Each
/// adjacency adds the neighbor's node and a link both ways.
fn ted_nodes(spec: &DeviceSpec, state: &DeviceState) -> Vec<TedNode> {
    let config = &state.running;
    let me = format!("{}.00", state.host_name(spec));
    let peer = format!("{}.00", neighbor_name(spec));
    let mut feeds: Vec<(&'static str, Vec<Interface>)> = Vec::new();
    let isis = links_running(spec, config, "isis");
    if !isis.is_empty() {
        feeds.push(("IS-IS(2)", isis));
    }
    if config.has(&["protocols", "ospf", "traffic-engineering"]) {
        let ospf = spec.interfaces().into_iter().filter(|i| i.up).collect();
        feeds.push(("OSPF(0.0.0.0)", ospf));
    }
    let mut nodes = Vec::new();
    for (protocol, links) in feeds {
        let index = |name: &str| unit_index(spec, name);
        nodes.push(TedNode {
            id: me.clone(),
            protocol,
            links: links
                .iter()
                .map(|i| (peer.clone(), i.address, i.neighbor, index(&i.name)))
                .collect(),
        });
        nodes.push(TedNode {
            id: peer.clone(),
            protocol,
            links: links
                .iter()
                .map(|i| (me.clone(), i.neighbor, i.address, index(&i.name)))
                .collect(),
        });
    }
    nodes
}

/// `get-ted-database-information` / `show ted database [extensive]`.
pub(crate) fn ted_database(
    spec: &DeviceSpec,
    state: &DeviceState,
    level: Level,
    xml: bool,
) -> Pieces {
    let nodes = ted_nodes(spec, state);
    let iso = nodes
        .iter()
        .filter(|n| n.protocol.starts_with("IS-IS"))
        .count();
    let inet = nodes.len() - iso;
    if !xml {
        let mut s = format!("TED database: {iso} ISIS nodes {inet} INET nodes\n");
        for n in &nodes {
            let _ = writeln!(s, "ID                            Type Age(s) LnkIn LnkOut Protocol\n{:<30}Rtr  {:>6}{:>6}{:>7} {}", n.id, 120, n.links.len(), n.links.len(), n.protocol);
            for (to, local, remote, _) in &n.links {
                let _ = writeln!(s, "    To: {to}, Local: {local}, Remote: {remote}");
            }
        }
        return one(s);
    }
    let (style, _) = detail_style(level);
    let mut x = X::with_ns("ted-database-information", "junos-routing", style);
    x.open("ted-database-summary")
        .leaf("ted-database-iso-count", iso)
        .leaf("ted-database-inet-count", inet)
        .close("ted-database-summary");
    for n in &nodes {
        x.open("ted-database")
            .leaf("ted-database-id", &n.id)
            .leaf("ted-database-type", "Rtr")
            .leaf("ted-database-age", 120)
            .leaf("ted-database-link-in", n.links.len())
            .leaf("ted-database-link-out", n.links.len())
            .leaf("ted-database-protocol", n.protocol);
        for (to, local, remote, ifindex) in &n.links {
            x.open("ted-link")
                .leaf("ted-link-to", to)
                .leaf("ted-link-local-address", local)
                .leaf("ted-link-local-ifindex", ifindex)
                .leaf("ted-link-remote-address", remote)
                .leaf("ted-link-remote-ifindex", ifindex)
                .leaf("ted-link-metric", 10)
                .close("ted-link");
        }
        x.close("ted-database");
    }
    x.done("ted-database-information")
}
