//! Object ids in Clerk's style: a type prefix and 24 random base62 characters
//! (`user_…`, `sess_…`), so an id says what it names and cannot be guessed.

use crate::random::Random;

/// Alphabet of the random part.
const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Length of the random part: 24 base62 characters carry about 143 bits.
const RANDOM_LEN: usize = 24;

/// A new id with the given prefix, drawn from `random`.
pub fn new_id(random: &Random, prefix: &str) -> anyhow::Result<String> {
    let mut id = String::with_capacity(prefix.len() + 1 + RANDOM_LEN);
    id.push_str(prefix);
    id.push('_');
    while id.len() < prefix.len() + 1 + RANDOM_LEN {
        let bytes: [u8; 32] = random.bytes()?;
        // 248 = 4 * 62: rejecting larger bytes keeps every character equally likely.
        for b in bytes.into_iter().filter(|b| *b < 248) {
            if id.len() == prefix.len() + 1 + RANDOM_LEN {
                break;
            }
            id.push(ALPHABET[usize::from(b % 62)] as char);
        }
    }
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_carry_their_prefix_and_differ() {
        let random = Random::os();
        let a = new_id(&random, "user").expect("random");
        let b = new_id(&random, "user").expect("random");
        assert!(a.starts_with("user_"));
        assert_eq!(a.len(), "user_".len() + RANDOM_LEN);
        assert!(a[5..].bytes().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(a, b);
    }

    #[test]
    fn a_seeded_source_draws_the_same_ids() {
        let draw = |seed| {
            let random = Random::seeded(seed);
            ["user", "sess", "client"].map(|prefix| new_id(&random, prefix).expect("random"))
        };
        assert_eq!(draw(42), draw(42));
        assert_ne!(draw(42), draw(43));
        assert!(draw(42)[1].starts_with("sess_"));
    }
}
