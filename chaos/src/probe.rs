//! The event-loop probe and the one percentile function used by chaos, bench and scale.

use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;

/// The `q` quantile (0.0 to 1.0) of sorted samples, by nearest rank; 0 when empty.
pub fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((sorted.len() as f64 - 1.0) * q.clamp(0.0, 1.0)).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

/// Sort samples for [`percentile`] (NaN-safe: total order).
pub fn sort(v: &mut [f64]) {
    v.sort_by(|a, b| a.total_cmp(b));
}

/// A 10 ms ticker on the caller's runtime: how late each tick fires tells whether
/// anything blocked the event loop.
pub struct Probe {
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<Vec<f64>>,
}

impl Probe {
    /// Start ticking on the current runtime.
    pub fn start() -> Probe {
        let stop = Arc::new(AtomicBool::new(false));
        let s = stop.clone();
        let task = tokio::spawn(async move {
            let mut late = Vec::new();
            let period = Duration::from_millis(10);
            let mut next = tokio::time::Instant::now();
            while !s.load(Relaxed) {
                next += period;
                tokio::time::sleep_until(next).await;
                let now = tokio::time::Instant::now();
                late.push((now - next).as_secs_f64() * 1e3);
                if now > next + period {
                    next = now;
                }
            }
            late
        });
        Probe { stop, task }
    }

    /// Stop, and return every tick's lateness in milliseconds, sorted.
    pub async fn stop(self) -> Vec<f64> {
        self.stop.store(true, Relaxed);
        let mut v = self.task.await.unwrap_or_default();
        sort(&mut v);
        v
    }

    /// Stop, and return the p99 lateness in milliseconds.
    pub async fn p99(self) -> f64 {
        percentile(&self.stop().await, 0.99)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_is_nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 0.0), 1.0);
        assert_eq!(percentile(&v, 0.5), 51.0);
        assert_eq!(percentile(&v, 0.99), 99.0);
        assert_eq!(percentile(&v, 1.0), 100.0);
        assert_eq!(percentile(&[], 0.99), 0.0);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_blocked_loop_shows_in_the_probe() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let p99 = tokio::task::spawn_blocking(move || {
            rt.block_on(async {
                let probe = Probe::start();
                tokio::time::sleep(Duration::from_millis(30)).await;
                // Block this single-threaded runtime for 200 ms.
                std::thread::sleep(Duration::from_millis(200));
                tokio::time::sleep(Duration::from_millis(30)).await;
                probe.stop().await.last().copied().unwrap_or(0.0)
            })
        })
        .await
        .unwrap();
        assert!(p99 >= 150.0, "max lateness {p99} ms");
    }
}
