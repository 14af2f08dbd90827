//! Structure-aware fuzzing on stable Rust (proptest, a bounded number of cases so that it
//! runs in CI): configuration as set lines, curly text and XML, and CLI lines, built from
//! the pieces that matter (Junos keywords, quotes, braces, markup, the end-of-message
//! marker) rather than uniform bytes. Nothing may panic; whatever loads must read back
//! the same through every view.

use junos_sim::commands::CommandLine;
use junos_sim::junos_config::ConfigTree;
use netconf_wire::Element;
use proptest::prelude::*;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

/// A configuration word: a Junos keyword, a name, or something hostile.
fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec![
            "system", "host-name", "services", "netconf", "ssh", "interfaces", "unit", "family",
            "inet", "address", "protocols", "ospf", "area", "interface", "bgp", "group",
            "neighbor", "peer-as", "routing-options", "static", "route", "next-hop",
            "description", "login", "user", "class", "location", "policy-options",
        ])
        .prop_map(str::to_string),
        2 => "[a-z][a-z0-9./-]{0,12}",
        1 => prop::sample::select(vec![
            "a\"b", "x</host-name><evil/>", "]]>]]>", "sp ace", "{", "}", ";", "#", "\\\\",
            "/*", "&amp;", "<", "'", "",
        ])
        .prop_map(str::to_string),
    ]
}

/// A value: hostile or plain, quoted so that `set` reads it as one word.
fn value() -> impl Strategy<Value = String> {
    word().prop_map(|w| quote(&w))
}

/// A set (or delete) line: templates of statements Junos takes, with any value, free
/// levels with names, and now and then random words.
fn set_line() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => value().prop_map(|v| format!("set system host-name {v}")),
        2 => value().prop_map(|v| format!("set system location building {v}")),
        2 => (0..4u8, value()).prop_map(|(i, v)| format!("set interfaces ge-0/0/{i} description {v}")),
        2 => (prop::collection::vec("[a-z][a-z0-9-]{0,8}", 1..4), value())
            .prop_map(|(names, v)| format!("set policy-options {} {v}", names.join(" "))),
        1 => ("[a-z][a-z0-9-]{0,8}").prop_map(|n| format!("delete policy-options {n}")),
        1 => prop::collection::vec(word(), 1..10).prop_map(|w| format!("set {}", w.join(" "))),
    ]
}

static CASES: AtomicUsize = AtomicUsize::new(0);
static LOADED: AtomicUsize = AtomicUsize::new(0);

/// The set-line fuzz really checks round trips: a good share of its cases load (the
/// rest exercise refusals). A fixed seed and 1,000 cases: the share measured over random
/// seeds was 33-37% of 200 (six runs), so 30% of a fixed 1,000 neither flakes nor passes
/// a generator whose loads almost all fail.
#[test]
fn most_generated_set_loads_are_accepted() {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = prop::collection::vec(set_line(), 1..8);
    let mut ok = 0;
    for _ in 0..1000 {
        let lines =
            proptest::strategy::ValueTree::current(&strategy.new_tree(&mut runner).unwrap());
        ok += usize::from(ConfigTree::default().load_set(&lines.join("\n")).is_ok());
    }
    assert!(ok >= 300, "only {ok} of 1000 generated loads were accepted");
}

fn quote(w: &str) -> String {
    format!("\"{}\"", w.replace('\\', "\\\\").replace('"', "\\\""))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, max_shrink_iters: 200, ..ProptestConfig::default() })]

    /// Set lines, quoted or not: never a panic; what loads reads back through text, set
    /// and XML to the same statements. Lines are mostly statements Junos takes, with
    /// hostile values, so that most cases load and the round trip is really checked.
    #[test]
    fn set_lines_load_or_fail_cleanly_and_round_trip(lines in prop::collection::vec(set_line(), 1..8)) {
        CASES.fetch_add(1, Relaxed);
        let mut t = ConfigTree::default();
        if t.load_set(&lines.join("\n")).is_ok() {
            LOADED.fetch_add(1, Relaxed);
            let lines = t.to_set_lines();
            let mut from_set = ConfigTree::default();
            prop_assert!(from_set.load_set(&lines.join("\n")).is_ok());
            prop_assert_eq!(from_set.to_set_lines(), lines.clone());
            let mut from_text = ConfigTree::default();
            prop_assert!(from_text.load_text(&t.to_text(), false).is_ok(), "{}", t.to_text());
            prop_assert_eq!(from_text.to_set_lines(), lines);
            let xml = format!("<configuration>{}</configuration>", t.to_xml());
            prop_assert!(Element::parse(xml.as_bytes()).is_ok(), "{}", xml);
            let _ = t.to_json();
        }
    }

    /// Curly text of any shape (unbalanced braces, comments, quotes): never a panic.
    #[test]
    fn curly_text_never_panics(
        tokens in prop::collection::vec(
            prop_oneof![
                4 => word(),
                2 => Just("{".to_string()),
                2 => Just("}".to_string()),
                2 => Just(";".to_string()),
                1 => Just("replace:".to_string()),
                1 => Just("/* c */".to_string()),
                1 => Just("# c\n".to_string()),
                1 => word().prop_map(|w| quote(&w)),
            ],
            0..60,
        ),
        replace in any::<bool>(),
    ) {
        let mut t = ConfigTree::default();
        let _ = t.load_text(&tokens.join(" "), replace);
        let _ = t.to_text();
    }

    /// Nested and attributed XML configuration, up to the parser's depth: never a panic.
    #[test]
    fn xml_configuration_never_panics(
        depth in 1usize..80,
        names in prop::collection::vec(word(), 1..80),
        text in word(),
        attr in prop::sample::select(vec!["", " operation=\"delete\"", " replace=\"replace\"", " delete=\"delete\""]),
    ) {
        let mut xml = String::from("<configuration>");
        let names: Vec<String> = (0..depth)
            .map(|i| {
                let n = &names[i % names.len()];
                if n.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') && !n.is_empty()
                    && n.chars().next().is_some_and(|c| c.is_ascii_alphabetic()) {
                    n.clone()
                } else {
                    "name".to_string()
                }
            })
            .collect();
        for n in &names {
            xml.push_str(&format!("<{n}{attr}>"));
        }
        xml.push_str(&netconf_wire::escape_text(&text));
        for n in names.iter().rev() {
            xml.push_str(&format!("</{n}>"));
        }
        xml.push_str("</configuration>");
        if let Ok(el) = Element::parse(xml.as_bytes()) {
            let mut t = ConfigTree::default();
            let _ = t.load_xml(&el, true);
            let _ = t.to_xml();
        }
    }

    /// CLI lines from keywords, pipes and junk: a parse or a syntax error, never a panic.
    #[test]
    fn cli_lines_never_panic(
        words in prop::collection::vec(
            prop_oneof![
                3 => prop::sample::select(vec![
                    "show", "sh", "route", "interfaces", "terse", "extensive", "detail",
                    "table", "protocol", "ospf", "bgp", "neighbor", "summary", "system",
                    "users", "chassis", "hardware", "configuration", "10.0.14.0", "ge-*",
                    "|", "match", "count", "last", "display", "xml", "set", "no-more",
                ])
                .prop_map(str::to_string),
                1 => word(),
            ],
            0..14,
        )
    ) {
        let _ = CommandLine::parse(&words.join(" "));
    }
}

/// Interactive shell sessions, fuzzed end to end over real SSH with a PTY: lines built from
/// the commands netmiko and people type (configure, exclusive and private modes, set,
/// delete, commit, rollback, run, exit), junk words, control bytes (^C, ^D, DEL, BS, ESC,
/// NUL, invalid UTF-8), an over-long line, all three line endings, split into chunks at
/// random points. After each session: it either ended (exit, quit, ^D) or its output ends
/// with a prompt, within a bound; the router then still answers; and no lock or private
/// candidate outlives the session (a new NETCONF session can discard, lock and unlock).
pub(crate) mod shell {
    use super::*;
    use netpool_tests::{config_for, device, fleet, AnyKey, PASSWORD, USER};
    use russh::client;
    use russh::ChannelMsg;
    use std::sync::{Arc, OnceLock};
    use std::time::Duration;

    struct Lab {
        rt: tokio::runtime::Runtime,
        fleet: junos_sim::Fleet,
        pool: netpool::Pool,
    }

    fn lab() -> &'static Lab {
        static LAB: OnceLock<Lab> = OnceLock::new();
        LAB.get_or_init(|| {
            let rt = netpool_tests::runtime();
            let (fleet, pool) = rt.block_on(async {
                let fleet = fleet(1).await;
                let pool = netpool::Pool::new(config_for(&fleet)).unwrap();
                (fleet, pool)
            });
            Lab { rt, fleet, pool }
        })
    }

    pub(crate) fn line() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            6 => prop::sample::select(vec![
                "show version", "show interfaces terse", "configure", "configure private",
                "configure exclusive", "edit", "set system host-name fz1",
                "set interfaces ge-0/0/1 description \"a b\"", "set system a a a",
                "delete interfaces ge-0/0/1", "delete system", "commit", "commit check",
                "commit and-quit", "rollback", "rollback 0", "show", "show | compare",
                "show | display set", "run show version", "top", "up", "exit",
                "exit configuration-mode", "quit", "", "?", "show configuration | display xml",
            ])
            .prop_map(|s| s.as_bytes().to_vec()),
            2 => prop::collection::vec(word(), 0..5).prop_map(|w| w.join(" ").into_bytes()),
            1 => prop::sample::select(vec![
                vec![0x03], vec![0x04], vec![0x7f, 0x7f], vec![0x08], vec![0x1b, b'[', b'A'],
                vec![0], vec![0xff, 0xfe], b"\t".to_vec(),
            ]),
            1 => Just(vec![b'x'; 70 * 1024]),
        ]
    }

    pub(crate) fn session_input() -> impl Strategy<Value = Vec<Vec<u8>>> {
        (
            prop::collection::vec(
                (line(), prop::sample::select(vec!["\n", "\r", "\r\n"])),
                1..12,
            ),
            prop::collection::vec(any::<prop::sample::Index>(), 0..6),
        )
            .prop_map(|(lines, cuts)| {
                let mut bytes = Vec::new();
                for (l, end) in lines {
                    bytes.extend_from_slice(&l);
                    bytes.extend_from_slice(end.as_bytes());
                }
                let mut at: Vec<usize> = cuts.iter().map(|i| i.index(bytes.len() + 1)).collect();
                at.push(bytes.len());
                at.sort_unstable();
                let mut chunks = Vec::new();
                let mut from = 0;
                for to in at {
                    if to > from {
                        chunks.push(bytes[from..to].to_vec());
                        from = to;
                    }
                }
                chunks
            })
    }

    async fn run_session(addr: std::net::SocketAddr, chunks: &[Vec<u8>]) -> Result<(), String> {
        run_session_as(addr, PASSWORD, chunks).await
    }

    /// Open a PTY shell with `password`, type `chunks`, and wait for the session to end or
    /// to sit at a prompt.
    pub(crate) async fn run_session_as(
        addr: std::net::SocketAddr,
        password: &str,
        chunks: &[Vec<u8>],
    ) -> Result<(), String> {
        let cfg = Arc::new(client::Config::default());
        let mut h = client::connect(cfg, addr, AnyKey)
            .await
            .map_err(|e| e.to_string())?;
        let auth = h
            .authenticate_password(USER, password)
            .await
            .map_err(|e| e.to_string())?;
        if !auth.success() {
            return Err("auth refused".into());
        }
        let mut ch = h.channel_open_session().await.map_err(|e| e.to_string())?;
        ch.request_pty(false, "vt100", 200, 24, 0, 0, &[])
            .await
            .map_err(|e| e.to_string())?;
        ch.request_shell(false).await.map_err(|e| e.to_string())?;
        let mut ended = false;
        for c in chunks {
            if ch.data_bytes(c.clone()).await.is_err() {
                ended = true;
                break;
            }
        }
        let mut out: Vec<u8> = Vec::new();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while !ended {
            // Done when the session ends, or when the output ends with a prompt and stays
            // quiet for a moment.
            let quiet = Duration::from_millis(300);
            match tokio::time::timeout(quiet, ch.wait()).await {
                Ok(Some(ChannelMsg::Data { data })) => out.extend_from_slice(&data),
                Ok(Some(ChannelMsg::Eof | ChannelMsg::Close) | None) => ended = true,
                Ok(Some(_)) => {}
                Err(_) => {
                    if out.ends_with(b"> ") || out.ends_with(b"# ") {
                        break;
                    }
                }
            }
            if tokio::time::Instant::now() > deadline {
                let tail =
                    String::from_utf8_lossy(&out[out.len().saturating_sub(200)..]).to_string();
                return Err(format!(
                    "no prompt and no end within 10 s; output ends {tail:?}"
                ));
            }
        }
        let _ = ch.close().await;
        let _ = h
            .disconnect(russh::Disconnect::ByApplication, "", "en")
            .await;
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

        #[test]
        fn shell_sessions_end_or_prompt_and_leave_nothing_behind(chunks in session_input()) {
            let lab = lab();
            let r1 = lab.fleet.devices()[0].clone();
            let result: Result<(), String> = lab.rt.block_on(async {
                run_session(r1.addr(), &chunks).await?;
                let dev = device(&r1);
                let out = lab.pool.cli(&dev, "show version").await.map_err(|e| e.to_string())?;
                if !out.stdout.contains("Junos") {
                    return Err(format!("router no longer answers show version: {out:?}"));
                }
                // The shell's locks and private candidate end with it (the server notices the
                // close asynchronously: a short bound).
                let mut last = String::new();
                for _ in 0..50 {
                    let mut nc = lab.pool.netconf(&dev).await.map_err(|e| e.to_string())?;
                    let r = async {
                        nc.rpc("<discard-changes/>").await?;
                        nc.rpc("<lock><target><candidate/></target></lock>").await?;
                        nc.rpc("<unlock><target><candidate/></target></unlock>").await
                    }
                    .await;
                    match r {
                        Ok(_) => return Ok(()),
                        Err(e) => last = e.to_string(),
                    }
                    drop(nc);
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Err(format!("a lock outlived the shell session: {last}"))
            });
            prop_assert!(result.is_ok(), "{}", result.unwrap_err());
        }
    }
}

/// Sequences of device behaviours: a router that is killed and restarted, refuses logins
/// or execs, stalls, slows its replies or its hello, in any order, while the pool sends it
/// CLI commands, RPCs and configuration changes. Every call returns within its bound with
/// an error that names the device (never a hang); a healthy router beside it keeps
/// answering promptly throughout; once the faults are cleared the pool serves the router
/// again by itself, with nothing left checked out and no configuration lock left behind.
mod behaviours {
    use super::*;
    use netpool_tests::{config_for, device, fleet};
    use std::time::{Duration, Instant};

    #[derive(Debug, Clone)]
    enum Step {
        Kill,
        Restart,
        RefuseAuth(bool),
        RefuseExec(bool),
        Stall(bool),
        Delay(u64),
        HelloDelay(u64),
        Cli,
        Rpc,
        Configure,
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            1 => Just(Step::Kill),
            1 => Just(Step::Restart),
            1 => any::<bool>().prop_map(Step::RefuseAuth),
            1 => any::<bool>().prop_map(Step::RefuseExec),
            1 => any::<bool>().prop_map(Step::Stall),
            1 => (0u64..900).prop_map(Step::Delay),
            1 => (0u64..900).prop_map(Step::HelloDelay),
            3 => Just(Step::Cli),
            3 => Just(Step::Rpc),
            1 => Just(Step::Configure),
        ]
    }

    /// A call's bound: checkout (connect + auth + hello) plus the RPC, with slack for a
    /// loaded 2-core machine.
    const BOUND: Duration = Duration::from_secs(6);

    async fn call(
        pool: &netpool::Pool,
        dev: &netpool::Device,
        s: &Step,
        n: usize,
    ) -> Result<(), netpool::Error> {
        match s {
            Step::Cli => pool.cli(dev, "show version").await.map(drop),
            Step::Rpc => {
                let mut g = pool.netconf(dev).await?;
                g.rpc("<get-software-information/>").await.map(drop)
            }
            _ => {
                let change = netpool::ConfigChange::set_lines(format!(
                    "set interfaces ge-0/0/3 description fz{n}"
                ));
                pool.configure(dev, &change).await.map(drop)
            }
        }
    }

    fn run(steps: Vec<Step>) -> Result<(), String> {
        let rt = netpool_tests::runtime();
        rt.block_on(async move {
            let fleet = fleet(2).await;
            let (r0, r1) = (fleet.devices()[0].clone(), fleet.devices()[1].clone());
            let mut cfg = config_for(&fleet);
            cfg.set_handshake_timeout(Duration::from_millis(700));
            cfg.rpc_timeout = Duration::from_millis(700);
            cfg.checkout_timeout = Duration::from_secs(2);
            cfg.health_check_after = Duration::from_millis(50);
            cfg.health_check_timeout = Duration::from_millis(300);
            cfg.breaker_cooldown = Duration::from_millis(200);
            cfg.maintenance_interval = Duration::from_millis(100);
            let pool = netpool::Pool::new(cfg).unwrap();
            let (d0, d1) = (device(&r0), device(&r1));
            let label = d0.label().to_string();
            for (n, s) in steps.iter().enumerate() {
                match s {
                    Step::Kill => r0.kill(),
                    Step::Restart => r0.restart().await.map_err(|e| e.to_string())?,
                    Step::RefuseAuth(on) => r0.set_refuse_auth(*on),
                    Step::RefuseExec(on) => r0.set_refuse_exec(*on),
                    Step::Stall(on) => r0.set_stalled(*on),
                    Step::Delay(ms) => r0.set_extra_delay(Duration::from_millis(*ms)),
                    Step::HelloDelay(ms) => r0.set_hello_delay(Duration::from_millis(*ms)),
                    op => {
                        let t = Instant::now();
                        let healthy = async {
                            let t = Instant::now();
                            let r = pool.cli(&d1, "show version").await;
                            (r, t.elapsed())
                        };
                        let (r, (h, h_took)) = tokio::join!(
                            tokio::time::timeout(BOUND, call(&pool, &d0, op, n)),
                            healthy
                        );
                        let took = t.elapsed();
                        match r {
                            Err(_) => return Err(format!("step {n} {op:?}: no answer within {BOUND:?}")),
                            Ok(Err(e)) if !e.to_string().contains(&label) => {
                                return Err(format!("step {n} {op:?}: error does not name the device: {e}"))
                            }
                            Ok(_) => {}
                        }
                        h.map_err(|e| format!("step {n}: the healthy router failed: {e}"))?;
                        if h_took > Duration::from_secs(3) {
                            return Err(format!("step {n}: the healthy router took {h_took:?} (faulty call took {took:?})"));
                        }
                    }
                }
            }
            // Clear every fault: the pool must serve r0 again by itself.
            r0.set_stalled(false);
            r0.set_refuse_auth(false);
            r0.set_refuse_exec(false);
            r0.set_extra_delay(Duration::ZERO);
            r0.set_hello_delay(Duration::ZERO);
            r0.restart().await.map_err(|e| e.to_string())?;
            let t = Instant::now();
            loop {
                let cli = pool.cli(&d0, "show version").await;
                let rpc = call(&pool, &d0, &Step::Rpc, 0).await;
                let last = match (cli, rpc) {
                    (Ok(_), Ok(())) => break,
                    (c, r) => format!("{:?} / {:?}", c.err(), r.err()),
                };
                if t.elapsed() > Duration::from_secs(10) {
                    return Err(format!("r0 not served again 10 s after the faults cleared: {last}"));
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            let in_use: usize = pool.stats().iter().map(|s| s.in_use).sum();
            if in_use != 0 {
                return Err(format!("{in_use} sessions still checked out: {:?}", pool.stats()));
            }
            let t = Instant::now();
            while r0.lock_holder().is_some() {
                if t.elapsed() > Duration::from_secs(3) {
                    return Err(format!("a configuration lock outlived its call: {:?}", r0.lock_holder()));
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            pool.shutdown(Duration::from_secs(1)).await;
            Ok(())
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

        #[test]
        fn any_sequence_of_faults_answers_within_bounds_and_recovers(steps in prop::collection::vec(step(), 1..10)) {
            let r = run(steps);
            prop_assert!(r.is_ok(), "{}", r.unwrap_err());
        }
    }
}
