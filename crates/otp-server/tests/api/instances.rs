//! Several `otp-server` instances on one PostgreSQL database, as behind a load balancer: codes,
//! attempt counters, send limits and signing keys are shared, never per process.

use crate::errors::wrong_code;
use crate::helpers::*;
use otp_client::{Client, Strategy};
use otp_server::ManualClock;
use std::time::Duration;

async fn two_instances(db: &PgDb) -> (ManualClock, TestApp, TestApp) {
    let clock = ManualClock::new(1_800_000_000_000);
    let a = spawn_instance(&db.url, &clock, |_| {}).await;
    let b = spawn_instance(&db.url, &clock, |_| {}).await;
    assert_ne!(a.base_url, b.base_url);
    (clock, a, b)
}

/// The same device talking to instance `app` (its token carried over).
fn via(app: &TestApp, device: &Client) -> Client {
    Client::new(&app.base_url).with_token(device.token())
}

#[tokio::test]
async fn a_code_prepared_through_one_instance_is_verified_through_another() {
    let db = PgDb::create().await;
    let (_, a, b) = two_instances(&db).await;
    let on_a = a.client();
    on_a.sign_up()
        .create_phone(PHONE)
        .await
        .expect("create on A");
    on_a.sign_up()
        .prepare_verification(Strategy::PhoneCode)
        .await
        .expect("prepare on A");
    let code = b.code_for(PHONE).await; // the dev outbox is in the database
    let on_b = via(&b, &on_a);
    on_b.load().await.expect("load on B");
    let done = on_b
        .sign_up()
        .attempt_verification(Strategy::PhoneCode, &code)
        .await
        .expect("attempt on B");
    assert!(done.created_session_id.is_some());
    // And the session is visible through A with the new token.
    let client = via(&a, &on_b)
        .load()
        .await
        .expect("load on A")
        .expect("client");
    assert_eq!(client.sessions.len(), 1);
}

#[tokio::test]
async fn send_and_attempt_limits_hold_when_requests_alternate_between_instances() {
    let db = PgDb::create().await;
    let (clock, a, b) = two_instances(&db).await;
    let on_a = a.client();
    on_a.sign_up().create_phone(PHONE).await.expect("create");
    on_a.sign_up()
        .prepare_verification(Strategy::PhoneCode)
        .await
        .expect("prepare on A");
    let on_b = via(&b, &on_a);
    on_b.load().await.expect("load");
    let err = code_of(
        on_b.sign_up()
            .prepare_verification(Strategy::PhoneCode)
            .await,
    );
    assert_eq!(
        err.code.as_str(),
        "too_many_requests",
        "B knows A sent a code 0 s ago"
    );
    assert_eq!(err.retry_after_secs, Some(30));

    let wrong = wrong_code(&a.code_for(PHONE).await);
    let id = on_a.sign_up().current().expect("sign-up").id;
    let err = code_of(
        on_a.sign_up()
            .attempt_verification_for(&id, Strategy::PhoneCode, &wrong)
            .await,
    );
    assert_eq!(err.remaining_attempts, Some(2));
    let err = code_of(
        on_b.sign_up()
            .attempt_verification_for(&id, Strategy::PhoneCode, &wrong)
            .await,
    );
    assert_eq!(err.remaining_attempts, Some(1), "B counts A's attempt");
    let err = code_of(
        on_a.sign_up()
            .attempt_verification_for(&id, Strategy::PhoneCode, &wrong)
            .await,
    );
    assert_eq!(err.code.as_str(), "verification_failed");
    clock.advance(Duration::from_secs(30));
    on_b.sign_up()
        .prepare_verification(Strategy::PhoneCode)
        .await
        .expect("after the interval, on B");
}

#[tokio::test]
async fn a_token_signed_by_one_instance_verifies_with_the_others_jwks_across_a_key_rotation() {
    let db = PgDb::create().await;
    let clock = ManualClock::new(1_800_000_000_000);
    let fast = |c: &mut otp_server::Config| {
        c.jwt_rotation_secs = 3600;
        c.key_refresh_ms = 20;
    };
    let a = spawn_instance(&db.url, &clock, fast).await;
    let b = spawn_instance(&db.url, &clock, fast).await;
    let device = a.client();
    a.sign_up(&device, PHONE).await;
    let old = device.session_token().await.expect("JWT from A");
    assert!(verifies(&b, &old).await, "B publishes A's key");

    // An hour later one instance rotates; both sign with the new key and publish both.
    clock.advance(Duration::from_secs(3600));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let on_b = via(&b, &device);
    on_b.load().await.expect("load on B");
    let new = on_b.session_token().await.expect("JWT from B");
    assert_ne!(kid(&old), kid(&new), "a new key signs");
    assert!(verifies(&a, &new).await && verifies(&b, &new).await);
    assert!(
        verifies(&a, &old).await,
        "the old key stays while its tokens live"
    );
    // Once the old tokens have expired, the old key leaves the JWKS.
    clock.advance(Duration::from_secs(121));
    assert!(!verifies(&a, &old).await && !verifies(&b, &old).await);
    assert!(verifies(&a, &new).await);
}

fn kid(jwt: &str) -> Option<String> {
    jsonwebtoken::decode_header(jwt).expect("header").kid
}

/// Whether `jwt`'s signature verifies with a key of `app`'s JWKS (expiry not checked: the
/// servers run on a manual clock).
async fn verifies(app: &TestApp, jwt: &str) -> bool {
    let jwks: jsonwebtoken::jwk::JwkSet =
        reqwest::get(format!("{}/.well-known/jwks.json", app.base_url))
            .await
            .expect("jwks")
            .json()
            .await
            .expect("json");
    let Some(jwk) = kid(jwt).and_then(|k| jwks.find(&k).cloned()) else {
        return false;
    };
    let key = jsonwebtoken::DecodingKey::from_jwk(&jwk).expect("key");
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::EdDSA);
    validation.validate_exp = false;
    jsonwebtoken::decode::<serde_json::Value>(jwt, &key, &validation).is_ok()
}
