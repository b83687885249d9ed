//! The arithmetic of send limits, lock-outs and SMS-pumping detection, as pure functions over
//! timestamps and counts read from the database (so limits hold across restarts and instances),
//! and the keys they count under: a caller's address masked to its network prefix, a phone
//! number cut to its destination prefix.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

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

/// The key a caller's address counts under for per-IP limits: the address masked to its first
/// `v4_bits` (IPv4) or `v6_bits` (IPv6) bits, as `203.0.113.7/32` or `2001:db8:1:2::/64`.
/// One IPv6 host usually holds a whole /64, so counting exact IPv6 addresses would give it
/// 2^64 budgets; an IPv4-mapped IPv6 address (`::ffff:203.0.113.7`, what a dual-stack socket
/// reports) is the IPv4 address it maps. Bits beyond the address's length count as its length.
pub fn ip_key(ip: IpAddr, v4_bits: u8, v6_bits: u8) -> String {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    };
    match ip {
        IpAddr::V4(v4) => {
            let bits = v4_bits.min(32);
            let mask = u32::MAX.checked_shl(32 - u32::from(bits)).unwrap_or(0);
            format!("{}/{bits}", Ipv4Addr::from(u32::from(v4) & mask))
        }
        IpAddr::V6(v6) => {
            let bits = v6_bits.min(128);
            let mask = u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0);
            format!("{}/{bits}", Ipv6Addr::from(u128::from(v6) & mask))
        }
    }
}

/// The destination prefix of an E.164 number for SMS-pumping detection: the country calling
/// code and the next `digits` digits, as `+1 202` (a US area code) or `+44 740`. Pumping runs
/// through number ranges a carrier leases out, which share such a prefix; a person's number
/// never appears in it beyond those digits, so it can be logged.
pub fn sms_prefix(e164: &str, calling_code: u16, digits: usize) -> String {
    let code = calling_code.to_string();
    let national = e164
        .strip_prefix('+')
        .and_then(|n| n.strip_prefix(code.as_str()))
        .unwrap_or("");
    let next: String = national
        .chars()
        .filter(char::is_ascii_digit)
        .take(digits)
        .collect();
    format!("+{code} {next}")
}

/// When a destination prefix looks pumped: at least `min_sends` codes sent to it in the window,
/// and fewer than `min_verify_percent` % of them verified. People who ask for a code type it
/// back most of the time; numbers an attacker makes us text (premium ranges that pay him per
/// message received) never do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PumpingRule {
    /// Sends in the window before the rate is judged (fewer say nothing).
    pub min_sends: u32,
    /// The verification rate (percent) below which the prefix is blocked.
    pub min_verify_percent: u32,
}

impl PumpingRule {
    /// Whether `sends` codes with `verified` of them typed back look like pumping.
    pub fn looks_pumped(self, sends: usize, verified: usize) -> bool {
        let (sends, verified) = (sends as u128, verified as u128);
        sends >= u128::from(self.min_sends.max(1))
            && verified * 100 < u128::from(self.min_verify_percent) * sends
    }
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

    #[test]
    fn ipv4_addresses_count_alone_by_default_and_by_network_when_asked() {
        let ip: IpAddr = "203.0.113.77".parse().expect("ip");
        assert_eq!(ip_key(ip, 32, 64), "203.0.113.77/32");
        assert_eq!(ip_key(ip, 24, 64), "203.0.113.0/24");
        assert_eq!(ip_key(ip, 0, 64), "0.0.0.0/0");
    }

    #[test]
    fn an_ipv6_host_counts_as_its_slash_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().expect("ip");
        let b: IpAddr = "2001:db8:1:2:ffff:ffff:ffff:ffff".parse().expect("ip");
        let other: IpAddr = "2001:db8:1:3::1".parse().expect("ip");
        assert_eq!(ip_key(a, 32, 64), "2001:db8:1:2::/64");
        assert_eq!(ip_key(a, 32, 64), ip_key(b, 32, 64));
        assert_ne!(ip_key(a, 32, 64), ip_key(other, 32, 64));
        assert_eq!(ip_key(a, 32, 128), "2001:db8:1:2:aaaa::1/128");
        assert_eq!(ip_key(a, 32, 48), ip_key(other, 32, 48));
    }

    #[test]
    fn an_ipv4_mapped_ipv6_address_counts_as_its_ipv4_address() {
        let mapped: IpAddr = "::ffff:203.0.113.77".parse().expect("ip");
        let v4: IpAddr = "203.0.113.77".parse().expect("ip");
        assert_eq!(ip_key(mapped, 32, 64), ip_key(v4, 32, 64));
    }

    #[test]
    fn a_destination_prefix_is_the_calling_code_and_the_next_digits() {
        assert_eq!(sms_prefix("+12025550143", 1, 3), "+1 202");
        assert_eq!(sms_prefix("+447400123456", 44, 3), "+44 740");
        assert_eq!(sms_prefix("+447400123456", 44, 0), "+44 ");
        assert_eq!(sms_prefix("+12025550143", 1, 50), "+1 2025550143");
    }

    #[test]
    fn a_prefix_looks_pumped_only_past_the_minimum_with_a_low_verify_rate() {
        let rule = PumpingRule {
            min_sends: 20,
            min_verify_percent: 20,
        };
        assert!(!rule.looks_pumped(19, 0), "too few sends to judge");
        assert!(rule.looks_pumped(20, 0));
        assert!(rule.looks_pumped(20, 3), "15 %");
        assert!(!rule.looks_pumped(20, 4), "exactly 20 % is enough");
        assert!(!rule.looks_pumped(1_000, 900));
    }
}
