//! The fault proxy's toxics, each on its own against a local echo server.

use std::time::{Duration, Instant};

use netchaos::{Direction, FaultProxy, Toxic, ToxicKind};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// An echo server on 127.0.0.1.
async fn echo() -> std::net::SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 65536];
                while let Ok(n) = s.read(&mut buf).await {
                    if n == 0 || s.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    addr
}

/// Fail unless at least `ms` milliseconds have passed since `t`.
fn took_at_least(t: Instant, ms: u64, what: &str) {
    let took = t.elapsed();
    assert!(
        took.as_millis() >= ms.into(),
        "{what}: {took:?}, not {ms} ms"
    );
}

/// Fail unless less than `ms` milliseconds have passed since `t`.
fn took_less_than(t: Instant, ms: u64, what: &str) {
    let took = t.elapsed();
    assert!(
        took.as_millis() < ms.into(),
        "{what}: {took:?}, not under {ms} ms"
    );
}

async fn round_trip(s: &mut TcpStream, msg: &[u8]) -> std::io::Result<Vec<u8>> {
    s.write_all(msg).await?;
    let mut got = vec![0u8; msg.len()];
    s.read_exact(&mut got).await?;
    Ok(got)
}

#[tokio::test]
async fn latency_applies_to_open_connections_and_is_removed_at_run_time() {
    let (p, mut s) = warm_connection(1).await;
    p.add(Toxic::new(
        "lat",
        Direction::Downstream,
        ToxicKind::Latency {
            latency: Duration::from_millis(150),
            jitter: Duration::ZERO,
        },
    ));
    let t = Instant::now();
    round_trip(&mut s, b"slow").await.unwrap();
    took_at_least(t, 140, "delayed by the latency toxic");
    p.remove("lat");
    let t = Instant::now();
    round_trip(&mut s, b"fast").await.unwrap();
    took_less_than(t, 140, "no longer delayed");
}

#[tokio::test]
async fn slicer_and_bandwidth_deliver_everything_correctly() {
    let p = echo_proxy(
        2,
        Toxic::new(
            "slice",
            Direction::Upstream,
            ToxicKind::Slicer {
                average: 7,
                variation: 3,
                delay: Duration::from_micros(200),
            },
        ),
    )
    .await;
    p.add(Toxic::new(
        "bw",
        Direction::Downstream,
        ToxicKind::Bandwidth {
            bytes_per_sec: 100_000,
        },
    ));
    let msg: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
    let mut s = TcpStream::connect(p.addr()).await.unwrap();
    let t = Instant::now();
    assert_eq!(round_trip(&mut s, &msg).await.unwrap(), msg);
    took_at_least(t, 45, "5 kB at 100 kB/s");
}

#[tokio::test]
async fn limit_data_closes_after_the_budget() {
    let p = echo_proxy(
        3,
        Toxic::new(
            "limit",
            Direction::Downstream,
            ToxicKind::LimitData { bytes: 10 },
        ),
    )
    .await;
    let mut s = TcpStream::connect(p.addr()).await.unwrap();
    s.write_all(b"0123456789abcdefghij").await.unwrap();
    let mut got = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(3), s.read_to_end(&mut got))
        .await
        .expect("closed");
    assert_eq!(got, b"0123456789");
}

#[tokio::test]
async fn timeout_swallows_data_then_closes() {
    let (p, mut s) = warm_connection(4).await;
    p.add(Toxic::new(
        "to",
        Direction::Upstream,
        ToxicKind::Timeout {
            after: Some(Duration::from_millis(300)),
        },
    ));
    s.write_all(b"lost").await.unwrap();
    let mut buf = [0u8; 4];
    let t = Instant::now();
    let r = tokio::time::timeout(Duration::from_secs(3), s.read(&mut buf))
        .await
        .expect("closed by the toxic");
    assert!(matches!(r, Ok(0) | Err(_)), "nothing echoed: {r:?}");
    took_at_least(t, 250, "closed by the timeout toxic, not before");
}

#[tokio::test]
async fn slow_close_delays_the_close() {
    let p = echo_proxy(
        5,
        Toxic::new(
            "sc",
            Direction::Upstream,
            ToxicKind::SlowClose {
                delay: Duration::from_millis(300),
            },
        ),
    )
    .await;
    let mut s = TcpStream::connect(p.addr()).await.unwrap();
    round_trip(&mut s, b"x").await.unwrap();
    s.shutdown().await.unwrap();
    let t = Instant::now();
    let mut rest = Vec::new();
    tokio::time::timeout(Duration::from_secs(3), s.read_to_end(&mut rest))
        .await
        .unwrap()
        .unwrap();
    took_at_least(t, 250, "the close delayed");
}

#[tokio::test]
async fn toxicity_is_a_seeded_per_connection_choice() {
    let up = echo().await;
    let count = |seed| async move {
        let p = FaultProxy::start(up, seed).await.unwrap();
        let mut t = Toxic::new(
            "lat",
            Direction::Downstream,
            ToxicKind::Latency {
                latency: Duration::from_millis(80),
                jitter: Duration::ZERO,
            },
        );
        t.toxicity = 0.5;
        p.add(t);
        let mut slow = Vec::new();
        for _ in 0..12 {
            let mut s = TcpStream::connect(p.addr()).await.unwrap();
            let t = Instant::now();
            round_trip(&mut s, b"?").await.unwrap();
            slow.push(t.elapsed() >= Duration::from_millis(70));
        }
        slow
    };
    let a = count(42).await;
    let b = count(42).await;
    assert_eq!(a, b, "same seed, same choices");
    let n = a.iter().filter(|x| **x).count();
    assert!(
        (1..12).contains(&n),
        "toxicity 0.5 hit {n} of 12 connections"
    );
}

#[tokio::test]
async fn disabled_proxy_refuses_and_enable_listens_again() {
    let (p, mut open) = warm_connection(6).await;
    p.disable();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let e = TcpStream::connect(p.addr()).await.unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::ConnectionRefused);
    let mut buf = [0u8; 1];
    assert!(
        matches!(open.read(&mut buf).await, Ok(0) | Err(_)),
        "open connections are closed too"
    );
    p.enable().await.unwrap();
    let mut s = TcpStream::connect(p.addr()).await.unwrap();
    assert_eq!(round_trip(&mut s, b"back").await.unwrap(), b"back");
}

/// A fault proxy in front of an echo server, seeded with `seed`, with `toxic` on.
async fn echo_proxy(seed: u64, toxic: Toxic) -> FaultProxy {
    let p = FaultProxy::start(echo().await, seed).await.unwrap();
    p.add(toxic);
    p
}

/// A fault proxy in front of an echo server, seeded with `seed`, and a connection through
/// it that has made one round trip (so a toxic added next applies to an open connection).
async fn warm_connection(seed: u64) -> (FaultProxy, TcpStream) {
    let p = FaultProxy::start(echo().await, seed).await.unwrap();
    let mut s = TcpStream::connect(p.addr()).await.unwrap();
    assert_eq!(round_trip(&mut s, b"warm").await.unwrap(), b"warm");
    (p, s)
}
