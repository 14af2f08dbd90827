//! Criterion benches (`cargo bench -p netpool-bench`), all against an in-process junos-sim
//! on the instant profile (no artificial delay: software cost only).
//!
//! - `checkout_return`: netpool's checkout + return of a warm NETCONF session, next to bb8
//!   and deadpool checking out and returning a null connection. netpool's figure includes
//!   a real session's zero-cost liveness poll; the null connections have none.
//! - `pooled_netconf_rpc`, `pooled_exec`, `per_call_netconf`: one command each way.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use junos_sim::{Fleet, FleetConfig};
use netpool::{HostKeyPolicy, Pool};

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

struct Lab {
    _fleet: Fleet,
    pool: Pool,
    device: netpool::Device,
    fingerprints: Vec<String>,
}

fn lab(rt: &tokio::runtime::Runtime) -> Lab {
    rt.block_on(async {
        let fleet = Fleet::start(FleetConfig {
            routers: 1,
            ..Default::default()
        })
        .await
        .unwrap();
        let d = &fleet.devices()[0];
        let device = netpool::Device::with_password(
            d.addr().ip().to_string(),
            d.addr().port(),
            "lab",
            "lab123",
        );
        let fingerprints = vec![d.host_key_fingerprint()];
        let pool = Pool::builder()
            .host_key_policy(HostKeyPolicy::Pinned(fingerprints.clone()))
            .build()
            .unwrap();
        drop(pool.netconf(&device).await.unwrap());
        pool.cli(&device, "show version").await.unwrap();
        Lab {
            _fleet: fleet,
            pool,
            device,
            fingerprints,
        }
    })
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

fn operations(c: &mut Criterion) {
    let rt = runtime();
    let lab = lab(&rt);
    let mut g = c.benchmark_group("operations");
    g.bench_function("pooled_netconf_rpc", |b| {
        b.to_async(&rt).iter(|| async {
            let mut s = lab.pool.netconf(&lab.device).await.unwrap();
            s.rpc("<get-software-information/>").await.unwrap();
        })
    });
    g.bench_function("pooled_netconf_command", |b| {
        b.to_async(&rt).iter(|| async {
            let mut s = lab.pool.netconf(&lab.device).await.unwrap();
            s.command("show version").await.unwrap();
        })
    });
    g.bench_function("pooled_exec", |b| {
        b.to_async(&rt).iter(|| async {
            lab.pool.cli(&lab.device, "show version").await.unwrap();
        })
    });
    g.bench_function("per_call_netconf", |b| {
        b.to_async(&rt).iter(|| async {
            let pool = Pool::builder()
                .host_key_policy(HostKeyPolicy::Pinned(lab.fingerprints.clone()))
                .build()
                .unwrap();
            let mut s = pool.netconf(&lab.device).await.unwrap();
            s.command("show version").await.unwrap();
            drop(s);
            pool.shutdown(Duration::ZERO).await;
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    targets = checkout_return, operations
}
criterion_main!(benches);
