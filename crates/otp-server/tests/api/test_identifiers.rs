//! Test identifiers (`--test-identifiers`, off by default), for app-store reviewers and
//! end-to-end tests: `+1 XXX 555-0100` to `555-0199` and `+otp_test` emails take the fixed code
//! 424242, are sent nothing, and still count attempts and send limits.

use crate::helpers::*;
use crate::providers::SmsServer;
use otp_client::Strategy;
use otp_server::Config;

const TEST_CODE: &str = "424242";
const TEST_EMAIL: &str = "jane+otp_test@example.com";
/// Not a test number (line 0200).
const REAL_PHONE: &str = "+12025550200";

fn on(c: &mut Config) {
    c.protection.test_identifiers = true;
}

#[tokio::test]
async fn test_identifiers_sign_up_and_sign_in_with_424242_and_nothing_is_delivered() {
    let app = spawn_app_with(on).await;
    for identifier in [PHONE, TEST_EMAIL] {
        let device = app.client();
        let strategy = app.prepare_sign_up(&device, identifier).await;
        let sign_up = device
            .sign_up()
            .attempt_verification(strategy, TEST_CODE)
            .await
            .expect("424242 signs up");
        assert!(sign_up.created_session_id.is_some());

        app.advance(std::time::Duration::from_secs(31));
        let device = app.client();
        app.start_sign_in(&device, identifier).await;
        let sign_in = device
            .sign_in()
            .attempt_first_factor(strategy, TEST_CODE)
            .await
            .expect("424242 signs in");
        assert!(sign_in.created_session_id.is_some());
        let err = device
            .dev_outbox(identifier)
            .await
            .expect_err("nothing sent");
        assert!(matches!(err, otp_client::Error::Api(e) if e.status == 404));
    }
}

#[tokio::test]
async fn a_wrong_code_for_a_test_identifier_still_counts_and_limits_still_apply() {
    let app = spawn_app_with(on).await;
    let device = app.client();
    let strategy = app.prepare_sign_up(&device, PHONE).await;
    for remaining in [2, 1] {
        let err = code_of(
            device
                .sign_up()
                .attempt_verification(strategy, "000000")
                .await,
        );
        assert_eq!(
            (err.code.as_str(), err.remaining_attempts),
            ("form_code_incorrect", Some(remaining))
        );
    }
    let err = code_of(
        device
            .sign_up()
            .attempt_verification(strategy, "000000")
            .await,
    );
    assert_eq!(err.code.as_str(), "verification_failed");
    // The code is void now, the fixed one included.
    let err = code_of(
        device
            .sign_up()
            .attempt_verification(strategy, TEST_CODE)
            .await,
    );
    assert_eq!(err.code.as_str(), "verification_failed");
    // And a new one waits for the minimum interval, as any send does.
    let err = code_of(device.sign_up().prepare_verification(strategy).await);
    assert_eq!(err.code.as_str(), "too_many_requests");
}

#[tokio::test]
async fn without_the_flag_424242_does_not_work_and_the_code_is_sent() {
    let app = spawn_app().await;
    for identifier in [PHONE, TEST_EMAIL] {
        let device = app.client();
        let strategy = app.prepare_sign_up(&device, identifier).await;
        let real = app.code_for(identifier).await;
        let err = code_of(
            device
                .sign_up()
                .attempt_verification(strategy, TEST_CODE)
                .await,
        );
        if real != TEST_CODE {
            assert_eq!(err.code.as_str(), "form_code_incorrect");
        }
        device
            .sign_up()
            .attempt_verification(strategy, &real)
            .await
            .expect("the code sent works");
    }
}

#[tokio::test]
async fn a_test_number_never_reaches_the_provider_and_the_server_warns() {
    let sms = SmsServer::start().await;
    let app = spawn_app_with(|c| {
        on(c);
        c.dev = false;
        c.delivery.sms_webhook_url = Some(format!("{}/sms", sms.url).into());
        c.delivery.sms_webhook_secret = Some("whsec-0123456789abcdef".into());
        c.delivery.delivery_poll_ms = 20;
    })
    .await;
    assert!(logs().contains("--test-identifiers: phone numbers +1 XXX 555-0100"));
    let device = app.client();
    app.prepare_sign_up(&device, PHONE).await;
    device
        .sign_up()
        .attempt_verification(Strategy::PhoneCode, TEST_CODE)
        .await
        .expect("424242");
    // A real number's code goes out through the same provider; the test number's never did.
    app.prepare_sign_up(&app.client(), REAL_PHONE).await;
    let request = sms.wait_for(1).await;
    assert!(request.body.contains(REAL_PHONE), "{}", request.body);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(sms.received().len(), 1, "nothing went to {PHONE}");
}

/// `/v1/environment` tells clients (clerk-js reads it at load) what this server does: test
/// identifiers as Clerk's `test_mode`, enumeration protection as its `attack_protection`.
#[tokio::test]
async fn the_environment_says_whether_test_identifiers_and_enumeration_protection_are_on() {
    for (test_identifiers, protection) in [(false, true), (true, false)] {
        let app = spawn_app_with(|c| {
            c.protection.test_identifiers = test_identifiers;
            c.protection.enumeration_protection = protection;
        })
        .await;
        let env: serde_json::Value = reqwest::get(format!("{}/v1/environment", app.base_url))
            .await
            .expect("environment")
            .json()
            .await
            .expect("json");
        assert_eq!(env["auth_config"]["test_mode"], test_identifiers);
        assert_eq!(
            env["user_settings"]["attack_protection"]["enumeration_protection"]["enabled"],
            protection
        );
    }
}
