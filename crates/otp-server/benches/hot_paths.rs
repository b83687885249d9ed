//! The hot paths of a flow, one by one: code generation and its HMAC check, client-token
//! generation and hashing, session JWT signing and verification.

use criterion::{Criterion, criterion_group, criterion_main};
use otp_server::Random;
use otp_server::config::JwtAlgorithm;
use otp_server::otp::{Code, CodeHasher};
use otp_server::tokens::{ClientToken, JwtIssuer, JwtSettings};
use std::hint::black_box;

fn codes(c: &mut Criterion) {
    let hasher = CodeHasher::new([7; 32]);
    let random = Random::os();
    let code = Code::generate(&random).expect("code");
    let stored = hasher.hash("sua_0123456789abcdefghijklmn", &code);
    c.bench_function("code: generate (OS CSPRNG)", |b| {
        b.iter(|| black_box(Code::generate(&random).expect("code")))
    });
    c.bench_function("code: HMAC-SHA256 hash", |b| {
        b.iter(|| black_box(hasher.hash("sua_0123456789abcdefghijklmn", &code)))
    });
    c.bench_function("code: HMAC check (constant time)", |b| {
        b.iter(|| black_box(hasher.verify("sua_0123456789abcdefghijklmn", &code, &stored)))
    });
}

fn client_tokens(c: &mut Criterion) {
    let random = Random::os();
    let token = ClientToken::generate(&random).expect("token");
    c.bench_function("client token: generate", |b| {
        b.iter(|| black_box(ClientToken::generate(&random).expect("token")))
    });
    c.bench_function("client token: SHA-256 hash", |b| {
        b.iter(|| black_box(token.hash()))
    });
}

/// A key ring of `algorithm` in a fresh database.
fn issuer(algorithm: JwtAlgorithm) -> (JwtIssuer, tempfile::TempDir) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let dir = tempfile::tempdir().expect("dir");
    let issuer = rt.block_on(async {
        let url = format!("sqlite://{}", dir.path().join("otp.db").display());
        let store = otp_server::store::connect(&url, 2).await.expect("store");
        let settings = JwtSettings {
            issuer: "http://bench".into(),
            ttl_secs: 60,
            rotation_ms: i64::MAX / 2,
            algorithm,
        };
        JwtIssuer::load(&store, dir.path(), settings, Random::os(), 0)
            .await
            .expect("issuer")
    });
    (issuer, dir)
}

fn jwts(c: &mut Criterion) {
    let now = 1_800_000_000_000;
    let user = "user_0123456789abcdefghijklmn";
    for (algorithm, name, jose) in [
        (
            JwtAlgorithm::EdDSA,
            "Ed25519",
            jsonwebtoken::Algorithm::EdDSA,
        ),
        (JwtAlgorithm::Rs256, "RS256", jsonwebtoken::Algorithm::RS256),
    ] {
        let (issuer, _dir) = issuer(algorithm);
        // A new session each time: a real signature, not the token reused for its session.
        let mut n = 0_u64;
        c.bench_function(&format!("jwt: sign ({name})"), |b| {
            b.iter(|| {
                n += 1;
                black_box(
                    issuer
                        .sign(user, &format!("sess_{n:024}"), 0, now)
                        .expect("jwt"),
                )
            })
        });
        c.bench_function(&format!("jwt: reuse a session's token ({name})"), |b| {
            b.iter(|| black_box(issuer.current(user, "sess_reused", 0, now).expect("jwt")))
        });
        let jwt = issuer.sign(user, "sess_verified", 0, now).expect("jwt");
        let jwks: jsonwebtoken::jwk::JwkSet =
            serde_json::from_value(issuer.jwks(now)).expect("jwks");
        let key = jsonwebtoken::DecodingKey::from_jwk(&jwks.keys[0]).expect("key");
        let mut validation = jsonwebtoken::Validation::new(jose);
        validation.validate_exp = false;
        c.bench_function(&format!("jwt: verify ({name})"), |b| {
            b.iter(|| {
                black_box(
                    jsonwebtoken::decode::<serde_json::Value>(&jwt, &key, &validation)
                        .expect("valid"),
                )
            })
        });
    }
}

criterion_group!(benches, codes, client_tokens, jwts);
criterion_main!(benches);
