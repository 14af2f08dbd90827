//! Junos as it really answers, through netpool: reply shapes checked against the shape
//! spec (`tests/shapes/junos-replies.toml`), RPC arguments, errors nested where Junos
//! nests them, and the configuration RPCs (rollback, rescue, commit confirmed, private
//! mode), with netpool failing every refused change and committing nothing.

use std::collections::BTreeSet;
use std::time::Duration;

use netpool::{ConfigChange, Error, NetconfGuard};
use netpool_tests::*;

/// Every element path under `el` (local names, `/`-separated), `prefix` included.
fn paths(el: &netconf_wire::Element, prefix: &str, out: &mut BTreeSet<String>) {
    let p = if prefix.is_empty() {
        el.name.clone()
    } else {
        format!("{prefix}/{}", el.name)
    };
    for c in &el.children {
        paths(c, &p, out);
    }
    out.insert(p);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_rpc_answers_with_the_element_paths_real_junos_has() {
    let spec: toml::Table = include_str!("../../shapes/junos-replies.toml")
        .parse()
        .expect("shape spec parses");
    let rpcs = spec["rpc"].as_array().expect("[[rpc]] entries");
    assert!(rpcs.len() >= 20, "{} RPCs in the spec", rpcs.len());
    let (_fleet, pool, dev) = one_router().await;
    let mut g = pool.netconf(&dev).await.unwrap();
    let mut missing = Vec::new();
    let mut total = 0;
    for r in rpcs {
        let name = r["name"].as_str().unwrap();
        if let Some(setup) = r.get("setup").and_then(|v| v.as_str()) {
            g.rpc(&format!(
                "<load-configuration action=\"set\" format=\"text\"><configuration-set>{}</configuration-set></load-configuration>",
                netconf_wire::escape_text(setup)
            ))
            .await
            .unwrap_or_else(|e| panic!("{name}: setup load: {e}"));
            g.rpc("<commit-configuration/>")
                .await
                .unwrap_or_else(|e| panic!("{name}: setup commit: {e}"));
        }
        let reply = g
            .rpc(r["rpc"].as_str().unwrap())
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut got = BTreeSet::new();
        for c in &reply.root.children {
            paths(c, "", &mut got);
        }
        for p in r["paths"].as_array().unwrap() {
            total += 1;
            let p = p.as_str().unwrap();
            if !got.contains(p) {
                missing.push(format!("{name}: {p}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "{} of {total} paths missing:\n{}",
        missing.len(),
        missing.join("\n")
    );
}

async fn physical_names(g: &mut NetconfGuard, rpc: &str) -> Vec<String> {
    let reply = g.rpc(rpc).await.unwrap();
    let info = reply.root.child("interface-information").expect("reply");
    info.children_named("physical-interface")
        .map(|p| p.child_text("name").unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rpc_arguments_are_honoured_and_unknown_ones_refused() {
    let (_fleet, pool, dev) = one_router().await;
    let mut g = pool.netconf(&dev).await.unwrap();
    let all = physical_names(
        &mut g,
        "<get-interface-information><terse/></get-interface-information>",
    )
    .await;
    assert_eq!(
        all,
        ["ge-0/0/0", "ge-0/0/1", "ge-0/0/2", "ge-0/0/3", "lo0", "xe-0/1/0", "em0", "fxp0"]
    );
    let one = physical_names(&mut g, "<get-interface-information><terse/><interface-name>ge-0/0/0</interface-name></get-interface-information>").await;
    assert_eq!(one, ["ge-0/0/0"]);
    let ge = physical_names(
        &mut g,
        "<get-interface-information><interface-name>ge-*</interface-name></get-interface-information>",
    )
    .await;
    assert_eq!(ge, ["ge-0/0/0", "ge-0/0/1", "ge-0/0/2", "ge-0/0/3"]);
    // A logical name answers with that unit alone.
    let reply = g
        .rpc("<get-interface-information><interface-name>lo0.0</interface-name></get-interface-information>")
        .await
        .unwrap();
    let info = reply.root.child("interface-information").unwrap();
    assert_eq!(
        info.child("logical-interface").unwrap().child_text("name"),
        Some("lo0.0")
    );
    // Levels change the reply's style and depth.
    let reply = g
        .rpc("<get-interface-information><extensive/><interface-name>ge-0/0/1</interface-name></get-interface-information>")
        .await
        .unwrap();
    let info = reply.root.child("interface-information").unwrap();
    assert_eq!(info.attr("style"), Some("extensive"));
    assert!(info
        .find(&["physical-interface", "ethernet-mac-statistics"])
        .is_some());
    // Route filters: protocol, table.
    let rt = ["route-information", "route-table", "rt"];
    let route = |protocol: &str| {
        format!("<get-route-information><destination>10.0.14.0</destination><protocol>{protocol}</protocol></get-route-information>")
    };
    assert!(
        rpc_text(&mut g, &route("ospf"), &rt).await.is_none(),
        "a Direct route is not OSPF"
    );
    assert!(rpc_text(&mut g, &route("direct"), &rt).await.is_some());
    let other_table = "<get-route-information><table>inet6.0</table></get-route-information>";
    assert!(rpc_text(&mut g, other_table, &rt[..2]).await.is_none());
    // An argument the RPC does not take is Junos's syntax error naming it.
    let e = g
        .rpc("<get-interface-information><frobnicate/></get-interface-information>")
        .await
        .unwrap_err();
    let err = e.rpc_error().expect("an rpc-error");
    assert_eq!(err.message.as_deref().map(str::trim), Some("syntax error"));
    assert_eq!(
        err.info,
        [("bad-element".to_string(), "frobnicate".to_string())]
    );
    // The session stays usable after an rpc-error.
    g.command("show version").await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_change_is_an_error_with_every_error_and_nothing_is_committed() {
    let (fleet, pool, dev) = one_router().await;
    let r1 = &fleet.devices()[0];
    // As on Junos, a set load applies its valid lines beside the errors of the others
    // ("load complete (1 errors)"): what a refused load leaves is the caller's to discard.
    let mut g = pool.netconf(&dev).await.unwrap();
    let e = g
        .rpc("<load-configuration action=\"set\" format=\"text\"><configuration-set>set system host-name kept-line\nset system foo bar</configuration-set></load-configuration>")
        .await
        .expect_err("a load with a bad line is an error");
    assert!(e.to_string().contains("foo"), "{e}");
    assert_eq!(
        r1.candidate_host_name().as_deref(),
        Some("kept-line"),
        "the valid line of a refused set load is in the candidate, as on Junos"
    );
    g.rpc("<discard-changes/>").await.unwrap();
    assert_eq!(r1.candidate_host_name().as_deref(), Some("r1"));
    drop(g);
    // netpool's configure discards it: nothing stays, nothing is committed.
    let e = pool
        .configure(
            &dev,
            &ConfigChange::set_lines(
                "set system host-name changed\nset system foo bar\nset systemm x y",
            ),
        )
        .await
        .unwrap_err();
    let Error::Rpc { errors, .. } = &e else {
        panic!("not an rpc-error: {e}")
    };
    let bad: Vec<&str> = errors
        .iter()
        .map(|e| {
            e.info
                .iter()
                .find(|(k, _)| k == "bad-element")
                .unwrap()
                .1
                .as_str()
        })
        .collect();
    assert_eq!(bad, ["foo", "systemm"], "{e}");
    assert_eq!(r1.commit_count(), 0);
    assert_eq!(r1.running_host_name().as_deref(), Some("r1"));
    assert_eventually!(
        Duration::from_secs(2),
        || r1.lock_holder().is_none(),
        "the lock went with the discarded session"
    );
    // The next borrower gets a clean candidate: a commit now changes nothing.
    let mut g = pool.netconf(&dev).await.unwrap();
    let diff = rpc_text(
        &mut g,
        "<get-configuration compare=\"rollback\" rollback=\"0\" format=\"text\"/>",
        &["configuration-information", "configuration-output"],
    )
    .await
    .expect("a configuration-output");
    assert!(diff.trim().is_empty(), "candidate not clean: {diff}");
    drop(g);

    // A commit that breaks a mandatory statement: errors per routing engine.
    let e = pool
        .configure(
            &dev,
            &ConfigChange::set_lines("delete system root-authentication"),
        )
        .await
        .unwrap_err();
    let Error::Rpc { errors, .. } = &e else {
        panic!("not an rpc-error: {e}")
    };
    assert_eq!(errors.len(), 2, "{e}");
    assert_eq!(errors[0].path.as_deref(), Some("[edit system]"));
    assert!(errors[0]
        .message
        .as_deref()
        .unwrap()
        .contains("Missing mandatory statement: 'root-authentication'"));
    assert!(errors[1]
        .message
        .as_deref()
        .unwrap()
        .contains("configuration check-out failed"));
    assert_eq!(r1.commit_count(), 0);
    assert!(r1
        .running_value(&["system", "root-authentication", "encrypted-password"])
        .is_some());

    // A commit that references a filter or a policy nobody defined: Junos's commit
    // check refuses it, naming each reference and where it is.
    let e = pool
        .configure(
            &dev,
            &ConfigChange::set_lines(
                "set interfaces ge-0/0/0 unit 0 family inet filter input no-such-filter\n\
                 set protocols bgp group ibgp export no-such-policy",
            ),
        )
        .await
        .unwrap_err();
    let Error::Rpc { errors, .. } = &e else {
        panic!("not an rpc-error: {e}")
    };
    let messages: Vec<&str> = errors.iter().filter_map(|e| e.message.as_deref()).collect();
    assert_eq!(
        messages,
        [
            "Referenced filter 'no-such-filter' is not defined",
            "Policy error: Policy no-such-policy referenced but not defined",
            "configuration check-out failed",
        ],
        "{e}"
    );
    assert_eq!(
        errors[0].path.as_deref(),
        Some("[edit interfaces ge-0/0/0 unit 0 family inet]")
    );
    assert_eq!(
        errors[1].path.as_deref(),
        Some("[edit protocols bgp group ibgp]")
    );
    assert_eq!(r1.commit_count(), 0);
    // Defined, the same references commit.
    pool.configure(
        &dev,
        &ConfigChange::set_lines(
            "set firewall family inet filter no-such-filter term t then accept\n\
             set policy-options policy-statement no-such-policy then accept\n\
             set interfaces ge-0/0/0 unit 0 family inet filter input no-such-filter\n\
             set protocols bgp group ibgp export no-such-policy",
        ),
    )
    .await
    .unwrap();
    assert_eq!(r1.commit_count(), 1);

    // And a good change goes through.
    pool.configure(&dev, &ConfigChange::set_lines("set system host-name good"))
        .await
        .unwrap();
    assert_eq!(r1.commit_count(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollback_rescue_and_rollback_information() {
    let (fleet, pool, dev) = one_router().await;
    let r1 = &fleet.devices()[0];
    let host = || r1.running_host_name();
    pool.configure(&dev, &ConfigChange::set_lines("set system host-name one"))
        .await
        .unwrap();
    pool.configure(&dev, &ConfigChange::set_lines("set system host-name two"))
        .await
        .unwrap();
    let mut g = pool.netconf(&dev).await.unwrap();
    // Rollback 1 compared with rollback 0 names the change.
    let out = rpc_text(
        &mut g,
        "<get-rollback-information><rollback>0</rollback><compare>1</compare></get-rollback-information>",
        &["rollback-information", "configuration-information", "configuration-output"],
    )
    .await
    .expect("a configuration-output");
    assert!(out.contains("two") && out.contains("one"), "{out}");
    // Rescue: save now (host two), change, reload the rescue.
    g.rpc("<request-save-rescue-configuration/>").await.unwrap();
    g.lock().await.unwrap();
    g.rpc("<load-configuration rollback=\"2\"/>").await.unwrap();
    g.commit(None).await.unwrap();
    assert_eq!(
        host().as_deref(),
        Some("r1"),
        "rollback 2 is the factory config"
    );
    g.rpc("<load-configuration rescue=\"rescue\"/>")
        .await
        .unwrap();
    g.commit(None).await.unwrap();
    assert_eq!(host().as_deref(), Some("two"));
    // A rollback that does not exist is a load error, nested as Junos nests it.
    let e = g
        .rpc("<load-configuration rollback=\"40\"/>")
        .await
        .unwrap_err();
    assert!(e.to_string().contains("rollback 40 does not exist"), "{e}");
    g.discard_changes().await.unwrap();
    g.unlock().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commit_confirmed_rolls_back_unless_confirmed() {
    let fleet = fleet_one(|c| c.confirm_minute = Duration::from_millis(300)).await;
    let r1 = &fleet.devices()[0];
    let pool = pool_for(&fleet);
    let dev = device(r1);
    let host = || r1.running_host_name();
    let mut g = pool.netconf(&dev).await.unwrap();
    g.lock().await.unwrap();
    load(&mut g, "set system host-name tentative").await;
    g.commit_confirmed(1, Some("try")).await.unwrap();
    assert_eq!(host().as_deref(), Some("tentative"));
    assert_eventually!(
        Duration::from_secs(3),
        || host().as_deref() == Some("r1"),
        "not rolled back: {:?}",
        host()
    );
    assert_eq!(r1.commit_count(), 2, "the rollback is a commit of its own");
    // Confirmed in time, it stays.
    load(&mut g, "set system host-name kept").await;
    g.commit_confirmed(1, None).await.unwrap();
    g.commit(Some("confirm")).await.unwrap();
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(host().as_deref(), Some("kept"));
    g.unlock().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_configuration_says_when_it_changed_in_both_forms() {
    let (fleet, pool, dev) = one_router().await;
    let r1 = &fleet.devices()[0];
    // The committed configuration's (changed-seconds, changed-localtime).
    async fn changed(g: &mut NetconfGuard) -> (u64, String) {
        let reply = g
            .rpc("<get-configuration database=\"committed\"/>")
            .await
            .unwrap();
        let c = reply.root.child("configuration").expect("a configuration");
        let secs = c.attr("changed-seconds").expect("changed-seconds");
        let local = c.attr("changed-localtime").expect("changed-localtime");
        (secs.parse().expect("a number"), local.to_string())
    }
    let mut g = pool.netconf(&dev).await.unwrap();
    let before = changed(&mut g).await;
    assert_eq!(
        before.1,
        junos_sim::clock::junos_time(before.0),
        "{before:?}"
    );
    // Asked again later without a commit: the same time (it is not "now").
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(changed(&mut g).await, before);
    drop(g);
    pool.configure(&dev, &ConfigChange::set_lines("set system host-name later"))
        .await
        .unwrap();
    let mut g = pool.netconf(&dev).await.unwrap();
    let after = changed(&mut g).await;
    assert!(after.0 > before.0, "{before:?} then {after:?}");
    assert_eq!(after.1, junos_sim::clock::junos_time(after.0));
    // The commit revision names the same moment.
    let rev = g
        .rpc("<get-commit-revision-information><detail/></get-commit-revision-information>")
        .await
        .unwrap();
    let info = rev
        .root
        .child("commit-revision-information")
        .expect("revision");
    assert_eq!(
        info.child_text("revision"),
        Some(format!("re0-{}-1", after.0).as_str())
    );
    assert_eq!(r1.commit_count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_mode_follows_junos_rules() {
    let (fleet, pool, dev) = one_router().await;
    let r1 = &fleet.devices()[0];
    let mut shared = pool.netconf(&dev).await.unwrap();
    let mut private = pool.netconf(&dev).await.unwrap();
    // Uncommitted shared changes: private mode is refused.
    load(&mut shared, "set system location building b1").await;
    let e = private
        .rpc("<open-configuration><private/></open-configuration>")
        .await
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("shared configuration database modified"),
        "{e}"
    );
    shared.discard_changes().await.unwrap();
    // Now it opens, with Junos's warning (a warning never fails the call).
    let reply = private
        .rpc("<open-configuration><private/></open-configuration>")
        .await
        .unwrap();
    assert_eq!(reply.warnings().count(), 1);
    load(&mut private, "set system host-name private-one").await;
    // The shared candidate does not see the private change.
    let host_name = "<get-configuration><configuration><system><host-name/></system></configuration></get-configuration>";
    assert_eq!(
        rpc_text(
            &mut shared,
            host_name,
            &["configuration", "system", "host-name"]
        )
        .await
        .as_deref(),
        Some("r1")
    );
    private.commit(None).await.unwrap();
    assert_eq!(r1.running_host_name().as_deref(), Some("private-one"));
    load(&mut private, "set system host-name never").await;
    private.rpc("<close-configuration/>").await.unwrap();
    assert_eq!(
        r1.running_host_name().as_deref(),
        Some("private-one"),
        "closing private mode drops its uncommitted changes"
    );
}

/// `format="json"` on an operational RPC answers Junos's JSON (every element a list of
/// objects, text as `data`), as PyEZ and Ansible read it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operational_rpcs_answer_json_when_asked() {
    let (_fleet, pool, dev) = one_router().await;
    let mut g = pool.netconf(&dev).await.unwrap();
    let reply = g
        .rpc("<get-software-information format=\"json\"/>")
        .await
        .unwrap();
    let j: serde_json::Value = serde_json::from_str(reply.root.text.trim())
        .unwrap_or_else(|e| panic!("{e}: {}", reply.root.text));
    assert_eq!(
        j["software-information"][0]["host-name"][0]["data"], "r1",
        "{j}"
    );
}

/// Load one set line into the guard's candidate; it must be accepted.
async fn load(g: &mut NetconfGuard, line: &str) {
    g.load(&ConfigChange::set_lines(line))
        .await
        .unwrap_or_else(|e| panic!("{line}: {e}"));
}

/// A caller's text holding the base:1.0 delimiter (a template value, a description, a
/// proxy client's comment) would smuggle what follows past the framing: the router would
/// run a hidden lock, load and commit. netpool refuses to frame it, sends nothing, and the
/// session stays usable.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hidden_rpc_after_the_base_1_0_delimiter_is_never_sent() {
    let (fleet, pool, dev) = one_router().await;
    let r1 = &fleet.devices()[0];
    let mut g = pool.netconf(&dev).await.unwrap();
    assert_eq!(g.framing(), netconf_wire::Framing::EndOfMessage);
    let (rpcs, commits) = (r1.counters().rpcs, r1.commit_count());
    let smuggled = "<get-software-information/><!-- ]]>]]>\
        <rpc message-id=\"x\"><lock><target><candidate/></target></lock></rpc>]]>]]>\
        <rpc message-id=\"y\"><load-configuration action=\"set\" format=\"text\"><configuration-set>set system host-name smuggled</configuration-set></load-configuration></rpc>]]>]]>\
        <rpc message-id=\"z\"><commit-configuration/></rpc>]]>]]> -->";
    let e = g.rpc(smuggled).await.unwrap_err();
    assert!(matches!(e, Error::InvalidRequest { .. }), "{e}");
    let msg = e.to_string();
    assert!(msg.contains("]]>]]>") && msg.contains("not sent"), "{msg}");
    // The proxy's path: a client's whole message (as chunked framing would deliver it)
    // relayed as bytes onto this base:1.0 session.
    let frame = format!("<rpc message-id=\"101\">{smuggled}</rpc>");
    let head = netconf_wire::Rpc::parse_head(frame.as_bytes()).unwrap();
    let e = g.relay(&head, frame.as_bytes()).await.unwrap_err();
    assert!(matches!(e, Error::InvalidRequest { .. }), "relayed: {e}");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(r1.counters().rpcs, rpcs, "nothing reached the router");
    assert_eq!(r1.commit_count(), commits);
    assert_eq!(r1.lock_holder(), None);
    assert_ne!(r1.running_host_name().as_deref(), Some("smuggled"));
    assert_answers_as_r1(&mut g).await;
    drop(g);
    let s = &pool.stats()[0];
    assert_eq!(s.discarded.values().sum::<u64>(), 0, "{s:?}");
    assert_eq!(s.idle_sessions, 1, "the session went back to the pool");
}

#[test]
fn docs_junos_md_has_a_row_for_every_rpc_the_simulator_answers_and_no_other() {
    // At run time (cargo sets it for the test process), not the compile-time value.
    let dir = std::path::PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo test sets CARGO_MANIFEST_DIR"),
    );
    let doc = std::fs::read_to_string(dir.join("../docs/junos.md")).expect("docs/junos.md");
    let rows: BTreeSet<&str> = doc
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split('`').next())
        .collect();
    let served: BTreeSet<&str> = junos_sim::commands::served_rpcs().collect();
    let undocumented: Vec<_> = served.difference(&rows).collect();
    let unserved: Vec<_> = rows.difference(&served).collect();
    assert!(
        undocumented.is_empty() && unserved.is_empty(),
        "answered without a row: {undocumented:?}; a row but not answered: {unserved:?}"
    );
}
