//! A client's session state through the proxy: locks and loads left behind, kill-session,
//! and every way a client can leave, from every state.

use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use netpool::{ConfigChange, Error};
use netpool_tests::*;

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_locks_loads_and_vanishes_leaves_the_router_clean_for_the_next() {
    let fleet = fleet(1).await;
    let px = proxy_for(&fleet, upstream_limits(&fleet, 1, 1)).await;
    let ep = &px.endpoints()[0];
    // The client reaches the proxy through a TCP proxy that can cut it off, as a client
    // killed with -9 or a laptop closed mid-session would.
    let cut = netchaos::FaultProxy::start(ep.addr, 1).await.unwrap();
    let vanishing = client();
    let dev = client_device(&px, 0, Some(cut.addr().port()));
    let mut g = vanishing.netconf(&dev).await.unwrap();
    g.lock().await.unwrap();
    g.load(&ConfigChange::set_lines("set system host-name left-behind"))
        .await
        .unwrap();
    cut.reset_open_connections();
    std::mem::forget(g); // the client is gone: it never unlocks nor closes
    assert_eventually!(
        Duration::from_secs(10),
        || ep.counters.leases.load(Relaxed) == 0,
        "the lease came back"
    );
    assert_eq!(
        ep.counters.resets.load(Relaxed),
        1,
        "cleaned, not discarded"
    );
    let next = client();
    let mut g = next.netconf(&client_device(&px, 0, None)).await.unwrap();
    g.lock().await.expect("the next client can lock");
    let candidate = rpc_text(
        &mut g,
        "<get-configuration database=\"candidate\"><configuration><system><host-name/></system></configuration></get-configuration>",
        &["configuration", "system", "host-name"],
    )
    .await;
    assert_eq!(candidate.as_deref(), Some("r1"), "the change was discarded");
    g.unlock().await.unwrap();
    drop(g);
    let r1 = &fleet.devices()[0];
    assert_eq!(
        r1.counters().tcp_accepts,
        1,
        "the same upstream session served both"
    );
    assert_eq!(r1.running_host_name().as_deref(), Some("r1"));
    px.shutdown(Duration::from_secs(2)).await;
}

async fn kill(killer: &mut netpool::NetconfGuard, id: u32) -> Result<netpool::RpcReply, Error> {
    killer
        .rpc(&format!(
            "<kill-session><session-id>{id}</session-id></kill-session>"
        ))
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_session_ends_the_client_session_it_names() {
    let fleet = fleet(1).await;
    let r1 = &fleet.devices()[0];
    let px = proxy_for(&fleet, upstream_limits(&fleet, 1, 4)).await;
    let ep = &px.endpoints()[0];
    let dev = client_device(&px, 0, None);
    let (a, b) = (client(), client());
    let mut victim = a.netconf(&dev).await.unwrap();
    let mut killer = b.netconf(&dev).await.unwrap();
    let vid = victim.session_id().unwrap();
    let kid = killer.session_id().unwrap();
    // Not a session of this endpoint, and the caller's own: invalid-value, as on Junos.
    for (id, says) in [(vid + 1000, "not a session"), (kid, "is this session")] {
        let e = kill(&mut killer, id).await.unwrap_err();
        let err = e.rpc_error().expect("an rpc-error");
        assert_eq!(err.tag, "invalid-value");
        assert!(err.message.as_deref().unwrap_or("").contains(says), "{e}");
    }
    victim.lock().await.unwrap();
    victim
        .load(&ConfigChange::set_lines("set system host-name killed-left"))
        .await
        .unwrap();
    kill(&mut killer, vid).await.expect("the victim is killed");
    // The victim's session itself is gone (not only its upstream session), and at once:
    // kill-session answered after the lease came back, cleaned.
    assert_eq!(
        ep.counters.leases.load(Relaxed),
        1,
        "only the killer's lease is out"
    );
    assert_eq!(r1.lock_holder(), None, "the victim's lock went with it");
    assert_eq!(
        r1.candidate_host_name().as_deref(),
        Some("r1"),
        "the victim's change went with it"
    );
    let e = victim
        .rpc("<get-software-information/>")
        .await
        .expect_err("the killed session is gone");
    assert!(
        matches!(e, Error::Transport { .. }),
        "the killed session's channel is closed, not answered: {e}"
    );
    // An ended session's id is no longer valid.
    let e = kill(&mut killer, vid).await.unwrap_err();
    assert_eq!(
        e.rpc_error().map(|r| r.tag.as_str()),
        Some("invalid-value"),
        "{e}"
    );
    assert_answers_as_r1(&mut killer).await;
    px.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_session_ends_a_victim_without_a_lease_and_races_with_give_back() {
    let fleet = fleet(1).await;
    let mut up = upstream_limits(&fleet, 1, 2);
    up.checkout_timeout = Duration::from_millis(300);
    let px = proxy_for(&fleet, up).await;
    let ep = &px.endpoints()[0];
    let dev = client_device(&px, 0, None);
    let (a, b, c) = (client(), client(), client());
    let mut killer = b.netconf(&dev).await.unwrap();
    let mut bystander = c.netconf(&dev).await.unwrap();
    // Both upstream sessions are lent: the victim's hello comes without a lease.
    let mut victim = a.netconf(&dev).await.unwrap();
    let e = victim
        .rpc("<get-software-information/>")
        .await
        .expect_err("no upstream session for the victim");
    assert_eq!(
        e.rpc_error().map(|r| r.tag.as_str()),
        Some("resource-denied"),
        "{e}"
    );
    kill(&mut killer, victim.session_id().unwrap())
        .await
        .expect("a session without a lease is killed too");
    assert!(
        victim.rpc("<get-software-information/>").await.is_err(),
        "the leaseless victim still answers"
    );
    drop(victim);
    // A kill racing with its target's own close-session: either answer is right, and
    // neither disturbs another session.
    drop(bystander);
    for round in 0..10 {
        let mut target = a.netconf(&dev).await.unwrap();
        let id = target.session_id().unwrap();
        let (killed, _) = tokio::join!(kill(&mut killer, id), async move {
            let _ = target.rpc("<close-session/>").await;
        });
        if let Err(e) = killed {
            assert_eq!(
                e.rpc_error().map(|r| r.tag.as_str()),
                Some("invalid-value"),
                "round {round}: {e}"
            );
        }
        assert_answers_as_r1(&mut killer).await;
    }
    bystander = c.netconf(&dev).await.unwrap();
    assert_answers_as_r1(&mut bystander).await;
    // The clients go: their pools close their sessions.
    drop((bystander, killer));
    for p in [a, b, c] {
        p.shutdown(Duration::from_secs(2)).await;
    }
    assert_eventually!(
        Duration::from_secs(5),
        || ep.counters.leases.load(Relaxed) == 0,
        "every lease came back"
    );
    px.shutdown(Duration::from_secs(2)).await;
}

/// Every way a client can leave, from every configuration state it can leave behind: the
/// next client always finds no lock, no private candidate, and a candidate equal to the
/// running configuration. A pending `commit confirmed` is left to roll back (the proxy
/// never confirms a commit for a client that left), so it is still pending after.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_departure_from_every_state_leaves_a_clean_candidate_and_no_lock() {
    let fleet = fleet(1).await;
    let r1 = &fleet.devices()[0];
    // One upstream session: every client gets the one the last one left.
    let px = proxy_with(&fleet, upstream_limits(&fleet, 1, 1), |c| {
        c.client_keepalive = Duration::from_millis(200)
    })
    .await;
    let ep = &px.endpoints()[0];
    let load = |name: &str| {
        format!("<load-configuration action=\"set\" format=\"text\"><configuration-set>set system host-name {name}</configuration-set></load-configuration>")
    };
    let lock = "<lock><target><candidate/></target></lock>".to_string();
    let states: Vec<(&str, Vec<String>)> = vec![
        ("locked", vec![lock.clone()]),
        ("loaded", vec![load("loaded-left")]),
        (
            "close-configuration after a load",
            vec![load("closed-left"), "<close-configuration/>".into()],
        ),
        ("exclusive (lock, load)", vec![lock.clone(), load("excl-left")]),
        (
            "private",
            vec![
                "<open-configuration><private/></open-configuration>".into(),
                load("private-left"),
            ],
        ),
        (
            "commit confirmed pending",
            vec![
                load("confirmed-left"),
                "<commit-configuration><confirmed/><confirm-timeout>5</confirm-timeout></commit-configuration>".into(),
            ],
        ),
        (
            "commit check after a load",
            vec![
                load("checked-left"),
                "<commit-configuration><check/></commit-configuration>".into(),
            ],
        ),
    ];
    for (state, rpcs) in &states {
        for way in ["close-session", "TCP reset", "silent vanish"] {
            let case = format!("{state} / {way}");
            let cut = netchaos::FaultProxy::start(ep.addr, 1).await.unwrap();
            let leaving = client();
            let mut g = leaving
                .netconf(&client_device(&px, 0, Some(cut.addr().port())))
                .await
                .unwrap_or_else(|e| panic!("{case}: {e}"));
            for rpc in rpcs {
                g.rpc(rpc)
                    .await
                    .unwrap_or_else(|e| panic!("{case}: {rpc}: {e}"));
            }
            match way {
                "close-session" => {
                    let _ = g.rpc("<close-session/>").await;
                }
                "TCP reset" => cut.reset_open_connections(),
                _ => cut.blackhole_open_connections(),
            }
            std::mem::forget(g); // the client cleans nothing up itself
            assert_eventually!(
                Duration::from_secs(10),
                || ep.counters.leases.load(Relaxed) == 0,
                "{case}: the lease did not come back"
            );
            let next = client();
            let mut n = next
                .netconf(&client_device(&px, 0, None))
                .await
                .unwrap_or_else(|e| panic!("{case}: next client: {e}"));
            n.lock()
                .await
                .unwrap_or_else(|e| panic!("{case}: the next client cannot lock: {e}"));
            assert_eq!(r1.private_candidates(), 0, "{case}: private candidate left");
            assert_eq!(
                r1.candidate_host_name(),
                r1.running_host_name(),
                "{case}: uncommitted change left in the candidate"
            );
            n.unlock().await.unwrap();
            drop(n);
            next.shutdown(Duration::from_secs(1)).await;
            cut.disable();
        }
    }
    assert!(
        r1.commit_confirm_pending(),
        "the pending commit confirmed was confirmed by someone: the rule is to leave it to roll back"
    );
    assert_eq!(
        r1.running_host_name().as_deref(),
        Some("confirmed-left"),
        "only the confirmed commit reached the running configuration"
    );
    px.shutdown(Duration::from_secs(2)).await;
}
