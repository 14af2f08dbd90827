//! The slot's decisions on fake connections, one property a test.

use super::*;

const LIM: Limits = Limits {
    connections: 2,
    channels_per_connection: 10,
    max_lifetime: None,
};

fn refused() -> Error {
    Error::ConnectRefused {
        device: "r1".into(),
    }
}

/// A connection without SSH: its channel count, age and health are set by the test.
pub(super) struct Fake {
    pub(super) id: u32,
    pub(super) channels: AtomicUsize,
    pub(super) created: Instant,
    pub(super) dead: std::sync::atomic::AtomicBool,
    /// When a channel on it was last used.
    pub(super) idle_since: Instant,
}

impl PooledConn for Fake {
    fn channels(&self) -> &AtomicUsize {
        &self.channels
    }
    fn created(&self) -> Instant {
        self.created
    }
    fn is_dead(&self) -> bool {
        self.dead.load(SeqCst)
    }
    fn idle_for(&self) -> Duration {
        self.idle_since.elapsed()
    }
}

/// A slot over fake connections; idle sessions are numbers.
type State = SlotState<Fake, u32>;

pub(super) fn conn(id: u32, channels: usize) -> Arc<Fake> {
    Arc::new(Fake {
        id,
        channels: AtomicUsize::new(channels),
        created: Instant::now(),
        dead: Default::default(),
        idle_since: Instant::now(),
    })
}

fn holding(conns: Vec<Arc<Fake>>, idle: Vec<u32>) -> State {
    State {
        conns,
        idle,
        ..Default::default()
    }
}

fn used(step: Result<Step<Fake, u32>>) -> u32 {
    match step {
        Ok(Step::Use(c)) => c.id,
        Ok(Step::Connect) => panic!("connect, not a channel"),
        Ok(Step::Evict(s)) => panic!("evicted {s}, not a channel"),
        Ok(Step::Wait) => panic!("wait, not a channel"),
        Err(e) => panic!("{e}"),
    }
}

#[tokio::test(start_paused = true)]
async fn the_least_loaded_connection_with_room_is_chosen_and_counted() {
    let mut st = holding(vec![conn(1, 7), conn(2, 3), conn(3, 10)], vec![]);
    assert_eq!(used(st.next_step(LIM, "r1", 0)), 2);
    assert_eq!(
        st.conns[1].channels.load(SeqCst),
        4,
        "the channel is counted"
    );
    // Connection 2 fills up to 7: ties go to the first (1), a full one (3) never.
    for _ in 0..3 {
        assert_eq!(used(st.next_step(LIM, "r1", 0)), 2);
    }
    assert_eq!(used(st.next_step(LIM, "r1", 0)), 1);
    assert_eq!(st.conn_summary(), (3, 7 + 1 + 7 + 10));
}

#[tokio::test(start_paused = true)]
async fn a_full_slot_evicts_its_oldest_idle_session_then_waits() {
    let mut st = holding(vec![conn(1, 10), conn(2, 10)], vec![11, 12]);
    assert!(matches!(st.next_step(LIM, "r1", 0), Ok(Step::Evict(11))));
    assert!(matches!(st.next_step(LIM, "r1", 0), Ok(Step::Evict(12))));
    assert_eq!(st.counters.discarded[&DiscardReason::Evicted], 2);
    assert!(matches!(st.next_step(LIM, "r1", 0), Ok(Step::Wait)));
    assert_eq!(st.connecting, 0, "at the connection limit: no connect");
}

#[tokio::test(start_paused = true)]
async fn a_broken_connection_is_dropped_counted_and_replaced() {
    let mut st = holding(vec![conn(1, 10), conn(2, 0)], vec![]);
    st.conns[1].dead.store(true, SeqCst);
    // The dead one had room, but is not used: it goes, and its place is a connect.
    assert!(matches!(st.next_step(LIM, "r1", 0), Ok(Step::Connect)));
    assert_eq!(st.conns.len(), 1);
    assert_eq!(st.counters.discarded[&DiscardReason::Transport], 1);
    assert_eq!(st.connecting, 1);
}

#[tokio::test(start_paused = true)]
async fn a_connection_past_its_lifetime_gets_no_new_channel() {
    let lim = Limits {
        max_lifetime: Some(Duration::from_secs(60)),
        ..LIM
    };
    let mut st = holding(vec![conn(1, 0)], vec![]);
    tokio::time::advance(Duration::from_secs(61)).await;
    st.conns.push(conn(2, 9));
    assert_eq!(
        used(st.next_step(lim, "r1", 0)),
        2,
        "the old one is skipped"
    );
    assert!(
        matches!(st.next_step(lim, "r1", 0), Ok(Step::Wait)),
        "the old one still counts against the connection limit"
    );
}

#[tokio::test(start_paused = true)]
async fn an_empty_slot_connects_up_to_the_limit_then_waits() {
    let mut st = State::default();
    assert!(matches!(st.next_step(LIM, "r1", 0), Ok(Step::Connect)));
    assert!(matches!(st.next_step(LIM, "r1", 0), Ok(Step::Connect)));
    assert_eq!(st.connecting, 2);
    assert!(matches!(st.next_step(LIM, "r1", 0), Ok(Step::Wait)));
    assert_eq!(st.connecting, 2, "waiting counts nothing");
}

#[tokio::test(start_paused = true)]
async fn a_connect_failure_since_the_caller_looked_is_its_error() {
    let mut st = State::default();
    st.connect_failed(&refused(), 3, Duration::from_secs(30));
    assert_eq!(st.counters.connect_failures, 1);
    // A caller who looked before the failure (epoch 0) gets it; one who looked after
    // (epoch 1) tries again.
    assert!(matches!(
        st.next_step(LIM, "r1", 0),
        Err(Error::ConnectRefused { .. })
    ));
    assert!(matches!(st.next_step(LIM, "r1", 1), Ok(Step::Connect)));
}

#[tokio::test(start_paused = true)]
async fn an_open_breaker_fails_the_connect_step_fast() {
    let mut st = State::default();
    for _ in 0..3 {
        st.connect_failed(&refused(), 3, Duration::from_secs(30));
    }
    assert!(st.breaker_open(Instant::now()));
    assert!(matches!(
        st.next_step(LIM, "r1", st.failure_epoch),
        Err(Error::CircuitOpen { .. })
    ));
    assert_eq!(st.connecting, 0);
}

#[test]
fn immediate_checkouts_count_as_the_floor_without_a_histogram() {
    let mut c = SlotCounters::default();
    assert_eq!(c.wait_quantiles(), [0; 3]);
    c.immediate = 1000;
    assert_eq!(c.wait_quantiles(), [1, 1, 1]);
    assert!(c.wait_us.is_none(), "no histogram until a checkout waits");
    c.record_wait(Duration::from_millis(3));
    assert_eq!(c.wait_quantiles()[..2], [1, 1]);
    assert!((2990..=3010).contains(&c.wait_quantiles()[2]));
    // 98 immediate and 2 that waited 3 ms: the p99 is a wait.
    let mut c = SlotCounters {
        immediate: 98,
        ..Default::default()
    };
    c.record_wait(Duration::from_millis(3));
    c.record_wait(Duration::from_millis(3));
    let [p50, p99, max] = c.wait_quantiles();
    assert_eq!(p50, 1);
    assert!((2990..=3010).contains(&p99), "{p99}");
    assert!((2990..=3010).contains(&max), "{max}");
}

/// An idle session without NETCONF: its connection's health and its times.
#[derive(Debug, PartialEq)]
struct Idle {
    id: u32,
    conn_dead: bool,
    last_used: Instant,
    created: Instant,
}

impl IdleSession for Idle {
    fn conn_dead(&self) -> bool {
        self.conn_dead
    }
    fn last_used(&self) -> Instant {
        self.last_used
    }
    fn created(&self) -> Instant {
        self.created
    }
}

const UP: Upkeep = Upkeep {
    idle_timeout: Some(Duration::from_secs(60)),
    max_lifetime: Some(Duration::from_secs(3600)),
    min_idle_connections: 0,
    max_connections: 2,
};

fn idle(id: u32, used_ago: u64, made_ago: u64) -> Idle {
    let now = Instant::now();
    Idle {
        id,
        conn_dead: false,
        last_used: now - Duration::from_secs(used_ago),
        created: now - Duration::from_secs(made_ago),
    }
}

#[tokio::test(start_paused = true)]
async fn a_sweep_closes_idle_sessions_past_their_idle_time_or_lifetime_or_on_a_dead_connection() {
    tokio::time::advance(Duration::from_secs(7200)).await;
    let dead = Idle {
        conn_dead: true,
        ..idle(4, 0, 0)
    };
    let mut st = SlotState::<Fake, Idle> {
        idle: vec![idle(1, 10, 100), idle(2, 61, 100), idle(3, 0, 3601), dead],
        ..Default::default()
    };
    let sw = st.sweep(UP, "r1", false);
    let closed: Vec<u32> = sw.close.iter().map(|s| s.id).collect();
    assert_eq!(closed, [2, 3, 4]);
    assert_eq!(st.idle.iter().map(|s| s.id).collect::<Vec<_>>(), [1]);
    let d = &st.counters.discarded;
    assert_eq!(
        (
            d[&DiscardReason::IdleTimeout],
            d[&DiscardReason::MaxLifetime],
            d[&DiscardReason::Transport]
        ),
        (1, 1, 1)
    );
    // The kept one is looked at again when its idle time runs out, 50 s from now.
    assert_eq!(sw.next, Some(Instant::now() + Duration::from_secs(50)));
    assert_eq!(sw.prewarm, 0);
}

#[tokio::test(start_paused = true)]
async fn a_sweep_disconnects_unused_connections_past_their_idle_time_or_lifetime_only() {
    let (young_busy, old_unused) = (conn(1, 2), conn(2, 0));
    tokio::time::advance(Duration::from_secs(3601)).await;
    let (idle_long, fresh) = (conn(3, 0), conn(4, 0));
    // Connection 3 has had no channel for 61 s; 4 for none; 1 is old but busy.
    tokio::time::advance(Duration::from_secs(61)).await;
    let fresh = Arc::new(Fake {
        idle_since: Instant::now(),
        ..Arc::into_inner(fresh).unwrap()
    });
    let mut st = SlotState::<Fake, Idle> {
        conns: vec![young_busy, old_unused, idle_long, fresh],
        ..Default::default()
    };
    let sw = st.sweep(UP, "r1", false);
    let gone: Vec<u32> = sw.disconnect.iter().map(|c| c.id).collect();
    assert_eq!(gone, [2, 3], "the unused old one and the unused idle one");
    assert_eq!(st.conns.iter().map(|c| c.id).collect::<Vec<_>>(), [1, 4]);
    let d = &st.counters.discarded;
    assert_eq!(
        (
            d[&DiscardReason::MaxLifetime],
            d[&DiscardReason::IdleTimeout]
        ),
        (1, 1)
    );
    // The busy one is due at its lifetime (already past: at once), the fresh one in 60 s.
    assert!(sw.next.is_some_and(|t| t <= Instant::now()));
}

#[tokio::test(start_paused = true)]
async fn a_sweep_connects_up_to_min_idle_unless_closing_or_the_breaker_refuses() {
    let up = Upkeep {
        min_idle_connections: 5,
        ..UP
    };
    let mut st = SlotState::<Fake, Idle> {
        conns: vec![conn(1, 1)],
        ..Default::default()
    };
    assert_eq!(st.sweep(up, "r1", true).prewarm, 0, "closing: no connect");
    let sw = st.sweep(up, "r1", false);
    assert_eq!(sw.prewarm, 1, "up to the connection limit (2), not to 5");
    assert_eq!(st.connecting, 1);
    assert_eq!(st.sweep(up, "r1", false).prewarm, 0, "one in flight counts");
    let mut st = SlotState::<Fake, Idle>::default();
    for _ in 0..3 {
        st.connect_failed(&refused(), 3, Duration::from_secs(30));
    }
    assert_eq!(st.sweep(up, "r1", false).prewarm, 0, "the breaker is open");
    assert_eq!(st.connecting, 0);
}
