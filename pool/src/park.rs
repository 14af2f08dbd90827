//! Driving a future from a thread outside the runtime (blocking callers, Python): poll it
//! on that thread, and between wakeups spin for a moment before parking.
//!
//! Measured on this project's 2-core VMs: a pooled NETCONF RPC from a blocking caller takes
//! ~130 us when the thread parks at once, ~48 us when a core is kept awake; the difference
//! is an idle virtual CPU's wakeup, paid once per reply. So the waiting thread spins for up to
//! [`SPIN`] before it parks, and only one thread of the process spins at a time: a pool
//! shared by many threads spends at most one core's slice on it, and replies slower than
//! the spin (every real router's) cost a [`SPIN`] of CPU, then a park as usual.

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::Thread;
use std::time::{Duration, Instant};

/// How long a waiting thread spins before it parks.
pub(crate) const SPIN: Duration = Duration::from_micros(200);

/// Set while some thread spins: the others park at once.
static SPINNING: AtomicBool = AtomicBool::new(false);

const IDLE: u8 = 0;
const NOTIFIED: u8 = 1;
const PARKED: u8 = 2;

struct Signal {
    state: AtomicU8,
    thread: Thread,
}

impl Wake for Signal {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref()
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if self.state.swap(NOTIFIED, Ordering::AcqRel) == PARKED {
            self.thread.unpark();
        }
    }
}

impl Signal {
    /// Consume a wakeup that already came.
    fn take(&self) -> bool {
        self.state
            .compare_exchange(NOTIFIED, IDLE, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    /// Wait for the next wakeup: spin (if no other thread does), then park.
    fn wait(&self) {
        if self.take() {
            return;
        }
        if !SPINNING.swap(true, Ordering::AcqRel) {
            let start = Instant::now();
            let mut i = 0u32;
            let woke = loop {
                if self.take() {
                    break true;
                }
                i = i.wrapping_add(1);
                if i.is_multiple_of(64) && start.elapsed() >= SPIN {
                    break false;
                }
                std::hint::spin_loop();
            };
            SPINNING.store(false, Ordering::Release);
            if woke {
                return;
            }
        }
        if self
            .state
            .compare_exchange(IDLE, PARKED, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            // Notified between the spin and here.
            self.state.store(IDLE, Ordering::Release);
            return;
        }
        while self.state.load(Ordering::Acquire) == PARKED {
            std::thread::park();
        }
        self.state.store(IDLE, Ordering::Release);
    }
}

/// Run `fut` to completion on this thread, inside `rt`'s context (so that it can spawn,
/// use timers and the pool's tasks).
pub(crate) fn block_on<F: Future>(rt: &tokio::runtime::Runtime, fut: F) -> F::Output {
    let _in = rt.enter();
    let signal = Arc::new(Signal {
        state: AtomicU8::new(IDLE),
        thread: std::thread::current(),
    });
    let waker = Waker::from(signal.clone());
    let mut cx = Context::from_waker(&waker);
    let mut fut = pin!(fut);
    loop {
        if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return v;
        }
        signal.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wakes_from_spin_and_from_park() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        // a reply quicker than the spin, one slower (a park), and a spawned task's result
        assert_eq!(
            block_on(&rt, async {
                tokio::time::sleep(Duration::from_micros(20)).await;
                1
            }),
            1
        );
        assert_eq!(
            block_on(&rt, async {
                tokio::time::sleep(Duration::from_millis(20)).await;
                2
            }),
            2
        );
        assert_eq!(
            block_on(&rt, async { tokio::spawn(async { 3 }).await.unwrap() }),
            3
        );
        // many threads at once: one spins, the others park, all finish
        let rt = Arc::new(rt);
        let hs: Vec<_> = (0..16)
            .map(|i| {
                let rt = rt.clone();
                std::thread::spawn(move || {
                    block_on(&rt, async move {
                        tokio::time::sleep(Duration::from_micros(100 * i)).await;
                        i
                    })
                })
            })
            .collect();
        let got: Vec<u64> = hs.into_iter().map(|h| h.join().unwrap()).collect();
        assert_eq!(got, (0..16).collect::<Vec<_>>());
    }
}
