//! The code HMAC key: given by configuration (`--hmac-key`, the way to keep it out of the
//! database), or generated on first start and kept in the database, so every instance on that
//! database uses the same one. A key file left by an earlier version in the data directory is
//! imported on first start, so upgrading loses no pending code.

use crate::random::Random;
use crate::store::Store;
use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use std::path::Path;

/// File name of the HMAC key kept by earlier versions in the data directory.
const HMAC_FILE: &str = "hmac.key";

/// The HMAC key of codes: from configuration, else the database's (created on first start,
/// drawn from `random`).
pub async fn hmac_key(
    store: &Store,
    data_dir: &Path,
    configured: Option<[u8; 32]>,
    random: &Random,
    now: i64,
) -> anyhow::Result<[u8; 32]> {
    if let Some(key) = configured {
        return Ok(key);
    }
    let legacy = data_dir.join(HMAC_FILE);
    let candidate = match std::fs::read_to_string(&legacy) {
        Ok(text) => {
            decode_key(text.trim()).with_context(|| format!("reading {}", legacy.display()))?
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => random.bytes()?,
        Err(e) => return Err(e).with_context(|| format!("reading {}", legacy.display())),
    };
    Ok(store.hmac_key(&candidate, now).await?)
}

/// A key written in base64 (`--hmac-key`, or an earlier version's key file).
pub fn decode_key(b64: &str) -> anyhow::Result<[u8; 32]> {
    let bytes = STANDARD.decode(b64.trim()).context("not base64")?;
    bytes
        .try_into()
        .map_err(|_| anyhow::anyhow!("not 32 bytes"))
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn store(dir: &Path) -> Store {
        crate::store::connect(&format!("sqlite://{}", dir.join("otp.db").display()), 2)
            .await
            .expect("store")
    }

    #[tokio::test]
    async fn the_key_is_created_once_and_kept() {
        let dir = tempfile::tempdir().expect("tempdir");
        let first = hmac_key(&store(dir.path()).await, dir.path(), None, &Random::os(), 0)
            .await
            .expect("create");
        let again = hmac_key(&store(dir.path()).await, dir.path(), None, &Random::os(), 1)
            .await
            .expect("load");
        assert_eq!(first, again);
    }

    #[tokio::test]
    async fn a_configured_key_wins_and_an_old_key_file_is_imported() {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = store(dir.path()).await;
        assert_eq!(
            hmac_key(&s, dir.path(), Some([9u8; 32]), &Random::os(), 0)
                .await
                .expect("configured"),
            [9u8; 32]
        );
        std::fs::write(dir.path().join(HMAC_FILE), STANDARD.encode([7u8; 32])).expect("write");
        assert_eq!(
            hmac_key(&s, dir.path(), None, &Random::os(), 0)
                .await
                .expect("imported"),
            [7u8; 32]
        );
    }
}
