//! The caps and deadlines of the SSH server core ([`Limits`]) and the [`Gate`] that
//! admits connections under them.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::sync::lock;

/// What a server lets clients do before and after they log in. [`Limits::default`] gives
/// the defaults of the table in the module documentation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// From accept until the client's version line is in and key exchange is done (its
    /// first authentication request). A client silent or slow there is cut.
    pub handshake_timeout: Duration,
    /// From accept until a successful login. A client that never logs in is cut, even if
    /// it answers keepalives.
    pub login_grace: Duration,
    /// Connections not logged in yet, at once: past it a new connection is closed at
    /// accept.
    pub max_startups: usize,
    /// Connections at once, logged in or not.
    pub max_connections: usize,
    /// New connections accepted per minute (None: no limit).
    pub rate_per_minute: Option<u32>,
    /// Channels one connection may hold open; the next open is refused.
    pub max_channels: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            handshake_timeout: Duration::from_secs(30),
            login_grace: Duration::from_secs(120),
            max_startups: 100,
            max_connections: 75,
            rate_per_minute: None,
            max_channels: 10,
        }
    }
}

impl Limits {
    /// An error naming the first limit that cannot work (a zero cap or deadline).
    pub fn check(&self) -> Result<(), String> {
        let zero = [
            ("handshake timeout", self.handshake_timeout.is_zero()),
            ("login grace time", self.login_grace.is_zero()),
            ("max startups", self.max_startups == 0),
            ("max connections", self.max_connections == 0),
            ("max channels", self.max_channels == 0),
            ("rate per minute", self.rate_per_minute == Some(0)),
        ];
        match zero.iter().find(|(_, z)| *z) {
            Some((what, _)) => Err(format!("SSH server limit: {what} must be above zero")),
            None => Ok(()),
        }
    }
}

/// Why a connection was closed at accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// [`Limits::max_connections`] connections were open.
    Connections,
    /// [`Limits::max_startups`] connections were not logged in yet.
    Startups,
    /// [`Limits::rate_per_minute`] connections came in the last minute.
    Rate,
}

/// The state the caps of one service count in. One lock makes each admission check and
/// take its place at once, so concurrent accepts cannot pass a cap together.
#[derive(Debug, Default)]
pub struct Gate(Mutex<Counts>);

#[derive(Debug, Default)]
struct Counts {
    open: usize,
    unauthenticated: usize,
    recent: VecDeque<Instant>,
}

impl Gate {
    /// Connections served now.
    pub fn open(&self) -> usize {
        lock(&self.0).open
    }

    /// Connections not logged in yet.
    pub fn unauthenticated(&self) -> usize {
        lock(&self.0).unauthenticated
    }

    /// Take a place for a new connection, or say which cap refuses it.
    pub(super) fn admit(&self, limits: &Limits) -> Result<Admitted<'_>, Refusal> {
        let mut c = lock(&self.0);
        if c.open >= limits.max_connections {
            return Err(Refusal::Connections);
        }
        if c.unauthenticated >= limits.max_startups {
            return Err(Refusal::Startups);
        }
        if let Some(per_min) = limits.rate_per_minute {
            let now = Instant::now();
            while c
                .recent
                .front()
                .is_some_and(|t| now.duration_since(*t) > Duration::from_secs(60))
            {
                c.recent.pop_front();
            }
            if c.recent.len() as u32 >= per_min {
                return Err(Refusal::Rate);
            }
            c.recent.push_back(now);
        }
        c.open += 1;
        c.unauthenticated += 1;
        Ok(Admitted {
            gate: self,
            pre_auth: AtomicBool::new(true),
        })
    }
}

/// One admitted connection's places in its gate, given back on drop.
pub(super) struct Admitted<'a> {
    gate: &'a Gate,
    pre_auth: AtomicBool,
}

impl Admitted<'_> {
    pub(super) fn logged_in(&self) {
        if self.pre_auth.swap(false, Relaxed) {
            lock(&self.gate.0).unauthenticated -= 1;
        }
    }
}

impl Drop for Admitted<'_> {
    fn drop(&mut self) {
        self.logged_in();
        lock(&self.gate.0).open -= 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gate_refuses_by_the_first_cap_reached_and_gives_places_back() {
        let limits = Limits {
            max_connections: 3,
            max_startups: 2,
            ..Limits::default()
        };
        let g = Gate::default();
        let a = g.admit(&limits).unwrap();
        let b = g.admit(&limits).unwrap();
        assert_eq!(g.admit(&limits).err(), Some(Refusal::Startups));
        a.logged_in();
        a.logged_in(); // once only
        assert_eq!(g.unauthenticated(), 1);
        let c = g.admit(&limits).unwrap();
        assert_eq!(g.admit(&limits).err(), Some(Refusal::Connections));
        drop(b);
        drop(c);
        assert_eq!((g.open(), g.unauthenticated()), (1, 0));
        drop(a);
        assert_eq!((g.open(), g.unauthenticated()), (0, 0));
    }

    #[test]
    fn the_rate_limit_counts_the_last_minute() {
        let limits = Limits {
            rate_per_minute: Some(2),
            ..Limits::default()
        };
        let g = Gate::default();
        drop(g.admit(&limits).unwrap());
        drop(g.admit(&limits).unwrap());
        assert_eq!(g.admit(&limits).err(), Some(Refusal::Rate));
    }

    #[test]
    fn a_zero_limit_is_named() {
        let e = Limits {
            max_startups: 0,
            ..Limits::default()
        }
        .check()
        .unwrap_err();
        assert!(e.contains("max startups"), "{e}");
        assert!(Limits::default().check().is_ok());
    }
}
