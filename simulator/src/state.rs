//! The mutable state of a simulated device (configuration databases, the lock, commit
//! history, logged-in sessions) and the configuration operations that NETCONF and the
//! interactive CLI both use, so that both follow the same rules.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::SystemTime;

use crate::junos_config::ConfigTree;
use crate::spec::DeviceSpec;

/// Why a configuration operation was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denied {
    /// Another session holds the exclusive lock.
    Locked {
        /// Its session id.
        holder: u32,
        /// Its user.
        user: String,
    },
    /// Another session has uncommitted changes in the shared candidate.
    Modified {
        /// Its session id.
        owner: u32,
    },
    /// An unlock from a session that does not hold the lock.
    NotLocked,
    /// Private mode while the shared candidate has uncommitted changes.
    SharedModified,
}

impl Denied {
    /// The message Junos gives (the CLI prefixes it with `error: `).
    pub fn message(&self) -> String {
        match self {
            Denied::Locked { holder, user } => format!(
                "configuration database locked by:\n  {user} terminal p0 (pid {holder}) on since 2026-11-21 10:00:00 UTC\n      exclusive [edit]"
            ),
            Denied::Modified { .. } => "configuration database modified".into(),
            Denied::NotLocked => "configuration database is not locked by this session".into(),
            Denied::SharedModified => "shared configuration database modified".into(),
        }
    }

    /// The session the refusal is about, for `error-info/session-id`.
    pub fn session(&self) -> Option<u32> {
        match self {
            Denied::Locked { holder, .. } => Some(*holder),
            Denied::Modified { owner } => Some(*owner),
            Denied::NotLocked | Denied::SharedModified => None,
        }
    }
}

/// One commit in the history.
#[derive(Debug, Clone)]
pub struct Commit {
    /// Who committed.
    pub user: String,
    /// Through which client (`netconf`, `cli`).
    pub client: &'static str,
    /// When.
    pub at: SystemTime,
    /// Commit comment, if any.
    pub comment: Option<String>,
}

/// The mutable state of one device: configuration, locks, history.
#[derive(Debug)]
pub struct DeviceState {
    /// The running (committed) configuration.
    pub running: Arc<ConfigTree>,
    /// Candidate changes per session: the shared candidate on Junos is one database;
    /// here it is one tree plus the session that last changed it.
    pub candidate: Arc<ConfigTree>,
    /// Session that holds uncommitted candidate changes, if any.
    pub candidate_owner: Option<u32>,
    /// Session holding the exclusive configuration lock.
    pub lock_holder: Option<u32>,
    /// Commit history, newest last.
    pub commits: Vec<Commit>,
    /// When the device "booted" (for uptime).
    pub booted: SystemTime,
    /// Sessions by id, with user and start time (for `show system users`).
    pub sessions: BTreeMap<u32, (String, &'static str, SystemTime)>,
    /// Earlier committed configurations, newest first: `rollback 1`, `rollback 2`, ...
    pub history: VecDeque<Arc<ConfigTree>>,
    /// The rescue configuration, once saved.
    pub rescue: Option<Arc<ConfigTree>>,
    /// Private candidates by session (`configure private`, `<open-configuration><private/>`).
    pub private: BTreeMap<u32, Arc<ConfigTree>>,
    /// A `commit confirmed` awaiting confirmation: its number; a later commit confirms it.
    pub pending_confirm: Option<u64>,
    confirms: u64,
    /// The pending `commit confirmed`'s minutes before it rolls back.
    confirm_minutes: u64,
}

/// Junos keeps rollbacks 1 to 49 besides the running configuration (rollback 0).
pub const MAX_ROLLBACK: usize = 49;

impl DeviceState {
    /// The host name as Junos reports it (`show version`, `get-software-information`):
    /// the committed `system host-name`, else the device's own name.
    pub fn host_name<'a>(&'a self, spec: &'a DeviceSpec) -> &'a str {
        self.running
            .value(&["system", "host-name"])
            .unwrap_or(&spec.hostname)
    }

    /// A fresh device with its factory configuration.
    pub fn new(spec: &DeviceSpec) -> Self {
        // The candidate shares the running tree until a change (a copy per idle router
        // was 11 KiB of its 26).
        let running = Arc::new(ConfigTree::factory(spec));
        Self {
            candidate: running.clone(),
            running,
            candidate_owner: None,
            lock_holder: None,
            commits: Vec::new(),
            booted: SystemTime::now() - std::time::Duration::from_secs(3 * 86_400 + 4 * 3600 + 120),
            sessions: BTreeMap::new(),
            history: VecDeque::new(),
            rescue: None,
            private: BTreeMap::new(),
            pending_confirm: None,
            confirms: 0,
            confirm_minutes: 0,
        }
    }

    /// Whether the candidate differs from running.
    pub fn candidate_dirty(&self) -> bool {
        !Arc::ptr_eq(&self.candidate, &self.running) && self.candidate != self.running
    }

    /// A login session (NETCONF or CLI) started: it shows in `show system users`.
    pub fn open_session(&mut self, id: u32, user: &str, client: &'static str) {
        self.sessions
            .insert(id, (user.to_string(), client, SystemTime::now()));
    }

    /// Refuse a change by `session` while another session holds the lock.
    pub fn writable_by(&self, session: u32) -> Result<(), Denied> {
        match self.lock_holder {
            Some(h) if h != session => Err(self.locked_by(h)),
            _ => Ok(()),
        }
    }

    fn locked_by(&self, holder: u32) -> Denied {
        let user = self
            .sessions
            .get(&holder)
            .map_or("root", |(u, _, _)| u.as_str());
        Denied::Locked {
            holder,
            user: user.to_string(),
        }
    }

    /// Take the exclusive configuration lock for `session` (`<lock>`, `configure
    /// exclusive`). Refused while another session holds it or has uncommitted changes.
    pub fn lock(&mut self, session: u32) -> Result<(), Denied> {
        self.writable_by(session)?;
        if self.candidate_dirty() {
            if let Some(owner) = self.candidate_owner.filter(|o| *o != session) {
                return Err(Denied::Modified { owner });
            }
        }
        self.lock_holder = Some(session);
        Ok(())
    }

    /// Release the lock `session` holds.
    pub fn unlock(&mut self, session: u32) -> Result<(), Denied> {
        if self.lock_holder == Some(session) {
            self.lock_holder = None;
            Ok(())
        } else {
            Err(Denied::NotLocked)
        }
    }

    /// Release the lock if `session` holds it (leaving configuration mode).
    pub fn release(&mut self, session: u32) {
        if self.lock_holder == Some(session) {
            self.lock_holder = None;
        }
    }

    /// Change the candidate on behalf of `session` (its private candidate if it opened
    /// one): `edit` works on a copy, which replaces the candidate only if it succeeds, so a
    /// failed load leaves nothing behind.
    pub fn edit_candidate<E>(
        &mut self,
        session: u32,
        edit: impl FnOnce(&mut ConfigTree) -> Result<(), E>,
    ) -> Result<Result<(), E>, Denied> {
        self.edit_candidate_keeping(session, false, edit)
    }

    /// As [`DeviceState::edit_candidate`], but with `keep_partial` what the edit did
    /// before or besides its errors stays: Junos applies the lines of a `set` load one by
    /// one and keeps those that were valid ("load complete (N errors)"), which is why
    /// PyEZ's documentation has a failed load followed by a rollback.
    pub fn edit_candidate_keeping<E>(
        &mut self,
        session: u32,
        keep_partial: bool,
        edit: impl FnOnce(&mut ConfigTree) -> Result<(), E>,
    ) -> Result<Result<(), E>, Denied> {
        if let Some(private) = self.private.get_mut(&session) {
            let mut next = ConfigTree::clone(private);
            let r = edit(&mut next);
            if r.is_ok() || keep_partial {
                *private = Arc::new(next);
            }
            return Ok(r);
        }
        self.writable_by(session)?;
        let mut next = ConfigTree::clone(&self.candidate);
        let r = edit(&mut next);
        // A load whose every line failed changed nothing, and takes no ownership.
        if r.is_ok() || (keep_partial && next != *self.candidate) {
            self.candidate = Arc::new(next);
            self.candidate_owner = Some(session);
        }
        Ok(r)
    }

    /// The candidate `session` works on: its private one, or the shared one.
    pub fn candidate_for(&self, session: u32) -> &ConfigTree {
        self.private.get(&session).unwrap_or(&self.candidate)
    }

    /// Rollback `n`: 0 is the running configuration, 1 the one before the last commit.
    pub fn rollback(&self, n: usize) -> Option<&ConfigTree> {
        match n {
            0 => Some(&self.running),
            n => self.history.get(n - 1).map(|t| &**t),
        }
    }

    /// `configure private`: a private candidate for `session`. Refused while the shared
    /// candidate has uncommitted changes or another session holds the exclusive lock.
    pub fn open_private(&mut self, session: u32) -> Result<(), Denied> {
        self.writable_by(session)?;
        if self.candidate_dirty() {
            return Err(Denied::SharedModified);
        }
        self.private
            .entry(session)
            .or_insert_with(|| self.running.clone());
        Ok(())
    }

    /// Leave private mode: the private candidate's uncommitted changes are gone.
    pub fn close_private(&mut self, session: u32) {
        self.private.remove(&session);
    }

    /// Commit the candidate `session` works on; returns the new commit count. The old
    /// running configuration becomes rollback 1. A commit confirms a pending
    /// `commit confirmed`.
    pub fn commit(
        &mut self,
        session: u32,
        user: &str,
        client: &'static str,
        comment: Option<String>,
    ) -> Result<usize, Denied> {
        let next = match self.private.get(&session) {
            Some(p) => p.clone(),
            None => {
                self.writable_by(session)?;
                self.candidate_owner = None;
                self.candidate.clone()
            }
        };
        self.pending_confirm = None;
        self.install(next, user, client, comment);
        if self.private.contains_key(&session) {
            // Still in private mode, on a fresh copy of what is now running; the shared
            // candidate follows the running configuration unless someone is editing it.
            self.private.insert(session, self.running.clone());
        }
        if self.candidate_owner.is_none() {
            self.candidate = self.running.clone();
        }
        Ok(self.commits.len())
    }

    /// Make `tree` the running configuration, keeping the old one as rollback 1.
    fn install(
        &mut self,
        tree: Arc<ConfigTree>,
        user: &str,
        client: &'static str,
        comment: Option<String>,
    ) {
        let old = std::mem::replace(&mut self.running, tree);
        self.history.push_front(old);
        self.history.truncate(MAX_ROLLBACK);
        self.commits.push(Commit {
            user: user.to_string(),
            client,
            at: SystemTime::now(),
            comment,
        });
    }

    /// Mark the last commit as a `commit confirmed` that rolls back after `minutes`;
    /// returns the number a later [`DeviceState::expire_confirm`] names it by.
    pub fn await_confirm(&mut self, minutes: u64) -> u64 {
        self.confirms += 1;
        self.pending_confirm = Some(self.confirms);
        self.confirm_minutes = minutes;
        self.confirms
    }

    /// What Junos writes as the running revision's comment while a `commit confirmed`
    /// awaits confirmation ("commit confirmed, rollback in 5mins"); `None` otherwise.
    pub fn confirm_note(&self) -> Option<String> {
        self.pending_confirm
            .map(|_| format!("commit confirmed, rollback in {}mins", self.confirm_minutes))
    }

    /// When the running configuration last changed: the last commit, or the boot
    /// (seconds since the epoch).
    pub fn changed_at(&self) -> u64 {
        crate::clock::unix_secs(self.commits.last().map_or(self.booted, |c| c.at))
    }

    /// The running configuration's revision, as Junos names it: `re0-<commit time in
    /// seconds>-<commit number>` (`re0-<boot time>-0` before the first commit).
    pub fn revision(&self) -> String {
        format!("re0-{}-{}", self.changed_at(), self.commits.len())
    }

    /// The confirm timer of commit `id` ran out: if it is still unconfirmed, roll back to
    /// the configuration before it (itself a commit, as on Junos). Returns whether it did.
    pub fn expire_confirm(&mut self, id: u64) -> bool {
        if self.pending_confirm != Some(id) {
            return false;
        }
        self.pending_confirm = None;
        let Some(before) = self.history.front().cloned() else {
            return false;
        };
        self.install(
            before,
            "root",
            "rollback",
            Some("automatic rollback of an unconfirmed commit".into()),
        );
        if self.candidate_owner.is_none() {
            self.candidate = self.running.clone();
        }
        true
    }

    /// Throw the candidate's changes away (`discard-changes`, `rollback 0`).
    pub fn discard(&mut self, session: u32) -> Result<(), Denied> {
        if let Some(p) = self.private.get_mut(&session) {
            *p = self.running.clone();
            return Ok(());
        }
        self.writable_by(session)?;
        self.candidate = self.running.clone();
        self.candidate_owner = None;
        Ok(())
    }

    /// A session ended: its lock and its uncommitted changes vanish (Junos behaviour for
    /// `configure private`/exclusive and for NETCONF sessions that die).
    pub fn session_ended(&mut self, session_id: u32) {
        self.sessions.remove(&session_id);
        self.private.remove(&session_id);
        if self.lock_holder == Some(session_id) {
            self.lock_holder = None;
        }
        if self.candidate_owner == Some(session_id) {
            self.candidate = self.running.clone();
            self.candidate_owner = None;
        }
    }
}
