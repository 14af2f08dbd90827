//! Hostile clients against `netlab proxy`: random keystrokes on its shell and random
//! bytes on its NETCONF channels, then abrupt or polite goodbyes. After each session the
//! proxy has every lease back, the router holds no lock and no uncommitted change, and
//! both still answer.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use netpool_tests::{config_for, device, fleet, runtime, AnyKey};
use proptest::prelude::*;
use russh::client;

use crate::fuzz::shell::{run_session_as, session_input};
use crate::proxy::{proxy_for, CLIENT_PASSWORD};

struct Lab {
    rt: tokio::runtime::Runtime,
    fleet: junos_sim::Fleet,
    proxy: netlab::proxy::Proxy,
    direct: netpool::Pool,
}

/// The two properties run in parallel: each has a router and proxy of its own, so that
/// one's "nothing left behind" never sees the other's lock or change.
static SHELL_LAB: OnceLock<Lab> = OnceLock::new();
static NETCONF_LAB: OnceLock<Lab> = OnceLock::new();

fn lab(cell: &'static OnceLock<Lab>) -> &'static Lab {
    cell.get_or_init(|| {
        let rt = runtime();
        let (fleet, proxy, direct) = rt.block_on(async {
            let fleet = fleet(1).await;
            let mut up = config_for(&fleet);
            up.max_connections_per_device = 1;
            up.rpc_timeout = Duration::from_secs(3);
            let proxy = proxy_for(&fleet, up).await;
            let direct = netpool::Pool::new(config_for(&fleet)).unwrap();
            (fleet, proxy, direct)
        });
        Lab {
            rt,
            fleet,
            proxy,
            direct,
        }
    })
}

/// Every lease back, nothing locked or changed on the router, and it still answers.
async fn nothing_left_behind(lab: &Lab) -> Result<(), String> {
    let ep = &lab.proxy.endpoints()[0];
    let mut back = false;
    for _ in 0..200 {
        if ep.counters.leases.load(Relaxed) == 0 {
            back = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    if !back {
        return Err(format!(
            "{} leases still out",
            ep.counters.leases.load(Relaxed)
        ));
    }
    let r1 = &lab.fleet.devices()[0];
    if let Some(holder) = r1.lock_holder() {
        return Err(format!("session {holder} still holds the router's lock"));
    }
    let dev = device(r1);
    let mut nc = lab.direct.netconf(&dev).await.map_err(|e| e.to_string())?;
    let diff = nc
        .rpc("<get-configuration compare=\"rollback\" rollback=\"0\" format=\"text\"/>")
        .await
        .map_err(|e| e.to_string())?;
    let text = diff
        .root
        .find(&["configuration-information", "configuration-output"])
        .map(|e| e.text.trim().to_string())
        .unwrap_or_default();
    if !text.is_empty() {
        return Err(format!("uncommitted changes left on the router: {text}"));
    }
    Ok(())
}

/// A NETCONF client message drawn from what clients send and what they should not.
fn netconf_chunk() -> impl Strategy<Value = Vec<u8>> {
    const HELLO: &str = "<hello xmlns=\"urn:ietf:params:xml:ns:netconf:base:1.0\"><capabilities><capability>urn:ietf:params:netconf:base:1.0</capability></capabilities></hello>]]>]]>";
    prop_oneof![
        3 => Just(HELLO.as_bytes().to_vec()),
        4 => prop::sample::select(vec![
            "<rpc message-id=\"1\"><get-software-information/></rpc>]]>]]>",
            "<rpc message-id=\"2\"><lock><target><candidate/></target></lock></rpc>]]>]]>",
            "<rpc message-id=\"3\"><load-configuration action=\"set\" format=\"text\"><configuration-set>set system host-name fz-proxy</configuration-set></load-configuration></rpc>]]>]]>",
            "<rpc message-id=\"4\"><open-configuration><private/></open-configuration></rpc>]]>]]>",
            "<rpc message-id=\"5\"><unlock><target><candidate/></target></unlock></rpc>]]>]]>",
            "<rpc message-id=\"6\"><kill-session><session-id>1</session-id></kill-session></rpc>]]>]]>",
            "<rpc message-id=\"7\"><close-session/></rpc>]]>]]>",
            "<rpc><get-system-uptime-information/></rpc>]]>]]>",
            "<nc:rpc xmlns:nc=\"urn:ietf:params:xml:ns:netconf:base:1.0\" message-id=\"u&amp;\"><nc:discard-changes/></nc:rpc>]]>]]>",
            "<rpc message-id=\"8\"><get-software-information/>",
            "<rpc message-id=\"9\" message-id=\"9\"><x/></rpc>]]>]]>",
            "<rpc message-id=\"10\"></rpc>]]>]]>",
            "not xml at all]]>]]>",
            "\n#99999999999\n",
            "]]>]]>",
        ])
        .prop_map(|s| s.as_bytes().to_vec()),
        1 => prop::collection::vec(any::<u8>(), 0..300),
    ]
}

async fn netconf_session(
    addr: std::net::SocketAddr,
    chunks: &[Vec<u8>],
    polite: bool,
) -> Result<(), String> {
    let mut h = client::connect(Arc::new(client::Config::default()), addr, AnyKey)
        .await
        .map_err(|e| e.to_string())?;
    let auth = h
        .authenticate_password(netpool_tests::USER, CLIENT_PASSWORD)
        .await
        .map_err(|e| e.to_string())?;
    if !auth.success() {
        return Err("auth refused".into());
    }
    let mut ch = h.channel_open_session().await.map_err(|e| e.to_string())?;
    ch.request_subsystem(true, "netconf")
        .await
        .map_err(|e| e.to_string())?;
    for c in chunks {
        if ch.data_bytes(c.clone()).await.is_err() {
            break;
        }
    }
    // Read whatever comes for a moment: replies, errors, or the end.
    let deadline = tokio::time::Instant::now() + Duration::from_millis(400);
    while let Ok(Some(m)) = tokio::time::timeout_at(deadline, ch.wait()).await {
        if matches!(m, russh::ChannelMsg::Eof | russh::ChannelMsg::Close) {
            break;
        }
    }
    if polite {
        let _ = ch.close().await;
        let _ = h
            .disconnect(russh::Disconnect::ByApplication, "", "en")
            .await;
    }
    drop(h); // otherwise: the TCP connection just goes away
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn random_shell_input_through_the_proxy_leaves_nothing_behind(chunks in session_input()) {
        let lab = lab(&SHELL_LAB);
        let r = lab.rt.block_on(async {
            run_session_as(lab.proxy.endpoints()[0].addr, CLIENT_PASSWORD, &chunks).await?;
            nothing_left_behind(lab).await
        });
        prop_assert!(r.is_ok(), "{}", r.unwrap_err());
    }

    #[test]
    fn random_netconf_input_through_the_proxy_leaves_nothing_behind(
        chunks in prop::collection::vec(netconf_chunk(), 1..10),
        polite in any::<bool>(),
    ) {
        let lab = lab(&NETCONF_LAB);
        let r = lab.rt.block_on(async {
            netconf_session(lab.proxy.endpoints()[0].addr, &chunks, polite).await?;
            nothing_left_behind(lab).await
        });
        prop_assert!(r.is_ok(), "{}", r.unwrap_err());
    }
}
