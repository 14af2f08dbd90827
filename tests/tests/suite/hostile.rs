//! A hostile router, written here on russh's server: each login name makes it misbehave
//! in one way. The pool must answer every misbehaviour with a typed error within its
//! bound, keep its memory bounded, and go on serving a healthy router meanwhile.

use std::time::{Duration, Instant};

use netpool::{Error, Pool};
use netpool_tests::hostile::{run_case, start_hostile};
use netpool_tests::*;

/// The error a misbehaviour must produce.
#[derive(Clone, Copy)]
enum Expect {
    Protocol,
    ProtocolOrTimeout,
    Transport,
    HelloTimeout,
}

impl Expect {
    fn matches(self, e: &Error) -> bool {
        match self {
            Expect::Protocol => matches!(e, Error::Protocol { .. }),
            Expect::ProtocolOrTimeout => {
                matches!(e, Error::Protocol { .. } | Error::RpcTimeout { .. })
            }
            Expect::Transport => matches!(e, Error::Transport { .. }),
            Expect::HelloTimeout => matches!(
                e,
                Error::ConnectTimeout {
                    stage: "netconf-hello",
                    ..
                }
            ),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_misbehaviour_gets_a_typed_error_within_its_bound() {
    let (addr, fp) = start_hostile().await;
    let (healthy_fleet, _, healthy) = one_router().await;
    let mut cfg = config_for(&healthy_fleet);
    cfg.rpc_timeout = Duration::from_secs(2);
    cfg.session_open_timeout = Duration::from_secs(2);
    cfg.max_frame = 4 * 1024 * 1024;
    cfg.breaker_threshold = 0;
    let pool = Pool::new(cfg).unwrap();
    use Expect::{HelloTimeout, Protocol, ProtocolOrTimeout, Transport};
    #[rustfmt::skip]
    let cases: [(&str, Expect, u64); 9] = [
        ("endless", Protocol, 2), ("huge-chunk", Protocol, 1), ("deep-xml", Protocol, 1),
        ("no-message-id", Protocol, 1), ("wrong-message-id", Protocol, 1),
        ("garbage", ProtocolOrTimeout, 3), ("close-mid-reply", Transport, 1),
        ("silent", HelloTimeout, 3), ("endless-exec", Protocol, 2),
    ];
    assert_eq!(
        cases.map(|c| c.0),
        netpool_tests::hostile::CASES,
        "every misbehaviour has its expectation"
    );
    let mut report = Vec::new();
    for (user, expected, bound) in cases {
        let bound = Duration::from_secs(bound);
        let t = Instant::now();
        // Meanwhile a healthy router keeps answering.
        let (r, healthy_ok) = tokio::join!(
            run_case(&pool, addr, &fp, user),
            pool.cli(&healthy, "show version")
        );
        let took = t.elapsed();
        healthy_ok.unwrap_or_else(|e| panic!("{user}: the healthy router failed: {e}"));
        let e = r.err().unwrap_or_else(|| panic!("{user}: no error"));
        assert!(expected.matches(&e), "{user}: unexpected error: {e}");
        assert!(
            took <= bound,
            "{user}: {took:?} to the error, bound {bound:?}"
        );
        report.push(format!("{user}: {e} in {:.0} ms", took.as_secs_f64() * 1e3));
    }
    eprintln!("hostile router:\n{}", report.join("\n"));
    pool.shutdown(Duration::from_secs(1)).await;
}

/// The pool's memory against every misbehaviour, measured in a process of its own (the
/// `hostile-rss` binary: this test binary's RSS moves with whatever other tests run in it).
/// Its peak resident memory may grow by at most 64 MiB over the nine cases with max_frame
/// 4 MiB; with max_frame 1 GiB (and 8 s to read), the endless reply alone grows it past
/// that: the control that shows the check can fail.
#[test]
fn a_hostile_router_cannot_grow_the_pools_memory_past_its_bound() {
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_hostile-rss"))
            .args(args)
            .output()
            .expect("hostile-rss runs");
        let stdout = succeeded("hostile-rss", &out);
        stdout
            .lines()
            .find_map(|l| l.strip_prefix("peak_growth_kib "))
            .and_then(|v| v.trim().parse::<u64>().ok())
            .unwrap_or_else(|| panic!("no peak_growth_kib line: {stdout}"))
    };
    let bounded = run(&["4194304"]);
    assert!(
        bounded < 64 * 1024,
        "peak RSS grew by {bounded} KiB across the hostile cases (max_frame 4 MiB)"
    );
    let unbounded = run(&["1073741824", "8", "endless"]);
    assert!(
        unbounded > 64 * 1024,
        "with max_frame 1 GiB the endless reply should grow the pool past 64 MiB (the control); grew {unbounded} KiB"
    );
    eprintln!(
        "hostile router: peak RSS growth {bounded} KiB (max_frame 4 MiB), {unbounded} KiB (1 GiB)"
    );
}
