//! `netlab sim`: serve a simulated fleet in the foreground until Ctrl-C.

use std::net::Ipv4Addr;
use std::path::PathBuf;

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
    /// Ports on each address (0 = a free port).
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
}

pub async fn run(a: SimArgs) -> Result<(), String> {
    let timing = a.profile.timing();
    let fleet = Fleet::start(FleetConfig {
        routers: a.routers,
        seed: 1,
        first_index: 0,
        addressing: Addressing::Loopback {
            first: a.listen,
            ports: a.ports.clone(),
        },
        device: DeviceConfig {
            route_count: a.routes,
            timing,
            ..Default::default()
        },
    })
    .await
    .map_err(|e| format!("starting the fleet: {e}"))?;
    for d in fleet.devices() {
        let addrs: Vec<String> = d.addrs().iter().map(|x| x.to_string()).collect();
        println!(
            "{:<4} {}  user {DEFAULT_USER}  password {DEFAULT_PASSWORD}  hostkey {}",
            d.hostname(),
            addrs.join(" "),
            d.host_key_fingerprint()
        );
    }
    if let Some(p) = &a.inventory_out {
        std::fs::write(p, inventory::Inventory::for_fleet(&fleet, &a.password_env))
            .map_err(|e| format!("{}: {e}", p.display()))?;
        println!(
            "inventory written to {} (export {}={DEFAULT_PASSWORD})",
            p.display(),
            a.password_env
        );
    }
    println!(
        "serving {} routers ({} profile); Ctrl-C to stop",
        a.routers, a.profile
    );
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| e.to_string())?;
    tokio::select! {
        r = tokio::signal::ctrl_c() => r.map_err(|e| e.to_string())?,
        _ = term.recv() => {}
    }
    fleet.shutdown(std::time::Duration::from_secs(2)).await;
    let open: u64 = fleet.total(|c| c.sessions_open);
    println!("stopped; {open} sessions open");
    Ok(())
}
