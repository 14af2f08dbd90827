//! Cross-crate integration tests, one binary with a module per concern (one link instead
//! of a dozen on a 2-core machine):
//!
//! - `pool`: netpool's behaviour against junos-sim in-process;
//! - `sim`: junos-sim as clients see it;
//! - `paused`: time-dependent behaviour on tokio's paused clock;
//! - `cancellation`, `model`, `event_loop`, `blocking`: robustness when callers give up,
//!   random operation sequences against a model, a responsive event loop, the sync facade;
//! - `junos`: reply shapes against the shape spec, RPC arguments, configuration RPCs;
//! - `fuzz`: structure-aware property tests of configuration and CLI input;
//! - `host_keys`: pins per device, known_hosts as OpenSSH reads it, accept-new;
//! - `metrics`: the pool's figures through a prometheus-client registry, 100,000 devices;
//! - `proxy`: `netlab proxy` in-process, netpool's own clients through it;
//! - `proxy_fuzz`: random shell and NETCONF input through the proxy, nothing left behind;
//! - `proxy_hostile`: endless and oversize frames, chunk headers past the cap, bad prologues,
//!   the hello offered with no free upstream session;
//! - `proxy_interop`: PyEZ, ncclient, netmiko and OpenSSH through the proxy (ignored: needs them);
//! - `proxy_shell`: the proxy's shell: configuration modes, commit options, departures;
//! - `hostile`: a misbehaving router written here, against the pool;
//! - `preauth`: clients that never log in, against a router and the proxy (one SSH core);
//! - `openssh`: the pool against a real OpenSSH sshd (ignored: needs sshd);
//! - `interop`: real Python clients and OpenSSH against junos-sim (ignored: needs them);
//! - `container`, `netns`, `crpd`: Docker, network namespaces, a Juniper image (ignored).

mod blocking;
mod cancellation;
mod container;
mod crpd;
mod event_loop;
mod fuzz;
mod host_keys;
mod hostile;
mod interop;
mod junos;
mod metrics;
mod model;
mod netns;
mod openssh;
mod paused;
mod pool;
mod preauth;
mod proxy;
mod proxy_fuzz;
mod proxy_hostile;
mod proxy_interop;
mod proxy_shell;
mod sim;
