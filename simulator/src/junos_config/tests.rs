//! The configuration tree's tests: views agree, Junos shapes, hostile values.

use super::*;
use crate::spec::DeviceSpec;
use netconf_wire::Element;

mod views {
    use super::*;

    #[test]
    fn an_empty_leaf_with_only_active_loads_as_nothing_and_without_it_is_an_error() {
        // What Ansible's junos_system writes for options it was not given.
        let xml = "<configuration><system><host-name active=\"active\">sysr1</host-name>\
                   <domain-search active=\"active\"/><name-server><name>192.0.2.53</name>\
                   </name-server></system></configuration>";
        let mut t = ConfigTree::default();
        t.load_xml(&Element::parse(xml.as_bytes()).unwrap(), false)
            .unwrap();
        assert_eq!(t.value(&["system", "host-name"]), Some("sysr1"));
        assert!(!t.to_set_lines().iter().any(|l| l.contains("domain-search")));
        let bare = "<configuration><system><domain-search/></system></configuration>";
        let err = ConfigTree::default()
            .load_xml(&Element::parse(bare.as_bytes()).unwrap(), false)
            .unwrap_err();
        assert!(
            err[0].message.contains("expecting <domain-search>"),
            "{:?}",
            err[0].message
        );
    }

    #[test]
    fn set_text_and_xml_views_agree() {
        let spec = DeviceSpec::new(0, 1, 10);
        let t = ConfigTree::factory(&spec);
        assert_eq!(t.value(&["system", "host-name"]), Some("r1"));
        let mut from_text = ConfigTree::default();
        from_text.load_text(&t.to_text(), false).unwrap();
        assert_eq!(from_text.to_set_lines(), t.to_set_lines());
        let xml = format!("<configuration>{}</configuration>", t.to_xml());
        let mut from_xml = ConfigTree::default();
        from_xml
            .load_xml(&Element::parse(xml.as_bytes()).unwrap(), false)
            .unwrap();
        assert_eq!(from_xml.to_set_lines(), t.to_set_lines());
    }

    #[test]
    fn bad_config_text_is_an_error() {
        let mut t = ConfigTree::default();
        assert!(t.load_text("system { host-name x;", false).is_err());
        assert!(t.load_text("}", false).is_err());
        assert!(t.load_set("frobnicate system").is_err());
        assert!(t.load_set("set system host-name \"unterminated").is_err());
    }
}

mod junos_xml_shape {
    use super::*;

    #[test]
    fn xml_uses_junos_list_and_container_shapes() {
        let mut t = ConfigTree::default();
        t.load_set("set system host-name r1\nset system host-name r9\nset system services netconf ssh\nset interfaces ge-0/0/0 unit 0 family inet address 10.0.14.1/24").unwrap();
        let xml = t.to_xml();
        assert!(xml.contains("<host-name>r9</host-name>"), "{xml}");
        assert!(xml.contains("<netconf><ssh/></netconf>"), "{xml}");
        assert!(xml.contains("<interface><name>ge-0/0/0</name><unit><name>0</name><family><inet><address><name>10.0.14.1/24</name></address></inet></family></unit></interface>"), "{xml}");
        assert!(t.to_text().contains("family inet {"), "{}", t.to_text());
    }
}

mod hostile_values {
    use super::*;

    #[test]
    fn quotes_markup_and_framing_markers_in_values_round_trip_safely() {
        for value in [
            "a\"b",
            "x</host-name><evil/>",
            "]]>]]>",
            "back\\slash",
            "sp ace;{}",
        ] {
            let mut t = ConfigTree::default();
            t.set_checked(&["system".into(), "host-name".into(), value.into()])
                .unwrap();
            // Text and set views read back to the same value.
            let mut back = ConfigTree::default();
            back.load_text(&t.to_text(), false).unwrap();
            assert_eq!(
                back.value(&["system", "host-name"]),
                Some(value),
                "{}",
                t.to_text()
            );
            let mut back = ConfigTree::default();
            back.load_set(&t.to_set_lines().join("\n")).unwrap();
            assert_eq!(back.value(&["system", "host-name"]), Some(value));
            // The XML view is well formed and carries the value as text only.
            let xml = format!("<configuration>{}</configuration>", t.to_xml());
            let el = Element::parse(xml.as_bytes()).unwrap_or_else(|e| panic!("{xml}: {e}"));
            assert_eq!(el.find(&["system", "host-name"]).unwrap().text, value);
            assert!(!t.to_xml().contains("]]>]]>"));
        }
    }

    #[test]
    fn a_huge_statement_is_refused_not_built() {
        let words = std::iter::repeat_n("a", 20_000)
            .collect::<Vec<_>>()
            .join(" ");
        let mut t = ConfigTree::default();
        let e = t.load_set(&format!("set system {words}")).unwrap_err();
        assert_eq!(e[0].message, "syntax error");
        assert_eq!(e[0].bad_element.as_deref(), Some("a"));
        assert!(t.is_empty());
        let members = (0..60)
            .map(|i| format!("65000:{i}"))
            .collect::<Vec<_>>()
            .join(" ");
        let e = t
            .load_set(&format!(
                "set policy-options community C members [ {members} ]"
            ))
            .unwrap_err();
        assert!(e[0].message.contains("longer than"), "{e:?}");
    }

    #[test]
    fn load_errors_are_junos_errors() {
        let mut t = ConfigTree::default();
        let e = t.load_text("systemm { host-name x; }", false).unwrap_err();
        assert_eq!(e[0].message, "syntax error");
        assert_eq!(e[0].bad_element.as_deref(), Some("systemm"));
        assert_eq!(
            e[1].message,
            "error recovery ignores input until this point"
        );
        let e = t
            .load_set("set system foo\nset system host-name ok")
            .unwrap_err();
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].line, Some(1));
        // Deleting what is not there warns, and the load succeeds.
        t.load_set("delete system ntp").unwrap();
    }
}

/// Junos's own XML for statements the simulator used to write in its own shape (each
/// pair: a `set` line, and what Junos's `<configuration>` holds for it).
mod junos_shapes {
    use super::*;

    const SHAPES: &[(&str, &str)] = &[
        (
            "set snmp community public authorization read-only",
            "<snmp><community><name>public</name><authorization>read-only</authorization></community></snmp>",
        ),
        (
            "set system login user lab class super-user",
            "<system><login><user><name>lab</name><class>super-user</class></user></login></system>",
        ),
        (
            "set interfaces ae0 aggregated-ether-options lacp active",
            "<interfaces><interface><name>ae0</name><aggregated-ether-options><lacp><active/></lacp></aggregated-ether-options></interface></interfaces>",
        ),
        (
            "set firewall family inet filter F term T then accept",
            "<firewall><family><inet><filter><name>F</name><term><name>T</name><then><accept/></then></term></filter></inet></family></firewall>",
        ),
        (
            "set routing-options autonomous-system 64512",
            "<routing-options><autonomous-system><as-number>64512</as-number></autonomous-system></routing-options>",
        ),
        (
            "set routing-options static route 10.9.0.0/16 metric 10",
            "<routing-options><static><route><name>10.9.0.0/16</name><metric><metric-value>10</metric-value></metric></route></static></routing-options>",
        ),
        (
            "set policy-options prefix-list PL 10.0.0.0/8",
            "<policy-options><prefix-list><name>PL</name><prefix-list-item><name>10.0.0.0/8</name></prefix-list-item></prefix-list></policy-options>",
        ),
        (
            "set vlans v100 vlan-id 100",
            "<vlans><vlan><name>v100</name><vlan-id>100</vlan-id></vlan></vlans>",
        ),
        (
            "set system syslog file messages any notice",
            "<system><syslog><file><name>messages</name><contents><name>any</name><notice/></contents></file></syslog></system>",
        ),
        (
            "set system syslog host 192.0.2.50 any warning",
            "<system><syslog><host><name>192.0.2.50</name><contents><name>any</name><warning/></contents></host></syslog></system>",
        ),
        (
            "set system ntp server 192.0.2.123 prefer",
            "<system><ntp><server><name>192.0.2.123</name><prefer/></server></ntp></system>",
        ),
        (
            "set routing-instances BLUE instance-type vrf",
            "<routing-instances><instance><name>BLUE</name><instance-type>vrf</instance-type></instance></routing-instances>",
        ),
        (
            "set policy-options policy-statement EXP term 1 then next-hop self",
            "<policy-options><policy-statement><name>EXP</name><term><name>1</name><then><next-hop><self/></next-hop></then></term></policy-statement></policy-options>",
        ),
        (
            "set protocols ospf3 area 0.0.0.0 interface ge-0/0/0.0",
            "<protocols><ospf3><area><name>0.0.0.0</name><interface><name>ge-0/0/0.0</name></interface></area></ospf3></protocols>",
        ),
        (
            "set protocols lldp management-address 192.0.2.1",
            "<protocols><lldp><management-address>192.0.2.1</management-address></lldp></protocols>",
        ),
        (
            "set bridge-domains BD1 vlan-id 200",
            "<bridge-domains><domain><name>BD1</name><vlan-id>200</vlan-id></domain></bridge-domains>",
        ),
        (
            "set interfaces ge-0/0/1 gigether-options 802.3ad ae0",
            "<interfaces><interface><name>ge-0/0/1</name><gigether-options><ieee-802.3ad><bundle>ae0</bundle></ieee-802.3ad></gigether-options></interface></interfaces>",
        ),
        (
            "set system services ssh",
            "<system><services><ssh/></services></system>",
        ),
    ];

    #[test]
    fn statements_are_written_as_junos_writes_them() {
        for (set, xml) in SHAPES {
            let mut t = ConfigTree::default();
            t.load_set(set).unwrap_or_else(|e| panic!("{set}: {e:?}"));
            assert_eq!(t.to_xml(), *xml, "{set}");
            // And Junos's XML reads back to the same statement.
            let mut back = ConfigTree::default();
            let el =
                Element::parse(format!("<configuration>{xml}</configuration>").as_bytes()).unwrap();
            back.load_xml(&el, false)
                .unwrap_or_else(|e| panic!("{xml}: {e:?}"));
            assert_eq!(back.to_set_lines(), vec![set.to_string()], "{xml}");
        }
    }

    #[test]
    fn a_choice_keeps_one_case_and_a_leaf_one_value() {
        let mut t = ConfigTree::default();
        t.load_set(
            "set routing-options static route 0.0.0.0/0 next-hop 10.0.0.1\n\
             set routing-options static route 0.0.0.0/0 discard\n\
             set system host-name a\nset system host-name b",
        )
        .unwrap();
        assert_eq!(
            t.to_set_lines(),
            vec![
                "set system host-name b",
                "set routing-options static route 0.0.0.0/0 discard"
            ]
        );
    }

    #[test]
    fn empty_containers_are_neither_kept_nor_written() {
        let mut t = ConfigTree::factory(&DeviceSpec::new(0, 1, 4));
        t.load_set("set system location building B1\ndelete system location building")
            .unwrap();
        assert!(!t.to_xml().contains("<location"), "{}", t.to_xml());
        assert!(!t.to_text().contains("location"), "{}", t.to_text());
        // A merge whose container holds only deletes creates nothing.
        let el = Element::parse(
            b"<configuration><snmp><community operation=\"delete\"><name>x</name></community></snmp></configuration>",
        )
        .unwrap();
        let before = t.clone();
        t.load_xml(&el, false).unwrap();
        assert_eq!(t, before);
    }

    #[test]
    fn text_is_junos_layout() {
        let mut t = ConfigTree::default();
        t.load_set(
            "set system syslog file messages any notice\n\
             set system ntp server 192.0.2.1 prefer\n\
             set routing-options static route 0.0.0.0/0 next-hop 10.0.0.254\n\
             set routing-options autonomous-system 64512\n\
             set interfaces ge-0/0/0 unit 0 family inet address 10.0.0.1/24\n\
             set policy-options community C members [ 65000:1 65000:2 ]",
        )
        .unwrap();
        let text = t.to_text();
        for want in [
            "        file messages {\n            any notice;\n        }\n",
            "        server 192.0.2.1 prefer;\n",
            "        route 0.0.0.0/0 next-hop 10.0.0.254;\n",
            "    autonomous-system 64512;\n",
            "            family inet {\n                address 10.0.0.1/24;\n",
            "        members [ 65000:1 65000:2 ];\n",
        ] {
            assert!(text.contains(want), "{want:?} not in\n{text}");
        }
    }

    #[test]
    fn json_loads_what_it_writes() {
        let t = ConfigTree::factory(&DeviceSpec::new(0, 1, 4));
        let mut back = ConfigTree::default();
        back.load_json(&t.to_json()).unwrap();
        assert_eq!(back, t);
        assert!(
            t.to_json().contains(r#""interface":[{"name":"ge-0/0/0""#),
            "{}",
            t.to_json()
        );
        let e = back
            .load_json(r#"{"configuration":{"system":{"hostname":"x"}}}"#)
            .unwrap_err();
        assert_eq!(e[0].bad_element.as_deref(), Some("hostname"));
    }

    #[test]
    fn diffs_are_hierarchical() {
        let old = ConfigTree::factory(&DeviceSpec::new(0, 1, 4));
        let mut new = old.clone();
        new.load_set(
            "set system login message \"hello there\"\n\
             set system login user lab class read-only\n\
             delete protocols lldp\n\
             set interfaces ge-0/0/1 description uplink",
        )
        .unwrap();
        let diff = old.compare(&new).join("\n");
        for want in [
            "[edit system login]\n+    message \"hello there\";",
            "[edit system login user lab]\n-    class super-user;\n+    class read-only;",
            "[edit interfaces ge-0/0/1]\n+    description uplink;",
            "[edit protocols]\n-    lldp {\n-        interface all;\n-    }",
        ] {
            assert!(diff.contains(want), "{want:?} not in\n{diff}");
        }
        assert!(old.compare(&old).is_empty());
    }
}

/// Random configurations survive every view: set, text, XML and JSON.
mod round_trips {
    use super::*;
    use proptest::prelude::*;

    /// Statement templates; `{}` takes a generated word.
    const TEMPLATES: &[&str] = &[
        "set system host-name {}",
        "set system login user {} class super-user",
        "set system login message {}",
        "set system ntp server {} prefer",
        "set system syslog file {} any notice",
        "set interfaces {} description {}",
        "set interfaces {} unit 0 family inet address {}",
        "set interfaces {} mtu 9100",
        "set interfaces {} disable",
        "set snmp community {} authorization read-only",
        "set policy-options prefix-list {} {}",
        "set policy-options community {} members [ {} {} ]",
        "set routing-options static route {} next-hop {}",
        "set routing-options autonomous-system 65001",
        "set protocols bgp group {} neighbor {} peer-as 65002",
        "set protocols ospf area 0.0.0.1 interface {} passive",
        "set firewall family inet filter {} term {} then accept",
        "set vlans {} vlan-id 100",
        "set routing-instances {} instance-type virtual-router",
        "set groups {} system ntp server {}",
        "set apply-groups {}",
    ];

    fn word() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-z][a-z0-9-]{0,8}",
            "10\\.[0-9]{1,3}\\.[0-9]{1,3}\\.0/24",
            "[a-z ;{}\"\\\\<>&#]{1,10}",
        ]
    }

    fn statement() -> impl Strategy<Value = String> {
        (0..TEMPLATES.len(), proptest::collection::vec(word(), 3)).prop_map(|(i, w)| {
            // Fill the holes in order (a value can itself hold `{}`).
            let mut s = String::new();
            for (k, part) in TEMPLATES[i].split("{}").enumerate() {
                if k > 0 {
                    s.push_str(&text::quote(&w[k - 1]));
                }
                s.push_str(part);
            }
            s
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn every_view_reads_back_to_the_same_tree(lines in proptest::collection::vec(statement(), 1..12)) {
            let mut t = ConfigTree::default();
            // Some generated values are not valid where they land (a quoted word as an
            // interface name is fine; an address that is not one is still a string).
            t.load_set(&lines.join("\n")).unwrap();
            let mut from_set = ConfigTree::default();
            from_set.load_set(&t.to_set_lines().join("\n")).unwrap();
            prop_assert_eq!(&from_set, &t);
            let mut from_text = ConfigTree::default();
            from_text.load_text(&t.to_text(), false).unwrap();
            prop_assert_eq!(&from_text, &t, "{}", t.to_text());
            let xml = format!("<configuration>{}</configuration>", t.to_xml());
            let mut from_xml = ConfigTree::default();
            from_xml.load_xml(&Element::parse(xml.as_bytes()).unwrap(), false).unwrap();
            prop_assert_eq!(&from_xml, &t);
            let mut from_json = ConfigTree::default();
            from_json.load_json(&t.to_json()).unwrap();
            prop_assert_eq!(&from_json, &t);
        }
    }
}

mod commit_check {
    use super::*;

    fn tree(lines: &str) -> ConfigTree {
        let mut t = ConfigTree::default();
        t.load_set(lines).unwrap();
        t
    }

    #[test]
    fn references_to_undefined_filters_and_policies_are_named_where_they_are() {
        let t = tree(
            "set interfaces ge-0/0/0 unit 0 family inet filter input f-in\n\
             set interfaces ge-0/0/0 unit 0 family inet6 filter output f6\n\
             set protocols bgp group g neighbor 192.0.2.1 import p-in\n\
             set protocols bgp export p-out",
        );
        let got: Vec<(String, &str, String)> = t
            .dangling_references()
            .into_iter()
            .map(|d| (d.level, d.element, d.message))
            .collect();
        assert_eq!(
            got,
            [
                (
                    "interfaces ge-0/0/0 unit 0 family inet".to_string(),
                    "filter",
                    "Referenced filter 'f-in' is not defined".to_string()
                ),
                (
                    "interfaces ge-0/0/0 unit 0 family inet6".into(),
                    "filter",
                    "Referenced filter 'f6' is not defined".into()
                ),
                (
                    "protocols bgp".into(),
                    "export",
                    "Policy error: Policy p-out referenced but not defined".into()
                ),
                (
                    "protocols bgp group g neighbor 192.0.2.1".into(),
                    "import",
                    "Policy error: Policy p-in referenced but not defined".into()
                ),
            ]
        );
    }

    #[test]
    fn defined_references_pass_wherever_junos_defines_them() {
        // An IPv4 filter may be defined under `firewall filter` or `firewall family inet
        // filter`; an IPv6 one only under `family inet6`.
        let t = tree(
            "set firewall filter f-in term t then accept\n\
             set firewall family inet6 filter f6 term t then accept\n\
             set policy-options policy-statement p then accept\n\
             set interfaces ge-0/0/0 unit 0 family inet filter input f-in\n\
             set interfaces ge-0/0/0 unit 0 family inet6 filter output f6\n\
             set protocols bgp group g import p",
        );
        assert_eq!(t.dangling_references(), []);
        let spec = DeviceSpec::new(0, 1, 10);
        assert_eq!(ConfigTree::factory(&spec).dangling_references(), []);
    }
}

mod layout_exceptions {
    use super::*;

    #[test]
    fn an_rpm_target_names_its_address_as_junos_writes_it() {
        let mut t = ConfigTree::default();
        t.load_set("set services rpm probe P test T target address 192.0.2.1")
            .unwrap();
        let text = t.to_text();
        assert!(text.contains("target address 192.0.2.1;"), "{text}");
        assert!(
            t.to_set_lines()
                .iter()
                .any(|l| l == "set services rpm probe P test T target address 192.0.2.1"),
            "{:?}",
            t.to_set_lines()
        );
        // The address is not a bare value of `target` (Junos: `syntax error`).
        assert!(ConfigTree::default()
            .load_set("set services rpm probe P test T target 192.0.2.1")
            .is_err());
        // The curly text reads back to the same tree.
        let mut back = ConfigTree::default();
        back.load_text(&text, false).unwrap();
        assert_eq!(back.to_set_lines(), t.to_set_lines());
    }
}
