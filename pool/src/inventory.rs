//! Inventory files: devices, credentials by reference, host key policy and limits.
//!
//! The format `netlab sim --inventory-out` writes and `netlab bench|validate|proxy`, the
//! Python package and scripts read (see `lab/inventory.example.toml`).

use std::path::{Path, PathBuf};

use crate::config::{HostKeyPolicy, PoolConfig};
use crate::device::{Auth, Device};
use serde::Deserialize;
use toml::Spanned;

#[derive(Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
struct Common {
    user: Option<String>,
    password_env: Option<String>,
    key_file: Option<String>,
    port: Option<u16>,
    netconf_port: Option<u16>,
    transport: Option<String>,
    host_key_policy: Option<String>,
    known_hosts_file: Option<String>,
    max_connections: Option<usize>,
    channels_per_connection: Option<usize>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeviceEntry {
    name: Spanned<String>,
    host: String,
    port: Option<u16>,
    netconf_port: Option<u16>,
    user: Option<String>,
    password_env: Option<String>,
    key_file: Option<String>,
    host_key: Option<String>,
    transport: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Faults {
    unreachable: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    defaults: Common,
    #[serde(default)]
    device: Vec<DeviceEntry>,
    #[serde(default)]
    faults: Faults,
}

/// A device of the inventory, resolved.
#[derive(Debug, Clone)]
pub struct InventoryDevice {
    /// Name.
    pub name: String,
    /// The pool's view (credentials resolved).
    pub device: Device,
    /// `netconf` or `cli`.
    pub transport: String,
}

/// A resolved inventory.
#[derive(Debug)]
pub struct Inventory {
    /// Devices in file order.
    pub devices: Vec<InventoryDevice>,
    /// Pool settings from the defaults (host key policy, limits).
    pub pool: PoolConfig,
    /// An address that never answers, if the file names one.
    pub unreachable: Option<std::net::SocketAddr>,
}

fn expand(p: &str) -> PathBuf {
    match p.strip_prefix("~/") {
        Some(rest) => std::env::home_dir()
            .map(|h| h.join(rest))
            .unwrap_or_else(|| PathBuf::from(p)),
        None => PathBuf::from(p),
    }
}

/// A TOML or serde message with its quoted string values hidden: a password typed into
/// the wrong field (`port = "s3cret"`) must not come back in an error.
fn hide_strings(msg: &str) -> String {
    let mut out = String::with_capacity(msg.len());
    let mut rest = msg;
    while let Some(i) = rest.find("string \"") {
        out.push_str(&rest[..i]);
        out.push_str("a string (value hidden)");
        let after = &rest[i + "string \"".len()..];
        let mut end = after.len();
        let mut escaped = false;
        for (j, c) in after.char_indices() {
            match c {
                '\\' if !escaped => escaped = true,
                '"' if !escaped => {
                    end = j + 1;
                    break;
                }
                _ => escaped = false,
            }
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

fn is_env_name(s: &str) -> bool {
    let mut c = s.chars();
    matches!(c.next(), Some(f) if f.is_ascii_alphabetic() || f == '_')
        && c.all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
}

/// Line numbers of byte offsets, from one pass over the text (a 50,000-device inventory
/// must not count newlines from the top for every device).
struct Lines(Vec<usize>);

impl Lines {
    fn new(text: &str) -> Self {
        Lines(text.match_indices('\n').map(|(i, _)| i).collect())
    }

    /// The 1-based line of `offset`.
    fn of(&self, offset: usize) -> usize {
        self.0.partition_point(|&nl| nl < offset) + 1
    }
}

impl Inventory {
    /// Read and resolve an inventory. Errors name the file, the line and the problem.
    pub fn load(path: &Path) -> Result<Inventory, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Self::parse(&text, path)
    }

    /// Parse inventory text (`path` is used in messages).
    pub fn parse(text: &str, path: &Path) -> Result<Inventory, String> {
        // toml's own message quotes the offending line, which may hold a password: give
        // the line number and the reason only.
        let file: File = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
            let msg = hide_strings(e.message());
            match line {
                Some(l) => format!("{}: line {l}: {msg}", path.display()),
                None => format!("{}: {msg}", path.display()),
            }
        })?;
        if file.device.is_empty() {
            return Err(format!("{}: no [[device]] entries", path.display()));
        }
        let d = &file.defaults;
        let mut pool = PoolConfig::default();
        if let Some(p) = &d.host_key_policy {
            pool.set("host_key_policy", p, "defaults.host_key_policy")
                .map_err(|e| format!("{}: {e}", path.display()))?;
        }
        if let Some(f) = &d.known_hosts_file {
            pool.set(
                "known_hosts_file",
                &expand(f).display().to_string(),
                "defaults.known_hosts_file",
            )
            .map_err(|e| format!("{}: {e}", path.display()))?;
        }
        for (key, value, setting) in [
            (
                "max_connections_per_device",
                d.max_connections,
                "defaults.max_connections",
            ),
            (
                "channels_per_connection",
                d.channels_per_connection,
                "defaults.channels_per_connection",
            ),
        ] {
            if let Some(n) = value {
                pool.set(key, &n.to_string(), setting)
                    .map_err(|e| format!("{}: {e}", path.display()))?;
            }
        }
        let mut pins = 0usize;
        let mut devices = Vec::new();
        let lines = Lines::new(text);
        for e in &file.device {
            let at = format!(
                "{}:{}: device {:?}",
                path.display(),
                lines.of(e.name.span().start),
                e.name.get_ref()
            );
            let user =
                e.user.clone().or_else(|| d.user.clone()).ok_or_else(|| {
                    format!("{at}: no user (set it on the device or in [defaults])")
                })?;
            let password_env = e.password_env.clone().or_else(|| d.password_env.clone());
            let key_file = e.key_file.clone().or_else(|| d.key_file.clone());
            let password = match &password_env {
                Some(var) if !is_env_name(var) => {
                    // Likely the password itself pasted here: say so without echoing it.
                    return Err(format!(
                        "{at}: password_env must name an environment variable ([A-Za-z_][A-Za-z0-9_]*), not hold the password"
                    ));
                }
                Some(var) => Some(
                    std::env::var(var)
                        .map_err(|_| format!("{at}: password_env {var} is not set"))?,
                ),
                None => None,
            };
            let key = match &key_file {
                Some(k) => {
                    let p = expand(k);
                    std::fs::File::open(&p)
                        .map_err(|err| format!("{at}: key_file {}: {err}", p.display()))?;
                    Some(p)
                }
                None => None,
            };
            let auth = match (key, password) {
                (Some(path), Some(password)) => Auth::KeyThenPassword { path, password },
                (Some(path), None) => Auth::KeyFile {
                    path,
                    passphrase: None,
                },
                (None, Some(p)) => Auth::Password(p),
                (None, None) => {
                    return Err(format!("{at}: no credentials (password_env or key_file)"))
                }
            };
            let transport = e
                .transport
                .clone()
                .or_else(|| d.transport.clone())
                .unwrap_or_else(|| "netconf".into());
            if transport != "netconf" && transport != "cli" {
                return Err(format!("{at}: transport {transport:?} (netconf or cli)"));
            }
            let mut device =
                Device::new(e.host.clone(), e.port.or(d.port).unwrap_or(22), user, auth);
            if let Some(h) = &e.host_key {
                if !h.starts_with("SHA256:") {
                    return Err(format!(
                        "{at}: host_key {h:?} is not a SHA256:... fingerprint"
                    ));
                }
                // Each device is pinned to its own key: one device's key never vouches
                // for another (an impostor at r2's address with r1's key is refused).
                device = device.with_host_keys([h.clone()]);
                pins += 1;
            }
            let _ = e.netconf_port.or(d.netconf_port);
            devices.push(InventoryDevice {
                name: e.name.get_ref().clone(),
                device,
                transport,
            });
        }
        if matches!(pool.host_key_policy, HostKeyPolicy::Pinned(_))
            || (pins > 0 && d.host_key_policy.is_none())
        {
            if pins != devices.len() {
                return Err(format!(
                    "{}: host_key_policy = pinned needs a host_key on every device",
                    path.display()
                ));
            }
            pool.host_key_policy = HostKeyPolicy::PerDevice;
        }
        let unreachable = match &file.faults.unreachable {
            Some(a) => Some(a.parse().map_err(|_| {
                format!(
                    "{}: faults.unreachable {a:?} is not an address:port",
                    path.display()
                )
            })?),
            None => None,
        };
        Ok(Inventory {
            devices,
            pool,
            unreachable,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_numbers_come_from_one_index() {
        let text = "a\nbb\n\nccc";
        let lines = Lines::new(text);
        for (offset, line) in [(0, 1), (1, 1), (2, 2), (4, 2), (5, 3), (6, 4), (9, 4)] {
            assert_eq!(lines.of(offset), line, "offset {offset}");
            assert_eq!(line, text[..offset].matches('\n').count() + 1);
        }
    }

    #[test]
    fn a_password_in_the_wrong_field_is_not_echoed() {
        let p = Path::new("lab.toml");
        let e = Inventory::parse(
            "[[device]]\nname = \"r1\"\nhost = \"h\"\nport = \"pa\\\"ss word\"\n",
            p,
        )
        .unwrap_err();
        assert!(e.contains("line 4") && !e.contains("ss word"), "{e}");
        let e = Inventory::parse("[[device]]\nname = \"r1\"\nhost = \"h\"\nuser = \"u\"\npassword_env = \"Pa55 w0rd!\"\n", p)
            .unwrap_err();
        assert!(
            e.contains("password_env must name") && !e.contains("Pa55"),
            "{e}"
        );
        assert_eq!(
            hide_strings("bad string \"a\\\"b\" here, string \"c\""),
            "bad a string (value hidden) here, a string (value hidden)"
        );
    }

    #[test]
    fn errors_name_the_file_the_line_and_the_problem() {
        let p = Path::new("lab.toml");
        let e = Inventory::parse("[[device]]\nname = \"r1\"\nhost = \"h\"\nuser = \"u\"\npassword_env = \"NETLAB_SURELY_UNSET_VAR\"\n", p).unwrap_err();
        assert!(
            e.contains("lab.toml:2") && e.contains("NETLAB_SURELY_UNSET_VAR is not set"),
            "{e}"
        );
        let e = Inventory::parse("[[device]]\nname = \"r1\"\nhost = \"h\"\nuser = \"u\"\nkey_file = \"/nonexistent/key\"\n", p).unwrap_err();
        assert!(e.contains("key_file /nonexistent/key"), "{e}");
        let e = Inventory::parse("[[device]]\nname = \"r1\"\nhots = \"h\"\n", p).unwrap_err();
        assert!(
            e.contains("lab.toml") && e.contains("line 3") && e.contains("unknown field"),
            "{e}"
        );
        let e = Inventory::parse("[defaults]\nuser = \"u\"\n", p).unwrap_err();
        assert!(e.contains("no [[device]]"), "{e}");
        let e = Inventory::parse(
            "[defaults]\nhost_key_policy = \"trust-me\"\n[[device]]\nname = \"r\"\nhost = \"h\"\n",
            p,
        )
        .unwrap_err();
        assert!(
            e.contains("host_key_policy") && e.contains("trust-me"),
            "{e}"
        );
    }

    #[test]
    fn the_example_inventory_parses() {
        // SAFETY of the environment: this test sets a variable only it reads.
        unsafe_free_set("NETLAB_PASSWORD_EXAMPLE_TEST");
        let text = include_str!("../../lab/inventory.example.toml")
            .replace("NETLAB_PASSWORD", "NETLAB_PASSWORD_EXAMPLE_TEST");
        let inv = Inventory::parse(&text, Path::new("inventory.example.toml")).unwrap();
        assert_eq!(inv.devices.len(), 5);
        assert_eq!(inv.devices[0].device.label(), "lab@192.0.2.11:22");
        assert_eq!(
            inv.pool.host_key_policy,
            HostKeyPolicy::AcceptNew(Some(expand("~/.ssh/known_hosts")))
        );
    }

    fn unsafe_free_set(var: &str) {
        // std::env::set_var is unsafe in edition 2024 only; this crate is 2021.
        std::env::set_var(var, "x");
    }

    #[test]
    fn each_device_is_pinned_to_its_own_key() {
        let text = "[defaults]\nuser = \"lab\"\npassword_env = \"NETLAB_PIN_TEST\"\n\n[[device]]\nname = \"r1\"\nhost = \"127.0.1.1\"\nhost_key = \"SHA256:one\"\n\n[[device]]\nname = \"r2\"\nhost = \"127.0.1.1\"\nport = 2222\nhost_key = \"SHA256:two\"\n";
        unsafe_free_set("NETLAB_PIN_TEST");
        let inv = Inventory::parse(text, Path::new("pins.toml")).unwrap();
        assert_eq!(inv.pool.host_key_policy, HostKeyPolicy::PerDevice);
        assert_eq!(inv.devices[0].device.host_keys(), ["SHA256:one"]);
        assert_eq!(inv.devices[1].device.host_keys(), ["SHA256:two"]);
    }

    #[test]
    fn errors_never_print_a_secret() {
        let text = "[defaults]\nuser = \"lab\"\npassword = \"hunter2-secret\" extra\n";
        let e = Inventory::parse(text, Path::new("s.toml")).unwrap_err();
        assert!(e.contains("s.toml: line 3"), "{e}");
        assert!(!e.contains("hunter2"), "{e}");
    }

    mod fuzz {
        //! Structure-aware fuzzing of inventories (bounded: runs in CI). Generated files mix
        //! valid and broken fields, hostile strings and a secret written where users put
        //! one by mistake. Nothing panics; every error names the file; no error quotes the
        //! secret; a parsed inventory pins each device to its own key only, and its Debug
        //! output never shows a resolved password.
        use super::*;
        use proptest::prelude::*;

        const SECRET: &str = "hunter2-s3cret";

        /// A value for a field where a user might paste the password by mistake.
        fn secret_value() -> impl Strategy<Value = String> {
            prop_oneof![
                Just(format!("\"{SECRET}\"")),
                Just(format!("\"{SECRET}")),
                Just(format!("'{SECRET} x'")),
                value(),
            ]
        }

        fn value() -> impl Strategy<Value = String> {
            /// Values valid for some field and not for others, and TOML a reader may choke on.
            const WORDS: &[&str] = &[
                "\"r1\"",
                "\"127.0.0.1\"",
                "\"netconf\"",
                "\"cli\"",
                "\"telnet\"",
                "\"SHA256:abc\"",
                "\"md5:00\"",
                "\"PATH\"",
                "\"NETLAB_SURELY_UNSET_VAR\"",
                "\"pinned\"",
                "\"accept-new\"",
                "-1",
                "[1, 2]",
                "\"a\\u0000b]]>]]>\"",
            ];
            prop_oneof![
                WORDS.len() as u32 => prop::sample::select(WORDS).prop_map(str::to_string),
                1 => (0u32..70000).prop_map(|n| n.to_string()),
                1 => "[ -~]{0,12}",
            ]
        }

        fn field() -> impl Strategy<Value = String> {
            prop_oneof![
                (
                    prop::sample::select(vec![
                        "name",
                        "host",
                        "port",
                        "netconf_port",
                        "user",
                        "password_env",
                        "key_file",
                        "host_key",
                        "transport",
                        "host_key_policy",
                        "known_hosts_file",
                        "max_connections",
                        "channels_per_connection",
                        "password",
                        "hots",
                    ]),
                    value(),
                ),
                (
                    prop::sample::select(vec![
                        "password",
                        "password_env",
                        "port",
                        "max_connections",
                        "user_password",
                    ]),
                    secret_value(),
                ),
            ]
            .prop_map(|(k, v)| format!("{k} = {v}"))
        }

        fn section() -> impl Strategy<Value = String> {
            (
                prop::sample::select(vec!["[[device]]", "[defaults]", "[faults]", "[[device", ""]),
                prop::collection::vec(field(), 0..8),
            )
                .prop_map(|(h, f)| format!("{h}\n{}\n", f.join("\n")))
        }

        /// A device that parses, to lift some cases past the first error.
        fn good_device() -> impl Strategy<Value = String> {
            (0u8..4, prop::option::of(0u8..4)).prop_map(|(n, pin)| {
                let pin = pin.map(|p| format!("host_key = \"SHA256:key{p}\"\n")).unwrap_or_default();
                format!("[[device]]\nname = \"r{n}\"\nhost = \"127.0.0.{n}\"\nuser = \"u\"\npassword_env = \"PATH\"\n{pin}")
            })
        }

        fn inventory() -> impl Strategy<Value = String> {
            prop::collection::vec(prop_oneof![section(), good_device()], 0..6)
                .prop_map(|parts| parts.concat())
        }

        /// The generator reaches both outcomes, so the property above checks both.
        #[test]
        fn the_generator_covers_accepted_and_refused_files() {
            use proptest::strategy::ValueTree;
            let mut runner = proptest::test_runner::TestRunner::deterministic();
            let (mut ok, mut err) = (0, 0);
            for _ in 0..300 {
                let text = inventory().new_tree(&mut runner).unwrap().current();
                match Inventory::parse(&text, Path::new("f.toml")) {
                    Ok(_) => ok += 1,
                    Err(_) => err += 1,
                }
            }
            assert!(ok >= 20 && err >= 20, "ok {ok}, err {err}");
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 384, ..ProptestConfig::default() })]

            #[test]
            fn generated_inventories(text in inventory()) {
                let p = Path::new("fuzz.toml");
                match Inventory::parse(&text, p) {
                    Err(e) => {
                        prop_assert!(e.contains("fuzz.toml"), "{e}");
                        prop_assert!(!e.contains(SECRET), "the error quotes a secret: {e}");
                    }
                    Ok(inv) => {
                        prop_assert!(!inv.devices.is_empty());
                        let path = std::env::var("PATH").unwrap_or_default();
                        let shown = format!("{inv:?}");
                        prop_assert!(path.len() < 8 || !shown.contains(&path), "a password in Debug");
                        for d in &inv.devices {
                            prop_assert!(d.device.host_keys().len() <= 1, "{:?}", d.device.host_keys());
                        }
                        if inv.devices.iter().any(|d| !d.device.host_keys().is_empty()) {
                            prop_assert!(!matches!(inv.pool.host_key_policy, HostKeyPolicy::Pinned(_)));
                        }
                    }
                }
            }
        }
    }
}
