//! Credentials handed to devices: the client token (256 random bits, stored only as a SHA-256
//! hash) and the short-lived session JWT (EdDSA), verifiable offline with the published JWKS.

use crate::secrets::Secrets;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::pkcs8::EncodePrivateKey;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::fmt;

/// A device's client token in clear: it exists only in the request or response that carries it.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientToken(String);

impl ClientToken {
    /// A new token: 32 bytes from the OS CSPRNG, base64url (43 characters).
    pub fn generate() -> anyhow::Result<Self> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("OS random source: {e}"))?;
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

/// The claims of a session token.
#[derive(Debug, Serialize)]
struct Claims<'a> {
    sub: &'a str,
    sid: &'a str,
    iss: &'a str,
    iat: i64,
    nbf: i64,
    exp: i64,
}

/// Signs session JWTs and publishes the keys that verify them.
#[derive(Clone)]
pub struct JwtIssuer {
    key: jsonwebtoken::EncodingKey,
    kid: String,
    public_x: String,
    issuer: String,
    ttl_secs: i64,
}

impl fmt::Debug for JwtIssuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtIssuer")
            .field("kid", &self.kid)
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

impl JwtIssuer {
    /// An issuer signing with the secrets' Ed25519 key.
    pub fn new(secrets: &Secrets, issuer: String, ttl_secs: i64) -> anyhow::Result<Self> {
        let der = secrets
            .jwt_key
            .to_pkcs8_der()
            .map_err(|e| anyhow::anyhow!("encoding the JWT key: {e}"))?;
        Ok(Self {
            key: jsonwebtoken::EncodingKey::from_ed_der(der.as_bytes()),
            kid: secrets.jwt_kid(),
            public_x: URL_SAFE_NO_PAD.encode(secrets.jwt_key.verifying_key().as_bytes()),
            issuer,
            ttl_secs,
        })
    }

    /// A token for `user_id` in `session_id`, valid from `now_ms` for the configured lifetime.
    pub fn sign(&self, user_id: &str, session_id: &str, now_ms: i64) -> anyhow::Result<String> {
        let iat = now_ms / 1000;
        let claims = Claims {
            sub: user_id,
            sid: session_id,
            iss: &self.issuer,
            iat,
            nbf: iat,
            exp: iat + self.ttl_secs,
        };
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, &claims, &self.key)
            .map_err(|e| anyhow::anyhow!("signing a session token: {e}"))
    }

    /// The JSON Web Key Set (RFC 7517) of the public keys.
    pub fn jwks(&self) -> serde_json::Value {
        serde_json::json!({
            "keys": [{
                "kty": "OKP",
                "crv": "Ed25519",
                "x": self.public_x,
                "kid": self.kid,
                "alg": "EdDSA",
                "use": "sig",
            }]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_43_url_safe_characters_and_hash_stably() {
        let t = ClientToken::generate().expect("random");
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

    #[test]
    fn session_tokens_verify_with_the_published_key() {
        let dir = tempfile::tempdir().expect("tempdir");
        let secrets = Secrets::load_or_create(dir.path(), None).expect("secrets");
        let issuer = JwtIssuer::new(&secrets, "http://issuer.test".into(), 60).expect("issuer");
        let now_ms = 1_700_000_000_000;
        let jwt = issuer.sign("user_1", "sess_1", now_ms).expect("sign");

        let jwks: jsonwebtoken::jwk::JwkSet = serde_json::from_value(issuer.jwks()).expect("jwks");
        let key = jsonwebtoken::DecodingKey::from_jwk(&jwks.keys[0]).expect("key");
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::EdDSA);
        validation.validate_exp = false;
        validation.set_issuer(&["http://issuer.test"]);
        let data =
            jsonwebtoken::decode::<serde_json::Value>(&jwt, &key, &validation).expect("valid");
        assert_eq!(data.claims["sub"], "user_1");
        assert_eq!(data.claims["sid"], "sess_1");
        assert_eq!(data.claims["exp"].as_i64(), Some(now_ms / 1000 + 60));
        assert_eq!(data.header.kid.as_deref(), Some(secrets.jwt_kid().as_str()));
    }
}
