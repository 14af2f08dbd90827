//! Structure-aware fuzzing on stable Rust (proptest, a bounded number of cases so that it
//! runs in CI): configuration as set lines, curly text and XML, and CLI lines, built from
//! the pieces that matter (Junos keywords, quotes, braces, markup, the end-of-message
//! marker) rather than uniform bytes. Nothing may panic; whatever loads must read back
//! the same through every view.

use junos_sim::commands::CommandLine;
use junos_sim::junos_config::ConfigTree;
use netconf_wire::Element;
use proptest::prelude::*;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

/// A configuration word: a Junos keyword, a name, or something hostile.
fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec![
            "system", "host-name", "services", "netconf", "ssh", "interfaces", "unit", "family",
            "inet", "address", "protocols", "ospf", "area", "interface", "bgp", "group",
            "neighbor", "peer-as", "routing-options", "static", "route", "next-hop",
            "description", "login", "user", "class", "location", "policy-options",
        ])
        .prop_map(str::to_string),
        2 => "[a-z][a-z0-9./-]{0,12}",
        1 => prop::sample::select(vec![
            "a\"b", "x</host-name><evil/>", "]]>]]>", "sp ace", "{", "}", ";", "#", "\\\\",
            "/*", "&amp;", "<", "'", "",
        ])
        .prop_map(str::to_string),
    ]
}

/// A value: hostile or plain, quoted so that `set` reads it as one word.
fn value() -> impl Strategy<Value = String> {
    word().prop_map(|w| quote(&w))
}

/// A set (or delete) line: templates of statements Junos takes, with any value, free
/// levels with names, and now and then random words.
fn set_line() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => value().prop_map(|v| format!("set system host-name {v}")),
        2 => value().prop_map(|v| format!("set system location building {v}")),
        2 => (0..4u8, value()).prop_map(|(i, v)| format!("set interfaces ge-0/0/{i} description {v}")),
        2 => (prop::collection::vec("[a-z][a-z0-9-]{0,8}", 1..4), value())
            .prop_map(|(names, v)| format!("set policy-options {} {v}", names.join(" "))),
        1 => ("[a-z][a-z0-9-]{0,8}").prop_map(|n| format!("delete policy-options {n}")),
        1 => prop::collection::vec(word(), 1..10).prop_map(|w| format!("set {}", w.join(" "))),
    ]
}

static CASES: AtomicUsize = AtomicUsize::new(0);
static LOADED: AtomicUsize = AtomicUsize::new(0);

/// The set-line fuzz really checks round trips: most of its cases load.
#[test]
fn most_generated_set_loads_are_accepted() {
    let mut runner = proptest::test_runner::TestRunner::default();
    let strategy = prop::collection::vec(set_line(), 1..8);
    let mut ok = 0;
    for _ in 0..200 {
        let lines =
            proptest::strategy::ValueTree::current(&strategy.new_tree(&mut runner).unwrap());
        ok += usize::from(ConfigTree::default().load_set(&lines.join("\n")).is_ok());
    }
    assert!(ok >= 60, "only {ok} of 200 generated loads were accepted");
}

fn quote(w: &str) -> String {
    format!("\"{}\"", w.replace('\\', "\\\\").replace('"', "\\\""))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, max_shrink_iters: 200, ..ProptestConfig::default() })]

    /// Set lines, quoted or not: never a panic; what loads reads back through text, set
    /// and XML to the same statements. Lines are mostly statements Junos takes, with
    /// hostile values, so that most cases load and the round trip is really checked.
    #[test]
    fn set_lines_load_or_fail_cleanly_and_round_trip(lines in prop::collection::vec(set_line(), 1..8)) {
        CASES.fetch_add(1, Relaxed);
        let mut t = ConfigTree::default();
        if t.load_set(&lines.join("\n")).is_ok() {
            LOADED.fetch_add(1, Relaxed);
            let lines = t.to_set_lines();
            let mut from_set = ConfigTree::default();
            prop_assert!(from_set.load_set(&lines.join("\n")).is_ok());
            prop_assert_eq!(from_set.to_set_lines(), lines.clone());
            let mut from_text = ConfigTree::default();
            prop_assert!(from_text.load_text(&t.to_text(), false).is_ok(), "{}", t.to_text());
            prop_assert_eq!(from_text.to_set_lines(), lines);
            let xml = format!("<configuration>{}</configuration>", t.to_xml());
            prop_assert!(Element::parse(xml.as_bytes()).is_ok(), "{}", xml);
            let _ = t.to_json();
        }
    }

    /// Curly text of any shape (unbalanced braces, comments, quotes): never a panic.
    #[test]
    fn curly_text_never_panics(
        tokens in prop::collection::vec(
            prop_oneof![
                4 => word(),
                2 => Just("{".to_string()),
                2 => Just("}".to_string()),
                2 => Just(";".to_string()),
                1 => Just("replace:".to_string()),
                1 => Just("/* c */".to_string()),
                1 => Just("# c\n".to_string()),
                1 => word().prop_map(|w| quote(&w)),
            ],
            0..60,
        ),
        replace in any::<bool>(),
    ) {
        let mut t = ConfigTree::default();
        let _ = t.load_text(&tokens.join(" "), replace);
        let _ = t.to_text();
    }

    /// Nested and attributed XML configuration, up to the parser's depth: never a panic.
    #[test]
    fn xml_configuration_never_panics(
        depth in 1usize..80,
        names in prop::collection::vec(word(), 1..80),
        text in word(),
        attr in prop::sample::select(vec!["", " operation=\"delete\"", " replace=\"replace\"", " delete=\"delete\""]),
    ) {
        let mut xml = String::from("<configuration>");
        let names: Vec<String> = (0..depth)
            .map(|i| {
                let n = &names[i % names.len()];
                if n.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') && !n.is_empty()
                    && n.chars().next().is_some_and(|c| c.is_ascii_alphabetic()) {
                    n.clone()
                } else {
                    "name".to_string()
                }
            })
            .collect();
        for n in &names {
            xml.push_str(&format!("<{n}{attr}>"));
        }
        xml.push_str(&netconf_wire::escape_text(&text));
        for n in names.iter().rev() {
            xml.push_str(&format!("</{n}>"));
        }
        xml.push_str("</configuration>");
        if let Ok(el) = Element::parse(xml.as_bytes()) {
            let mut t = ConfigTree::default();
            let _ = t.load_xml(&el, true);
            let _ = t.to_xml();
        }
    }

    /// CLI lines from keywords, pipes and junk: a parse or a syntax error, never a panic.
    #[test]
    fn cli_lines_never_panic(
        words in prop::collection::vec(
            prop_oneof![
                3 => prop::sample::select(vec![
                    "show", "sh", "route", "interfaces", "terse", "extensive", "detail",
                    "table", "protocol", "ospf", "bgp", "neighbor", "summary", "system",
                    "users", "chassis", "hardware", "configuration", "10.0.14.0", "ge-*",
                    "|", "match", "count", "last", "display", "xml", "set", "no-more",
                ])
                .prop_map(str::to_string),
                1 => word(),
            ],
            0..14,
        )
    ) {
        let _ = CommandLine::parse(&words.join(" "));
    }
}
