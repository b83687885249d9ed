//! `GET /metrics` scraped for real (its own test binary: metrics are global to a process, and the
//! API tests would move them too). A sign-up moves the counters it should, a limit and a wrong
//! code are counted, requests are timed by route; only a secret key gets in; every metric is
//! listed in `telemetry::METRICS` and in `docs/backend-api.md`.

use otp_client::Strategy;
use otp_server::telemetry::METRICS;
use otp_testkit::TestServer;
use std::collections::BTreeMap;

/// Each sample of a scrape (`name{labels}` → value).
async fn scrape(server: &TestServer, key: &str) -> BTreeMap<String, f64> {
    let res = reqwest::Client::new()
        .get(format!("{}/metrics", server.backend_url()))
        .bearer_auth(key)
        .send()
        .await
        .expect("scraped");
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .is_ok_and(|t| t.starts_with("text/plain; version=0.0.4")),
        "Prometheus text format"
    );
    let text = res.text().await.expect("text");
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (sample, value) = l.rsplit_once(' ').expect("name value");
            (sample.to_owned(), value.parse().expect("number"))
        })
        .collect()
}

fn delta(before: &BTreeMap<String, f64>, after: &BTreeMap<String, f64>, sample: &str) -> f64 {
    after.get(sample).copied().unwrap_or(0.0) - before.get(sample).copied().unwrap_or(0.0)
}

#[tokio::test]
async fn the_counters_move_as_a_user_signs_up_and_every_metric_is_documented() {
    let server = TestServer::spawn().await;
    let key = server.secret_key("prometheus").await;
    let unauthorized = reqwest::get(format!("{}/metrics", server.backend_url()))
        .await
        .expect("sent");
    assert_eq!(unauthorized.status(), 401, "the secret key is needed");
    let before = scrape(&server, &key).await;

    let device = server.client();
    server.prepare_sign_up(&device, "+12025550143").await;
    let wrong = device
        .sign_up()
        .attempt_verification(Strategy::PhoneCode, "000000")
        .await;
    assert!(
        wrong.is_err(),
        "a wrong code (one chance in a million that it is right)"
    );
    let code = server.code_for("+12025550143").await;
    let again = device
        .sign_up()
        .prepare_verification(Strategy::PhoneCode)
        .await;
    assert!(again.is_err(), "a second code within 30 s is refused");
    let done = device
        .sign_up()
        .attempt_verification(Strategy::PhoneCode, &code)
        .await
        .expect("signed up");
    device
        .set_active(done.created_session_id.as_deref().expect("session"))
        .await
        .expect("active");
    device.sign_out().await.expect("signed out");

    let after = scrape(&server, &key).await;
    for (sample, moved) in [
        (
            r#"otp_codes_prepared_total{channel="sms",purpose="code"}"#,
            1.0,
        ),
        (r#"otp_messages_sent_total{channel="sms"}"#, 1.0),
        (r#"otp_codes_failed_total{reason="incorrect"}"#, 1.0),
        (r#"otp_codes_verified_total{purpose="sign_up"}"#, 1.0),
        (r#"otp_rate_limited_total{limit="identifier"}"#, 1.0),
        ("otp_users_created_total", 1.0),
        ("otp_sessions_created_total", 1.0),
        (r#"otp_sessions_ended_total{reason="signed_out"}"#, 1.0),
    ] {
        assert_eq!(delta(&before, &after, sample), moved, "{sample}");
    }
    let attempts = r#"otp_http_request_duration_seconds_count{method="POST",route="/v1/client/sign_ups/{id}/attempt_verification",status="422"}"#;
    assert_eq!(
        delta(&before, &after, attempts),
        1.0,
        "timed by route, never by id"
    );
    assert!(after.contains_key(r#"otp_outbox_depth{queue="messages"}"#));
    assert!(after.contains_key(r#"otp_outbox_oldest_age_seconds{queue="webhooks"}"#));
    assert!(
        after
            .keys()
            .all(|k| !k.contains("sua_") && !k.contains("+1202")),
        "no id or identifier in a label"
    );

    // Every metric is listed, and documented.
    let docs = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/backend-api.md"),
    )
    .expect("docs");
    let listed: Vec<&str> = METRICS.iter().map(|(name, _)| *name).collect();
    for sample in after.keys() {
        let name = sample.split('{').next().expect("name");
        let base = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|s| name.strip_suffix(s))
            .filter(|b| listed.contains(b))
            .unwrap_or(name);
        assert!(
            listed.contains(&base),
            "{name} is not in telemetry::METRICS"
        );
    }
    for name in listed {
        assert!(
            docs.contains(&format!("`{name}`")),
            "{name} is not in docs/backend-api.md"
        );
    }
}
