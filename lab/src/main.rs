//! `netlab`: benchmark pooled against per-call sessions, serve a simulated fleet.

use std::process::ExitCode;

mod cmd;
mod profile;

use netlab::inventory;

use clap::{Parser, Subcommand};
use cmd::{
    bench::BenchArgs, calibrate::CalibrateArgs, chaos::ChaosArgs, inventory::InventoryArgs,
    proxy::ProxyArgs, scale::ScaleArgs, sim::SimArgs, validate::ValidateArgs,
};

#[derive(Parser)]
#[command(
    name = "netlab",
    version,
    about = "Benchmark and torture SSH/NETCONF session pools against simulated or real Junos routers"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Compare per-call sessions with pooled ones, side by side in one run.
    ///
    /// Starts an embedded simulated fleet (each router on its own 127.0.1.N address) and
    /// runs the workload in each mode: per-call (a new session per command), one-per-device
    /// (one session per router behind a lock), pooled-seq and pooled-par (netpool).
    ///
    /// Example: netlab bench --profile vmx --json bench.json --svg bench.svg
    Bench(BenchArgs),
    /// Start many simulated routers in this process and open one pooled session to each:
    /// RSS per idle device, connect+hello latency, accepts per second, RSS per session.
    ///
    /// Example: netlab scale --devices 1000
    Scale(ScaleArgs),
    /// Against real devices: the read-only workload per-call and pooled, and the safe faults
    /// (wrong password on a second connection, a refused port, an unreachable host if the
    /// inventory names one). Never changes configuration unless --allow-config.
    ///
    /// Example: NETLAB_PASSWORD=... netlab validate --inventory lab/inventory.example.toml
    Validate(ValidateArgs),
    /// Run the chaos matrix: faults against simulated routers, a PASS/FAIL row each.
    ///
    /// Exits non-zero if any scenario fails. Example: netlab chaos --scenario killed-sshd
    Chaos(ChaosArgs),
    /// Run unmodified PyEZ against the simulated fleet (instant, then vmx) and print its
    /// figures beside the published vMX ones the vmx profile is fitted to.
    ///
    /// Example: netlab calibrate --python .venv/bin/python --check 0.15
    Calibrate(CalibrateArgs),
    /// Serve a simulated fleet until Ctrl-C and print where each router listens.
    ///
    /// Example: netlab sim --routers 5 --profile vmx
    Sim(SimArgs),
    /// Pool sessions for clients that cannot change (PyEZ, ncclient, Ansible, netmiko,
    /// OpenSSH): one local SSH/NETCONF endpoint per inventory device, pooled upstream.
    ///
    /// Example: NETLAB_PROXY_PASSWORD=... netlab proxy --inventory lab.toml --inventory-out proxied.toml
    Proxy(ProxyArgs),
    /// Write inventories of fleets served elsewhere.
    ///
    /// Example: netlab inventory k8s --pods 10 --routers 100000 --out fleet.toml
    Inventory(InventoryArgs),
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let cli = Cli::parse();
    let r = match cli.command {
        Command::Bench(a) => cmd::bench::run(a).await,
        Command::Sim(a) => cmd::sim::run(a).await,
        Command::Scale(a) => cmd::scale::run(a).await,
        Command::Chaos(a) => cmd::chaos::run(a).await,
        Command::Validate(a) => cmd::validate::run(a).await,
        Command::Calibrate(a) => cmd::calibrate::run(a).await,
        Command::Proxy(a) => cmd::proxy::run(a).await,
        Command::Inventory(a) => cmd::inventory::run(a),
    };
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("netlab: {e}");
            ExitCode::FAILURE
        }
    }
}
