//! Commands rendered as the Junos CLI prints them.

use std::fmt::Write as _;
use std::net::Ipv4Addr;

use super::xml::chassis;
use super::{
    fmt_age, fmt_dur, nh, now_str, one, proto_matches, route_total, table_matches, uptime, Level,
    Pieces, Show,
};
use crate::spec::{glob_match, DeviceSpec, Route};
use crate::state::DeviceState;

/// Render a command as text.
pub fn render_text(show: &Show, spec: &DeviceSpec, state: &DeviceState) -> Pieces {
    match show {
        Show::Version => one(format!(
            "Hostname: {}\nModel: {}\nJunos: {}\nJUNOS OS Kernel 64-bit  [20230321.a5b9d7f_builder_stable_12]\nJUNOS OS libs [20230321.a5b9d7f_builder_stable_12]\nJUNOS OS runtime [20230321.a5b9d7f_builder_stable_12]\nJUNOS Packet Forwarding Engine Simulation Package [{}]\nJUNOS py base [{}]\nJUNOS Routing Software Suite [{}]\n",
            state.host_name(spec), spec.model, spec.version, spec.version, spec.version, spec.version
        )),
        Show::Interfaces { name, level } => interfaces_text(spec, name.as_deref(), *level),
        Show::SystemUptime => {
            let up = uptime(state);
            one(format!(
                "Current time: {}\nSystem booted: {} ({} ago)\nProtocols started: {} ({} ago)\nLast configured: {} by lab\n{}  up {}, {} users, load averages: 0.21, 0.18, 0.16\n",
                now_str(), "2026-11-18 18:33:12 UTC", fmt_dur(up), "2026-11-18 18:35:40 UTC", fmt_dur(up.saturating_sub(148)),
                "2026-11-18 18:40:02 UTC", "10:37PM", fmt_dur(up), state.sessions.len()
            ))
        }
        Show::SystemInformation => one(format!(
            "Model: {}\nFamily: junos\nJunos: {}\nHostname: {}\n",
            spec.model, spec.version, state.host_name(spec)
        )),
        Show::SystemUsers => {
            let mut s = format!(
                "{}  up {}, {} users, load averages: 0.21, 0.18, 0.16\nUSER     TTY      FROM                              LOGIN@  IDLE WHAT\n",
                "10:37PM", fmt_dur(uptime(state)), state.sessions.len()
            );
            for (id, (user, client, _)) in &state.sessions {
                let _ = writeln!(s, "{user:<8} pts/{id:<4} 127.0.0.1                         10:37PM     - {client}");
            }
            one(s)
        }
        Show::RouteSummary => {
            let total = route_total(spec);
            one(format!(
                "Autonomous system number: 64512\nRouter ID: {}\n\ninet.0: {total} destinations, {total} routes ({total} active, 0 holddown, 0 hidden)\n              Direct:      4 routes,      4 active\n               Local:      4 routes,      4 active\n                OSPF: {:>6} routes, {:>6} active\n",
                spec.router_id(), spec.route_count, spec.route_count
            ))
        }
        Show::ChassisHardware => one(format!(
            "Hardware inventory:\nItem             Version  Part number  Serial number     Description\nChassis                                {:<18}VMX\nMidplane\nRouting Engine 0                                         RE-VMX\nCB 0                                                      VMX SCB\nFPC 0                                                     Virtual FPC\n  CPU            Rev. 1.0 RIOT-LITE    BUILTIN\n  MIC 0                                                   Virtual\n    PIC 0                 BUILTIN      BUILTIN           Virtual\n",
            spec.serial
        )),
        Show::RouteEngine => one(format!(
            "Routing Engine status:\n    Slot 0:\n    Current state                  Master\n    Model                          RE-VMX\n    Uptime                         {}\n    Last reboot reason             Router rebooted after a normal shutdown.\n",
            fmt_dur(uptime(state))
        )),
        Show::OspfInterface => {
            let mut s = String::from("Interface           State   Area            DR ID           BDR ID          Nbrs\n");
            for i in spec.interfaces().iter().filter(|i| i.up) {
                let _ = writeln!(s, "{:<20}PtToPt  0.0.0.0         0.0.0.0         0.0.0.0            1", format!("{}.0", i.name));
            }
            let _ = writeln!(s, "{:<20}DRother 0.0.0.0         0.0.0.0         0.0.0.0            0", "lo0.0");
            one(s)
        }
        Show::OspfDatabase => {
            let mut s = String::from("\n    OSPF database, Area 0.0.0.0\n Type       ID               Adv Rtr           Seq      Age  Opt  Cksum  Len\n");
            let _ = writeln!(s, "Router  *{:<17}{:<17}0x80000a3c   412  0x22 0x5d2a  84", spec.router_id(), spec.router_id());
            for i in spec.interfaces().iter().filter(|i| i.up) {
                let _ = writeln!(s, "Router   {:<17}{:<17}0x80000b11  1203  0x22 0x8f10  84", i.neighbor_id, i.neighbor_id);
            }
            one(s)
        }
        Show::OspfOverview => {
            let up = spec.interfaces().iter().filter(|i| i.up).count();
            one(format!(
                "Instance: master\n  Router ID: {}\n  Route table index: 0\n  LSA refresh time: 50 minutes\n  Area: 0.0.0.0\n    Stub type: Not Stub\n    Authentication Type: None\n    Area border routers: 0, AS boundary routers: 0\n    Neighbors\n      Up (in full state): {up}\n  Topology: default (ID 0)\n    Full SPF runs: 4\n",
                spec.router_id()
            ))
        }
        Show::ChassisFpc => {
            let mut s = String::from("                     Temp  CPU Utilization (%)   CPU Utilization (%)  Memory    Utilization (%)\nSlot State            (C)  Total  Interrupt      1min   5min   15min  DRAM (MB) Heap     Buffer\n  0  Online           37      6          0        6      5      5    2048       22          0\n");
            for slot in 1..12 {
                let _ = writeln!(s, "{slot:>3}  Empty");
            }
            one(s)
        }
        Show::OspfNeighbor => {
            let mut s = String::from("Address          Interface              State           ID               Pri  Dead\n");
            for i in spec.interfaces().iter().filter(|i| i.up) {
                let _ = writeln!(s, "{:<17}{:<23}Full            {:<17}128    36", i.neighbor, format!("{}.0", i.name), i.neighbor_id);
            }
            one(s)
        }
        Show::Route {
            dest,
            extensive,
            table,
            protocol,
            ..
        } => {
            if !table_matches(table) {
                return one(String::new());
            }
            route_text(spec, *dest, *extensive, protocol.clone())
        }
        Show::SystemMemory => one("System memory usage distribution:\n        Total memory: 4057576 Kbytes (100%)\n     Reserved memory:       0 Kbytes (  0%)\n        Wired memory: 1112084 Kbytes ( 27%)\n       Active memory: 1392740 Kbytes ( 34%)\n     Inactive memory:  410584 Kbytes ( 10%)\n         Free memory: 1142168 Kbytes ( 28%)\n".into()),
        Show::SystemAlarms => one("No alarms currently active\n".into()),
        Show::SystemStorage => {
            let mut s = String::from("Filesystem              Size       Used      Avail  Capacity   Mounted on\n");
            for (fs, total, used, mount) in super::xml::STORAGE {
                let _ = writeln!(s, "{fs:<22}{:>6}M {:>9}M {:>9}M {:>8}%  {mount}", total / 1024, used / 1024, (total - used) / 1024, used * 100 / total);
            }
            one(s)
        }
        Show::ChassisAlarms => one(format!("1 alarms currently active\nAlarm time               Class  Description\n{}  Minor  fxp0: Ethernet Link Down\n", now_str())),
        Show::LldpNeighbors => {
            let mut s = String::from("Local Interface    Parent Interface    Chassis Id          Port info          System Name\n");
            for (k, i) in spec.interfaces().iter().filter(|i| i.up).enumerate() {
                let _ = writeln!(s, "{:<19}{:<20}56:68:a{}:00:{:02x}:00   {:<19}r{}", i.name, "-", (spec.index + 1) % 10, k, i.name, spec.index + 2);
            }
            one(s)
        }
        Show::BfdSessions => {
            let mut s = String::from("                                                  Detect   Transmit\nAddress                  State     Interface      Time     Interval  Multiplier\n");
            let up: Vec<_> = spec.interfaces().into_iter().filter(|i| i.up).collect();
            for i in &up {
                let _ = writeln!(s, "{:<25}Up        {:<15}0.900     0.300        3", i.neighbor, format!("{}.0", i.name));
            }
            let _ = writeln!(s, "\n{} sessions, {} clients\nCumulative transmit rate {:.1} pps, cumulative receive rate {:.1} pps", up.len(), up.len(), up.len() as f64 * 3.3, up.len() as f64 * 3.3);
            one(s)
        }
        Show::Arp { expiration } => {
            let tte = |k: usize| if *expiration { format!("  {}", super::xml::arp_time_to_expire(spec, k)) } else { String::new() };
            let mut s = format!("MAC Address       Address         Interface                Flags{}\n", if *expiration { "    TTE" } else { "" });
            let mut n = 0;
            for (k, i) in spec.interfaces().iter().filter(|i| i.up).enumerate() {
                let _ = writeln!(s, "56:68:a{}:00:{:02x}:01 {:<16}{:<25}none{}", (spec.index + 1) % 10, k, i.neighbor, format!("{}.0", i.name), tte(k));
                n += 1;
            }
            let _ = writeln!(s, "56:68:a0:ff:ff:fe {:<16}{:<25}none{}\nTotal entries: {}", "192.168.255.254", "fxp0.0", tte(n), n + 1);
            one(s)
        }
        Show::BgpSummary => {
            let peers = spec.bgp_peers();
            let mut s = format!("Threading mode: BGP I/O\nGroups: 1 Peers: {} Down peers: 0\nTable          Tot Paths  Act Paths Suppressed    History Damp State    Pending\ninet.0\n                      {:>4}          0          0          0          0          0\nPeer                     AS      InPkt     OutPkt    OutQ   Flaps Last Up/Dwn State|#Active/Received/Accepted/Damped...\n", peers.len(), peers.len() * 10);
            for p in &peers {
                let _ = writeln!(s, "{:<20}{:>8}       3312       3305       0       0  3d 4:00:00 Establ\n  inet.0: 0/10/10/0", p, spec.autonomous_system());
            }
            one(s)
        }
        Show::BgpNeighbor(only) => {
            let mut s = String::new();
            for p in spec.bgp_peers().into_iter().filter(|p| only.is_none_or(|o| o == *p)) {
                let _ = writeln!(s, "Peer: {p}+179 AS {as_}    Local: {}+54321 AS {as_}\n  Group: ibgp                  Routing-Instance: master\n  Type: Internal    State: Established    Flags: <Sync>\n  Last State: OpenConfirm   Last Event: RecvKeepAlive\n  Last Error: None\n  Peer ID: {p}    Local ID: {}    Active Holdtime: 90\n", spec.router_id(), spec.router_id(), as_ = spec.autonomous_system());
            }
            one(s)
        }
        Show::ForwardingTable { dest } => {
            let mut s = String::from("Routing table: default.inet\nInternet:\nDestination        Type RtRef Next hop           Type Index    NhRef Netif\n");
            let routes = match dest {
                Some(d) => spec.lookup(*d),
                None => spec.lookup(Ipv4Addr::new(10, 0, 14, 1)),
            };
            for r in routes {
                let _ = writeln!(s, "{:<19}user     0 {:<18} ucst      589     5 {}", format!("{}/{}", r.prefix, r.len), nh(&r), r.via);
            }
            one(s)
        }
        Show::Configuration(path) => one(super::configuration_text(state, path, &[])),
        Show::ChassisEnvironment => one(chassis::environment_text()),
        Show::TemperatureThresholds => one(
            "                           Fan speed      Yellow alarm      Red alarm      Fire Shutdown\n                          (degrees C)      (degrees C)      (degrees C)     (degrees C)\nItem                     Normal  High   Normal  Bad fan   Normal  Bad fan     Normal\n"
                .to_string()
                + &chassis::SENSORS
                    .iter()
                    .map(|(n, _, y, r)| format!("{n:<25}   48    54       {y}      {y}       {r}      {r}        {}\n", r + 2))
                    .collect::<String>(),
        ),
        Show::PowerUsage => one("PEM 0:\n  State:      Online\n  Capacity:   1600 W (maximum 1600 W)\n  DC output:  180 W (zone 0, 15 A at 12 V, 11% of capacity)\n".into()),
        Show::RouteInstance => one(chassis::instance_text(state, route_total(spec))),
        Show::BridgeMacTable { count: true } => one("0 MAC address learned in routing instance default-switch bridge domain __all_bds__\n".into()),
        Show::BridgeMacTable { count: false } => one(String::new()),
        Show::Ipv6Neighbors => one(super::xml::ipv6_nd_text(spec, &state.running)),
        Show::SystemCommit => one(chassis::commit_text(state)),
        Show::LldpDetail { interface } => one(format!(
            "LLDP Neighbor Information:\nLocal Information:\nIndex: 1 Time to live: 120 Time mark: 0 Age: 12 secs\nLocal Interface    : {}\n",
            interface.as_deref().unwrap_or("-")
        )),
        Show::Optics | Show::ProbeResults | Show::BridgeInstances => one(String::new()),
        Show::NtpAssociations => one(chassis::ntp_associations(state)),
        Show::Ping { host, count } => {
            let mut s = format!("PING {host} ({host}): 56 data bytes\n");
            let reachable = !spec.lookup(*host).is_empty();
            if reachable {
                for n in 0..*count {
                    let _ = writeln!(s, "64 bytes from {host}: icmp_seq={n} ttl=64 time=1.{:03} ms", 20 + n * 43 % 500);
                }
            }
            let got = if reachable { *count } else { 0 };
            let loss = if reachable { 0 } else { 100 };
            let _ = writeln!(s, "\n--- {host} ping statistics ---\n{count} packets transmitted, {got} packets received, {loss}% packet loss");
            if reachable {
                s.push_str("round-trip min/avg/max/stddev = 1.020/1.235/1.450/0.215 ms\n");
            }
            one(s)
        }
        Show::Traceroute { host } => {
            let mut s = format!("traceroute to {host} ({host}), 30 hops max, 52 byte packets\n");
            if !spec.lookup(*host).is_empty() {
                let _ = writeln!(s, " 1  {host} ({host})  1.020 ms  1.450 ms  1.180 ms");
            }
            one(s)
        }
        Show::Joint(joint) => joint.render(spec, state, false),
    }
}

fn route_line(s: &mut String, r: &Route, extensive: bool) {
    let _ = writeln!(
        s,
        "{:<19}*[{}/{}] {}, metric {}\n                    >  {} via {}",
        format!("{}/{}", r.prefix, r.len),
        r.protocol,
        r.preference,
        fmt_age(r.age_s),
        r.metric,
        if r.next_hop.is_unspecified() {
            String::new()
        } else {
            format!("to {}", r.next_hop)
        },
        r.via
    );
    if extensive {
        let _ = writeln!(
            s,
            "        TSI:\n        KRT in-kernel {}/{} -> {{{}}}\n        *{}    Preference: {}\n                Next hop type: Router, Next hop index: 589\n                Address: 0x7a3c1f4\n                Next-hop reference count: 5\n                Next hop: {} via {}, selected\n                State: <Active Int Ext>\n                Age: {}      Metric: {}\n                Validation State: unverified\n                Task: {}\n                Announcement bits (2): 0-KRT 2-Resolve tree 1\n                AS path: I",
            r.prefix, r.len, r.via, r.protocol, r.preference, nh(r), r.via, fmt_age(r.age_s), r.metric, r.protocol
        );
    }
}

fn route_text(
    spec: &DeviceSpec,
    dest: Option<Ipv4Addr>,
    extensive: bool,
    protocol: Option<String>,
) -> Pieces {
    let header = "\ninet.0: routes (active, holddown, hidden)\n+ = Active Route, - = Last Active, * = Both\n\n".to_string();
    match dest {
        Some(d) => {
            let mut s = header;
            for r in spec
                .lookup(d)
                .iter()
                .filter(|r| proto_matches(r, &protocol))
            {
                route_line(&mut s, r, extensive);
            }
            one(s)
        }
        None => {
            let spec = spec.clone();
            let n = spec.route_count;
            Box::new(
                std::iter::once(header).chain((0..n).step_by(500).map(move |start| {
                    let mut s = String::with_capacity(500 * 120);
                    for i in start..(start + 500).min(n) {
                        let r = spec.synthetic_route(i);
                        if proto_matches(&r, &protocol) {
                            route_line(&mut s, &r, extensive);
                        }
                    }
                    s
                })),
            )
        }
    }
}

/// `show interfaces` as text: the terse table, or a block per interface.
fn interfaces_text(spec: &DeviceSpec, pattern: Option<&str>, level: Level) -> Pieces {
    let ports: Vec<_> = spec
        .ports()
        .into_iter()
        .filter(|p| {
            pattern.is_none_or(|pat| {
                glob_match(pat, &p.name) || glob_match(pat, &format!("{}.0", p.name))
            })
        })
        .collect();
    let mut s = String::new();
    if level == Level::Terse {
        s.push_str("Interface               Admin Link Proto    Local                 Remote\n");
        for p in &ports {
            let link = if p.up { "up" } else { "down" };
            let _ = writeln!(s, "{:<24}up    {link:<4}", p.name);
            let _ = writeln!(
                s,
                "{:<24}up    {link:<4} inet     {}/{}",
                format!("{}.0", p.name),
                p.address,
                p.prefix_len
            );
        }
        return one(s);
    }
    for p in &ports {
        let link = if p.up { "Up" } else { "Down" };
        let _ = writeln!(s, "Physical interface: {}, Enabled, Physical link is {link}\n  Interface index: {}, SNMP ifIndex: {}\n  Link-level type: {}, MTU: {}, Speed: {}\n  Current address: {}, Hardware address: {}\n  Last flapped   : 2026-11-18 18:35:40 UTC (3d 04:02 ago)\n  Input rate     : 2112 bps (3 pps)\n  Output rate    : 1984 bps (3 pps)\n\n  Logical interface {}.0 (Index {}) (SNMP ifIndex {})\n    Flags: Up SNMP-Traps 0x4004000 Encapsulation: ENET2\n    Input packets : {}\n    Output packets: {}\n    Protocol inet, MTU: 1500\n      Flags: Sendbcast-pkt-to-re\n      Addresses, Flags: Is-Preferred Is-Primary\n        Destination: {}/{}, Local: {}\n",
            p.name, p.local_index, p.snmp_index, p.link_level_type, p.mtu, p.speed, p.mac, p.mac,
            p.name, p.local_index + 185, p.snmp_index + 15, p.packets.0, p.packets.1,
            p.address, p.prefix_len, p.address);
    }
    one(s)
}
