//! Sign-in of an existing user on a new device.

use crate::helpers::*;
use otp_client::Strategy;
use otp_client::proto::{SignInStatus, VerificationStatus};

#[tokio::test]
async fn a_user_signs_in_with_their_phone_on_a_new_device() {
    let app = spawn_app().await;
    let first = app.client();
    let sign_up = app.sign_up(&first, PHONE).await;
    app.advance(std::time::Duration::from_secs(60));

    let device = app.client();
    let sign_in = device
        .sign_in()
        .create("+1 202 555 0143")
        .await
        .expect("create");
    assert_eq!(sign_in.status, SignInStatus::NeedsFirstFactor);
    let factors = device.sign_in().supported_first_factors();
    assert_eq!(factors.len(), 1);
    assert_eq!(factors[0].strategy, Strategy::PhoneCode);
    assert_eq!(factors[0].safe_identifier, "+1********43", "masked");
    assert!(factors[0].phone_number_id.is_some());

    let prepared = device
        .sign_in()
        .prepare_first_factor(&factors[0])
        .await
        .expect("prepare");
    let v = prepared.first_factor_verification.expect("verification");
    assert_eq!(v.status, VerificationStatus::Unverified);
    let code = app.code_for(PHONE).await;
    let done = device
        .sign_in()
        .attempt_first_factor(Strategy::PhoneCode, &code)
        .await
        .expect("attempt");
    assert_eq!(done.status, SignInStatus::Complete);
    let session = device
        .set_active(done.created_session_id.as_deref().expect("session"))
        .await
        .expect("touch");
    assert_eq!(
        Some(session.user.id),
        sign_up.created_user_id,
        "the same user"
    );
}

#[tokio::test]
async fn a_user_signs_in_by_email() {
    let app = spawn_app().await;
    app.sign_up(&app.client(), EMAIL).await;
    app.advance(std::time::Duration::from_secs(60));
    let device = app.client();
    let sign_in = device.sign_in().create(EMAIL).await.expect("create");
    let factor = sign_in
        .first_factor(Strategy::EmailCode)
        .expect("email factor")
        .clone();
    assert_eq!(factor.safe_identifier, "j***@example.com");
    device
        .sign_in()
        .prepare_first_factor(&factor)
        .await
        .expect("prepare");
    let code = app.code_for(EMAIL).await;
    let done = device
        .sign_in()
        .attempt_first_factor(Strategy::EmailCode, &code)
        .await
        .expect("attempt");
    assert_eq!(done.status, SignInStatus::Complete);
    assert_eq!(device.state().expect("client").sessions.len(), 1);
}
