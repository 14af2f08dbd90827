//! `netlab sim`: serve a simulated fleet in the foreground until Ctrl-C, from this
//! process or sharded over several (`--shards N`: each a slice of the addresses, one
//! merged inventory; a shard's death is reported and the others keep serving).

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use junos_sim::{Addressing, DeviceConfig, Fleet, FleetConfig, DEFAULT_PASSWORD, DEFAULT_USER};

use crate::inventory;
use crate::profile::Profile;

#[derive(clap::Args)]
pub struct SimArgs {
    /// Number of routers.
    #[arg(long, default_value_t = 5)]
    pub routers: usize,
    /// Timing profile (wan serves vmx devices; the latency is the clients' network).
    #[arg(long, value_enum, default_value_t = Profile::Instant)]
    pub profile: Profile,
    /// First address: routers get consecutive addresses from it.
    #[arg(long, default_value = "127.0.1.1")]
    pub listen: Ipv4Addr,
    /// Ports on each address (0 = a free port). One port is enough: NETCONF runs over the
    /// SSH port's `netconf` subsystem, and a device then holds one listening socket.
    #[arg(long, value_delimiter = ',', default_value = "2222,8830")]
    pub ports: Vec<u16>,
    /// Synthetic routes per router.
    #[arg(long, default_value_t = 1000)]
    pub routes: u32,
    /// Write an inventory of the fleet (pinned host keys, password by reference).
    #[arg(long)]
    pub inventory_out: Option<PathBuf>,
    /// The environment variable the written inventory names for the password.
    #[arg(long, default_value = "NETLAB_SIM_PASSWORD")]
    pub password_env: String,
    /// Serve the fleet from this many processes, each a slice of the routers.
    #[arg(long, default_value_t = 1)]
    pub shards: usize,
    /// (Set by `--shards` for its child processes) serve slice K of the fleet only.
    #[arg(long, hide = true)]
    pub shard: Option<usize>,
    #[command(flatten)]
    pub ssh: super::SshLimitArgs,
}

/// Routers `[lo, hi)` of `routers` for shard `k` of `n`.
pub fn slice(routers: usize, k: usize, n: usize) -> (usize, usize) {
    let n = n.max(1);
    (routers * k / n, routers * (k + 1) / n)
}

pub async fn run(a: SimArgs) -> Result<(), String> {
    let limit = netlab::limits::raise_nofile();
    if a.shards > 1 && a.shard.is_none() {
        return run_shards(a).await;
    }
    let (lo, hi) = match a.shard {
        Some(k) => slice(a.routers, k, a.shards),
        None => (0, a.routers),
    };
    netlab::limits::check_fds(
        "netlab sim",
        hi - lo,
        a.ports.len() as u64 + 1,
        "a listener per port, and the socket of one session",
        limit,
        "Serve the fleet from several processes: `netlab sim --shards N`.",
    )?;
    let timing = a.profile.timing();
    let defaults = DeviceConfig::default();
    let limits = a.ssh.apply(junos_sim::sshd::Limits {
        handshake_timeout: defaults.handshake_timeout,
        login_grace: defaults.login_grace,
        max_startups: defaults.max_startups,
        max_connections: defaults.connection_limit,
        rate_per_minute: defaults.rate_limit_per_minute,
        max_channels: defaults.channels_per_connection,
    })?;
    let first = Ipv4Addr::from(u32::from(a.listen) + lo as u32);
    let fleet = Fleet::start(FleetConfig {
        routers: hi - lo,
        seed: 1,
        first_index: lo,
        addressing: Addressing::Loopback {
            first,
            ports: a.ports.clone(),
        },
        device: DeviceConfig {
            route_count: a.routes,
            timing,
            handshake_timeout: limits.handshake_timeout,
            login_grace: limits.login_grace,
            max_startups: limits.max_startups,
            connection_limit: limits.max_connections,
            channels_per_connection: limits.max_channels,
            ..defaults
        },
    })
    .await
    .map_err(|e| format!("starting the fleet: {e}"))?;
    let quiet = a.shard.is_some() || fleet.devices().len() > 20;
    if !quiet {
        for d in fleet.devices() {
            let addrs: Vec<String> = d.addrs().iter().map(|x| x.to_string()).collect();
            println!(
                "{:<4} {}  user {DEFAULT_USER}  password {DEFAULT_PASSWORD}  hostkey {}",
                d.hostname(),
                addrs.join(" "),
                d.host_key_fingerprint()
            );
        }
    }
    if let Some(p) = &a.inventory_out {
        super::write_atomic(p, &inventory::for_fleet(&fleet, &a.password_env))?;
        if a.shard.is_none() {
            println!(
                "inventory written to {} (export {}={DEFAULT_PASSWORD})",
                p.display(),
                a.password_env
            );
        }
    }
    match a.shard {
        Some(k) => println!(
            "shard {k}: serving routers r{}..r{} from {first} ({} profile)",
            lo + 1,
            hi,
            a.profile
        ),
        None => println!(
            "serving {} routers ({} profile) from {first}; Ctrl-C to stop",
            a.routers, a.profile
        ),
    }
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| e.to_string())?;
    tokio::select! {
        r = tokio::signal::ctrl_c() => r.map_err(|e| e.to_string())?,
        _ = term.recv() => {}
    }
    fleet.shutdown(Duration::from_secs(2)).await;
    let open: u64 = fleet.total(|c| c.sessions_open);
    println!("stopped; {open} sessions open");
    Ok(())
}

/// Start `a.shards` child processes, each serving its slice, wait until each has written
/// its inventory, merge them, then watch: a shard that dies is reported, the others keep
/// serving; Ctrl-C stops them all.
async fn run_shards(a: SimArgs) -> Result<(), String> {
    let exe = std::env::current_exe().map_err(|e| format!("finding netlab itself: {e}"))?;
    let dir = std::env::temp_dir().join(format!("netlab-shards-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let ports: Vec<String> = a.ports.iter().map(u16::to_string).collect();
    let mut children = Vec::new();
    for k in 0..a.shards {
        let inv = dir.join(format!("shard-{k}.toml"));
        let _ = std::fs::remove_file(&inv);
        let child = tokio::process::Command::new(&exe)
            .arg("sim")
            .args(["--routers", &a.routers.to_string()])
            .args(["--profile", &a.profile.to_string()])
            .args(["--listen", &a.listen.to_string()])
            .args(["--ports", &ports.join(",")])
            .args(["--routes", &a.routes.to_string()])
            .args(["--password-env", &a.password_env])
            .args(["--shards", &a.shards.to_string()])
            .args(["--shard", &k.to_string()])
            .args(a.ssh.to_args())
            .arg("--inventory-out")
            .arg(&inv)
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("starting shard {k}: {e}"))?;
        children.push((k, child, inv));
    }
    // Each shard writes its inventory once its routers listen.
    let started = std::time::Instant::now();
    for (k, child, inv) in &mut children {
        loop {
            if inv.exists() {
                break;
            }
            if let Ok(Some(st)) = child.try_wait() {
                return Err(format!("shard {k} exited before serving: {st}"));
            }
            if started.elapsed() > Duration::from_secs(300) {
                return Err(format!("shard {k} did not start within 300 s"));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let merged = merge(children.iter().map(|c| c.2.as_path()))?;
    if let Some(p) = &a.inventory_out {
        super::write_atomic(p, &merged)?;
        println!(
            "inventory of {} routers from {} shards written to {} (export {}={DEFAULT_PASSWORD})",
            a.routers,
            a.shards,
            p.display(),
            a.password_env
        );
    }
    println!(
        "serving {} routers from {} processes in {:.1} s; Ctrl-C to stop",
        a.routers,
        a.shards,
        started.elapsed().as_secs_f64()
    );
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| e.to_string())?;
    let mut alive = a.shards;
    loop {
        let died = async {
            loop {
                for (k, child, _) in children.iter_mut() {
                    if let Ok(Some(st)) = child.try_wait() {
                        return (*k, st);
                    }
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => break,
            _ = term.recv() => break,
            (k, st) = died => {
                let (lo, hi) = slice(a.routers, k, a.shards);
                alive -= 1;
                eprintln!("netlab sim: shard {k} (routers r{}..r{hi}) died: {st}; {alive} of {} shards still serving", lo + 1, a.shards);
                children.retain(|c| c.0 != k);
                if alive == 0 {
                    return Err("every shard died".into());
                }
            }
        }
    }
    for (_, child, _) in &children {
        if let Some(pid) = child.id() {
            let _ = std::process::Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status();
        }
    }
    for (_, child, _) in &mut children {
        let _ = tokio::time::timeout(Duration::from_secs(5), child.wait()).await;
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// One inventory from the shards': the first one's `[defaults]`, every shard's devices.
fn merge<'a>(files: impl Iterator<Item = &'a Path>) -> Result<String, String> {
    let mut out = String::new();
    for (i, f) in files.enumerate() {
        let text = std::fs::read_to_string(f).map_err(|e| format!("{}: {e}", f.display()))?;
        let at = text
            .find("[[device]]")
            .ok_or_else(|| format!("{}: no devices", f.display()))?;
        if i == 0 {
            out.push_str(&text[..at]);
        }
        out.push_str(&text[at..]);
        if !out.ends_with('\n') {
            out.push('\n');
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slices_cover_the_fleet_once() {
        for (routers, n) in [(10_000, 4), (7, 3), (2, 5), (1, 1)] {
            let mut next = 0;
            for k in 0..n {
                let (lo, hi) = slice(routers, k, n);
                assert_eq!(lo, next);
                next = hi;
            }
            assert_eq!(next, routers);
        }
    }
}
