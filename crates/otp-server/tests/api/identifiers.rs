//! The signed-in user's phone numbers and email addresses (`/v1/me/email_addresses`,
//! `/v1/me/phone_numbers`, `PATCH /v1/me`) and reverification, on both databases, through the
//! SDK: adding needs the code sent to the new identifier; until then it signs nobody in and
//! blocks nobody; the first user to verify it wins; the last verified one stays; sensitive
//! changes need a code typed in the last 10 minutes.

use crate::helpers::*;
use otp_client::proto::{SessionVerificationStatus, User, VerificationStatus};
use otp_client::{Client, ErrorCode, Strategy, UserIdentifier};
use otp_server::Config;
use std::time::Duration;

const EMAIL_2: &str = "john.roe@example.com";

/// Runs `test` against a server on SQLite, then one on a fresh PostgreSQL database, both set up
/// by `configure`.
async fn on_both_databases_with(configure: fn(&mut Config), test: impl AsyncFn(TestApp)) {
    test(spawn_app_with(configure).await).await;
    let db = PgDb::create().await;
    let clock = otp_server::ManualClock::new(1_800_000_000_000);
    test(spawn_instance(&db.url, &clock, configure).await).await;
}

async fn on_both_databases(test: impl AsyncFn(TestApp)) {
    on_both_databases_with(|_| {}, test).await;
}

fn code(e: otp_client::Error) -> Option<ErrorCode> {
    e.code().cloned()
}

/// Adds `email` to the signed-in user of `device` and verifies it with the code sent to it.
async fn add_verified_email(app: &TestApp, device: &Client, email: &str) -> String {
    let added = device.add_email(email).await.expect("added");
    device
        .prepare_identifier_verification(Strategy::EmailCode, &added.id)
        .await
        .expect("code sent");
    let code = app.code_for(email).await;
    let verified = device
        .attempt_identifier_verification(Strategy::EmailCode, &added.id, &code)
        .await
        .expect("verified");
    assert!(verified.is_verified());
    added.id
}

/// Signs in with `identifier` on a new device, choosing the factor that is that identifier.
async fn sign_in_with(app: &TestApp, identifier: &str, strategy: Strategy) -> Client {
    app.advance(Duration::from_secs(31));
    let device = app.client();
    let sign_in = device.sign_in().create(identifier).await.expect("create");
    let factor = sign_in
        .supported_first_factors
        .unwrap_or_default()
        .into_iter()
        .find(|f| f.strategy == strategy)
        .expect("the factor typed");
    device
        .sign_in()
        .prepare_first_factor(&factor)
        .await
        .expect("prepared");
    let code = app.code_for(identifier).await;
    let done = device
        .sign_in()
        .attempt_first_factor(strategy, &code)
        .await
        .expect("signed in");
    device
        .set_active(&done.created_session_id.expect("session"))
        .await
        .expect("active");
    device
}

fn email_of<'u>(user: &'u User, email: &str) -> &'u otp_client::proto::EmailAddress {
    user.email_addresses
        .iter()
        .find(|e| e.email_address == email)
        .expect("the email")
}

#[tokio::test]
async fn a_phone_user_adds_an_email_and_signs_in_with_it_once_verified() {
    on_both_databases(async |app| {
        let phone = app.client();
        let sign_up = app.sign_up(&phone, PHONE).await;

        let added = phone.add_email(EMAIL).await.expect("added");
        assert!(added.verification.is_none(), "no code asked for yet");
        let me = phone.me().await.expect("me");
        assert!(email_of(&me, EMAIL).verification.is_none());
        assert_eq!(
            me.primary_email_address_id, None,
            "unverified is not primary"
        );
        // Adding it twice is refused, as adding the phone it signed up with.
        let twice = phone.add_email(EMAIL).await.expect_err("already added");
        assert_eq!(code(twice), Some(ErrorCode::FormIdentifierExists));
        let own = phone.add_phone(PHONE).await.expect_err("already theirs");
        assert_eq!(code(own), Some(ErrorCode::FormIdentifierExists));

        // Unverified, it signs nobody in: a sign-in with it is a decoy that sends nothing.
        let stranger = app.client();
        stranger.sign_in().create(EMAIL).await.expect("create");
        let factor = stranger.sign_in().supported_first_factors()[0].clone();
        stranger
            .sign_in()
            .prepare_first_factor(&factor)
            .await
            .expect("prepared");
        assert!(
            app.client().dev_outbox(EMAIL).await.is_err(),
            "nothing sent"
        );

        // The code goes to the email (once the decoy's 30 s between codes to one identifier
        // are over); a wrong one counts, the right one verifies it.
        app.advance(Duration::from_secs(31));
        let sent = phone
            .prepare_identifier_verification(Strategy::EmailCode, &added.id)
            .await
            .expect("sent");
        let UserIdentifier::Email(sent) = sent else {
            panic!("an email")
        };
        let pending = sent.verification.expect("a code is pending");
        assert_eq!(pending.status, VerificationStatus::Unverified);
        let right = app.code_for(EMAIL).await;
        let wrong = if right == "000000" {
            "111111"
        } else {
            "000000"
        };
        let refused = phone
            .attempt_identifier_verification(Strategy::EmailCode, &added.id, wrong)
            .await
            .expect_err("wrong code");
        assert_eq!(code(refused), Some(ErrorCode::FormCodeIncorrect));
        phone
            .attempt_identifier_verification(Strategy::EmailCode, &added.id, &right)
            .await
            .expect("verified");
        let again = phone
            .attempt_identifier_verification(Strategy::EmailCode, &added.id, &right)
            .await
            .expect_err("used");
        assert_eq!(code(again), Some(ErrorCode::VerificationAlreadyVerified));
        let me = phone.me().await.expect("me");
        let email = email_of(&me, EMAIL);
        assert_eq!(
            email.verification.as_ref().map(|v| v.status),
            Some(VerificationStatus::Verified)
        );
        assert_eq!(
            me.primary_email_address_id.as_deref(),
            Some(added.id.as_str())
        );
        assert!(phone.session_token().await.is_ok(), "still signed in");
        // The account's phone number is told, with the email masked, in the same transaction.
        let notice = app.client().dev_outbox(PHONE).await.expect("a notice");
        assert!(notice.body.contains("was added to your"), "{}", notice.body);
        assert!(notice.body.contains("j***@example.com"), "{}", notice.body);
        assert!(notice.code.is_empty(), "a notice carries no code");

        // Now the email signs the same user in, on another device.
        let laptop = sign_in_with(&app, EMAIL, Strategy::EmailCode).await;
        assert_eq!(
            Some(laptop.me().await.expect("me").id),
            sign_up.created_user_id
        );
    })
    .await;
}

#[tokio::test]
async fn an_unverified_identifier_blocks_nobody_and_the_first_to_verify_it_wins() {
    on_both_databases(async |app| {
        let jane = app.client();
        app.sign_up(&jane, PHONE).await;
        let janes = jane.add_email(EMAIL).await.expect("added");
        jane.prepare_identifier_verification(Strategy::EmailCode, &janes.id)
            .await
            .expect("sent");
        let janes_code = app.code_for(EMAIL).await;

        // Someone else signs up with it meanwhile: nothing stops them.
        app.advance(Duration::from_secs(31));
        let john = app.client();
        app.sign_up(&john, EMAIL).await;

        // Jane's code is right, but the email is John's now.
        let lost = jane
            .attempt_identifier_verification(Strategy::EmailCode, &janes.id, &janes_code)
            .await
            .expect_err("taken");
        let lost = code_of::<()>(Err(lost));
        assert_eq!(lost.code, ErrorCode::FormIdentifierExists);
        assert_eq!(lost.param_name.as_deref(), Some("email_address"));
        let me = jane.me().await.expect("me");
        assert!(
            email_of(&me, EMAIL).verification.as_ref().map(|v| v.status)
                != Some(VerificationStatus::Verified)
        );
    })
    .await;
}

#[tokio::test]
async fn two_users_verifying_one_new_email_at_once_give_it_to_exactly_one() {
    on_both_databases(async |app| {
        let jane = app.client();
        app.sign_up(&jane, PHONE).await;
        let john = app.client();
        app.sign_up(&john, PHONE_2).await;
        let mut codes = Vec::new();
        let mut ids = Vec::new();
        for device in [&jane, &john] {
            app.advance(Duration::from_secs(31));
            let added = device.add_email(EMAIL_2).await.expect("added");
            device
                .prepare_identifier_verification(Strategy::EmailCode, &added.id)
                .await
                .expect("sent");
            codes.push(app.code_for(EMAIL_2).await);
            ids.push(added.id);
        }
        let (a, b) = tokio::join!(
            jane.attempt_identifier_verification(Strategy::EmailCode, &ids[0], &codes[0]),
            john.attempt_identifier_verification(Strategy::EmailCode, &ids[1], &codes[1]),
        );
        let outcomes = [a.map(|_| ()), b.map(|_| ())];
        let won = outcomes.iter().filter(|o| o.is_ok()).count();
        assert_eq!(won, 1, "{outcomes:?}");
        let lost = outcomes.into_iter().find_map(Result::err).expect("a loser");
        assert_eq!(code(lost), Some(ErrorCode::FormIdentifierExists));
        // The email is verified on exactly one of the two accounts.
        let mut verified = 0;
        for device in [&jane, &john] {
            let me = device.me().await.expect("me");
            verified += me
                .email_addresses
                .iter()
                .filter(|e| {
                    e.verification.as_ref().map(|v| v.status) == Some(VerificationStatus::Verified)
                })
                .count();
        }
        assert_eq!(verified, 1);
    })
    .await;
}

#[tokio::test]
async fn the_last_verified_identifier_stays_and_removing_one_needs_a_recent_code() {
    on_both_databases(async |app| {
        let device = app.client();
        app.sign_up(&device, PHONE).await;
        let me = device.me().await.expect("me");
        let phone_id = me.phone_numbers[0].id.clone();

        let last = device
            .remove_identifier(Strategy::PhoneCode, &phone_id)
            .await
            .expect_err("the only one");
        let last = code_of::<()>(Err(last));
        assert_eq!(last.code, ErrorCode::IdentificationDeletionFailed);
        assert_eq!(last.status, 400);

        app.advance(Duration::from_secs(31));
        add_verified_email(&app, &device, EMAIL).await;
        let typo = device.add_email(EMAIL_2).await.expect("added");
        // Eleven minutes later: adding needs a fresh code (a stale session could otherwise add
        // its own email, then reverify with it)…
        app.advance(Duration::from_secs(11 * 60));
        let stale_add = device
            .add_phone(PHONE_2)
            .await
            .expect_err("a new way in needs a fresh code");
        assert_eq!(
            code(stale_add),
            Some(ErrorCode::SessionReverificationRequired)
        );
        // …but an unverified one is removed at once, whenever.
        let removed = device
            .remove_identifier(Strategy::EmailCode, &typo.id)
            .await
            .expect("removed");
        assert!(removed.deleted);

        // The session's JWTs say how long ago the last code was (Clerk's `fva` claim).
        let fva = |jwt: &str| {
            jsonwebtoken::dangerous::insecure_decode::<serde_json::Value>(jwt)
                .expect("claims")
                .claims["fva"]
                .clone()
        };
        let stale_token = device.session_token().await.expect("jwt");
        assert_eq!(fva(&stale_token), serde_json::json!([11, -1]));
        // A verified one needs a code typed in the last 10 minutes.
        let stale = device
            .remove_identifier(Strategy::PhoneCode, &phone_id)
            .await
            .expect_err("too long ago");
        assert_eq!(code(stale), Some(ErrorCode::SessionReverificationRequired));
        let started = device.reverify().await.expect("reverify");
        assert_eq!(started.status, SessionVerificationStatus::NeedsFirstFactor);
        let factors = started.supported_first_factors.expect("factors");
        assert_eq!(
            factors.len(),
            2,
            "both verified identifiers, masked: {factors:?}"
        );
        assert!(
            factors
                .iter()
                .all(|f| !f.safe_identifier.contains("5550143"))
        );
        let prepared = device
            .prepare_reverification(Strategy::PhoneCode, &phone_id)
            .await
            .expect("sent");
        assert_eq!(prepared.status, SessionVerificationStatus::NeedsFirstFactor);
        let code_sent = app.code_for(PHONE).await;
        let done = device
            .attempt_reverification(Strategy::PhoneCode, &code_sent)
            .await
            .expect("reverified");
        assert_eq!(done.status, SessionVerificationStatus::Complete);
        assert_eq!(done.session.factor_verification_age[0], 0);
        let fresh_token = device.session_token().await.expect("jwt");
        assert_eq!(fva(&fresh_token), serde_json::json!([0, -1]));
        device
            .remove_identifier(Strategy::PhoneCode, &phone_id)
            .await
            .expect("removed");

        // The account's email is told (notices go to email when the account has one: text
        // messages cost money); the number removed got nothing after its reverification code.
        let notice = app.client().dev_outbox(EMAIL).await.expect("a notice");
        assert!(
            notice.body.contains("was removed from your"),
            "{}",
            notice.body
        );
        assert!(
            notice.body.contains("43"),
            "the number, masked: {}",
            notice.body
        );
        let last_to_phone = app.client().dev_outbox(PHONE).await.expect("the code");
        assert_eq!(last_to_phone.code, code_sent);
        // The session goes on; the number is free for anyone.
        let me = device.me().await.expect("me");
        assert!(me.phone_numbers.is_empty());
        assert_eq!(me.email_addresses.len(), 1);
        assert!(device.session_token().await.is_ok());
        app.advance(Duration::from_secs(31));
        let other = app.client();
        let fresh = app.sign_up(&other, PHONE).await;
        assert_ne!(fresh.created_user_id, Some(me.id));
    })
    .await;
}

#[tokio::test]
async fn a_verified_identifier_becomes_primary_after_a_recent_code() {
    on_both_databases(async |app| {
        let device = app.client();
        app.sign_up(&device, PHONE).await;
        let first_phone = device.me().await.expect("me").phone_numbers[0].id.clone();
        app.advance(Duration::from_secs(31));
        let added = device.add_phone(PHONE_2).await.expect("added");
        let unverified = device
            .set_primary(None, Some(&added.id))
            .await
            .expect_err("not verified");
        let unverified = code_of::<()>(Err(unverified));
        assert_eq!(unverified.code, ErrorCode::FormVerificationNeeded);
        assert_eq!(
            unverified.param_name.as_deref(),
            Some("primary_phone_number_id")
        );

        device
            .prepare_identifier_verification(Strategy::PhoneCode, &added.id)
            .await
            .expect("sent");
        let sent = app.code_for(PHONE_2).await;
        device
            .attempt_identifier_verification(Strategy::PhoneCode, &added.id, &sent)
            .await
            .expect("verified");
        let me = device.me().await.expect("me");
        assert_eq!(
            me.primary_phone_number_id.as_deref(),
            Some(first_phone.as_str())
        );
        let me = device
            .set_primary(None, Some(&added.id))
            .await
            .expect("primary");
        assert_eq!(
            me.primary_phone_number_id.as_deref(),
            Some(added.id.as_str())
        );

        app.advance(Duration::from_secs(11 * 60));
        let stale = device
            .set_primary(None, Some(&first_phone))
            .await
            .expect_err("too long ago");
        assert_eq!(code(stale), Some(ErrorCode::SessionReverificationRequired));
    })
    .await;
}

#[tokio::test]
async fn another_users_identifiers_are_not_found_and_codes_to_new_ones_are_limited() {
    on_both_databases(async |app| {
        let jane = app.client();
        app.sign_up(&jane, PHONE).await;
        let janes = jane.add_email(EMAIL).await.expect("added");
        let john = app.client();
        app.sign_up(&john, PHONE_2).await;

        let get = john
            .prepare_identifier_verification(Strategy::EmailCode, &janes.id)
            .await
            .expect_err("not his");
        assert_eq!(code(get), Some(ErrorCode::ResourceNotFound));
        let remove = john
            .remove_identifier(Strategy::EmailCode, &janes.id)
            .await
            .expect_err("not his");
        assert_eq!(code(remove), Some(ErrorCode::ResourceNotFound));
        let kind = jane
            .prepare_identifier_verification(Strategy::PhoneCode, &janes.id)
            .await
            .expect_err("an email is not a phone number");
        assert_eq!(code(kind), Some(ErrorCode::ResourceNotFound));
        let signed_out = app
            .client()
            .add_email(EMAIL_2)
            .await
            .expect_err("nobody signed in");
        assert_eq!(code(signed_out), Some(ErrorCode::AuthenticationInvalid));
        let bad = jane.add_email("not an email").await.expect_err("malformed");
        assert_eq!(code(bad), Some(ErrorCode::FormParamFormatInvalid));

        // The limits of sign-in codes: one code per identifier per 30 s.
        jane.prepare_identifier_verification(Strategy::EmailCode, &janes.id)
            .await
            .expect("sent");
        let soon = jane
            .prepare_identifier_verification(Strategy::EmailCode, &janes.id)
            .await
            .expect_err("too soon");
        assert_eq!(code(soon), Some(ErrorCode::TooManyRequests));
    })
    .await;
}

#[tokio::test]
async fn without_enumeration_protection_a_sign_in_lists_every_verified_identifier() {
    on_both_databases_with(
        |c| c.protection.enumeration_protection = false,
        async |app| {
            let device = app.client();
            app.sign_up(&device, PHONE).await;
            app.advance(Duration::from_secs(31));
            add_verified_email(&app, &device, EMAIL).await;
            let other = app.client();
            other.sign_in().create(PHONE).await.expect("create");
            let factors = other.sign_in().supported_first_factors();
            let strategies: Vec<_> = factors.iter().map(|f| f.strategy).collect();
            assert_eq!(strategies, [Strategy::PhoneCode, Strategy::EmailCode]);
            assert!(factors.iter().all(|f| f.safe_identifier.contains('*')));
        },
    )
    .await;
}

#[tokio::test]
async fn with_enumeration_protection_a_sign_in_shows_only_the_identifier_typed() {
    on_both_databases(async |app| {
        let device = app.client();
        app.sign_up(&device, PHONE).await;
        app.advance(Duration::from_secs(31));
        add_verified_email(&app, &device, EMAIL).await;
        // A real account with two identifiers looks like a decoy: one factor, the one typed,
        // and a code to another kind is refused alike.
        for typed in [PHONE, "+12025550177"] {
            let other = app.client();
            other.sign_in().create(typed).await.expect("create");
            let factors = other.sign_in().supported_first_factors();
            assert_eq!(factors.len(), 1, "{typed}: {factors:?}");
            assert_eq!(factors[0].strategy, Strategy::PhoneCode);
            let email_factor = otp_client::proto::SignInFactor {
                strategy: Strategy::EmailCode,
                email_address_id: None,
                phone_number_id: None,
                ..factors[0].clone()
            };
            let refused = other
                .sign_in()
                .prepare_first_factor(&email_factor)
                .await
                .expect_err("no other factor");
            assert_eq!(
                code(refused),
                Some(ErrorCode::StrategyForUserInvalid),
                "{typed}"
            );
        }
    })
    .await;
}

#[tokio::test]
async fn a_code_sent_to_an_identifier_removed_since_signs_nobody_in() {
    on_both_databases(async |app| {
        let phone = app.client();
        app.sign_up(&phone, PHONE).await;
        app.advance(Duration::from_secs(31));
        let email_id = add_verified_email(&app, &phone, EMAIL).await;
        // Someone who reads that mailbox starts a sign-in with it…
        app.advance(Duration::from_secs(31));
        let intruder = app.client();
        app.start_sign_in(&intruder, EMAIL).await;
        let sent = app.code_for(EMAIL).await;
        // …the owner removes the email…
        phone
            .remove_identifier(Strategy::EmailCode, &email_id)
            .await
            .expect("removed");
        // …and the code it got is worth nothing.
        let refused = intruder
            .sign_in()
            .attempt_first_factor(Strategy::EmailCode, &sent)
            .await
            .expect_err("removed since");
        assert_eq!(code(refused), Some(ErrorCode::VerificationExpired));
        assert!(intruder.session().is_none());
    })
    .await;
}
