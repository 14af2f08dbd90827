//! Wall-clock time as Junos prints it, and as our reports stamp it: seconds since the
//! epoch, and UTC dates (`2026-12-07 01:45:10 UTC`).

use std::time::SystemTime;

/// Seconds since 1970-01-01 UTC.
pub fn unix_now() -> u64 {
    unix_secs(SystemTime::now())
}

/// A time as seconds since 1970-01-01 UTC (0 before it).
pub fn unix_secs(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// UTC fields of a time in seconds since the epoch: year, month, day, hours, minutes,
/// seconds.
pub fn utc_fields(secs: u64) -> (i64, u64, u64, u64, u64, u64) {
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    (y, m, d, rem / 3600, rem % 3600 / 60, rem % 60)
}

/// A time as Junos writes it in replies: `2026-12-07 01:45:10 UTC`.
pub fn junos_time(secs: u64) -> String {
    let (y, m, d, hh, mm, ss) = utc_fields(secs);
    format!("{y:04}-{m:02}-{d:02} {hh:02}:{mm:02}:{ss:02} UTC")
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u64, u64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m as u64, d as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates_come_out_as_the_calendar_has_them() {
        assert_eq!(junos_time(0), "1970-01-01 00:00:00 UTC");
        // 2000-02-29 (a leap day of a century year divisible by 400), 12:34:56.
        assert_eq!(junos_time(951_827_696), "2000-02-29 12:34:56 UTC");
        // 2026-12-07 01:45:10.
        assert_eq!(junos_time(1_796_607_910), "2026-12-07 01:45:10 UTC");
        assert_eq!(utc_fields(86_399), (1970, 1, 1, 23, 59, 59));
    }
}
