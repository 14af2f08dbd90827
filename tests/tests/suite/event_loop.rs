//! The caller's event loop keeps its pace while devices hang.

use std::time::Duration;

use junos_sim::{DeviceConfig, Timing};
use netpool::{Error, Pool};
use netpool_tests::*;

/// A ticker on a current_thread runtime keeps its pace while 100 callers queue on one
/// device and another device's connect hangs on a blackhole for 2 s.
#[test]
fn the_event_loop_never_freezes() {
    // The routers run elsewhere, as real ones would.
    let (tx, rx) = std::sync::mpsc::channel();
    let sim = std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            let dc = DeviceConfig {
                timing: Timing {
                    command_scale: 0.05,
                    ..Timing::instant()
                },
                ..Default::default()
            };
            let fleet = fleet_with(1, dc).await;
            tx.send((config_for(&fleet), device(&fleet.devices()[0])))
                .unwrap();
            tokio::time::sleep(Duration::from_secs(8)).await;
        });
    });
    let (mut cfg, dev) = rx.recv().unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let worst = rt.block_on(async move {
        cfg.max_connections_per_device = 1;
        cfg.channels_per_connection = 2;
        cfg.checkout_timeout = Duration::from_secs(20);
        cfg.connect_timeout = Duration::from_secs(2);
        cfg.connect_retries = 0;
        cfg.host_key_policy = netpool::HostKeyPolicy::InsecureAcceptAny;
        let pool = Pool::new(cfg).unwrap();
        let (addr, _fillers, _sock) = blackhole();
        let dead =
            netpool::Device::with_password(addr.ip().to_string(), addr.port(), USER, PASSWORD);
        let ticker = tokio::spawn(async {
            let mut worst = Duration::ZERO;
            let mut next = tokio::time::Instant::now();
            for _ in 0..150 {
                next += Duration::from_millis(10);
                tokio::time::sleep_until(next).await;
                worst = worst.max(tokio::time::Instant::now() - next);
            }
            worst
        });
        let hang = {
            let pool = pool.clone();
            tokio::spawn(async move { pool.cli(&dead, "show version").await })
        };
        let callers: Vec<_> = (0..100)
            .map(|_| {
                let (pool, dev) = (pool.clone(), dev.clone());
                tokio::spawn(async move { pool.cli(&dev, "show ospf neighbor | no-more").await })
            })
            .collect();
        let worst = ticker.await.unwrap();
        for c in callers {
            c.await.unwrap().unwrap();
        }
        assert!(matches!(
            hang.await.unwrap(),
            Err(Error::ConnectTimeout { .. })
        ));
        worst
    });
    sim.join().unwrap();
    assert!(
        worst < Duration::from_millis(250),
        "ticker was {worst:?} late while a device hung for 2 s"
    );
}
