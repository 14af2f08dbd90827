//! The pool's peak memory against the hostile router (`netpool_tests::hostile`), in a
//! process of its own so that nothing else moves the figure. Prints
//! `peak_growth_kib N`: the peak resident set (VmHWM) over the resident set before the
//! cases, in KiB. Built with the tests (`CARGO_BIN_EXE_hostile-rss`).
//!
//! Usage: hostile-rss MAX_FRAME_BYTES [RPC_TIMEOUT_SECS [CASE...]]

use std::time::Duration;

use netchaos::status_kib;
use netpool_tests::hostile::{run_case, start_hostile, CASES};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let mut args = std::env::args().skip(1);
    let usage = "usage: hostile-rss MAX_FRAME_BYTES [RPC_TIMEOUT_SECS [CASE...]]";
    let max_frame: usize = args.next().and_then(|a| a.parse().ok()).expect(usage);
    let rpc_timeout: u64 = args.next().map_or(2, |a| a.parse().expect(usage));
    let only: Vec<String> = args.collect();
    let (addr, fp) = start_hostile().await;
    let mut cfg = netpool::PoolConfig::default();
    cfg.rpc_timeout = Duration::from_secs(rpc_timeout);
    cfg.session_open_timeout = Duration::from_secs(2);
    cfg.max_frame = max_frame;
    cfg.breaker_threshold = 0;
    let pool = netpool::Pool::new(cfg).expect("a valid pool config");
    let before = status_kib("self", "VmRSS");
    for user in CASES
        .iter()
        .filter(|c| only.is_empty() || only.iter().any(|o| o == *c))
    {
        let r = run_case(&pool, addr, &fp, user).await;
        println!(
            "{user}: {}",
            r.err().map_or("no error".into(), |e| e.to_string())
        );
    }
    let peak = status_kib("self", "VmHWM");
    assert!(before > 0 && peak > 0, "VmRSS / VmHWM not readable");
    println!("peak_growth_kib {}", peak.saturating_sub(before));
    pool.shutdown(Duration::from_secs(1)).await;
}
