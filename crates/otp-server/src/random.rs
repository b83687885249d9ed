//! Randomness as a parameter: codes, ids, client tokens, keys, nonces and retry jitter are all
//! drawn from one [`Random`], built at startup and kept in the application state. In production
//! it is the OS CSPRNG; tests give the server a [`Random::seeded`] one, so what it draws is
//! reproducible. This module holds the server's only call to `getrandom`.

use chacha20::ChaCha20Rng;
use chacha20::rand_core::{Rng, SeedableRng};
use std::sync::{Arc, Mutex};

/// The source of every random byte the server uses; cheap to clone (clones share the source).
#[derive(Clone, Default)]
pub struct Random(Source);

#[derive(Clone, Default)]
enum Source {
    /// The operating system's CSPRNG, read on every draw.
    #[default]
    Os,
    /// A ChaCha20 stream from a fixed seed, shared by the clones.
    Seeded(Arc<Mutex<ChaCha20Rng>>),
}

impl Random {
    /// The OS CSPRNG: what a server must use.
    pub fn os() -> Self {
        Self(Source::Os)
    }

    /// A deterministic stream (ChaCha20) from `seed`, for tests: the same seed draws the same
    /// codes, ids and tokens in the same order of draws (requests one after another; the
    /// delivery worker's jitter and concurrent requests interleave). Never for a real server,
    /// whose secrets it would make guessable: the server refuses it outside dev mode.
    pub fn seeded(seed: u64) -> Self {
        Self(Source::Seeded(Arc::new(Mutex::new(
            ChaCha20Rng::seed_from_u64(seed),
        ))))
    }

    /// A deterministic ChaCha20 stream from a secret 32-byte seed, for values that must come out
    /// the same each time yet look drawn like the others (a decoy sign-in's factor id, derived
    /// from the server key and the identifier). Never for secrets.
    pub fn derived(seed: [u8; 32]) -> Self {
        Self(Source::Seeded(Arc::new(Mutex::new(
            ChaCha20Rng::from_seed(seed),
        ))))
    }

    /// Whether this is a [`Random::seeded`] stream.
    pub fn is_seeded(&self) -> bool {
        matches!(self.0, Source::Seeded(_))
    }

    /// Fills `dest` with random bytes.
    pub fn fill(&self, dest: &mut [u8]) -> anyhow::Result<()> {
        match &self.0 {
            Source::Os => os_fill(dest),
            Source::Seeded(rng) => {
                // A panic while drawing leaves the stream usable: carry on with it.
                rng.lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .fill_bytes(dest);
                Ok(())
            }
        }
    }

    /// `N` random bytes.
    pub fn bytes<const N: usize>(&self) -> anyhow::Result<[u8; N]> {
        let mut bytes = [0u8; N];
        self.fill(&mut bytes)?;
        Ok(bytes)
    }

    /// A uniformly random `u32`.
    pub fn u32(&self) -> anyhow::Result<u32> {
        self.bytes().map(u32::from_le_bytes)
    }
}

/// The one place the server reads the OS random source.
#[allow(clippy::disallowed_methods)] // the single sanctioned getrandom call; all else uses Random
fn os_fill(dest: &mut [u8]) -> anyhow::Result<()> {
    getrandom::fill(dest).map_err(|e| anyhow::anyhow!("OS random source: {e}"))
}

/// Says which source it is, never its state (a seeded stream's state would give away every
/// value it is still to draw).
impl std::fmt::Debug for Random {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Source::Os => f.write_str("Random(os)"),
            Source::Seeded(_) => f.write_str("Random(seeded, <state redacted>)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_draws_the_same_bytes() {
        let (a, b) = (Random::seeded(7), Random::seeded(7));
        let first: [u8; 32] = a.bytes().expect("draw");
        assert_eq!(first, b.bytes::<32>().expect("draw"));
        assert_eq!(a.u32().expect("draw"), b.u32().expect("draw"));
        assert_ne!(first, Random::seeded(8).bytes::<32>().expect("draw"));
    }

    #[test]
    fn clones_share_one_stream() {
        let a = Random::seeded(7);
        let b = a.clone();
        let fresh = Random::seeded(7);
        assert_eq!(a.u32().expect("draw"), fresh.u32().expect("draw"));
        // `b` continues where `a` stopped, as `fresh` does.
        assert_eq!(b.u32().expect("draw"), fresh.u32().expect("draw"));
    }

    #[test]
    fn the_os_source_varies() {
        let random = Random::os();
        assert_ne!(
            random.bytes::<32>().expect("draw"),
            random.bytes::<32>().expect("draw")
        );
    }

    #[test]
    fn debug_output_shows_no_state() {
        assert_eq!(format!("{:?}", Random::os()), "Random(os)");
        assert_eq!(
            format!("{:?}", Random::seeded(7)),
            "Random(seeded, <state redacted>)"
        );
    }
}
