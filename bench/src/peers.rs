//! The peers netpool is measured beside: OpenSSH with ControlMaster multiplexing (CLI)
//! and rustnetconf's `DevicePool` (NETCONF).

use indicatif::ProgressBar;
use std::time::Duration;

use netpool::Device;

use crate::plan::{concurrent_pass, BenchOptions, Pass, Target};
use crate::workload::Workload;

/// One command through OpenSSH with connection multiplexing.
pub(crate) async fn ssh_op(
    key: &std::path::Path,
    control_dir: &std::path::Path,
    device: &Device,
    command: &str,
) -> Result<(), String> {
    let out = tokio::process::Command::new("ssh")
        .args(ssh_args(key, control_dir, device))
        .arg(format!("{}@{}", device.user(), device.host()))
        .arg(command)
        .output()
        .await
        .map_err(|e| format!("running ssh: {e}"))?;
    if !out.status.success() || out.stdout.is_empty() {
        return Err(format!(
            "{device}: ssh {command:?}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(())
}

pub(crate) fn ssh_args(
    key: &std::path::Path,
    control_dir: &std::path::Path,
    device: &Device,
) -> Vec<String> {
    vec![
        "-i".into(),
        key.display().to_string(),
        "-p".into(),
        device.port().to_string(),
        "-o".into(),
        "BatchMode=yes".into(),
        "-o".into(),
        "StrictHostKeyChecking=no".into(),
        "-o".into(),
        "UserKnownHostsFile=/dev/null".into(),
        "-o".into(),
        "LogLevel=ERROR".into(),
        "-o".into(),
        "ControlMaster=auto".into(),
        "-o".into(),
        format!("ControlPath={}/%h-%p", control_dir.display()),
        "-o".into(),
        "ControlPersist=60".into(),
    ]
}

pub(crate) async fn ssh_pass(
    key: &std::path::Path,
    dir: &std::path::Path,
    targets: &[Target],
    w: &Workload,
    bar: &ProgressBar,
) -> Pass {
    concurrent_pass(w, bar, |op| {
        let (dev, cmd) = (targets[op.target].device.clone(), op.command.clone());
        async move { ssh_op(key, dir, &dev, &cmd).await }
    })
    .await
}

/// The workload through rustnetconf's DevicePool: a warm-up pass, then timed passes.
pub(crate) async fn rustnetconf_passes(
    opts: &BenchOptions,
    targets: &[Target],
    w: &Workload,
    bar: &ProgressBar,
) -> Vec<Pass> {
    use rustnetconf::pool::{DeviceConfig, DevicePool};
    use rustnetconf::transport::ssh::{HostKeyVerification, SshAuth};
    let password = opts.peer_password.clone().unwrap_or_default();
    let mut b = DevicePool::builder()
        .max_connections(w.concurrency.max(1))
        .checkout_timeout(Duration::from_secs(60));
    for (i, t) in targets.iter().enumerate() {
        b = b.add_device(
            &i.to_string(),
            DeviceConfig {
                host: format!("{}:{}", t.device.host(), t.device.port()),
                username: t.device.user().to_string(),
                auth: SshAuth::Password(password.clone().into()),
                host_key_verification: Some(match &t.sim {
                    Some(s) => HostKeyVerification::Fingerprint(s.host_key_fingerprint()),
                    None => HostKeyVerification::AcceptAll,
                }),
                vendor: None,
            },
        );
    }
    let pool = b.build();
    let pass = || {
        concurrent_pass(w, bar, |op| {
            let (pool, name, cmd) = (&pool, op.target.to_string(), op.command.clone());
            async move {
                let mut g = pool.checkout(&name).await.map_err(|e| e.to_string())?;
                let out = g
                    .rpc(&format!(
                        "<command format=\"text\">{}</command>",
                        netconf_wire::escape_text(&cmd)
                    ))
                    .await
                    .map_err(|e| e.to_string())?;
                if out.trim().is_empty() {
                    return Err(format!("empty reply to {cmd:?}"));
                }
                Ok(())
            }
        })
    };
    let warm = pass().await;
    if !warm.errors.is_empty() {
        return vec![warm];
    }
    let mut passes = Vec::new();
    for _ in 0..opts.repeat.max(1) {
        passes.push(pass().await);
    }
    passes
}
