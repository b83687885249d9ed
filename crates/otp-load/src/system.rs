//! The load tool's one window on the machine: the monotonic clock it measures latency with (real
//! time is what a load tool is for) and the OS random source its identifiers and wrong codes come
//! from. Everything else of the tool asks this module.
#![allow(clippy::disallowed_methods)]

use std::time::{Duration, Instant};

/// Now, on the monotonic clock.
pub fn now() -> Instant {
    Instant::now()
}

/// The time since `start`.
pub fn elapsed(start: Instant) -> Duration {
    start.elapsed()
}

/// Eight random hex digits, to tell this run's identifiers from another run's.
pub fn random_tag() -> anyhow::Result<String> {
    let mut b = [0u8; 4];
    getrandom::fill(&mut b).map_err(|e| anyhow::anyhow!("random: {e}"))?;
    Ok(b.iter().map(|x| format!("{x:02x}")).collect())
}

/// A uniform number in [0, 1) (1.0 if the OS source fails, which never picks a rare branch).
pub fn unit_random() -> f64 {
    let mut b = [0u8; 4];
    getrandom::fill(&mut b).map_or(1.0, |()| {
        f64::from(u32::from_le_bytes(b)) / (f64::from(u32::MAX) + 1.0)
    })
}

/// Now on the wall clock, in milliseconds since the Unix epoch (the server's time unit), for
/// the rows the seeding command dates.
pub fn unix_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
