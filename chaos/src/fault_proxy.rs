//! A TCP fault proxy in the spirit of Toxiproxy: toxics per direction with a toxicity
//! probability and a seeded RNG, added and removed at run time and applied to open
//! connections too; `disable` closes the listener (a real refusal).

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Lock, recovering the data if a panic poisoned the mutex (the proxy's lists stay
/// consistent whatever panicked).
fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::task::AbortHandle;

/// Which way data flows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Client to server.
    Upstream,
    /// Server to client.
    Downstream,
}

/// What a toxic does (Toxiproxy's names).
#[derive(Debug, Clone, PartialEq)]
pub enum ToxicKind {
    /// Delay every chunk by `latency` plus or minus up to `jitter`.
    Latency {
        /// Base delay.
        latency: Duration,
        /// Uniform jitter around it.
        jitter: Duration,
    },
    /// Limit throughput.
    Bandwidth {
        /// Bytes per second.
        bytes_per_sec: u64,
    },
    /// Delay the close after the peer closed.
    SlowClose {
        /// The delay.
        delay: Duration,
    },
    /// Stop all data; close after `after` (never, if `None`): a silent drop.
    Timeout {
        /// When to close.
        after: Option<Duration>,
    },
    /// Reset the connection (RST) `after` the toxic took effect.
    ResetPeer {
        /// Delay before the reset.
        after: Duration,
    },
    /// Cut data into small pieces with a delay between them.
    Slicer {
        /// Average piece size.
        average: usize,
        /// Size variation.
        variation: usize,
        /// Delay between pieces.
        delay: Duration,
    },
    /// Close the connection once this many bytes went through.
    LimitData {
        /// Byte budget.
        bytes: u64,
    },
}

/// A named fault on one direction.
#[derive(Debug, Clone, PartialEq)]
pub struct Toxic {
    /// Name (to remove it later).
    pub name: String,
    /// Its effect.
    pub kind: ToxicKind,
    /// Direction it applies to.
    pub direction: Direction,
    /// Probability that it applies to a given connection (decided once per connection).
    pub toxicity: f64,
}

impl Toxic {
    /// A toxic that applies to every connection.
    pub fn new(name: &str, direction: Direction, kind: ToxicKind) -> Self {
        Self {
            name: name.into(),
            kind,
            direction,
            toxicity: 1.0,
        }
    }
}

struct ConnCtl {
    id: u64,
    blackholed: AtomicBool,
    client: std::net::TcpStream,
    server: std::net::TcpStream,
    tasks: Mutex<Vec<AbortHandle>>,
}

impl ConnCtl {
    fn abort(&self) {
        for t in lock(&self.tasks).drain(..) {
            t.abort();
        }
    }

    fn close(&self) {
        self.abort();
        let _ = self.client.shutdown(std::net::Shutdown::Both);
        let _ = self.server.shutdown(std::net::Shutdown::Both);
    }

    fn reset(&self) {
        for s in [&self.client, &self.server] {
            let _ = socket2::SockRef::from(s).set_linger(Some(Duration::ZERO));
        }
        self.abort();
    }
}

struct Inner {
    addr: SocketAddr,
    upstream: SocketAddr,
    seed: u64,
    toxics: Mutex<Vec<(Toxic, Instant)>>,
    changed: Notify,
    conns: Mutex<Vec<Arc<ConnCtl>>>,
    listener: Mutex<Option<AbortHandle>>,
    next_conn: AtomicU64,
    accepted: AtomicU64,
}

/// The proxy. Dropping it stops it and closes its connections.
pub struct FaultProxy {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for FaultProxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaultProxy")
            .field("addr", &self.inner.addr)
            .field("upstream", &self.inner.upstream)
            .finish()
    }
}

fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn unit(x: u64) -> f64 {
    (x >> 11) as f64 / (1u64 << 53) as f64
}

impl FaultProxy {
    /// Listen on a free port of 127.0.0.1 and forward to `upstream`.
    pub async fn start(upstream: SocketAddr, seed: u64) -> io::Result<FaultProxy> {
        let l = TcpListener::bind("127.0.0.1:0").await?;
        let inner = Arc::new(Inner {
            addr: l.local_addr()?,
            upstream,
            seed,
            toxics: Mutex::default(),
            changed: Notify::new(),
            conns: Mutex::default(),
            listener: Mutex::default(),
            next_conn: AtomicU64::new(1),
            accepted: AtomicU64::new(0),
        });
        tracing::info!(proxy = %inner.addr, %upstream, seed, "fault proxy started");
        let p = FaultProxy { inner };
        p.serve(l);
        Ok(p)
    }

    fn serve(&self, l: TcpListener) {
        let inner = self.inner.clone();
        let h = tokio::spawn(async move {
            loop {
                let client = match l.accept().await {
                    Ok((client, _)) => client,
                    Err(e) => {
                        // Out of descriptors and the like: wait instead of spinning.
                        tracing::warn!("fault proxy accept failed: {e}");
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        continue;
                    }
                };
                inner.accepted.fetch_add(1, Relaxed);
                let inner = inner.clone();
                tokio::spawn(async move {
                    if let Err(e) = handle(inner, client).await {
                        tracing::debug!("proxy connection ended: {e}");
                    }
                });
            }
        });
        *lock(&self.inner.listener) = Some(h.abort_handle());
    }

    /// Where clients connect.
    pub fn addr(&self) -> SocketAddr {
        self.inner.addr
    }

    /// Connections accepted so far.
    pub fn accepted(&self) -> u64 {
        self.inner.accepted.load(Relaxed)
    }

    /// Add a toxic; it applies to open connections at once.
    pub fn add(&self, toxic: Toxic) {
        tracing::info!(proxy = %self.inner.addr, toxic = ?toxic, seed = self.inner.seed, "fault: toxic added");
        self.inner
            .toxics
            .lock()
            .expect("toxics lock")
            .push((toxic, Instant::now()));
        self.inner.changed.notify_waiters();
    }

    /// Remove a toxic by name.
    pub fn remove(&self, name: &str) {
        self.inner
            .toxics
            .lock()
            .expect("toxics lock")
            .retain(|(t, _)| t.name != name);
        self.inner.changed.notify_waiters();
    }

    /// Remove every toxic.
    pub fn clear(&self) {
        lock(&self.inner.toxics).clear();
        self.inner.changed.notify_waiters();
    }

    /// Close the listener (connects are refused with RST) and every open connection.
    pub fn disable(&self) {
        if let Some(h) = lock(&self.inner.listener).take() {
            h.abort();
        }
        for c in lock(&self.inner.conns).drain(..) {
            c.close();
        }
        tracing::info!(proxy = %self.inner.addr, "fault: proxy disabled (refusing)");
    }

    /// Listen again on the same address.
    pub async fn enable(&self) -> io::Result<()> {
        if lock(&self.inner.listener).is_some() {
            return Ok(());
        }
        let l = TcpListener::bind(self.inner.addr).await?;
        self.serve(l);
        Ok(())
    }

    /// Silently drop every open connection: nothing more is forwarded, nothing is closed
    /// (what a NAT gateway does to an idle flow). New connections are not affected.
    pub fn blackhole_open_connections(&self) {
        let conns = lock(&self.inner.conns);
        for c in conns.iter() {
            c.blackholed.store(true, Relaxed);
        }
        tracing::info!(proxy = %self.inner.addr, n = conns.len(), "fault: open connections silently dropped");
    }

    /// Reset (RST) every open connection now.
    pub fn reset_open_connections(&self) {
        for c in lock(&self.inner.conns).drain(..) {
            c.reset();
        }
    }

    /// Open connections now.
    pub fn open_connections(&self) -> usize {
        lock(&self.inner.conns).len()
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.disable();
    }
}

impl Inner {
    /// Toxics of a direction that apply to connection `id`, with when they were added.
    fn active(&self, id: u64, dir: Direction) -> Vec<(Toxic, Instant)> {
        self.toxics
            .lock()
            .expect("toxics lock")
            .iter()
            .filter(|(t, _)| t.direction == dir)
            .filter(|(t, _)| {
                let mut h = DefaultHasher::new();
                t.name.hash(&mut h);
                unit(mix(self.seed ^ id.wrapping_mul(0x9E37) ^ h.finish())) < t.toxicity
            })
            .cloned()
            .collect()
    }

    fn forget(&self, id: u64) {
        self.conns
            .lock()
            .expect("conns lock")
            .retain(|c| c.id != id);
    }
}

async fn handle(inner: Arc<Inner>, client: TcpStream) -> io::Result<()> {
    let server = TcpStream::connect(inner.upstream).await?;
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let id = inner.next_conn.fetch_add(1, Relaxed);
    let (cstd, sstd) = (client.into_std()?, server.into_std()?);
    let ctl = Arc::new(ConnCtl {
        id,
        blackholed: AtomicBool::new(false),
        client: cstd.try_clone()?,
        server: sstd.try_clone()?,
        tasks: Mutex::default(),
    });
    let (client, server) = (TcpStream::from_std(cstd)?, TcpStream::from_std(sstd)?);
    let (cr, cw) = client.into_split();
    let (sr, sw) = server.into_split();
    lock(&inner.conns).push(ctl.clone());
    let up = tokio::spawn(pump(
        inner.clone(),
        ctl.clone(),
        Direction::Upstream,
        cr,
        sw,
    ));
    let down = tokio::spawn(pump(
        inner.clone(),
        ctl.clone(),
        Direction::Downstream,
        sr,
        cw,
    ));
    let watch = tokio::spawn(watch_timers(inner.clone(), ctl.clone()));
    lock(&ctl.tasks).extend([up.abort_handle(), down.abort_handle(), watch.abort_handle()]);
    let _ = up.await;
    let _ = down.await;
    watch.abort();
    inner.forget(id);
    Ok(())
}

/// Enforce the time-based toxics (reset_peer, timeout) even on idle connections.
async fn watch_timers(inner: Arc<Inner>, ctl: Arc<ConnCtl>) {
    loop {
        let notified = inner.changed.notified();
        let mut deadline: Option<(Instant, bool)> = None; // (when, reset?)
        for dir in [Direction::Upstream, Direction::Downstream] {
            for (t, added) in inner.active(ctl.id, dir) {
                let at = match t.kind {
                    ToxicKind::ResetPeer { after } => Some((added + after, true)),
                    ToxicKind::Timeout { after: Some(after) } => Some((added + after, false)),
                    _ => None,
                };
                if let Some(a) = at {
                    if deadline.is_none_or(|d| a.0 < d.0) {
                        deadline = Some(a);
                    }
                }
            }
        }
        match deadline {
            Some((when, reset)) => {
                tokio::select! {
                    _ = tokio::time::sleep_until(when.into()) => {
                        tracing::info!(conn = ctl.id, reset, seed = inner.seed, "fault: connection {}", if reset { "reset" } else { "timed out" });
                        inner.forget(ctl.id);
                        if reset { ctl.reset() } else { ctl.close() }
                        return;
                    }
                    _ = notified => {}
                }
            }
            None => notified.await,
        }
    }
}

async fn pump(
    inner: Arc<Inner>,
    ctl: Arc<ConnCtl>,
    dir: Direction,
    mut r: tokio::net::tcp::OwnedReadHalf,
    mut w: tokio::net::tcp::OwnedWriteHalf,
) {
    let mut rng = mix(inner.seed ^ ctl.id.rotate_left(17) ^ dir as u64);
    let mut next = move || {
        rng = mix(rng);
        rng
    };
    let mut buf = vec![0u8; 16 * 1024];
    let mut forwarded: u64 = 0;
    loop {
        let n = match r.read(&mut buf).await {
            Ok(0) | Err(_) => {
                for (t, _) in inner.active(ctl.id, dir) {
                    if let ToxicKind::SlowClose { delay } = t.kind {
                        tokio::time::sleep(delay).await;
                    }
                }
                let _ = w.shutdown().await;
                return;
            }
            Ok(n) => n,
        };
        if ctl.blackholed.load(Relaxed) {
            continue;
        }
        let toxics = inner.active(ctl.id, dir);
        if toxics
            .iter()
            .any(|(t, _)| matches!(t.kind, ToxicKind::Timeout { .. }))
        {
            continue; // data vanishes; watch_timers closes it if asked to
        }
        let mut data = &buf[..n];
        let mut close_after = false;
        for (t, _) in &toxics {
            match &t.kind {
                ToxicKind::Latency { latency, jitter } => {
                    let j = jitter.as_secs_f64() * (unit(next()) * 2.0 - 1.0);
                    tokio::time::sleep(Duration::from_secs_f64(
                        (latency.as_secs_f64() + j).max(0.0),
                    ))
                    .await;
                }
                ToxicKind::Bandwidth { bytes_per_sec } => {
                    tokio::time::sleep(Duration::from_secs_f64(
                        data.len() as f64 / (*bytes_per_sec).max(1) as f64,
                    ))
                    .await;
                }
                ToxicKind::LimitData { bytes } => {
                    let left = bytes.saturating_sub(forwarded) as usize;
                    if data.len() >= left {
                        data = &data[..left];
                        close_after = true;
                    }
                }
                _ => {}
            }
        }
        let slicer = toxics.iter().find_map(|(t, _)| match t.kind {
            ToxicKind::Slicer {
                average,
                variation,
                delay,
            } => Some((average.max(1), variation, delay)),
            _ => None,
        });
        let ok = match slicer {
            Some((avg, var, delay)) => {
                let mut rest = data;
                let mut ok = true;
                while !rest.is_empty() && ok {
                    let size = (avg as i64 + (next() % (2 * var as u64 + 1)) as i64 - var as i64)
                        .max(1) as usize;
                    let (a, b) = rest.split_at(size.min(rest.len()));
                    ok = w.write_all(a).await.is_ok();
                    rest = b;
                    tokio::time::sleep(delay).await;
                }
                ok
            }
            None => w.write_all(data).await.is_ok(),
        };
        forwarded += data.len() as u64;
        if !ok || close_after {
            if close_after {
                tracing::info!(
                    conn = ctl.id,
                    ?dir,
                    forwarded,
                    seed = inner.seed,
                    "fault: data limit reached, closing"
                );
                inner.forget(ctl.id);
                ctl.close();
            }
            return;
        }
    }
}
