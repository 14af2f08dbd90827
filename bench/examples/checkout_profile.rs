//! Profiling aid: many checkouts of one warm NETCONF session on a current-thread runtime
//! (`checkout_profile N`; run under `valgrind --tool=callgrind` for an instruction profile).
use netpool_bench::lab::OneRouter;

fn main() {
    let n: u32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let lab = OneRouter::start().await.unwrap();
        let t = std::time::Instant::now();
        for _ in 0..n {
            drop(lab.pool.netconf(&lab.device).await.unwrap());
        }
        eprintln!("{:?} per checkout", t.elapsed() / n);
    });
}
