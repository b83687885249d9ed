//! The auth store's steps against a real `otp-server`, as the screens use them: each step's
//! result applied to the state machine.

use crate::helpers::*;
use otp_dioxus::*;
use otp_server::ManualClock;
use std::time::Duration;

/// The app's time in these tests: the state machine is given it, as the store gives it its clock.
fn now() -> i64 {
    1_800_000_000_000
}

async fn sign_up(
    client: &AuthClient,
    url: &str,
    state: &mut AuthState,
    input: &str,
    channel: Channel,
) {
    assert!(state.begin(Busy::Continue));
    let pending = client
        .start_sign_up(input, channel)
        .await
        .expect("code sent");
    state.code_sent(pending.clone(), now());
    let code = code_for(url, &pending.identifier).await;
    assert!(state.begin(Busy::Verify));
    state.signed_in(client.verify(&pending, &code).await.expect("verified"));
}

#[tokio::test]
async fn a_phone_sign_up_ends_signed_in_with_the_token_saved() {
    let server = spawn_server().await;
    let tokens = MemoryTokenStore::new();
    let client = AuthClient::new(&server.base_url, tokens.clone());
    let mut state = AuthState::default();
    assert_eq!(
        client.restore().await.expect("restore"),
        None,
        "nothing saved yet"
    );
    state.signed_out(Flow::SignUp);

    assert!(state.begin(Busy::Continue));
    let pending = client
        .start_sign_up("(202) 555-0143", Channel::Phone)
        .await
        .expect("code sent");
    assert_eq!(
        (pending.identifier.as_str(), pending.masked.as_str()),
        (PHONE, "+1********43")
    );
    state.code_sent(pending.clone(), now());
    assert_eq!(state.resend_wait_secs(now()), 30);
    let code = server.code_for(PHONE).await;
    state.signed_in(client.verify(&pending, &code).await.expect("verified"));

    let Phase::SignedIn(session) = &state.phase else {
        panic!("not signed in: {state:?}")
    };
    assert_eq!(session.identifier, PHONE);
    assert_eq!(
        tokens.load().expect("load"),
        client.sdk().token(),
        "the latest token is saved"
    );
}

#[tokio::test]
async fn an_email_user_signs_up_then_signs_in_on_another_device() {
    let clock = ManualClock::new(1_800_000_000_000);
    let server = TestServer::builder().clock(&clock).spawn().await;
    let first = AuthClient::new(&server.base_url, MemoryTokenStore::new());
    sign_up(
        &first,
        &server.base_url,
        &mut AuthState::default(),
        EMAIL,
        Channel::Email,
    )
    .await;
    clock.advance(Duration::from_secs(30));

    let device = AuthClient::new(&server.base_url, MemoryTokenStore::new());
    let pending = device
        .start_sign_in(EMAIL, Channel::Email)
        .await
        .expect("code sent");
    assert_eq!(
        (pending.flow, pending.channel, pending.masked.as_str()),
        (Flow::SignIn, Channel::Email, "j***@example.com")
    );
    let code = server.code_for(EMAIL).await;
    let session = device.verify(&pending, &code).await.expect("signed in");
    assert_eq!(session.identifier, EMAIL);
}

#[tokio::test]
async fn resend_waits_for_the_cooldown_the_server_enforces() {
    let clock = ManualClock::new(1_800_000_000_000);
    let server = TestServer::builder().clock(&clock).spawn().await;
    let client = AuthClient::new(&server.base_url, MemoryTokenStore::new());
    let mut state = AuthState::default();
    let pending = client
        .start_sign_up(PHONE, Channel::Phone)
        .await
        .expect("code sent");
    state.code_sent(pending.clone(), now());

    assert!(state.begin(Busy::Resend));
    clock.advance(Duration::from_secs(12));
    let error = client.resend(&pending).await.expect_err("too early");
    assert_eq!(error.message, "Too many requests. Try again in 18 seconds.");
    state.failed(error, now());
    assert_eq!(
        state.resend_wait_secs(now()),
        18,
        "the countdown follows the server"
    );

    clock.advance(Duration::from_secs(18));
    assert!(state.begin(Busy::Resend));
    client.resend(&pending).await.expect("allowed now");
    state.code_resent(now());
    let code = server.code_for(PHONE).await;
    client
        .verify(&pending, &code)
        .await
        .expect("the new code works");
}

#[tokio::test]
async fn a_wrong_code_tells_the_attempts_left_and_an_unknown_number_offers_sign_up() {
    // A server that answers Clerk's explicit `form_identifier_not_found` (enumeration
    // protection off); with it on, see the next test.
    let server = spawn_server_with(|c| c.protection.enumeration_protection = false).await;
    let client = AuthClient::new(&server.base_url, MemoryTokenStore::new());
    let pending = client
        .start_sign_up(PHONE, Channel::Phone)
        .await
        .expect("code sent");
    let code = server.code_for(PHONE).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let error = client.verify(&pending, wrong).await.expect_err("wrong");
    assert_eq!(
        (error.field, error.message.as_str()),
        (Field::Code, "That code is incorrect. 2 attempts left.")
    );

    let error = client
        .start_sign_in("+12025550199", Channel::Phone)
        .await
        .expect_err("no account");
    assert_eq!(error.remedy, Some(Remedy::SignUpInstead));
    assert_eq!(error.message, "No account uses this phone number.");
}

/// With enumeration protection (the server's default), a sign-in of a number with no account
/// goes to the code screen like any other, and every code is incorrect: the app learns nothing
/// the server hides, and the user still has the usual ways out (resend, start over).
#[tokio::test]
async fn with_enumeration_protection_an_unknown_number_reaches_the_code_screen_and_no_code_works() {
    let server = spawn_server().await;
    let client = AuthClient::new(&server.base_url, MemoryTokenStore::new());
    let pending = client
        .start_sign_in("+12025550199", Channel::Phone)
        .await
        .expect("answered as for a known number");
    let error = client
        .verify(&pending, "123456")
        .await
        .expect_err("no code works");
    assert_eq!(
        (error.field, error.message.as_str()),
        (Field::Code, "That code is incorrect. 2 attempts left.")
    );
}

#[tokio::test]
async fn sign_out_ends_the_session_and_forgets_the_token_and_a_restart_restores_a_live_one() {
    let server = spawn_server().await;
    let tokens = MemoryTokenStore::new();
    let client = AuthClient::new(&server.base_url, tokens.clone());
    sign_up(
        &client,
        &server.base_url,
        &mut AuthState::default(),
        PHONE,
        Channel::Phone,
    )
    .await;

    // The app restarts: a new client from the saved token goes straight to signed in.
    let restarted = AuthClient::new(&server.base_url, tokens.clone());
    let session = restarted
        .restore()
        .await
        .expect("restore")
        .expect("still signed in");
    assert_eq!(session.identifier, PHONE);

    let token = tokens.load().expect("load").expect("saved");
    restarted.sign_out().await.expect("signed out");
    assert_eq!(tokens.load().expect("load"), None, "the token is forgotten");
    let old = otp_client::Client::new(&server.base_url).with_token(Some(token));
    let client_on_server = old.load().await.expect("load").expect("client");
    assert!(
        client_on_server.sessions.is_empty(),
        "the session ended on the server"
    );
    assert_eq!(
        AuthClient::new(&server.base_url, tokens)
            .restore()
            .await
            .expect("restore"),
        None
    );
}

#[tokio::test]
async fn an_unreachable_backend_says_so_and_offers_a_retry() {
    let client = AuthClient::new("http://127.0.0.1:9", MemoryTokenStore::new());
    let error = client
        .start_sign_up(PHONE, Channel::Phone)
        .await
        .expect_err("nothing listens there");
    assert_eq!(error.remedy, Some(Remedy::Retry));
    assert_eq!(
        error.message,
        "Can't reach the server. Check your connection and try again."
    );
}

#[tokio::test]
async fn a_code_the_provider_refuses_for_good_is_reported_to_the_user() {
    // An SMS gateway that refuses every message for good (HTTP 400).
    let gateway = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let gateway_url = format!("http://{}", gateway.local_addr().expect("addr"));
    let refuse = axum::Router::new()
        .fallback(|| async { (axum::http::StatusCode::BAD_REQUEST, "invalid number") });
    tokio::spawn(async move { axum::serve(gateway, refuse).await });
    let server = spawn_server_with(|c| {
        c.dev = false;
        c.delivery.sms_webhook_url = Some(gateway_url.into());
        c.delivery.sms_webhook_secret = Some("a-secret-of-16-chars-or-more".into());
        c.delivery.delivery_poll_ms = 20;
    })
    .await;
    let client = AuthClient::new(&server.base_url, MemoryTokenStore::new());
    let mut state = AuthState::default();
    let pending = client
        .start_sign_up(PHONE, Channel::Phone)
        .await
        .expect("queued");
    state.code_sent(pending.clone(), now());
    let mut failed = false;
    for _ in 0..100 {
        failed = client.delivery_failed(&pending).await.expect("asked");
        if failed {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(failed, "the server reports the failure");
    state.delivery_failed(
        &pending.attempt_id,
        client.delivery_failed_message(&pending),
    );
    let error = state
        .error_for(Field::Code)
        .expect("shown on the code field");
    assert_eq!(
        error.message,
        "We couldn't deliver the text message to +1********43. Send a new code, or change it."
    );
    assert_eq!(error.remedy, Some(Remedy::Resend));
}

/// A backend that accepts the connection and never answers: after the SDK's time limit
/// (15 s) the user sees that the server cannot be reached, with Try again, not an endless wait.
#[tokio::test]
async fn a_backend_that_never_answers_is_given_up_on_with_a_retry() {
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", silent.local_addr().expect("addr"));
    let held = tokio::spawn(async move {
        let mut open = vec![];
        while let Ok((stream, _)) = silent.accept().await {
            open.push(stream);
        }
    });
    let client = AuthClient::new(&url, MemoryTokenStore::new());
    let error = tokio::time::timeout(
        otp_client::DEFAULT_TIMEOUT + Duration::from_secs(10),
        client.start_sign_up(PHONE, Channel::Phone),
    )
    .await
    .expect("given up on at the time limit")
    .expect_err("no answer");
    assert_eq!(error.remedy, Some(Remedy::Retry));
    assert_eq!(
        error.message,
        "Can't reach the server. Check your connection and try again."
    );
    held.abort();
}
