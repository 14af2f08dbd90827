//! The open-files limit: raised to the hard limit at start, and checked against what a
//! run needs before it starts, so that a run the limit cannot hold fails at once with the
//! arithmetic instead of failing half its sessions after a minute.

/// Open-files limits of this process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoFile {
    /// The limit in force.
    pub soft: u64,
    /// The most it can be raised to without privileges.
    pub hard: u64,
}

/// File descriptors kept aside for everything else (stdio, the runtime, logs, clients).
pub const SPARE_FDS: u64 = 64;

/// Raise the soft open-files limit to the hard limit, and return the limits after.
pub fn raise_nofile() -> NoFile {
    let mut r = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit only read and write the struct passed by pointer,
    // which lives on this stack frame for the duration of each call.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut r) != 0 {
            return NoFile {
                soft: 1024,
                hard: 1024,
            };
        }
        if r.rlim_cur < r.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: r.rlim_max,
                rlim_max: r.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                r.rlim_cur = r.rlim_max;
            }
        }
    }
    NoFile {
        soft: r.rlim_cur,
        hard: r.rlim_max,
    }
}

/// Fail when `devices` x `per_device` sockets (plus [`SPARE_FDS`]) do not fit `limit`,
/// with the arithmetic and what to do instead. `why` says what the per-device sockets are.
pub fn check_fds(
    what: &str,
    devices: usize,
    per_device: u64,
    why: &str,
    limit: NoFile,
    instead: &str,
) -> Result<(), String> {
    let need = devices as u64 * per_device + SPARE_FDS;
    if need <= limit.soft {
        return Ok(());
    }
    let fits = limit.soft.saturating_sub(SPARE_FDS) / per_device.max(1);
    Err(format!(
        "{what}: {devices} devices x {per_device} sockets per device ({why}) + {SPARE_FDS} spare = {need} file descriptors, but this process may open {} (hard limit {}; `ulimit -n` cannot go past the hard limit). At most {fits} devices fit here. {instead}",
        limit.soft, limit.hard
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_is_raised_to_the_hard_one() {
        let l = raise_nofile();
        assert_eq!(l.soft, l.hard);
        assert_eq!(raise_nofile(), l, "raising twice changes nothing");
    }

    #[test]
    fn a_run_past_the_limit_fails_with_the_arithmetic() {
        let l = NoFile {
            soft: 20_000,
            hard: 20_000,
        };
        assert!(check_fds("scale", 6_000, 3, "x", l, "").is_ok());
        let e = check_fds(
            "scale",
            10_000,
            3,
            "a listener, the server's socket, the client's socket",
            l,
            "Shard it.",
        )
        .unwrap_err();
        assert!(e.contains("10000 devices x 3 sockets per device"), "{e}");
        assert!(e.contains("= 30064 file descriptors"), "{e}");
        assert!(
            e.contains("may open 20000") && e.contains("At most 6645 devices fit here. Shard it."),
            "{e}"
        );
    }
}
