//! `junos-sim`: serve a fleet of simulated Junos routers until Ctrl-C.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use clap::Parser;
use junos_sim::{Addressing, DeviceConfig, Fleet, FleetConfig, Timing, User};

/// Serve simulated Junos routers (SSH CLI, interactive CLI, NETCONF) until Ctrl-C.
#[derive(Parser, Debug)]
#[command(version, about, long_about = None, after_help = "Example:\n  junos-sim --routers 5 --first-port 2201\n  ssh -p 2201 lab@127.0.0.1 'show version'   (password lab123)")]
struct Args {
    /// Number of routers.
    #[arg(long, default_value_t = 5)]
    routers: usize,
    /// Timing profile: instant or vmx.
    #[arg(long, default_value = "instant", env = "JUNOS_SIM_PROFILE")]
    profile: String,
    /// Address to listen on; with --per-device-ip, the first of consecutive addresses.
    #[arg(long, default_value = "127.0.0.1")]
    listen: IpAddr,
    /// First port (router N listens on first-port + N - 1); 0 picks free ports.
    #[arg(long, default_value_t = 0)]
    first_port: u16,
    /// Give each router its own loopback address (listen, listen+1, ...) on --ports.
    #[arg(long)]
    per_device_ip: bool,
    /// Ports per router with --per-device-ip.
    #[arg(long, value_delimiter = ',', default_value = "22,830")]
    ports: Vec<u16>,
    /// Login user.
    #[arg(long, default_value = "lab")]
    user: String,
    /// Login password.
    #[arg(long, default_value = "lab123", env = "JUNOS_SIM_PASSWORD")]
    password: String,
    /// An OpenSSH public key file accepted for the user.
    #[arg(long)]
    authorized_key: Option<std::path::PathBuf>,
    /// Synthetic routes per router.
    #[arg(long, default_value_t = 1000, env = "JUNOS_SIM_ROUTES")]
    routes: u32,
    /// Offer NETCONF base:1.1 (chunked framing).
    #[arg(long)]
    netconf_1_1: bool,
    /// Seed for all generated state (host keys, serial numbers, routes).
    #[arg(long, default_value_t = 1, env = "JUNOS_SIM_SEED")]
    seed: u64,
    /// Index of the first router: router N is named r{first-index + N + 1}. Containers of
    /// one lab each run one router with their own index. With --shards, the index of this
    /// shard instead (unset: the ordinal at the end of HOSTNAME, as a StatefulSet's pods
    /// are named `junos-sim-0`, `junos-sim-1`...).
    #[arg(long, env = "JUNOS_SIM_INDEX")]
    first_index: Option<usize>,
    /// Serve slice K of S of a fleet of --routers routers (K from --first-index or the
    /// StatefulSet ordinal): routers r{lo+1}..r{hi}, with --per-device-ip from --listen +
    /// lo, else on --first-port and up.
    #[arg(long, default_value_t = 1, env = "JUNOS_SIM_SHARDS")]
    shards: usize,
    /// Print counters every N seconds (0 = never).
    #[arg(long, default_value_t = 0)]
    stats_every: u64,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    match serve(Args::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // As text, not Debug: the message names the argument as the user wrote it.
            eprintln!("junos-sim: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn serve(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let timing = Timing::by_name(&args.profile).ok_or_else(|| {
        format!(
            "--profile: unknown profile {:?} (instant, vmx)",
            args.profile
        )
    })?;
    let mut user = User::with_password(&args.user, &args.password);
    if let Some(path) = &args.authorized_key {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("--authorized-key {}: {e}", path.display()))?;
        user.keys.push(
            russh::keys::PublicKey::from_openssh(text.trim())
                .map_err(|e| format!("--authorized-key {}: {e}", path.display()))?,
        );
    }
    let (first_index, routers) = if args.shards > 1 {
        let k = match args.first_index {
            Some(k) => k,
            None => ordinal().ok_or(
                "--shards: give the shard index (--first-index, JUNOS_SIM_INDEX) or run in a StatefulSet pod (HOSTNAME ending in -N)",
            )?,
        };
        if k >= args.shards {
            return Err(format!("shard index {k} is not below --shards {}", args.shards).into());
        }
        let (lo, hi) = (
            args.routers * k / args.shards,
            args.routers * (k + 1) / args.shards,
        );
        (lo, hi - lo)
    } else {
        (args.first_index.unwrap_or(0), args.routers)
    };
    let addressing = if args.per_device_ip {
        let IpAddr::V4(listen) = args.listen else {
            return Err("--per-device-ip needs an IPv4 --listen".into());
        };
        // The shard's slice of the addresses (device g of the fleet on listen + g).
        let offset = if args.shards > 1 {
            first_index as u32
        } else {
            0
        };
        Addressing::Loopback {
            first: Ipv4Addr::from(u32::from(listen) + offset),
            ports: args.ports.clone(),
        }
    } else {
        Addressing::Ports {
            ip: args.listen,
            first_port: args.first_port,
        }
    };
    let fleet = Fleet::start(FleetConfig {
        routers,
        seed: args.seed,
        first_index,
        addressing,
        device: DeviceConfig {
            users: vec![user],
            route_count: args.routes,
            timing,
            netconf_1_1: args.netconf_1_1,
            ..Default::default()
        },
    })
    .await?;
    for d in fleet.devices() {
        let addrs: Vec<String> = d.addrs().iter().map(ToString::to_string).collect();
        println!(
            "{} {} user={} password={} hostkey={}",
            d.hostname(),
            addrs.join(","),
            args.user,
            args.password,
            d.host_key_fingerprint()
        );
    }
    println!(
        "serving {} routers (profile {}); Ctrl-C to stop",
        fleet.devices().len(),
        args.profile
    );
    let stats = async {
        if args.stats_every == 0 {
            return std::future::pending::<()>().await;
        }
        loop {
            tokio::time::sleep(Duration::from_secs(args.stats_every)).await;
            for d in fleet.devices() {
                println!(
                    "{} {}",
                    d.hostname(),
                    serde_json::to_string(&d.counters()).unwrap_or_default()
                );
            }
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = sigterm() => {}
        _ = stats => {}
    }
    for d in fleet.devices() {
        println!(
            "{} {}",
            d.hostname(),
            serde_json::to_string(&d.counters()).unwrap_or_default()
        );
    }
    println!("stopped");
    Ok(())
}

async fn sigterm() {
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(mut s) => {
            s.recv().await;
        }
        Err(_) => std::future::pending().await,
    }
}

/// The StatefulSet ordinal: the number after the last `-` of HOSTNAME.
fn ordinal() -> Option<usize> {
    let host = std::env::var("HOSTNAME").ok()?;
    host.rsplit('-').next()?.parse().ok()
}
