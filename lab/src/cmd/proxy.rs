//! `netlab proxy`: one local SSH/NETCONF endpoint per inventory device, pooled upstream.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use netlab::proxy::{self, Proxy, ProxyConfig, Upstream};

use crate::inventory::Inventory;

#[derive(clap::Args)]
pub struct ProxyArgs {
    /// The devices to front (the format `netlab sim --inventory-out` writes).
    #[arg(long)]
    pub inventory: PathBuf,
    /// Address the endpoints listen on (never all interfaces unless asked).
    #[arg(long, default_value = "127.0.0.1")]
    pub listen: IpAddr,
    /// Port of the first device's endpoint; the others follow (0: free ports).
    #[arg(long, default_value_t = 40001)]
    pub first_port: u16,
    /// Environment variable holding the password clients log in with (user: the
    /// inventory's user of each device).
    #[arg(long, default_value = "NETLAB_PROXY_PASSWORD")]
    pub client_password_env: String,
    /// OpenSSH authorized_keys file: keys clients may log in with.
    #[arg(long)]
    pub authorized_keys: Option<PathBuf>,
    /// The proxy's host key (OpenSSH format), created on first use (mode 0600). Default:
    /// `$XDG_STATE_HOME/netlab/proxy-host-key`, else `~/.local/state/netlab/proxy-host-key`
    /// (never the current directory, where a `git add .` could pick it up).
    #[arg(long)]
    pub host_key: Option<PathBuf>,
    /// Write an inventory pointing at the endpoints (same format as `netlab sim`'s).
    #[arg(long)]
    pub inventory_out: Option<PathBuf>,
    /// Print the per-device table this often (seconds; 0: only on SIGUSR1 and at exit).
    #[arg(long, default_value_t = 0)]
    pub stats_every: u64,
    /// Close a client session silent this long (seconds), handing its lease back.
    #[arg(long, default_value_t = 600)]
    pub client_idle_timeout: u64,
    /// The largest NETCONF message a client may send (bytes; default netpool's max_frame,
    /// 16 MiB). A larger one ends that client's session with a framing error.
    #[arg(long, default_value_t = proxy::DEFAULT_MAX_MESSAGE)]
    pub max_message: usize,
    /// SSH keepalive interval towards clients, seconds: a client that vanishes without
    /// closing is dropped after three unanswered keepalives, and its lease goes back.
    #[arg(long, default_value_t = proxy::DEFAULT_CLIENT_KEEPALIVE.as_secs())]
    pub client_keepalive: u64,
    /// Serve Prometheus metrics (the pool's `netpool_*`, the proxy's `netlab_proxy_*`) at
    /// http://ADDR/metrics, e.g. `127.0.0.1:9464` (port 0: a free port, printed). Off
    /// unless given; an address off loopback is taken as asked.
    #[arg(long)]
    pub metrics: Option<std::net::SocketAddr>,
    #[command(flatten)]
    pub ssh: super::SshLimitArgs,
}

pub async fn run(a: ProxyArgs) -> Result<(), String> {
    let inv = Inventory::load(&a.inventory)?;
    let client_password = match std::env::var(&a.client_password_env) {
        Ok(p) if !p.is_empty() => Some(p),
        _ => None,
    };
    let authorized_keys = match &a.authorized_keys {
        Some(p) => proxy::read_authorized_keys(p).map_err(|e| format!("--authorized-keys {e}"))?,
        None => Vec::new(),
    };
    if client_password.is_none() && authorized_keys.is_empty() {
        return Err(format!(
            "no way for clients to log in: export {}=... or give --authorized-keys FILE",
            a.client_password_env
        ));
    }
    let host_key_path = match a.host_key.clone() {
        Some(p) => p,
        None => proxy::default_host_key_path()?,
    };
    let host_key = proxy::load_or_create_host_key(&host_key_path)?;
    let pool = netpool::Pool::new(inv.pool.clone()).map_err(|e| e.to_string())?;
    let upstreams = inv
        .devices
        .iter()
        .map(|d| Upstream {
            name: d.name.clone(),
            device: d.device.clone(),
        })
        .collect();
    let px = Proxy::start(
        pool,
        upstreams,
        ProxyConfig {
            listen: a.listen,
            first_port: a.first_port,
            client_password,
            authorized_keys,
            host_key,
            client_idle_timeout: Duration::from_secs(a.client_idle_timeout.max(1)),
            ssh_limits: a.ssh.apply(ProxyConfig::default_ssh_limits())?,
            max_message: a.max_message,
            client_keepalive: Duration::from_secs(a.client_keepalive),
        },
    )
    .await?;
    for e in px.endpoints() {
        println!(
            "{:<10} ssh -p {} {}@{}  ->  {}",
            e.name,
            e.addr.port(),
            e.device.user(),
            e.addr.ip(),
            e.device.label()
        );
    }
    println!(
        "proxy host key {} ({})",
        px.host_key_fingerprint(),
        host_key_path.display()
    );
    if let Some(p) = &a.inventory_out {
        super::write_atomic(p, &px.inventory(&a.client_password_env))?;
        println!("inventory written to {}", p.display());
    }
    let metrics_stop = tokio_util::sync::CancellationToken::new();
    if let Some(addr) = a.metrics {
        let listener = proxy::metrics::bind(addr).await?;
        let bound = listener.local_addr().map_err(|e| e.to_string())?;
        println!("metrics on http://{bound}/metrics");
        tokio::spawn(proxy::metrics::serve(
            listener,
            px.clone(),
            metrics_stop.clone(),
        ));
    }
    let cfg = px.pool().config();
    println!(
        "pooling: at most {} connections x {} channels per router, checkout timeout {:?}; SIGUSR1 prints stats; Ctrl-C to stop",
        cfg.max_connections_per_device, cfg.channels_per_connection, cfg.checkout_timeout
    );
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).map_err(|e| e.to_string())?;
    let mut usr1 = signal(SignalKind::user_defined1()).map_err(|e| e.to_string())?;
    let every = (a.stats_every > 0).then(|| Duration::from_secs(a.stats_every));
    let mut tick = tokio::time::interval(every.unwrap_or(Duration::from_secs(3600)));
    tick.tick().await;
    loop {
        tokio::select! {
            r = tokio::signal::ctrl_c() => { r.map_err(|e| e.to_string())?; break; }
            _ = term.recv() => break,
            _ = usr1.recv() => print!("{}", px.stats_table()),
            _ = tick.tick(), if every.is_some() => print!("{}", px.stats_table()),
        }
    }
    println!("stopping: client sessions end, leases go back cleaned");
    metrics_stop.cancel();
    px.shutdown(Duration::from_secs(4)).await;
    print!("{}", px.stats_table());
    Ok(())
}
