//! The JWKS-caching token verifier.

use crate::rejection::Rejection;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, RwLock};

/// How long a fetched JWKS is used before it is fetched again.
const FRESH: Duration = Duration::from_secs(300);
/// The JWKS is fetched again for an unknown key id at most this often (a token with a made-up
/// `kid` must not make every request fetch it).
const UNKNOWN_KID_REFETCH: Duration = Duration::from_secs(10);
/// How long the JWKS request may take.
const TIMEOUT: Duration = Duration::from_secs(5);

/// The claims of an `otp-server` session token.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Claims {
    /// The user (`user_…`).
    pub sub: String,
    /// The session (`sess_…`).
    pub sid: String,
    /// The issuer (the server's public URL).
    pub iss: String,
    /// Issued at (seconds since the epoch).
    pub iat: i64,
    /// Expires at (seconds since the epoch).
    pub exp: i64,
    /// Clerk's factor verification age: minutes since the user last typed a code, and `-1`.
    #[serde(default)]
    pub fva: Option<[i64; 2]>,
}

/// Checks session tokens against an `otp-server`'s JWKS. Cheap to clone; share one per server
/// (as axum state: the [`crate::Session`] extractor finds it with `FromRef`).
#[derive(Clone)]
pub struct SessionVerifier {
    inner: Arc<Inner>,
}

struct Inner {
    jwks_url: String,
    issuer: Option<String>,
    http: reqwest::Client,
    keys: RwLock<Keys>,
    /// One fetch at a time.
    fetching: Mutex<()>,
    fetches: AtomicU64,
}

#[derive(Default)]
struct Keys {
    by_kid: HashMap<String, (DecodingKey, Algorithm)>,
    /// The last successful fetch.
    fetched_at: Option<Instant>,
    /// The last fetch tried, successful or not (no fetch more often than
    /// [`UNKNOWN_KID_REFETCH`], even while the server cannot be reached).
    tried_at: Option<Instant>,
}

impl std::fmt::Debug for SessionVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionVerifier")
            .field("jwks_url", &self.inner.jwks_url)
            .finish_non_exhaustive()
    }
}

/// The crate's one read of the machine's clock: the age of the cached JWKS.
#[allow(clippy::disallowed_methods)]
fn monotonic_now() -> Instant {
    Instant::now()
}

impl SessionVerifier {
    /// Verifies tokens with the keys at `jwks_url` (`https://auth.example.com/.well-known/jwks.json`,
    /// or the Backend API's `/v1/jwks`).
    pub fn new(jwks_url: impl Into<String>) -> Self {
        Self {
            inner: Arc::new(Inner {
                jwks_url: jwks_url.into(),
                issuer: None,
                http: reqwest::Client::new(),
                keys: RwLock::default(),
                fetching: Mutex::new(()),
                fetches: AtomicU64::new(0),
            }),
        }
    }

    /// Also requires the token's `iss` to be `issuer` (the server's `--issuer`).
    pub fn with_issuer(self, issuer: impl Into<String>) -> Self {
        let inner = Inner {
            jwks_url: self.inner.jwks_url.clone(),
            issuer: Some(issuer.into()),
            http: self.inner.http.clone(),
            keys: RwLock::default(),
            fetching: Mutex::new(()),
            fetches: AtomicU64::new(0),
        };
        Self {
            inner: Arc::new(inner),
        }
    }

    /// How many times the JWKS was fetched (for logs and tests).
    pub fn jwks_fetches(&self) -> u64 {
        self.inner.fetches.load(Ordering::Relaxed)
    }

    /// The claims of a valid token: signed by a key of the JWKS, not expired (5 s of leeway),
    /// and of the issuer if one was given.
    pub async fn verify(&self, token: &str) -> Result<Claims, Rejection> {
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| Rejection::Invalid("not a JWT".into()))?;
        let kid = header
            .kid
            .ok_or_else(|| Rejection::Invalid("the token names no key".into()))?;
        let (key, algorithm) = self.key(&kid).await?;
        if header.alg != algorithm {
            return Err(Rejection::Invalid(
                "the token's algorithm is not its key's".into(),
            ));
        }
        let mut validation = Validation::new(algorithm);
        validation.leeway = 5;
        validation.validate_nbf = true;
        validation.validate_aud = false;
        validation.set_required_spec_claims(&["exp", "sub"]);
        if let Some(issuer) = &self.inner.issuer {
            validation.set_issuer(&[issuer]);
        }
        jsonwebtoken::decode::<Claims>(token, &key, &validation)
            .map(|data| data.claims)
            .map_err(|e| Rejection::Invalid(e.to_string()))
    }

    /// The key named `kid`: from the cache while it is fresh, else from the JWKS fetched again.
    async fn key(&self, kid: &str) -> Result<(DecodingKey, Algorithm), Rejection> {
        let within = |at: Option<Instant>, window: Duration| {
            at.is_some_and(|at| monotonic_now().duration_since(at) < window)
        };
        {
            let keys = self.inner.keys.read().await;
            if let Some(key) = keys.by_kid.get(kid)
                && within(keys.fetched_at, FRESH)
            {
                return Ok(key.clone());
            }
        }
        let _one_at_a_time = self.inner.fetching.lock().await;
        // Another request may have fetched it meanwhile; an unknown kid refetches only now and
        // then.
        let (cached, recent, ever_fetched) = {
            let keys = self.inner.keys.read().await;
            (
                keys.by_kid.get(kid).cloned(),
                within(keys.tried_at, UNKNOWN_KID_REFETCH),
                keys.fetched_at.is_some(),
            )
        };
        if recent {
            return match cached {
                Some(key) => Ok(key),
                None if ever_fetched => Err(Rejection::Invalid("unknown signing key".into())),
                None => Err(Rejection::KeysUnavailable),
            };
        }
        match self.fetch().await {
            Ok(keys) => {
                let found = keys.by_kid.get(kid).cloned();
                *self.inner.keys.write().await = keys;
                found.ok_or_else(|| Rejection::Invalid("unknown signing key".into()))
            }
            // The server cannot be reached: the keys it had are still good for their tokens,
            // and it is tried again only after a while.
            Err(e) => {
                tracing::warn!(error = %e, url = %self.inner.jwks_url, "fetching the JWKS");
                self.inner.keys.write().await.tried_at = Some(monotonic_now());
                cached.ok_or(Rejection::KeysUnavailable)
            }
        }
    }

    async fn fetch(&self) -> Result<Keys, reqwest::Error> {
        self.inner.fetches.fetch_add(1, Ordering::Relaxed);
        let set: JwkSet = self
            .inner
            .http
            .get(&self.inner.jwks_url)
            .timeout(TIMEOUT)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let by_kid = set
            .keys
            .iter()
            .filter_map(|jwk| {
                let kid = jwk.common.key_id.clone()?;
                let algorithm = match jwk.common.key_algorithm? {
                    jsonwebtoken::jwk::KeyAlgorithm::EdDSA => Algorithm::EdDSA,
                    jsonwebtoken::jwk::KeyAlgorithm::RS256 => Algorithm::RS256,
                    _ => return None,
                };
                Some((kid, (DecodingKey::from_jwk(jwk).ok()?, algorithm)))
            })
            .collect();
        let now = monotonic_now();
        Ok(Keys {
            by_kid,
            fetched_at: Some(now),
            tried_at: Some(now),
        })
    }
}
