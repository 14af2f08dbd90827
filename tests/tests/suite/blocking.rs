//! The blocking facade, and pools and guards dropped outside any runtime.

use std::time::{Duration, Instant};

use netpool::{Error, Pool};
use netpool_tests::*;

#[test]
fn blocking_pool_serves_many_threads_and_refuses_inside_a_runtime() {
    let sim = FleetThread::start(2);
    let (cfg, devs, r1) = (sim.config.clone(), sim.devices.clone(), &sim.routers[0]);
    let pool = netpool::blocking::Pool::new(cfg).unwrap();
    let threads: Vec<_> = (0..8)
        .map(|i| {
            let (pool, d) = (pool.clone(), devs[i % 2].clone());
            std::thread::spawn(move || {
                for _ in 0..10 {
                    assert!(pool
                        .cli(&d, "show version")
                        .unwrap()
                        .stdout
                        .contains("Hostname"));
                    let mut nc = pool.netconf(&d).unwrap();
                    assert!(nc.command("show version").unwrap().contains("Hostname"));
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let all = pool.fan_out_cli(&devs, "show version", 2).unwrap();
    assert!(all.iter().all(|(_, r)| r.is_ok()));
    // Inside a runtime: an error, not a deadlock.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let inside = rt.block_on(async { pool.cli(&devs[0], "show version") });
    assert!(
        matches!(inside, Err(Error::BlockingInsideRuntime)),
        "{inside:?}"
    );
    pool.shutdown(Duration::from_secs(1)).unwrap();
    let deadline = Instant::now() + Duration::from_secs(3);
    while r1.counters().sessions_open > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(r1.counters().sessions_open, 0);
}

/// Pools and guards are often dropped where no runtime runs (after `block_on` returns,
/// in a destructor): that must close sessions through the pool's runtime, not panic.
#[test]
fn dropping_pools_and_guards_outside_a_runtime_does_not_panic() {
    let sim = FleetThread::start(1);
    let (cfg, dev, r1) = (sim.config.clone(), sim.devices[0].clone(), &sim.routers[0]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (pool, locked, clean) = rt.block_on(async {
        let pool = Pool::new(cfg).unwrap();
        let mut locked = pool.netconf(&dev).await.unwrap();
        locked.lock().await.unwrap();
        let clean = pool.netconf(&dev).await.unwrap();
        (pool, locked, clean)
    });
    // Outside the runtime now.
    drop(clean); // returned to the idle list
    drop(locked); // discarded: closed through the pool's runtime
    drop(pool); // idle sessions dropped inside the pool's runtime
    let deadline = Instant::now() + Duration::from_secs(3);
    while (r1.counters().sessions_open > 0 || r1.lock_holder().is_some())
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(r1.lock_holder(), None);
    assert_eq!(r1.counters().sessions_open, 0);
    // Building an async pool outside a runtime is an error that says what to do.
    let e = Pool::new(netpool::PoolConfig::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("blocking::Pool"), "{e}");
    drop(rt);
}
