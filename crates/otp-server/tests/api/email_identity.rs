//! Email identity: one canonical key per address (Unicode NFC, the local part lowercased, the
//! domain lowercased and IDNA-encoded) for matching, send limits and uniqueness; the address is
//! shown as typed; invisible, quoted and mixed-script addresses are refused. And the migration of
//! a database from before keys, with differently-cased duplicates, on SQLite and PostgreSQL.

use crate::helpers::*;
use otp_client::Strategy;
use std::time::Duration;

/// Enumeration protection off: a refused sign-up says `form_identifier_exists`, which is what
/// shows that two casings are one address (with protection on, the answer hides it).
fn explicit_codes(c: &mut otp_server::Config) {
    c.protection.enumeration_protection = false;
}

/// Signs `identifier` in on a new device to completion; returns the signed-in user's id.
async fn sign_in_user(app: &TestApp, identifier: &str) -> String {
    let device = app.client();
    let sign_in = app.start_sign_in(&device, identifier).await;
    assert_eq!(sign_in.identifier.as_deref(), Some(identifier.trim()));
    let code = app.code_for(identifier).await;
    let done = device
        .sign_in()
        .attempt_first_factor(Strategy::EmailCode, &code)
        .await
        .expect("attempt");
    let session = device
        .set_active(done.created_session_id.as_deref().expect("session"))
        .await
        .expect("set active");
    session.user.id
}

/// The error code and parameter of a sign-up of `email` on a new device.
async fn sign_up_refusal(app: &TestApp, email: &str) -> (String, Option<String>) {
    let err = code_of(app.client().sign_up().create_email(email).await);
    (err.code.as_str().to_owned(), err.param_name)
}

#[tokio::test]
async fn an_address_signs_in_under_any_casing_and_shows_as_typed() {
    let app = spawn_app_with(explicit_codes).await;
    let device = app.client();
    let sign_up = app.sign_up(&device, "Alice@Example.com").await;
    assert_eq!(sign_up.email_address.as_deref(), Some("Alice@Example.com"));
    let user_id = sign_up.created_user_id.expect("user");

    // Before: form_identifier_not_found (the local part was matched as typed).
    app.advance(Duration::from_secs(60));
    let other = app.client();
    let sign_in = other
        .sign_in()
        .create("alice@example.COM")
        .await
        .expect("another casing finds the account");
    assert_eq!(sign_in.identifier.as_deref(), Some("alice@example.COM"));
    let factor = &sign_in.supported_first_factors.expect("factors")[0];
    // Masked as typed this time, as an unknown address's is (enumeration protection).
    assert_eq!(factor.safe_identifier, "a***@example.COM");
    assert_eq!(sign_in_user(&app, "alice@example.COM").await, user_id);

    let session = other.sign_in().create("ALICE@EXAMPLE.COM").await;
    assert!(session.is_ok(), "{session:?}");
    let me = device.load().await.expect("load").expect("a client");
    assert_eq!(
        me.sessions[0].user.email_addresses[0].email_address, "Alice@Example.com",
        "the account shows the address as it was typed at sign-up"
    );
}

#[tokio::test]
async fn another_casing_of_a_taken_address_cannot_sign_up_again() {
    // The default configuration of this tree answers a taken identifier with Clerk's explicit
    // `form_identifier_exists` (no enumeration protection here yet).
    let app = spawn_app_with(explicit_codes).await;
    app.sign_up(&app.client(), "Alice@Example.com").await;
    for again in [
        "ALICE@example.com",
        "alice@example.com",
        " alice@EXAMPLE.COM ",
    ] {
        // Before: a second account for each casing.
        assert_eq!(
            sign_up_refusal(&app, again).await,
            (
                "form_identifier_exists".to_owned(),
                Some("email_address".to_owned())
            ),
            "{again}"
        );
    }
}

#[tokio::test]
async fn two_casings_racing_to_sign_up_make_one_account() {
    let app = spawn_app_with(explicit_codes).await;
    let (first, second) = (app.client(), app.client());
    app.prepare_sign_up(&first, "bob@example.com").await;
    app.advance(Duration::from_secs(60));
    app.prepare_sign_up(&second, "BOB@example.com").await;
    let code = app.code_for("BOB@example.com").await;
    second
        .sign_up()
        .attempt_verification(Strategy::EmailCode, &code)
        .await
        .expect("the second casing completes first");
    // The first sign-up's code is void now (a later one went to the same mailbox); send again.
    app.advance(Duration::from_secs(60));
    let err = code_of(
        first
            .sign_up()
            .prepare_verification(Strategy::EmailCode)
            .await,
    );
    assert_eq!(err.code.as_str(), "form_identifier_exists");
}

#[tokio::test]
async fn send_limits_count_every_casing_of_an_address() {
    let app = spawn_app_with(explicit_codes).await;
    app.prepare_sign_up(&app.client(), "carol@example.com")
        .await;
    // Before: each casing had its own limits, so a mailbox could be flooded.
    let device = app.client();
    device
        .sign_up()
        .create_email("CAROL@example.com")
        .await
        .expect("create");
    let err = code_of(
        device
            .sign_up()
            .prepare_verification(Strategy::EmailCode)
            .await,
    );
    assert_eq!(err.code.as_str(), "too_many_requests", "30 s apart");
    // The hourly cap (5) is shared too: four more casings, 30 s apart, then none.
    for casing in [
        "Carol@example.com",
        "cArol@example.com",
        "caRol@example.com",
        "carOl@example.com",
    ] {
        app.advance(Duration::from_secs(30));
        app.prepare_sign_up(&app.client(), casing).await;
    }
    app.advance(Duration::from_secs(30));
    let err = code_of(
        device
            .sign_up()
            .prepare_verification(Strategy::EmailCode)
            .await,
    );
    assert_eq!(
        err.code.as_str(),
        "too_many_requests",
        "the sixth in the hour"
    );
}

#[tokio::test]
async fn a_unicode_domain_and_its_punycode_are_one_address() {
    let app = spawn_app_with(explicit_codes).await;
    let sign_up = app.sign_up(&app.client(), "alice@exämple.com").await;
    let user_id = sign_up.created_user_id.expect("user");
    assert_eq!(
        sign_up_refusal(&app, "alice@xn--exmple-cua.com").await.0,
        "form_identifier_exists"
    );
    assert_eq!(
        sign_up_refusal(&app, "Alice@EXÄMPLE.com").await.0,
        "form_identifier_exists"
    );
    app.advance(Duration::from_secs(60));
    assert_eq!(
        sign_in_user(&app, "alice@xn--exmple-cua.com").await,
        user_id
    );
}

#[tokio::test]
async fn invisible_quoted_and_mixed_script_addresses_are_refused() {
    let app = spawn_app_with(explicit_codes).await;
    app.sign_up(&app.client(), "alice@example.com").await;
    for bad in [
        "al\u{200b}ice@example.com",
        "\u{430}lice@example.com",
        "\"alice\"@example.com",
        "alice\u{2060}@example.com",
        "alice@ex\u{430}mple.com",
    ] {
        // Before: each was accepted as a new identifier (and a new account).
        assert_eq!(
            sign_up_refusal(&app, bad).await,
            (
                "form_param_format_invalid".to_owned(),
                Some("email_address".to_owned())
            ),
            "{}",
            bad.escape_unicode()
        );
        let err = code_of(app.client().sign_in().create(bad).await);
        assert_eq!(err.code.as_str(), "form_param_format_invalid");
        assert_eq!(err.param_name.as_deref(), Some("identifier"));
    }
}

// ---- the migration of a database from before canonical keys ----

/// Where the database of a migration test lives.
enum OldDatabase {
    Sqlite(tempfile::TempDir),
    Postgres(PgDb),
}

impl OldDatabase {
    fn url(&self) -> String {
        match self {
            Self::Sqlite(dir) => format!("sqlite://{}", dir.path().join("old.db").display()),
            Self::Postgres(db) => db.url.clone(),
        }
    }
}

/// Users and identifiers as the previous schema (migrations 0001 to 0003) held them: the server
/// kept the local part as typed, so two accounts could differ only by case. `user_old` is the
/// oldest `alice`; `user_new` signed up later as `alice`; `user_bob` is alone with his key.
const OLD_ROWS: &[&str] = &[
    "INSERT INTO users (id, created_at, updated_at) VALUES ('user_old', 1000, 1000)",
    "INSERT INTO users (id, created_at, updated_at) VALUES ('user_new', 2000, 2000)",
    "INSERT INTO users (id, created_at, updated_at) VALUES ('user_bob', 3000, 3000)",
    "INSERT INTO user_identifiers (id, user_id, kind, value, verified_strategy, created_at, updated_at)
       VALUES ('idn_old', 'user_old', 'email', 'Alice@example.com', 'email_code', 1000, 1000)",
    "INSERT INTO user_identifiers (id, user_id, kind, value, verified_strategy, created_at, updated_at)
       VALUES ('idn_new', 'user_new', 'email', 'alice@example.com', 'email_code', 2000, 2000)",
    "INSERT INTO user_identifiers (id, user_id, kind, value, verified_strategy, created_at, updated_at)
       VALUES ('idn_bob', 'user_bob', 'email', 'Bob@example.com', 'email_code', 3000, 3000)",
    "INSERT INTO user_identifiers (id, user_id, kind, value, verified_strategy, created_at, updated_at)
       VALUES ('idn_phone', 'user_bob', 'phone', '+12025550143', 'phone_code', 3000, 3000)",
];

/// A copy of the migrations before this change (0001 to 0003): what an older server applied.
fn previous_migrations(db: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(db);
    for entry in std::fs::read_dir(source).expect("migrations") {
        let path = entry.expect("entry").path();
        let name = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        if name.as_str() < "0004" {
            std::fs::copy(&path, dir.path().join(&name)).expect("copy");
        }
    }
    dir
}

/// A database at the previous migration, holding [`OLD_ROWS`].
async fn old_database(postgres: bool) -> OldDatabase {
    use sqlx::migrate::Migrator;
    if postgres {
        let db = PgDb::create().await;
        let pool = sqlx::PgPool::connect(&db.url).await.expect("connect");
        let dir = previous_migrations("postgres");
        let migrator = Migrator::new(dir.path()).await.expect("migrations");
        migrator.run(&pool).await.expect("previous migrations");
        for sql in OLD_ROWS {
            sqlx::query(sql).execute(&pool).await.expect("old row");
        }
        pool.close().await;
        OldDatabase::Postgres(db)
    } else {
        let old = OldDatabase::Sqlite(tempfile::tempdir().expect("temp dir"));
        let options = old
            .url()
            .parse::<sqlx::sqlite::SqliteConnectOptions>()
            .expect("url")
            .create_if_missing(true);
        let pool = sqlx::SqlitePool::connect_with(options)
            .await
            .expect("connect");
        let dir = previous_migrations("sqlite");
        let migrator = Migrator::new(dir.path()).await.expect("migrations");
        migrator.run(&pool).await.expect("previous migrations");
        for sql in OLD_ROWS {
            sqlx::query(sql).execute(&pool).await.expect("old row");
        }
        pool.close().await;
        old
    }
}

/// Starts today's server on a database from before keys, and checks that every old account is
/// still reached as its owner typed it, the oldest `alice` holds the key (any other casing
/// reaches it), and no casing can make a new account; then again after a restart (the keying
/// runs at every start and finds nothing left to do).
async fn old_duplicates_stay_reachable_and_no_new_one_can_be_made(postgres: bool) {
    let old = old_database(postgres).await;
    let clock = otp_server::ManualClock::new(1_000_000);
    let mut app = spawn_instance(&old.url(), &clock, explicit_codes).await;
    for round in 0..2 {
        for (typed, user) in [
            ("Alice@example.com", "user_old"),
            ("alice@example.com", "user_new"),
            ("alice@EXAMPLE.com", "user_new"),
            ("ALICE@example.com", "user_old"),
            ("aLiCe@Example.Com", "user_old"),
            ("bob@example.com", "user_bob"),
            ("BOB@EXAMPLE.COM", "user_bob"),
        ] {
            // One mailbox gets at most 5 codes an hour, 30 s apart.
            app.advance(Duration::from_secs(15 * 60));
            assert_eq!(
                sign_in_user(&app, typed).await,
                user,
                "{typed} (round {round})"
            );
        }
        for again in [
            "alice@example.com",
            "Alice@example.com",
            "ALICE@example.com",
            "bob@example.com",
        ] {
            assert_eq!(
                sign_up_refusal(&app, again).await.0,
                "form_identifier_exists",
                "{again} (round {round})"
            );
        }
        app = app.restart().await;
    }
}

#[tokio::test]
async fn a_sqlite_database_with_cased_duplicates_is_migrated_to_keys() {
    old_duplicates_stay_reachable_and_no_new_one_can_be_made(false).await;
}

#[tokio::test]
async fn a_postgres_database_with_cased_duplicates_is_migrated_to_keys() {
    old_duplicates_stay_reachable_and_no_new_one_can_be_made(true).await;
}
