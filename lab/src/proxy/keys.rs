//! The proxy's key files: its host key (made on first use) and the clients'
//! `authorized_keys`.

use std::path::{Path, PathBuf};

use russh::keys::{PrivateKey, PublicKey};

/// Where `netlab proxy` keeps its host key when `--host-key` is not given: under the
/// user's state directory (`$XDG_STATE_HOME/netlab/`, else `~/.local/state/netlab/`).
pub fn default_host_key_path() -> Result<PathBuf, String> {
    let env = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    let state = env("XDG_STATE_HOME")
        .filter(|p| p.is_absolute())
        .or_else(|| env("HOME").map(|h| h.join(".local/state")))
        .ok_or("no state directory for the proxy's host key: HOME and XDG_STATE_HOME are unset; give --host-key FILE")?;
    Ok(state.join("netlab").join("proxy-host-key"))
}

/// Read the proxy's host key from `path`, or create an Ed25519 key there (mode 0600; its
/// directory, if missing, mode 0700) if the file does not exist. Errors name the file.
pub fn load_or_create_host_key(path: &Path) -> Result<PrivateKey, String> {
    let at = |e: &dyn std::fmt::Display| format!("host key {}: {e}", path.display());
    match std::fs::read_to_string(path) {
        Ok(text) => PrivateKey::from_openssh(text.trim()).map_err(|e| at(&e)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let seed: [u8; 32] = rand::random();
            let key = PrivateKey::from(russh::keys::ssh_key::private::Ed25519Keypair::from_seed(
                &seed,
            ));
            let text = key
                .to_openssh(russh::keys::ssh_key::LineEnding::LF)
                .map_err(|e| at(&e))?;
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                use std::os::unix::fs::DirBuilderExt as _;
                std::fs::DirBuilder::new()
                    .recursive(true)
                    .mode(0o700)
                    .create(dir)
                    .map_err(|e| at(&e))?;
            }
            write_private(path, text.as_bytes()).map_err(|e| at(&e))?;
            Ok(key)
        }
        Err(e) => Err(at(&e)),
    }
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(bytes)
}

/// Read an OpenSSH `authorized_keys` file: one key per line (options before the key
/// type are not supported and are an error naming the line); blank lines and `#`
/// comments are skipped.
pub fn read_authorized_keys(path: &Path) -> Result<Vec<PublicKey>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    parse_authorized_keys(&text).map_err(|e| format!("{}: {e}", path.display()))
}

fn parse_authorized_keys(text: &str) -> Result<Vec<PublicKey>, String> {
    let mut keys = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let key = PublicKey::from_openssh(line)
            .map_err(|e| format!("line {}: not a public key ({e})", n + 1))?;
        keys.push(key);
    }
    if keys.is_empty() {
        return Err("no keys".into());
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorized_keys_skip_comments_and_name_a_bad_line() {
        let key = PrivateKey::from(russh::keys::ssh_key::private::Ed25519Keypair::from_seed(
            &[7; 32],
        ));
        let line = key.public_key().to_openssh().unwrap();
        let keys = parse_authorized_keys(&format!("# ops\n\n{line} ops@host\n")).unwrap();
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].key_data(), key.public_key().key_data());
        let e = parse_authorized_keys(&format!("{line}\nssh-ed25519 AAAA!!\n")).unwrap_err();
        assert!(e.starts_with("line 2: not a public key"), "{e}");
        assert_eq!(parse_authorized_keys("# none\n").unwrap_err(), "no keys");
    }

    #[test]
    fn the_host_key_is_created_once_then_reused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("proxy_host_key");
        let a = load_or_create_host_key(&p).unwrap();
        let b = load_or_create_host_key(&p).unwrap();
        assert_eq!(a.public_key(), b.public_key());
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&p).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        std::fs::write(&p, "not a key").unwrap();
        let e = load_or_create_host_key(&p).unwrap_err();
        assert!(e.starts_with(&format!("host key {}:", p.display())), "{e}");
    }
}
