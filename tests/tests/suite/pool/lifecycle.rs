//! Sessions and connections over time: shutdown, drop, idle and dead retirement, min idle,
//! the connect rate, limits too large for a clock.

use std::time::Duration;

use netpool::{DiscardReason, Error, Pool};
use netpool_tests::*;

#[tokio::test]
async fn shutdown_closes_every_session_on_the_routers() {
    let fleet = fleet(3).await;
    let pool = pool_for(&fleet);
    let devs: Vec<_> = fleet.devices().iter().map(device).collect();
    for d in &devs {
        drop(pool.netconf(d).await.unwrap());
        pool.cli(d, "show version").await.unwrap();
    }
    let busy = {
        let (pool, d) = (pool.clone(), devs[0].clone());
        tokio::spawn(async move {
            let mut g = pool.netconf(&d).await.unwrap();
            tokio::time::sleep(Duration::from_millis(200)).await;
            g.command("show version").await
        })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(fleet.total(|c| c.sessions_open) >= 3);
    pool.shutdown(Duration::from_secs(2)).await;
    assert!(
        busy.await.unwrap().is_ok(),
        "in-flight work finished within the grace period"
    );
    assert!(matches!(
        pool.cli(&devs[1], "show version").await,
        Err(Error::Closed)
    ));
    assert_eventually!(
        Duration::from_secs(3),
        || fleet.total(|c| c.sessions_open) == 0,
        "open on routers: {}",
        fleet.total(|c| c.sessions_open)
    );
}

#[tokio::test]
async fn dropping_the_pool_closes_its_connections() {
    let fleet = fleet(1).await;
    let r1 = &fleet.devices()[0];
    let pool = pool_for(&fleet);
    drop(pool.netconf(&device(r1)).await.unwrap());
    assert_eq!(r1.counters().sessions_open, 1);
    drop(pool);
    assert_eventually!(
        Duration::from_secs(3),
        || r1.counters().sessions_open == 0,
        "{:?}",
        r1.counters()
    );
}

#[tokio::test]
async fn idle_sessions_and_connections_are_retired() {
    let (fleet, mut cfg) = one_router_config().await;
    let r1 = &fleet.devices()[0];
    cfg.idle_timeout = Some(Duration::from_millis(300));
    cfg.maintenance_interval = Duration::from_millis(50);
    let pool = Pool::new(cfg).unwrap();
    drop(pool.netconf(&device(r1)).await.unwrap());
    assert_eq!(r1.counters().sessions_open, 1);
    assert_eventually!(Duration::from_secs(3), || r1.counters().sessions_open == 0);
    let s = &pool.stats()[0];
    assert_eq!((s.connections, s.idle_sessions), (0, 0));
    assert!(discarded(s, DiscardReason::IdleTimeout) >= 2, "{s:?}");
}

#[tokio::test]
async fn a_dead_idle_connection_is_dropped_without_a_checkout() {
    // Maintenance looks only at devices with something due; a connection's death must
    // make its device due, or a dead idle session would sit in the pool until a checkout.
    let fleet = fleet(2).await;
    let mut cfg = config_for(&fleet);
    cfg.maintenance_interval = Duration::from_millis(50);
    cfg.idle_timeout = None;
    let pool = Pool::new(cfg).unwrap();
    let (d1, d2) = (device(&fleet.devices()[0]), device(&fleet.devices()[1]));
    drop(pool.netconf(&d1).await.unwrap());
    drop(pool.netconf(&d2).await.unwrap());
    tokio::time::sleep(Duration::from_millis(200)).await;
    let idle = |p: &Pool| {
        let s = p.stats();
        [&d1, &d2].map(|d| {
            s.iter()
                .find(|s| s.device == d.label())
                .map(|s| (s.connections, s.idle_sessions))
        })
    };
    assert_eq!(idle(&pool), [Some((1, 1)), Some((1, 1))]);
    fleet.devices()[0].kill();
    assert_eventually!(
        Duration::from_secs(3),
        || idle(&pool) == [Some((0, 0)), Some((1, 1))],
        "{:?}",
        pool.stats()
    );
    let s = pool.stats();
    let s1 = s.iter().find(|s| s.device == d1.label()).unwrap();
    assert!(discarded(s1, DiscardReason::Transport) >= 1, "{s1:?}");
}

#[tokio::test]
async fn limits_too_large_for_a_clock_mean_never() {
    // An idle timeout or lifetime past what an Instant can hold must not panic when the
    // pool works out when to look at a session again: it never comes.
    let (fleet, mut cfg) = one_router_config().await;
    cfg.idle_timeout = Some(Duration::MAX);
    cfg.max_lifetime = Some(Duration::MAX);
    cfg.maintenance_interval = Duration::from_millis(50);
    let pool = Pool::new(cfg).unwrap();
    let dev = device(&fleet.devices()[0]);
    for _ in 0..3 {
        drop(pool.netconf(&dev).await.unwrap());
        tokio::time::sleep(Duration::from_millis(120)).await;
    }
    let s = &pool.stats()[0];
    assert_eq!(
        (s.connections, s.idle_sessions, s.connects),
        (1, 1, 1),
        "{s:?}"
    );
}

#[tokio::test]
async fn min_idle_prewarms_connections() {
    let (fleet, mut cfg) = one_router_config().await;
    let r1 = &fleet.devices()[0];
    cfg.min_idle_connections = 2;
    cfg.maintenance_interval = Duration::from_millis(50);
    let pool = Pool::new(cfg).unwrap();
    pool.cli(&device(r1), "show version").await.unwrap();
    assert_eventually!(Duration::from_secs(3), || r1.counters().sessions_open == 2);
}

#[tokio::test]
async fn connect_rate_limit_is_respected() {
    let fleet = fleet_one(|c| c.rate_limit_per_minute = Some(100)).await;
    let r1 = &fleet.devices()[0];
    // The pool's own limit (2 a minute) is the binding one: the router would take 100.
    let mut cfg = config_for(&fleet);
    cfg.connect_rate_per_minute = Some(2);
    cfg.max_connections_per_device = 6;
    cfg.channels_per_connection = 1;
    let pool = Pool::new(cfg).unwrap();
    let dev = device(r1);
    let results = futures::future::join_all((0..6).map(|_| pool.cli(&dev, "show version"))).await;
    assert!(results.iter().all(|r| r.is_ok()), "{results:?}");
    assert_eq!(r1.counters().refused_by_limit, 0);
    // Six callers and room for six connections, but two connects a minute: the other
    // callers were served on the two connections as they freed.
    assert_eq!(r1.counters().tcp_accepts, 2);
}
