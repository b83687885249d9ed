//! The policy under concurrency: counters are exact, and a code creates at most one of anything.

use crate::errors::wrong_code;
use crate::helpers::*;
use otp_client::Strategy;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_wrong_guesses_never_exceed_the_attempt_limit() {
    let app = spawn_app().await;
    let device = app.client();
    let sign_up = device.sign_up().create_phone(PHONE).await.expect("create");
    device
        .sign_up()
        .prepare_verification(Strategy::PhoneCode)
        .await
        .expect("prepare");
    let code = app.code_for(PHONE).await;
    let wrong = wrong_code(&code);

    let guesses = (0..50).map(|_| {
        let device = device.clone();
        let (id, wrong) = (sign_up.id.clone(), wrong.clone());
        tokio::spawn(async move {
            device
                .sign_up()
                .attempt_verification_for(&id, Strategy::PhoneCode, &wrong)
                .await
        })
    });
    let mut incorrect = 0;
    let mut failed = 0;
    for guess in guesses {
        match code_of(guess.await.expect("task")).code.as_str() {
            "form_code_incorrect" => incorrect += 1,
            "verification_failed" => failed += 1,
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(
        (incorrect, failed),
        (2, 48),
        "exactly three guesses were judged"
    );
    let sign_up = device.sign_up().get(&sign_up.id).await.expect("get");
    assert_eq!(
        sign_up.verifications.phone_number.and_then(|v| v.attempts),
        Some(3)
    );
    let err = code_of(
        device
            .sign_up()
            .attempt_verification(Strategy::PhoneCode, &code)
            .await,
    );
    assert_eq!(
        err.code.as_str(),
        "verification_failed",
        "the right code came too late"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_concurrent_correct_attempts_create_exactly_one_session() {
    let app = spawn_app().await;
    let device = app.client();
    let sign_up = device.sign_up().create_phone(PHONE).await.expect("create");
    device
        .sign_up()
        .prepare_verification(Strategy::PhoneCode)
        .await
        .expect("prepare");
    let code = app.code_for(PHONE).await;
    let attempts: Vec<_> = (0..2)
        .map(|_| {
            let device = device.clone();
            let (id, code) = (sign_up.id.clone(), code.clone());
            tokio::spawn(async move {
                device
                    .sign_up()
                    .attempt_verification_for(&id, Strategy::PhoneCode, &code)
                    .await
            })
        })
        .collect();
    let mut ok = 0;
    for a in attempts {
        match a.await.expect("task") {
            Ok(_) => ok += 1,
            // The loser was judged after the winner (the code is used), or arrived after the
            // winner's sign-in had replaced the device's token (the old token names nothing).
            Err(e) => assert!(
                matches!(
                    e.code().map(|c| c.as_str()),
                    Some("verification_already_verified" | "resource_not_found")
                ),
                "{e}"
            ),
        }
    }
    assert_eq!(ok, 1);
    let client = device.load().await.expect("load").expect("client");
    assert_eq!(client.sessions.len(), 1, "one session");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_concurrent_sign_ups_of_one_identifier_create_exactly_one_user() {
    // Without enumeration protection, so the loser is told why (with it, see enumeration.rs).
    let app = spawn_app_with(|c| c.protection.enumeration_protection = false).await;
    let (a, b) = (app.client(), app.client());
    let mut codes = vec![];
    for device in [&a, &b] {
        device.sign_up().create_phone(PHONE).await.expect("create");
        device
            .sign_up()
            .prepare_verification(Strategy::PhoneCode)
            .await
            .expect("prepare");
        codes.push(app.code_for(PHONE).await);
        app.advance(Duration::from_secs(30));
    }
    let attempts: Vec<_> = [a.clone(), b.clone()]
        .into_iter()
        .zip(codes)
        .map(|(device, code)| {
            tokio::spawn(async move {
                device
                    .sign_up()
                    .attempt_verification(Strategy::PhoneCode, &code)
                    .await
            })
        })
        .collect();
    let mut users = vec![];
    for attempt in attempts {
        match attempt.await.expect("task") {
            Ok(sign_up) => users.push(sign_up.created_user_id.expect("user")),
            Err(e) => assert_eq!(e.code().map(|c| c.as_str()), Some("form_identifier_exists")),
        }
    }
    assert_eq!(users.len(), 1, "one user");
    // Signing in finds that one user.
    let device = app.client();
    device
        .sign_in()
        .create(PHONE)
        .await
        .expect("the user exists");
    let factors = device.sign_in().supported_first_factors();
    assert_eq!(factors.len(), 1);
}
