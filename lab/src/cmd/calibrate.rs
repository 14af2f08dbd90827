//! `netlab calibrate`: unmodified PyEZ against the simulated fleet, on the `instant`
//! profile (its own cost) and on `vmx`, printed beside the published vMX figures the `vmx`
//! profile is fitted to (see simulator/src/profile.rs).

use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::time::Duration;

use junos_sim::{
    Addressing, DeviceConfig, Fleet, FleetConfig, Timing, DEFAULT_PASSWORD, DEFAULT_USER,
};
use serde_json::Value;

/// Published figures (junos-mcp-server PR 27: PyEZ, 5 vMX routers, the seed workload).
const PUBLISHED_PER_CALL: f64 = 0.70;
const PUBLISHED_POOLED: f64 = 0.114;
const PUBLISHED_SEQ: f64 = 6.2;
const PUBLISHED_PAR: f64 = 20.7;
/// The same benchmark's per-command rows, pooled and sequential: seconds for the command
/// on all 5 routers, in the order of `SEED_COMMANDS` (h-network/junos-mcp-server, branch
/// h-dev, `benchmark/03_IMPROVEMENTS.md`).
const PUBLISHED_POOLED_BY_COMMAND: [f64; 7] = [0.505, 0.448, 0.445, 0.647, 0.448, 0.446, 1.039];
/// Routers in the published lab (the per-command rows are summed over them).
const PUBLISHED_ROUTERS: f64 = 5.0;

#[derive(clap::Args)]
pub struct CalibrateArgs {
    /// The Python with PyEZ (junos-eznc) installed.
    #[arg(long, env = "NETPOOL_INTEROP_PYTHON", default_value = "python3")]
    pub python: PathBuf,
    /// Simulated routers (the published lab had 5).
    #[arg(long, default_value_t = 5)]
    pub routers: usize,
    /// Fail unless per-call, pooled sequential and the sequential speedup are within this
    /// fraction of the published figures (the parallel one is reported, not checked:
    /// see simulator/src/profile.rs).
    #[arg(long)]
    pub check: Option<f64>,
    /// `--junit`: a test case per figure compared with the published one, failed when
    /// `--check` is given and the figure is outside it.
    #[command(flatten)]
    pub reports: super::Reports,
    /// Also run PyEZ per call through `netlab proxy` in front of the vmx fleet, beside
    /// PyEZ per call directly and PyEZ's own cost (the instant profile).
    #[arg(long)]
    pub proxy: bool,
}

async fn pyez(a: &CalibrateArgs, timing: Timing) -> Result<Value, String> {
    let fleet = start_fleet(a, timing).await?;
    let addrs: Vec<String> = fleet
        .devices()
        .iter()
        .map(|d| d.addr().to_string())
        .collect();
    run_pyez(a, DEFAULT_PASSWORD, &addrs, false).await
}

async fn start_fleet(a: &CalibrateArgs, timing: Timing) -> Result<Fleet, String> {
    Fleet::start(FleetConfig {
        routers: a.routers,
        seed: 1,
        first_index: 0,
        addressing: Addressing::Loopback {
            first: Ipv4Addr::new(127, 0, 1, 1),
            ports: vec![0],
        },
        device: DeviceConfig {
            timing,
            ..Default::default()
        },
    })
    .await
    .map_err(|e| format!("starting the simulated fleet: {e}"))
}

/// Run pyez_bench.py against `addrs` (user `lab`); its last stdout line is JSON.
async fn run_pyez(
    a: &CalibrateArgs,
    password: &str,
    addrs: &[String],
    per_call_only: bool,
) -> Result<Value, String> {
    // The script travels inside the binary: a path into the source tree would be the
    // build machine's, wrong for an installed netlab or a build directory reused by
    // another checkout.
    const SCRIPT: &str = include_str!("../../../tests/interop/pyez_bench.py");
    let out = tokio::time::timeout(
        Duration::from_secs(300),
        tokio::process::Command::new(&a.python)
            .arg("-c")
            .arg(SCRIPT)
            .env(
                "NETLAB_SEED_COMMANDS",
                serde_json::to_string(&junos_sim::commands::SEED_COMMANDS).expect("strings"),
            )
            .envs(per_call_only.then_some(("NETLAB_PYEZ_PER_CALL_ONLY", "1")))
            .arg(DEFAULT_USER)
            .arg(password)
            .args(addrs)
            .output(),
    )
    .await
    .map_err(|_| "PyEZ did not finish within 300 s".to_string())?
    .map_err(|e| format!("running {}: {e}", a.python.display()))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!(
            "{} tests/interop/pyez_bench.py failed (is PyEZ installed? see tests/interop/requirements.txt):\n{}",
            a.python.display(),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let v: Value = serde_json::from_str(stdout.lines().last().unwrap_or(""))
        .map_err(|e| format!("PyEZ output: {e}: {stdout}"))?;
    if v["errors"].as_array().is_some_and(|e| !e.is_empty()) {
        return Err(format!("PyEZ reported errors: {}", v["errors"]));
    }
    Ok(v)
}

/// Each seed command's pooled sequential seconds per router: PyEZ against `instant`
/// (its own cost), against `vmx`, and the published row.
fn per_command(instant: &Value, vmx: &Value, routers: usize) -> Vec<(&'static str, f64, f64, f64)> {
    let per_router = |v: &Value, cmd: &str| {
        v["pooled_seq_by_command_s"][cmd]
            .as_f64()
            .unwrap_or(f64::NAN)
            / routers as f64
    };
    junos_sim::commands::SEED_COMMANDS
        .iter()
        .zip(PUBLISHED_POOLED_BY_COMMAND)
        .map(|(cmd, published)| {
            (
                *cmd,
                per_router(instant, cmd),
                per_router(vmx, cmd),
                published / PUBLISHED_ROUTERS,
            )
        })
        .collect()
}

fn f(v: &Value, k: &str) -> f64 {
    v[k].as_f64().unwrap_or(f64::NAN)
}

pub async fn run(a: CalibrateArgs) -> Result<(), String> {
    eprintln!(
        "netlab calibrate: PyEZ against {} simulated routers, the seed workload, instant then vmx",
        a.routers
    );
    let instant = pyez(&a, Timing::instant()).await?;
    let vmx = pyez(&a, Timing::vmx()).await?;
    let seq = f(&vmx, "per_call_s") / f(&vmx, "pooled_seq_s");
    let par = f(&vmx, "per_call_s") / f(&vmx, "pooled_par_s");
    let rows = [
        (
            "per call, s/op",
            f(&instant, "per_call_per_op_s"),
            f(&vmx, "per_call_per_op_s"),
            PUBLISHED_PER_CALL,
        ),
        (
            "pooled seq, s/op",
            f(&instant, "pooled_seq_per_op_s"),
            f(&vmx, "pooled_seq_per_op_s"),
            PUBLISHED_POOLED,
        ),
        ("speedup seq", f64::NAN, seq, PUBLISHED_SEQ),
        ("speedup par", f64::NAN, par, PUBLISHED_PAR),
    ];
    println!(
        "{:<18} {:>16} {:>10} {:>10} {:>10}",
        "", "instant (client)", "vmx", "published", "ratio"
    );
    for (name, i, v, p) in rows {
        let inst = if i.is_nan() {
            "-".to_string()
        } else {
            format!("{i:.3}")
        };
        println!("{name:<18} {inst:>16} {v:>10.3} {p:>10.3} {:>10.2}", v / p);
    }
    let t = Timing::vmx();
    println!(
        "vmx split: device setup {:.3} s (auth {:.3} + spawn {:.3}), service x{:.3} of the seed weights; client (PyEZ) {:.3} s a call, {:.3} s a pooled command",
        (t.auth_delay + t.session_spawn).as_secs_f64(),
        t.auth_delay.as_secs_f64(),
        t.session_spawn.as_secs_f64(),
        t.command_scale,
        f(&instant, "per_call_per_op_s"),
        f(&instant, "pooled_seq_per_op_s"),
    );
    let by_command = per_command(&instant, &vmx, a.routers);
    println!(
        "\npooled sequential, s per command and router\n{:<56} {:>9} {:>7} {:>9} {:>6}",
        "", "instant", "vmx", "published", "ratio"
    );
    for (cmd, i, v, p) in &by_command {
        println!("{cmd:<56} {i:>9.3} {v:>7.3} {p:>9.3} {:>6.2}", v / p);
    }
    let proxy = if a.proxy {
        Some(through_proxy(&a, f(&instant, "per_call_per_op_s")).await?)
    } else {
        None
    };
    let json = || {
        serde_json::json!({
            "instant": instant, "vmx": vmx, "proxy": proxy,
            "speedup_seq": seq, "speedup_par": par,
            "pooled_by_command": by_command.iter().map(|(cmd, i, v, p)| serde_json::json!({
                "command": cmd, "instant_s": i, "vmx_s": v, "published_s": p,
            })).collect::<Vec<_>>(),
            "published": {"per_call_s": PUBLISHED_PER_CALL, "pooled_s": PUBLISHED_POOLED,
                          "speedup_seq": PUBLISHED_SEQ, "speedup_par": PUBLISHED_PAR},
        })
    };
    let case = |(i, (name, _, v, p)): (usize, &(&str, f64, f64, f64))| {
        let ratio = v / p;
        let figures = format!("vmx {v:.3}, published {p:.3}, ratio {ratio:.2}");
        // The first three are the checked ones, as below.
        let ok = match a.check {
            Some(tol) if i < 3 => (ratio - 1.0).abs() <= tol,
            _ => true,
        };
        let why = format!(
            "{name}: {v:.3} against {p:.3}, outside {:.0}%",
            a.check.unwrap_or(0.0) * 100.0
        );
        super::junit::Case::new(name, ok, why, figures, None)
    };
    a.reports.write("netlab.calibrate", json, || {
        rows.iter().enumerate().map(case).collect()
    })?;
    if let Some(tol) = a.check {
        let off: Vec<String> = rows[..3]
            .iter()
            .filter(|(_, _, v, p)| !((v / p) - 1.0).abs().le(&tol))
            .map(|(n, _, v, p)| format!("{n}: {v:.3} against {p:.3}"))
            .collect();
        if !off.is_empty() {
            return Err(format!(
                "outside {:.0}% of the published figures: {}",
                tol * 100.0,
                off.join("; ")
            ));
        }
    }
    Ok(())
}

/// PyEZ per call on the vmx profile, directly and through `netlab proxy` (warm: one
/// pooled session per router opened first, as a long-running proxy has), with what each
/// call costs the routers in accepted connections and NETCONF sessions.
async fn through_proxy(a: &CalibrateArgs, client_cost: f64) -> Result<Value, String> {
    use std::sync::atomic::Ordering::Relaxed;
    let fleet = start_fleet(a, Timing::vmx()).await?;
    let counts = |fleet: &Fleet| {
        (
            fleet.total(|c| c.tcp_accepts),
            fleet.total(|c| c.netconf_sessions),
        )
    };
    let direct_addrs: Vec<String> = fleet
        .devices()
        .iter()
        .map(|d| d.addr().to_string())
        .collect();
    let before = counts(&fleet);
    let direct = run_pyez(a, DEFAULT_PASSWORD, &direct_addrs, true).await?;
    let after_direct = counts(&fleet);

    let mut cfg = netpool::PoolConfig::default();
    cfg.host_key_policy = netchaos::sim_fleet::pinned_host_keys(&fleet);
    let pool = netpool::Pool::new(cfg).map_err(|e| e.to_string())?;
    let devices = netchaos::sim_fleet::pool_devices(&fleet);
    for d in &devices {
        // One NETCONF session per router, checked out and given back: warm.
        drop(
            pool.netconf(d)
                .await
                .map_err(|e| format!("warming the proxy: {e}"))?,
        );
    }
    let upstreams = fleet
        .devices()
        .iter()
        .zip(devices)
        .map(|(s, device)| netlab::proxy::Upstream {
            name: s.hostname().to_string(),
            device,
        })
        .collect();
    let client_password = format!("calibrate-{}", rand::random::<u64>());
    let key: [u8; 32] = rand::random();
    let px = netlab::proxy::Proxy::start(
        pool,
        upstreams,
        netlab::proxy::ProxyConfig {
            listen: "127.0.0.1".parse().expect("an address"),
            first_port: 0,
            client_password: Some(client_password.clone()),
            authorized_keys: Vec::new(),
            host_key: russh::keys::PrivateKey::from(
                russh::keys::ssh_key::private::Ed25519Keypair::from_seed(&key),
            ),
            client_idle_timeout: Duration::from_secs(60),
            ssh_limits: netlab::proxy::ProxyConfig::default_ssh_limits(),
            max_message: netlab::proxy::DEFAULT_MAX_MESSAGE,
            client_keepalive: netlab::proxy::DEFAULT_CLIENT_KEEPALIVE,
        },
    )
    .await?;
    let proxy_addrs: Vec<String> = px.endpoints().iter().map(|e| e.addr.to_string()).collect();
    let warm = counts(&fleet);
    let proxied = run_pyez(a, &client_password, &proxy_addrs, true).await;
    let after_proxy = counts(&fleet);
    let client_conns: u64 = px
        .endpoints()
        .iter()
        .map(|e| e.counters.client_connections.load(Relaxed))
        .sum();
    px.shutdown(Duration::from_secs(2)).await;
    let proxied = proxied?;
    let ops = f(&direct, "ops");
    let per = |a: u64, b: u64| (a - b) as f64 / ops;
    let d = f(&direct, "per_call_per_op_s");
    let p = f(&proxied, "per_call_per_op_s");
    println!();
    println!(
        "PyEZ per call, vmx profile, {} routers, {} ops: directly and through netlab proxy (warm)",
        a.routers, ops
    );
    println!(
        "{:<30} {:>8} {:>16} {:>18}",
        "", "s/op", "router accepts/op", "router sessions/op"
    );
    println!(
        "{:<30} {:>8.3} {:>16.2} {:>18.2}",
        "direct",
        d,
        per(after_direct.0, before.0),
        per(after_direct.1, before.1)
    );
    println!(
        "{:<30} {:>8.3} {:>16.2} {:>18.2}",
        "through the proxy",
        p,
        per(after_proxy.0, warm.0),
        per(after_proxy.1, warm.1)
    );
    println!(
        "{:<30} {:>8.3}   (the instant profile: what no proxy can take away)",
        "PyEZ's own cost per call", client_cost
    );
    println!(
        "speedup through the proxy: {:.2}x; the proxy accepted {client_conns} client connections, the routers {} (warm-up: {})",
        d / p,
        after_proxy.0 - warm.0,
        warm.0 - after_direct.0
    );
    Ok(serde_json::json!({
        "ops": ops,
        "direct_per_call_s": d,
        "proxy_per_call_s": p,
        "pyez_client_cost_s": client_cost,
        "speedup": d / p,
        "direct_accepts_per_op": per(after_direct.0, before.0),
        "direct_sessions_per_op": per(after_direct.1, before.1),
        "proxy_accepts_per_op": per(after_proxy.0, warm.0),
        "proxy_sessions_per_op": per(after_proxy.1, warm.1),
        "proxy_client_connections": client_conns,
        "warmup_accepts": warm.0 - after_direct.0,
    }))
}
