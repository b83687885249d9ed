//! Credentials: the client token handed to devices and the Backend API's secret keys handed to
//! the app developer's servers (256 random bits each, stored only as a SHA-256 hash), and the
//! short-lived session JWT (EdDSA), verifiable offline with the published JWKS.

use crate::config::JwtAlgorithm;
use crate::random::Random;
use crate::store::JwtKeyRow;
use crate::store::Store;
use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::spki::der::pem;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::sync::{Mutex, RwLock};

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

/// How a loaded key signs.
enum Signer {
    /// Ed25519, parsed once: parsing it (and deriving its public half) cost as much as signing.
    Ed25519(SigningKey),
    /// RSA 2048 with aws-lc (constant time).
    Rsa(aws_lc_rs::rsa::KeyPair),
}

/// One signing key, ready to use.
struct LoadedKey {
    generation: i64,
    created_at: i64,
    algorithm: JwtAlgorithm,
    signer: Signer,
    /// The token header naming this key, base64url-encoded: the first part of every token.
    header: String,
    /// Its public half as a JWK (RFC 7517), with its `kid`.
    jwk: serde_json::Value,
}

impl LoadedKey {
    /// Parses a stored key of either algorithm.
    fn load(row: &JwtKeyRow) -> anyhow::Result<Self> {
        let context = || format!("JWT key {}", row.generation);
        let (algorithm, signer, public) = match row.algorithm.as_str() {
            "RS256" => {
                let (_, der) = pem::decode_vec(row.pem.as_bytes())
                    .map_err(|e| anyhow::anyhow!("{e}"))
                    .with_context(context)?;
                let pair = aws_lc_rs::rsa::KeyPair::from_pkcs8(&der)
                    .map_err(|e| anyhow::anyhow!("{e}"))
                    .with_context(context)?;
                let public = aws_lc_rs::signature::KeyPair::public_key(&pair);
                let n = URL_SAFE_NO_PAD.encode(public.modulus().big_endian_without_leading_zero());
                let e = URL_SAFE_NO_PAD.encode(public.exponent().big_endian_without_leading_zero());
                let jwk = serde_json::json!({ "kty": "RSA", "n": n, "e": e });
                (JwtAlgorithm::Rs256, Signer::Rsa(pair), jwk)
            }
            _ => {
                let signing = SigningKey::from_pkcs8_pem(&row.pem)
                    .map_err(|e| anyhow::anyhow!("{e}"))
                    .with_context(context)?;
                let x = URL_SAFE_NO_PAD.encode(signing.verifying_key().as_bytes());
                let jwk = serde_json::json!({ "kty": "OKP", "crv": "Ed25519", "x": x });
                (JwtAlgorithm::EdDSA, Signer::Ed25519(signing), jwk)
            }
        };
        // The kid: a digest of the public key, so every instance names a key the same way.
        let kid = URL_SAFE_NO_PAD.encode(&Sha256::digest(public.to_string().as_bytes())[..16]);
        let kid = match &signer {
            // Kept as earlier versions made it (a digest of the raw key), so tokens signed before
            // an upgrade still find their key.
            Signer::Ed25519(signing) => {
                URL_SAFE_NO_PAD.encode(&Sha256::digest(signing.verifying_key().as_bytes())[..16])
            }
            Signer::Rsa(_) => kid,
        };
        let mut jwk = public;
        jwk["kid"] = kid.clone().into();
        jwk["alg"] = algorithm.as_str().into();
        jwk["use"] = "sig".into();
        let header = serde_json::json!({ "typ": "JWT", "alg": algorithm.as_str(), "kid": kid });
        Ok(Self {
            generation: row.generation,
            created_at: row.created_at,
            algorithm,
            signer,
            header: URL_SAFE_NO_PAD.encode(serde_json::to_vec(&header)?),
            jwk,
        })
    }

    /// The signature of `message`.
    fn sign(&self, message: &[u8]) -> anyhow::Result<Vec<u8>> {
        Ok(match &self.signer {
            Signer::Ed25519(key) => ed25519_dalek::Signer::sign(key, message)
                .to_bytes()
                .to_vec(),
            Signer::Rsa(pair) => {
                let mut signature = vec![0; pair.public_modulus_len()];
                pair.sign(
                    &aws_lc_rs::signature::RSA_PKCS1_SHA256,
                    &aws_lc_rs::rand::SystemRandom::new(),
                    message,
                    &mut signature,
                )
                .map_err(|_| anyhow::anyhow!("RSA signing failed"))?;
                signature
            }
        })
    }
}

/// A token handed out, reused for the same session while it has at least half its lifetime
/// left and says the same thing: an RSA signature costs about a millisecond, and every answer
/// to a device carries a token per session.
struct Issued {
    user_id: String,
    verified_minutes: i64,
    generation: i64,
    iat: i64,
    jwt: String,
}

/// Tokens kept for reuse before the stale ones are dropped.
const ISSUED_CAP: usize = 10_000;

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
    /// What new keys sign with.
    algorithm: JwtAlgorithm,
    /// Draws the Ed25519 keys of rotations (RSA keys come from aws-lc's own generator).
    random: Random,
    /// Tokens handed out, by session.
    issued: Mutex<HashMap<String, Issued>>,
}

impl fmt::Debug for JwtIssuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtIssuer")
            .field("issuer", &self.issuer)
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

/// How a [`JwtIssuer`] signs: the claims' issuer, the tokens' lifetime, the rotation period and
/// the algorithm of new keys.
#[derive(Debug, Clone)]
pub struct JwtSettings {
    /// The `iss` claim.
    pub issuer: String,
    /// Token lifetime (s).
    pub ttl_secs: i64,
    /// A new key after this long (ms).
    pub rotation_ms: i64,
    /// What new keys sign with.
    pub algorithm: JwtAlgorithm,
}

impl JwtIssuer {
    /// Loads the key ring (creating the first key, or importing an earlier version's key file).
    /// New keys, now and at each rotation, are drawn from `random`.
    pub async fn load(
        store: &Store,
        data_dir: &Path,
        settings: JwtSettings,
        random: Random,
        now: i64,
    ) -> anyhow::Result<Self> {
        if store.jwt_keys().await?.is_empty() {
            let legacy = data_dir.join(JWT_FILE);
            let key = match std::fs::read_to_string(&legacy) {
                Ok(pem) => JwtKeyRow {
                    generation: 1,
                    pem,
                    created_at: now,
                    algorithm: JwtAlgorithm::EdDSA.as_str().into(),
                    revoked_at: None,
                },
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    new_key(1, settings.algorithm, &random, now)?
                }
                Err(e) => return Err(e).with_context(|| format!("reading {}", legacy.display())),
            };
            store.add_jwt_key(&key).await?;
        }
        let issuer = Self {
            keys: RwLock::new(Vec::new()),
            issuer: settings.issuer,
            ttl_secs: settings.ttl_secs,
            rotation_ms: settings.rotation_ms,
            algorithm: settings.algorithm,
            random,
            issued: Mutex::new(HashMap::new()),
        };
        issuer.refresh(store, now).await?;
        Ok(issuer)
    }

    /// Rotates when the newest key of `--jwt-algorithm` is older than the rotation period, or
    /// there is none (one instance wins the race; the others see its key), and reloads the ring
    /// from the database. Replicas of different algorithms (a rolling change of it) each sign
    /// with the newest key of their own and leave the other's alone.
    pub async fn refresh(&self, store: &Store, now: i64) -> anyhow::Result<()> {
        let mut rows = store.jwt_keys().await?;
        let mine = rows
            .iter()
            .rfind(|k| k.revoked_at.is_none() && k.algorithm == self.algorithm.as_str());
        if mine.is_none_or(|k| k.created_at + self.rotation_ms <= now) {
            let generation = rows.last().map_or(1, |k| k.generation + 1);
            let key = new_key(generation, self.algorithm, &self.random, now)?;
            store.add_jwt_key(&key).await?;
            rows = store.jwt_keys().await?;
        }
        // A revoked key neither signs nor is published.
        let keys = rows
            .iter()
            .filter(|row| row.revoked_at.is_none())
            .map(LoadedKey::load)
            .collect::<anyhow::Result<Vec<_>>>()?;
        *self.keys.write().unwrap_or_else(|p| p.into_inner()) = keys;
        Ok(())
    }

    /// The token to piggyback on an answer for `user_id` in `session_id` (every answer to a
    /// device carries one per session). With RS256, the one handed out last for this session
    /// while it has half its lifetime left and says the same (same user, same minute of `fva`,
    /// same key), else a new one ([`JwtIssuer::sign`]). An Ed25519 signature (14 µs) costs less
    /// than keeping the tokens would in memory: always a new one.
    pub fn current(
        &self,
        user_id: &str,
        session_id: &str,
        verified_minutes: i64,
        now_ms: i64,
    ) -> anyhow::Result<String> {
        let iat = now_ms / 1000;
        let generation = self.signing_generation();
        if self.algorithm == JwtAlgorithm::Rs256
            && let Some(last) = self
                .issued
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get(session_id)
            && last.user_id == user_id
            && last.verified_minutes == verified_minutes
            && Some(last.generation) == generation
            && (last.iat..last.iat + self.ttl_secs / 2).contains(&iat)
        {
            return Ok(last.jwt.clone());
        }
        self.sign(user_id, session_id, verified_minutes, now_ms)
    }

    /// A new token for `user_id` in `session_id`, whose user last typed a code
    /// `verified_minutes` ago, valid from `now_ms` for the configured lifetime, signed with the
    /// newest key (what `POST …/tokens` answers: a client asks for one when its own is about to
    /// expire). Kept for [`JwtIssuer::current`].
    pub fn sign(
        &self,
        user_id: &str,
        session_id: &str,
        verified_minutes: i64,
        now_ms: i64,
    ) -> anyhow::Result<String> {
        let keys = self.keys.read().unwrap_or_else(|p| p.into_inner());
        let key = self.signing_key(&keys).context("no signing key loaded")?;
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
        let signature = key.sign(message.as_bytes())?;
        let jwt = format!("{message}.{}", URL_SAFE_NO_PAD.encode(signature));
        if key.algorithm != JwtAlgorithm::Rs256 {
            return Ok(jwt);
        }
        // Not held while signing (an RSA signature takes about a millisecond).
        let mut issued = self.issued.lock().unwrap_or_else(|p| p.into_inner());
        if issued.len() >= ISSUED_CAP {
            let ttl = self.ttl_secs;
            issued.retain(|_, t| t.iat + ttl / 2 > iat);
            // Still full of fresh ones (a burst of sessions): start again rather than grow.
            if issued.len() >= ISSUED_CAP {
                issued.clear();
            }
        }
        issued.insert(
            session_id.to_owned(),
            Issued {
                user_id: user_id.to_owned(),
                verified_minutes,
                generation: key.generation,
                iat,
                jwt: jwt.clone(),
            },
        );
        Ok(jwt)
    }

    /// The JSON Web Key Set (RFC 7517): the signing key, and every older key whose tokens may
    /// still be alive at `now_ms` (its successor appeared less than a token lifetime ago, plus a
    /// minute for clock skew).
    pub fn jwks(&self, now_ms: i64) -> serde_json::Value {
        let keys = self.keys.read().unwrap_or_else(|p| p.into_inner());
        let grace = self.ttl_secs * 1000 + 60_000;
        // Succeeded by a key of its algorithm: alive until the tokens it signed expire. The
        // newest of its algorithm: alive if it is ours, or another replica's that may still be
        // signing (a rolling change of algorithm), until it would have been rotated.
        let alive = |i: usize| {
            let key = &keys[i];
            match keys[i + 1..].iter().find(|k| k.algorithm == key.algorithm) {
                Some(next) => next.created_at + grace > now_ms,
                None => {
                    key.algorithm == self.algorithm
                        || key.created_at + self.rotation_ms + grace > now_ms
                }
            }
        };
        let published: Vec<&serde_json::Value> = keys
            .iter()
            .enumerate()
            .filter(|(i, _)| alive(*i))
            .map(|(_, k)| &k.jwk)
            .collect();
        serde_json::json!({ "keys": published })
    }

    /// The key that signs: the newest of `--jwt-algorithm`.
    fn signing_key<'k>(&self, keys: &'k [LoadedKey]) -> Option<&'k LoadedKey> {
        keys.iter().rfind(|k| k.algorithm == self.algorithm)
    }

    /// The generation of the signing key (for logs and tests).
    pub fn signing_generation(&self) -> Option<i64> {
        let keys = self.keys.read().unwrap_or_else(|p| p.into_inner());
        self.signing_key(&keys).map(|k| k.generation)
    }

    /// The algorithm of the signing key.
    pub fn signing_algorithm(&self) -> Option<JwtAlgorithm> {
        let keys = self.keys.read().unwrap_or_else(|p| p.into_inner());
        self.signing_key(&keys).map(|k| k.algorithm)
    }
}

/// Makes a new signing key of `algorithm` the newest now (`otp-server signing-keys rotate`),
/// and with `revoke_previous` revokes the older ones (after a leak: the tokens they signed stop
/// verifying as soon as verifiers fetch the JWKS again); every instance picks the change up at
/// its next refresh (`--key-refresh-ms`). The new key's generation.
pub async fn rotate(
    store: &Store,
    algorithm: JwtAlgorithm,
    random: &Random,
    revoke_previous: bool,
    now: i64,
) -> anyhow::Result<i64> {
    let key = new_key(0, algorithm, random, now)?;
    Ok(store.rotate_jwt_key(&key, revoke_previous, now).await?)
}

/// A new signing key of `algorithm`, PKCS#8 PEM: Ed25519 drawn from `random`, RSA 2048 from
/// aws-lc's generator.
fn new_key(
    generation: i64,
    algorithm: JwtAlgorithm,
    random: &Random,
    now: i64,
) -> anyhow::Result<JwtKeyRow> {
    let pem = match algorithm {
        JwtAlgorithm::EdDSA => {
            let key = SigningKey::from_bytes(&random.bytes()?);
            key.to_pkcs8_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
                .map_err(|e| anyhow::anyhow!("encoding the JWT key: {e}"))?
                .to_string()
        }
        JwtAlgorithm::Rs256 => {
            let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048)
                .map_err(|_| anyhow::anyhow!("generating an RSA key failed"))?;
            let der = aws_lc_rs::encoding::AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&pair)
                .map_err(|_| anyhow::anyhow!("encoding the RSA key failed"))?;
            pem::encode_string("PRIVATE KEY", pem::LineEnding::LF, der.as_ref())
                .map_err(|e| anyhow::anyhow!("encoding the RSA key: {e}"))?
        }
    };
    Ok(JwtKeyRow {
        generation,
        pem,
        created_at: now,
        algorithm: algorithm.as_str().into(),
        revoked_at: None,
    })
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
        issuer_of(dir, rotation_ms, JwtAlgorithm::EdDSA).await
    }

    async fn issuer_of(
        dir: &Path,
        rotation_ms: i64,
        algorithm: JwtAlgorithm,
    ) -> (Store, JwtIssuer) {
        let store = crate::store::connect(&format!("sqlite://{}", dir.join("otp.db").display()), 2)
            .await
            .expect("store");
        let settings = JwtSettings {
            issuer: "http://issuer.test".into(),
            ttl_secs: 60,
            rotation_ms,
            algorithm,
        };
        let issuer = JwtIssuer::load(&store, dir, settings, Random::os(), 0)
            .await
            .expect("issuer");
        (store, issuer)
    }

    fn verify(issuer: &JwtIssuer, jwt: &str, now_ms: i64) -> Option<serde_json::Value> {
        let jwks: jsonwebtoken::jwk::JwkSet =
            serde_json::from_value(issuer.jwks(now_ms)).expect("jwks");
        let header = jsonwebtoken::decode_header(jwt).expect("header");
        let jwk = jwks.find(header.kid.as_deref()?)?;
        let key = jsonwebtoken::DecodingKey::from_jwk(jwk).expect("key");
        let mut validation = jsonwebtoken::Validation::new(header.alg);
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
            new_key(1, JwtAlgorithm::EdDSA, &Random::os(), 0)
                .expect("key")
                .pem,
        )
        .expect("write");
        let pem = std::fs::read_to_string(dir.path().join(JWT_FILE)).expect("read");
        let (store, _) = issuer(dir.path(), i64::MAX / 2).await;
        assert_eq!(store.jwt_keys().await.expect("keys")[0].pem, pem);
    }

    #[tokio::test]
    async fn rs256_tokens_verify_with_the_published_rsa_key() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (_, issuer) = issuer_of(dir.path(), i64::MAX / 2, JwtAlgorithm::Rs256).await;
        let now_ms = 1_700_000_000_000;
        let jwt = issuer.sign("user_1", "sess_1", 3, now_ms).expect("sign");
        let header = jsonwebtoken::decode_header(&jwt).expect("header");
        assert_eq!(header.alg, jsonwebtoken::Algorithm::RS256);
        let claims = verify(&issuer, &jwt, now_ms).expect("valid");
        assert_eq!(claims["sub"], "user_1");
        let jwks = issuer.jwks(now_ms);
        assert_eq!(jwks["keys"][0]["kty"], "RSA");
        assert_eq!(jwks["keys"][0]["alg"], "RS256");
        assert_eq!(jwks["keys"][0]["e"], "AQAB");
    }

    #[tokio::test]
    async fn changing_the_algorithm_rotates_and_keeps_the_old_key_while_it_may_sign() {
        let dir = tempfile::tempdir().expect("tempdir");
        let day = 86_400_000;
        let (_, ed) = issuer(dir.path(), day).await;
        let old = ed.sign("user_1", "sess_1", 0, 0).expect("sign");
        let (_, rsa) = issuer_of(dir.path(), day, JwtAlgorithm::Rs256).await;
        assert_eq!(rsa.signing_generation(), Some(2));
        assert_eq!(rsa.signing_algorithm(), Some(JwtAlgorithm::Rs256));
        let new = rsa.sign("user_1", "sess_1", 0, 1_000).expect("sign");
        assert!(verify(&rsa, &new, 60_000).is_some());
        assert!(
            verify(&rsa, &old, 121_000).is_some(),
            "a replica still on EdDSA may sign with it: published"
        );
        assert!(
            verify(&rsa, &old, day + 121_000).is_none(),
            "gone once such a replica would have rotated it and its tokens expired"
        );
    }

    #[tokio::test]
    async fn an_rs256_sessions_token_is_reused_while_it_has_half_its_life_and_says_the_same() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (_, issuer) = issuer_of(dir.path(), i64::MAX / 2, JwtAlgorithm::Rs256).await;
        let t0 = 1_700_000_000_000;
        let current = |session: &str, fva: i64, at: i64| {
            issuer.current("user_1", session, fva, at).expect("token")
        };
        let first = current("sess_1", 0, t0);
        assert_eq!(current("sess_1", 0, t0 + 29_000), first, "reused");
        assert_ne!(current("sess_2", 0, t0), first, "per session");
        assert_ne!(
            current("sess_1", 1, t0 + 1_000),
            first,
            "a new minute of fva: a new one"
        );
        let later = current("sess_1", 1, t0 + 31_000);
        let claims = verify(&issuer, &later, t0 + 31_000).expect("valid");
        assert_eq!(
            claims["iat"].as_i64(),
            Some(t0 / 1000 + 31),
            "past half its life: a new one"
        );
        let asked = issuer
            .sign("user_1", "sess_1", 1, t0 + 33_000)
            .expect("sign");
        assert_ne!(asked, later, "POST …/tokens always signs, now");
        assert_eq!(
            current("sess_1", 1, t0 + 34_000),
            asked,
            "and that one is reused"
        );
    }

    #[tokio::test]
    async fn replicas_of_two_algorithms_each_sign_with_their_own_key_and_do_not_rotate_in_turn() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (store, ed) = issuer(dir.path(), i64::MAX / 2).await;
        let (_, rsa) = issuer_of(dir.path(), i64::MAX / 2, JwtAlgorithm::Rs256).await;
        for now in [1_000, 2_000, 3_000] {
            ed.refresh(&store, now).await.expect("refresh");
            rsa.refresh(&store, now).await.expect("refresh");
        }
        assert_eq!(
            store.jwt_keys().await.expect("keys").len(),
            2,
            "no key per refresh"
        );
        assert_eq!(ed.signing_algorithm(), Some(JwtAlgorithm::EdDSA));
        assert_eq!(rsa.signing_algorithm(), Some(JwtAlgorithm::Rs256));
        let (a, b) = (
            ed.sign("user_1", "sess_1", 0, 3_000).expect("sign"),
            rsa.sign("user_1", "sess_1", 0, 3_000).expect("sign"),
        );
        assert!(verify(&ed, &b, 3_000).is_some() && verify(&rsa, &a, 3_000).is_some());
    }
}
