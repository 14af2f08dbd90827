//! The pool's view of a simulated fleet: its routers as pool devices (with the
//! simulator's default login) and its host keys pinned. Shared by the chaos matrix, the
//! bench and the integration tests.

use junos_sim::{Fleet, DEFAULT_PASSWORD, DEFAULT_USER};
use netpool::HostKeyPolicy;

/// One simulated router as the pool addresses it, pinned to its own host key.
pub fn pool_device(d: &junos_sim::Router) -> netpool::Device {
    netpool::Device::with_password(
        d.addr().ip().to_string(),
        d.addr().port(),
        DEFAULT_USER,
        DEFAULT_PASSWORD,
    )
    .with_host_keys([d.host_key_fingerprint()])
}

/// Every router of the fleet, in order.
pub fn pool_devices(fleet: &Fleet) -> Vec<netpool::Device> {
    fleet.devices().iter().map(pool_device).collect()
}

/// Host keys pinned to the fleet's own.
pub fn pinned_host_keys(fleet: &Fleet) -> HostKeyPolicy {
    HostKeyPolicy::Pinned(
        fleet
            .devices()
            .iter()
            .map(|d| d.host_key_fingerprint())
            .collect(),
    )
}
