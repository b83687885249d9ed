//! Sessions: staying signed in, signing out, tokens for the app's own servers, lifetimes.

use crate::helpers::*;
use otp_client::proto::SessionStatus;
use std::time::Duration;

const DAY: Duration = Duration::from_secs(24 * 3600);

#[tokio::test]
async fn a_saved_client_token_restores_the_signed_in_state() {
    let app = spawn_app().await;
    let device = app.client();
    let sign_up = app.sign_up(&device, PHONE).await;
    let saved = device.token();

    // The app restarts: a new SDK client from the token it kept in the keychain.
    let restored = otp_client::Client::new(&app.base_url).with_token(saved);
    let client = restored
        .load()
        .await
        .expect("load")
        .expect("the client still exists");
    let session = client.last_active_session().expect("signed in");
    assert_eq!(session.status, SessionStatus::Active);
    assert_eq!(Some(session.user.id.clone()), sign_up.created_user_id);

    // And across a server restart too.
    let app = app.restart().await;
    let restored = otp_client::Client::new(&app.base_url).with_token(device.token());
    assert!(
        restored
            .load()
            .await
            .expect("load")
            .and_then(|c| c.last_active_session().cloned())
            .is_some()
    );
}

#[tokio::test]
async fn the_token_changes_when_a_session_starts_and_the_sdk_reports_it() {
    let app = spawn_app().await;
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::<Option<String>>::new()));
    let log = seen.clone();
    let device = app
        .client()
        .on_token_change(move |t| log.lock().expect("lock").push(t.map(str::to_owned)));
    device.sign_up().create_phone(PHONE).await.expect("create");
    let before = device.token().expect("token");
    device
        .sign_up()
        .prepare_verification(otp_client::Strategy::PhoneCode)
        .await
        .expect("prepare");
    let code = app.code_for(PHONE).await;
    device
        .sign_up()
        .attempt_verification(otp_client::Strategy::PhoneCode, &code)
        .await
        .expect("attempt");
    let after = device.token().expect("token");
    assert_ne!(
        before, after,
        "a pre-sign-in token is worth nothing after sign-in"
    );
    assert_eq!(
        *seen.lock().expect("lock"),
        vec![Some(before.clone()), Some(after)]
    );

    let stale = otp_client::Client::new(&app.base_url).with_token(Some(before));
    assert!(
        stale.load().await.expect("load").is_none(),
        "the old token names no client"
    );
}

#[tokio::test]
async fn signing_out_ends_every_session_of_the_device() {
    let app = spawn_app().await;
    let device = app.client();
    let sign_up = app.sign_up(&device, PHONE).await;
    let client = device.sign_out().await.expect("sign out");
    assert!(client.sessions.is_empty());
    assert_eq!(client.last_active_session_id, None);
    let err = code_of(
        device
            .set_active(sign_up.created_session_id.as_deref().expect("id"))
            .await,
    );
    assert_eq!(err.code.as_str(), "authentication_invalid");
    assert_eq!(err.status, 401);
}

#[tokio::test]
async fn ending_one_session_keeps_the_others() {
    let app = spawn_app().await;
    let device = app.client();
    let first = app
        .sign_up(&device, PHONE)
        .await
        .created_session_id
        .expect("session");
    app.advance(Duration::from_secs(60));
    app.start_sign_in(&device, PHONE).await;
    let code = app.code_for(PHONE).await;
    let second = device
        .sign_in()
        .attempt_first_factor(otp_client::Strategy::PhoneCode, &code)
        .await
        .expect("sign in");
    let second = second.created_session_id.expect("session");
    assert_eq!(device.state().expect("client").sessions.len(), 2);

    let ended = device.end_session(&second).await.expect("end");
    assert_eq!(ended.status, SessionStatus::Ended);
    let client = device.state().expect("client");
    assert_eq!(client.sessions.len(), 1);
    assert_eq!(
        client.last_active_session_id.as_deref(),
        Some(first.as_str())
    );
}

#[tokio::test]
async fn a_session_token_is_a_short_jwt_verifiable_with_the_jwks_even_after_a_restart() {
    let app = spawn_app().await;
    let device = app.client();
    let sign_up = app.sign_up(&device, PHONE).await;
    let jwt = device.session_token().await.expect("token");
    let app = app.restart().await;

    let jwks: jsonwebtoken::jwk::JwkSet =
        reqwest::get(format!("{}/.well-known/jwks.json", app.base_url))
            .await
            .expect("jwks")
            .json()
            .await
            .expect("json");
    let key = jsonwebtoken::DecodingKey::from_jwk(&jwks.keys[0]).expect("key");
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::EdDSA);
    validation.validate_exp = false; // the server's clock is not the wall clock here
    let data = jsonwebtoken::decode::<serde_json::Value>(&jwt, &key, &validation)
        .expect("signature valid");
    let claims = data.claims;
    assert_eq!(claims["sub"].as_str(), sign_up.created_user_id.as_deref());
    assert_eq!(
        claims["sid"].as_str(),
        sign_up.created_session_id.as_deref()
    );
    assert_eq!(
        claims["exp"].as_i64().expect("exp") - claims["iat"].as_i64().expect("iat"),
        60
    );
    assert_eq!(claims["nbf"], claims["iat"]);
    assert!(
        claims["iss"]
            .as_str()
            .is_some_and(|iss| iss.starts_with("http://127.0.0.1:"))
    );
}

#[tokio::test]
async fn an_idle_session_expires_after_seven_days() {
    let app = spawn_app().await;
    let device = app.client();
    app.sign_up(&device, PHONE).await;
    app.advance(7 * DAY - Duration::from_secs(1));
    device
        .session_token()
        .await
        .expect("still active a second before");
    app.advance(7 * DAY);
    let err = code_of(device.session_token().await);
    assert_eq!(err.code.as_str(), "authentication_invalid");
    let client = device.load().await.expect("load").expect("client");
    assert!(
        client.sessions.is_empty(),
        "expired sessions leave the client"
    );
}

#[tokio::test]
async fn an_active_session_still_ends_thirty_days_after_sign_in() {
    let app = spawn_app().await;
    let device = app.client();
    app.sign_up(&device, PHONE).await;
    for _ in 0..4 {
        app.advance(6 * DAY);
        device
            .session_token()
            .await
            .expect("activity keeps it alive");
    }
    app.advance(6 * DAY - Duration::from_secs(1));
    device.session_token().await.expect("29 days 23:59:59");
    app.advance(Duration::from_secs(1));
    assert_eq!(
        code_of(device.session_token().await).code.as_str(),
        "authentication_invalid"
    );
}

#[tokio::test]
async fn each_active_session_comes_with_a_fresh_token_as_clerk_sends_it() {
    let app = spawn_app().await;
    let device = app.client();
    let sign_up = app.sign_up(&device, PHONE).await;
    let client = device.load().await.expect("load").expect("client");
    let session = client.last_active_session().expect("active session");
    let token = session
        .last_active_token
        .as_ref()
        .expect("last_active_token");
    // The same kind of JWT as `…/tokens` gives: this session, this user.
    let claims = jsonwebtoken::dangerous::insecure_decode::<serde_json::Value>(&token.jwt)
        .expect("a JWT")
        .claims;
    assert_eq!(
        claims["sid"].as_str(),
        sign_up.created_session_id.as_deref()
    );
    assert_eq!(claims["sub"].as_str(), sign_up.created_user_id.as_deref());
    assert_eq!(claims["iat"].as_i64(), Some(app.now_ms() / 1000));

    device.sign_out().await.expect("sign out");
    let client = device.load().await.expect("load").expect("client");
    assert!(
        client
            .sessions
            .iter()
            .all(|s| s.last_active_token.is_none())
    );
}
