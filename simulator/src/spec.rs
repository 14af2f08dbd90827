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
