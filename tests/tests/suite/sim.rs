//! junos-sim under bad input: clear errors, everyone else keeps being served, nothing leaks.

use std::sync::Arc;
use std::time::Duration;

use junos_sim::DeviceConfig;
use netconf_wire::{Hello, RpcReply};
use netpool_tests::*;
use russh::client::{self, Handle, Msg};
use russh::{Channel, ChannelMsg};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn ssh(addr: std::net::SocketAddr) -> Handle<AnyKey> {
    let cfg = Arc::new(client::Config {
        nodelay: true,
        ..Default::default()
    });
    let mut h = client::connect(cfg, addr, AnyKey).await.unwrap();
    assert!(h
        .authenticate_password(USER, PASSWORD)
        .await
        .unwrap()
        .success());
    h
}

async fn netconf_channel(h: &Handle<AnyKey>) -> Channel<Msg> {
    let ch = h.channel_open_session().await.unwrap();
    ch.request_subsystem(true, "netconf").await.unwrap();
    ch
}

/// Read until `n` end-of-message frames have arrived (or the channel ends).
async fn read_frames(ch: &mut Channel<Msg>, n: usize) -> Vec<String> {
    let mut buf = String::new();
    loop {
        let frames: Vec<String> = buf.split("]]>]]>").map(|s| s.trim().to_string()).collect();
        if frames.len() > n {
            return frames[..n].to_vec();
        }
        match tokio::time::timeout(Duration::from_secs(5), ch.wait())
            .await
            .expect("reply in time")
        {
            Some(ChannelMsg::Data { data }) => buf.push_str(&String::from_utf8_lossy(&data)),
            Some(ChannelMsg::Eof) | Some(ChannelMsg::Close) | None => {
                return buf
                    .split("]]>]]>")
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect()
            }
            Some(_) => {}
        }
    }
}

const HELLO: &[u8] = b"<hello xmlns=\"urn:ietf:params:xml:ns:netconf:base:1.0\"><capabilities><capability>urn:ietf:params:netconf:base:1.0</capability></capabilities></hello>]]>]]>";

async fn still_serves(r: &junos_sim::Router) {
    let fleet_pool = netpool::Pool::builder()
        .host_key_policy(netpool::HostKeyPolicy::InsecureAcceptAny)
        .build()
        .unwrap();
    let out = fleet_pool.cli(&device(r), "show version").await.unwrap();
    assert!(out.stdout.contains("Hostname"));
    fleet_pool.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn garbage_on_the_ssh_port_is_dropped_and_others_are_served() {
    let fleet = fleet(1).await;
    let r1 = &fleet.devices()[0];
    let mut s = tokio::net::TcpStream::connect(r1.addr()).await.unwrap();
    let mut banner = [0u8; 64];
    let n = s.read(&mut banner).await.unwrap();
    assert!(String::from_utf8_lossy(&banner[..n]).starts_with("SSH-2.0-"));
    s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n\x00\x01\x02garbage")
        .await
        .unwrap();
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut rest)).await;
    assert!(
        closed.is_ok(),
        "the server closes a connection that speaks garbage"
    );
    still_serves(r1).await;
    assert_eventually!(Duration::from_secs(2), || r1.counters().sessions_open == 0);
}

#[tokio::test]
async fn invalid_xml_gets_an_rpc_error_and_the_session_goes_on() {
    let fleet = fleet(1).await;
    let r1 = &fleet.devices()[0];
    let h = ssh(r1.addr()).await;
    let mut ch = netconf_channel(&h).await;
    ch.data(HELLO).await.unwrap();
    ch.data(&b"<rpc message-id=\"1\"><get-software-information></rpc>]]>]]><rpc message-id=\"2\"><get-software-information/></rpc>]]>]]>"[..]).await.unwrap();
    let frames = read_frames(&mut ch, 3).await;
    assert!(Hello::parse(frames[0].as_bytes()).is_ok());
    let bad = RpcReply::parse(frames[1].as_bytes()).unwrap();
    let err = bad.first_error().expect("an rpc-error for malformed XML");
    assert_eq!(err.tag, "malformed-message");
    assert!(
        err.message.as_deref().unwrap_or("").contains("malformed"),
        "{err:?}"
    );
    let good = RpcReply::parse(frames[2].as_bytes()).unwrap();
    assert_eq!(good.message_id(), Some("2"));
    assert!(good.root.has("software-information"));
    assert_eq!(r1.counters().bad_frames, 1);
}

#[tokio::test]
async fn an_oversize_frame_is_refused_without_unbounded_memory() {
    let fleet = fleet_one(|c| c.max_frame = 4096).await;
    let r1 = &fleet.devices()[0];
    let h = ssh(r1.addr()).await;
    let mut ch = netconf_channel(&h).await;
    ch.data(HELLO).await.unwrap();
    let big = format!(
        "<rpc message-id=\"1\"><command>{}</command></rpc>",
        "x".repeat(64 * 1024)
    );
    ch.data(big.as_bytes()).await.unwrap();
    let frames = read_frames(&mut ch, 2).await;
    let reply = RpcReply::parse(frames[1].as_bytes()).unwrap();
    let err = reply.first_error().unwrap();
    assert_eq!(err.tag, "malformed-message");
    assert!(
        err.message.as_deref().unwrap_or("").contains("4096"),
        "{err:?}"
    );
    assert_eventually!(
        Duration::from_secs(2),
        || r1.counters().netconf_open == 0,
        "the session was ended"
    );
    still_serves(r1).await;
}

#[tokio::test]
async fn a_client_gone_mid_frame_leaves_nothing_behind() {
    let fleet = fleet(1).await;
    let r1 = &fleet.devices()[0];
    {
        let h = ssh(r1.addr()).await;
        let ch = netconf_channel(&h).await;
        ch.data(HELLO).await.unwrap();
        ch.data(&b"<rpc message-id=\"1\"><lock><target><cand"[..])
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(r1.counters().netconf_open, 1);
        // The TCP connection goes away with the handle, mid-frame.
    }
    assert_nothing_open(r1, Duration::from_secs(3)).await;
    assert_eq!(r1.lock_holder(), None);
    still_serves(r1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_sessions_open_and_close_and_none_is_left() {
    let fleet = fleet(1).await;
    let r1 = fleet.devices()[0].clone();
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let addr = r1.addr();
            tokio::spawn(async move {
                for _ in 0..250 {
                    let h = ssh(addr).await;
                    let mut ch = netconf_channel(&h).await;
                    ch.data(HELLO).await.unwrap();
                    ch.data(&b"<rpc message-id=\"1\"><close-session/></rpc>]]>]]>"[..])
                        .await
                        .unwrap();
                    let frames = read_frames(&mut ch, 2).await;
                    assert!(RpcReply::parse(frames[1].as_bytes()).unwrap().is_ok());
                    h.disconnect(russh::Disconnect::ByApplication, "", "")
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let c = r1.counters();
    assert_eq!(c.netconf_sessions, 1000);
    assert_nothing_open(&r1, Duration::from_secs(5)).await;
}

#[tokio::test]
async fn base_1_1_chunked_framing_when_the_device_offers_it() {
    let fleet = fleet_with(
        1,
        DeviceConfig {
            netconf_1_1: true,
            route_count: 5_000,
            ..Default::default()
        },
    )
    .await;
    let pool = pool_for(&fleet);
    let dev = device(&fleet.devices()[0]);
    let mut g = pool.netconf(&dev).await.unwrap();
    assert_eq!(g.framing(), netconf_wire::Framing::Chunked);
    assert_answers_as_r1(&mut g).await;
    // A large reply streamed in many chunks.
    let all = g.rpc("<get-route-information/>").await.unwrap();
    let n = all
        .root
        .find(&["route-information", "route-table"])
        .unwrap()
        .children_named("rt")
        .count();
    assert_eq!(n, 5_000);
    // A device without 1.1 keeps end-of-message framing.
    let old = fleet_with(1, DeviceConfig::default()).await;
    let mut g = pool_for(&old)
        .netconf(&device(&old.devices()[0]))
        .await
        .unwrap();
    assert_eq!(g.framing(), netconf_wire::Framing::EndOfMessage);
    g.command("show version").await.unwrap();
}

#[tokio::test]
async fn netconf_over_exec_xml_mode_need_trailer() {
    let fleet = fleet(1).await;
    let h = ssh(fleet.devices()[0].addr()).await;
    let mut ch = h.channel_open_session().await.unwrap();
    ch.exec(true, "xml-mode netconf need-trailer")
        .await
        .unwrap();
    ch.data(HELLO).await.unwrap();
    ch.data(&b"<rpc message-id=\"9\"><get-chassis-inventory/></rpc>]]>]]>"[..])
        .await
        .unwrap();
    let frames = read_frames(&mut ch, 2).await;
    assert!(Hello::parse(frames[0].as_bytes())
        .unwrap()
        .session_id
        .is_some());
    let reply = RpcReply::parse(frames[1].as_bytes()).unwrap();
    assert_eq!(reply.message_id(), Some("9"));
    assert_eq!(
        reply
            .root
            .find(&["chassis-inventory", "chassis", "serial-number"])
            .map(|e| e.text.as_str()),
        Some(fleet.devices()[0].spec().serial.as_str())
    );
}

#[tokio::test]
async fn kill_session_ends_the_other_session_and_frees_its_lock() {
    let (fleet, pool, dev) = one_router().await;
    let r1 = &fleet.devices()[0];
    let mut victim = pool.netconf(&dev).await.unwrap();
    victim.lock().await.unwrap();
    let vid = victim.session_id().unwrap();
    let mut admin = pool.netconf(&dev).await.unwrap();
    let denied = admin.lock().await.unwrap_err();
    assert_eq!(denied.rpc_error().unwrap().tag, "lock-denied");
    admin
        .rpc(&format!(
            "<kill-session><session-id>{vid}</session-id></kill-session>"
        ))
        .await
        .unwrap();
    assert_eventually!(Duration::from_secs(2), || r1.lock_holder().is_none());
    admin.lock().await.unwrap();
    admin.unlock().await.unwrap();
    let err = victim.command("show version").await.unwrap_err();
    assert!(matches!(err, netpool::Error::Transport { .. }), "{err}");
    let own = admin
        .rpc(&format!(
            "<kill-session><session-id>{}</session-id></kill-session>",
            admin.session_id().unwrap()
        ))
        .await
        .unwrap_err();
    assert_eq!(own.rpc_error().unwrap().tag, "invalid-value");
}

/// Within `bound`, the router has no SSH connection, NETCONF session or channel open.
async fn assert_nothing_open(r1: &junos_sim::Router, bound: Duration) {
    assert_eventually!(
        bound,
        || {
            let c = r1.counters();
            c.sessions_open == 0 && c.netconf_open == 0 && c.channels_open == 0
        },
        "{:?}",
        r1.counters()
    );
}

/// A statement of 20,000 words once overflowed the simulator's stack and took the whole
/// fleet down; now it is Junos's syntax error, nested in the load results, and the router
/// and its neighbour go on serving.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_statement_is_a_syntax_error_and_the_fleet_goes_on() {
    let fleet = fleet(2).await;
    let r1 = &fleet.devices()[0];
    let pool = pool_for(&fleet);
    let words = std::iter::repeat_n("a", 20_000)
        .collect::<Vec<_>>()
        .join(" ");
    let e = pool
        .configure(
            &device(r1),
            &netpool::ConfigChange::set_lines(format!("set system {words}")),
        )
        .await
        .unwrap_err();
    let err = e.rpc_error().expect("an rpc-error");
    assert_eq!(err.message.as_deref().map(str::trim), Some("syntax error"));
    still_serves(r1).await;
    still_serves(&fleet.devices()[1]).await;
}

/// A value with a quote, markup or the end-of-message marker once panicked the router
/// under its state lock (and was written into later replies as raw XML). Now it is a
/// value like any other, in every view, and the router goes on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_values_never_poison_a_router() {
    let (fleet, pool, dev) = one_router().await;
    let r1 = &fleet.devices()[0];
    for value in ["a\"b", "x</host-name><evil/>", "]]>]]>", "back\\slash"] {
        let xml = format!(
            "<configuration><system><host-name>{}</host-name></system></configuration>",
            netconf_wire::escape_text(value)
        );
        pool.configure(&dev, &netpool::ConfigChange::xml(xml))
            .await
            .unwrap_or_else(|e| panic!("{value}: {e}"));
        assert_eq!(r1.running_host_name().as_deref(), Some(value));
        for cmd in [
            "show configuration",
            "show configuration system | display set",
        ] {
            let out = pool.cli(&dev, cmd).await.unwrap();
            assert!(out.stdout.contains("host-name"), "{cmd}: {}", out.stdout);
        }
        let mut g = pool.netconf(&dev).await.unwrap();
        let committed = "<get-configuration database=\"committed\"><configuration><system><host-name/></system></configuration></get-configuration>";
        let path = ["configuration", "system", "host-name"];
        assert_eq!(
            rpc_text(&mut g, committed, &path).await.as_deref(),
            Some(value)
        );
    }
    still_serves(r1).await;
}

/// A client that connects and never authenticates is closed after the login grace time,
/// so idle unauthenticated connections cannot fill `connection-limit`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unauthenticated_connections_are_closed_after_the_grace_time() {
    let fleet = fleet_one(|c| c.login_grace = Duration::from_millis(300)).await;
    let r1 = &fleet.devices()[0];
    let cfg = Arc::new(client::Config::default());
    let mut h = client::connect(cfg, r1.addr(), AnyKey).await.unwrap();
    assert_eq!(r1.counters().sessions_open, 1);
    assert_eventually!(
        Duration::from_secs(3),
        || r1.counters().sessions_open == 0,
        "the unauthenticated connection is still open"
    );
    // No login once the grace time is over: the connection is gone, or the attempt fails
    // (an error, or a refusal the server wrote before it closed; under load the client may
    // not have read the close yet).
    if !h.is_closed() {
        let late = h.authenticate_password(USER, PASSWORD).await;
        assert!(
            !late.as_ref().is_ok_and(|r| r.success()),
            "a login after the grace time succeeded: {late:?}"
        );
    }
    still_serves(r1).await;
}
