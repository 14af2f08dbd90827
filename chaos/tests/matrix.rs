//! The chaos matrix at quick sizes, one test per scenario so a failure names itself.

use netchaos::{run, Size};

async fn pass(name: &str) {
    let r = run(Size::Quick, Some(name)).await.unwrap();
    let r = &r[0];
    assert_eq!(
        r.verdict, "PASS",
        "{name}: {} (bad path: {}; good path: {}; probe p99 {:.1} ms)",
        r.detail, r.bad_path, r.good_path, r.probe_p99_ms
    );
}

macro_rules! scenarios {
    ($($f:ident => $name:literal),* $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $f() {
            pass($name).await;
        }
    )*};
}

scenarios! {
    stampede => "stampede",
    mixed_storm => "mixed-storm",
    sustained_bursts => "sustained-bursts",
    heavy_fan_out => "heavy-fan-out",
    error_in_session => "error-in-session",
    shutdown_under_load => "shutdown-under-load",
    killed_sshd => "killed-sshd",
    refused_port => "refused-port",
    auth_failure => "auth-failure",
    unreachable_host => "unreachable-host",
    hung_banner_stalled_hello => "hung-banner-stalled-hello",
    reset_and_slow_reply => "reset-and-slow-reply",
    silent_idle_drop => "silent-idle-drop",
    latency_bandwidth => "latency-bandwidth",
    restart_with_lock => "restart-with-lock",
    connect_rate_limit => "connect-rate-limit",
}

#[test]
fn every_scenario_has_a_test_here() {
    let src = include_str!("matrix.rs");
    for s in netchaos::SCENARIOS {
        assert!(
            src.contains(&format!("\"{}\"", s.name)),
            "scenario {} has no test",
            s.name
        );
    }
}
