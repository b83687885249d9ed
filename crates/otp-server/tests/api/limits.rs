//! The security policy's limits: attempts per code, sends per identifier and per IP, lock-outs.
//! Limits live in the database, so they hold across restarts.

use crate::errors::wrong_code;
use crate::helpers::*;
use otp_client::Strategy;
use std::time::Duration;

#[tokio::test]
async fn the_third_wrong_code_voids_the_code_until_a_new_one_is_sent() {
    let app = spawn_app().await;
    let device = app.client();
    let code = app.sign_up_code(&device, PHONE).await;
    let wrong = wrong_code(&code);
    for _ in 0..2 {
        device
            .sign_up()
            .attempt_verification(Strategy::PhoneCode, &wrong)
            .await
            .expect_err("wrong");
    }
    let err = code_of(
        device
            .sign_up()
            .attempt_verification(Strategy::PhoneCode, &wrong)
            .await,
    );
    assert_eq!(err.code.as_str(), "verification_failed");
    let err = code_of(
        device
            .sign_up()
            .attempt_verification(Strategy::PhoneCode, &code)
            .await,
    );
    assert_eq!(
        err.code.as_str(),
        "verification_failed",
        "even the right code is refused now"
    );

    app.advance(Duration::from_secs(30));
    device
        .sign_up()
        .prepare_verification(Strategy::PhoneCode)
        .await
        .expect("a new code");
    let code = app.code_for(PHONE).await;
    device
        .sign_up()
        .attempt_verification(Strategy::PhoneCode, &code)
        .await
        .expect("the new code works");
}

#[tokio::test]
async fn codes_to_one_identifier_are_thirty_seconds_apart_even_across_a_restart() {
    let app = spawn_app().await;
    let device = app.client();
    app.prepare_sign_up(&device, PHONE).await;
    app.advance(Duration::from_secs(10));
    let app = app.restart().await;
    let device = otp_client::Client::new(&app.base_url).with_token(device.token());
    device.load().await.expect("load");
    let err = code_of(
        device
            .sign_up()
            .prepare_verification(Strategy::PhoneCode)
            .await,
    );
    assert_eq!((err.status, err.code.as_str()), (429, "too_many_requests"));
    assert_eq!(err.retry_after_secs, Some(20));
    app.advance(Duration::from_secs(20));
    device
        .sign_up()
        .prepare_verification(Strategy::PhoneCode)
        .await
        .expect("allowed after the wait");
}

#[tokio::test]
async fn at_most_five_codes_per_hour_reach_one_identifier() {
    let app = spawn_app().await;
    let device = app.client();
    device.sign_up().create_phone(PHONE).await.expect("create");
    for _ in 0..5 {
        device
            .sign_up()
            .prepare_verification(Strategy::PhoneCode)
            .await
            .expect("within the limit");
        app.advance(Duration::from_secs(60));
    }
    let err = code_of(
        device
            .sign_up()
            .prepare_verification(Strategy::PhoneCode)
            .await,
    );
    assert_eq!(err.code.as_str(), "too_many_requests");
    assert_eq!(
        err.retry_after_secs,
        Some(3600 - 300),
        "until the first send leaves the hour"
    );
    // A new sign-up attempt for the same number does not reset the count.
    let other = app.client();
    other.sign_up().create_phone(PHONE).await.expect("create");
    assert_eq!(
        code_of(
            other
                .sign_up()
                .prepare_verification(Strategy::PhoneCode)
                .await
        )
        .code
        .as_str(),
        "too_many_requests"
    );
}

#[tokio::test]
async fn one_client_ip_cannot_send_codes_to_many_numbers() {
    let app = spawn_app_with(|c| c.policy.ip_sends_per_hour = 3).await;
    for n in 0..3 {
        let device = app.client();
        device
            .sign_up()
            .create_phone(&format!("+1202555010{n}"))
            .await
            .expect("create");
        device
            .sign_up()
            .prepare_verification(Strategy::PhoneCode)
            .await
            .expect("within the IP cap");
    }
    let device = app.client();
    device
        .sign_up()
        .create_phone("+12025550109")
        .await
        .expect("create");
    let err = code_of(
        device
            .sign_up()
            .prepare_verification(Strategy::PhoneCode)
            .await,
    );
    assert_eq!(err.code.as_str(), "too_many_requests");
    assert!(err.retry_after_secs.is_some_and(|s| s > 3000));
}

#[tokio::test]
async fn a_hundred_consecutive_wrong_codes_lock_the_identifier_for_an_hour() {
    let app = spawn_app().await;
    app.sign_up(&app.client(), PHONE).await;
    let device = app.client();
    let mut failures = 0;
    while failures < 100 {
        // Five sends an hour: one every twelve minutes.
        app.advance(Duration::from_secs(12 * 60));
        app.start_sign_in(&device, PHONE).await;
        let wrong = wrong_code(&app.code_for(PHONE).await);
        for _ in 0..3 {
            if failures == 100 {
                break;
            }
            let err = code_of(
                device
                    .sign_in()
                    .attempt_first_factor(Strategy::PhoneCode, &wrong)
                    .await,
            );
            assert_ne!(
                err.code.as_str(),
                "user_locked",
                "not locked before the 100th failure ({failures})"
            );
            failures += 1;
        }
    }
    // Locked: even a fresh code cannot be sent or used.
    app.advance(Duration::from_secs(12 * 60));
    let err = code_of(
        device.sign_in().create(PHONE).await.and(
            device
                .sign_in()
                .prepare_first_factor(otp_client::FirstFactor {
                    strategy: Strategy::PhoneCode,
                    identifier_id: None,
                })
                .await,
        ),
    );
    assert_eq!((err.status, err.code.as_str()), (403, "user_locked"));
    assert!(err.retry_after_secs.is_some_and(|s| s > 2000 && s <= 3600));

    app.advance(Duration::from_secs(3600));
    app.start_sign_in(&device, PHONE).await;
    let code = app.code_for(PHONE).await;
    device
        .sign_in()
        .attempt_first_factor(Strategy::PhoneCode, &code)
        .await
        .expect("unlocked after an hour");
}

#[tokio::test]
async fn every_limit_of_the_policy_is_configurable() {
    let app = spawn_app_with(|c| {
        c.policy.code_ttl_secs = 60;
        c.policy.max_attempts = 1;
        c.policy.send_interval_secs = 5;
    })
    .await;
    let device = app.client();
    device.sign_up().create_phone(PHONE).await.expect("create");
    let v = device
        .sign_up()
        .prepare_verification(Strategy::PhoneCode)
        .await
        .expect("prepare");
    let expire_at = v
        .verifications
        .phone_number
        .and_then(|v| v.expire_at)
        .expect("expiry");
    assert_eq!(expire_at, app.now_ms() + 60_000);
    let wrong = wrong_code(&app.code_for(PHONE).await);
    let err = code_of(
        device
            .sign_up()
            .attempt_verification(Strategy::PhoneCode, &wrong)
            .await,
    );
    assert_eq!(err.code.as_str(), "verification_failed", "one attempt only");
    app.advance(Duration::from_secs(5));
    device
        .sign_up()
        .prepare_verification(Strategy::PhoneCode)
        .await
        .expect("five seconds apart");
}

#[tokio::test]
async fn the_load_test_switch_lifts_only_the_per_ip_cap() {
    let app = spawn_app_with(|c| {
        c.policy.ip_sends_per_hour = 1;
        c.policy.no_ip_limits = true;
    })
    .await;
    for n in 0..3 {
        let device = app.client();
        device
            .sign_up()
            .create_phone(&format!("+1202555010{n}"))
            .await
            .expect("create");
        device
            .sign_up()
            .prepare_verification(Strategy::PhoneCode)
            .await
            .expect("no per-IP cap");
    }
    let device = app.client();
    device
        .sign_up()
        .create_phone("+12025550100")
        .await
        .expect("create");
    let err = code_of(
        device
            .sign_up()
            .prepare_verification(Strategy::PhoneCode)
            .await,
    );
    assert_eq!(
        err.code.as_str(),
        "too_many_requests",
        "the per-identifier interval still holds"
    );
}
