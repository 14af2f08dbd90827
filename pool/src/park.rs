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

    /// Wait for the next wakeup: spin for up to `spin` (if no other thread spins), then park.
    fn wait(&self, spin: Duration) {
        if self.take() {
            return;
        }
        if !SPINNING.swap(true, Ordering::AcqRel) {
            #[cfg(test)]
            let _spinner = tests::Spinner::enter();
            let start = Instant::now();
            let mut i = 0u32;
            let woke = loop {
                if self.take() {
                    break true;
                }
                i = i.wrapping_add(1);
                if i.is_multiple_of(64) && start.elapsed() >= spin {
                    break false;
                }
                std::hint::spin_loop();
            };
            #[cfg(test)]
            drop(_spinner);
            SPINNING.store(false, Ordering::Release);
            if woke {
                #[cfg(test)]
                tests::WAKES.with(|w| w.spin.set(w.spin.get() + 1));
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
        #[cfg(test)]
        tests::PARKS_BEGUN.fetch_add(1, Ordering::AcqRel);
        while self.state.load(Ordering::Acquire) == PARKED {
            std::thread::park();
        }
        self.state.store(IDLE, Ordering::Release);
        #[cfg(test)]
        tests::WAKES.with(|w| w.park.set(w.park.get() + 1));
    }
}

/// Run `fut` to completion on this thread, inside `rt`'s context (so that it can spawn,
/// use timers and the pool's tasks).
pub(crate) fn block_on<F: Future>(rt: &tokio::runtime::Runtime, fut: F) -> F::Output {
    block_on_spinning(rt, fut, SPIN)
}

/// [`block_on`], spinning for up to `spin` between wakeups.
fn block_on_spinning<F: Future>(rt: &tokio::runtime::Runtime, fut: F, spin: Duration) -> F::Output {
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
        signal.wait(spin);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;
    use std::sync::atomic::AtomicUsize;
    use std::sync::Mutex;

    /// Wakeups of this thread's waits, by how they came (test builds count them).
    #[derive(Default)]
    pub(super) struct Wakes {
        pub(super) spin: Cell<u32>,
        pub(super) park: Cell<u32>,
    }

    thread_local! {
        pub(super) static WAKES: Wakes = Wakes::default();
    }

    /// Threads spinning now, and the most ever seen at once.
    static SPINNERS: AtomicUsize = AtomicUsize::new(0);
    static MOST_SPINNERS: AtomicUsize = AtomicUsize::new(0);

    /// Spins and parks begun so far, by any thread: a waker thread watches them to wake a
    /// wait at a known point of it, not after a guessed delay.
    static SPINS_BEGUN: AtomicUsize = AtomicUsize::new(0);
    pub(super) static PARKS_BEGUN: AtomicUsize = AtomicUsize::new(0);

    pub(super) struct Spinner;

    impl Spinner {
        pub(super) fn enter() -> Spinner {
            SPINS_BEGUN.fetch_add(1, Ordering::AcqRel);
            let now = SPINNERS.fetch_add(1, Ordering::AcqRel) + 1;
            MOST_SPINNERS.fetch_max(now, Ordering::AcqRel);
            Spinner
        }
    }

    impl Drop for Spinner {
        fn drop(&mut self) {
            SPINNERS.fetch_sub(1, Ordering::AcqRel);
        }
    }

    /// The spin is process-wide (one spinner at a time): the two tests take turns, so that
    /// one's spinner never makes the other's quick waits park.
    static SERIAL: Mutex<()> = Mutex::new(());

    fn wakes() -> (u32, u32) {
        WAKES.with(|w| (w.spin.get(), w.park.get()))
    }

    /// Pending until a plain std thread (not a tokio timer, which rounds up to 1 ms) wakes it
    /// `after` the first poll.
    async fn woken_by_a_thread_after(after: Duration) -> u32 {
        let slot: Arc<Mutex<Option<Waker>>> = Arc::default();
        let done = Arc::new(AtomicBool::new(false));
        let ready = Arc::new(AtomicBool::new(false));
        let (s, d, r) = (slot.clone(), done.clone(), ready.clone());
        let waker_thread = std::thread::spawn(move || {
            r.store(true, Ordering::Release);
            let waker = loop {
                if let Some(w) = s.lock().unwrap().take() {
                    break w;
                }
                std::hint::spin_loop();
            };
            let t = Instant::now();
            while t.elapsed() < after {
                std::hint::spin_loop();
            }
            d.store(true, Ordering::Release);
            waker.wake();
        });
        // The thread is running before this future first waits: its start-up time (often
        // more than SPIN on a busy machine) is not part of the wakeup measured.
        while !ready.load(Ordering::Acquire) {
            std::hint::spin_loop();
        }
        let v = std::future::poll_fn(|cx| {
            if done.load(Ordering::Acquire) {
                return Poll::Ready(7);
            }
            *slot.lock().unwrap() = Some(cx.waker().clone());
            Poll::Pending
        })
        .await;
        waker_thread.join().unwrap();
        v
    }

    /// Pending until a plain std thread wakes it once `counter` (spins or parks begun) has
    /// grown past its value at the first poll: the wakeup lands inside the spin, or after
    /// the park, whatever the machine's load.
    async fn woken_once_begun(counter: &'static AtomicUsize) -> u32 {
        let before = counter.load(Ordering::Acquire);
        let slot: Arc<Mutex<Option<Waker>>> = Arc::default();
        let done = Arc::new(AtomicBool::new(false));
        let (s, d) = (slot.clone(), done.clone());
        let waker_thread = std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(10);
            let waker = loop {
                if counter.load(Ordering::Acquire) > before {
                    if let Some(w) = s.lock().unwrap().take() {
                        break Some(w);
                    }
                }
                if Instant::now() >= deadline {
                    break s.lock().unwrap().take();
                }
                std::thread::yield_now();
            };
            d.store(true, Ordering::Release);
            if let Some(w) = waker {
                w.wake();
            }
            Instant::now() < deadline
        });
        let v = std::future::poll_fn(|cx| {
            if done.load(Ordering::Acquire) {
                return Poll::Ready(7);
            }
            *slot.lock().unwrap() = Some(cx.waker().clone());
            Poll::Pending
        })
        .await;
        assert!(
            waker_thread.join().unwrap(),
            "the wait never began to spin or park"
        );
        v
    }

    #[test]
    fn a_wakeup_during_the_spin_is_caught_spinning_and_a_later_one_parks() {
        let _turn = SERIAL
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        // Woken while it spins (a spin of 10 s here, so that no scheduler delay ends it
        // first): the spin sees the wakeup and the thread never parks.
        let (s0, p0) = wakes();
        for _ in 0..5 {
            let v = block_on_spinning(&rt, woken_once_begun(&SPINS_BEGUN), Duration::from_secs(10));
            assert_eq!(v, 7);
        }
        let (s1, p1) = wakes();
        assert_eq!(
            (s1 - s0, p1 - p0),
            (5, 0),
            "(spin, park) wakes of 5 waits woken during their spin"
        );
        // Woken only once it parked: the spin (SPIN) gave up and the park is woken.
        for _ in 0..5 {
            assert_eq!(block_on(&rt, woken_once_begun(&PARKS_BEGUN)), 7);
        }
        let (s2, p2) = wakes();
        assert_eq!(
            (s2 - s1, p2 - p1),
            (0, 5),
            "(spin, park) wakes of 5 waits woken after their spin"
        );
        assert_eq!(
            block_on(&rt, async { tokio::spawn(async { 3 }).await.unwrap() }),
            3
        );
    }

    #[test]
    fn many_threads_at_once_one_spins_the_others_park() {
        let _turn = SERIAL
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let rt = Arc::new(
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .unwrap(),
        );
        let hs: Vec<_> = (0..16u32)
            .map(|i| {
                let rt = rt.clone();
                std::thread::spawn(move || {
                    let v = block_on(
                        &rt,
                        woken_by_a_thread_after(Duration::from_micros(50 * u64::from(i))),
                    );
                    (v, wakes())
                })
            })
            .collect();
        let got: Vec<(u32, (u32, u32))> = hs.into_iter().map(|h| h.join().unwrap()).collect();
        assert!(got.iter().all(|(v, _)| *v == 7));
        // 16 threads waiting at once: some parked at once because another spun.
        let parked: u32 = got.iter().map(|(_, (_, p))| p).sum();
        assert!(parked >= 1, "no thread parked: {got:?}");
        assert_eq!(
            MOST_SPINNERS.load(Ordering::Acquire),
            1,
            "more than one thread spun at a time"
        );
    }
}
