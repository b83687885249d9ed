//! A secret in a configured URL stays secret (finding 6 of issue 13): delivery errors name the
//! provider's host and what went wrong, never the URL, in the logs and in the outbox's
//! `last_error`.

use crate::helpers::*;
use crate::providers::*;
use std::time::Duration;

const SECRET: &str = "sk_live_5f1e0c9a";

/// The outbox's `last_error`, once it differs from `previous`.
async fn next_error(app: &TestApp, previous: Option<&str>) -> String {
    use sqlx::Connection;
    let mut db = sqlx::SqliteConnection::connect(&app.config().database_url())
        .await
        .expect("the test server's database");
    for _ in 0..200 {
        let error: Option<String> =
            sqlx::query_scalar("SELECT last_error FROM outbox ORDER BY id DESC LIMIT 1")
                .fetch_optional(&mut db)
                .await
                .expect("query")
                .flatten();
        if let Some(error) = error.filter(|e| Some(e.as_str()) != previous) {
            return error;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("no new delivery error after {previous:?}");
}

#[tokio::test]
async fn a_secret_in_the_webhook_url_reaches_neither_the_logs_nor_the_outbox() {
    let port = free_port();
    let app = spawn_app_with(|c| {
        c.dev = false;
        c.delivery.sms_webhook_url = Some(
            format!("http://gw:pw-{SECRET}@127.0.0.1:{port}/sms?api_key={SECRET}&to=x#{SECRET}")
                .into(),
        );
        c.delivery.sms_webhook_secret = Some("whsec-0123456789abcdef".into());
        c.delivery.delivery_poll_ms = 20;
    })
    .await;
    assert!(!format!("{:?}", app.config()).contains(SECRET));
    let device = app.client();
    app.prepare_sign_up(&device, PHONE).await;

    // The gateway is down: reqwest's error quotes the whole URL; ours names the host.
    let down = next_error(&app, None).await;
    assert!(down.contains(&format!("127.0.0.1:{port}")), "{down}");
    assert!(down.contains("unreachable"), "{down}");
    assert!(!down.contains(SECRET), "{down}");

    // Up, but failing: the host and the status.
    let gateway = SmsServer::start_on(port).await;
    gateway.fail_next(503, "busy");
    app.advance(Duration::from_secs(2));
    let failing = next_error(&app, Some(&down)).await;
    assert!(failing.contains("503"), "{failing}");
    assert!(!failing.contains(SECRET), "{failing}");

    // Refused for good.
    gateway.fail_next(400, "bad request");
    app.advance(Duration::from_secs(3));
    let refused = next_error(&app, Some(&failing)).await;
    assert!(refused.contains("400"), "{refused}");
    assert!(!refused.contains(SECRET), "{refused}");

    let logs = logs();
    assert!(
        logs.contains("delivery failed for good") && logs.contains(&format!("127.0.0.1:{port}")),
        "the failures are logged"
    );
    assert!(!logs.contains(SECRET), "the secret is in the logs");
    // The gateway itself got the credentials it was meant to.
    let request = gateway.wait_for(1).await;
    assert_eq!(request.path, "/sms");
}
