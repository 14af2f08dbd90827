//! Criterion benches (`cargo bench -p netpool-bench`), all against an in-process junos-sim
//! on the instant profile (no artificial delay: software cost only).
//!
//! - `checkout_return`: netpool's checkout + return of a warm NETCONF session, next to bb8
//!   and deadpool checking out and returning a null connection. netpool's figure includes
//!   a real session's zero-cost liveness poll; the null connections have none.
//! - `pooled_netconf_rpc`, `pooled_netconf_command`, `pooled_exec`, `per_call_netconf`:
//!   one operation each way, timed inside a tokio task (see `in_task`);
//!   `pooled_netconf_rpc_from_block_on` is the same RPC driven from `block_on`, to show what
//!   thread wakes cost on this machine.

use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::BenchmarkGroup;
use criterion::{criterion_group, criterion_main, Criterion};
use netpool::{Device, HostKeyPolicy, Pool};
use netpool_bench::lab::OneRouter;

struct NullConn;

struct NullBb8;

impl bb8::ManageConnection for NullBb8 {
    type Connection = NullConn;
    type Error = std::convert::Infallible;
    async fn connect(&self) -> Result<NullConn, Self::Error> {
        Ok(NullConn)
    }
    async fn is_valid(&self, _c: &mut NullConn) -> Result<(), Self::Error> {
        Ok(())
    }
    fn has_broken(&self, _c: &mut NullConn) -> bool {
        false
    }
}

struct NullDeadpool;

impl deadpool::managed::Manager for NullDeadpool {
    type Type = NullConn;
    type Error = std::convert::Infallible;
    async fn create(&self) -> Result<NullConn, Self::Error> {
        Ok(NullConn)
    }
    async fn recycle(
        &self,
        _c: &mut NullConn,
        _m: &deadpool::managed::Metrics,
    ) -> deadpool::managed::RecycleResult<Self::Error> {
        Ok(())
    }
}

fn lab(rt: &tokio::runtime::Runtime) -> OneRouter {
    rt.block_on(OneRouter::start())
        .expect("the bench router starts")
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn checkout_return(c: &mut Criterion) {
    let rt = runtime();
    let lab = lab(&rt);
    let bb8 = rt
        .block_on(bb8::Pool::builder().max_size(10).build(NullBb8))
        .unwrap();
    let dp: deadpool::managed::Pool<NullDeadpool> = deadpool::managed::Pool::builder(NullDeadpool)
        .max_size(10)
        .build()
        .unwrap();
    rt.block_on(async {
        drop(bb8.get().await.unwrap());
        drop(dp.get().await.unwrap());
    });
    let mut g = c.benchmark_group("checkout_return");
    g.bench_function("netpool_netconf_session", |b| {
        b.to_async(&rt).iter(|| async {
            let s = lab.pool.netconf(&lab.device).await.unwrap();
            drop(s);
        })
    });
    g.bench_function("bb8_null_connection", |b| {
        b.to_async(&rt).iter(|| async {
            drop(bb8.get().await.unwrap());
        })
    });
    g.bench_function("deadpool_null_connection", |b| {
        b.to_async(&rt).iter(|| async {
            drop(dp.get().await.unwrap());
        })
    });
    g.finish();
}

/// Time `iters` runs of `op` inside a tokio task, as an application's request handler runs.
///
/// Not from `block_on`: there, every reply wakes a thread parked outside the runtime, and
/// on this 2-core VM a thread wake costs ~20 us (`examples/rpc_profile` shows both), which
/// would measure the harness more than the pool.
fn in_task<F, Fut>(rt: &tokio::runtime::Runtime, iters: u64, op: F) -> Duration
where
    F: Fn() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    rt.block_on(async move {
        tokio::spawn(async move {
            let t = std::time::Instant::now();
            for _ in 0..iters {
                op().await;
            }
            t.elapsed()
        })
        .await
        .unwrap()
    })
}

/// A bench of `op` timed with [`in_task`], given the pool and the device each time.
fn bench_in_task<F, Fut>(
    g: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    rt: &tokio::runtime::Runtime,
    lab: &OneRouter,
    op: F,
) where
    F: Fn(Pool, Device) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    g.bench_function(name, |b| {
        b.iter_custom(|iters| {
            let (pool, device, op) = (lab.pool.clone(), lab.device.clone(), op.clone());
            in_task(rt, iters, move || op(pool.clone(), device.clone()))
        })
    });
}

fn operations(c: &mut Criterion) {
    let rt = runtime();
    let lab = lab(&rt);
    let mut g = c.benchmark_group("operations");
    bench_in_task(
        &mut g,
        "pooled_netconf_rpc",
        &rt,
        &lab,
        |pool, device| async move {
            let mut s = pool.netconf(&device).await.unwrap();
            s.rpc("<get-software-information/>").await.unwrap();
        },
    );
    g.bench_function("pooled_netconf_rpc_from_block_on", |b| {
        b.to_async(&rt).iter(|| async {
            let mut s = lab.pool.netconf(&lab.device).await.unwrap();
            s.rpc("<get-software-information/>").await.unwrap();
        })
    });
    bench_in_task(
        &mut g,
        "pooled_netconf_command",
        &rt,
        &lab,
        |pool, device| async move {
            let mut s = pool.netconf(&device).await.unwrap();
            s.command("show version").await.unwrap();
        },
    );
    bench_in_task(
        &mut g,
        "pooled_exec",
        &rt,
        &lab,
        |pool, device| async move {
            pool.cli(&device, "show version").await.unwrap();
        },
    );
    let fingerprints = lab.fingerprints.clone();
    bench_in_task(&mut g, "per_call_netconf", &rt, &lab, move |_, device| {
        let fps = fingerprints.clone();
        async move {
            // A fresh pool each time: connect, authenticate, hello, one command, close.
            let pool = Pool::builder()
                .host_key_policy(HostKeyPolicy::Pinned(fps))
                .build()
                .unwrap();
            let mut s = pool.netconf(&device).await.unwrap();
            s.command("show version").await.unwrap();
            drop(s);
            pool.shutdown(Duration::ZERO).await;
        }
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    targets = checkout_return, operations
}
criterion_main!(benches);
