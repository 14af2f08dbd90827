//! Routing state: the route table and its summary, OSPF, BGP and BFD.

use std::fmt::Write as _;
use std::net::Ipv4Addr;

use super::{NS, X};
use crate::commands::{fmt_age, one, proto_matches, table_matches, Pieces, Show};
use crate::junos_config::ConfigTree;
use crate::spec::{DeviceSpec, Route};

pub(super) fn route_summary(spec: &DeviceSpec) -> Pieces {
    let up = spec.interfaces().iter().filter(|i| i.up).count() as u32;
    let direct = up + 2; // the up ge links, lo0 and fxp0
    let statics = (0..spec.route_count)
        .filter(|i| spec.synthetic_route(*i).protocol == "Static")
        .count() as u32;
    let ospf = spec.route_count - statics;
    let total = direct * 2 + statics + ospf;
    let mut x = X::with_ns("route-summary-information", "junos-routing", None);
    x.leaf("as-number", spec.autonomous_system())
        .leaf("router-id", spec.router_id())
        .open("route-table")
        .leaf("table-name", "inet.0")
        .leaf("destination-count", total)
        .leaf("total-route-count", total)
        .leaf("active-route-count", total)
        .leaf("holddown-route-count", 0)
        .leaf("hidden-route-count", 0);
    for (name, n) in [
        ("Direct", direct),
        ("Local", direct),
        ("OSPF", ospf),
        ("Static", statics),
    ] {
        x.open("protocols")
            .leaf("protocol-name", name)
            .leaf("protocol-route-count", n)
            .leaf("active-route-count", n)
            .close("protocols");
    }
    x.close("route-table");
    x.done("route-summary-information")
}

pub(super) fn ospf_interfaces(spec: &DeviceSpec) -> Pieces {
    let mut x = X::with_ns("ospf-interface-information", "junos-routing", None);
    let ifaces = spec.interfaces();
    let rows = ifaces
        .iter()
        .filter(|i| i.up)
        .map(|i| (format!("{}.0", i.name), "PtToPt", 1))
        .chain(std::iter::once(("lo0.0".to_string(), "DRother", 0)));
    for (name, state, neighbors) in rows {
        x.open("ospf-interface")
            .leaf("interface-name", name)
            .leaf("ospf-interface-state", state)
            .leaf("ospf-area", "0.0.0.0")
            .leaf("dr-id", "0.0.0.0")
            .leaf("bdr-id", "0.0.0.0")
            .leaf("neighbor-count", neighbors)
            .close("ospf-interface");
    }
    x.done("ospf-interface-information")
}

pub(super) fn ospf_database(spec: &DeviceSpec) -> Pieces {
    let mut x = X::with_ns("ospf-database-information", "junos-routing", None);
    x.open("ospf-area-header")
        .leaf("ospf-area", "0.0.0.0")
        .close("ospf-area-header");
    let ifaces = spec.interfaces();
    let ids = std::iter::once(spec.router_id())
        .chain(ifaces.iter().filter(|i| i.up).map(|i| i.neighbor_id));
    for (k, id) in ids.enumerate() {
        x.open("ospf-database")
            .leaf("lsa-type", "Router")
            .leaf("lsa-id", id)
            .leaf("advertising-router", id)
            .leaf("sequence-number", "0x80000a3c")
            .leaf("age", 412 + 97 * k)
            .leaf("options", "0x22")
            .leaf("checksum", "0x5d2a")
            .leaf("lsa-length", 84);
        if k == 0 {
            x.flag("our-entry");
        }
        x.close("ospf-database");
    }
    x.done("ospf-database-information")
}

pub(super) fn ospf_neighbors(spec: &DeviceSpec) -> Pieces {
    let mut x = X::with_ns("ospf-neighbor-information", "junos-routing", None);
    for i in spec.interfaces().iter().filter(|i| i.up) {
        x.open("ospf-neighbor")
            .leaf("neighbor-address", i.neighbor)
            .leaf("interface-name", format!("{}.0", i.name))
            .leaf("ospf-neighbor-state", "Full")
            .leaf("neighbor-id", i.neighbor_id)
            .leaf("neighbor-priority", 128)
            .leaf("activity-timer", 36)
            .close("ospf-neighbor");
    }
    x.done("ospf-neighbor-information")
}

/// `get-ospf-overview-information`: the instance, its router id and its one area (the
/// backbone, where every simulated adjacency is), with the neighbors that are up.
pub(super) fn ospf_overview(spec: &DeviceSpec) -> Pieces {
    let up = spec.interfaces().iter().filter(|i| i.up).count();
    let mut x = X::with_ns("ospf-overview-information", "junos-routing", None);
    x.open("ospf-overview")
        .leaf("instance-name", "master")
        .leaf("ospf-router-id", spec.router_id())
        .leaf("ospf-route-table-index", 0)
        .leaf("ospf-lsa-refresh-time", 50)
        .open("ospf-area-overview")
        .leaf("ospf-area", "0.0.0.0")
        .leaf("ospf-stub-type", "Not Stub")
        .leaf("authentication-type", "None")
        .leaf("ospf-abr-count", 0)
        .leaf("ospf-asbr-count", 0)
        .leaf("ospf-nbr-up-count", up)
        .close("ospf-area-overview")
        .open("ospf-topology-overview")
        .leaf("ospf-topology-name", "default")
        .leaf("ospf-topology-id", 0)
        .leaf("ospf-full-spf-count", 4)
        .close("ospf-topology-overview")
        .close("ospf-overview");
    x.done("ospf-overview-information")
}

pub(super) fn bfd(spec: &DeviceSpec) -> Pieces {
    let up: Vec<_> = spec.interfaces().into_iter().filter(|i| i.up).collect();
    let mut x = X::with_ns("bfd-session-information", "junos-routing", None);
    for (k, i) in up.iter().enumerate() {
        x.open("bfd-session")
            .leaf("session-neighbor", i.neighbor)
            .leaf("session-state", "Up")
            .leaf("session-interface", format!("{}.0", i.name))
            .leaf("session-detection-time", "0.900")
            .leaf("session-transmission-interval", "0.300")
            .leaf("session-adaptive-multiplier", 3)
            .open("bfd-client")
            .leaf("client-name", "OSPF")
            .leaf("client-transmission-interval", "0.300")
            .leaf("client-reception-interval", "0.300")
            .close("bfd-client")
            .leaf("session-type", "Single hop BFD")
            .leaf("session-version", 1)
            .leaf("local-diagnostic", "None")
            .leaf("remote-diagnostic", "None")
            .leaf("remote-state", "Up")
            .leaf("minimum-asynchronous-interval", "0.300")
            .leaf("minimum-slow-interval", "1.000")
            .leaf("adaptive-asynchronous-transmission-interval", "0.300")
            .leaf("adaptive-reception-interval", "0.300")
            .leaf("minimum-transmission-interval", "0.300")
            .leaf("minimum-reception-interval", "0.300")
            .leaf("detection-multiplier", 3)
            .leaf("neighbor-minimum-transmission-interval", "0.300")
            .leaf("neighbor-minimum-reception-interval", "0.300")
            .leaf("neighbor-session-multiplier", 3)
            .leaf("local-discriminator", 17 + k)
            .leaf("remote-discriminator", 33 + k)
            .leaf("echo-mode-desired", "disabled")
            .leaf("echo-mode-state", "inactive")
            .flag("no-refresh")
            .flag("no-absorb")
            .close("bfd-session");
    }
    x.leaf("sessions", up.len())
        .leaf("clients", up.len())
        .leaf(
            "cumulative-transmission-rate",
            format!("{:.1}", up.len() as f64 * 3.3),
        )
        .leaf(
            "cumulative-reception-rate",
            format!("{:.1}", up.len() as f64 * 3.3),
        );
    x.done("bfd-session-information")
}

/// A statement configured for an IBGP peer: the neighbor's own, else its group's
/// (`description`, `import`, `export`).
fn peer_configured(config: &ConfigTree, peer: Ipv4Addr, leaf: &str) -> Vec<String> {
    let group = ["protocols", "bgp", "group", "ibgp"];
    let peer = peer.to_string();
    let own = config.values(&[&group[..], &["neighbor", peer.as_str()]].concat(), leaf);
    if own.is_empty() {
        config.values(&group, leaf)
    } else {
        own
    }
}

pub(super) fn bgp_summary(spec: &DeviceSpec, config: &ConfigTree) -> Pieces {
    let peers = spec.bgp_peers();
    let mut x = X::with_ns("bgp-information", "junos-routing", None);
    x.leaf("group-count", 1)
        .leaf("peer-count", peers.len())
        .leaf("down-peer-count", 0)
        .open("bgp-rib")
        .leaf("name", "inet.0")
        .leaf("total-prefix-count", peers.len() * 10)
        .leaf("received-prefix-count", peers.len() * 10)
        .leaf("accepted-prefix-count", peers.len() * 10)
        .leaf("active-prefix-count", 0)
        .leaf("suppressed-prefix-count", 0)
        .leaf("history-prefix-count", 0)
        .leaf("damped-prefix-count", 0)
        .leaf("total-external-prefix-count", 0)
        .leaf("active-external-prefix-count", 0)
        .leaf("accepted-external-prefix-count", 0)
        .leaf("suppressed-external-prefix-count", 0)
        .leaf("total-internal-prefix-count", peers.len() * 10)
        .leaf("active-internal-prefix-count", 0)
        .leaf("accepted-internal-prefix-count", peers.len() * 10)
        .leaf("suppressed-internal-prefix-count", 0)
        .leaf("pending-prefix-count", 0)
        .leaf("bgp-rib-state", "BGP restart is complete")
        .leaf("vpn-rib-state", "VPN restart is complete")
        .close("bgp-rib");
    for p in &peers {
        x.open_style("bgp-peer", "terse")
            .leaf("peer-address", p)
            .leaf("peer-as", spec.autonomous_system());
        if let Some(d) = peer_configured(config, *p, "description").first() {
            x.leaf("description", d);
        }
        x.leaf("input-messages", 3312)
            .leaf("output-messages", 3305)
            .leaf("route-queue-count", 0)
            .leaf("flap-count", 0)
            .leaf_attr("elapsed-time", "junos:seconds", 273_600, "3d 4:00:00")
            .leaf("peer-state", "Established")
            .open("bgp-rib")
            .leaf("name", "inet.0")
            .leaf("active-prefix-count", 0)
            .leaf("received-prefix-count", 10)
            .leaf("accepted-prefix-count", 10)
            .leaf("suppressed-prefix-count", 0)
            .close("bgp-rib")
            .close("bgp-peer");
    }
    x.done("bgp-information")
}

/// `get-bgp-neighbor-information`: each IBGP peer, established, in the detail Junos
/// gives (element order as Junos writes it). The configured description and import /
/// export policies of the peer (or its group) show.
pub(super) fn bgp_neighbors(
    spec: &DeviceSpec,
    config: &ConfigTree,
    only: Option<Ipv4Addr>,
) -> Pieces {
    let mut x = X::with_ns("bgp-information", "junos-routing", None);
    let (input_messages, output_messages) = (3312u64, 3305u64);
    for p in spec
        .bgp_peers()
        .into_iter()
        .filter(|p| only.is_none_or(|o| o == *p))
    {
        let configured = |leaf: &str| peer_configured(config, p, leaf);
        x.open_style("bgp-peer", "detail")
            .leaf("peer-address", format!("{p}+179"))
            .leaf("peer-as", spec.autonomous_system())
            .leaf("local-address", format!("{}+54321", spec.router_id()))
            .leaf("local-as", spec.autonomous_system());
        if let Some(d) = configured("description").first() {
            x.leaf("description", d);
        }
        x.leaf("peer-group", "ibgp")
            .leaf("peer-cfg-rti", "master")
            .leaf("peer-fwd-rti", "master")
            .leaf("peer-type", "Internal")
            .leaf("peer-state", "Established")
            .leaf("peer-flags", "Sync")
            .leaf("last-state", "OpenConfirm")
            .leaf("last-event", "RecvKeepAlive")
            .leaf("last-error", "None")
            .open("bgp-option-information")
            .leaf("export-policy", configured("export").join(" "));
        let import = configured("import");
        if !import.is_empty() {
            x.leaf("import-policy", import.join(" "));
        }
        x.leaf("bgp-options", "Preference LocalAddress Refresh")
            .leaf("bgp-options2", "")
            .leaf("bgp-options-extended", "")
            .leaf("address-families", "inet-unicast")
            .leaf("local-address", spec.router_id())
            .leaf("holdtime", 90)
            .leaf("preference", 170)
            .leaf("local-system-as", spec.autonomous_system())
            .close("bgp-option-information")
            .leaf("flap-count", 0)
            .leaf("last-flap-event", "RecvKeepAlive")
            .leaf("peer-id", p)
            .leaf("local-id", spec.router_id())
            .leaf("active-holdtime", 90)
            .leaf("keepalive-interval", 30)
            .leaf("group-index", 0)
            .leaf("peer-index", 0)
            .leaf("snmp-index", 0)
            .open("bgp-bfd")
            .leaf("bfd-configuration-state", "disabled")
            .leaf("bfd-operational-state", "down")
            .close("bgp-bfd")
            .leaf("peer-restart-nlri-configured", "inet-unicast")
            .leaf("nlri-type-peer", "inet-unicast")
            .leaf("nlri-type-session", "inet-unicast")
            .leaf("peer-refresh-capability", 2)
            .leaf("peer-stale-route-time-configured", 300)
            .flag("peer-no-restart")
            .leaf("peer-restart-nlri-negotiated", "inet-unicast")
            .leaf("peer-end-of-rib-received", "inet-unicast")
            .leaf("peer-end-of-rib-sent", "inet-unicast")
            .leaf("peer-end-of-rib-scheduled", "")
            .flag("peer-no-llgr-helper")
            .leaf(
                "peer-4byte-as-capability-advertised",
                spec.autonomous_system(),
            )
            .flag("peer-addpath-not-supported")
            .open_style("bgp-rib", "detail")
            .leaf("name", "inet.0")
            .leaf("rib-bit", "10000")
            .leaf("bgp-rib-state", "BGP restart is complete")
            .leaf("vpn-rib-state", "VPN restart is complete")
            .leaf("send-state", "in sync")
            .leaf("active-prefix-count", 0)
            .leaf("received-prefix-count", 10)
            .leaf("accepted-prefix-count", 10)
            .leaf("suppressed-prefix-count", 0)
            .leaf("advertised-prefix-count", 10)
            .close("bgp-rib")
            .leaf("last-received", 12)
            .leaf("last-sent", 8)
            .leaf("last-checked", 273_600)
            .leaf("input-messages", input_messages)
            .leaf("input-updates", 3)
            .leaf("input-refreshes", 0)
            .leaf("input-octets", input_messages * 19 + 3 * 60)
            .leaf("output-messages", output_messages)
            .leaf("output-updates", 2)
            .leaf("output-refreshes", 0)
            .leaf("output-octets", output_messages * 19 + 2 * 60)
            .open("bgp-output-queue")
            .leaf("number", 1)
            .leaf("count", 0)
            .leaf("table-name", "inet.0")
            .leaf("rib-adv-nlri", "inet-unicast")
            .close("bgp-output-queue")
            .open("bgp-peer-iosession")
            .leaf("iosession-thread-name", "bgpio-0-th")
            .leaf("iosession-state", "Enabled")
            .close("bgp-peer-iosession")
            .close("bgp-peer");
    }
    x.done("bgp-information")
}

fn route_entry_xml(s: &mut String, r: &Route, style: &str) {
    // Brief and terse replies write `10.0.14.0/24`; detail and extensive ones the bare
    // address and the length apart (NAPALM's get_route_to joins the two).
    let _ = if style == "detail" {
        write!(
            s,
            "<rt junos:style=\"{style}\">\n<rt-destination>{}</rt-destination>\n<rt-prefix-length junos:emit=\"emit\">{}</rt-prefix-length>\n",
            r.prefix, r.len
        )
    } else {
        write!(
            s,
            "<rt junos:style=\"{style}\">\n<rt-destination>{}/{}</rt-destination>\n",
            r.prefix, r.len
        )
    };
    let _ = write!(s, "<rt-entry>\n<active-tag>*</active-tag>\n<current-active/>\n<last-active/>\n<protocol-name>{}</protocol-name>\n<preference>{}</preference>\n<age junos:seconds=\"{}\">{}</age>\n<metric>{}</metric>\n<nh>\n<selected-next-hop/>\n{}<via>{}</via>\n</nh>\n",
        r.protocol, r.preference, r.age_s, fmt_age(r.age_s), r.metric,
        if r.next_hop.is_unspecified() { String::new() } else { format!("<to>{}</to>\n", r.next_hop) }, r.via);
    if style == "detail" {
        let _ = write!(s, "<rt-entry-state>Active Int Ext</rt-entry-state>\n<task-name>{}</task-name>\n<announce-bits>2</announce-bits>\n<announce-tasks>0-KRT 2-Resolve tree 1</announce-tasks>\n<validation-state>unverified</validation-state>\n<as-path>I</as-path>\n", r.protocol);
    }
    s.push_str("</rt-entry>\n</rt>\n");
}

/// `get-route-information`: one destination or the whole table (streamed), filtered by
/// table and protocol, in the style its level asks for.
pub(super) fn route_xml(spec: &DeviceSpec, route: &Show) -> Pieces {
    let Show::Route {
        dest,
        extensive,
        table,
        protocol,
        terse,
    } = route.clone()
    else {
        return one(String::new());
    };
    let style = match (terse, extensive) {
        (true, _) => "terse",
        (_, true) => "detail",
        _ => "brief",
    };
    let open = format!("<route-information xmlns=\"{NS}/junos-routing\">\n");
    if !table_matches(&table) {
        return one(open + "</route-information>\n");
    }
    let head = |n: usize| {
        format!(
            "<route-table>\n<table-name>inet.0</table-name>\n<destination-count>{n}</destination-count>\n<total-route-count>{n}</total-route-count>\n<active-route-count>{n}</active-route-count>\n<holddown-route-count>0</holddown-route-count>\n<hidden-route-count>0</hidden-route-count>\n"
        )
    };
    let close = "</route-table>\n</route-information>\n".to_string();
    match dest {
        Some(d) => {
            let routes: Vec<Route> = spec
                .lookup(d)
                .into_iter()
                .filter(|r| proto_matches(r, &protocol))
                .collect();
            let mut s = open + &head(routes.len());
            for r in &routes {
                route_entry_xml(&mut s, r, style);
            }
            s.push_str(&close);
            one(s)
        }
        None => {
            let spec = spec.clone();
            let n = spec.route_count;
            let total = spec.route_count as usize;
            Box::new(
                std::iter::once(open + &head(total))
                    .chain((0..n).step_by(500).map(move |start| {
                        let mut s = String::with_capacity(500 * 300);
                        for i in start..(start + 500).min(n) {
                            let r = spec.synthetic_route(i);
                            if proto_matches(&r, &protocol) {
                                route_entry_xml(&mut s, &r, style);
                            }
                        }
                        s
                    }))
                    .chain(std::iter::once(close)),
            )
        }
    }
}
