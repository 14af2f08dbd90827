//! `netlab inventory k8s`: the inventory of a junos-sim StatefulSet (lab/k8s/), from the
//! pods' stable DNS names and the routers' host keys, which are derived from the seed.

use std::path::PathBuf;

#[derive(clap::Args)]
pub struct InventoryArgs {
    #[command(subcommand)]
    pub what: InventoryKind,
}

#[derive(clap::Subcommand)]
pub enum InventoryKind {
    /// A junos-sim StatefulSet: pod K (`STATEFULSET-K.SERVICE`) serves slice K of the
    /// routers, one port each from --first-port.
    K8s(K8sArgs),
}

#[derive(clap::Args)]
pub struct K8sArgs {
    /// The StatefulSet's name.
    #[arg(long, default_value = "junos-sim")]
    pub statefulset: String,
    /// Its headless Service.
    #[arg(long, default_value = "junos-sim")]
    pub service: String,
    /// Pods (the StatefulSet's replicas, JUNOS_SIM_SHARDS).
    #[arg(long)]
    pub pods: usize,
    /// Routers in the whole fleet (junos-sim --routers).
    #[arg(long)]
    pub routers: usize,
    /// junos-sim --first-port.
    #[arg(long, default_value_t = 20000)]
    pub first_port: u16,
    /// junos-sim --seed (JUNOS_SIM_SEED): the host keys follow from it.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// The environment variable the inventory names for the password.
    #[arg(long, default_value = "NETLAB_SIM_PASSWORD")]
    pub password_env: String,
    /// Where to write it (default: standard output).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

pub fn run(a: InventoryArgs) -> Result<(), String> {
    let InventoryKind::K8s(k) = a.what;
    let text = k8s(&k)?;
    match &k.out {
        Some(p) => std::fs::write(p, text).map_err(|e| format!("{}: {e}", p.display())),
        None => {
            print!("{text}");
            Ok(())
        }
    }
}

fn k8s(k: &K8sArgs) -> Result<String, String> {
    use std::fmt::Write as _;
    if k.pods == 0 {
        return Err("--pods must be above 0".into());
    }
    let mut s = format!(
        "# Written by `netlab inventory k8s`: {} routers on {} pods of StatefulSet {}.\n\n[defaults]\nuser = \"{}\"\npassword_env = \"{}\"\nhost_key_policy = \"pinned\"\ntransport = \"netconf\"\n",
        k.routers,
        k.pods,
        k.statefulset,
        junos_sim::DEFAULT_USER,
        k.password_env
    );
    for pod in 0..k.pods {
        let (lo, hi) = super::sim::slice(k.routers, pod, k.pods);
        for g in lo..hi {
            let port = usize::from(k.first_port) + (g - lo);
            let port = u16::try_from(port).map_err(|_| {
                format!(
                    "pod {pod}: router r{} would need port {port}: lower --first-port or add pods",
                    g + 1
                )
            })?;
            let _ = write!(
                s,
                "\n[[device]]\nname = \"r{}\"\nhost = \"{}-{pod}.{}\"\nport = {port}\nhost_key = \"{}\"\n",
                g + 1,
                k.statefulset,
                k.service,
                junos_sim::host_key_fingerprint_of(g, k.seed)
            );
        }
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_router_once_on_its_pod_with_its_key() {
        let a = K8sArgs {
            statefulset: "junos-sim".into(),
            service: "junos-sim".into(),
            pods: 3,
            routers: 10,
            first_port: 20000,
            seed: 1,
            password_env: "P".into(),
            out: None,
        };
        let text = k8s(&a).unwrap();
        assert_eq!(text.matches("[[device]]").count(), 10);
        assert!(text.contains("name = \"r1\"\nhost = \"junos-sim-0.junos-sim\"\nport = 20000\n"));
        assert!(text.contains("name = \"r4\"\nhost = \"junos-sim-1.junos-sim\"\nport = 20000\n"));
        assert!(text.contains(&junos_sim::host_key_fingerprint_of(9, 1)));
        std::env::set_var("P", "x");
        let inv = netlab::inventory::Inventory::parse(&text, std::path::Path::new("k8s.toml"))
            .expect("the inventory reads back");
        assert_eq!(inv.devices.len(), 10);
        let e = k8s(&K8sArgs {
            first_port: 65534,
            ..a
        })
        .unwrap_err();
        assert!(e.contains("would need port 65536"), "{e}");
    }
}
