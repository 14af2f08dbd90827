//! Inventory files. The format and its parser live in `netpool::inventory` (the Python
//! package reads the same files); what netlab adds is writing one for a simulated fleet.

pub use netpool::inventory::{Inventory, InventoryDevice};

/// The inventory `netlab sim` writes for its fleet.
pub fn for_fleet(fleet: &junos_sim::Fleet, password_env: &str) -> String {
    let mut s = format!(
        "# Written by `netlab sim`: the simulated fleet. The simulator's password is lab123:\n#   export {password_env}=lab123\n\n[defaults]\nuser = \"lab\"\npassword_env = \"{password_env}\"\nhost_key_policy = \"pinned\"\ntransport = \"netconf\"\n"
    );
    for d in fleet.devices() {
        let a = d.addrs();
        s.push_str(&format!(
            "\n[[device]]\nname = \"{}\"\nhost = \"{}\"\nport = {}\n{}host_key = \"{}\"\n",
            d.hostname(),
            a[0].ip(),
            a[0].port(),
            a.get(1)
                .map(|b| format!("netconf_port = {}\n", b.port()))
                .unwrap_or_default(),
            d.host_key_fingerprint()
        ));
    }
    s
}
