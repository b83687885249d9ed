//! One contract for the storage interface, run against both backends: every object round-trips,
//! codes are single-use and expire, attempts and send limits count exactly, the lock-out holds,
//! concurrency never breaks a rule, and the outbox hands each message to one worker.

use crate::helpers::PgDb;
use otp_server::domain::{EmailAddress, Identifier, PhoneNumber};
use otp_server::otp::Judgement;
use otp_server::rate_limit::SendLimits;
use otp_server::store::*;

const NOW: i64 = 1_800_000_000_000;
const MAC: &[u8] = b"the-right-mac";

/// Each contract test, for SQLite and for PostgreSQL.
macro_rules! contract {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                let dir = tempfile::tempdir().expect("dir");
                let url = format!("sqlite://{}", dir.path().join("otp.db").display());
                super::$name(otp_server::store::connect(&url, 8).await.expect("sqlite")).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                let db = super::PgDb::create().await;
                super::$name(otp_server::store::connect(&db.url, 20).await.expect("postgres")).await;
            }
        }
    )*};
}

contract!(
    every_object_round_trips,
    a_code_is_single_use,
    a_code_expires_at_its_deadline,
    wrong_attempts_count_and_void_the_code,
    send_limits_count_per_scope,
    the_lockout_holds_after_the_threshold,
    fifty_concurrent_wrong_guesses_count_exactly,
    two_concurrent_correct_attempts_create_one_session,
    two_concurrent_sign_ups_create_one_user,
    each_outbox_message_goes_to_one_worker,
    keys_are_created_once,
    a_new_client_is_stored_with_what_it_creates_or_not_at_all,
    twenty_concurrent_sends_never_pass_the_limit,
    ending_a_session_moves_the_client_to_its_newest_other_one,
    creates_count_per_scope_and_stop_at_the_limit,
    a_destination_prefix_whose_codes_are_never_verified_is_blocked,
    the_janitor_removes_what_is_abandoned_and_keeps_what_is_live,
    concurrent_janitors_remove_each_row_once,
    a_failure_count_is_forgotten_a_day_after_the_last_wrong_code,
);

fn phone() -> Identifier {
    Identifier::Phone(PhoneNumber::parse("+12025550143", None).expect("phone"))
}

fn limits(per_hour: u32) -> Vec<(String, SendLimits)> {
    vec![(
        "to:+12025550143".into(),
        SendLimits {
            min_interval_ms: 0,
            per_hour,
        },
    )]
}

async fn client(store: &Store, n: u8) -> ClientRow {
    store
        .create_client(&format!("client_{n}"), &[n; 32], NOW)
        .await
        .expect("client")
}

/// A client stored already.
fn stored(id: &str) -> ClientKey<'_> {
    ClientKey {
        id,
        new_token_hash: None,
    }
}

async fn sign_up_with_code(store: &Store, client_id: &str, id: &str) {
    store
        .create_sign_up(id, stored(client_id), &phone(), NOW, NOW + 86_400_000)
        .await
        .expect("sign-up");
    prepare(store, id, NOW).await.expect("prepare");
}

async fn prepare(store: &Store, owner: &str, now: i64) -> Result<(), StoreError> {
    store
        .prepare_code(PrepareCode {
            owner_id: owner,
            strategy: otp_proto::Strategy::PhoneCode,
            identifier: &phone(),
            identifier_id: None,
            mac: MAC.to_vec(),
            expire_at: now + 600_000,
            now,
            limits: limits(1_000),
            outbox: None,
            dev_message: None,
            pumping: None,
        })
        .await
        .map(|_| ())
}

fn attempt<'a>(
    owner: &'a str,
    identifier: &'a Identifier,
    client_id: &str,
    n: u32,
    now: i64,
) -> AttemptCode<'a> {
    AttemptCode {
        owner_id: owner,
        identifier,
        now,
        max_attempts: 3,
        lockout_threshold: 100,
        lockout_ms: 3_600_000,
        completion: Completion {
            client_id: client_id.into(),
            session_id: format!("sess_{owner}_{n}"),
            session_abandon_at: now + 1_000_000,
            new_token_hash: vec![n as u8 + 100; 32],
            kind: CompletionKind::SignUp {
                user_id: format!("user_{owner}_{n}"),
                identifier_id: format!("idn_{owner}_{n}"),
            },
        },
        sms_prefix: None,
    }
}

fn right(mac: &[u8]) -> bool {
    mac == MAC
}

fn wrong(_: &[u8]) -> bool {
    false
}

async fn every_object_round_trips(store: Store) {
    let c = client(&store, 1).await;
    assert_eq!(
        store
            .client_by_token(&[1; 32])
            .await
            .expect("read")
            .map(|c| c.id),
        Some(c.id.clone())
    );
    sign_up_with_code(&store, &c.id, "sua_1").await;
    let sign_up = store
        .sign_up("sua_1")
        .await
        .expect("read")
        .expect("sign-up");
    assert_eq!(
        (sign_up.client_id.as_str(), sign_up.identifier.as_str()),
        ("client_1", "+12025550143")
    );
    assert_eq!(sign_up.code.as_ref().map(|c| c.attempts), Some(0));
    let id = phone();
    assert_eq!(
        store
            .attempt_code(attempt("sua_1", &id, &c.id, 0, NOW + 1), &right)
            .await
            .expect("attempt"),
        Judgement::Correct
    );
    // The token moved; the user, identifier and session exist.
    assert!(
        store
            .client_by_token(&[1; 32])
            .await
            .expect("read")
            .is_none()
    );
    let state = store.client_state(&c.id).await.expect("state");
    assert_eq!(state.sessions.len(), 1);
    let user = store
        .user_by_identifier(&id)
        .await
        .expect("read")
        .expect("user");
    assert_eq!(user.identifiers[0].value, "+12025550143");
    assert_eq!(
        state.client.last_active_session_id.as_deref(),
        Some("sess_sua_1_0")
    );
    // Sign-in, touch, end.
    store
        .create_sign_in("sia_1", stored(&c.id), &id, &user.id, NOW, NOW + 1)
        .await
        .expect("sign-in");
    let sign_in = store
        .sign_in("sia_1")
        .await
        .expect("read")
        .expect("sign-in");
    assert_eq!(sign_in.factors.len(), 1);
    store
        .touch_session(&c.id, "sess_sua_1_0", NOW + 5, true, &Default::default())
        .await
        .expect("touch");
    assert_eq!(
        store
            .session(&c.id, "sess_sua_1_0")
            .await
            .expect("read")
            .expect("s")
            .last_active_at,
        NOW + 5
    );
    store.end_sessions(&c.id, None, NOW + 6).await.expect("end");
    assert_eq!(
        store
            .session(&c.id, "sess_sua_1_0")
            .await
            .expect("read")
            .expect("s")
            .status,
        StoredSessionStatus::Ended
    );
    assert!(
        store
            .client_state(&c.id)
            .await
            .expect("state")
            .sessions
            .is_empty()
    );
    let email = Identifier::Email(EmailAddress::parse("jane@example.com").expect("email"));
    assert!(
        store
            .user_by_identifier(&email)
            .await
            .expect("read")
            .is_none()
    );
}

async fn a_code_is_single_use(store: Store) {
    let c = client(&store, 1).await;
    sign_up_with_code(&store, &c.id, "sua_1").await;
    let id = phone();
    assert_eq!(
        store
            .attempt_code(attempt("sua_1", &id, &c.id, 0, NOW), &right)
            .await
            .expect("a"),
        Judgement::Correct
    );
    assert_eq!(
        store
            .attempt_code(attempt("sua_1", &id, &c.id, 1, NOW), &right)
            .await
            .expect("a"),
        Judgement::AlreadyVerified
    );
}

async fn a_code_expires_at_its_deadline(store: Store) {
    let c = client(&store, 1).await;
    sign_up_with_code(&store, &c.id, "sua_1").await;
    let id = phone();
    let at_deadline = NOW + 600_000;
    assert_eq!(
        store
            .attempt_code(attempt("sua_1", &id, &c.id, 0, at_deadline), &right)
            .await
            .expect("a"),
        Judgement::Expired
    );
    let code = store
        .sign_up("sua_1")
        .await
        .expect("read")
        .expect("s")
        .code
        .expect("code");
    assert_eq!(
        code.state,
        otp_server::otp::CodeState::Expired,
        "recorded as expired"
    );
}

async fn wrong_attempts_count_and_void_the_code(store: Store) {
    let c = client(&store, 1).await;
    sign_up_with_code(&store, &c.id, "sua_1").await;
    let id = phone();
    let j = |n| attempt("sua_1", &id, &c.id, n, NOW);
    assert_eq!(
        store.attempt_code(j(0), &wrong).await.expect("a"),
        Judgement::Incorrect { remaining: 2 }
    );
    assert_eq!(
        store.attempt_code(j(1), &wrong).await.expect("a"),
        Judgement::Incorrect { remaining: 1 }
    );
    assert_eq!(
        store.attempt_code(j(2), &wrong).await.expect("a"),
        Judgement::NowFailed
    );
    assert_eq!(
        store.attempt_code(j(3), &right).await.expect("a"),
        Judgement::Failed
    );
    // A new code starts again.
    prepare(&store, "sua_1", NOW + 1).await.expect("prepare");
    assert_eq!(
        store.attempt_code(j(4), &right).await.expect("a"),
        Judgement::Correct
    );
}

async fn send_limits_count_per_scope(store: Store) {
    let c = client(&store, 1).await;
    store
        .create_sign_up("sua_1", stored(&c.id), &phone(), NOW, NOW + 1)
        .await
        .expect("sign-up");
    let send = |now: i64, per_hour: u32| {
        let store = store.clone();
        async move {
            store
                .prepare_code(PrepareCode {
                    owner_id: "sua_1",
                    strategy: otp_proto::Strategy::PhoneCode,
                    identifier: &phone(),
                    identifier_id: None,
                    mac: MAC.to_vec(),
                    expire_at: now + 600_000,
                    now,
                    limits: limits(per_hour),
                    outbox: None,
                    dev_message: None,
                    pumping: None,
                })
                .await
        }
    };
    send(NOW, 2).await.expect("1st");
    send(NOW + 1_000, 2).await.expect("2nd");
    match send(NOW + 2_000, 2).await {
        Err(StoreError::TooManyRequests { retry_after_secs }) => {
            assert_eq!(retry_after_secs, 3_598)
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    send(NOW + 3_600_000, 2).await.expect("an hour later");
}

async fn the_lockout_holds_after_the_threshold(store: Store) {
    let c = client(&store, 1).await;
    sign_up_with_code(&store, &c.id, "sua_1").await;
    let id = phone();
    let mut a = attempt("sua_1", &id, &c.id, 0, NOW);
    a.lockout_threshold = 2;
    assert!(matches!(
        store.attempt_code(a, &wrong).await,
        Ok(Judgement::Incorrect { .. })
    ));
    let mut a = attempt("sua_1", &id, &c.id, 1, NOW);
    a.lockout_threshold = 2;
    assert!(matches!(
        store.attempt_code(a, &wrong).await,
        Ok(Judgement::Incorrect { .. })
    ));
    match store
        .attempt_code(attempt("sua_1", &id, &c.id, 2, NOW + 1_000), &right)
        .await
    {
        Err(StoreError::Locked { retry_after_secs }) => assert_eq!(retry_after_secs, 3_599),
        other => panic!("expected the lock, got {other:?}"),
    }
    assert!(matches!(
        prepare(&store, "sua_1", NOW + 2_000).await,
        Err(StoreError::Locked { .. })
    ));
    assert_eq!(
        store
            .attempt_code(attempt("sua_1", &id, &c.id, 3, NOW + 3_600_000), &wrong)
            .await
            .expect("unlocked"),
        Judgement::Expired
    );
}

async fn fifty_concurrent_wrong_guesses_count_exactly(store: Store) {
    let c = client(&store, 1).await;
    sign_up_with_code(&store, &c.id, "sua_1").await;
    let tasks: Vec<_> = (0..50)
        .map(|n| {
            let (store, client_id) = (store.clone(), c.id.clone());
            tokio::spawn(async move {
                let id = phone();
                store
                    .attempt_code(attempt("sua_1", &id, &client_id, n, NOW), &wrong)
                    .await
                    .expect("attempt")
            })
        })
        .collect();
    let mut judged = 0;
    for t in tasks {
        if matches!(
            t.await.expect("task"),
            Judgement::Incorrect { .. } | Judgement::NowFailed
        ) {
            judged += 1;
        }
    }
    assert_eq!(judged, 3, "exactly max_attempts guesses were compared");
    assert_eq!(
        store
            .sign_up("sua_1")
            .await
            .expect("read")
            .expect("s")
            .code
            .expect("c")
            .attempts,
        3
    );
}

async fn two_concurrent_correct_attempts_create_one_session(store: Store) {
    let c = client(&store, 1).await;
    sign_up_with_code(&store, &c.id, "sua_1").await;
    let tasks: Vec<_> = (0..2)
        .map(|n| {
            let (store, client_id) = (store.clone(), c.id.clone());
            tokio::spawn(async move {
                let id = phone();
                store
                    .attempt_code(attempt("sua_1", &id, &client_id, n, NOW), &right)
                    .await
                    .expect("attempt")
            })
        })
        .collect();
    let mut correct = 0;
    for t in tasks {
        if t.await.expect("task") == Judgement::Correct {
            correct += 1;
        }
    }
    assert_eq!(correct, 1);
    assert_eq!(
        store
            .client_state(&c.id)
            .await
            .expect("state")
            .sessions
            .len(),
        1
    );
}

async fn two_concurrent_sign_ups_create_one_user(store: Store) {
    let (a, b) = (client(&store, 1).await, client(&store, 2).await);
    sign_up_with_code(&store, &a.id, "sua_a").await;
    store
        .create_sign_up("sua_b", stored(&b.id), &phone(), NOW, NOW + 1)
        .await
        .expect("sign-up");
    prepare(&store, "sua_b", NOW).await.expect("prepare");
    let tasks: Vec<_> = [("sua_a", a.id.clone()), ("sua_b", b.id.clone())]
        .into_iter()
        .map(|(owner, client_id)| {
            let store = store.clone();
            tokio::spawn(async move {
                let id = phone();
                store
                    .attempt_code(attempt(owner, &id, &client_id, 0, NOW), &right)
                    .await
            })
        })
        .collect();
    let mut created = 0;
    for t in tasks {
        match t.await.expect("task") {
            Ok(Judgement::Correct) => created += 1,
            Err(StoreError::IdentifierExists) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(created, 1, "one user");
}

async fn each_outbox_message_goes_to_one_worker(store: Store) {
    let c = client(&store, 1).await;
    store
        .create_sign_up("sua_1", stored(&c.id), &phone(), NOW, NOW + 1)
        .await
        .expect("sign-up");
    store
        .prepare_code(PrepareCode {
            owner_id: "sua_1",
            strategy: otp_proto::Strategy::PhoneCode,
            identifier: &phone(),
            identifier_id: None,
            mac: MAC.to_vec(),
            expire_at: NOW + 600_000,
            now: NOW,
            limits: limits(10),
            outbox: Some(NewOutbox {
                channel: otp_proto::dev::Channel::Sms,
                recipient: "+12025550143".into(),
                locale: None,
                payload: b"sealed".to_vec(),
                deadline_at: NOW + 600_000,
            }),
            dev_message: None,
            pumping: None,
        })
        .await
        .expect("prepare");
    let claims: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.claim_outbox(NOW, 60_000).await.expect("claim") })
        })
        .collect();
    let mut jobs = vec![];
    for c in claims {
        jobs.extend(c.await.expect("task"));
    }
    assert_eq!(jobs.len(), 1, "one worker got it");
    let job = jobs.remove(0);
    assert_eq!(job.payload.as_deref(), Some(&b"sealed"[..]));
    // Its worker died: after the lease, another takes it; once finished, nobody does.
    assert!(
        store
            .claim_outbox(NOW + 59_999, 60_000)
            .await
            .expect("claim")
            .is_none()
    );
    let again = store
        .claim_outbox(NOW + 60_000, 60_000)
        .await
        .expect("claim")
        .expect("re-claimed after the lease");
    store
        .outbox_finish(
            again.id,
            NOW + 60_001,
            OutboxOutcome::Sent { provider_id: None },
        )
        .await
        .expect("finish");
    assert!(
        store
            .claim_outbox(NOW + 999_999, 60_000)
            .await
            .expect("claim")
            .is_none()
    );
    let code = store
        .sign_up("sua_1")
        .await
        .expect("read")
        .expect("s")
        .code
        .expect("c");
    assert_eq!(code.delivery, Some(otp_proto::DeliveryStatus::Sent));
}

async fn keys_are_created_once(store: Store) {
    let first = store.hmac_key(&[1; 32], NOW).await.expect("key");
    assert_eq!(first, [1; 32]);
    assert_eq!(
        store.hmac_key(&[2; 32], NOW).await.expect("key"),
        [1; 32],
        "the first one stays"
    );
    let adds: Vec<_> = (0..4)
        .map(|n| {
            let store = store.clone();
            tokio::spawn(async move {
                let key = otp_server::store::JwtKeyRow {
                    generation: 1,
                    pem: format!("pem-{n}"),
                    created_at: NOW,
                    algorithm: "EdDSA".into(),
                    revoked_at: None,
                };
                store.add_jwt_key(&key).await
            })
        })
        .collect();
    for a in adds {
        a.await.expect("task").expect("add");
    }
    assert_eq!(
        store.jwt_keys().await.expect("keys").len(),
        1,
        "one key per generation"
    );
}

async fn a_new_client_is_stored_with_what_it_creates_or_not_at_all(store: Store) {
    let new = |id: &'static str, hash: &'static [u8]| ClientKey {
        id,
        new_token_hash: Some(hash),
    };
    // A new client signing up: stored with its sign-up, in one transaction.
    store
        .create_sign_up("sua_1", new("client_1", &[1; 32]), &phone(), NOW, NOW + 1)
        .await
        .expect("sign-up");
    let c = store
        .client_by_token(&[1; 32])
        .await
        .expect("read")
        .expect("the new client is stored");
    assert_eq!(c.sign_up_id.as_deref(), Some("sua_1"));
    prepare(&store, "sua_1", NOW).await.expect("prepare");
    let id = phone();
    let done = store.attempt_code(attempt("sua_1", &id, "client_1", 0, NOW), &right);
    assert_eq!(done.await.expect("attempt"), Judgement::Correct);
    // A new client signing in: the same.
    store
        .create_sign_in(
            "sia_1",
            new("client_2", &[2; 32]),
            &id,
            "user_sua_1_0",
            NOW,
            NOW + 1,
        )
        .await
        .expect("sign-in");
    let c = store
        .client_by_token(&[2; 32])
        .await
        .expect("read")
        .expect("stored");
    assert_eq!(c.sign_in_id.as_deref(), Some("sia_1"));
    // A refused sign-up (the number has a user now) leaves no client behind.
    let refused = store
        .create_sign_up("sua_2", new("client_3", &[3; 32]), &phone(), NOW, NOW + 1)
        .await;
    assert!(
        matches!(refused, Err(StoreError::IdentifierExists)),
        "{refused:?}"
    );
    assert!(
        store
            .client_by_token(&[3; 32])
            .await
            .expect("read")
            .is_none()
    );
}

/// Twenty devices asking at once for a code to one number, with five sends an hour allowed:
/// exactly five are sent, whatever the interleaving (the limit is checked and counted in one
/// serialized transaction).
async fn twenty_concurrent_sends_never_pass_the_limit(store: Store) {
    let mut owners = Vec::new();
    for n in 0..20u8 {
        let c = client(&store, n).await;
        let owner = format!("sua_{n}");
        store
            .create_sign_up(&owner, stored(&c.id), &phone(), NOW, NOW + 86_400_000)
            .await
            .expect("sign-up");
        owners.push(owner);
    }
    let sends: Vec<_> = owners
        .into_iter()
        .map(|owner| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .prepare_code(PrepareCode {
                        owner_id: &owner,
                        strategy: otp_proto::Strategy::PhoneCode,
                        identifier: &phone(),
                        identifier_id: None,
                        mac: MAC.to_vec(),
                        expire_at: NOW + 600_000,
                        now: NOW,
                        limits: limits(5),
                        outbox: None,
                        dev_message: None,
                        pumping: None,
                    })
                    .await
            })
        })
        .collect();
    let (mut sent, mut refused) = (0, 0);
    for send in sends {
        match send.await.expect("task") {
            Ok(_) => sent += 1,
            Err(StoreError::TooManyRequests { .. }) => refused += 1,
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!((sent, refused), (5, 15));
}

/// Signing out of the chosen session leaves the device on its newest other session; signing
/// out of another one leaves the choice alone; signing out of all leaves it on none.
async fn ending_a_session_moves_the_client_to_its_newest_other_one(store: Store) {
    let c = client(&store, 1).await;
    for (n, at) in [(1u8, NOW), (2, NOW + 10), (3, NOW + 20)] {
        let owner = format!("sua_{n}");
        let email =
            Identifier::Email(EmailAddress::parse(&format!("user{n}@example.com")).expect("email"));
        store
            .create_sign_up(&owner, stored(&c.id), &email, at, at + 86_400_000)
            .await
            .expect("sign-up");
        store
            .prepare_code(PrepareCode {
                owner_id: &owner,
                strategy: otp_proto::Strategy::EmailCode,
                identifier: &email,
                identifier_id: None,
                mac: MAC.to_vec(),
                expire_at: at + 600_000,
                now: at,
                limits: Vec::new(),
                outbox: None,
                dev_message: None,
                pumping: None,
            })
            .await
            .expect("prepare");
        let outcome = store
            .attempt_code(attempt(&owner, &email, &c.id, 0, at), &right)
            .await
            .expect("attempt");
        assert_eq!(outcome, Judgement::Correct);
    }
    let last_active = async |store: &Store| {
        store
            .client_state(&c.id)
            .await
            .expect("state")
            .client
            .last_active_session_id
    };
    assert_eq!(last_active(&store).await.as_deref(), Some("sess_sua_3_0"));
    store
        .end_sessions(&c.id, Some("sess_sua_1_0"), NOW + 25)
        .await
        .expect("end another");
    assert_eq!(last_active(&store).await.as_deref(), Some("sess_sua_3_0"));
    store
        .end_sessions(&c.id, Some("sess_sua_3_0"), NOW + 30)
        .await
        .expect("end the chosen one");
    assert_eq!(last_active(&store).await.as_deref(), Some("sess_sua_2_0"));
    let state = store.client_state(&c.id).await.expect("state");
    assert_eq!(state.sessions.len(), 1);
    store
        .end_sessions(&c.id, None, NOW + 40)
        .await
        .expect("end all");
    assert_eq!(last_active(&store).await, None);
    assert!(
        store
            .client_state(&c.id)
            .await
            .expect("state")
            .sessions
            .is_empty()
    );
}

const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;

fn hourly(scope: &str, per_hour: u32) -> (String, SendLimits) {
    (
        scope.to_owned(),
        SendLimits {
            min_interval_ms: 0,
            per_hour,
        },
    )
}

/// Creates are counted per scope in the database; the one past the limit is refused with the
/// wait until the oldest leaves the hour, and counts nothing; another scope is unaffected.
async fn creates_count_per_scope_and_stop_at_the_limit(store: Store) {
    let a = [hourly("create:sign_in:203.0.113.7/32", 3)];
    let b = [hourly("create:sign_in:203.0.113.8/32", 3)];
    for n in 0..3 {
        store
            .admit(&a, NOW + n * 1_000)
            .await
            .expect("within the limit");
    }
    match store.admit(&a, NOW + 10_000).await {
        Err(StoreError::TooManyRequests { retry_after_secs }) => {
            assert_eq!(retry_after_secs, 3_590)
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    store.admit(&b, NOW + 10_000).await.expect("another scope");
    store
        .admit(&a, NOW + HOUR)
        .await
        .expect("the first left the hour");
    assert!(
        store.admit(&a, NOW + HOUR + 1).await.is_err(),
        "the refused one was not counted, the one just admitted was"
    );
}

fn us(n: u32) -> Identifier {
    Identifier::Phone(PhoneNumber::parse(&format!("+120255501{n:02}"), None).expect("phone"))
}

fn uk(n: u32) -> Identifier {
    Identifier::Phone(PhoneNumber::parse(&format!("+4474001234{n:02}"), None).expect("phone"))
}

fn guard(prefix: &str) -> PumpingGuard {
    PumpingGuard {
        prefix: prefix.into(),
        rule: otp_server::rate_limit::PumpingRule {
            min_sends: 5,
            min_verify_percent: 20,
        },
        block_ms: HOUR,
        per_hour: 1_000,
    }
}

/// A sign-up for `to` on a new client, with a code sent under `guard`.
async fn text(
    store: &Store,
    n: u32,
    to: &Identifier,
    guard: PumpingGuard,
    now: i64,
) -> Result<Prepared, StoreError> {
    let owner = format!("sua_{n}");
    let client = format!("client_{n}");
    let token = [n.to_le_bytes(), [7; 4]].concat();
    store
        .create_sign_up(
            &owner,
            ClientKey {
                id: &client,
                new_token_hash: Some(&token),
            },
            to,
            now,
            now + DAY,
        )
        .await
        .expect("sign-up");
    store
        .prepare_code(PrepareCode {
            owner_id: &owner,
            strategy: otp_proto::Strategy::PhoneCode,
            identifier: to,
            identifier_id: None,
            mac: MAC.to_vec(),
            expire_at: now + 600_000,
            now,
            limits: Vec::new(),
            outbox: None,
            dev_message: None,
            pumping: Some(guard),
        })
        .await
}

/// Codes to one prefix that nobody types back block it once there are enough of them (the
/// block is committed though the send is refused, and counted); a prefix whose codes are
/// verified keeps receiving them.
async fn a_destination_prefix_whose_codes_are_never_verified_is_blocked(store: Store) {
    for n in 0..5 {
        let at = NOW + i64::from(n) * 1_000;
        assert_eq!(
            text(&store, n, &us(n), guard("+1 202"), at)
                .await
                .expect("sent"),
            Prepared::Sent
        );
        let to = uk(n);
        text(&store, 100 + n, &to, guard("+44 740"), at)
            .await
            .expect("sent");
        let owner = format!("sua_{}", 100 + n);
        let client = format!("client_{}", 100 + n);
        let mut verify = attempt(&owner, &to, &client, n, at);
        verify.sms_prefix = Some("+44 740".into());
        assert_eq!(
            store.attempt_code(verify, &right).await.expect("attempt"),
            Judgement::Correct
        );
    }
    let at = NOW + 10_000;
    match text(&store, 5, &us(5), guard("+1 202"), at)
        .await
        .expect("judged")
    {
        Prepared::FraudBlocked {
            retry_after_secs,
            new_block: Some(block),
        } => {
            assert_eq!(retry_after_secs, 3_600);
            assert_eq!(
                (block.prefix.as_str(), block.sends, block.verified),
                ("+1 202", 5, 0)
            );
        }
        other => panic!("expected a new block, got {other:?}"),
    }
    match text(&store, 6, &us(6), guard("+1 202"), at + 600_000)
        .await
        .expect("judged")
    {
        Prepared::FraudBlocked {
            retry_after_secs,
            new_block: None,
        } => assert_eq!(retry_after_secs, 3_000),
        other => panic!("expected the block to hold, got {other:?}"),
    }
    assert_eq!(
        text(&store, 105, &uk(5), guard("+44 740"), at)
            .await
            .expect("sent"),
        Prepared::Sent,
        "the verified prefix is not blocked"
    );
    let blocks = store.fraud_blocks(0).await.expect("blocks");
    assert_eq!(blocks.len(), 1, "one block, counted once");
    assert_eq!(blocks[0].blocked_until, at + HOUR);
    assert_eq!(
        text(&store, 7, &us(7), guard("+1 202"), at + HOUR)
            .await
            .expect("sent"),
        Prepared::Sent,
        "once the block is over and its sends left the hour"
    );
}

fn retention() -> Retention {
    Retention {
        ended_sessions_ms: 30 * DAY,
        idle_clients_ms: DAY,
        outbox_ms: 7 * DAY,
        session_idle_ms: 7 * DAY,
        failures_ms: DAY,
    }
}

/// Signs up `to` on a new client `n` at `at`: a live session.
async fn signed_up(store: &Store, n: u32, to: &Identifier, at: i64) {
    let owner = format!("sua_{n}");
    let client = format!("client_{n}");
    text(store, n, to, guard("+1 202"), at).await.expect("sent");
    let mut verify = attempt(&owner, to, &client, n, at);
    verify.completion.session_abandon_at = at + 60 * DAY;
    assert_eq!(
        store.attempt_code(verify, &right).await.expect("attempt"),
        Judgement::Correct
    );
}

/// The janitor removes idle empty clients, expired sign-ups and sign-ins with their codes,
/// sessions ended longer ago than retention, old send events and finished messages; it keeps
/// a live session and its client, an unfinished sign-up and its code, and an ended session
/// within retention. A second sweep finds nothing.
async fn the_janitor_removes_what_is_abandoned_and_keeps_what_is_live(store: Store) {
    let live = us(1);
    signed_up(&store, 1, &live, NOW).await;
    signed_up(&store, 2, &us(2), NOW).await;
    store
        .end_sessions("client_2", None, NOW + HOUR)
        .await
        .expect("sign out");
    let empty = client(&store, 3).await;
    store
        .admit(&[hourly("create:client:x", 10)], NOW)
        .await
        .expect("counted");
    let r = retention();

    // Two days on: client 1 uses its session; client 4 starts a sign-up.
    let later = NOW + 2 * DAY;
    store
        .touch_session("client_1", "sess_sua_1_1", later, true, &Default::default())
        .await
        .expect("touch");
    text(&store, 4, &us(4), guard("+1 203"), later)
        .await
        .expect("sent");
    let swept = store
        .sweep(later, &r, 500)
        .await
        .expect("sweep")
        .expect("alone");
    assert_eq!(swept.clients, 1, "the empty client: {swept:?}");
    assert_eq!(
        swept.sign_ups, 2,
        "the completed sign-ups past their end: {swept:?}"
    );
    assert!(
        swept.send_events >= 3,
        "the sends and the create: {swept:?}"
    );
    assert!(
        store
            .client_by_token(&[3; 32])
            .await
            .expect("read")
            .is_none()
    );
    let _ = empty;
    let live_state = store.client_state("client_1").await.expect("kept");
    assert_eq!(live_state.sessions.len(), 1, "the live session is kept");
    assert_eq!(
        live_state.client.last_active_session_id.as_deref(),
        Some("sess_sua_1_1")
    );
    let sign_up = store.sign_up("sua_4").await.expect("read").expect("kept");
    assert!(
        sign_up.code.is_some(),
        "the unfinished sign-up keeps its code"
    );
    assert!(
        store
            .session("client_2", "sess_sua_2_2")
            .await
            .expect("read")
            .is_some(),
        "an ended session is kept within retention"
    );
    assert_eq!(
        store
            .sweep(later, &r, 500)
            .await
            .expect("sweep")
            .expect("alone")
            .total(),
        0,
        "nothing left to remove"
    );

    // Thirty-one days on: the ended session and then its client go; the expired sign-up too.
    let much_later = NOW + 31 * DAY;
    store
        .touch_session(
            "client_1",
            "sess_sua_1_1",
            much_later - DAY,
            false,
            &Default::default(),
        )
        .await
        .expect("touch");
    let swept = store
        .sweep(much_later, &r, 500)
        .await
        .expect("sweep")
        .expect("alone");
    assert_eq!((swept.sessions, swept.sign_ups), (1, 1), "{swept:?}");
    assert!(
        store
            .session("client_2", "sess_sua_2_2")
            .await
            .expect("read")
            .is_none()
    );
    assert!(store.sign_up("sua_4").await.expect("read").is_none());
    assert_eq!(
        swept.clients, 2,
        "client 2 (signed out) and 4 (abandoned): {swept:?}"
    );
    assert_eq!(
        store
            .client_state("client_1")
            .await
            .expect("kept")
            .sessions
            .len(),
        1,
        "a session in use is kept however old"
    );
    assert!(
        store
            .user_by_identifier(&live)
            .await
            .expect("read")
            .is_some()
    );
}

/// Several janitors at once (instances on one database): each row is removed once, none fails,
/// and nothing is left.
async fn concurrent_janitors_remove_each_row_once(store: Store) {
    for n in 0..40u8 {
        client(&store, n).await;
    }
    let r = retention();
    let later = NOW + 2 * DAY;
    let sweeps: Vec<_> = (0..4)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.sweep(later, &r, 7).await.expect("sweep") })
        })
        .collect();
    let mut removed = 0;
    for sweep in sweeps {
        removed += sweep.await.expect("task").map_or(0, |s| s.clients);
    }
    let rest = store
        .sweep(later, &r, 7)
        .await
        .expect("sweep")
        .expect("alone")
        .clients;
    assert_eq!(removed + rest, 40);
}

/// The janitor forgets an identifier's count of wrong codes a day after the last one (one
/// wrong guess at each of many identifiers used to leave a row per identifier forever): the
/// count starts again, so one more wrong code does not lock.
async fn a_failure_count_is_forgotten_a_day_after_the_last_wrong_code(store: Store) {
    let id = phone();
    let c = client(&store, 1).await;
    sign_up_with_code(&store, &c.id, "sua_1").await;
    let mut a = attempt("sua_1", &id, &c.id, 0, NOW);
    a.lockout_threshold = 2;
    assert!(matches!(
        store.attempt_code(a, &wrong).await,
        Ok(Judgement::Incorrect { .. })
    ));

    let later = NOW + 2 * DAY;
    store.sweep(later, &retention(), 500).await.expect("sweep");
    let c = client(&store, 2).await;
    store
        .create_sign_up("sua_2", stored(&c.id), &id, later, later + DAY)
        .await
        .expect("sign-up");
    prepare(&store, "sua_2", later).await.expect("prepare");
    let mut a = attempt("sua_2", &id, &c.id, 1, later);
    a.lockout_threshold = 2;
    assert!(matches!(
        store.attempt_code(a, &wrong).await,
        Ok(Judgement::Incorrect { .. })
    ));
    let mut a = attempt("sua_2", &id, &c.id, 2, later + 1_000);
    a.lockout_threshold = 2;
    assert_eq!(
        store.attempt_code(a, &right).await.expect("not locked"),
        Judgement::Correct,
        "the second wrong code in two days did not lock"
    );
}
