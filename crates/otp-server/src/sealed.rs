//! Sealing what must be stored but not read: the outbox keeps each code until it is sent, and a
//! copy of the database must not reveal it. ChaCha20-Poly1305 with a key derived from the server
//! secret, a random nonce per message, and the message's owner as associated data.

use crate::random::Random;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Seals and opens small payloads.
#[derive(Clone)]
pub struct Sealer {
    cipher: ChaCha20Poly1305,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(<key redacted>)")
    }
}

impl Sealer {
    /// A sealer whose key is derived from the server's secret key (so there is no new secret to
    /// keep, and the code HMAC key itself is never used for encryption).
    pub fn derive(secret: &[u8; 32]) -> Self {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(secret).expect("HMAC takes any key length");
        mac.update(b"otp-server outbox sealing key v1");
        let key = mac.finalize().into_bytes();
        Self {
            cipher: ChaCha20Poly1305::new(&Key::from(<[u8; 32]>::from(key))),
        }
    }

    /// `nonce ‖ ciphertext` of `plain`, bound to `context`, with a nonce drawn from `random`.
    pub fn seal(&self, random: &Random, context: &str, plain: &[u8]) -> anyhow::Result<Vec<u8>> {
        let nonce: [u8; 12] = random.bytes()?;
        let sealed = self
            .cipher
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: plain,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| anyhow::anyhow!("sealing failed"))?;
        Ok([nonce.as_slice(), &sealed].concat())
    }

    /// The plain text, if `sealed` was sealed by this key for `context`.
    pub fn open(&self, context: &str, sealed: &[u8]) -> Option<Vec<u8>> {
        let (nonce, body) = sealed.split_at_checked(12)?;
        self.cipher
            .decrypt(
                &Nonce::from(<[u8; 12]>::try_from(nonce).ok()?),
                Payload {
                    msg: body,
                    aad: context.as_bytes(),
                },
            )
            .ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_payloads_open_only_with_the_same_key_and_context() {
        let sealer = Sealer::derive(&[1; 32]);
        let random = Random::os();
        let sealed = sealer.seal(&random, "sua_1", b"123456").expect("seal");
        assert!(
            !sealed.windows(6).any(|w| w == b"123456"),
            "no plain text inside"
        );
        assert_eq!(
            sealer.open("sua_1", &sealed).as_deref(),
            Some(&b"123456"[..])
        );
        assert_eq!(sealer.open("sua_2", &sealed), None);
        assert_eq!(Sealer::derive(&[2; 32]).open("sua_1", &sealed), None);
        assert_ne!(
            sealer.seal(&random, "sua_1", b"123456").expect("seal"),
            sealed,
            "fresh nonce each time"
        );
    }
}
