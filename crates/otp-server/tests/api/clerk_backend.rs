//! Clerk's server SDK, `@clerk/backend` (pinned in `tools/package-lock.json`), against our Backend
//! API on SQLite and PostgreSQL: a server started with `--jwt-algorithm RS256` on the wall clock
//! (the SDK checks `exp` against real time), two users signed up through our SDK, and
//! `tests/node/clerk-backend.mjs` doing what an app developer's server does. The Rust half then
//! checks the database agrees: the revoked session and the banned user's session are over, the
//! deleted user is gone. The server's first webhook, as a loopback receiver got it, goes through
//! `verifyWebhook` too (and a tampered copy is refused).

use crate::helpers::*;
use crate::providers::SmsServer as Receiver;
use otp_client::ErrorCode;
use otp_server::config::JwtAlgorithm;
use std::path::Path;
use std::process::Command;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clerk_backend_manages_users_and_verifies_rs256_tokens_on_sqlite() {
    clerk_backend_manages_users(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clerk_backend_manages_users_and_verifies_rs256_tokens_on_postgres() {
    let db = PgDb::create().await;
    clerk_backend_manages_users(Some(&db.url)).await;
}

/// A webhook signing secret, as `otp-server webhooks secret` prints them.
const WEBHOOK_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

async fn rs256_server(database_url: Option<&str>, webhooks: &Receiver) -> TestApp {
    let hook = Some(format!("{}/webhooks", webhooks.url));
    let mut builder = TestApp::builder().system_clock().configure(|c| {
        c.jwt_algorithm = JwtAlgorithm::Rs256;
        c.webhook_url = hook.map(Into::into);
        c.webhook_secret = c.webhook_url.as_ref().map(|_| WEBHOOK_SECRET.into());
        c.delivery.delivery_poll_ms = 20;
        c.key_refresh_ms = 50;
    });
    if let Some(url) = database_url {
        builder = builder.database_url(url);
    }
    builder.spawn().await
}

async fn clerk_backend_manages_users(database_url: Option<&str>) {
    let receiver = Receiver::start().await;
    let app = rs256_server(database_url, &receiver).await;
    let phone_device = app.client();
    let phone_user = app
        .sign_up(&phone_device, PHONE)
        .await
        .created_user_id
        .expect("user");
    let email_device = app.client();
    let email_user = app
        .sign_up(&email_device, EMAIL)
        .await
        .created_user_id
        .expect("user");
    // A token of a key the operator then revokes (`signing-keys rotate --revoke-previous`):
    // the instance stops publishing it at its next refresh, and signs with the new key.
    let revoked_token = email_device.session_token().await.expect("token");
    let store = otp_server::store::connect(&app.config().database_url(), 1)
        .await
        .expect("db");
    let random = otp_server::Random::os();
    let now = app.now_ms();
    otp_server::tokens::rotate(&store, JwtAlgorithm::Rs256, &random, true, now)
        .await
        .expect("rotated");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let token = phone_device.session_token().await.expect("token");
    assert_ne!(
        jsonwebtoken::decode_header(&token).expect("jwt").kid,
        jsonwebtoken::decode_header(&revoked_token)
            .expect("jwt")
            .kid,
        "signed with the new key"
    );
    let secret_key = app.secret_key("clerk-backend").await;

    // The first webhook (user.created), as it reached the receiver.
    for _ in 0..250 {
        if !receiver.received().is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let first = receiver
        .received()
        .first()
        .cloned()
        .expect("a webhook arrived");
    let header = |name: &str| {
        first
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let webhook = serde_json::json!({
        "svix-id": header("svix-id"),
        "svix-timestamp": header("svix-timestamp"),
        "svix-signature": header("svix-signature"),
        "body": first.body,
    })
    .to_string();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/node/clerk-backend.mjs");
    let api_url = app.backend_url();
    let (phone_id, email_id) = (phone_user.clone(), email_user.clone());
    let out = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(script)
            .env("API_URL", api_url)
            .env("SECRET_KEY", secret_key)
            .env("TOKEN", token)
            .env("REVOKED_TOKEN", revoked_token)
            .env("PHONE", PHONE)
            .env("EMAIL", EMAIL)
            .env("PHONE_USER", phone_id)
            .env("EMAIL_USER", email_id)
            .env("WEBHOOK", webhook)
            .env("WEBHOOK_SECRET", WEBHOOK_SECRET)
            .output()
            .expect("node runs")
    })
    .await
    .expect("node task");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the @clerk/backend run failed:\n{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen: serde_json::Value =
        serde_json::from_str(stdout.lines().last().unwrap_or_default()).expect("JSON summary");
    assert_eq!(seen["revokedTokenRejected"], "jwk-kid-mismatch", "{seen}");
    assert_eq!(
        seen["webhook"],
        serde_json::json!({"type": "user.created", "user": phone_user})
    );
    assert!(
        seen["tamperedWebhook"]
            .as_str()
            .is_some_and(|m| m.contains("verify")),
        "{seen}"
    );
    assert_eq!(
        seen["deletedUser"],
        serde_json::json!({"status": 404, "code": "resource_not_found"})
    );
    assert_eq!(
        seen["wrongKey"],
        serde_json::json!({"status": 401, "code": "clerk_key_invalid"})
    );

    // What the SDK did is what the server now does.
    assert!(
        phone_device.session_token().await.is_err(),
        "revoked, then deleted"
    );
    assert_eq!(
        code_of(email_device.session_token().await).code,
        ErrorCode::AuthenticationInvalid,
        "the ban signed the email user out"
    );
    let backend = app.backend().await;
    assert!(backend.user(&email_user).await.expect("user").user.banned);
    assert_eq!(
        code_of(backend.user(&phone_user).await).code,
        ErrorCode::ResourceNotFound
    );
}
