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

use super::write_json;

/// Published figures (junos-mcp-server PR 27: PyEZ, 5 vMX routers, the seed workload).
const PUBLISHED_PER_CALL: f64 = 0.70;
const PUBLISHED_POOLED: f64 = 0.114;
const PUBLISHED_SEQ: f64 = 6.2;
const PUBLISHED_PAR: f64 = 20.7;

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
    /// Write the figures as JSON.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

async fn pyez(a: &CalibrateArgs, timing: Timing) -> Result<Value, String> {
    let fleet = Fleet::start(FleetConfig {
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
    .map_err(|e| format!("starting the simulated fleet: {e}"))?;
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/interop/pyez_bench.py");
    let out = tokio::time::timeout(
        Duration::from_secs(300),
        tokio::process::Command::new(&a.python)
            .arg(&script)
            .env(
                "NETLAB_SEED_COMMANDS",
                serde_json::to_string(&junos_sim::commands::SEED_COMMANDS).expect("strings"),
            )
            .arg(DEFAULT_USER)
            .arg(DEFAULT_PASSWORD)
            .args(fleet.devices().iter().map(|d| d.addr().to_string()))
            .output(),
    )
    .await
    .map_err(|_| "PyEZ did not finish within 300 s".to_string())?
    .map_err(|e| format!("running {}: {e}", a.python.display()))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!(
            "{} {} failed (is PyEZ installed? see tests/interop/requirements.txt):\n{}",
            a.python.display(),
            script.display(),
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
    if let Some(p) = &a.json {
        write_json(
            p,
            &serde_json::json!({
                "instant": instant, "vmx": vmx,
                "speedup_seq": seq, "speedup_par": par,
                "published": {"per_call_s": PUBLISHED_PER_CALL, "pooled_s": PUBLISHED_POOLED,
                              "speedup_seq": PUBLISHED_SEQ, "speedup_par": PUBLISHED_PAR},
            }),
        )?;
    }
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
