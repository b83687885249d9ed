//! One-time codes as pure functions: generation, keyed hashing, and the judgement of an attempt.
//! Nothing here does I/O, reads the clock or the OS random source: `now` and the [`Random`] are
//! parameters.

use crate::random::Random;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::fmt;

/// Number of digits in a code.
pub const CODE_DIGITS: usize = 6;

/// A code in clear. Its `Debug` is redacted so it cannot slip into a log line.
#[derive(Clone, PartialEq, Eq)]
pub struct Code(String);

impl Code {
    /// A fresh, uniformly random six-digit code drawn from `random`.
    pub fn generate(random: &Random) -> anyhow::Result<Self> {
        const RANGE: u32 = 1_000_000;
        // Largest multiple of RANGE that fits in u32: values at or above it are redrawn, so
        // every code is equally likely.
        const LIMIT: u32 = u32::MAX - (u32::MAX % RANGE);
        loop {
            let n = random.u32()?;
            if n < LIMIT {
                return Ok(Self(format!("{:06}", n % RANGE)));
            }
        }
    }

    /// Accepts what a user typed, ignoring spaces and dashes (`123 456`, `123-456`).
    pub fn parse(input: &str) -> Option<Self> {
        let digits: String = input.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        (digits.len() == CODE_DIGITS && digits.bytes().all(|b| b.is_ascii_digit()))
            .then_some(Self(digits))
    }

    /// The digits, for the message that delivers them.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Code(******)")
    }
}

/// Keyed hashing of codes: the database holds `HMAC-SHA256(key, attempt id ‖ code)`, so a leaked
/// database does not reveal codes (a million candidates are nothing without the key), and a code
/// is bound to the one sign-up or sign-in that prepared it.
#[derive(Clone)]
pub struct CodeHasher {
    key: [u8; 32],
}

impl CodeHasher {
    /// A hasher with the server's secret key.
    pub fn new(key: [u8; 32]) -> Self {
        Self { key }
    }

    fn mac(&self, owner_id: &str, code: &Code) -> Hmac<Sha256> {
        // HMAC accepts keys of any length, so this cannot fail.
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(owner_id.as_bytes());
        mac.update(b"\0");
        mac.update(code.0.as_bytes());
        mac
    }

    /// The value to store for a code prepared for `owner_id`.
    pub fn hash(&self, owner_id: &str, code: &Code) -> Vec<u8> {
        self.mac(owner_id, code).finalize().into_bytes().to_vec()
    }

    /// A value derived from the server key for `label` and `value`: the same on every call and
    /// every instance, unknowable without the key (a decoy sign-in's factor id is drawn from it).
    /// No owner id contains a NUL, so it never equals a code's hash.
    pub fn derive(&self, label: &str, value: &str) -> [u8; 32] {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(b"\0derive\0");
        mac.update(label.as_bytes());
        mac.update(b"\0");
        mac.update(value.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// Whether `code` is the one stored for `owner_id`, compared in constant time.
    pub fn verify(&self, owner_id: &str, code: &Code, stored: &[u8]) -> bool {
        self.mac(owner_id, code).verify_slice(stored).is_ok()
    }
}

impl fmt::Debug for CodeHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CodeHasher(<key redacted>)")
    }
}

/// Where a stored code stands, as far as judging an attempt needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeState {
    /// Waiting for the right code.
    Pending,
    /// Already used.
    Verified,
    /// Voided by too many wrong attempts.
    Failed,
    /// Marked expired.
    Expired,
}

/// The facts about a stored code needed to judge an attempt.
#[derive(Debug, Clone, Copy)]
pub struct StoredCode {
    /// Its state.
    pub state: CodeState,
    /// Wrong attempts so far.
    pub attempts: u32,
    /// Expiry (ms).
    pub expire_at: i64,
}

/// What an attempt comes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Judgement {
    /// The right code, in time: the code becomes used.
    Correct,
    /// A wrong code; `remaining` more may be tried.
    Incorrect {
        /// Attempts left for this code.
        remaining: u32,
    },
    /// A wrong code that used up the last attempt: the code is now void.
    NowFailed,
    /// The code was already void.
    Failed,
    /// The code expired (at or after `expire_at`).
    Expired,
    /// The code was already used.
    AlreadyVerified,
}

/// Judges an attempt. `matches` is only called for a live code, so an expired or used code
/// never reveals whether the guess was right.
pub fn judge(
    code: StoredCode,
    now: i64,
    max_attempts: u32,
    matches: impl FnOnce() -> bool,
) -> Judgement {
    match code.state {
        CodeState::Verified => return Judgement::AlreadyVerified,
        CodeState::Failed => return Judgement::Failed,
        CodeState::Expired => return Judgement::Expired,
        CodeState::Pending => {}
    }
    if now >= code.expire_at {
        return Judgement::Expired;
    }
    if code.attempts >= max_attempts {
        return Judgement::Failed;
    }
    if matches() {
        return Judgement::Correct;
    }
    let used = code.attempts + 1;
    if used >= max_attempts {
        Judgement::NowFailed
    } else {
        Judgement::Incorrect {
            remaining: max_attempts - used,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_digits_and_vary() {
        let random = Random::os();
        let codes: Vec<String> = (0..200)
            .map(|_| Code::generate(&random).expect("random").0)
            .collect();
        assert!(
            codes
                .iter()
                .all(|c| c.len() == 6 && c.bytes().all(|b| b.is_ascii_digit()))
        );
        let distinct: std::collections::HashSet<_> = codes.iter().collect();
        assert!(
            distinct.len() > 190,
            "200 random codes should rarely collide"
        );
    }

    #[test]
    fn a_seeded_source_draws_the_same_codes() {
        let draw = |seed| {
            let random = Random::seeded(seed);
            (0..5)
                .map(|_| Code::generate(&random).expect("random").0)
                .collect::<Vec<_>>()
        };
        assert_eq!(draw(42), draw(42));
        assert_ne!(draw(42), draw(43));
    }

    #[test]
    fn typed_codes_tolerate_spaces_and_dashes_only() {
        assert_eq!(Code::parse("123 456").map(|c| c.0), Some("123456".into()));
        assert_eq!(Code::parse("123-456").map(|c| c.0), Some("123456".into()));
        assert!(Code::parse("12345").is_none());
        assert!(Code::parse("1234567").is_none());
        assert!(Code::parse("12a456").is_none());
    }

    #[test]
    fn a_code_verifies_only_for_its_owner_and_key() {
        let hasher = CodeHasher::new([7; 32]);
        let code = Code::parse("123456").expect("code");
        let stored = hasher.hash("sua_1", &code);
        assert!(hasher.verify("sua_1", &code, &stored));
        assert!(!hasher.verify("sua_2", &code, &stored));
        assert!(!hasher.verify("sua_1", &Code::parse("123457").expect("code"), &stored));
        assert!(!CodeHasher::new([8; 32]).verify("sua_1", &code, &stored));
        assert_ne!(stored, code.0.as_bytes(), "the code itself is never stored");
    }

    #[test]
    fn debug_output_never_shows_a_code() {
        let code = Code::parse("987654").expect("code");
        assert!(!format!("{code:?}").contains("987654"));
    }

    fn pending(attempts: u32) -> StoredCode {
        StoredCode {
            state: CodeState::Pending,
            attempts,
            expire_at: 1_000,
        }
    }

    #[test]
    fn expiry_happens_exactly_at_the_deadline() {
        assert_eq!(judge(pending(0), 999, 3, || true), Judgement::Correct);
        assert_eq!(judge(pending(0), 1_000, 3, || true), Judgement::Expired);
    }

    #[test]
    fn the_third_wrong_code_voids_the_code() {
        assert_eq!(
            judge(pending(0), 0, 3, || false),
            Judgement::Incorrect { remaining: 2 }
        );
        assert_eq!(
            judge(pending(1), 0, 3, || false),
            Judgement::Incorrect { remaining: 1 }
        );
        assert_eq!(judge(pending(2), 0, 3, || false), Judgement::NowFailed);
        assert_eq!(judge(pending(3), 0, 3, || true), Judgement::Failed);
    }

    #[test]
    fn used_or_void_codes_are_never_compared() {
        for state in [CodeState::Verified, CodeState::Failed, CodeState::Expired] {
            let code = StoredCode {
                state,
                ..pending(0)
            };
            let j = judge(code, 0, 3, || panic!("must not compare"));
            assert_ne!(j, Judgement::Correct);
        }
    }
}
