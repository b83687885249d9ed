//! The operator's commands (`otp-server keys|users|sessions|webhooks …`): the Backend API's
//! secret keys, what the Backend API does to users and sessions, and webhook endpoints, from a
//! shell, against the same database and with the same options as the server (changes send their
//! webhook events as the server's do). Each writes what it did to `out`, for a person.

use crate::config::{
    JwtAlgorithm, KeysCommand, SessionsCommand, SigningKeysCommand, UsersCommand, WebhooksCommand,
};
use crate::random::Random;
use crate::store::{Store, UserFilter, UserOrder, UserRow};
use anyhow::{Context, bail};
use std::io::Write;

/// Runs `otp-server keys …`.
pub async fn keys(
    command: KeysCommand,
    store: &Store,
    random: &Random,
    now: i64,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    match command {
        KeysCommand::Create { name } => {
            let name = name.trim();
            if name.is_empty() {
                bail!("--name must not be empty");
            }
            let (key, row) = crate::backend::create_key(store, random, name, now).await?;
            writeln!(
                out,
                "Secret key {} ({:?}) created. It is shown only this once; keep it in your \
                 server's secrets and send it as `Authorization: Bearer <key>`:",
                row.id, row.name
            )?;
            writeln!(out, "{}", key.expose())?;
        }
        KeysCommand::List => {
            let keys = store.api_keys().await?;
            if keys.is_empty() {
                writeln!(
                    out,
                    "No secret keys. Make one with: otp-server keys create --name …"
                )?;
            }
            for key in keys {
                let state = match key.revoked_at {
                    Some(at) => format!("revoked {}", when(at)),
                    None => "active".to_owned(),
                };
                writeln!(
                    out,
                    "{}  {:<24}  {}  created {}  {state}",
                    key.id,
                    key.name,
                    key.hint,
                    when(key.created_at)
                )?;
            }
        }
        KeysCommand::Revoke { key } => {
            let revoked = store.revoke_api_key(key.trim(), now).await?;
            if revoked == 0 {
                bail!(
                    "no active secret key has the id or name {key:?} (see: otp-server keys list)"
                );
            }
            writeln!(
                out,
                "Revoked {revoked} secret key(s) named or numbered {key:?}."
            )?;
        }
    }
    Ok(())
}

/// Runs `otp-server users …`.
pub async fn users(
    command: UsersCommand,
    store: &Store,
    now: i64,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    match command {
        UsersCommand::List {
            query,
            limit,
            offset,
        } => {
            let filter = query.as_deref().map(UserFilter::search).unwrap_or_default();
            let total = store.count_users(&filter).await?;
            let users = store
                .users(&filter, UserOrder::NewestFirst, limit, offset)
                .await?;
            for user in &users {
                writeln!(out, "{}", summary(user))?;
            }
            writeln!(out, "{} of {total} user(s) shown.", users.len())?;
        }
        UsersCommand::Show { id } => {
            let user = store.user(&id).await?.with_context(|| no_user(&id))?;
            let shown = crate::present::backend_user(&user, now);
            writeln!(out, "{}", serde_json::to_string_pretty(&shown)?)?;
        }
        UsersCommand::Ban { id } => {
            let user = store
                .set_banned(&id, true, now)
                .await?
                .with_context(|| no_user(&id))?;
            writeln!(out, "Banned: {}", summary(&user))?;
        }
        UsersCommand::Unban { id } => {
            let user = store
                .set_banned(&id, false, now)
                .await?
                .with_context(|| no_user(&id))?;
            writeln!(out, "Ban lifted: {}", summary(&user))?;
        }
        UsersCommand::Delete { id } => {
            if !store.delete_user(&id, now).await? {
                bail!(no_user(&id));
            }
            writeln!(
                out,
                "Deleted {id} and their personal data; their sessions have ended."
            )?;
        }
    }
    Ok(())
}

/// Runs `otp-server sessions …`.
pub async fn sessions(
    command: SessionsCommand,
    store: &Store,
    policy: &crate::config::Policy,
    now: i64,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let line = |s: &crate::store::SessionRow| {
        let shown = crate::present::backend_session(s, now, policy);
        format!(
            "{}  {}  {:?}  signed in {}  last active {}",
            shown.id,
            shown.client_id,
            shown.status,
            when(shown.created_at),
            when(shown.last_active_at)
        )
    };
    match command {
        SessionsCommand::List { user } => {
            let sessions = store.sessions_of(Some(&user), None).await?;
            for session in &sessions {
                writeln!(out, "{}", line(session))?;
            }
            writeln!(out, "{} session(s).", sessions.len())?;
        }
        SessionsCommand::Revoke { id } => {
            let session = store
                .revoke_session(&id, now)
                .await?
                .with_context(|| format!("no session has the id {id:?}"))?;
            writeln!(out, "Revoked: {}", line(&session))?;
        }
    }
    Ok(())
}

/// Runs `otp-server signing-keys …`.
pub async fn signing_keys(
    command: SigningKeysCommand,
    store: &Store,
    algorithm: JwtAlgorithm,
    random: &Random,
    now: i64,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    match command {
        SigningKeysCommand::List => {
            for key in store.jwt_keys().await? {
                let state = match key.revoked_at {
                    Some(at) => format!("revoked {}", when(at)),
                    None => "published".to_owned(),
                };
                writeln!(
                    out,
                    "{}  {}  created {}  {state}",
                    key.generation,
                    key.algorithm,
                    when(key.created_at)
                )?;
            }
        }
        SigningKeysCommand::Rotate { revoke_previous } => {
            let generation =
                crate::tokens::rotate(store, algorithm, random, revoke_previous, now).await?;
            writeln!(
                out,
                "Signing key {generation} ({}) signs from the next refresh of each instance \
                 (--key-refresh-ms).{}",
                algorithm.as_str(),
                if revoke_previous {
                    " The older keys are revoked: their tokens no longer verify."
                } else {
                    " The older keys stay published until their tokens expire."
                }
            )?;
        }
    }
    Ok(())
}

/// Runs `otp-server webhooks …`.
pub async fn webhooks(
    command: WebhooksCommand,
    store: &Store,
    random: &Random,
    now: i64,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    match command {
        WebhooksCommand::Create { url } => {
            let row = crate::webhooks::create_endpoint(store, random, url.trim(), now).await?;
            writeln!(
                out,
                "Webhook endpoint {} created for {}. Its signing secret is shown only this \
                 once (verifyWebhook's signingSecret); running servers pick the endpoint up \
                 within --key-refresh-ms:",
                row.id,
                crate::config::redact_url(&row.url)
            )?;
            writeln!(out, "{}", row.secret)?;
        }
        WebhooksCommand::List => {
            let endpoints = store.webhook_endpoints().await?;
            if endpoints.is_empty() {
                writeln!(out, "No endpoints besides --webhook-url.")?;
            }
            for e in endpoints {
                writeln!(
                    out,
                    "{}  {}  created {}",
                    e.id,
                    crate::config::redact_url(&e.url),
                    when(e.created_at)
                )?;
            }
        }
        WebhooksCommand::Delete { id } => {
            if store.remove_webhook_endpoint(id.trim()).await? == 0 {
                bail!("no webhook endpoint has the id {id:?} (see: otp-server webhooks list)");
            }
            writeln!(out, "Removed the webhook endpoint {id}.")?;
        }
        WebhooksCommand::Secret => {
            writeln!(out, "{}", crate::webhooks::SigningSecret::generate(random)?)?;
        }
    }
    Ok(())
}

/// One line about a user: id, identifiers, creation, last sign-in, ban.
fn summary(user: &UserRow) -> String {
    let identifiers: Vec<&str> = user
        .identifiers
        .iter()
        .filter(|i| i.verified)
        .map(|i| i.value.as_str())
        .collect();
    let mut line = format!(
        "{}  {}  created {}",
        user.id,
        identifiers.join(", "),
        when(user.created_at)
    );
    if let Some(at) = user.last_sign_in_at {
        line.push_str(&format!("  signed in {}", when(at)));
    }
    if let Some(at) = user.banned_at {
        line.push_str(&format!("  BANNED {}", when(at)));
    }
    line
}

fn no_user(id: &str) -> String {
    format!("no user has the id {id:?} (see: otp-server users list)")
}

/// A time for people: `2026-12-01 18:40 UTC`.
fn when(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).map_or_else(
        || ms.to_string(),
        |t| t.format("%Y-%m-%d %H:%M UTC").to_string(),
    )
}
