//! A synchronous facade over the async pool, for scripts and threads.
//!
//! [`Pool`] owns a small tokio runtime (two worker threads) on which every session lives.
//! Its methods block the calling thread, never a runtime thread; any number of threads may
//! call them at once. Calling them from inside a tokio runtime would block that runtime's
//! thread, so they return [`Error::BlockingInsideRuntime`] there instead of deadlocking:
//! async code uses [`crate::Pool`].
//!
//! ```no_run
//! use netpool::{blocking, Device, PoolConfig, HostKeyPolicy};
//! let mut cfg = PoolConfig::default();
//! cfg.host_key_policy = HostKeyPolicy::AcceptNew(None);
//! let pool = blocking::Pool::new(cfg)?;
//! let r1 = Device::with_password("192.0.2.1", 22, "lab", "lab123");
//! let out = pool.cli(&r1, "show version")?;
//! println!("{}", out.stdout);
//! let mut nc = pool.netconf(&r1)?;
//! println!("{}", nc.command("show route summary")?);
//! # Ok::<(), netpool::Error>(())
//! ```

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use netconf_wire::RpcReply;

use crate::{
    CliOutput, CommitOutcome, ConfigChange, Datastore, Device, DeviceStats, Error, PoolConfig,
    Result,
};

struct Runtime(Option<tokio::runtime::Runtime>);

impl Drop for Runtime {
    fn drop(&mut self) {
        // Dropping a runtime from inside another would panic; this never does.
        if let Some(rt) = self.0.take() {
            rt.shutdown_background();
        }
    }
}

impl Runtime {
    fn get(&self) -> &tokio::runtime::Runtime {
        self.0.as_ref().expect("runtime lives until drop")
    }

    fn run<F: Future>(&self, f: F) -> Result<F::Output> {
        if tokio::runtime::Handle::try_current().is_ok() {
            return Err(Error::BlockingInsideRuntime);
        }
        Ok(crate::park::block_on(self.get(), f))
    }
}

/// Run `fut` on `rt` from a thread outside it, as [`Pool`]'s methods do: the future is
/// polled on the calling thread, which spins for up to 200 us between wakeups (one thread
/// of the process at a time) before it parks. On a VM an idle CPU's wakeup costs more than
/// a pooled RPC (~80 us against ~48 us measured here), and that spin saves it. Must not be
/// called from inside a runtime.
pub fn block_on<F: Future>(rt: &tokio::runtime::Runtime, fut: F) -> F::Output {
    crate::park::block_on(rt, fut)
}

/// The blocking pool. Cheap to clone; usable from many threads.
#[derive(Clone)]
pub struct Pool {
    rt: Arc<Runtime>,
    pool: crate::Pool,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("blocking::Pool")
            .field("pool", &self.pool)
            .finish()
    }
}

impl Pool {
    /// Start the runtime thread and the pool.
    pub fn new(config: PoolConfig) -> Result<Pool> {
        if tokio::runtime::Handle::try_current().is_ok() {
            return Err(Error::BlockingInsideRuntime);
        }
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("netpool")
            .enable_all()
            .build()
            .map_err(|e| Error::Config {
                setting: "runtime".into(),
                value: String::new(),
                reason: e.to_string(),
            })?;
        let pool = rt.block_on(async { crate::Pool::new(config) })?;
        Ok(Pool {
            rt: Arc::new(Runtime(Some(rt))),
            pool,
        })
    }

    /// The async pool underneath (for code that has both worlds).
    pub fn async_pool(&self) -> &crate::Pool {
        &self.pool
    }

    /// See [`crate::Pool::cli`].
    pub fn cli(&self, device: &Device, command: &str) -> Result<CliOutput> {
        self.rt.run(self.pool.cli(device, command))?
    }

    /// See [`crate::Pool::netconf`].
    pub fn netconf(&self, device: &Device) -> Result<NetconfGuard> {
        let g = self.rt.run(self.pool.netconf(device))??;
        Ok(NetconfGuard {
            inner: Some(g),
            rt: self.rt.clone(),
        })
    }

    /// See [`crate::Pool::configure`].
    pub fn configure(&self, device: &Device, change: &ConfigChange) -> Result<CommitOutcome> {
        self.rt.run(self.pool.configure(device, change))?
    }

    /// Run a CLI command on many devices, `concurrency` at once; one result per device.
    pub fn fan_out_cli(
        &self,
        devices: &[Device],
        command: &str,
        concurrency: usize,
    ) -> Result<Vec<(Device, Result<CliOutput>)>> {
        let command = command.to_string();
        self.rt
            .run(self.pool.fan_out(devices, concurrency, move |p, d| {
                let c = command.clone();
                async move { p.cli(&d, &c).await }
            }))
    }

    /// See [`crate::Pool::stats`].
    pub fn stats(&self) -> Vec<DeviceStats> {
        self.pool.stats()
    }

    /// See [`crate::Pool::shutdown`].
    pub fn shutdown(&self, grace: Duration) -> Result<()> {
        self.rt.run(self.pool.shutdown(grace))
    }
}

/// A blocking NETCONF session guard; dropping it returns the session.
pub struct NetconfGuard {
    inner: Option<crate::NetconfGuard>,
    rt: Arc<Runtime>,
}

impl std::fmt::Debug for NetconfGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.inner.fmt(f)
    }
}

impl NetconfGuard {
    fn g(&mut self) -> &mut crate::NetconfGuard {
        self.inner.as_mut().expect("guard lives until drop")
    }

    /// See [`crate::NetconfGuard::rpc`].
    pub fn rpc(&mut self, operation_xml: &str) -> Result<RpcReply> {
        let rt = self.rt.clone();
        rt.run(self.g().rpc(operation_xml))?
    }

    /// See [`crate::NetconfGuard::command`].
    pub fn command(&mut self, command: &str) -> Result<String> {
        let rt = self.rt.clone();
        rt.run(self.g().command(command))?
    }

    /// See [`crate::NetconfGuard::get_config`].
    pub fn get_config(&mut self, source: Datastore, filter: Option<&str>) -> Result<RpcReply> {
        let rt = self.rt.clone();
        rt.run(self.g().get_config(source, filter))?
    }

    /// See [`crate::NetconfGuard::lock`].
    pub fn lock(&mut self) -> Result<()> {
        let rt = self.rt.clone();
        rt.run(self.g().lock())?
    }

    /// See [`crate::NetconfGuard::unlock`].
    pub fn unlock(&mut self) -> Result<()> {
        let rt = self.rt.clone();
        rt.run(self.g().unlock())?
    }

    /// See [`crate::NetconfGuard::load`].
    pub fn load(&mut self, change: &ConfigChange) -> Result<RpcReply> {
        let rt = self.rt.clone();
        rt.run(self.g().load(change))?
    }

    /// See [`crate::NetconfGuard::commit`].
    pub fn commit(&mut self, comment: Option<&str>) -> Result<CommitOutcome> {
        let rt = self.rt.clone();
        rt.run(self.g().commit(comment))?
    }

    /// The server's session-id.
    pub fn session_id(&self) -> Option<u32> {
        self.inner.as_ref().and_then(|g| g.session_id())
    }
}

impl Drop for NetconfGuard {
    fn drop(&mut self) {
        // The session's channel closes through the runtime: drop it inside its context.
        let _enter = self.rt.get().enter();
        self.inner.take();
    }
}
