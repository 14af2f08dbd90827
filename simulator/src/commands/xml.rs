//! Commands rendered as the XML Junos returns for their RPCs.

use std::fmt::Write as _;
use std::net::Ipv4Addr;

use super::{config_at, fmt_age, fmt_dur, nh, now_str, one, unix_now, uptime, Pieces, Show};
use crate::spec::{DeviceSpec, Route};
use crate::state::DeviceState;

/// Render a command as the XML Junos returns for its RPC (the reply's children).
pub fn render_xml(show: &Show, spec: &DeviceSpec, state: &DeviceState) -> Pieces {
    match show {
        Show::Version => one(format!(
            "<software-information>\n<host-name>{}</host-name>\n<product-model>{}</product-model>\n<product-name>{}</product-name>\n<junos-version>{}</junos-version>\n<package-information>\n<name>junos</name>\n<comment>JUNOS Software Release [{}]</comment>\n</package-information>\n</software-information>\n",
            spec.hostname, spec.model, spec.model, spec.version, spec.version
        )),
        Show::InterfacesTerse => {
            let mut s = String::from("<interface-information xmlns=\"http://xml.juniper.net/junos/21.4R0/junos-interface\" junos:style=\"terse\">\n");
            for i in spec.interfaces() {
                let link = if i.up { "up" } else { "down" };
                let _ = write!(s, "<physical-interface>\n<name>{}</name>\n<admin-status>up</admin-status>\n<oper-status>{link}</oper-status>\n<logical-interface>\n<name>{}.0</name>\n<admin-status>up</admin-status>\n<oper-status>{link}</oper-status>\n<address-family>\n<address-family-name>inet</address-family-name>\n<interface-address>\n<ifa-local>{}/{}</ifa-local>\n</interface-address>\n</address-family>\n</logical-interface>\n</physical-interface>\n", i.name, i.name, i.address, i.prefix_len);
            }
            s.push_str("</interface-information>\n");
            one(s)
        }
        Show::SystemUptime => {
            let up = uptime(state);
            one(format!("<system-uptime-information xmlns=\"http://xml.juniper.net/junos/21.4R0/junos\">\n<current-time>\n<date-time junos:seconds=\"{}\">{}</date-time>\n</current-time>\n<uptime-information>\n<up-time junos:seconds=\"{up}\">{}</up-time>\n<active-user-count>{}</active-user-count>\n</uptime-information>\n</system-uptime-information>\n",
                unix_now(), now_str(), fmt_dur(up), state.sessions.len()))
        }
        Show::SystemInformation => one(format!(
            "<system-information>\n<hardware-model>{}</hardware-model>\n<os-name>junos</os-name>\n<os-version>{}</os-version>\n<serial-number>{}</serial-number>\n<host-name>{}</host-name>\n</system-information>\n",
            spec.model, spec.version, spec.serial, spec.hostname
        )),
        Show::SystemUsers => {
            let mut s = format!("<system-users-information xmlns=\"http://xml.juniper.net/junos/21.4R0/junos\">\n<uptime-information>\n<active-user-count>{}</active-user-count>\n<user-table>\n", state.sessions.len());
            for (id, (user, client, _)) in &state.sessions {
                let _ = write!(s, "<user-entry>\n<user>{user}</user>\n<tty>pts/{id}</tty>\n<from>127.0.0.1</from>\n<command>{client}</command>\n</user-entry>\n");
            }
            s.push_str("</user-table>\n</uptime-information>\n</system-users-information>\n");
            one(s)
        }
        Show::RouteSummary => one(format!(
            "<route-summary-information xmlns=\"http://xml.juniper.net/junos/21.4R0/junos-routing\">\n<as-number>64512</as-number>\n<router-id>{}</router-id>\n<route-table>\n<table-name>inet.0</table-name>\n<destination-count>{}</destination-count>\n<total-route-count>{}</total-route-count>\n</route-table>\n</route-summary-information>\n",
            spec.router_id(), spec.route_count + 8, spec.route_count + 8
        )),
        Show::ChassisHardware => one(format!(
            "<chassis-inventory xmlns=\"http://xml.juniper.net/junos/21.4R0/junos-chassis\">\n<chassis junos:style=\"inventory\">\n<name>Chassis</name>\n<serial-number>{}</serial-number>\n<description>VMX</description>\n<chassis-module>\n<name>Midplane</name>\n</chassis-module>\n<chassis-module>\n<name>Routing Engine 0</name>\n<description>RE-VMX</description>\n</chassis-module>\n<chassis-module>\n<name>FPC 0</name>\n<description>Virtual FPC</description>\n</chassis-module>\n</chassis>\n</chassis-inventory>\n",
            spec.serial
        )),
        Show::RouteEngine => one(format!(
            "<route-engine-information xmlns=\"http://xml.juniper.net/junos/21.4R0/junos-chassis\">\n<route-engine>\n<slot>0</slot>\n<mastership-state>master</mastership-state>\n<status>OK</status>\n<model>RE-VMX</model>\n<up-time junos:seconds=\"{}\">{}</up-time>\n<last-reboot-reason>Router rebooted after a normal shutdown.</last-reboot-reason>\n</route-engine>\n</route-engine-information>\n",
            uptime(state), fmt_dur(uptime(state))
        )),
        Show::OspfInterface => {
            let mut s = String::from("<ospf-interface-information xmlns=\"http://xml.juniper.net/junos/21.4R0/junos-routing\">\n");
            for i in spec.interfaces().iter().filter(|i| i.up) {
                let _ = write!(s, "<ospf-interface>\n<interface-name>{}.0</interface-name>\n<ospf-interface-state>PtToPt</ospf-interface-state>\n<ospf-area>0.0.0.0</ospf-area>\n<neighbor-count>1</neighbor-count>\n</ospf-interface>\n", i.name);
            }
            s.push_str("</ospf-interface-information>\n");
            one(s)
        }
        Show::OspfDatabase => {
            let mut s = String::from("<ospf-database-information xmlns=\"http://xml.juniper.net/junos/21.4R0/junos-routing\">\n<ospf-area-header>\n<ospf-area>0.0.0.0</ospf-area>\n</ospf-area-header>\n");
            let ifaces = spec.interfaces();
            let ids = std::iter::once(spec.router_id()).chain(ifaces.iter().filter(|i| i.up).map(|i| i.neighbor_id));
            for id in ids {
                let _ = write!(s, "<ospf-database>\n<lsa-type>Router</lsa-type>\n<lsa-id>{id}</lsa-id>\n<advertising-router>{id}</advertising-router>\n<sequence-number>0x80000a3c</sequence-number>\n<age>412</age>\n</ospf-database>\n");
            }
            s.push_str("</ospf-database-information>\n");
            one(s)
        }
        Show::OspfNeighbor => {
            let mut s = String::from("<ospf-neighbor-information xmlns=\"http://xml.juniper.net/junos/21.4R0/junos-routing\">\n");
            for i in spec.interfaces().iter().filter(|i| i.up) {
                let _ = write!(s, "<ospf-neighbor>\n<neighbor-address>{}</neighbor-address>\n<interface-name>{}.0</interface-name>\n<ospf-neighbor-state>Full</ospf-neighbor-state>\n<neighbor-id>{}</neighbor-id>\n<neighbor-priority>128</neighbor-priority>\n<activity-timer>36</activity-timer>\n</ospf-neighbor>\n", i.neighbor, i.name, i.neighbor_id);
            }
            s.push_str("</ospf-neighbor-information>\n");
            one(s)
        }
        Show::Route { dest, extensive } => route_xml(spec, *dest, *extensive),
        Show::ForwardingTable { dest } => {
            let mut s = String::from("<forwarding-table-information xmlns=\"http://xml.juniper.net/junos/21.4R0/junos-routing\">\n<route-table>\n<table-name>default</table-name>\n<address-family>Internet</address-family>\n");
            for r in spec.lookup(dest.unwrap_or(Ipv4Addr::new(10, 0, 14, 1))) {
                let _ = write!(s, "<rt-entry>\n<rt-destination>{}/{}</rt-destination>\n<destination-type>user</destination-type>\n<nh>\n<to>{}</to>\n<nh-type>unicast</nh-type>\n<nh-index>589</nh-index>\n<via>{}</via>\n</nh>\n</rt-entry>\n", r.prefix, r.len, nh(&r), r.via);
            }
            s.push_str("</route-table>\n</forwarding-table-information>\n");
            one(s)
        }
        Show::Configuration(path) => one(format!(
            "<configuration junos:commit-seconds=\"{}\">\n{}\n</configuration>\n",
            unix_now(),
            config_at(state, path).to_xml()
        )),
    }
}

fn route_entry_xml(s: &mut String, r: &Route, extensive: bool) {
    let _ = write!(s, "<rt junos:style=\"{}\">\n<rt-destination>{}/{}</rt-destination>\n<rt-entry>\n<active-tag>*</active-tag>\n<protocol-name>{}</protocol-name>\n<preference>{}</preference>\n<age junos:seconds=\"{}\">{}</age>\n<metric>{}</metric>\n<nh>\n<selected-next-hop/>\n{}<via>{}</via>\n</nh>\n",
        if extensive { "detail" } else { "brief" }, r.prefix, r.len, r.protocol, r.preference, r.age_s, fmt_age(r.age_s), r.metric,
        if r.next_hop.is_unspecified() { String::new() } else { format!("<to>{}</to>\n", r.next_hop) }, r.via);
    if extensive {
        let _ = write!(s, "<rt-entry-state>Active Int Ext</rt-entry-state>\n<task-name>{}</task-name>\n<validation-state>unverified</validation-state>\n<as-path>I</as-path>\n", r.protocol);
    }
    s.push_str("</rt-entry>\n</rt>\n");
}

fn route_xml(spec: &DeviceSpec, dest: Option<Ipv4Addr>, extensive: bool) -> Pieces {
    let open = "<route-information xmlns=\"http://xml.juniper.net/junos/21.4R0/junos-routing\">\n<route-table>\n<table-name>inet.0</table-name>\n".to_string();
    let close = "</route-table>\n</route-information>\n".to_string();
    match dest {
        Some(d) => {
            let mut s = open;
            for r in spec.lookup(d) {
                route_entry_xml(&mut s, &r, extensive);
            }
            s.push_str(&close);
            one(s)
        }
        None => {
            let spec = spec.clone();
            let n = spec.route_count;
            Box::new(
                std::iter::once(open)
                    .chain((0..n).step_by(500).map(move |start| {
                        let mut s = String::with_capacity(500 * 300);
                        for i in start..(start + 500).min(n) {
                            route_entry_xml(&mut s, &spec.synthetic_route(i), extensive);
                        }
                        s
                    }))
                    .chain(std::iter::once(close)),
            )
        }
    }
}
