//! The hot paths of a flow, one by one: code generation and its HMAC check, client-token
//! generation and hashing, session JWT signing and verification.

use criterion::{Criterion, criterion_group, criterion_main};
use otp_server::Random;
use otp_server::otp::{Code, CodeHasher};
use otp_server::tokens::{ClientToken, JwtIssuer};
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

fn jwts(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let dir = tempfile::tempdir().expect("dir");
    let issuer = rt.block_on(async {
        let url = format!("sqlite://{}", dir.path().join("otp.db").display());
        let store = otp_server::store::connect(&url, 2).await.expect("store");
        JwtIssuer::load(
            &store,
            dir.path(),
            "http://bench".into(),
            60,
            i64::MAX / 2,
            Random::os(),
            0,
        )
        .await
        .expect("issuer")
    });
    let now = 1_800_000_000_000;
    let jwt = issuer
        .sign(
            "user_0123456789abcdefghijklmn",
            "sess_0123456789abcdefghijklmn",
            0,
            now,
        )
        .expect("jwt");
    let jwks: jsonwebtoken::jwk::JwkSet = serde_json::from_value(issuer.jwks(now)).expect("jwks");
    let key = jsonwebtoken::DecodingKey::from_jwk(&jwks.keys[0]).expect("key");
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::EdDSA);
    validation.validate_exp = false;
    c.bench_function("jwt: sign (Ed25519)", |b| {
        b.iter(|| {
            black_box(
                issuer
                    .sign(
                        "user_0123456789abcdefghijklmn",
                        "sess_0123456789abcdefghijklmn",
                        0,
                        now,
                    )
                    .expect("jwt"),
            )
        })
    });
    c.bench_function("jwt: verify (Ed25519)", |b| {
        b.iter(|| {
            black_box(
                jsonwebtoken::decode::<serde_json::Value>(&jwt, &key, &validation).expect("valid"),
            )
        })
    });
}

criterion_group!(benches, codes, client_tokens, jwts);
criterion_main!(benches);
