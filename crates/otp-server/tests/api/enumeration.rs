//! Enumeration protection (on by default): whether an identifier has an account cannot be told
//! from the answers. A sign-in of an unknown identifier and a sign-up of a taken one look like
//! the other case (status, body with ids, values and times normalized, header names), follow
//! the same path to `form_code_incorrect` and the lock-out, and the owner of a taken identifier
//! is told someone tried to sign up, with no code. On SQLite and on PostgreSQL.

use crate::errors::wrong_code;
use crate::helpers::*;
use otp_client::Strategy;
use otp_client::proto::mask::mask_identifier;
use otp_server::{Config, ManualClock};
use serde_json::Value;
use std::collections::BTreeSet;
use std::time::Duration;

/// Requests of each kind in the interleaved comparisons.
const ROUNDS: usize = 300;

/// A server on a fresh PostgreSQL database (kept alive by the returned [`PgDb`]).
async fn on_postgres(configure: impl FnOnce(&mut Config)) -> (PgDb, TestApp) {
    let pg = PgDb::create().await;
    let clock = ManualClock::new(otp_testkit::START_MS);
    let app = spawn_instance(&pg.url, &clock, configure).await;
    (pg, app)
}

/// Hundreds of creates from one address: the per-IP create limits (tests/api/limits.rs) off,
/// so that every answer compared is the create's own.
fn many_creates(c: &mut Config) {
    c.policy.no_ip_limits = true;
}

/// Known identifiers (phone numbers and emails), signed up on `app`.
async fn sign_up_known(app: &TestApp, n: usize) -> Vec<String> {
    let mut known = vec![];
    for i in 0..n {
        let identifier = if i % 2 == 0 {
            format!("+1202555{:04}", 1000 + i)
        } else {
            format!("known{i}@example.com")
        };
        app.sign_up(&app.client(), &identifier).await;
        known.push(identifier);
    }
    known
}

/// Identifiers nobody has, of both kinds.
fn unknown(i: usize) -> String {
    if i.is_multiple_of(2) {
        format!("+1202555{:04}", 3000 + i)
    } else {
        format!("nobody{i}@example.com")
    }
}

/// What a create answered, normalized: status, header names, and the body with its ids, times
/// and the identifier (typed or masked) replaced by placeholders.
#[derive(Debug, PartialEq, Eq)]
struct Shape {
    status: u16,
    headers: BTreeSet<String>,
    body: Value,
}

async fn create(app: &TestApp, path: &str, form: &[(&str, &str)], identifier: &str) -> Shape {
    let res = reqwest::Client::new()
        .post(format!("{}{path}", app.base_url))
        .form(form)
        .send()
        .await
        .expect("sent");
    let status = res.status().as_u16();
    let headers = res.headers().keys().map(|k| k.to_string()).collect();
    let mut body: Value = res.json().await.expect("json");
    normalize(&mut body, identifier);
    Shape {
        status,
        headers,
        body,
    }
}

fn normalize(value: &mut Value, identifier: &str) {
    match value {
        Value::String(s) => {
            if s == identifier {
                *s = "<identifier>".into();
            } else if *s == mask_identifier(identifier) {
                *s = "<masked>".into();
            } else if let Some((prefix, rest)) = s.split_once('_')
                && rest.len() == 24
                && rest.bytes().all(|b| b.is_ascii_alphanumeric())
                && prefix.bytes().all(|b| b.is_ascii_lowercase())
            {
                *s = format!("<{prefix}_id>");
            }
        }
        Value::Number(n) if n.as_i64().is_some_and(|n| n > 1_000_000_000_000) => {
            *value = Value::from(0);
        }
        Value::Array(items) => items.iter_mut().for_each(|v| normalize(v, identifier)),
        Value::Object(fields) => fields.values_mut().for_each(|v| normalize(v, identifier)),
        _ => {}
    }
}

fn sign_in_form(identifier: &str) -> Vec<(&'static str, String)> {
    vec![("identifier", identifier.to_owned())]
}

fn sign_up_form(identifier: &str) -> Vec<(&'static str, String)> {
    let field = if identifier.contains('@') {
        "email_address"
    } else {
        "phone_number"
    };
    vec![(field, identifier.to_owned())]
}

/// `ROUNDS` creates of known identifiers interleaved with `ROUNDS` of unknown ones: every
/// answer has the shape of the first known one of its kind.
async fn creates_look_the_same(
    app: &TestApp,
    path: &str,
    form: fn(&str) -> Vec<(&'static str, String)>,
) {
    let known = sign_up_known(app, 6).await;
    let mut expected: [Option<Shape>; 2] = [None, None];
    for i in 0..ROUNDS {
        for identifier in [known[i % known.len()].clone(), unknown(i)] {
            let kind = usize::from(identifier.contains('@'));
            let fields = form(&identifier);
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let shape = create(app, path, &fields, &identifier).await;
            match &expected[kind] {
                None => {
                    assert_eq!(shape.status, 200, "{identifier}: {:?}", shape.body);
                    expected[kind] = Some(shape);
                }
                Some(first) => assert_eq!(&shape, first, "{identifier} (round {i})"),
            }
        }
    }
}

#[tokio::test]
async fn sign_in_creates_of_known_and_unknown_identifiers_look_the_same() {
    let app = spawn_app_with(many_creates).await;
    creates_look_the_same(&app, "/v1/client/sign_ins", sign_in_form).await;
}

#[tokio::test]
async fn sign_in_creates_of_known_and_unknown_identifiers_look_the_same_on_postgres() {
    let (_pg, app) = on_postgres(many_creates).await;
    creates_look_the_same(&app, "/v1/client/sign_ins", sign_in_form).await;
}

#[tokio::test]
async fn sign_up_creates_of_taken_and_free_identifiers_look_the_same() {
    let app = spawn_app_with(many_creates).await;
    creates_look_the_same(&app, "/v1/client/sign_ups", sign_up_form).await;
}

#[tokio::test]
async fn sign_up_creates_of_taken_and_free_identifiers_look_the_same_on_postgres() {
    let (_pg, app) = on_postgres(many_creates).await;
    creates_look_the_same(&app, "/v1/client/sign_ups", sign_up_form).await;
}

/// What one step of a flow answered: the status and code of an error (with the attempts left
/// and the wait), or 200.
fn outcome<T>(result: Result<T, otp_client::Error>) -> (u16, String, Option<u32>, Option<u64>) {
    match result {
        Ok(_) => (200, String::new(), None, None),
        Err(otp_client::Error::Api(e)) => (
            e.status,
            e.code.as_str().to_owned(),
            e.remaining_attempts,
            e.retry_after_secs,
        ),
        Err(e) => panic!("transport: {e:?}"),
    }
}

/// A sign-in of `identifier` on a new device, then rounds of prepare and wrong codes until
/// well past the lock-out: every answer, in order.
async fn sign_in_with_wrong_codes(
    app: &TestApp,
    identifier: &str,
) -> Vec<(u16, String, Option<u32>, Option<u64>)> {
    let device = app.client();
    let sign_in = device.sign_in().create(identifier).await.expect("create");
    let factors = sign_in.supported_first_factors.expect("factors");
    assert_eq!(factors.len(), 1);
    assert_eq!(factors[0].safe_identifier, mask_identifier(identifier));
    let strategy = factors[0].strategy;
    let mut seen = vec![];
    for _ in 0..3 {
        seen.push(outcome(
            device.sign_in().prepare_first_factor(&factors[0]).await,
        ));
        for _ in 0..3 {
            let wrong = match device.dev_outbox(identifier).await {
                Ok(m) => wrong_code(&m.code),
                Err(_) => "000000".to_owned(),
            };
            seen.push(outcome(
                device
                    .sign_in()
                    .attempt_first_factor(strategy, &wrong)
                    .await,
            ));
        }
        app.advance(Duration::from_secs(31));
    }
    seen
}

async fn the_flow_of_an_unknown_identifier_ends_like_a_known_ones(app: &TestApp) {
    let known = sign_up_known(app, 2).await;
    // Past the minimum interval since their sign-up's code.
    app.advance(Duration::from_secs(31));
    for (known, unknown) in known.iter().zip([unknown(0), unknown(1)]) {
        let real = sign_in_with_wrong_codes(app, known).await;
        let decoy = sign_in_with_wrong_codes(app, &unknown).await;
        assert_eq!(decoy, real, "{unknown} vs {known}");
        // Three wrong codes void a code, five lock the identifier: both reached the lock-out.
        assert_eq!(real[1].1, "form_code_incorrect");
        assert_eq!(real[3].1, "verification_failed");
        assert!(
            real.last()
                .is_some_and(|last| last.0 >= 400 && last.3.is_some())
        );
        // Nothing was ever sent to the unknown identifier.
        assert!(app.client().dev_outbox(&unknown).await.is_err());
    }
}

fn small_limits(c: &mut Config) {
    c.policy.max_attempts = 3;
    c.policy.lockout_threshold = 5;
}

#[tokio::test]
async fn the_flow_of_an_unknown_identifier_ends_in_form_code_incorrect_then_the_lock_out() {
    let app = spawn_app_with(small_limits).await;
    the_flow_of_an_unknown_identifier_ends_like_a_known_ones(&app).await;
}

#[tokio::test]
async fn the_flow_of_an_unknown_identifier_ends_like_a_known_ones_on_postgres() {
    let (_pg, app) = on_postgres(small_limits).await;
    the_flow_of_an_unknown_identifier_ends_like_a_known_ones(&app).await;
}

#[tokio::test]
async fn a_decoy_shows_the_same_factor_id_at_every_sign_in_as_a_real_identifier_does() {
    let app = spawn_app().await;
    let known = sign_up_known(&app, 1).await.remove(0);
    for identifier in [known, unknown(0)] {
        let mut ids = vec![];
        for _ in 0..2 {
            let sign_in = app
                .client()
                .sign_in()
                .create(&identifier)
                .await
                .expect("create");
            let factor = sign_in.supported_first_factors.expect("factors").remove(0);
            ids.push(factor.phone_number_id.expect("a phone number id"));
        }
        assert!(ids[0].starts_with("idn_") && ids[0].len() == 28, "{ids:?}");
        assert_eq!(ids[0], ids[1], "{identifier}");
    }
}

/// A sign-up of a taken identifier on a new device: it proceeds, its owner is told (no code),
/// and no code is ever right, the owner's own included.
async fn a_sign_up_of_a_taken_identifier_tells_the_owner(app: &TestApp, taken: &str) {
    app.sign_up(&app.client(), taken).await;
    let owners_code = app.code_for(taken).await;
    let device = app.client();
    let strategy = if taken.contains('@') {
        device.sign_up().create_email(taken).await.expect("create");
        Strategy::EmailCode
    } else {
        device.sign_up().create_phone(taken).await.expect("create");
        Strategy::PhoneCode
    };
    app.advance(Duration::from_secs(31));
    device
        .sign_up()
        .prepare_verification(strategy)
        .await
        .expect("prepare answers as for a new identifier");
    let notice = device.dev_outbox(taken).await.expect("a message");
    assert!(notice.code.is_empty(), "no code: {notice:?}");
    assert!(
        notice.body.contains("Someone tried to") && notice.body.contains("already has"),
        "{}",
        notice.body
    );
    for code in [owners_code.as_str(), "424242", "000000"] {
        let err = code_of(device.sign_up().attempt_verification(strategy, code).await);
        assert_eq!(err.code.as_str(), "form_code_incorrect", "{code}");
    }
    let err = code_of(
        device
            .sign_up()
            .attempt_verification(strategy, &owners_code)
            .await,
    );
    assert_eq!(err.code.as_str(), "verification_failed");
}

/// The free-identifier twin of the above: the same answers up to the failure.
async fn a_sign_up_of_a_free_identifier_with_wrong_codes(app: &TestApp, free: &str) {
    let device = app.client();
    let strategy = app.prepare_sign_up(&device, free).await;
    let real = app.code_for(free).await;
    for _ in 0..3 {
        let err = code_of(
            device
                .sign_up()
                .attempt_verification(strategy, &wrong_code(&real))
                .await,
        );
        assert_eq!(err.code.as_str(), "form_code_incorrect");
    }
    let err = code_of(
        device
            .sign_up()
            .attempt_verification(strategy, &wrong_code(&real))
            .await,
    );
    assert_eq!(err.code.as_str(), "verification_failed");
}

fn four_attempts(c: &mut Config) {
    c.policy.max_attempts = 4;
}

#[tokio::test]
async fn the_owner_of_a_taken_identifier_is_told_and_no_code_works() {
    let app = spawn_app_with(four_attempts).await;
    a_sign_up_of_a_taken_identifier_tells_the_owner(&app, PHONE).await;
    a_sign_up_of_a_taken_identifier_tells_the_owner(&app, EMAIL).await;
    a_sign_up_of_a_free_identifier_with_wrong_codes(&app, PHONE_2).await;
}

#[tokio::test]
async fn the_owner_of_a_taken_identifier_is_told_and_no_code_works_on_postgres() {
    let (_pg, app) = on_postgres(four_attempts).await;
    a_sign_up_of_a_taken_identifier_tells_the_owner(&app, PHONE).await;
    a_sign_up_of_a_taken_identifier_tells_the_owner(&app, EMAIL).await;
    a_sign_up_of_a_free_identifier_with_wrong_codes(&app, PHONE_2).await;
}

#[tokio::test]
async fn a_decoy_sends_nothing_through_a_provider_and_reports_no_delivery_status() {
    let sms = crate::providers::SmsServer::start().await;
    let app = spawn_app_with(|c| {
        c.dev = false;
        c.delivery.sms_webhook_url = Some(format!("{}/sms", sms.url).into());
        c.delivery.sms_webhook_secret = Some("whsec-0123456789abcdef".into());
        c.delivery.delivery_poll_ms = 20;
    })
    .await;
    let device = app.client();
    let sign_in = device.sign_in().create(PHONE).await.expect("create");
    let factor = sign_in.supported_first_factors.expect("factors")[0].clone();
    let prepared = device
        .sign_in()
        .prepare_first_factor(&factor)
        .await
        .expect("prepare");
    // A sign-in's delivery status (on the client) is not reported with protection on: a real
    // message can be slow or fail, a decoy's cannot, so the status would tell them apart.
    let status = || device.state().and_then(|c| c.sign_in_delivery_status);
    assert_eq!(status(), None, "after prepare");
    tokio::time::sleep(Duration::from_millis(100)).await;
    device.sign_in().get(&prepared.id).await.expect("get");
    assert_eq!(status(), None, "once the worker has been by");
    // A real sign-up's code goes out through the same provider meanwhile: the decoy's did not.
    let other = app.client();
    app.prepare_sign_up(&other, PHONE_2).await;
    let request = sms.wait_for(1).await;
    assert!(request.body.contains("+12025550199"), "{}", request.body);
    assert_eq!(sms.received().len(), 1, "nothing went to {PHONE}");
}

#[tokio::test]
async fn with_enumeration_protection_off_the_explicit_codes_stay() {
    let app = spawn_app_with(|c| c.protection.enumeration_protection = false).await;
    app.sign_up(&app.client(), PHONE).await;
    let err = code_of(app.client().sign_in().create(PHONE_2).await);
    assert_eq!(err.code.as_str(), "form_identifier_not_found");
    let err = code_of(app.client().sign_up().create_phone(PHONE).await);
    assert_eq!(err.code.as_str(), "form_identifier_exists");
}

/// An address is one account under any casing, but a decoy can only show what was typed: so a
/// real account's factor is masked as typed this time too, not as stored at sign-up (which
/// would tell them apart: `A***@Example.com` for an account, `a***@eXAMPLE.com` for none).
#[tokio::test]
async fn a_known_address_typed_in_another_casing_is_masked_as_typed() {
    let app = spawn_app().await;
    app.sign_up(&app.client(), "Known@Example.com").await;
    for typed in ["kNOWN@eXAMPLE.com", "nOBODY@eXAMPLE.com"] {
        let sign_in = app.client().sign_in().create(typed).await.expect("create");
        let factors = sign_in.supported_first_factors.expect("factors");
        assert_eq!(factors.len(), 1, "{typed}");
        assert_eq!(
            factors[0].safe_identifier,
            mask_identifier(typed),
            "{typed}"
        );
    }
}
