//! proptest: random checkout / return / discard / cancel / timeout / shutdown sequences
//! against a simple model: never over a limit, never one session lent twice, every
//! slot comes back.
use std::collections::HashSet;
use std::time::Duration;

use netpool::{Error, Pool};
use netpool_tests::*;
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Checkout(usize),
    Return(usize),
    Discard(usize),
    CancelCheckout(usize, u8),
    CheckoutWhenFull(usize),
    Command(usize),
    Shutdown,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..2usize).prop_map(Op::Checkout),
        3 => any::<usize>().prop_map(Op::Return),
        1 => any::<usize>().prop_map(Op::Discard),
        2 => (0..2usize, 0..4u8).prop_map(|(d, t)| Op::CancelCheckout(d, t)),
        1 => (0..2usize).prop_map(Op::CheckoutWhenFull),
        2 => any::<usize>().prop_map(Op::Command),
        1 => Just(Op::Shutdown),
    ]
}

const CAP: usize = 3; // 1 connection x 3 channels per device

fn run(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let fleet = fleet(2).await;
        let mut cfg = config_for(&fleet);
        cfg.max_connections_per_device = 1;
        cfg.channels_per_connection = CAP;
        cfg.checkout_timeout = Duration::from_millis(100);
        let pool = Pool::new(cfg).unwrap();
        let devs: Vec<_> = fleet.devices().iter().map(device).collect();
        let mut held: Vec<(usize, netpool::NetconfGuard)> = Vec::new();
        let mut closed = false;
        for op in ops {
            match op {
                Op::Checkout(d) => {
                    let per = held.iter().filter(|(x, _)| *x == d).count();
                    if per < CAP {
                        match pool.netconf(&devs[d]).await {
                            Ok(g) => {
                                prop_assert!(!closed);
                                held.push((d, g));
                            }
                            Err(Error::Closed) => prop_assert!(closed),
                            Err(e) => return Err(TestCaseError::fail(format!("checkout: {e}"))),
                        }
                    }
                }
                Op::CheckoutWhenFull(d) => {
                    let per = held.iter().filter(|(x, _)| *x == d).count();
                    if per == CAP {
                        let r = pool.netconf(&devs[d]).await;
                        prop_assert!(
                            matches!(r, Err(Error::CheckoutTimeout { .. }) | Err(Error::Closed)),
                            "{r:?}"
                        );
                    }
                }
                Op::Return(i) if !held.is_empty() => {
                    let i = i % held.len();
                    drop(held.swap_remove(i));
                }
                Op::Discard(i) if !held.is_empty() => {
                    let i = i % held.len();
                    held.swap_remove(i).1.discard();
                }
                Op::Command(i) if !held.is_empty() => {
                    let i = i % held.len();
                    let out = held[i].1.command("show version").await;
                    prop_assert!(out.is_ok(), "{out:?}");
                }
                Op::CancelCheckout(d, t) => {
                    let _ = tokio::time::timeout(
                        Duration::from_micros(u64::from(t) * 300),
                        pool.netconf(&devs[d]),
                    )
                    .await;
                }
                Op::Shutdown => {
                    closed = true;
                    // Shutdown waits for held sessions; give it none to wait for.
                    held.clear();
                    pool.shutdown(Duration::from_millis(200)).await;
                }
                _ => {}
            }
            // Invariants after every step.
            let ids: Vec<_> = held.iter().map(|(d, g)| (*d, g.session_id())).collect();
            let unique: HashSet<_> = ids.iter().collect();
            prop_assert_eq!(unique.len(), ids.len(), "a session lent twice: {:?}", ids);
            for (i, r) in fleet.devices().iter().enumerate() {
                let c = r.counters();
                prop_assert!(c.sessions_open <= 1, "{:?}", c);
                prop_assert!(c.channels_open as usize <= CAP, "{:?}", c);
                let in_use: usize = pool
                    .stats()
                    .iter()
                    .filter(|s| s.device == devs[i].label())
                    .map(|s| s.in_use)
                    .sum();
                let model = held.iter().filter(|(x, _)| *x == i).count();
                prop_assert!(
                    eventually(Duration::from_secs(2), || pool
                        .stats()
                        .iter()
                        .filter(|s| s.device == devs[i].label())
                        .map(|s| s.in_use)
                        .sum::<usize>()
                        == model)
                    .await,
                    "device {}: pool says {} in use, model {}",
                    i,
                    in_use,
                    model
                );
            }
        }
        held.clear();
        pool.shutdown(Duration::from_secs(1)).await;
        prop_assert!(
            eventually(Duration::from_secs(3), || fleet.total(|c| c.sessions_open)
                == 0)
            .await
        );
        Ok(())
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, max_shrink_iters: 50, ..ProptestConfig::default() })]
    #[test]
    fn pool_matches_the_model(ops in proptest::collection::vec(op(), 1..40)) {
        run(ops)?;
    }
}
