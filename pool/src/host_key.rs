//! Host key verification for one connect: the device's own pins first, then the pool's
//! policy (pinned list, known_hosts, accept-new). The known_hosts file is read once, off the
//! event loop, before the handshake; that read also orders the host key algorithms offered.

use std::path::PathBuf;
use std::sync::Arc;

use russh::keys::{HashAlg, PublicKey};

use crate::config::HostKeyPolicy;
use crate::device::Device;
use crate::error::{Error, Result};
use crate::known_hosts::{self, Verdict};

fn fingerprint(key: &PublicKey) -> String {
    key.fingerprint(HashAlg::Sha256).to_string()
}

/// Runs known_hosts file work on the blocking pool; its failure is `Error::KnownHosts`.
async fn off_loop<T: Send + 'static>(
    device: &str,
    f: impl FnOnce() -> std::result::Result<T, String> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| e.to_string())
        .and_then(|r| r)
        .map_err(|detail| Error::KnownHosts {
            device: device.to_string(),
            detail,
        })
}

/// The known_hosts file read for this connect.
struct KnownHostsView {
    path: PathBuf,
    entries: Vec<known_hosts::Entry>,
}

/// What one connect verifies the server's key against.
pub(crate) struct HostKeyCheck {
    device: Device,
    policy: Arc<HostKeyPolicy>,
    /// Read when the policy uses known_hosts and the device has no pins of its own.
    known: Option<KnownHostsView>,
}

impl HostKeyCheck {
    /// Reads the known_hosts file the policy uses (if the device has no pins), and puts the
    /// key types it knows for this host first in `preferred`.
    pub(crate) async fn prepare(
        device: &Device,
        policy: Arc<HostKeyPolicy>,
        preferred: &mut russh::Preferred,
    ) -> Result<HostKeyCheck> {
        let path = match &*policy {
            HostKeyPolicy::KnownHosts(p) | HostKeyPolicy::AcceptNew(p)
                if device.host_keys().is_empty() =>
            {
                p.clone()
                    .or_else(|| std::env::home_dir().map(|h| h.join(".ssh/known_hosts")))
            }
            _ => None,
        };
        let known = match path {
            Some(path) => {
                let (p, host, port) = (path.clone(), device.host().to_string(), device.port());
                let entries =
                    off_loop(device.label(), move || known_hosts::lookup(&p, &host, port)).await?;
                preferred.key = known_hosts::order_algorithms(&preferred.key, &entries).into();
                Some(KnownHostsView { path, entries })
            }
            None => None,
        };
        Ok(HostKeyCheck {
            device: device.clone(),
            policy,
            known,
        })
    }

    /// Accepts the server's key, or says why not.
    pub(crate) async fn verify(&self, key: &PublicKey) -> Result<()> {
        let fp = fingerprint(key);
        let device = self.device.label().to_string();
        let pins = self.device.host_keys();
        if !pins.is_empty() {
            // Pinned for this device: nothing else counts.
            return if pins.iter().any(|f| f == &fp) {
                Ok(())
            } else {
                Err(Error::HostKeyMismatch {
                    device,
                    fingerprint: fp,
                    expected: format!("pinned for this device: {}", pins.join(", ")),
                })
            };
        }
        match &*self.policy {
            HostKeyPolicy::InsecureAcceptAny => Ok(()),
            HostKeyPolicy::Pinned(fps) if fps.iter().any(|f| f == &fp) => Ok(()),
            HostKeyPolicy::Pinned(fps) => Err(Error::HostKeyMismatch {
                device,
                fingerprint: fp,
                expected: format!("pinned {}", fps.join(", ")),
            }),
            HostKeyPolicy::KnownHosts(_) | HostKeyPolicy::AcceptNew(_) => {
                match &self.known {
                    Some(view) => self.known_hosts(view, key, fp).await,
                    // No file to read (no home directory): nothing is known.
                    None => Err(Error::HostKeyUnknown {
                        device,
                        fingerprint: fp,
                    }),
                }
            }
            HostKeyPolicy::PerDevice => Err(Error::HostKeyUnknown {
                device,
                fingerprint: fp,
            }),
        }
    }

    async fn known_hosts(&self, view: &KnownHostsView, key: &PublicKey, fp: String) -> Result<()> {
        let device = self.device.label().to_string();
        let mut verdict = known_hosts::verdict(&view.entries, key);
        if verdict == Verdict::Unknown && matches!(*self.policy, HostKeyPolicy::AcceptNew(_)) {
            let (p, host, port, k) = (
                view.path.clone(),
                self.device.host().to_string(),
                self.device.port(),
                key.clone(),
            );
            verdict = off_loop(&device, move || known_hosts::learn(&p, &host, port, &k)).await?;
            if verdict == Verdict::Unknown {
                tracing::info!(device = %device, fingerprint = %fp, "learned host key (accept-new)");
                return Ok(());
            }
        }
        let at = |line: usize| format!("{}:{line}", view.path.display());
        match verdict {
            Verdict::Known => Ok(()),
            Verdict::Unknown => Err(Error::HostKeyUnknown {
                device,
                fingerprint: fp,
            }),
            Verdict::Revoked { line } => Err(Error::HostKeyRevoked {
                device,
                fingerprint: fp,
                at: at(line),
            }),
            Verdict::Changed { lines } => Err(Error::HostKeyMismatch {
                device,
                fingerprint: fp,
                expected: format!(
                    "the key{} at {}",
                    if lines.len() > 1 { "s" } else { "" },
                    lines.iter().map(|l| at(*l)).collect::<Vec<_>>().join(", ")
                ),
            }),
            Verdict::CertAuthorityOnly { line } => Err(Error::KnownHosts {
                device,
                detail: format!(
                    "the host is known only through @cert-authority at {}; netpool does not verify host certificates: add the host's own key (got {fp})",
                    at(line)
                ),
            }),
        }
    }
}
