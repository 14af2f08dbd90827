//! Commands end to end: parsed, run against a device's state, rendered.

use super::*;
use crate::spec::DeviceSpec;
use crate::state::DeviceState;

fn show(state: &DeviceState, line: &str) -> String {
    let cmd = CommandLine::parse(line).unwrap_or_else(|e| panic!("{line}: {e:?}"));
    let Show::Configuration(path) = &cmd.show else {
        panic!("{line}");
    };
    cmd.filter_text(configuration_text(state, path, &cmd.pipes))
}

#[test]
fn configured_description_mtu_and_disable_show_in_interface_replies() {
    let spec = DeviceSpec::new(0, 1, 4);
    let mut state = DeviceState::new(&spec);
    let show = Show::Interfaces {
        name: Some("ge-0/0/[01]".into()),
        level: Level::default(),
    };
    let before: String = render_xml(&show, &spec, &state).collect();
    assert!(!before.contains("<description>"), "{before}");
    state
        .edit_candidate(0, |c| {
            c.load_set(
                "set interfaces ge-0/0/0 description \"to r2\"\n\
                 set interfaces ge-0/0/0 mtu 9192\nset interfaces ge-0/0/1 disable",
            )
        })
        .unwrap()
        .unwrap();
    state.commit(0, "lab", "cli", None).unwrap();
    let after: String = render_xml(&show, &spec, &state).collect();
    assert!(
        after.contains("<description>to r2</description>"),
        "{after}"
    );
    assert!(after.contains("<mtu>9192</mtu>"), "{after}");
    assert!(
        after.contains("<admin-status junos:format=\"Disabled\">down</admin-status>"),
        "{after}"
    );
    assert_eq!(after.matches("<physical-interface>").count(), 2, "{after}");
}

#[test]
fn show_configuration_pipes_and_paths_are_junos_views() {
    let spec = DeviceSpec::new(0, 1, 4);
    let mut state = DeviceState::new(&spec);
    state
        .edit_candidate(0, |c| {
            c.load_set(
                "set groups G system ntp server 192.0.2.9\nset apply-groups G\n\
                 set system login message hi",
            )
        })
        .unwrap()
        .unwrap();
    state.commit(0, "lab", "cli", None).unwrap();
    // A path prints the level's contents only, not its parents.
    let login = show(&state, "show configuration system login");
    assert_eq!(login, "user lab {\n    class super-user;\n}\nmessage hi;\n");
    let set = show(&state, "show configuration system login | display set");
    assert!(set.contains("set system login message hi\n"), "{set}");
    assert!(!set.contains('{'), "{set}");
    let json = show(&state, "show configuration system login | display json");
    assert!(
        json.starts_with(r#"{"configuration":{"system":{"login""#),
        "{json}"
    );
    assert_eq!(
        show(&state, "show configuration system host-name"),
        "host-name r1;\n"
    );
    let plain = show(&state, "show configuration system ntp");
    assert!(plain.is_empty(), "{plain}");
    let inherited = show(
        &state,
        "show configuration system ntp | display inheritance",
    );
    assert_eq!(inherited, "server 192.0.2.9;\n");
    let diff = show(&state, "show configuration | compare rollback 1");
    assert!(
        diff.contains("[edit system login]\n+    message hi;\n"),
        "{diff}"
    );
    assert!(
        diff.contains("[edit]\n+    apply-groups G;\n+    groups {\n+        G {\n"),
        "{diff}"
    );
    let none = show(&state, "show configuration | compare rollback 9");
    assert!(none.starts_with("error: rollback 9"), "{none}");
}

#[test]
fn seed_workload_commands_parse() {
    let others = [
        "sh ver",
        "show interfaces terse | count",
        "show system uptime | display xml",
    ];
    for c in SEED_COMMANDS.into_iter().chain(others) {
        CommandLine::parse(c).unwrap_or_else(|e| panic!("{c}: {e:?}"));
    }
}

#[test]
fn unknown_commands_give_junos_syntax_error() {
    let e = CommandLine::parse("show frobnicate").unwrap_err();
    assert!(
        e.message.contains("syntax error, expecting <command>."),
        "{}",
        e.message
    );
    assert!(e.message.contains("     ^"));
    assert_eq!(e.bad_word, "frobnicate");
    assert!(CommandLine::parse("show version | bogus").is_err());
}

#[test]
fn big_route_table_is_streamed_in_pieces() {
    let spec = DeviceSpec::new(0, 7, 100_000);
    let state = DeviceState::new(&spec);
    let show = Show::route(None, false);
    let mut pieces = 0;
    let mut routes = 0;
    for p in render_xml(&show, &spec, &state) {
        pieces += 1;
        routes += p.matches("<rt ").count();
    }
    assert_eq!(routes, 100_000);
    assert!(pieces > 100);
    let found = spec.lookup(spec.synthetic_route(99_999).prefix);
    assert_eq!(found.len(), 1);
}
