//! Every error a user can hit comes back with its documented code, status and parameter, never
//! as a 500.

use crate::helpers::*;
use otp_client::Strategy;
use otp_client::proto::CreateSignUp;
use std::time::Duration;

#[tokio::test]
async fn a_sign_up_without_an_identifier_is_form_param_missing() {
    let app = spawn_app().await;
    let err = code_of(
        app.client()
            .sign_up()
            .create(&CreateSignUp::default())
            .await,
    );
    assert_eq!((err.status, err.code.as_str()), (422, "form_param_missing"));
    assert_eq!(err.param_name.as_deref(), Some("phone_number"));
}

#[tokio::test]
async fn an_attempt_without_a_code_is_form_param_missing() {
    let app = spawn_app().await;
    let device = app.client();
    device.sign_up().create_phone(PHONE).await.expect("create");
    let err = code_of(
        device
            .sign_up()
            .attempt_verification(Strategy::PhoneCode, "")
            .await,
    );
    assert_eq!(
        (err.code.as_str(), err.param_name.as_deref()),
        ("form_param_missing", Some("code"))
    );
}

#[tokio::test]
async fn malformed_phone_numbers_emails_strategies_and_codes_are_format_invalid() {
    let app = spawn_app().await;
    let device = app.client();
    let err = code_of(device.sign_up().create_phone("12345").await);
    assert_eq!(
        (err.code.as_str(), err.param_name.as_deref()),
        ("form_param_format_invalid", Some("phone_number"))
    );
    let err = code_of(device.sign_up().create_email("jane@").await);
    assert_eq!(
        (err.code.as_str(), err.param_name.as_deref()),
        ("form_param_format_invalid", Some("email_address"))
    );
    let err = code_of(device.sign_in().create("not a number").await);
    assert_eq!(
        (err.code.as_str(), err.param_name.as_deref()),
        ("form_param_format_invalid", Some("identifier"))
    );

    app.prepare_sign_up(&device, PHONE).await;
    let err = code_of(
        device
            .sign_up()
            .attempt_verification(Strategy::PhoneCode, "12ab56")
            .await,
    );
    assert_eq!(
        (err.code.as_str(), err.param_name.as_deref()),
        ("form_param_format_invalid", Some("code"))
    );

    let id = device.sign_up().current().expect("sign-up").id;
    let raw = reqwest::Client::new()
        .post(format!(
            "{}/v1/client/sign_ups/{id}/prepare_verification",
            app.base_url
        ))
        .header("authorization", device.token().expect("token"))
        .form(&[("strategy", "carrier_pigeon")])
        .send()
        .await
        .expect("sent");
    assert_eq!(raw.status(), 422);
    let body: serde_json::Value = raw.json().await.expect("json");
    assert_eq!(body["errors"][0]["code"], "form_param_format_invalid");
    assert_eq!(body["errors"][0]["meta"]["param_name"], "strategy");
}

#[tokio::test]
async fn unreadable_and_oversized_bodies_get_clear_errors_not_500s() {
    let app = spawn_app().await;
    let http = reqwest::Client::new();
    let url = format!("{}/v1/client/sign_ups", app.base_url);
    let res = http
        .post(&url)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), 422);
    let body: serde_json::Value = res.json().await.expect("json");
    assert_eq!(body["errors"][0]["code"], "form_param_format_invalid");

    let res = http
        .post(&url)
        .form(&[("phone_number", "1".repeat(64 * 1024))])
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), 413);
    let body: serde_json::Value = res.json().await.expect("json");
    assert_eq!(body["errors"][0]["code"], "request_body_too_large");

    let res = http
        .get(format!("{}/v1/nothing/here", app.base_url))
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), 404);
    let body: serde_json::Value = res.json().await.expect("json");
    assert_eq!(body["errors"][0]["code"], "resource_not_found");
}

#[tokio::test]
async fn without_enumeration_protection_signing_up_an_existing_identifier_is_form_identifier_exists()
 {
    let app = spawn_app_with(|c| c.protection.enumeration_protection = false).await;
    app.sign_up(&app.client(), PHONE).await;
    let err = code_of(app.client().sign_up().create_phone("(202) 555-0143").await);
    assert_eq!(
        (err.code.as_str(), err.param_name.as_deref()),
        ("form_identifier_exists", Some("phone_number"))
    );
}

#[tokio::test]
async fn without_enumeration_protection_signing_in_an_unknown_identifier_is_form_identifier_not_found()
 {
    let app = spawn_app_with(|c| c.protection.enumeration_protection = false).await;
    let err = code_of(app.client().sign_in().create(PHONE).await);
    assert_eq!(
        (err.code.as_str(), err.param_name.as_deref()),
        ("form_identifier_not_found", Some("identifier"))
    );
}

#[tokio::test]
async fn a_wrong_code_says_how_many_attempts_are_left() {
    let app = spawn_app().await;
    let device = app.client();
    app.prepare_sign_up(&device, PHONE).await;
    let wrong = wrong_code(&app.code_for(PHONE).await);
    let err = code_of(
        device
            .sign_up()
            .attempt_verification(Strategy::PhoneCode, &wrong)
            .await,
    );
    assert_eq!(
        (err.code.as_str(), err.remaining_attempts),
        ("form_code_incorrect", Some(2))
    );
    let err = code_of(
        device
            .sign_up()
            .attempt_verification(Strategy::PhoneCode, &wrong)
            .await,
    );
    assert_eq!(err.remaining_attempts, Some(1));
    assert_eq!(err.param_name.as_deref(), Some("code"));
}

#[tokio::test]
async fn an_expired_code_is_verification_expired() {
    let app = spawn_app().await;
    let device = app.client();
    device.sign_up().create_phone(PHONE).await.expect("create");
    let err = code_of(
        device
            .sign_up()
            .attempt_verification(Strategy::PhoneCode, "123456")
            .await,
    );
    assert_eq!(
        err.code.as_str(),
        "verification_expired",
        "no code was ever sent"
    );
    device
        .sign_up()
        .prepare_verification(Strategy::PhoneCode)
        .await
        .expect("prepare");
    let code = app.code_for(PHONE).await;
    app.advance(Duration::from_secs(600));
    let err = code_of(
        device
            .sign_up()
            .attempt_verification(Strategy::PhoneCode, &code)
            .await,
    );
    assert_eq!(err.code.as_str(), "verification_expired");
    let sign_up = device
        .sign_up()
        .get(&device.sign_up().current().expect("sign-up").id)
        .await
        .expect("get");
    assert_eq!(
        sign_up.verifications.phone_number.expect("v").status,
        otp_client::proto::VerificationStatus::Expired
    );
}

#[tokio::test]
async fn a_strategy_that_does_not_fit_is_strategy_for_user_invalid() {
    let app = spawn_app().await;
    let device = app.client();
    device.sign_up().create_phone(PHONE).await.expect("create");
    let err = code_of(
        device
            .sign_up()
            .prepare_verification(Strategy::EmailCode)
            .await,
    );
    assert_eq!(err.code.as_str(), "strategy_for_user_invalid");

    app.sign_up(&app.client(), EMAIL).await;
    let other = app.client();
    other.sign_in().create(EMAIL).await.expect("sign-in");
    let err = code_of(
        other
            .sign_in()
            .prepare_first_factor(otp_client::FirstFactor {
                strategy: Strategy::PhoneCode,
                identifier_id: None,
            })
            .await,
    );
    assert_eq!(err.code.as_str(), "strategy_for_user_invalid");
}

#[tokio::test]
async fn another_clients_token_cannot_see_or_use_an_attempt_or_a_session() {
    let app = spawn_app().await;
    let alice = app.client();
    let sign_up = alice.sign_up().create_phone(PHONE).await.expect("create");
    let mallory = app.client();
    mallory
        .sign_up()
        .create_phone(PHONE_2)
        .await
        .expect("mallory has a client of her own");

    let err = code_of(mallory.sign_up().get(&sign_up.id).await);
    assert_eq!((err.status, err.code.as_str()), (404, "resource_not_found"));
    let err = code_of(
        mallory
            .sign_up()
            .prepare_verification_for(&sign_up.id, Strategy::PhoneCode)
            .await,
    );
    assert_eq!(err.code.as_str(), "resource_not_found");
    assert!(
        mallory.dev_outbox(PHONE).await.is_err(),
        "no code was sent to Alice on Mallory's request"
    );

    alice
        .sign_up()
        .prepare_verification(Strategy::PhoneCode)
        .await
        .expect("prepare");
    let code = app.code_for(PHONE).await;
    let err = code_of(
        mallory
            .sign_up()
            .attempt_verification_for(&sign_up.id, Strategy::PhoneCode, &code)
            .await,
    );
    assert_eq!(err.code.as_str(), "resource_not_found");
    let done = alice
        .sign_up()
        .attempt_verification(Strategy::PhoneCode, &code)
        .await
        .expect("Alice's code still works");
    let session_id = done.created_session_id.expect("session");
    assert_eq!(
        code_of(mallory.set_active(&session_id).await).code.as_str(),
        "resource_not_found"
    );
    assert_eq!(
        code_of(mallory.end_session(&session_id).await)
            .code
            .as_str(),
        "resource_not_found"
    );
}

/// A six-digit code that is not `code`.
pub fn wrong_code(code: &str) -> String {
    if code == "000000" {
        "111111".into()
    } else {
        "000000".into()
    }
}

#[tokio::test]
async fn a_wrong_method_or_an_unknown_path_gets_the_json_error_envelope() {
    // Finding 7 of issue 13: 405 answers had an empty body.
    let app = spawn_app_with(|c| c.frontend_path = Some("/__clerk".into())).await;
    let http = reqwest::Client::new();
    for prefix in ["", "/__clerk"] {
        for (method, path, allow) in [
            (reqwest::Method::PUT, "/v1/client", "GET"),
            (reqwest::Method::DELETE, "/v1/client/sign_ups", "POST"),
            (
                reqwest::Method::GET,
                "/v1/client/sign_ups/x/prepare_verification",
                "POST",
            ),
            (reqwest::Method::POST, "/healthz", "GET"),
        ] {
            let res = http
                .request(method.clone(), format!("{}{prefix}{path}", app.base_url))
                .send()
                .await
                .expect("sent");
            assert_eq!(res.status(), 405, "{method} {prefix}{path}");
            let allowed = res.headers()["allow"].to_str().expect("ascii").to_owned();
            assert!(
                allowed.contains(allow),
                "{method} {prefix}{path}: Allow {allowed}"
            );
            let body: serde_json::Value = res.json().await.expect("a JSON body");
            assert_eq!(body["errors"][0]["code"], "method_not_allowed");
            assert!(body["errors"][0]["long_message"].is_string());
        }
        let res = http
            .delete(format!("{}{prefix}/v1/no/such/thing", app.base_url))
            .send()
            .await
            .expect("sent");
        assert_eq!(res.status(), 404);
        let body: serde_json::Value = res.json().await.expect("a JSON body");
        assert_eq!(body["errors"][0]["code"], "resource_not_found");
    }
}

/// A server that accepts connections and never answers: every SDK request ends at its time
/// limit with a transport error that says so, instead of waiting forever.
#[tokio::test]
async fn a_request_to_a_server_that_never_answers_ends_at_its_time_limit() {
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
    let client = otp_client::Client::new(url).with_timeout(Duration::from_millis(300));
    let error = tokio::time::timeout(Duration::from_secs(5), client.sign_up().create_phone(PHONE))
        .await
        .expect("ended at the client's limit, long before 5 s")
        .expect_err("no answer");
    assert!(error.is_timeout(), "{error:?}");
    assert!(error.is_unreachable());
    assert_eq!(otp_client::DEFAULT_TIMEOUT, Duration::from_secs(15));
    held.abort();
}
