//! The arithmetic of send limits and lock-outs, as pure functions over timestamps read from the
//! database (so limits hold across restarts and, later, across instances).

/// Limits on sending codes to one scope (an identifier or a client IP).
#[derive(Debug, Clone, Copy)]
pub struct SendLimits {
    /// Minimum time between two sends (ms); 0 for none.
    pub min_interval_ms: i64,
    /// Maximum sends in any rolling hour; `u32::MAX` for none.
    pub per_hour: u32,
}

/// One hour in ms: the window of `per_hour`.
pub const HOUR_MS: i64 = 3_600_000;

/// Whether one more send is allowed now, given the times of earlier sends in the last hour
/// (any order). `Err(seconds)` says how long to wait, rounded up, at least 1.
pub fn check_send(earlier: &[i64], now: i64, limits: SendLimits) -> Result<(), u64> {
    let in_window: Vec<i64> = earlier
        .iter()
        .copied()
        .filter(|t| *t > now - HOUR_MS)
        .collect();
    let mut wait_until = now;
    if let Some(last) = in_window.iter().max() {
        wait_until = wait_until.max(last + limits.min_interval_ms);
    }
    if in_window.len() >= limits.per_hour as usize {
        let mut sorted = in_window.clone();
        sorted.sort_unstable();
        // The send that must leave the window before another fits.
        let idx = sorted.len() - limits.per_hour as usize;
        wait_until = wait_until.max(sorted[idx] + HOUR_MS);
    }
    if wait_until > now {
        Err(ceil_secs(wait_until - now))
    } else {
        Ok(())
    }
}

/// Lock-out state of an identifier after consecutive failed codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Lockout {
    /// Consecutive wrong codes since the last success or lock.
    pub failures: u32,
    /// Locked until this time (ms), if locked.
    pub locked_until: Option<i64>,
}

impl Lockout {
    /// Seconds left on the lock at `now`, if locked.
    pub fn remaining_secs(&self, now: i64) -> Option<u64> {
        self.locked_until
            .filter(|until| *until > now)
            .map(|until| ceil_secs(until - now))
    }

    /// The state after one more wrong code: at `threshold` failures the identifier locks for
    /// `duration_ms` and the count starts again.
    pub fn after_failure(self, now: i64, threshold: u32, duration_ms: i64) -> Self {
        let failures = self.failures + 1;
        if failures >= threshold {
            Self {
                failures: 0,
                locked_until: Some(now + duration_ms),
            }
        } else {
            Self {
                failures,
                locked_until: self.locked_until,
            }
        }
    }
}

/// Milliseconds to whole seconds, rounded up, at least 1 (a `Retry-After: 0` invites a retry
/// that would be refused again).
pub fn ceil_secs(ms: i64) -> u64 {
    u64::try_from((ms + 999) / 1000).unwrap_or(0).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: SendLimits = SendLimits {
        min_interval_ms: 30_000,
        per_hour: 5,
    };

    #[test]
    fn the_first_send_is_allowed() {
        assert_eq!(check_send(&[], 0, LIMITS), Ok(()));
    }

    #[test]
    fn a_second_send_waits_thirty_seconds() {
        assert_eq!(check_send(&[0], 1_000, LIMITS), Err(29));
        assert_eq!(check_send(&[0], 29_999, LIMITS), Err(1));
        assert_eq!(check_send(&[0], 30_000, LIMITS), Ok(()));
    }

    #[test]
    fn the_sixth_send_in_an_hour_waits_for_the_first_to_age_out() {
        let sends = [0, 60_000, 120_000, 180_000, 240_000];
        assert_eq!(check_send(&sends, 300_000, LIMITS), Err(3_300));
        assert_eq!(check_send(&sends, HOUR_MS, LIMITS), Ok(()));
    }

    #[test]
    fn sends_older_than_an_hour_do_not_count() {
        let sends = [
            -HOUR_MS,
            -HOUR_MS + 1,
            -HOUR_MS + 2,
            -HOUR_MS + 3,
            -HOUR_MS + 4,
        ];
        assert_eq!(check_send(&sends, 10, LIMITS), Ok(()));
    }

    #[test]
    fn the_hundredth_failure_locks_for_an_hour() {
        let mut l = Lockout::default();
        for _ in 0..99 {
            l = l.after_failure(0, 100, HOUR_MS);
        }
        assert_eq!(l.remaining_secs(0), None);
        l = l.after_failure(0, 100, HOUR_MS);
        assert_eq!(l.remaining_secs(0), Some(3_600));
        assert_eq!(l.remaining_secs(HOUR_MS), None);
    }
}
