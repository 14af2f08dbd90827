//! Hostile NETCONF clients against `netlab proxy`, as `hostile` is for hostile routers:
//! endless and oversize frames (end-of-message and chunked), chunk headers past the cap,
//! bad prologues, and the framing offered when no upstream session is free. Each ends in a
//! named error or a closed channel within its bound, while a well-behaved client is served
//! throughout, and nothing is left on the router. Random bytes after the hello are
//! `proxy_fuzz`'s; slow, silent and flooding clients before login are `preauth`'s.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::{Duration, Instant};

use junos_sim::DeviceConfig;
use netpool::PoolConfig;
use netpool_tests::*;
use russh::client::{self, Msg};
use russh::{Channel, ChannelMsg};

use crate::proxy::{client, client_device, proxy_with, CLIENT_PASSWORD};

/// The message cap these tests give the proxy.
const CAP: usize = 64 * 1024;
const HELLO_1_0: &[u8] = b"<hello xmlns=\"urn:ietf:params:xml:ns:netconf:base:1.0\"><capabilities><capability>urn:ietf:params:netconf:base:1.0</capability></capabilities></hello>]]>]]>";
const HELLO_1_1: &[u8] = b"<hello xmlns=\"urn:ietf:params:xml:ns:netconf:base:1.0\"><capabilities><capability>urn:ietf:params:netconf:base:1.1</capability></capabilities></hello>]]>]]>";

/// A raw NETCONF channel through the proxy, logged in with its password, and the proxy's
/// hello as text.
async fn raw(px: &netlab::proxy::Proxy) -> (client::Handle<AnyKey>, Channel<Msg>, String) {
    let addr = px.endpoints()[0].addr;
    let mut h = client::connect(Arc::new(client::Config::default()), addr, AnyKey)
        .await
        .expect("connect to the proxy");
    assert!(h
        .authenticate_password(USER, CLIENT_PASSWORD)
        .await
        .unwrap()
        .success());
    let mut ch = h.channel_open_session().await.unwrap();
    ch.request_subsystem(true, "netconf").await.unwrap();
    let hello = match read(&mut ch, b"]]>]]>", Duration::from_secs(40)).await {
        Read::Got(h) => h,
        other => panic!("no hello from the proxy: {other:?}"),
    };
    (h, ch, hello)
}

#[derive(Debug)]
enum Read {
    /// Everything up to and including the marker.
    Got(String),
    /// The channel ended; what came before.
    Closed(String),
    /// Nothing complete within the bound; what came.
    TimedOut(String),
}

async fn read(ch: &mut Channel<Msg>, marker: &[u8], bound: Duration) -> Read {
    let until = Instant::now() + bound;
    let mut buf = Vec::new();
    loop {
        if let Some(at) = buf.windows(marker.len()).position(|w| w == marker) {
            buf.truncate(at + marker.len());
            return Read::Got(String::from_utf8_lossy(&buf).into_owned());
        }
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        match tokio::time::timeout_at(until.into(), ch.wait()).await {
            Err(_) => return Read::TimedOut(text(&buf)),
            Ok(Some(ChannelMsg::Data { data })) => buf.extend_from_slice(&data),
            Ok(Some(ChannelMsg::Eof | ChannelMsg::Close) | None) => {
                return Read::Closed(text(&buf))
            }
            Ok(Some(_)) => {}
        }
    }
}

/// The proxy in front of `fleet` with the tests' cap, one upstream connection.
async fn capped_proxy(fleet: &junos_sim::Fleet) -> netlab::proxy::Proxy {
    let mut up: PoolConfig = config_for(fleet);
    up.max_connections_per_device = 1;
    up.rpc_timeout = Duration::from_secs(5);
    proxy_with(fleet, up, |c| c.max_message = CAP).await
}

/// A separate, well-behaved client gets the router's answer through the proxy.
async fn served(px: &netlab::proxy::Proxy, fleet: &junos_sim::Fleet) {
    let pool = client();
    let dev = client_device(px, 0, None);
    let mut nc = pool
        .netconf(&dev)
        .await
        .expect("a healthy client's session");
    let r = nc
        .rpc("<get-software-information/>")
        .await
        .expect("a healthy client's rpc");
    let host = r
        .root
        .find(&["software-information", "host-name"])
        .map(|e| e.text.clone());
    assert_eq!(host.as_deref(), Some(fleet.devices()[0].hostname()));
}

/// Close a raw client: its channel, then its connection.
async fn bye(h: client::Handle<AnyKey>, ch: Channel<Msg>) {
    let _ = ch.close().await;
    let _ = h
        .disconnect(russh::Disconnect::ByApplication, "bye", "")
        .await;
}

/// Every lease back and no lock on the router.
async fn nothing_left(px: &netlab::proxy::Proxy, fleet: &junos_sim::Fleet) {
    let ep = &px.endpoints()[0];
    let until = Instant::now() + Duration::from_secs(10);
    while ep.counters.leases.load(Relaxed) != 0 {
        assert!(
            Instant::now() < until,
            "{} leases still out",
            ep.counters.leases.load(Relaxed)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(fleet.devices()[0].lock_holder(), None);
}

/// Send `bytes` and expect the channel to end within `bound` (a framing error may be
/// written first); the answer seen, if any.
async fn ends(ch: &mut Channel<Msg>, bytes: &[u8], bound: Duration, what: &str) -> String {
    let t = Instant::now();
    // A proxy that cuts the channel mid-send makes the send fail: that is the point.
    let _ = ch.data(bytes).await;
    loop {
        match read(ch, b"]]>]]>", bound.saturating_sub(t.elapsed())).await {
            Read::Closed(seen) => return seen,
            Read::Got(reply) => assert!(
                reply.contains("<rpc-error>"),
                "{what}: answered, not refused: {reply}"
            ),
            Read::TimedOut(seen) => panic!(
                "{what}: the channel was still open after {bound:?} (seen: {})",
                &seen[..seen.len().min(300)]
            ),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endless_and_oversize_frames_end_only_their_senders_session() {
    let fleet = fleet_one(|c| c.netconf_1_1 = true).await;
    let px = capped_proxy(&fleet).await;
    let bound = Duration::from_secs(10);

    // End-of-message framing: bytes without a delimiter, past the cap.
    let (h, mut ch, _) = raw(&px).await;
    ch.data(HELLO_1_0).await.unwrap();
    let endless = vec![b'x'; 4 * CAP];
    ends(&mut ch, &endless, bound, "an endless frame").await;
    bye(h, ch).await;
    served(&px, &fleet).await;

    // A complete, well-formed message one byte over the cap.
    let (h, mut ch, _) = raw(&px).await;
    ch.data(HELLO_1_0).await.unwrap();
    let head = b"<rpc message-id=\"1\"><get-software-information/><!-- ";
    let tail = b" --></rpc>]]>]]>";
    let mut big = head.to_vec();
    big.resize(CAP + 1 - tail.len() + b"]]>]]>".len(), b'p');
    big.extend_from_slice(tail);
    ends(&mut ch, &big, bound, "a message over the cap").await;
    bye(h, ch).await;
    served(&px, &fleet).await;

    // Chunked framing (the router offers base:1.1, so the proxy does): a chunk header that
    // announces more than the cap, and one past u64.
    for header in [
        format!("\n#{}\n", CAP + 1),
        "\n#18446744073709551617\n".to_string(),
    ] {
        let (h, mut ch, hello) = raw(&px).await;
        assert!(hello.contains("base:1.1"), "{hello}");
        ch.data(HELLO_1_1).await.unwrap();
        let mut bytes = header.clone().into_bytes();
        bytes.extend_from_slice(b"<rpc message-id=\"1\">");
        ends(&mut ch, &bytes, bound, &format!("chunk header {header:?}")).await;
        bye(h, ch).await;
        served(&px, &fleet).await;
    }
    nothing_left(&px, &fleet).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_prologues_are_the_senders_error_and_its_upstream_session_stays() {
    let fleet = fleet(1).await;
    let px = capped_proxy(&fleet).await;
    let r1 = &fleet.devices()[0];
    let (h, mut ch, _) = raw(&px).await;
    ch.data(HELLO_1_0).await.unwrap();
    // The lease is taken: one RPC answered, then count the router's NETCONF sessions.
    ch.data(&b"<rpc message-id=\"0\"><get-software-information/></rpc>]]>]]>"[..])
        .await
        .unwrap();
    let first = read(&mut ch, b"]]>]]>", Duration::from_secs(10)).await;
    assert!(
        matches!(&first, Read::Got(r) if r.contains("<host-name>")),
        "{first:?}"
    );
    let sessions = r1.counters().netconf_sessions;
    for (n, bad) in [
        "<![CDATA[x]]><rpc message-id=\"1\"><get-software-information/></rpc>]]>]]>",
        "&e;<rpc message-id=\"2\"><get-software-information/></rpc>]]>]]>",
        "\u{a0}<rpc message-id=\"3\"><get-software-information/></rpc>]]>]]>",
        "text<rpc message-id=\"4\"><get-software-information/></rpc>]]>]]>",
        "<rpc message-id=\"5\"><get-software-information/><!-- ]]>]]>",
    ]
    .iter()
    .enumerate()
    {
        ch.data(bad.as_bytes()).await.unwrap();
        match read(&mut ch, b"]]>]]>", Duration::from_secs(10)).await {
            Read::Got(r) => assert!(
                r.contains("<rpc-error>") && r.contains("malformed-message"),
                "prologue {n} ({bad:?}): {r}"
            ),
            other => panic!("prologue {n} ({bad:?}): {other:?}"),
        }
    }
    // The same session goes on over the same upstream session.
    ch.data(&b"<rpc message-id=\"6\"><get-software-information/></rpc>]]>]]>"[..])
        .await
        .unwrap();
    let after = read(&mut ch, b"]]>]]>", Duration::from_secs(10)).await;
    assert!(
        matches!(&after, Read::Got(r) if r.contains("<host-name>") && r.contains("message-id=\"6\"")),
        "{after:?}"
    );
    assert_eq!(
        r1.counters().netconf_sessions,
        sessions,
        "a bad prologue cost the upstream session"
    );
    served(&px, &fleet).await;
    bye(h, ch).await;
    nothing_left(&px, &fleet).await;
}

/// With every upstream session lent, the proxy cannot know the framing of the session a
/// client will get: its hello offers base:1.0 alone, even before a base:1.1 router, so a
/// client can never negotiate chunked framing over an end-of-message upstream.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hello_without_a_free_upstream_session_offers_base_1_0_alone() {
    let fleet = fleet_one(|c| c.netconf_1_1 = true).await;
    let mut up: PoolConfig = config_for(&fleet);
    up.max_connections_per_device = 1;
    up.channels_per_connection = 1;
    up.checkout_timeout = Duration::from_millis(500);
    let px = proxy_with(&fleet, up, |c| c.max_message = CAP).await;
    let (ha, a, hello_a) = raw(&px).await;
    assert!(hello_a.contains("base:1.1"), "with a lease: {hello_a}");
    a.data(HELLO_1_0).await.unwrap();
    let (hb, b, hello_b) = raw(&px).await;
    assert!(
        hello_b.contains("base:1.0") && !hello_b.contains("base:1.1"),
        "without a lease: {hello_b}"
    );
    bye(ha, a).await;
    bye(hb, b).await;
    nothing_left(&px, &fleet).await;
}

/// A client whose hello shares no base version with the proxy's (it offers base:1.1 alone,
/// the proxy base:1.0 alone, as when no upstream session is free) has no framing both
/// sides speak: its session ends at the hello (RFC 6241 section 8.1), rather than wait
/// with its chunked bytes taken as an unfinished end-of-message frame. A well-behaved
/// client is served meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hello_sharing_no_base_version_ends_the_session() {
    let fleet = fleet_with(1, DeviceConfig::default()).await;
    let px = capped_proxy(&fleet).await;
    let (h, mut ch, hello) = raw(&px).await;
    assert!(
        hello.contains("base:1.0") && !hello.contains("base:1.1"),
        "a base:1.0 router: {hello}"
    );
    let seen = ends(
        &mut ch,
        HELLO_1_1,
        Duration::from_secs(5),
        "a base:1.1-only hello",
    )
    .await;
    assert!(!seen.contains("<rpc-reply"), "answered: {seen}");
    served(&px, &fleet).await;
    bye(h, ch).await;
    nothing_left(&px, &fleet).await;
}
