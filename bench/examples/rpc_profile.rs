//! Profiling aid: pooled NETCONF RPCs against junos-sim (instant profile).
//!
//! `rpc_profile N CLIENT SIM`: CLIENT is the client's runtime (`current`, `multi1`,
//! `multi2`); SIM is `shared` (the simulator runs on the client's runtime) or `own` (on its
//! own single-threaded runtime in another thread, like a separate device). With `IN_TASK`
//! set, the timed loop runs in a spawned task instead of `block_on`. Run under callgrind
//! for an instruction profile.
use junos_sim::{Fleet, FleetConfig, DEFAULT_PASSWORD, DEFAULT_USER};
use netpool::{HostKeyPolicy, Pool};

fn runtime(kind: &str) -> tokio::runtime::Runtime {
    match kind {
        "multi1" | "multi2" => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(if kind == "multi1" { 1 } else { 2 })
            .enable_all()
            .build(),
        _ => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build(),
    }
    .unwrap()
}

async fn start_fleet() -> Fleet {
    Fleet::start(FleetConfig {
        routers: 1,
        ..Default::default()
    })
    .await
    .unwrap()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n: u32 = args.first().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let client = args.get(1).map_or("current", String::as_str);
    let own_sim = args.get(2).map(String::as_str) == Some("own");
    let in_task = std::env::var_os("IN_TASK").is_some();
    let (fleet_tx, fleet_rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let sim_thread = own_sim.then(|| {
        std::thread::spawn(move || {
            runtime("current").block_on(async {
                let fleet = start_fleet().await;
                let d = &fleet.devices()[0];
                fleet_tx.send((d.addr(), d.host_key_fingerprint())).unwrap();
                let _ = stop_rx.await;
            })
        })
    });
    runtime(client).block_on(async {
        let local = if own_sim {
            None
        } else {
            Some(start_fleet().await)
        };
        let (addr, fp) = match &local {
            Some(f) => (f.devices()[0].addr(), f.devices()[0].host_key_fingerprint()),
            None => fleet_rx.recv().unwrap(),
        };
        let device = netpool::Device::with_password(
            addr.ip().to_string(),
            addr.port(),
            DEFAULT_USER,
            DEFAULT_PASSWORD,
        );
        let pool = Pool::builder()
            .host_key_policy(HostKeyPolicy::Pinned(vec![fp]))
            .build()
            .unwrap();
        let work = {
            let (pool, device) = (pool.clone(), device.clone());
            async move {
                let mut s = pool.netconf(&device).await.unwrap();
                s.rpc("<get-software-information/>").await.unwrap();
                drop(s);
                let t = std::time::Instant::now();
                for _ in 0..n {
                    let mut s = pool.netconf(&device).await.unwrap();
                    s.rpc("<get-software-information/>").await.unwrap();
                }
                t.elapsed() / n
            }
        };
        let per = if in_task {
            tokio::spawn(work).await.unwrap()
        } else {
            work.await
        };
        eprintln!(
            "client {client}, sim {}, loop {}: {per:?} per rpc",
            if own_sim { "own" } else { "shared" },
            if in_task { "in a task" } else { "in block_on" },
        );
        pool.shutdown(std::time::Duration::from_secs(1)).await;
    });
    let _ = stop_tx.send(());
    if let Some(t) = sim_thread {
        t.join().unwrap();
    }
}
