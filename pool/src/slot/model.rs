//! The slot's decisions against a model, in process, on fake connections in paused time:
//! random sequences of callers asking for a channel, connects ending either way, channels
//! closed or parked as idle sessions, connections dying, and time passing (lifetimes, the
//! breaker's cooldown). After every step the slot must have decided what the model
//! decides, and hold what the model holds. The live twin of this test
//! (`tests/tests/suite/model.rs`) drives a whole pool over SSH.

use std::collections::{BTreeMap, HashMap, VecDeque};

use proptest::prelude::*;

use super::tests::{conn, Fake};
use super::*;

const LIM: Limits = Limits {
    connections: 2,
    channels_per_connection: 3,
    max_lifetime: Some(Duration::from_secs(60)),
};
const THRESHOLD: u32 = 2;
const COOLDOWN: Duration = Duration::from_secs(10);

#[derive(Debug, Clone)]
enum Op {
    /// A caller asks for a channel; `stale`: it looked before the latest failed connect.
    Ask { stale: bool },
    /// The oldest connect in flight succeeds (its caller holds the new connection's
    /// first channel) or fails.
    ConnectEnds { ok: bool },
    /// A held channel is closed.
    Release(usize),
    /// A held channel's session goes back idle (its channel stays open).
    Park(usize),
    /// A connection dies.
    Die(usize),
    /// Time passes, in seconds.
    Advance(u64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => any::<bool>().prop_map(|s| Op::Ask { stale: s }),
        3 => any::<bool>().prop_map(|ok| Op::ConnectEnds { ok }),
        3 => any::<usize>().prop_map(Op::Release),
        2 => any::<usize>().prop_map(Op::Park),
        1 => any::<usize>().prop_map(Op::Die),
        1 => prop_oneof![Just(5u64), Just(11), Just(61)].prop_map(Op::Advance),
    ]
}

/// What a step should be, as the model sees it.
#[derive(Debug, PartialEq)]
enum Want {
    Use(u32),
    Connect,
    Evict(u32),
    Wait,
    ConnectError,
    CircuitOpen,
}

fn got(step: &Result<Step<Fake, u32>>) -> Want {
    match step {
        Ok(Step::Use(c)) => Want::Use(c.id),
        Ok(Step::Connect) => Want::Connect,
        Ok(Step::Evict(s)) => Want::Evict(*s),
        Ok(Step::Wait) => Want::Wait,
        Err(Error::CircuitOpen { .. }) => Want::CircuitOpen,
        Err(_) => Want::ConnectError,
    }
}

struct MConn {
    id: u32,
    channels: usize,
    born: Instant,
    dead: bool,
}

/// The slot as the rules say, written without the slot's code.
#[derive(Default)]
struct Model {
    conns: Vec<MConn>,
    connecting: usize,
    /// Idle sessions: (session, the connection it is on), oldest first.
    idle: VecDeque<(u32, u32)>,
    /// Channels callers hold: the connection each is on.
    held: Vec<u32>,
    discards: BTreeMap<DiscardReason, u64>,
    failures_in_row: u32,
    open_until: Option<Instant>,
    probing: bool,
    epoch: u64,
    failed_once: bool,
}

impl Model {
    fn free_channel(&mut self, on: u32) {
        if let Some(c) = self.conns.iter_mut().find(|c| c.id == on) {
            c.channels -= 1;
        }
    }

    fn ask(&mut self, epoch: u64) -> Want {
        for _ in self.conns.iter().filter(|c| c.dead) {
            *self.discards.entry(DiscardReason::Transport).or_default() += 1;
        }
        self.conns.retain(|c| !c.dead);
        let now = Instant::now();
        let mut best: Option<usize> = None;
        for (i, c) in self.conns.iter().enumerate() {
            let room = c.channels < LIM.channels_per_connection;
            let young = now - c.born < LIM.max_lifetime.unwrap();
            if room && young && best.is_none_or(|b| c.channels < self.conns[b].channels) {
                best = Some(i);
            }
        }
        if epoch != self.epoch && self.failed_once && best.is_none() {
            return Want::ConnectError;
        }
        if let Some(i) = best {
            self.conns[i].channels += 1;
            self.held.push(self.conns[i].id);
            return Want::Use(self.conns[i].id);
        }
        if self.conns.len() + self.connecting < LIM.connections {
            if let Some(until) = self.open_until {
                if now < until || self.probing {
                    return Want::CircuitOpen;
                }
                self.probing = true;
            }
            self.connecting += 1;
            return Want::Connect;
        }
        if let Some((session, on)) = self.idle.pop_front() {
            *self.discards.entry(DiscardReason::Evicted).or_default() += 1;
            // The caller closes the evicted session: its channel is free.
            self.free_channel(on);
            return Want::Evict(session);
        }
        Want::Wait
    }
}

/// Run one sequence: after each step the slot and the model agree.
fn run(ops: Vec<Op>) -> std::result::Result<(), TestCaseError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    rt.block_on(async move {
        let mut st: SlotState<Fake, u32> = SlotState::default();
        let mut m = Model::default();
        let mut fakes: HashMap<u32, Arc<Fake>> = HashMap::new();
        let (mut next_conn, mut next_session) = (1u32, 100u32);
        for (n, op) in ops.into_iter().enumerate() {
            match op {
                Op::Ask { stale } => {
                    let epoch = if stale {
                        m.epoch.saturating_sub(1)
                    } else {
                        m.epoch
                    };
                    let oldest_on = m.idle.front().map(|(_, on)| *on);
                    let step = st.next_step(LIM, "r1", epoch);
                    let want = m.ask(epoch);
                    prop_assert_eq!(got(&step), want, "step {}: {:?}", n, op);
                    if let (Ok(Step::Evict(_)), Some(on)) = (&step, oldest_on) {
                        // The caller closes the evicted session: its channel is freed.
                        fakes[&on].channels.fetch_sub(1, SeqCst);
                    }
                }
                Op::ConnectEnds { ok } => {
                    if m.connecting == 0 {
                        continue;
                    }
                    st.connecting -= 1;
                    m.connecting -= 1;
                    if ok {
                        let id = next_conn;
                        next_conn += 1;
                        let c = conn(id, 0);
                        fakes.insert(id, c.clone());
                        st.joined(c);
                        m.failures_in_row = 0;
                        m.open_until = None;
                        m.probing = false;
                        m.conns.push(MConn {
                            id,
                            channels: 1,
                            born: Instant::now(),
                            dead: false,
                        });
                        m.held.push(id);
                    } else {
                        let e = Error::ConnectRefused {
                            device: "r1".into(),
                        };
                        st.connect_failed(&e, THRESHOLD, COOLDOWN);
                        m.failures_in_row += 1;
                        m.probing = false;
                        if m.failures_in_row >= THRESHOLD {
                            m.open_until = Some(Instant::now() + COOLDOWN);
                        }
                        m.epoch += 1;
                        m.failed_once = true;
                    }
                }
                Op::Release(i) | Op::Park(i) if !m.held.is_empty() => {
                    let on = m.held.remove(i % m.held.len());
                    if let Op::Park(_) = op {
                        let s = next_session;
                        next_session += 1;
                        st.idle.push(s);
                        m.idle.push_back((s, on));
                    } else {
                        fakes[&on].channels.fetch_sub(1, SeqCst);
                        m.free_channel(on);
                    }
                }
                Op::Release(_) | Op::Park(_) => {}
                Op::Die(i) if !m.conns.is_empty() => {
                    let at = i % m.conns.len();
                    let c = &mut m.conns[at];
                    c.dead = true;
                    fakes[&c.id].dead.store(true, SeqCst);
                }
                Op::Die(_) => {}
                Op::Advance(s) => tokio::time::advance(Duration::from_secs(s)).await,
            }
            // What the slot holds is what the model holds.
            let have: Vec<(u32, usize)> = st
                .conns
                .iter()
                .map(|c| (c.id, c.channels.load(SeqCst)))
                .collect();
            let want: Vec<(u32, usize)> = m.conns.iter().map(|c| (c.id, c.channels)).collect();
            prop_assert_eq!(have, want, "connections after step {}", n);
            prop_assert_eq!(st.connecting, m.connecting);
            let idle: Vec<u32> = m.idle.iter().map(|(s, _)| *s).collect();
            prop_assert_eq!(&st.idle, &idle);
            prop_assert_eq!(&st.counters.discarded, &m.discards);
            prop_assert_eq!(st.failure_epoch, m.epoch);
            let now = Instant::now();
            let open = m.open_until.is_some_and(|u| now < u || m.probing);
            prop_assert_eq!(st.breaker_open(now), open, "breaker after step {}", n);
            // The limits hold whatever the sequence.
            prop_assert!(st.conns.len() + st.connecting <= LIM.connections);
            for c in st.conns.iter().filter(|c| !c.is_dead()) {
                prop_assert!(c.channels.load(SeqCst) <= LIM.channels_per_connection);
            }
        }
        Ok(())
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn the_slot_decides_as_the_model_does(ops in proptest::collection::vec(op(), 1..60)) {
        run(ops)?;
    }
}
