//! The configuration tree's tests: views agree, Junos shapes, hostile values.

use super::*;
use crate::spec::DeviceSpec;
use netconf_wire::Element;

mod views {
    use super::*;

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
        let e = t
            .load_set(&format!("set policy-options {words}"))
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
