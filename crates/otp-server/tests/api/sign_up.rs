//! Sign-up, as the guide's users do it.

use crate::helpers::*;
use otp_client::proto::{NextAction, SessionStatus, SignUpStatus, VerificationStatus};
use otp_client::{Encoding, Strategy};

#[tokio::test]
async fn a_new_user_signs_up_with_a_phone_number_and_is_signed_in() {
    let app = spawn_app().await;
    let device = app.client();

    let sign_up = device
        .sign_up()
        .create_phone("+1 (202) 555-0143")
        .await
        .expect("create");
    assert_eq!(sign_up.status, SignUpStatus::MissingRequirements);
    assert_eq!(
        sign_up.phone_number.as_deref(),
        Some(PHONE),
        "normalized to E.164"
    );
    assert_eq!(sign_up.unverified_fields, vec!["phone_number"]);
    let v = sign_up
        .verifications
        .phone_number
        .as_ref()
        .expect("phone verification");
    assert_eq!(v.next_action, Some(NextAction::NeedsPrepare));
    assert!(
        device.token().is_some(),
        "the server handed the device a client token"
    );

    let prepared = device
        .sign_up()
        .prepare_verification(Strategy::PhoneCode)
        .await
        .expect("prepare");
    let v = prepared.verifications.phone_number.expect("verification");
    assert_eq!(
        (v.status, v.strategy, v.attempts),
        (
            VerificationStatus::Unverified,
            Some(Strategy::PhoneCode),
            Some(0)
        )
    );
    assert_eq!(
        v.expire_at,
        Some(app.now_ms() + 600_000),
        "codes live ten minutes"
    );

    let message = device.dev_outbox(PHONE).await.expect("message");
    assert!(
        message.body.contains(&message.code),
        "the text carries the code"
    );
    let done = device
        .sign_up()
        .attempt_verification(Strategy::PhoneCode, &message.code)
        .await
        .expect("attempt");
    assert_eq!(done.status, SignUpStatus::Complete);
    assert!(done.unverified_fields.is_empty());
    let session_id = done.created_session_id.clone().expect("session created");
    let user_id = done.created_user_id.clone().expect("user created");

    // The client in the same response already holds the new session.
    let client = device.state().expect("client");
    assert_eq!(
        client.last_active_session_id.as_deref(),
        Some(session_id.as_str())
    );

    let session = device.set_active(&session_id).await.expect("set active");
    assert_eq!(session.status, SessionStatus::Active);
    assert_eq!(session.user.id, user_id);
    assert_eq!(session.user.phone_numbers[0].phone_number, PHONE);
    assert_eq!(session.public_user_data.identifier, PHONE);
}

#[tokio::test]
async fn a_new_user_signs_up_with_an_email_address() {
    let app = spawn_app().await;
    let device = app.client();
    let sign_up = device
        .sign_up()
        .create_email("  Jane.Doe@EXAMPLE.com ")
        .await
        .expect("create");
    assert_eq!(
        sign_up.email_address.as_deref(),
        Some("Jane.Doe@EXAMPLE.com")
    );
    device
        .sign_up()
        .prepare_verification(Strategy::EmailCode)
        .await
        .expect("prepare");
    let code = app.code_for("Jane.Doe@example.com").await;
    let done = device
        .sign_up()
        .attempt_verification(Strategy::EmailCode, &code)
        .await
        .expect("attempt");
    assert_eq!(done.status, SignUpStatus::Complete);
    let session = device
        .set_active(done.created_session_id.as_deref().expect("session"))
        .await
        .expect("touch");
    assert_eq!(
        session.user.email_addresses[0].email_address,
        "Jane.Doe@EXAMPLE.com"
    );
    assert_eq!(
        session.user.primary_email_address_id.as_deref(),
        Some(session.user.email_addresses[0].id.as_str())
    );
}

#[tokio::test]
async fn json_bodies_work_like_form_bodies() {
    let app = spawn_app().await;
    let device = app.client().with_encoding(Encoding::Json);
    let code = app.sign_up_code(&device, PHONE).await;
    let done = device
        .sign_up()
        .attempt_verification(Strategy::PhoneCode, &code)
        .await
        .expect("attempt");
    assert_eq!(done.status, SignUpStatus::Complete);
}

#[tokio::test]
async fn only_the_latest_code_is_valid() {
    let app = spawn_app().await;
    let device = app.client();
    app.prepare_sign_up(&device, PHONE).await;
    let first = app.code_for(PHONE).await;
    app.advance(std::time::Duration::from_secs(30));
    device
        .sign_up()
        .prepare_verification(Strategy::PhoneCode)
        .await
        .expect("resend");
    let second = app.code_for(PHONE).await;
    if first != second {
        let err = code_of(
            device
                .sign_up()
                .attempt_verification(Strategy::PhoneCode, &first)
                .await,
        );
        assert_eq!(err.code.as_str(), "form_code_incorrect");
    }
    let done = device
        .sign_up()
        .attempt_verification(Strategy::PhoneCode, &second)
        .await
        .expect("latest code works");
    assert_eq!(done.status, SignUpStatus::Complete);
}

#[tokio::test]
async fn a_code_works_until_the_last_millisecond_of_its_ten_minutes() {
    let app = spawn_app().await;
    let device = app.client();
    let code = app.sign_up_code(&device, PHONE).await;
    app.advance(std::time::Duration::from_millis(600_000 - 1));
    let done = device
        .sign_up()
        .attempt_verification(Strategy::PhoneCode, &code)
        .await
        .expect("still valid");
    assert_eq!(done.status, SignUpStatus::Complete);
}

#[tokio::test]
async fn a_code_is_single_use() {
    let app = spawn_app().await;
    let device = app.client();
    let code = app.sign_up_code(&device, PHONE).await;
    device
        .sign_up()
        .attempt_verification(Strategy::PhoneCode, &code)
        .await
        .expect("first use");
    let err = code_of(
        device
            .sign_up()
            .attempt_verification(Strategy::PhoneCode, &code)
            .await,
    );
    assert_eq!(err.code.as_str(), "verification_already_verified");
    assert_eq!(
        device.state().expect("client").sessions.len(),
        1,
        "still one session"
    );
}

#[tokio::test]
async fn a_code_prepared_before_a_restart_still_verifies_after_it() {
    let app = spawn_app().await;
    let device = app.client();
    let code = app.sign_up_code(&device, PHONE).await;
    let app = app.restart().await;
    let device = otp_client::Client::new(&app.base_url).with_token(device.token());
    device.load().await.expect("load");
    let done = device
        .sign_up()
        .attempt_verification(Strategy::PhoneCode, &code)
        .await
        .expect("HMAC key kept");
    assert_eq!(done.status, SignUpStatus::Complete);
}
