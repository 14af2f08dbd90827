//! Profiling aid: many checkouts of one warm NETCONF session (run under callgrind).
use junos_sim::{Fleet, FleetConfig};
use netpool::{HostKeyPolicy, Pool};

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let fleet = Fleet::start(FleetConfig {
            routers: 1,
            ..Default::default()
        })
        .await
        .unwrap();
        let d = &fleet.devices()[0];
        let device = netpool::Device::with_password(
            d.addr().ip().to_string(),
            d.addr().port(),
            "lab",
            "lab123",
        );
        let pool = Pool::builder()
            .host_key_policy(HostKeyPolicy::Pinned(vec![d.host_key_fingerprint()]))
            .build()
            .unwrap();
        drop(pool.netconf(&device).await.unwrap());
        let t = std::time::Instant::now();
        for _ in 0..n {
            drop(pool.netconf(&device).await.unwrap());
        }
        eprintln!("{:?} per checkout", t.elapsed() / n as u32);
    });
}
