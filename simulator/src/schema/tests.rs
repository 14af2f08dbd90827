//! The schema table, the RPC table and word resolution.

use super::*;

fn words(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_string).collect()
}

fn names(p: &[Step]) -> Vec<String> {
    p.iter()
        .map(|s| {
            let mut n = schema().get(s.sid).name.to_string();
            for k in &s.keys {
                n.push('=');
                n.push_str(k);
            }
            n
        })
        .collect()
}

#[test]
fn the_table_holds_the_hierarchies_the_simulator_promises() {
    let sc = schema();
    assert!(sc.len() > 10_000, "{}", sc.len());
    for top in [
        "system",
        "interfaces",
        "protocols",
        "routing-options",
        "routing-instances",
        "policy-options",
        "firewall",
        "snmp",
        "services",
        "class-of-service",
        "vlans",
        "bridge-domains",
        "chassis",
    ] {
        assert!(sc.child(ROOT, top).is_some(), "{top}");
    }
    let protocols = sc.child(ROOT, "protocols").unwrap();
    for p in [
        "bgp", "ospf", "ospf3", "isis", "lldp", "rstp", "mpls", "rsvp",
    ] {
        assert!(sc.child(protocols, p).is_some(), "{p}");
    }
}

#[test]
fn statements_become_junos_elements() {
    for (stmt, want) in [
        ("system host-name r1", vec!["system", "host-name=r1"]),
        (
            "interfaces ge-0/0/0 unit 0 family inet address 10.0.0.1/24",
            vec![
                "interfaces",
                "interface=ge-0/0/0",
                "unit=0",
                "family",
                "inet",
                "address=10.0.0.1/24",
            ],
        ),
        (
            "routing-options autonomous-system 64512",
            vec!["routing-options", "autonomous-system", "as-number=64512"],
        ),
        (
            "system syslog file messages any notice",
            vec![
                "system",
                "syslog",
                "file=messages",
                "contents=any",
                "notice",
            ],
        ),
        (
            "system login user lab class super-user",
            vec!["system", "login", "user=lab", "class=super-user"],
        ),
        (
            "snmp community public authorization read-only",
            vec!["snmp", "community=public", "authorization=read-only"],
        ),
        (
            "policy-options prefix-list PL 10.0.0.0/8",
            vec![
                "policy-options",
                "prefix-list=PL",
                "prefix-list-item=10.0.0.0/8",
            ],
        ),
        (
            "system ntp server 192.0.2.1 prefer",
            vec!["system", "ntp", "server=192.0.2.1", "prefer"],
        ),
    ] {
        let paths = resolve(&words(stmt), Purpose::Set).unwrap_or_else(|e| panic!("{stmt}: {e:?}"));
        assert_eq!(paths.len(), 1, "{stmt}");
        assert_eq!(names(&paths[0]), want, "{stmt}");
    }
    let paths = resolve(
        &words("routing-options static route 0.0.0.0/0 next-hop 10.0.0.1 preference 5"),
        Purpose::Set,
    )
    .unwrap();
    assert_eq!(paths.len(), 2);
    assert_eq!(
        names(&paths[1]),
        vec![
            "routing-options",
            "static",
            "route=0.0.0.0/0",
            "preference",
            "metric-value=5"
        ]
    );
}

#[test]
fn unknown_statements_are_named() {
    for (bad, word) in [
        ("systemm host-name r1", "systemm"),
        ("system foo bar", "foo"),
        ("system host-name a b", "b"),
        (
            "interfaces ge-0/0/0 unit 0 family inet adress 1.1.1.1/24",
            "adress",
        ),
        ("protocols ospf area", "area"),
        ("system a<b c", "a<b"),
        ("interfaces ge-0/0/0 mtu big", "big"),
        ("protocols bgp group g type sideways", "sideways"),
    ] {
        let e = resolve(&words(bad), Purpose::Set).unwrap_err();
        assert_eq!(e.bad_element, word, "{bad}: {e:?}");
    }
    let long = vec!["a".to_string(); 20_000];
    let mut s = vec!["system".to_string()];
    s.extend(long);
    assert!(resolve(&s, Purpose::Set).is_err());
}
