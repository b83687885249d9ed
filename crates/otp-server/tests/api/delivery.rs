//! Real delivery: email through a real SMTP server, SMS through stand-ins that speak Twilio's API
//! and the webhook format; faults (a provider down for a while, a server killed between prepare
//! and send, a permanent failure); and the SMS abuse caps.

use crate::helpers::*;
use crate::providers::*;
use otp_client::Strategy;
use otp_client::proto::{DeliveryStatus, SignUpStatus};
use otp_server::Config;
use std::time::Duration;

const SID: &str = "AC0123456789abcdef0123456789abcdef";
const SECRET: &str = "whsec-0123456789abcdef";

fn twilio(c: &mut Config, sms: &SmsServer) {
    c.dev = false;
    c.delivery.twilio_account_sid = Some(SID.into());
    c.delivery.twilio_auth_token = Some("auth-token".into());
    c.delivery.twilio_from = Some("+12025550100".into());
    c.delivery.twilio_base_url = sms.url.clone().into();
    c.delivery.delivery_poll_ms = 20;
}

fn webhook(c: &mut Config, url: &str) {
    c.dev = false;
    c.delivery.sms_webhook_url = Some(format!("{url}/sms").into());
    c.delivery.sms_webhook_secret = Some(SECRET.into());
    c.delivery.sms_domain = Some("app.example".into());
    c.delivery.delivery_poll_ms = 20;
}

/// The verification's delivery status, as the client sees it.
async fn delivery_of(device: &otp_client::Client) -> Option<DeliveryStatus> {
    let id = device.sign_up().current().expect("sign-up").id;
    let sign_up = device.sign_up().get(&id).await.expect("get");
    sign_up
        .verifications
        .phone_number
        .or(sign_up.verifications.email_address)
        .and_then(|v| v.delivery_status)
}

#[tokio::test]
async fn an_email_code_arrives_through_a_real_smtp_server_in_the_users_language() {
    let smtp = SmtpServer::start().await;
    let app = spawn_app_with(|c| {
        c.dev = false;
        c.delivery.smtp_url = Some(smtp.url.clone().into());
        c.delivery.email_from = Some("Acme <no-reply@acme.example>".into());
        c.delivery.app_name = "Acme".into();
    })
    .await;
    let http = reqwest::Client::builder()
        .default_headers(
            [(
                reqwest::header::ACCEPT_LANGUAGE,
                "fr-FR,fr;q=0.9".parse().expect("header"),
            )]
            .into_iter()
            .collect(),
        )
        .build()
        .expect("http");
    let device = otp_client::Client::with_http(&app.base_url, http);
    device.sign_up().create_email(EMAIL).await.expect("create");
    device
        .sign_up()
        .prepare_verification(Strategy::EmailCode)
        .await
        .expect("prepare");

    let mail = smtp.wait_for(1).await.remove(0);
    assert!(mail.contains("To: jane.doe@example.com"), "{mail}");
    assert!(mail.contains("From: Acme <no-reply@acme.example>"));
    assert!(
        mail.contains("Subject: =?utf-8?") || mail.contains("Subject: Votre code"),
        "French subject: {mail}"
    );
    assert!(mail.contains("text/html") && mail.contains("text/plain"));
    let code = code_in(&mail[mail.find("est ").expect("French text")..]);
    let done = device
        .sign_up()
        .attempt_verification(Strategy::EmailCode, &code)
        .await
        .expect("the mailed code works");
    assert_eq!(done.status, SignUpStatus::Complete);
    assert_eq!(delivery_of(&device).await, Some(DeliveryStatus::Sent));
    assert!(
        device.dev_outbox(EMAIL).await.is_err(),
        "no dev outbox outside dev mode"
    );
}

#[tokio::test]
async fn an_sms_code_goes_through_twilios_api_and_signs_a_user_in() {
    let sms = SmsServer::start().await;
    let app = spawn_app_with(|c| twilio(c, &sms)).await;
    let device = app.client();
    device.sign_up().create_phone(PHONE).await.expect("create");
    device
        .sign_up()
        .prepare_verification(Strategy::PhoneCode)
        .await
        .expect("prepare");
    let request = sms.wait_for(1).await;
    assert_eq!(
        request.path,
        format!("/2010-04-01/Accounts/{SID}/Messages.json")
    );
    let auth = request.headers["authorization"].to_str().expect("auth");
    assert_eq!(
        auth,
        format!("Basic {}", base64_of(&format!("{SID}:auth-token")))
    );
    assert_eq!(form_field(&request.body, "To").as_deref(), Some(PHONE));
    assert_eq!(
        form_field(&request.body, "From").as_deref(),
        Some("+12025550100")
    );
    let body = form_field(&request.body, "Body").expect("Body");
    device
        .sign_up()
        .attempt_verification(Strategy::PhoneCode, &code_in(&body))
        .await
        .expect("signed up");

    app.advance(Duration::from_secs(30));
    let other = app.client();
    app.start_sign_in(&other, PHONE).await;
    let body = form_field(&sms.wait_for(2).await.body, "Body").expect("Body");
    assert!(body.contains("is your OTP verification code"));
    let done = other
        .sign_in()
        .attempt_first_factor(Strategy::PhoneCode, &code_in(&body))
        .await
        .expect("signed in");
    assert!(done.created_session_id.is_some());
}

#[tokio::test]
async fn an_sms_code_goes_through_a_signed_webhook() {
    let sms = SmsServer::start().await;
    let app = spawn_app_with(|c| webhook(c, &sms.url)).await;
    sign_up_without_outbox(&app.client(), PHONE, &sms, 1).await;
    app.advance(Duration::from_secs(30));

    let device = app.client();
    app.start_sign_in(&device, PHONE).await;
    let request = sms.wait_for(2).await;
    assert_eq!(request.path, "/sms");
    let timestamp = request.headers["x-otp-timestamp"]
        .to_str()
        .expect("timestamp");
    let signature = request.headers["x-otp-signature"]
        .to_str()
        .expect("signature");
    assert_eq!(
        signature,
        format!(
            "v1={}",
            hmac_hex(SECRET, &format!("{timestamp}.{}", request.body))
        )
    );
    let json: serde_json::Value = serde_json::from_str(&request.body).expect("json");
    assert_eq!(
        (json["to"].as_str(), json["channel"].as_str()),
        (Some(PHONE), Some("sms"))
    );
    let code = json["code"].as_str().expect("code").to_owned();
    assert!(
        json["body"]
            .as_str()
            .expect("body")
            .ends_with(&format!("\n\n@app.example #{code}")),
        "WebOTP line"
    );
    assert!(
        json["expires_at"]
            .as_i64()
            .is_some_and(|t| t == app.now_ms() + 600_000)
    );
    device
        .sign_in()
        .attempt_first_factor(Strategy::PhoneCode, &code)
        .await
        .expect("signed in");
}

#[tokio::test]
async fn a_message_to_a_provider_that_is_down_arrives_after_it_recovers() {
    let sms = SmsServer::start().await;
    sms.fail_next(503, "{}");
    sms.fail_next(500, "{}");
    let app = spawn_app_with(|c| twilio(c, &sms)).await;
    let device = app.client();
    device.sign_up().create_phone(PHONE).await.expect("create");
    device
        .sign_up()
        .prepare_verification(Strategy::PhoneCode)
        .await
        .expect("prepare");
    sms.wait_for(1).await;
    assert_eq!(
        delivery_of(&device).await,
        Some(DeliveryStatus::Pending),
        "being retried"
    );
    // Backoff: 0.5-1 s, then 1-2 s (on the server's clock).
    app.advance(Duration::from_secs(1));
    sms.wait_for(2).await;
    app.advance(Duration::from_secs(2));
    let request = sms.wait_for(3).await;
    let code = code_in(&form_field(&request.body, "Body").expect("Body"));
    device
        .sign_up()
        .attempt_verification(Strategy::PhoneCode, &code)
        .await
        .expect("the late code works");
    assert_eq!(delivery_of(&device).await, Some(DeliveryStatus::Sent));
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(sms.received().len(), 3, "sent once, after two failures");
}

#[tokio::test]
async fn a_permanent_failure_is_shown_to_the_client_and_never_retried() {
    let sms = SmsServer::start().await;
    sms.fail_next(
        400,
        r#"{"code": 21211, "message": "The 'To' number is not a valid phone number."}"#,
    );
    let app = spawn_app_with(|c| twilio(c, &sms)).await;
    let device = app.client();
    device.sign_up().create_phone(PHONE).await.expect("create");
    device
        .sign_up()
        .prepare_verification(Strategy::PhoneCode)
        .await
        .expect("prepare");
    sms.wait_for(1).await;
    let mut status = None;
    for _ in 0..100 {
        status = delivery_of(&device).await;
        if status == Some(DeliveryStatus::Failed) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(status, Some(DeliveryStatus::Failed));
    app.advance(Duration::from_secs(120));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        sms.received().len(),
        1,
        "no retry after a permanent failure"
    );
}

#[tokio::test]
async fn retries_stop_at_the_deadline() {
    let sms = SmsServer::start().await;
    for _ in 0..50 {
        sms.fail_next(503, "{}");
    }
    let app = spawn_app_with(|c| {
        twilio(c, &sms);
        c.delivery.delivery_deadline_secs = 5;
    })
    .await;
    let device = app.client();
    device.sign_up().create_phone(PHONE).await.expect("create");
    device
        .sign_up()
        .prepare_verification(Strategy::PhoneCode)
        .await
        .expect("prepare");
    sms.wait_for(1).await;
    for _ in 0..10 {
        app.advance(Duration::from_secs(2));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(delivery_of(&device).await, Some(DeliveryStatus::Failed));
    let tries = sms.received().len();
    assert!(
        (2..=6).contains(&tries),
        "a bounded number of tries within 5 s: {tries}"
    );
    app.advance(Duration::from_secs(60));
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(sms.received().len(), tries, "none after the deadline");
}

#[tokio::test]
async fn a_server_killed_after_prepare_still_sends_the_message_once_after_a_restart() {
    let data = tempfile::tempdir().expect("data dir");
    let hook_port = free_port();
    let hook_url = format!("http://127.0.0.1:{hook_port}");
    // The gateway is down: the message waits in the outbox.
    let mut server = ServerProcess::start(
        data.path(),
        &[
            "--sms-webhook-url",
            &format!("{hook_url}/sms"),
            "--sms-webhook-secret",
            SECRET,
        ],
    );
    let device = otp_client::Client::new(&server.url);
    device.sign_up().create_phone(PHONE).await.expect("create");
    device
        .sign_up()
        .prepare_verification(Strategy::PhoneCode)
        .await
        .expect("prepare");
    tokio::time::sleep(Duration::from_millis(300)).await;
    server.kill(); // SIGKILL: no graceful anything

    let sms = SmsServer::start_on(hook_port).await;
    let server = ServerProcess::start(
        data.path(),
        &[
            "--sms-webhook-url",
            &format!("{hook_url}/sms"),
            "--sms-webhook-secret",
            SECRET,
        ],
    );
    let request = sms.wait_for(1).await;
    let code = serde_json::from_str::<serde_json::Value>(&request.body).expect("json")["code"]
        .as_str()
        .expect("code")
        .to_owned();
    let device = otp_client::Client::new(&server.url).with_token(device.token());
    device.load().await.expect("load");
    device
        .sign_up()
        .attempt_verification(Strategy::PhoneCode, &code)
        .await
        .expect("the code survived the crash");
    drop(server);

    // Started again after the send was recorded: nothing is sent twice.
    let _server = ServerProcess::start(
        data.path(),
        &[
            "--sms-webhook-url",
            &format!("{hook_url}/sms"),
            "--sms-webhook-secret",
            SECRET,
        ],
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(sms.received().len(), 1);
}

#[tokio::test]
async fn text_messages_to_a_blocked_country_or_past_a_country_cap_are_refused() {
    let sms = SmsServer::start().await;
    let app = spawn_app_with(|c| {
        twilio(c, &sms);
        c.delivery.sms_allowed_countries = vec![1];
        c.delivery.sms_country_caps =
            otp_server::config::CountryCaps([(1, 2)].into_iter().collect());
    })
    .await;
    let device = app.client();
    device
        .sign_up()
        .create_phone("+447400123456")
        .await
        .expect("create");
    let err = code_of(
        device
            .sign_up()
            .prepare_verification(Strategy::PhoneCode)
            .await,
    );
    assert_eq!((err.status, err.code.as_str()), (429, "too_many_requests"));
    assert_eq!(err.retry_after_secs, Some(3600));

    for n in 0..2 {
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
            .expect("within the cap");
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
    assert_eq!((err.status, err.code.as_str()), (429, "too_many_requests"));
    assert!(
        err.retry_after_secs.is_some_and(|s| s > 3000),
        "until the hour has passed"
    );
    assert!(sms.wait_for(2).await.path.contains("Messages.json"));
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(sms.received().len(), 2, "refused sends cost nothing");
}

fn base64_of(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(s)
}

fn hmac_hex(secret: &str, message: &str) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(message.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
