//! Credentials: the client token handed to devices and the Backend API's secret keys handed to
//! the app developer's servers (256 random bits each, stored only as a SHA-256 hash), and the
//! short-lived session JWT (EdDSA), verifiable offline with the published JWKS.

use crate::random::Random;
use crate::store::Store;
use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use ed25519_dalek::{Signer, SigningKey};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::fmt;
use std::path::Path;
use std::sync::RwLock;

/// A device's client token in clear: it exists only in the request or response that carries it.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientToken(String);

impl ClientToken {
    /// A new token: 32 bytes drawn from `random`, base64url (43 characters).
    pub fn generate(random: &Random) -> anyhow::Result<Self> {
        let bytes: [u8; 32] = random.bytes()?;
        Ok(Self(URL_SAFE_NO_PAD.encode(bytes)))
    }

    /// Reads a token from an `Authorization` header value (`<token>` or `Bearer <token>`).
    /// Anything that cannot be one of ours is `None`, and the caller treats it as no token.
    pub fn from_header(value: &str) -> Option<Self> {
        let value = value.trim();
        let token = value.strip_prefix("Bearer ").unwrap_or(value).trim();
        (token.len() == 43
            && token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
        .then(|| Self(token.to_owned()))
    }

    /// The value to store and look up: SHA-256 is enough for 256 random bits.
    pub fn hash(&self) -> Vec<u8> {
        Sha256::digest(self.0.as_bytes()).to_vec()
    }

    /// The token, for the `Authorization` response header.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ClientToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClientToken(<redacted>)")
    }
}

/// A Backend API secret key in clear (`sk_live_` and 43 base64url characters): printed once
/// when it is created, then only ever in the `Authorization` header of a server's request.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretKey(String);

impl SecretKey {
    /// What every secret key starts with.
    pub const PREFIX: &str = "sk_live_";

    /// A new key: 32 bytes drawn from `random`.
    pub fn generate(random: &Random) -> anyhow::Result<Self> {
        let bytes: [u8; 32] = random.bytes()?;
        Ok(Self(format!(
            "{}{}",
            Self::PREFIX,
            URL_SAFE_NO_PAD.encode(bytes)
        )))
    }

    /// Reads a key from an `Authorization` header value (`Bearer sk_live_…`); anything else is
    /// `None`.
    pub fn from_header(value: &str) -> Option<Self> {
        let key = value.trim().strip_prefix("Bearer ")?.trim();
        let random = key.strip_prefix(Self::PREFIX)?;
        (random.len() == 43
            && random
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
        .then(|| Self(key.to_owned()))
    }

    /// The value to store and look up.
    pub fn hash(&self) -> Vec<u8> {
        Sha256::digest(self.0.as_bytes()).to_vec()
    }

    /// The last four characters, to tell keys apart in a list.
    pub fn hint(&self) -> String {
        format!("…{}", &self.0[self.0.len() - 4..])
    }

    /// The key, to print once.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

/// The claims of a session token.
#[derive(Debug, Serialize)]
struct Claims<'a> {
    sub: &'a str,
    sid: &'a str,
    iss: &'a str,
    iat: i64,
    nbf: i64,
    exp: i64,
    /// Clerk's factor verification age: minutes since the session's user last typed a code,
    /// and `-1` for the second factor (none here). An app's server can require a recent one.
    fva: [i64; 2],
}

/// One signing key, ready to use.
struct LoadedKey {
    generation: i64,
    created_at: i64,
    /// Parsed once: parsing it (and deriving its public half) cost as much as signing.
    signing: SigningKey,
    /// The token header naming this key, base64url-encoded: the first part of every token.
    header: String,
    kid: String,
    public_x: String,
}

/// File name of the signing key kept by earlier versions in the data directory.
const JWT_FILE: &str = "jwt-ed25519.pem";

/// Signs session JWTs with the newest key of the database's key ring, rotates the ring, and
/// publishes the keys that verify tokens still alive: a new key signs; an old key stays in the
/// JWKS until every token it signed has expired.
pub struct JwtIssuer {
    keys: RwLock<Vec<LoadedKey>>,
    issuer: String,
    ttl_secs: i64,
    rotation_ms: i64,
    /// Draws the keys of rotations.
    random: Random,
}

impl fmt::Debug for JwtIssuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtIssuer")
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

impl JwtIssuer {
    /// Loads the key ring (creating the first key, or importing an earlier version's key file).
    /// New keys, now and at each rotation, are drawn from `random`.
    pub async fn load(
        store: &Store,
        data_dir: &Path,
        issuer: String,
        ttl_secs: i64,
        rotation_ms: i64,
        random: Random,
        now: i64,
    ) -> anyhow::Result<Self> {
        if store.jwt_keys().await?.is_empty() {
            let legacy = data_dir.join(JWT_FILE);
            let pem = match std::fs::read_to_string(&legacy) {
                Ok(pem) => pem,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => new_pem(&random)?,
                Err(e) => return Err(e).with_context(|| format!("reading {}", legacy.display())),
            };
            store.add_jwt_key(1, &pem, now).await?;
        }
        let issuer = Self {
            keys: RwLock::new(Vec::new()),
            issuer,
            ttl_secs,
            rotation_ms,
            random,
        };
        issuer.refresh(store, now).await?;
        Ok(issuer)
    }

    /// Rotates when the newest key is older than the rotation period (one instance wins the
    /// race; the others see its key), and reloads the ring from the database.
    pub async fn refresh(&self, store: &Store, now: i64) -> anyhow::Result<()> {
        let mut rows = store.jwt_keys().await?;
        if let Some(newest) = rows.last()
            && newest.created_at + self.rotation_ms <= now
        {
            store
                .add_jwt_key(newest.generation + 1, &new_pem(&self.random)?, now)
                .await?;
            rows = store.jwt_keys().await?;
        }
        let mut keys = Vec::with_capacity(rows.len());
        for row in rows {
            let signing = SigningKey::from_pkcs8_pem(&row.pem)
                .map_err(|e| anyhow::anyhow!("JWT key {}: {e}", row.generation))?;
            let public = signing.verifying_key();
            let kid = URL_SAFE_NO_PAD.encode(&Sha256::digest(public.as_bytes())[..16]);
            let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
            header.kid = Some(kid.clone());
            keys.push(LoadedKey {
                generation: row.generation,
                created_at: row.created_at,
                header: URL_SAFE_NO_PAD.encode(serde_json::to_vec(&header)?),
                signing,
                kid,
                public_x: URL_SAFE_NO_PAD.encode(public.as_bytes()),
            });
        }
        *self.keys.write().unwrap_or_else(|p| p.into_inner()) = keys;
        Ok(())
    }

    /// A token for `user_id` in `session_id`, whose user last typed a code `verified_minutes`
    /// ago, valid from `now_ms` for the configured lifetime, signed with the newest key.
    pub fn sign(
        &self,
        user_id: &str,
        session_id: &str,
        verified_minutes: i64,
        now_ms: i64,
    ) -> anyhow::Result<String> {
        let keys = self.keys.read().unwrap_or_else(|p| p.into_inner());
        let key = keys.last().context("no signing key loaded")?;
        let iat = now_ms / 1000;
        let claims = Claims {
            sub: user_id,
            sid: session_id,
            iss: &self.issuer,
            iat,
            nbf: iat,
            exp: iat + self.ttl_secs,
            fva: [verified_minutes, -1],
        };
        // A JWS in compact form (RFC 7515): header.claims.signature, each base64url. (The same
        // as `jsonwebtoken::encode`, which parses the key again for every token.)
        let message = format!(
            "{}.{}",
            key.header,
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims)?)
        );
        let signature = key.signing.sign(message.as_bytes());
        Ok(format!(
            "{message}.{}",
            URL_SAFE_NO_PAD.encode(signature.to_bytes())
        ))
    }

    /// The JSON Web Key Set (RFC 7517): the signing key, and every older key whose tokens may
    /// still be alive at `now_ms` (its successor appeared less than a token lifetime ago, plus a
    /// minute for clock skew).
    pub fn jwks(&self, now_ms: i64) -> serde_json::Value {
        let keys = self.keys.read().unwrap_or_else(|p| p.into_inner());
        let alive = |i: usize| match keys.get(i + 1) {
            None => true,
            Some(next) => next.created_at + self.ttl_secs * 1000 + 60_000 > now_ms,
        };
        let published: Vec<serde_json::Value> = keys
            .iter()
            .enumerate()
            .filter(|(i, _)| alive(*i))
            .map(|(_, k)| {
                serde_json::json!({
                    "kty": "OKP", "crv": "Ed25519", "x": k.public_x, "kid": k.kid, "alg": "EdDSA", "use": "sig",
                })
            })
            .collect();
        serde_json::json!({ "keys": published })
    }

    /// The generation of the signing key (for logs and tests).
    pub fn signing_generation(&self) -> Option<i64> {
        self.keys
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .last()
            .map(|k| k.generation)
    }
}

/// A new Ed25519 key, PKCS#8 PEM.
fn new_pem(random: &Random) -> anyhow::Result<String> {
    let key = SigningKey::from_bytes(&random.bytes()?);
    let pem = key
        .to_pkcs8_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
        .map_err(|e| anyhow::anyhow!("encoding the JWT key: {e}"))?;
    Ok(pem.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_43_url_safe_characters_and_hash_stably() {
        let t = ClientToken::generate(&Random::os()).expect("random");
        assert_eq!(t.expose().len(), 43);
        assert_eq!(ClientToken::from_header(t.expose()), Some(t.clone()));
        assert_eq!(
            ClientToken::from_header(&format!("Bearer {}", t.expose())),
            Some(t.clone())
        );
        assert_eq!(
            t.hash(),
            ClientToken::from_header(t.expose()).expect("token").hash()
        );
        assert!(!format!("{t:?}").contains(t.expose()));
    }

    #[test]
    fn garbage_is_no_token() {
        for bad in ["", "Bearer ", "short", &"x".repeat(44), &"é".repeat(43)] {
            assert!(ClientToken::from_header(bad).is_none(), "{bad}");
        }
    }

    async fn issuer(dir: &Path, rotation_ms: i64) -> (Store, JwtIssuer) {
        let store = crate::store::connect(&format!("sqlite://{}", dir.join("otp.db").display()), 2)
            .await
            .expect("store");
        let issuer = JwtIssuer::load(
            &store,
            dir,
            "http://issuer.test".into(),
            60,
            rotation_ms,
            Random::os(),
            0,
        )
        .await
        .expect("issuer");
        (store, issuer)
    }

    fn verify(issuer: &JwtIssuer, jwt: &str, now_ms: i64) -> Option<serde_json::Value> {
        let jwks: jsonwebtoken::jwk::JwkSet =
            serde_json::from_value(issuer.jwks(now_ms)).expect("jwks");
        let kid = jsonwebtoken::decode_header(jwt).expect("header").kid?;
        let jwk = jwks.find(&kid)?;
        let key = jsonwebtoken::DecodingKey::from_jwk(jwk).expect("key");
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::EdDSA);
        validation.validate_exp = false;
        validation.set_issuer(&["http://issuer.test"]);
        jsonwebtoken::decode::<serde_json::Value>(jwt, &key, &validation)
            .ok()
            .map(|d| d.claims)
    }

    #[tokio::test]
    async fn session_tokens_verify_with_the_published_key() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (_, issuer) = issuer(dir.path(), i64::MAX / 2).await;
        let now_ms = 1_700_000_000_000;
        let jwt = issuer.sign("user_1", "sess_1", 3, now_ms).expect("sign");
        let claims = verify(&issuer, &jwt, now_ms).expect("valid");
        assert_eq!(claims["sub"], "user_1");
        assert_eq!(claims["sid"], "sess_1");
        assert_eq!(claims["fva"], serde_json::json!([3, -1]));
        assert_eq!(claims["exp"].as_i64(), Some(now_ms / 1000 + 60));
    }

    #[tokio::test]
    async fn a_rotated_key_stays_published_until_its_tokens_expire() {
        let dir = tempfile::tempdir().expect("tempdir");
        let day = 86_400_000;
        let (store, issuer) = issuer(dir.path(), day).await;
        let old = issuer.sign("user_1", "sess_1", 0, 0).expect("sign");
        issuer.refresh(&store, day).await.expect("rotate");
        assert_eq!(issuer.signing_generation(), Some(2));
        let new = issuer.sign("user_1", "sess_1", 0, day).expect("sign");
        assert_ne!(
            jsonwebtoken::decode_header(&old).expect("h").kid,
            jsonwebtoken::decode_header(&new).expect("h").kid
        );
        assert!(
            verify(&issuer, &old, day + 60_000).is_some(),
            "the old key is still published"
        );
        assert!(verify(&issuer, &new, day + 60_000).is_some());
        assert!(
            verify(&issuer, &old, day + 121_000).is_none(),
            "gone once its tokens expired"
        );
        assert!(verify(&issuer, &new, day + 121_000).is_some());
    }

    #[tokio::test]
    async fn an_earlier_versions_key_file_is_imported() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(
            dir.path().join(JWT_FILE),
            new_pem(&Random::os()).expect("pem"),
        )
        .expect("write");
        let pem = std::fs::read_to_string(dir.path().join(JWT_FILE)).expect("read");
        let (store, _) = issuer(dir.path(), i64::MAX / 2).await;
        assert_eq!(store.jwt_keys().await.expect("keys")[0].pem, pem);
    }
}
