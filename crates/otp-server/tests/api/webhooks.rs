//! Webhooks (`--webhook-url`, `--webhook-secret`) to a real HTTP receiver on loopback, on both
//! databases: every change sends its event, in order per user, in Clerk's shape, signed as
//! Standard Webhooks / Svix; a failed delivery is retried with the same `svix-id` and holds the
//! user's later events back; a server killed before the delivery sends it after its restart,
//! once.

use crate::helpers::*;
use crate::providers::{Received, SmsServer as Receiver};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use otp_client::Strategy;
use otp_server::Config;
use std::time::Duration;

/// Standard Webhooks' example secret.
const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// An event as the receiver got it: its type, `svix-id`, and body.
#[derive(Debug)]
struct Delivered {
    kind: String,
    id: String,
    body: serde_json::Value,
}

/// Reads a request as a webhook signed with [`SECRET`].
fn delivered(r: &Received) -> Delivered {
    signed_with(r, SECRET)
}

/// Reads a request as a webhook, checking its signature the way Standard Webhooks says: the
/// base64 HMAC-SHA256, keyed by the secret's bytes, of `<svix-id>.<svix-timestamp>.<body>`.
fn signed_with(r: &Received, secret: &str) -> Delivered {
    let header = |name: &str| {
        r.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("{name} header"))
            .to_owned()
    };
    let (id, timestamp, signature) = (
        header("svix-id"),
        header("svix-timestamp"),
        header("svix-signature"),
    );
    let key = STANDARD
        .decode(secret.trim_start_matches("whsec_"))
        .expect("key");
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key).expect("hmac");
    mac.update(format!("{id}.{timestamp}.{}", r.body).as_bytes());
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    assert_eq!(signature, expected, "signed with the secret");
    assert!(id.starts_with("msg_"), "{id}");
    assert!(timestamp.parse::<i64>().is_ok(), "{timestamp}");
    let body: serde_json::Value = serde_json::from_str(&r.body).expect("JSON body");
    Delivered {
        kind: body["type"].as_str().expect("type").to_owned(),
        id,
        body,
    }
}

fn configure(c: &mut Config, receiver: &Receiver) {
    c.webhook_url = Some(format!("{}/webhooks", receiver.url).into());
    c.webhook_secret = Some(SECRET.into());
    c.delivery.delivery_poll_ms = 20;
}

/// Waits (moving the manual clock, so retries come due) until `n` requests arrived.
async fn wait_for(app: &TestApp, receiver: &Receiver, n: usize) -> Vec<Received> {
    for _ in 0..300 {
        let got = receiver.received();
        if got.len() >= n {
            return got;
        }
        app.advance(Duration::from_millis(500));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{n} webhooks never arrived: {:?}", receiver.received());
}

#[tokio::test]
async fn every_change_sends_its_event_in_order_signed_and_in_clerks_shape() {
    for postgres in [false, true] {
        let receiver = Receiver::start().await;
        let db = if postgres {
            Some(PgDb::create().await)
        } else {
            None
        };
        let app = match &db {
            Some(db) => {
                let clock = otp_server::ManualClock::new(1_800_000_000_000);
                let receiver_url = receiver.url.clone();
                spawn_instance(&db.url, &clock, move |c| {
                    c.webhook_url = Some(format!("{receiver_url}/webhooks").into());
                    c.webhook_secret = Some(SECRET.into());
                    c.delivery.delivery_poll_ms = 20;
                })
                .await
            }
            None => spawn_app_with(|c| configure(c, &receiver)).await,
        };
        let device = app.client();
        let user_id = app
            .sign_up(&device, PHONE)
            .await
            .created_user_id
            .expect("user");
        device.sign_out().await.expect("signed out");
        app.advance(Duration::from_secs(31));
        let again = app.client();
        app.start_sign_in(&again, PHONE).await;
        let code = app.code_for(PHONE).await;
        let signed_in = again
            .sign_in()
            .attempt_first_factor(Strategy::PhoneCode, &code)
            .await
            .expect("signed in");
        let backend = app.backend().await;
        backend.ban_user(&user_id).await.expect("banned");
        backend.delete_user(&user_id).await.expect("deleted");

        let got: Vec<Delivered> = wait_for(&app, &receiver, 7)
            .await
            .iter()
            .map(delivered)
            .collect();
        let kinds: Vec<&str> = got.iter().map(|d| d.kind.as_str()).collect();
        assert_eq!(
            kinds,
            [
                "user.created",
                "session.created",
                "session.ended",
                "session.created",
                "session.revoked",
                "user.updated",
                "user.deleted"
            ],
            "postgres: {postgres}"
        );
        let created = &got[0].body;
        assert_eq!(created["object"], "event");
        assert!(
            created["instance_id"]
                .as_str()
                .is_some_and(|i| i.starts_with("ins_"))
        );
        assert!(created["timestamp"].as_i64().is_some());
        assert_eq!(created["data"]["id"], user_id.as_str());
        assert_eq!(created["data"]["object"], "user");
        assert_eq!(created["data"]["phone_numbers"][0]["phone_number"], PHONE);
        assert_eq!(got[1].body["data"]["user_id"], user_id.as_str());
        assert_eq!(got[1].body["data"]["status"], "active");
        assert_eq!(got[2].body["data"]["status"], "ended");
        assert_eq!(
            got[3].body["data"]["id"],
            signed_in.created_session_id.as_deref().expect("session")
        );
        assert_eq!(got[4].body["data"]["status"], "revoked");
        assert_eq!(got[5].body["data"]["banned"], true);
        assert_eq!(
            got[6].body["data"],
            serde_json::json!({"object": "user", "id": user_id, "deleted": true})
        );
        let ids: std::collections::BTreeSet<&str> = got.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(ids.len(), 7, "one svix-id per event");
        assert!(receiver.received().iter().all(|r| r.path == "/webhooks"));
    }
}

#[tokio::test]
async fn a_failed_delivery_is_retried_with_the_same_id_and_holds_the_users_later_events() {
    let receiver = Receiver::start().await;
    receiver.fail_next(503, "busy");
    receiver.fail_next(500, "oops");
    let app = spawn_app_with(|c| configure(c, &receiver)).await;
    app.sign_up(&app.client(), EMAIL).await;
    let got: Vec<Delivered> = wait_for(&app, &receiver, 4)
        .await
        .iter()
        .map(delivered)
        .collect();
    let kinds: Vec<&str> = got.iter().map(|d| d.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "user.created",
            "user.created",
            "user.created",
            "session.created"
        ],
        "the session's event waits for the user's"
    );
    assert!(
        got[0].id == got[1].id && got[1].id == got[2].id,
        "one svix-id: {got:?}"
    );
    assert_eq!(got[0].body, got[2].body, "the same body every time");
    tokio::time::sleep(Duration::from_millis(200)).await;
    app.advance(Duration::from_secs(120));
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(receiver.received().len(), 4, "nothing delivered twice");
}

#[tokio::test]
async fn without_an_endpoint_nothing_is_queued_and_a_half_configured_one_is_refused() {
    let receiver = Receiver::start().await;
    let app = spawn_app().await;
    app.sign_up(&app.client(), PHONE).await;
    let store = otp_server::store::connect(&app.config().database_url(), 1)
        .await
        .expect("db");
    assert_eq!(store.webhook_backlog().await.expect("backlog"), (0, None));
    for (url, secret) in [
        (Some(receiver.url.clone()), None),
        (None, Some(SECRET)),
        (Some(receiver.url.clone()), Some("whsec_c2hvcnQ=")),
        (Some("ftp://x".to_owned()), Some(SECRET)),
    ] {
        let mut config = Config::for_dev(tempfile::tempdir().expect("dir").keep());
        config.webhook_url = url.map(Into::into);
        config.webhook_secret = secret.map(Into::into);
        let refused =
            otp_server::Application::build(config, std::sync::Arc::new(otp_server::SystemClock))
                .await
                .err()
                .expect("refused");
        assert!(
            refused
                .chain()
                .any(|c| c.is::<otp_server::config::ConfigError>()),
            "{refused:#}"
        );
    }
}

#[tokio::test]
async fn a_server_killed_before_the_delivery_sends_the_event_after_its_restart_once() {
    let data = tempfile::tempdir().expect("data dir");
    let receiver = Receiver::start().await;
    for _ in 0..1000 {
        receiver.fail_next(503, "down for maintenance");
    }
    let hook_url = format!("{}/webhooks", receiver.url);
    let args = [
        "--dev",
        "--webhook-url",
        &hook_url,
        "--webhook-secret",
        SECRET,
    ];
    let server = ServerProcess::start(data.path(), &args);
    let device = otp_client::Client::new(&server.url);
    device.sign_up().create_email(EMAIL).await.expect("create");
    device
        .sign_up()
        .prepare_verification(Strategy::EmailCode)
        .await
        .expect("prepare");
    let code = device.dev_outbox(EMAIL).await.expect("code").code;
    device
        .sign_up()
        .attempt_verification(Strategy::EmailCode, &code)
        .await
        .expect("signed up");
    for _ in 0..100 {
        if !receiver.received().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let refused = delivered(&receiver.received()[0]);
    assert_eq!(refused.kind, "user.created");
    tokio::time::sleep(Duration::from_millis(100)).await;
    drop(server);

    receiver.clear_failures();
    let before = receiver.received().len();
    let _server = ServerProcess::start(data.path(), &args);
    for _ in 0..250 {
        if receiver.received().len() >= before + 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let after: Vec<Delivered> = receiver.received()[before..]
        .iter()
        .map(delivered)
        .collect();
    let kinds: Vec<&str> = after.iter().map(|d| d.kind.as_str()).collect();
    assert_eq!(
        kinds,
        ["user.created", "session.created"],
        "each once, in order"
    );
    assert_eq!(
        after[0].id, refused.id,
        "the same svix-id as before the crash"
    );
    assert_eq!(after[0].body, refused.body);
}

#[tokio::test]
async fn an_endpoint_that_never_answers_does_not_hold_the_others_back() {
    // An endpoint that accepts connections and never answers.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let silent_url = format!("http://{}/webhooks", silent.local_addr().expect("addr"));
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            held.push(socket);
        }
    });
    let receiver = Receiver::start().await;
    let app = spawn_app_with(|c| {
        c.webhook_url = Some(silent_url.into());
        c.webhook_secret = Some(SECRET.into());
        c.delivery.delivery_poll_ms = 20;
        c.key_refresh_ms = 20;
    })
    .await;
    // A second endpoint, made as `otp-server webhooks create` makes one.
    let store = otp_server::store::connect(&app.config().database_url(), 1)
        .await
        .expect("db");
    let random = otp_server::Random::os();
    let url = format!("{}/webhooks", receiver.url);
    let endpoint = otp_server::webhooks::create_endpoint(&store, &random, &url, app.now_ms())
        .await
        .expect("endpoint");
    tokio::time::sleep(Duration::from_millis(200)).await;

    app.sign_up(&app.client(), PHONE).await;
    // The silent endpoint's first event is claimed first and hangs for its 10 s timeout; the
    // receiver's events arrive meanwhile.
    for _ in 0..100 {
        if receiver.received().len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let kinds: Vec<String> = receiver
        .received()
        .iter()
        .map(|r| signed_with(r, &endpoint.secret).kind)
        .collect();
    assert_eq!(kinds, ["user.created", "session.created"], "within 2 s");
}
