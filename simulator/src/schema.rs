//! The part of the Junos configuration schema the simulator knows, used to refuse what
//! Junos refuses: an unknown statement at a level the schema describes is a `syntax
//! error` naming the word, as on a real router. Levels the table does not describe accept
//! any statement (the simulator is not the whole of Junos), but every statement is
//! bounded in length, and no word that ends up as an XML element name can carry markup.

/// The longest statement accepted, in words. Junos's own statements are far shorter;
/// the bound keeps every walk over the tree shallow whatever a client sends.
pub const MAX_WORDS: usize = 48;

/// How a keyword takes the words after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A container or a flag: its children follow (`system services`).
    Container,
    /// A named entry: one name follows, then the entry's own statements (`unit 0`).
    Named,
    /// Exactly one value follows, and nothing after it (`host-name r1`).
    Value,
}

use Kind::{Container as C, Named as N, Value as V};

/// A level of the schema (keywords joined by spaces, `*` for an entry's name) and the
/// statements allowed there.
const LEVELS: &[(&str, &[(&str, Kind)])] = &[
    (
        "",
        &[
            ("version", V),
            ("system", C),
            ("interfaces", C),
            ("protocols", C),
            ("routing-options", C),
            ("policy-options", C),
            ("firewall", C),
            ("snmp", C),
            ("chassis", C),
            ("security", C),
            ("routing-instances", C),
            ("groups", C),
            ("apply-groups", V),
            ("class-of-service", C),
            ("services", C),
            ("forwarding-options", C),
            ("event-options", C),
            ("vlans", C),
            ("bridge-domains", C),
            ("access", C),
            ("logical-systems", C),
            ("switch-options", C),
            ("applications", C),
        ],
    ),
    (
        "system",
        &[
            ("host-name", V),
            ("domain-name", V),
            ("domain-search", V),
            ("time-zone", V),
            ("location", C),
            ("contact", V),
            ("root-authentication", C),
            ("login", C),
            ("services", C),
            ("syslog", C),
            ("ntp", C),
            ("name-server", C),
            ("ports", C),
            ("archival", C),
            ("commit", C),
            ("max-configurations-on-flash", V),
            ("max-configuration-rollbacks", V),
            ("processes", C),
            ("scripts", C),
            ("static-host-mapping", C),
            ("radius-server", C),
            ("tacplus-server", C),
            ("authentication-order", V),
            ("internet-options", C),
            ("no-redirects", C),
            ("arp", C),
            ("backup-router", C),
            ("license", C),
            ("management-instance", C),
            ("configuration-database", C),
            ("extensions", C),
            ("accounting", C),
            ("dump-on-panic", C),
            ("no-ping-record-route", C),
            ("no-ping-time-stamp", C),
            ("default-address-selection", C),
        ],
    ),
    (
        "system root-authentication",
        &[
            ("encrypted-password", V),
            ("plain-text-password", C),
            ("ssh-rsa", V),
            ("ssh-ed25519", V),
            ("ssh-ecdsa", V),
        ],
    ),
    (
        "system login",
        &[
            ("user", N),
            ("class", N),
            ("message", V),
            ("announcement", V),
            ("idle-timeout", V),
            ("retry-options", C),
            ("password", C),
        ],
    ),
    (
        "system login user *",
        &[
            ("class", V),
            ("uid", V),
            ("full-name", V),
            ("authentication", C),
        ],
    ),
    (
        "system services",
        &[
            ("ssh", C),
            ("netconf", C),
            ("telnet", C),
            ("ftp", C),
            ("web-management", C),
            ("dhcp-local-server", C),
            ("rest", C),
            ("extension-service", C),
            ("outbound-ssh", C),
        ],
    ),
    (
        "system services netconf",
        &[
            ("ssh", C),
            ("rfc-compliant", C),
            ("yang-compliant", C),
            ("traceoptions", C),
            ("notification", C),
        ],
    ),
    (
        "interfaces",
        &[("interface-range", N), ("traceoptions", C), ("*", N)],
    ),
    (
        "interfaces *",
        &[
            ("description", V),
            ("unit", N),
            ("vlan-tagging", C),
            ("flexible-vlan-tagging", C),
            ("mtu", V),
            ("disable", C),
            ("encapsulation", V),
            ("gigether-options", C),
            ("ether-options", C),
            ("aggregated-ether-options", C),
            ("native-vlan-id", V),
            ("speed", V),
            ("link-mode", V),
            ("hold-time", C),
            ("enable", C),
            ("apply-groups", V),
            ("esi", C),
            ("per-unit-scheduler", C),
        ],
    ),
    (
        "interfaces * unit *",
        &[
            ("family", C),
            ("description", V),
            ("vlan-id", V),
            ("vlan-tags", C),
            ("disable", C),
            ("encapsulation", V),
            ("apply-groups", V),
        ],
    ),
    (
        "interfaces * unit * family",
        &[
            ("inet", C),
            ("inet6", C),
            ("mpls", C),
            ("iso", C),
            ("ethernet-switching", C),
            ("bridge", C),
            ("ccc", C),
            ("vpls", C),
        ],
    ),
    (
        "interfaces * unit * family inet",
        &[
            ("address", N),
            ("filter", C),
            ("mtu", V),
            ("dhcp", C),
            ("no-redirects", C),
            ("sampling", C),
            ("unnumbered-address", C),
        ],
    ),
    (
        "protocols",
        &[
            ("ospf", C),
            ("ospf3", C),
            ("bgp", C),
            ("isis", C),
            ("mpls", C),
            ("rsvp", C),
            ("ldp", C),
            ("lldp", C),
            ("lldp-med", C),
            ("bfd", C),
            ("pim", C),
            ("igmp", C),
            ("vrrp", C),
            ("rstp", C),
            ("mstp", C),
            ("vstp", C),
            ("l2circuit", C),
            ("evpn", C),
            ("router-advertisement", C),
            ("layer2-control", C),
            ("sflow", C),
            ("msdp", C),
            ("rip", C),
            ("ripng", C),
            ("oam", C),
            ("igmp-snooping", C),
            ("mld", C),
            ("neighbor-discovery", C),
            ("source-packet-routing", C),
        ],
    ),
    (
        "protocols ospf",
        &[
            ("area", N),
            ("reference-bandwidth", V),
            ("traceoptions", C),
            ("export", V),
            ("import", V),
            ("overload", C),
            ("disable", C),
            ("preference", V),
            ("external-preference", V),
            ("rib-group", C),
            ("graceful-restart", C),
            ("spf-options", C),
            ("no-rfc-1583", C),
        ],
    ),
    (
        "protocols ospf area *",
        &[
            ("interface", N),
            ("stub", C),
            ("nssa", C),
            ("area-range", N),
            ("authentication-type", V),
        ],
    ),
    (
        "protocols ospf area * interface *",
        &[
            ("passive", C),
            ("metric", V),
            ("interface-type", V),
            ("hello-interval", V),
            ("dead-interval", V),
            ("priority", V),
            ("authentication", C),
            ("bfd-liveness-detection", C),
            ("disable", C),
            ("ldp-synchronization", C),
            ("node-link-protection", C),
            ("link-protection", C),
        ],
    ),
    (
        "protocols bgp",
        &[
            ("group", N),
            ("local-as", C),
            ("traceoptions", C),
            ("log-updown", C),
            ("export", V),
            ("import", V),
            ("hold-time", V),
            ("family", C),
            ("graceful-restart", C),
            ("multipath", C),
            ("disable", C),
            ("precision-timers", C),
        ],
    ),
    (
        "protocols bgp group *",
        &[
            ("type", V),
            ("neighbor", N),
            ("peer-as", V),
            ("local-address", V),
            ("local-as", C),
            ("export", V),
            ("import", V),
            ("family", C),
            ("description", V),
            ("authentication-key", V),
            ("hold-time", V),
            ("multihop", C),
            ("cluster", V),
            ("multipath", C),
            ("bfd-liveness-detection", C),
            ("passive", C),
            ("log-updown", C),
            ("advertise-inactive", C),
            ("remove-private", C),
            ("as-override", C),
            ("disable", C),
        ],
    ),
    (
        "protocols bgp group * neighbor *",
        &[
            ("peer-as", V),
            ("description", V),
            ("local-address", V),
            ("export", V),
            ("import", V),
            ("family", C),
            ("authentication-key", V),
            ("hold-time", V),
            ("bfd-liveness-detection", C),
            ("multihop", C),
            ("passive", C),
            ("disable", C),
        ],
    ),
    (
        "protocols lldp",
        &[
            ("interface", N),
            ("disable", C),
            ("advertisement-interval", V),
            ("hold-multiplier", V),
            ("port-id-subtype", V),
            ("port-description-type", V),
        ],
    ),
    (
        "routing-options",
        &[
            ("static", C),
            ("router-id", V),
            ("autonomous-system", C),
            ("rib", N),
            ("forwarding-table", C),
            ("graceful-restart", C),
            ("aggregate", C),
            ("generate", C),
            ("martians", C),
            ("maximum-prefixes", C),
            ("multipath", C),
            ("nonstop-routing", C),
            ("rib-groups", C),
            ("instance-import", V),
            ("instance-export", V),
            ("interface-routes", C),
            ("options", C),
            ("resolution", C),
            ("confederation", C),
            ("dynamic-tunnels", C),
            ("ppm", C),
            ("flow", C),
            ("source-packet-routing", C),
        ],
    ),
    (
        "routing-options static",
        &[("route", N), ("defaults", C), ("rib-group", V)],
    ),
    (
        "routing-options static route *",
        &[
            ("next-hop", C),
            ("qualified-next-hop", N),
            ("discard", C),
            ("reject", C),
            ("receive", C),
            ("preference", V),
            ("metric", V),
            ("tag", V),
            ("no-readvertise", C),
            ("retain", C),
            ("no-retain", C),
            ("install", C),
            ("no-install", C),
            ("resolve", C),
            ("community", C),
            ("active", C),
            ("passive", C),
        ],
    ),
];

/// Statements a level must hold for a commit: (level, statement, the level's keyword).
/// Junos refuses a commit without them (`Missing mandatory statement: '...'`).
pub const MANDATORY: &[(&[&str], &str)] = &[(&["system"], "root-authentication")];

fn level(key: &str) -> Option<&'static [(&'static str, Kind)]> {
    LEVELS.iter().find(|(k, _)| *k == key).map(|(_, s)| *s)
}

/// Whether `w` can be written as an XML element name (the simulator writes a free
/// level's keywords as elements; a word that could not be one is refused there).
pub fn is_xml_name(w: &str) -> bool {
    let mut chars = w.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Why a statement was refused: Junos's message and the word it points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// `syntax error`, or a more precise Junos message.
    pub message: String,
    /// The offending word (`bad-element` in NETCONF).
    pub bad_element: String,
    /// Index of that word in the statement.
    pub at: usize,
}

impl Rejected {
    fn syntax(words: &[String], at: usize) -> Rejected {
        Rejected {
            message: "syntax error".into(),
            bad_element: words.get(at).cloned().unwrap_or_default(),
            at,
        }
    }
}

/// Check one statement (the words after `set`) against the schema.
pub fn check(words: &[String]) -> Result<(), Rejected> {
    if words.is_empty() {
        return Err(Rejected::syntax(words, 0));
    }
    if let Some(i) = words.iter().position(|w| w.is_empty() || w.len() > 1024) {
        return Err(Rejected::syntax(words, i));
    }
    walk(words)?;
    if words.len() > MAX_WORDS {
        return Err(Rejected {
            message: format!("syntax error: statement longer than {MAX_WORDS} words"),
            bad_element: words[MAX_WORDS].clone(),
            at: MAX_WORDS,
        });
    }
    Ok(())
}

/// Follow the statement down the schema's levels.
fn walk(words: &[String]) -> Result<(), Rejected> {
    let mut key = String::new();
    let mut i = 0;
    while i < words.len() {
        let Some(allowed) = level(&key) else {
            // A level the table does not describe: any statement, but every word that
            // will be written as an element name (all but the last) must be one.
            if let Some(j) = (i..words.len() - 1).find(|&j| !is_xml_name(&words[j])) {
                return Err(Rejected::syntax(words, j));
            }
            return Ok(());
        };
        let w = words[i].as_str();
        let found = allowed
            .iter()
            .find(|(k, _)| *k == w)
            .or_else(|| allowed.iter().find(|(k, _)| *k == "*"));
        let Some((k, kind)) = found else {
            return Err(Rejected::syntax(words, i));
        };
        let push = |key: &mut String, part: &str| {
            if !key.is_empty() {
                key.push(' ');
            }
            key.push_str(part);
        };
        match kind {
            Kind::Container => {
                push(&mut key, k);
                i += 1;
            }
            Kind::Named if *k == "*" => {
                // The entry's name is this word itself (`interfaces ge-0/0/0`).
                push(&mut key, "*");
                i += 1;
            }
            Kind::Named => {
                if i + 1 >= words.len() {
                    return Err(Rejected {
                        message: format!("syntax error, expecting <{k}-name>"),
                        bad_element: w.to_string(),
                        at: i,
                    });
                }
                push(&mut key, k);
                push(&mut key, "*");
                i += 2;
            }
            Kind::Value => {
                if i + 1 >= words.len() {
                    return Err(Rejected {
                        message: format!("syntax error, expecting <{k}>"),
                        bad_element: w.to_string(),
                        at: i,
                    });
                }
                if i + 2 < words.len() {
                    return Err(Rejected::syntax(words, i + 2));
                }
                return Ok(());
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn junos_statements_pass_and_unknown_ones_are_named() {
        for ok in [
            "system host-name r1",
            "system services netconf ssh",
            "system root-authentication encrypted-password $6$x",
            "system login user lab class super-user",
            "interfaces ge-0/0/0 unit 0 family inet address 10.0.0.1/24",
            "interfaces ge-0/0/1 description uplink",
            "protocols ospf area 0.0.0.0 interface lo0.0 passive",
            "protocols bgp group ibgp neighbor 10.0.0.2 peer-as 65000",
            "routing-options static route 0.0.0.0/0 next-hop 10.0.0.254",
            "policy-options prefix-list PL 10.0.0.0/8",
            "snmp community public authorization read-only",
        ] {
            check(&words(ok)).unwrap_or_else(|e| panic!("{ok}: {e:?}"));
        }
        for (bad, word) in [
            ("systemm host-name r1", "systemm"),
            ("system foo bar", "foo"),
            ("system host-name a b", "b"),
            (
                "interfaces ge-0/0/0 unit 0 family inet adress 1.1.1.1/24",
                "adress",
            ),
            ("protocols ospf area", "area"),
            ("policy-options a<b c", "a<b"),
        ] {
            let e = check(&words(bad)).unwrap_err();
            assert_eq!(e.bad_element, word, "{bad}: {e:?}");
            assert!(e.message.starts_with("syntax error"), "{e:?}");
        }
        let long = vec!["a".to_string(); 20_000];
        let mut s = vec!["system".to_string()];
        s.extend(long);
        assert!(check(&s).is_err());
    }
}
