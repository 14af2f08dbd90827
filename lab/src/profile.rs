//! `--profile`: how the simulated devices are timed, and the network in front of them.

use std::time::Duration;

use junos_sim::Timing;

/// A bench or sim profile.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Profile {
    /// No artificial delay: measures software cost.
    Instant,
    /// Calibrated to published vMX figures (see simulator/src/profile.rs).
    Vmx,
    /// vmx devices behind a fault proxy adding a 20-50 ms round trip.
    Wan,
}

/// The `wan` profile adds 10-25 ms each way (a round trip of 20-50 ms, 35 ms on average).
pub const WAN_ONE_WAY: Duration = Duration::from_micros(17_500);
/// The jitter around [`WAN_ONE_WAY`].
pub const WAN_JITTER: Duration = Duration::from_micros(7_500);

impl Profile {
    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Profile::Instant => "instant",
            Profile::Vmx => "vmx",
            Profile::Wan => "wan",
        }
    }

    /// The devices' timing (wan devices are vmx devices; the network adds the rest).
    pub fn timing(self) -> Timing {
        match self {
            Profile::Instant => Timing::instant(),
            Profile::Vmx | Profile::Wan => Timing::vmx(),
        }
    }

    /// One-way latency the network adds (zero unless wan).
    pub fn one_way(self) -> Option<(Duration, Duration)> {
        (self == Profile::Wan).then_some((WAN_ONE_WAY, WAN_JITTER))
    }
}

impl std::fmt::Display for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
