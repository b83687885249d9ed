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

// ---- limits on unauthenticated creates (finding 3), per IP prefix (finding 4) ----

/// An HTTP client whose connections come from `ip` (any 127.0.0.0/8 address reaches the
/// server on loopback): a caller at another address.
fn caller_at(ip: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(ip.parse::<std::net::IpAddr>().expect("ip"))
        .build()
        .expect("client")
}

/// What a raw request was answered.
struct Answer {
    status: u16,
    retry_after: Option<u64>,
    /// The client token handed back.
    token: Option<String>,
    body: serde_json::Value,
}

/// A `POST` with a form body and, when given, the client token.
async fn post(
    http: &reqwest::Client,
    url: String,
    token: Option<&str>,
    form: &[(&str, &str)],
) -> Answer {
    let mut req = http.post(url).form(form);
    if let Some(token) = token {
        req = req.header("authorization", token);
    }
    let res = req.send().await.expect("request");
    let header = |name: &str| {
        res.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let retry_after = header("retry-after").and_then(|v| v.parse().ok());
    let token = header("authorization");
    let status = res.status().as_u16();
    let body = res.json().await.unwrap_or_default();
    Answer {
        status,
        retry_after,
        token,
        body,
    }
}

/// Finding 3: about 2,000 sign-in creates from one address ran in seconds without a 429. Now
/// the 301st in an hour (the default) is refused, whatever the identifiers, while a caller at
/// another address is unaffected.
#[tokio::test]
async fn sign_in_creates_from_one_address_stop_at_the_hourly_limit() {
    let app = spawn_app().await;
    let attacker = caller_at("127.0.0.1");
    let url = || format!("{}/v1/client/sign_ins", app.base_url);
    let mut first_refused = None;
    for n in 0..2_000 {
        let email = format!("probe{n}@example.com");
        let Answer {
            status,
            retry_after,
            ..
        } = post(&attacker, url(), None, &[("identifier", &email)]).await;
        if status == 429 {
            assert!(retry_after.is_some_and(|s| s > 3_500 && s <= 3_600));
            first_refused = Some(n);
            break;
        }
    }
    assert_eq!(first_refused, Some(300), "300 creates an hour, then 429");
    let Answer { status, .. } = post(&attacker, url(), None, &[("identifier", EMAIL)]).await;
    assert_eq!(status, 429, "still refused");
    let neighbour = caller_at("127.0.0.2");
    let Answer { status, .. } = post(&neighbour, url(), None, &[("identifier", EMAIL)]).await;
    assert_ne!(status, 429, "another address has its own budget");
    app.advance(Duration::from_secs(3_600));
    let Answer { status, .. } = post(&attacker, url(), None, &[("identifier", EMAIL)]).await;
    assert_ne!(status, 429, "an hour later");
}

/// With `--ip-prefix-v4 24`, addresses of one /24 share a budget; another /24 does not.
#[tokio::test]
async fn callers_in_one_configured_prefix_share_a_budget() {
    let app = spawn_app_with(|c| {
        c.abuse.ip_prefix_v4 = 24;
        c.abuse.sign_up_creates_per_hour = 2;
    })
    .await;
    let url = || format!("{}/v1/client/sign_ups", app.base_url);
    for (n, ip) in ["127.0.0.1", "127.0.0.2"].into_iter().enumerate() {
        let phone = format!("+1202555010{n}");
        let Answer { status, .. } =
            post(&caller_at(ip), url(), None, &[("phone_number", &phone)]).await;
        assert_eq!(status, 200);
    }
    let Answer {
        status,
        retry_after,
        ..
    } = post(
        &caller_at("127.0.0.3"),
        url(),
        None,
        &[("phone_number", "+12025550109")],
    )
    .await;
    assert_eq!((status, retry_after), (429, Some(3_600)));
    let Answer { status, .. } = post(
        &caller_at("127.0.1.1"),
        url(),
        None,
        &[("phone_number", "+12025550109")],
    )
    .await;
    assert_eq!(status, 200, "another /24");
}

/// New clients have their own hourly limit per address; a device that has a client already
/// keeps creating sign-ups (within the sign-up limit).
#[tokio::test]
async fn new_clients_from_one_address_are_limited_but_known_devices_go_on() {
    let app = spawn_app_with(|c| c.abuse.client_creates_per_hour = 2).await;
    let http = caller_at("127.0.0.1");
    let url = || format!("{}/v1/client/sign_ups", app.base_url);
    let mut tokens = Vec::new();
    for n in 0..2 {
        let phone = format!("+1202555010{n}");
        let Answer { status, token, .. } =
            post(&http, url(), None, &[("phone_number", &phone)]).await;
        assert_eq!(status, 200);
        tokens.push(token.expect("token"));
    }
    let Answer { status, .. } = post(&http, url(), None, &[("phone_number", "+12025550102")]).await;
    assert_eq!(status, 429, "a third new client");
    let Answer { status, .. } = post(
        &http,
        url(),
        Some(&tokens[0]),
        &[("phone_number", "+12025550103")],
    )
    .await;
    assert_eq!(status, 200, "a known device");
}

// ---- SMS pumping (findings 4) ----

/// The server with an SMS provider (the webhook stand-in) in dev mode (codes also in the dev
/// outbox), a low global cap, and the default pumping detection unless `detection` is false.
async fn pumping_app(sms: &crate::providers::SmsServer, detection: bool) -> TestApp {
    let url = sms.url.clone();
    spawn_app_with(move |c| {
        c.delivery.sms_webhook_url = Some(format!("{url}/sms").into());
        c.delivery.sms_webhook_secret = Some("webhook-secret-of-the-test".into());
        c.delivery.delivery_poll_ms = 20;
        c.delivery.sms_global_per_hour = 100;
        if !detection {
            c.abuse.sms_pumping_min_verify_percent = 0;
            c.abuse.sms_prefix_per_hour = 1_000;
        }
    })
    .await
}

/// What a pumping run next to normal traffic came to.
#[derive(Debug, PartialEq, Eq)]
struct Run {
    attack_sent: u32,
    attack_refused: u32,
    users_served: u32,
    users_refused: u32,
}

/// A pumping run: 100 sign-ups to numbers of one prefix (`+1 202`), each from its own address
/// (a botnet: no per-IP limit applies), none verified; 30 people in another country (`+44 740`)
/// sign up from one address and type their codes back, one after every third attack request
/// (`interleaved`) or after the attack.
async fn pumping_run(app: &TestApp, interleaved: bool) -> Run {
    let mut run = Run {
        attack_sent: 0,
        attack_refused: 0,
        users_served: 0,
        users_refused: 0,
    };
    for i in 0..100u32 {
        let bot = caller_at(&format!("127.0.{}.{}", 1 + i / 200, 10 + i % 200));
        let number = format!("+120255501{i:02}");
        let Answer {
            status,
            token,
            body,
            ..
        } = post(
            &bot,
            format!("{}/v1/client/sign_ups", app.base_url),
            None,
            &[("phone_number", &number)],
        )
        .await;
        assert_eq!(status, 200);
        let sign_up_id = body["response"]["id"]
            .as_str()
            .expect("sign-up id")
            .to_owned();
        let Answer {
            status,
            retry_after,
            ..
        } = post(
            &bot,
            format!(
                "{}/v1/client/sign_ups/{sign_up_id}/prepare_verification",
                app.base_url
            ),
            token.as_deref(),
            &[("strategy", "phone_code")],
        )
        .await;
        match status {
            200 => run.attack_sent += 1,
            429 => {
                assert!(retry_after.is_some());
                run.attack_refused += 1;
            }
            other => panic!("attack send answered {other}"),
        }
        if interleaved && i % 3 == 0 && i < 90 {
            person_signs_up(app, i / 3, &mut run).await;
        }
    }
    if !interleaved {
        for n in 0..30 {
            person_signs_up(app, n, &mut run).await;
        }
    }
    run
}

/// Person `n` in the UK signs up with the code texted to them, or is refused.
async fn person_signs_up(app: &TestApp, n: u32, run: &mut Run) {
    {
        {
            let person = app.client();
            let number = format!("+4474001234{n:02}");
            person
                .sign_up()
                .create_phone(&number)
                .await
                .expect("create");
            match person
                .sign_up()
                .prepare_verification(Strategy::PhoneCode)
                .await
            {
                Ok(_) => {
                    let code = app.code_for(&number).await;
                    person
                        .sign_up()
                        .attempt_verification(Strategy::PhoneCode, &code)
                        .await
                        .expect("the person signs up");
                    run.users_served += 1;
                }
                Err(e) => {
                    assert_eq!(code_of::<()>(Err(e)).code.as_str(), "too_many_requests");
                    run.users_refused += 1;
                }
            }
        }
    }
}

/// SMS pumping detected: the attack's prefix is blocked after 20 unverified codes (429
/// `too_many_requests` with `Retry-After`, a WARN "fraud block" line naming the prefix only,
/// one fraud block counted), and every one of the 30 people in another country gets a code.
#[tokio::test]
async fn a_pumping_run_is_blocked_while_people_elsewhere_keep_getting_codes() {
    let sms = crate::providers::SmsServer::start().await;
    let app = pumping_app(&sms, true).await;
    let run = pumping_run(&app, true).await;
    assert_eq!(
        run,
        Run {
            attack_sent: 20,
            attack_refused: 80,
            users_served: 30,
            users_refused: 0,
        }
    );
    sms.wait_for(50).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(sms.received().len(), 50, "refused sends cost nothing");
    let logs = logs();
    let line = logs
        .lines()
        .find(|l| l.contains("fraud block"))
        .expect("a fraud block line");
    assert!(line.contains("WARN") && line.contains("+1 202"), "{line}");
    assert!(!line.contains("+1202555"), "never a whole number: {line}");
}

/// Finding 4, and what detection changes: with detection off, an attack at the start of the
/// hour spends the whole global cap (100 an hour here) and every person after it is refused;
/// with it on, the attack stops at 20 and every person is served.
#[tokio::test]
async fn an_attack_can_no_longer_spend_the_global_cap_for_everyone() {
    let sms = crate::providers::SmsServer::start().await;
    let before = pumping_run(&pumping_app(&sms, false).await, false).await;
    assert_eq!(
        before,
        Run {
            attack_sent: 100,
            attack_refused: 0,
            users_served: 0,
            users_refused: 30,
        }
    );
    let after = pumping_run(&pumping_app(&sms, true).await, false).await;
    assert_eq!(
        after,
        Run {
            attack_sent: 20,
            attack_refused: 80,
            users_served: 30,
            users_refused: 0,
        }
    );
}

// ---- housekeeping (finding 5) ----

/// The tables anonymous traffic could grow.
const TABLES: [&str; 8] = [
    "clients",
    "sign_ups",
    "sign_ins",
    "codes",
    "sessions",
    "send_events",
    "dev_outbox",
    "identifier_failures",
];

/// The number of rows of each of [`TABLES`], read straight from the server's database.
async fn table_sizes(app: &TestApp) -> std::collections::BTreeMap<&'static str, i64> {
    use sqlx::Connection;
    let url = app.config().database_url();
    let mut sizes = std::collections::BTreeMap::new();
    if url.starts_with("postgres") {
        let mut db = sqlx::PgConnection::connect(&url).await.expect("postgres");
        for table in TABLES {
            let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
                .fetch_one(&mut db)
                .await
                .expect("count");
            sizes.insert(table, n);
        }
    } else {
        let mut db = sqlx::SqliteConnection::connect(&url).await.expect("sqlite");
        for table in TABLES {
            let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
                .fetch_one(&mut db)
                .await
                .expect("count");
            sizes.insert(table, n);
        }
    }
    sizes
}

/// The table sizes `expected` (missing tables: empty), once the janitor got there.
async fn wait_for_sizes(app: &TestApp, expected: &[(&str, i64)]) {
    let want: std::collections::BTreeMap<&str, i64> = TABLES
        .iter()
        .map(|t| {
            let n = expected.iter().find(|(e, _)| e == t).map_or(0, |(_, n)| *n);
            (*t, n)
        })
        .collect();
    let mut sizes = table_sizes(app).await;
    for _ in 0..100 {
        if sizes == want {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        sizes = table_sizes(app).await;
    }
    panic!("the janitor left {sizes:?}, expected {want:?}");
}

/// Finding 5: each anonymous `DELETE /v1/client/sessions` stored a client (201 requests: 7 →
/// 208 rows), and nothing was ever removed. Now it stores nothing, and after rounds of
/// anonymous traffic (sign-outs, reads, sign-in probes, sign-ups left unfinished) the janitor
/// brings every table back to what a signed-in person needs, while that person stays signed
/// in and a sign-up in progress can still be finished.
async fn anonymous_traffic_leaves_the_tables_as_they_were(app: TestApp) {
    let person = app.client();
    app.sign_up(&person, PHONE).await;
    let kept = [("clients", 1), ("sessions", 1)];
    let http = reqwest::Client::new();
    for round in 0..3 {
        let before = table_sizes(&app).await;
        for _ in 0..201 {
            let res = http
                .delete(format!("{}/v1/client/sessions", app.base_url))
                .send()
                .await
                .expect("delete");
            assert_eq!(res.status(), 200);
            let body: serde_json::Value = res.json().await.expect("json");
            assert_eq!(body["response"]["object"], "client");
        }
        assert_eq!(
            table_sizes(&app).await["clients"],
            before["clients"],
            "anonymous sign-outs store no client"
        );
        for n in 0..20 {
            let device = app.client();
            device.load().await.expect("read");
            let _ = device
                .sign_in()
                .create(&format!("nobody{round}_{n}@example.com"))
                .await;
            app.prepare_sign_up(&app.client(), &format!("left{round}_{n}@example.com"))
                .await;
        }
        assert!(table_sizes(&app).await["sign_ups"] >= 20);
        // A day and an hour on, the sign-ups are abandoned and their clients idle.
        app.advance(Duration::from_secs(25 * 3600));
        wait_for_sizes(&app, &kept).await;
    }

    let finishing = app.client();
    app.prepare_sign_up(&finishing, PHONE_2).await;
    app.advance(Duration::from_secs(2 * 3600));
    // Once its send events are gone, the janitor has swept since the clock moved.
    wait_for_sizes(
        &app,
        &[
            ("clients", 2),
            ("sessions", 1),
            ("sign_ups", 1),
            ("codes", 1),
        ],
    )
    .await;
    // Its first code expired meanwhile (ten minutes); the sign-up itself is still there.
    finishing
        .sign_up()
        .prepare_verification(Strategy::PhoneCode)
        .await
        .expect("the sign-up in progress takes a new code after the sweep");
    let code = app.code_for(PHONE_2).await;
    finishing
        .sign_up()
        .attempt_verification(Strategy::PhoneCode, &code)
        .await
        .expect("and is finished");
    person
        .session_token()
        .await
        .expect("the person is still signed in");
}

/// A server whose janitor sweeps every second, keeping finished messages an hour.
fn swept_often(c: &mut otp_server::Config) {
    c.abuse.janitor_interval_secs = 1;
    c.abuse.outbox_retention_secs = 3_600;
}

#[tokio::test]
async fn anonymous_traffic_leaves_the_tables_as_they_were_on_sqlite() {
    anonymous_traffic_leaves_the_tables_as_they_were(spawn_app_with(swept_often).await).await;
}

#[tokio::test]
async fn anonymous_traffic_leaves_the_tables_as_they_were_on_postgres() {
    let db = PgDb::create().await;
    let app = TestApp::builder()
        .configure(swept_often)
        .database_url(&db.url)
        .spawn()
        .await;
    anonymous_traffic_leaves_the_tables_as_they_were(app).await;
}

/// Finding 4: per-IP limits keyed on the exact address, so one IPv6 host, which holds a whole
/// /64, could rotate through 2^64 addresses. Behind a trusted proxy (127.0.0.2) that reports
/// the clients' IPv6 addresses, two addresses of one /64 share a budget; another /64 has its own.
#[tokio::test]
async fn ipv6_addresses_of_one_slash_64_share_a_budget() {
    let app = spawn_app_with(|c| {
        c.edge.trusted_proxies =
            vec![otp_server::config::parse_trusted_proxy("127.0.0.2").expect("cidr")];
        c.abuse.sign_up_creates_per_hour = 2;
    })
    .await;
    let proxy = caller_at("127.0.0.2");
    let create = |client: &'static str, phone: &'static str| {
        let req = proxy
            .post(format!("{}/v1/client/sign_ups", app.base_url))
            .header("x-forwarded-for", client)
            .form(&[("phone_number", phone)]);
        async move { req.send().await.expect("create").status().as_u16() }
    };
    assert_eq!(create("2001:db8:1:2::1", "+12025550101").await, 200);
    assert_eq!(create("2001:db8:1:2:aaaa::7", "+12025550102").await, 200);
    assert_eq!(
        create("2001:db8:1:2:ffff:ffff:ffff:ffff", "+12025550103").await,
        429,
        "a third address of the same /64"
    );
    assert_eq!(
        create("2001:db8:1:3::1", "+12025550104").await,
        200,
        "the next /64"
    );
}
