//! The server's secrets: the HMAC key for codes and the Ed25519 key that signs session JWTs.
//! Generated on first start and kept in the data directory (files readable by the owner only),
//! or given by configuration, so a restart keeps codes verifiable and tokens valid.

use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use sha2::{Digest, Sha256};
use std::fmt;
use std::path::Path;

/// File name of the HMAC key (32 bytes, base64) in the data directory.
const HMAC_FILE: &str = "hmac.key";
/// File name of the JWT signing key (PKCS#8 PEM) in the data directory.
const JWT_FILE: &str = "jwt-ed25519.pem";

/// The secrets, with a redacting `Debug`.
#[derive(Clone)]
pub struct Secrets {
    /// Key of the code HMAC.
    pub hmac_key: [u8; 32],
    /// Key that signs session tokens.
    pub jwt_key: SigningKey,
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secrets(<redacted>)")
    }
}

impl Secrets {
    /// Loads the secrets from `dir`, creating any that are missing. A key given in
    /// configuration (`hmac_key_b64`) wins over the file.
    pub fn load_or_create(dir: &Path, hmac_key_b64: Option<&str>) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("creating data directory {}", dir.display()))?;
        let hmac_key = match hmac_key_b64 {
            Some(b64) => decode_key(b64).context("OTP_HMAC_KEY must be 32 bytes in base64")?,
            None => {
                let path = dir.join(HMAC_FILE);
                match std::fs::read_to_string(&path) {
                    Ok(text) => decode_key(text.trim())
                        .with_context(|| format!("reading {}", path.display()))?,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                        let key = random_key()?;
                        write_private(&path, STANDARD.encode(key).as_bytes())?;
                        key
                    }
                    Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
                }
            }
        };
        let path = dir.join(JWT_FILE);
        let jwt_key = match std::fs::read_to_string(&path) {
            Ok(pem) => SigningKey::from_pkcs8_pem(&pem)
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = SigningKey::from_bytes(&random_key()?);
                let pem = key
                    .to_pkcs8_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
                    .map_err(|e| anyhow::anyhow!("encoding the JWT key: {e}"))?;
                write_private(&path, pem.as_bytes())?;
                key
            }
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        };
        Ok(Self { hmac_key, jwt_key })
    }

    /// The key id published in the JWKS and in each JWT header: the first 16 bytes of the
    /// SHA-256 of the public key, base64url.
    pub fn jwt_kid(&self) -> String {
        let digest = Sha256::digest(self.jwt_key.verifying_key().as_bytes());
        URL_SAFE_NO_PAD.encode(&digest[..16])
    }
}

fn decode_key(b64: &str) -> anyhow::Result<[u8; 32]> {
    let bytes = STANDARD.decode(b64.trim()).context("not base64")?;
    bytes
        .try_into()
        .map_err(|_| anyhow::anyhow!("not 32 bytes"))
}

fn random_key() -> anyhow::Result<[u8; 32]> {
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).map_err(|e| anyhow::anyhow!("OS random source: {e}"))?;
    Ok(key)
}

/// Writes a file that only its owner can read, never following a leftover file's permissions.
fn write_private(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.write_all(contents)
        .with_context(|| format!("writing {}", path.display()))?;
    file.sync_all()
        .with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_survive_a_restart() {
        let dir = tempfile::tempdir().expect("tempdir");
        let first = Secrets::load_or_create(dir.path(), None).expect("create");
        let again = Secrets::load_or_create(dir.path(), None).expect("load");
        assert_eq!(first.hmac_key, again.hmac_key);
        assert_eq!(first.jwt_kid(), again.jwt_kid());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(HMAC_FILE))
                .expect("file")
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "secret files are private to their owner");
        }
    }

    #[test]
    fn a_configured_hmac_key_wins() {
        let dir = tempfile::tempdir().expect("tempdir");
        let key = STANDARD.encode([9u8; 32]);
        let s = Secrets::load_or_create(dir.path(), Some(&key)).expect("load");
        assert_eq!(s.hmac_key, [9u8; 32]);
        assert!(!format!("{s:?}").contains(&key));
    }
}
