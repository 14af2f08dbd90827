//! What a simulated device is: identity, interfaces and a synthetic route table, all
//! deterministic from a seed.

use std::net::Ipv4Addr;

/// What a device is: everything here is derived from `index` and `seed`.
#[derive(Debug, Clone)]
pub struct DeviceSpec {
    /// Position in the fleet (0-based).
    pub index: usize,
    /// Hostname, `r1`, `r2`, ...
    pub hostname: String,
    /// Chassis model.
    pub model: String,
    /// Junos version string.
    pub version: String,
    /// Chassis serial number.
    pub serial: String,
    /// Number of synthetic routes in inet.0 (besides connected and OSPF routes).
    pub route_count: u32,
    /// Seed that every generated value derives from.
    pub seed: u64,
}

impl DeviceSpec {
    /// The spec of device `index` of a fleet seeded with `seed`.
    pub fn new(index: usize, seed: u64, route_count: u32) -> Self {
        let h = mix(seed ^ (index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        Self {
            index,
            hostname: format!("r{}", index + 1),
            model: "vmx".into(),
            version: "21.4R3-S5.4".into(),
            serial: format!("VM{:011X}", h & 0xFF_FFFF_FFFF),
            route_count,
            seed: h,
        }
    }

    /// Router id / loopback address: `10.255.x.n`.
    pub fn router_id(&self) -> Ipv4Addr {
        Ipv4Addr::new(
            10,
            255,
            (self.index / 250) as u8,
            (self.index % 250 + 1) as u8,
        )
    }

    /// The IS-IS system id, written as Junos operators derive it from the loopback
    /// address (`10.255.0.1` -> `0102.5500.0001`).
    pub fn iso_system_id(&self) -> String {
        let digits: String = self
            .router_id()
            .octets()
            .iter()
            .map(|o| format!("{o:03}"))
            .collect();
        format!("{}.{}.{}", &digits[0..4], &digits[4..8], &digits[8..12])
    }

    /// The physical interfaces: (name, address, OSPF neighbor router id).
    pub fn interfaces(&self) -> Vec<Interface> {
        (0..4u8)
            .map(|i| {
                let net = 14 + i; // ge-0/0/0 is on 10.0.14.0/24, ge-0/0/1 on 10.0.15.0/24, ...
                Interface {
                    name: format!("ge-0/0/{i}"),
                    address: Ipv4Addr::new(10, 0, net, (self.index % 250 + 1) as u8),
                    prefix_len: 24,
                    neighbor: Ipv4Addr::new(10, 0, net, ((self.index + 1) % 250 + 1) as u8),
                    neighbor_id: Ipv4Addr::new(10, 255, 1, i + 1),
                    up: i < 3,
                }
            })
            .collect()
    }

    /// Synthetic route `i` of the table (deterministic, unique, all /24 or /32).
    pub fn synthetic_route(&self, i: u32) -> Route {
        // 100.64.0.0/10 and up: never overlaps the 10/8 lab addressing.
        let base: u32 = u32::from(Ipv4Addr::new(100, 64, 0, 0));
        let prefix = Ipv4Addr::from(base + (i << 8));
        let r = mix(self.seed ^ u64::from(i));
        let ifaces = self.interfaces();
        let via = &ifaces[(r % 3) as usize];
        Route {
            prefix,
            len: 24,
            protocol: if r.is_multiple_of(5) {
                "Static"
            } else {
                "OSPF"
            },
            preference: if r.is_multiple_of(5) { 5 } else { 10 },
            metric: (r >> 8) as u32 % 100 + 1,
            next_hop: via.neighbor,
            via: via.name.clone(),
            age_s: (r >> 20) % 900_000 + 60,
        }
    }

    /// Longest-prefix match in the table: connected, local, OSPF and synthetic routes.
    pub fn lookup(&self, dest: Ipv4Addr) -> Vec<Route> {
        let mut out = Vec::new();
        for ifc in self.interfaces().into_iter().filter(|i| i.up) {
            let mask = u32::MAX << (32 - ifc.prefix_len);
            if u32::from(dest) & mask == u32::from(ifc.address) & mask {
                out.push(Route {
                    prefix: Ipv4Addr::from(u32::from(ifc.address) & mask),
                    len: ifc.prefix_len,
                    protocol: "Direct",
                    preference: 0,
                    metric: 0,
                    next_hop: Ipv4Addr::UNSPECIFIED,
                    via: ifc.name.clone(),
                    age_s: 86_400 * 3 + 7,
                });
            }
        }
        let base = u32::from(Ipv4Addr::new(100, 64, 0, 0));
        let d = u32::from(dest);
        if d >= base {
            let i = (d - base) >> 8;
            if i < self.route_count {
                out.push(self.synthetic_route(i));
            }
        }
        out
    }
}

/// A port as `show interfaces` lists it: the ge ports, the loopback and the management
/// port, with what every level of the output needs.
#[derive(Debug, Clone)]
pub struct Port {
    /// `ge-0/0/0`, `lo0`, `fxp0`.
    pub name: String,
    /// Link state.
    pub up: bool,
    /// Its unit 0's address and prefix length.
    pub address: Ipv4Addr,
    /// Prefix length.
    pub prefix_len: u8,
    /// `Ethernet` or `Unspecified` (lo0).
    pub link_level_type: &'static str,
    /// SNMP ifIndex.
    pub snmp_index: u32,
    /// Kernel index.
    pub local_index: u32,
    /// MAC address (empty for lo0).
    pub mac: String,
    /// Speed as Junos prints it.
    pub speed: &'static str,
    /// MTU of the physical interface.
    pub mtu: &'static str,
    /// Packets in and out, deterministic from the seed.
    pub packets: (u64, u64),
}

impl DeviceSpec {
    /// Every port: ge-0/0/0..3, lo0, an unconnected xe-0/1/0, the internal em0 and the
    /// management fxp0.
    pub fn ports(&self) -> Vec<Port> {
        let mac = |i: u32| {
            format!(
                "56:68:a{}:{:02x}:{:02x}:{:02x}",
                self.index % 10,
                (self.seed >> 8) as u8,
                self.index as u8,
                i
            )
        };
        let traffic = |i: u32| {
            let r = mix(self.seed ^ (u64::from(i) << 32));
            (r % 9_000_000 + 100_000, (r >> 24) % 9_000_000 + 100_000)
        };
        let mut out: Vec<Port> = self
            .interfaces()
            .into_iter()
            .enumerate()
            .map(|(i, ifc)| Port {
                name: ifc.name,
                up: ifc.up,
                address: ifc.address,
                prefix_len: ifc.prefix_len,
                link_level_type: "Ethernet",
                snmp_index: 526 + i as u32,
                local_index: 148 + i as u32,
                mac: mac(i as u32 + 1),
                speed: "1000mbps",
                mtu: "1514",
                packets: traffic(i as u32),
            })
            .collect();
        out.push(Port {
            name: "lo0".into(),
            up: true,
            address: self.router_id(),
            prefix_len: 32,
            link_level_type: "Unspecified",
            snmp_index: 16,
            local_index: 6,
            mac: String::new(),
            speed: "Unspecified",
            mtu: "Unlimited",
            packets: traffic(16),
        });
        out.push(Port {
            name: "xe-0/1/0".into(),
            up: false,
            address: Ipv4Addr::new(10, 1, (self.index % 250) as u8, 1),
            prefix_len: 30,
            link_level_type: "Ethernet",
            snmp_index: 540,
            local_index: 160,
            mac: mac(9),
            speed: "10Gbps",
            mtu: "1514",
            packets: (0, 0),
        });
        out.push(Port {
            name: "em0".into(),
            up: true,
            address: Ipv4Addr::new(128, 0, 0, 1),
            prefix_len: 2,
            link_level_type: "Ethernet",
            snmp_index: 23,
            local_index: 8,
            mac: mac(10),
            speed: "1000mbps",
            mtu: "1514",
            packets: traffic(23),
        });
        out.push(Port {
            name: "fxp0".into(),
            up: true,
            address: self.management_address(),
            prefix_len: 24,
            link_level_type: "Ethernet",
            snmp_index: 1,
            local_index: 1,
            mac: mac(0),
            speed: "1000mbps",
            mtu: "1514",
            packets: traffic(1),
        });
        out
    }

    /// The management (fxp0) address: `192.168.255.n`.
    pub fn management_address(&self) -> Ipv4Addr {
        Ipv4Addr::new(192, 168, 255, (self.index % 250 + 1) as u8)
    }

    /// The autonomous system every simulated router is in.
    pub fn autonomous_system(&self) -> u32 {
        64512
    }

    /// iBGP peers: the router ids of the OSPF neighbors on the up links.
    pub fn bgp_peers(&self) -> Vec<Ipv4Addr> {
        self.interfaces()
            .iter()
            .filter(|i| i.up)
            .map(|i| i.neighbor_id)
            .collect()
    }
}

/// Whether `name` matches a Junos interface pattern, a shell glob: `*` matches any run
/// of characters, `?` one character, `[...]` one of a set (`[afgxe]`, ranges `[0-3]`,
/// `[!x]` or `[^x]` negated); anything else matches itself. PyEZ's `EthPortTable` asks
/// for `[afgxe][et]-*`, NAPALM for `[vmfgxe][mlet]*`.
pub fn glob_match(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    // Iterative matching with one backtrack point for the last `*`: linear in
    // practice, O(len(p) * len(n)) at worst, whatever the pattern.
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        let step = if pi < p.len() {
            match p[pi] {
                '*' => {
                    star = Some((pi, ni));
                    pi += 1;
                    continue;
                }
                '?' => Some(pi + 1),
                '[' => class(&p, pi, n[ni]),
                c if c == n[ni] => Some(pi + 1),
                _ => None,
            }
        } else {
            None
        };
        match step {
            Some(next) => {
                pi = next;
                ni += 1;
            }
            None => match star {
                Some((sp, sn)) => {
                    pi = sp + 1;
                    ni = sn + 1;
                    star = Some((sp, sn + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// Match `c` against the class starting at `p[at] == '['`: the index after the class
/// when it matches, `None` when it does not. An unclosed `[` is a literal `[`.
fn class(p: &[char], at: usize, c: char) -> Option<usize> {
    let Some(close) = p[at + 1..]
        .iter()
        .skip(1)
        .position(|&x| x == ']')
        .map(|i| at + 2 + i)
    else {
        return (c == '[').then_some(at + 1);
    };
    let mut body = &p[at + 1..close];
    let negated = matches!(body.first(), Some('!') | Some('^'));
    if negated {
        body = &body[1..];
    }
    let mut hit = false;
    let mut i = 0;
    while i < body.len() {
        if i + 2 < body.len() && body[i + 1] == '-' {
            hit |= body[i] <= c && c <= body[i + 2];
            i += 3;
        } else {
            hit |= body[i] == c;
            i += 1;
        }
    }
    (hit != negated).then_some(close + 1)
}

/// A physical interface with one IPv4 address and one OSPF neighbor.
#[derive(Debug, Clone)]
pub struct Interface {
    /// `ge-0/0/N`.
    pub name: String,
    /// Our address.
    pub address: Ipv4Addr,
    /// Prefix length.
    pub prefix_len: u8,
    /// Neighbor's address on this link.
    pub neighbor: Ipv4Addr,
    /// Neighbor's router id.
    pub neighbor_id: Ipv4Addr,
    /// Link state.
    pub up: bool,
}

/// One route of inet.0.
#[derive(Debug, Clone)]
pub struct Route {
    /// Destination prefix.
    pub prefix: Ipv4Addr,
    /// Prefix length.
    pub len: u8,
    /// Protocol name as Junos prints it.
    pub protocol: &'static str,
    /// Preference.
    pub preference: u32,
    /// Metric.
    pub metric: u32,
    /// Next-hop address (unspecified for Direct).
    pub next_hop: Ipv4Addr,
    /// Outgoing interface.
    pub via: String,
    /// Age in seconds.
    pub age_s: u64,
}

/// A 64-bit mixer (splitmix64), for deterministic values from a seed.
pub fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interface_patterns_match_as_junos_does() {
        for (p, n, m) in [
            ("ge-*", "ge-0/0/1", true),
            ("ge-0/0/*", "ge-0/0/3", true),
            ("ge-0/0/*", "xe-0/0/3", false),
            ("*", "lo0", true),
            ("ge-0/0/0", "ge-0/0/0", true),
            ("ge-0/0/0", "ge-0/0/01", false),
            ("*0", "lo0", true),
            ("g*0/*", "ge-0/0/2", true),
            ("[afgxe][et]-*", "ge-0/0/0", true),
            ("[afgxe][et]-*", "xe-0/1/0", true),
            ("[afgxe][et]-*", "lo0", false),
            ("[afgxe][et]-*", "em0", false),
            ("[vmfgxe][mlet]*", "em0", true),
            ("[vmfgxe][mlet]*", "lo0", false),
            ("[vmfgxe][mlet]*", "me0", true),
            ("[vmfgxe][mlet]*", "ge-0/0/3", true),
            ("ge-0/0/[0-1]", "ge-0/0/1", true),
            ("ge-0/0/[!0-1]", "ge-0/0/1", false),
            ("ge-0/0/?", "ge-0/0/2", true),
            ("ge-0/0/?", "ge-0/0/12", false),
            ("[ge", "[ge", true),
            (
                "*a*a*a*a*b",
                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                false,
            ),
        ] {
            assert_eq!(glob_match(p, n), m, "{p} {n}");
        }
    }
}
