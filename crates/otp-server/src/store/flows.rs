//! The store's policy, written once: each operation of [`super::Store`] as a flow over the
//! primitive reads and writes of one transaction ([`Tx`]), run unchanged on SQLite and on
//! PostgreSQL. Every decision about codes, attempts, send limits, create limits, SMS-pumping
//! blocks, lock-outs, sessions, the outbox and housekeeping is here; the rules themselves are
//! the pure functions of [`crate::otp`] and [`crate::rate_limit`]. A flow that checks then
//! changes first calls [`Tx::serialize_on`] with what it counts or changes, so concurrent
//! requests see each other's writes.

use super::rows::*;
use super::tx::Tx;
use crate::domain::{EmailAddress, Identifier, IdentifierKind};
use crate::otp::{self, CodeState};
use crate::rate_limit::{self, HOUR_MS, SendLimits};

/// The names a flow serializes on: the identifier a code goes to (its lock-out and its limit),
/// and the sign-up or sign-in that owns the code.
fn code_keys(identifier: &Identifier, owner_id: &str) -> [String; 2] {
    [
        format!("id:{}", identifier.key()),
        format!("owner:{owner_id}"),
    ]
}

/// The name a flow that changes a client's chosen session serializes on.
fn client_key(client_id: &str) -> String {
    format!("client:{client_id}")
}

/// Stores a new client unless it is stored already.
async fn store_client_if_new(
    tx: &mut impl Tx,
    client: ClientKey<'_>,
    now: i64,
) -> Result<(), StoreError> {
    match client.new_token_hash {
        Some(token_hash) => tx.insert_client(client.id, token_hash, now).await,
        None => Ok(()),
    }
}

/// See [`super::Store::client_state`].
pub(super) async fn client_state(
    tx: &mut impl Tx,
    client_id: &str,
) -> Result<ClientState, StoreError> {
    let client = tx
        .client(client_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("client {client_id} not found"))?;
    let active = tx.active_sessions(client_id).await?;
    let mut sessions = Vec::with_capacity(active.len());
    for session in active {
        let user = tx
            .user(&session.user_id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("session {} without user", session.id))?;
        sessions.push((session, user));
    }
    let sign_up = match &client.sign_up_id {
        Some(id) => tx.sign_up(id).await?,
        None => None,
    };
    let sign_in = match &client.sign_in_id {
        Some(id) => sign_in(tx, id).await?,
        None => None,
    };
    Ok(ClientState {
        client,
        sessions,
        sign_up,
        sign_in,
    })
}

/// See [`super::Store::create_sign_up`]. The check that nobody has the identifier needs no
/// serialization: it only spares a code to an identifier already taken, and the unique index
/// decides between two sign-ups that both pass it ([`Tx::insert_identifier`]). With
/// `refuse_taken` false (enumeration protection) the check still runs, so a taken identifier
/// costs the same work as a free one, and its sign-up is stored as well.
pub(super) async fn create_sign_up(
    tx: &mut impl Tx,
    id: &str,
    client: ClientKey<'_>,
    identifier: &Identifier,
    now: i64,
    abandon_at: i64,
    refuse_taken: bool,
) -> Result<(), StoreError> {
    let taken = tx
        .user_id_by_identifier(identifier.key(), identifier.legacy_value())
        .await?
        .is_some();
    if taken && refuse_taken {
        return Err(StoreError::IdentifierExists);
    }
    store_client_if_new(tx, client, now).await?;
    tx.insert_sign_up(id, client.id, identifier, now, abandon_at)
        .await?;
    tx.set_client_sign_up(client.id, id, now).await
}

/// See [`super::Store::user_by_identifier`].
pub(super) async fn user_by_identifier(
    tx: &mut impl Tx,
    identifier: &Identifier,
) -> Result<Option<UserRow>, StoreError> {
    match tx
        .user_id_by_identifier(identifier.key(), identifier.legacy_value())
        .await?
    {
        Some(id) => tx.user(&id).await,
        None => Ok(None),
    }
}

/// See [`super::Store::create_sign_in`].
pub(super) async fn create_sign_in(
    tx: &mut impl Tx,
    id: &str,
    client: ClientKey<'_>,
    identifier: &Identifier,
    user_id: &str,
    now: i64,
    abandon_at: i64,
) -> Result<(), StoreError> {
    store_client_if_new(tx, client, now).await?;
    tx.insert_sign_in(id, client.id, identifier, user_id, now, abandon_at)
        .await?;
    tx.set_client_sign_in(client.id, id, now).await
}

/// See [`super::Store::create_sign_in_or_decoy`]: one transaction with the same reads and
/// writes whether the identifier has an account or not (the lookup, the client, the sign-in,
/// the client's current sign-in), so neither the answer nor its timing tells them apart.
/// Returns whether the identifier has an account.
pub(super) async fn create_sign_in_or_decoy(
    tx: &mut impl Tx,
    id: &str,
    client: ClientKey<'_>,
    identifier: &Identifier,
    decoy_factor_id: &str,
    now: i64,
    abandon_at: i64,
) -> Result<bool, StoreError> {
    let user_id = tx
        .user_id_by_identifier(identifier.key(), identifier.legacy_value())
        .await?;
    store_client_if_new(tx, client, now).await?;
    match &user_id {
        Some(user_id) => {
            tx.insert_sign_in(id, client.id, identifier, user_id, now, abandon_at)
                .await?;
        }
        None => {
            tx.insert_decoy_sign_in(id, client.id, identifier, decoy_factor_id, now, abandon_at)
                .await?;
        }
    }
    tx.set_client_sign_in(client.id, id, now).await?;
    Ok(user_id.is_some())
}

/// See [`super::Store::sign_in`]: the sign-in with the factors its user can receive a code at;
/// a decoy's one factor is the identifier typed, under the id stored with it. Both read a user
/// (a decoy reads the one its factor id names, which does not exist), so the two take the same
/// statements.
pub(super) async fn sign_in(tx: &mut impl Tx, id: &str) -> Result<Option<SignInRow>, StoreError> {
    let Some(mut row) = tx.sign_in(id).await? else {
        return Ok(None);
    };
    match (&row.user_id, &row.decoy_factor_id) {
        (Some(user_id), _) => {
            if let Some(user) = tx.user(user_id).await? {
                // Only a verified identifier signs in.
                row.factors = user
                    .identifiers
                    .into_iter()
                    .filter(|i| i.verified)
                    .collect();
            }
        }
        (None, Some(factor_id)) => {
            let _none = tx.user(factor_id).await?;
            row.factors = vec![IdentifierRow {
                id: factor_id.clone(),
                kind: row.identifier.kind(),
                value: row.identifier.as_str().to_owned(),
                created_at: 0,
                verified: true,
            }];
        }
        (None, None) => {}
    }
    Ok(Some(row))
}

/// The send scope counting the text messages to a destination prefix (its per-hour cap, and
/// the sends of SMS-pumping detection).
fn sms_sent_scope(prefix: &str) -> String {
    format!("sms:pfx:{prefix}")
}

/// The scope counting the codes to a destination prefix that were typed back.
fn sms_verified_scope(prefix: &str) -> String {
    format!("sms:ok:{prefix}")
}

/// Whether every limit allows one more event now (counted over the last hour); forgets the
/// events of each scope that left the window.
async fn check_limits(
    tx: &mut impl Tx,
    limits: &[(String, SendLimits)],
    now: i64,
) -> Result<(), StoreError> {
    for (scope, limit) in limits {
        tx.prune_sends(scope, now - HOUR_MS).await?;
        let earlier = tx.send_times(scope).await?;
        rate_limit::check_send(&earlier, now, *limit).map_err(|retry_after_secs| {
            metrics::counter!("otp_rate_limited_total", "limit" => limit_name(scope)).increment(1);
            StoreError::TooManyRequests { retry_after_secs }
        })?;
    }
    Ok(())
}

/// The kind of limit a scope counts, for the metrics (never the identifier or address).
fn limit_name(scope: &str) -> &'static str {
    match scope.split(':').next() {
        Some("to") => "identifier",
        Some("ip") => "ip",
        Some("sms") if scope.starts_with("sms:cc:") => "sms_country",
        Some("sms") if scope.starts_with("sms:pfx:") => "sms_prefix",
        Some("sms") => "sms_global",
        _ => "create",
    }
}

/// Counts one event against every limit.
async fn count(
    tx: &mut impl Tx,
    limits: &[(String, SendLimits)],
    now: i64,
) -> Result<(), StoreError> {
    for (scope, _) in limits {
        tx.insert_send(scope, now).await?;
    }
    Ok(())
}

/// See [`super::Store::admit`]: every limit checked, then the request counted against each, or
/// nothing counted when one refuses.
pub(super) async fn admit(
    tx: &mut impl Tx,
    limits: &[(String, SendLimits)],
    now: i64,
) -> Result<(), StoreError> {
    let keys: Vec<String> = limits.iter().map(|(scope, _)| scope.clone()).collect();
    tx.serialize_on(&keys).await?;
    check_limits(tx, limits, now).await?;
    count(tx, limits, now).await
}

/// See [`super::Store::prepare_code`]: the lock-out first, then the destination prefix's
/// SMS-pumping block (imposed here when its last hour looks pumped), then every send limit
/// (counted over the last hour), and only if all allow it the send is counted, the code
/// replaced, and its message queued. Nothing is written when a check refuses, except a new
/// fraud block (returned as [`Prepared::FraudBlocked`], so that the transaction commits it).
pub(super) async fn prepare_code(
    tx: &mut impl Tx,
    p: &PrepareCode<'_>,
) -> Result<Prepared, StoreError> {
    let mut limits = p.limits.clone();
    if let Some(guard) = &p.pumping {
        limits.push((
            sms_sent_scope(&guard.prefix),
            SendLimits {
                min_interval_ms: 0,
                per_hour: guard.per_hour,
            },
        ));
    }
    let mut keys: Vec<String> = limits.iter().map(|(scope, _)| scope.clone()).collect();
    keys.extend(code_keys(p.identifier, p.owner_id));
    tx.serialize_on(&keys).await?;
    let lockout = tx.lockout(p.identifier.key()).await?;
    if let Some(retry_after_secs) = lockout.remaining_secs(p.now) {
        return Err(StoreError::Locked { retry_after_secs });
    }
    if let Some(guard) = &p.pumping
        && let Some(blocked) = judge_prefix(tx, guard, p.now).await?
    {
        return Ok(blocked);
    }
    check_limits(tx, &limits, p.now).await?;
    count(tx, &limits, p.now).await?;
    tx.upsert_code(p).await?;
    if let Some(message) = &p.outbox {
        // The code of an earlier message for this attempt is void: do not send it any more.
        tx.supersede_outbox(p.owner_id, p.now).await?;
        tx.insert_outbox(p.owner_id, message, p.now).await?;
    }
    if let Some(message) = p.dev_message {
        tx.insert_dev_message(message, p.identifier.key()).await?;
    }
    Ok(Prepared::Sent)
}

/// A destination prefix's verdict: blocked already, or blocked now because its last hour of
/// codes looks pumped ([`rate_limit::PumpingRule`]); `None` lets the send go on.
async fn judge_prefix(
    tx: &mut impl Tx,
    guard: &PumpingGuard,
    now: i64,
) -> Result<Option<Prepared>, StoreError> {
    if let Some(until) = tx
        .sms_blocked_until(&guard.prefix)
        .await?
        .filter(|until| *until > now)
    {
        return Ok(Some(Prepared::FraudBlocked {
            retry_after_secs: rate_limit::ceil_secs(until - now),
            new_block: None,
        }));
    }
    let (sent, verified) = (
        sms_sent_scope(&guard.prefix),
        sms_verified_scope(&guard.prefix),
    );
    tx.prune_sends(&sent, now - HOUR_MS).await?;
    tx.prune_sends(&verified, now - HOUR_MS).await?;
    let sends = tx.send_times(&sent).await?.len();
    let verified = tx.send_times(&verified).await?.len();
    if guard.block_ms <= 0 || !guard.rule.looks_pumped(sends, verified) {
        return Ok(None);
    }
    let block = FraudBlock {
        prefix: guard.prefix.clone(),
        blocked_at: now,
        blocked_until: now + guard.block_ms,
        sends: u32::try_from(sends).unwrap_or(u32::MAX),
        verified: u32::try_from(verified).unwrap_or(u32::MAX),
    };
    tx.insert_fraud_block(&block).await?;
    metrics::counter!("otp_fraud_blocks_total").increment(1);
    Ok(Some(Prepared::FraudBlocked {
        retry_after_secs: rate_limit::ceil_secs(guard.block_ms),
        new_block: Some(block),
    }))
}

/// See [`super::Store::attempt_code`]: a locked identifier is refused before the code is even
/// compared; a wrong code counts against the code and the identifier (which locks at the
/// threshold); a right one marks the code used, clears the identifier's failures, and creates
/// what the completion says.
pub(super) async fn attempt_code(
    tx: &mut impl Tx,
    a: &AttemptCode<'_>,
    matches: &(dyn for<'m> Fn(&'m [u8]) -> bool + Send + Sync),
    hooks: &Webhooks,
) -> Result<AttemptOutcome, StoreError> {
    let [identifier_key, owner_key] = code_keys(a.identifier, a.owner_id);
    let mut keys = vec![
        identifier_key,
        owner_key,
        client_key(&a.completion.client_id),
    ];
    match &a.completion.kind {
        // As removing an identifier does: the two never interleave.
        CompletionKind::AddIdentifier { user_id, .. } => keys.push(user_key(user_id)),
        // As a ban does: a sign-in completes before it (and is revoked by it) or after it (and
        // is refused).
        CompletionKind::SignIn { user_id } => keys.push(user_key(user_id)),
        _ => {}
    }
    tx.serialize_on(&keys).await?;
    let lockout = tx.lockout(a.identifier.key()).await?;
    if let Some(retry_after_secs) = lockout.remaining_secs(a.now) {
        return Err(StoreError::Locked { retry_after_secs });
    }
    let (mac, stored) = tx.code(a.owner_id).await?.ok_or(StoreError::NoCode)?;
    // A decoy's code is compared all the same (the same work), and never right.
    let decoy = matches!(a.completion.kind, CompletionKind::Decoy);
    let judgement = otp::judge(stored, a.now, a.max_attempts, || matches(&mac) & !decoy);
    match judgement {
        otp::Judgement::Correct => {
            tx.set_code(a.owner_id, CodeState::Verified, stored.attempts)
                .await?;
            tx.clear_lockout(a.identifier.key()).await?;
            if let Some(prefix) = &a.sms_prefix {
                tx.insert_send(&sms_verified_scope(prefix), a.now).await?;
            }
            complete(tx, a, hooks).await?;
        }
        otp::Judgement::Incorrect { .. } | otp::Judgement::NowFailed => {
            let state = if judgement == otp::Judgement::NowFailed {
                CodeState::Failed
            } else {
                CodeState::Pending
            };
            tx.set_code(a.owner_id, state, stored.attempts + 1).await?;
            let next = lockout.after_failure(a.now, a.lockout_threshold, a.lockout_ms);
            if next.remaining_secs(a.now).is_some() {
                metrics::counter!("otp_lockouts_total").increment(1);
            }
            tx.set_lockout(a.identifier.key(), next, a.now).await?;
        }
        otp::Judgement::Expired if stored.state == CodeState::Pending => {
            tx.set_code(a.owner_id, CodeState::Expired, stored.attempts)
                .await?;
        }
        otp::Judgement::Expired | otp::Judgement::Failed | otp::Judgement::AlreadyVerified => {}
    }
    Ok(judgement)
}

/// A right code's consequences: the user (for a sign-up), the session, and the client's new
/// token (so a token seen before sign-in is worth nothing after it).
async fn complete(
    tx: &mut impl Tx,
    a: &AttemptCode<'_>,
    hooks: &Webhooks,
) -> Result<(), StoreError> {
    let c = &a.completion;
    let user_id = match &c.kind {
        CompletionKind::SignUp {
            user_id,
            identifier_id,
        } => {
            tx.insert_user(user_id, a.now, true).await?;
            tx.insert_identifier(identifier_id, user_id, a.identifier, a.now)
                .await?;
            tx.complete_sign_up(a.owner_id, user_id, &c.session_id, a.now)
                .await?;
            emit(tx, hooks, Event::UserCreated(user_id), a.now).await?;
            user_id
        }
        CompletionKind::SignIn { user_id } => {
            if !tx.set_user_signed_in(user_id, a.now).await? {
                // Banned: the code was right, and it proves only that it is them.
                return Err(StoreError::Banned);
            }
            tx.complete_sign_in(a.owner_id, &c.session_id, a.now)
                .await?;
            user_id
        }
        CompletionKind::AddIdentifier {
            user_id,
            identifier_id,
            notices,
        } => {
            // Removed meanwhile: its code went with it.
            let still_there = tx.user(user_id).await?.is_some_and(|u| {
                u.identifiers
                    .iter()
                    .any(|i| &i.id == identifier_id && !i.verified)
            });
            if !still_there {
                return Err(StoreError::NoCode);
            }
            // The identifier moves to the verified ones under the same id, unless another user
            // verified its key first (the unique index decides: `IdentifierExists`, and this
            // transaction, code state included, is rolled back).
            tx.delete_identifier(identifier_id).await?;
            tx.insert_identifier(identifier_id, user_id, a.identifier, a.now)
                .await?;
            emit(tx, hooks, Event::UserUpdated(user_id), a.now).await?;
            return queue_notices(tx, notices, a.now).await;
        }
        CompletionKind::Reverify { session_id } => {
            return tx.set_session_verified(session_id, a.now).await;
        }
        CompletionKind::Decoy => {
            return Err(anyhow::anyhow!("a decoy's code was judged right").into());
        }
    };
    tx.insert_session(
        &c.session_id,
        &c.client_id,
        user_id,
        a.now,
        c.session_abandon_at,
    )
    .await?;
    tx.rotate_client(&c.client_id, &c.session_id, &c.new_token_hash, a.now)
        .await?;
    emit(tx, hooks, Event::SessionCreated(&c.session_id), a.now).await
}

/// See [`super::Store::touch_session`].
pub(super) async fn touch_session(
    tx: &mut impl Tx,
    client_id: &str,
    session_id: &str,
    now: i64,
    make_last_active: bool,
    activity: &Activity,
) -> Result<(), StoreError> {
    if make_last_active {
        // Before any row lock, as every flow takes its keys (no two wait on each other).
        tx.serialize_on(&[client_key(client_id)]).await?;
    }
    tx.touch_session(client_id, session_id, now, activity)
        .await?;
    if make_last_active {
        tx.set_client_session(client_id, session_id, now).await?;
    }
    Ok(())
}

/// See [`super::Store::end_sessions`]: when the client's chosen session ends (or all of them
/// do), the client moves to its newest remaining one (none when it has none left); ending
/// another of its sessions leaves its choice alone.
pub(super) async fn end_sessions(
    tx: &mut impl Tx,
    client_id: &str,
    session_id: Option<&str>,
    now: i64,
    hooks: &Webhooks,
) -> Result<(), StoreError> {
    tx.serialize_on(&[client_key(client_id)]).await?;
    let chosen = tx
        .client(client_id)
        .await?
        .and_then(|c| c.last_active_session_id);
    let ending: Vec<String> = tx
        .active_sessions(client_id)
        .await?
        .into_iter()
        .map(|s| s.id)
        .filter(|id| session_id.is_none_or(|one| one == id))
        .collect();
    tx.end_sessions(client_id, session_id, now).await?;
    if session_id.is_none() || chosen.as_deref() == session_id {
        tx.choose_newest_session(client_id, now).await?;
    }
    for id in &ending {
        emit(tx, hooks, Event::SessionEnded(id), now).await?;
    }
    Ok(())
}

/// Revokes `user_id`'s active session `session_id`, on whichever device it is; the revoked
/// session, or `None` when the user has no such active session (another user's is not theirs to
/// end). That device's chosen session moves to its newest remaining one.
pub(super) async fn revoke_user_session(
    tx: &mut impl Tx,
    user_id: &str,
    session_id: &str,
    now: i64,
    hooks: &Webhooks,
) -> Result<Option<SessionRow>, StoreError> {
    let Some(session) = tx
        .user_sessions(user_id)
        .await?
        .into_iter()
        .find(|s| s.id == session_id)
    else {
        return Ok(None);
    };
    tx.serialize_on(&[client_key(&session.client_id)]).await?;
    revoke(tx, &session, now, hooks).await?;
    tx.session(&session.client_id, session_id).await
}

/// See [`super::Store::revoke_session`]: the operator's revocation of any session. One that has
/// ended already is returned as it is.
pub(super) async fn revoke_session(
    tx: &mut impl Tx,
    session_id: &str,
    now: i64,
    hooks: &Webhooks,
) -> Result<Option<SessionRow>, StoreError> {
    let Some(session) = tx.session_by_id(session_id).await? else {
        return Ok(None);
    };
    tx.serialize_on(&[client_key(&session.client_id)]).await?;
    if session.status == StoredSessionStatus::Active {
        revoke(tx, &session, now, hooks).await?;
    }
    tx.session_by_id(session_id).await
}

/// Revokes an active session (the caller serialized on its client); its device moves to its
/// newest remaining session when it was the chosen one.
async fn revoke(
    tx: &mut impl Tx,
    session: &SessionRow,
    now: i64,
    hooks: &Webhooks,
) -> Result<(), StoreError> {
    let chosen = tx
        .client(&session.client_id)
        .await?
        .and_then(|c| c.last_active_session_id);
    // Ended meanwhile (the session was read before the lock): nothing to revoke, or to tell.
    if !tx.revoke_session(&session.id, now).await? {
        return Ok(());
    }
    if chosen.as_deref() == Some(session.id.as_str()) {
        tx.choose_newest_session(&session.client_id, now).await?;
    }
    emit(tx, hooks, Event::SessionRevoked(&session.id), now).await
}

/// What [`set_banned`] did: the user as it is now (`None`: no such user), or `Again` when a
/// session appeared on another device between its first read and its locks (a sign-in that
/// committed meanwhile): the caller runs it again, in a new transaction.
pub(super) enum Banned {
    /// Done.
    Done(Option<UserRow>),
    /// Run it again.
    Again,
}

/// See [`super::Store::set_banned`]: a ban also revokes every active session of the user. A
/// sign-in's completion holds the same user lock, so once this holds it no session can appear.
pub(super) async fn set_banned(
    tx: &mut impl Tx,
    user_id: &str,
    banned: bool,
    now: i64,
    hooks: &Webhooks,
) -> Result<Banned, StoreError> {
    let sessions = if banned {
        tx.user_sessions(user_id).await?
    } else {
        Vec::new()
    };
    let mut keys: Vec<String> = sessions.iter().map(|s| client_key(&s.client_id)).collect();
    keys.push(user_key(user_id));
    tx.serialize_on(&keys).await?;
    let sessions = if banned {
        let now_there = tx.user_sessions(user_id).await?;
        if now_there
            .iter()
            .any(|s| !keys.contains(&client_key(&s.client_id)))
        {
            return Ok(Banned::Again);
        }
        now_there
    } else {
        sessions
    };
    let Some(user) = tx.user(user_id).await? else {
        return Ok(Banned::Done(None));
    };
    if banned == user.banned_at.is_some() {
        return Ok(Banned::Done(Some(user)));
    }
    tx.set_banned(user_id, banned.then_some(now), now).await?;
    for session in &sessions {
        revoke(tx, session, now, hooks).await?;
    }
    emit(tx, hooks, Event::UserUpdated(user_id), now).await?;
    Ok(Banned::Done(tx.user(user_id).await?))
}

/// See [`super::Store::users`].
pub(super) async fn users(
    tx: &mut impl Tx,
    filter: &UserFilter,
    order: UserOrder,
    limit: u32,
    offset: u64,
) -> Result<Vec<UserRow>, StoreError> {
    let ids = tx.user_ids(filter, order, limit, offset).await?;
    let mut users = Vec::with_capacity(ids.len());
    for id in ids {
        // Deleted between the two reads (PostgreSQL reads each statement anew): left out.
        if let Some(user) = tx.user(&id).await? {
            users.push(user);
        }
    }
    Ok(users)
}

/// See [`super::Store::create_user`].
pub(super) async fn create_user(
    tx: &mut impl Tx,
    user_id: &str,
    identifiers: &[(String, Identifier)],
    now: i64,
    hooks: &Webhooks,
) -> Result<UserRow, StoreError> {
    let keys: Vec<String> = identifiers
        .iter()
        .map(|(_, i)| format!("id:{}", i.key()))
        .collect();
    tx.serialize_on(&keys).await?;
    tx.insert_user(user_id, now, false).await?;
    for (id, identifier) in identifiers {
        tx.insert_identifier(id, user_id, identifier, now).await?;
    }
    emit(tx, hooks, Event::UserCreated(user_id), now).await?;
    tx.user(user_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("user {user_id} not found after insert").into())
}

/// Deletes `user_id` and their personal data (see [`Tx::delete_user`]); each device they were
/// signed in on moves to its newest remaining session. False when there is no such user.
pub(super) async fn delete_user(
    tx: &mut impl Tx,
    user_id: &str,
    now: i64,
    hooks: &Webhooks,
) -> Result<bool, StoreError> {
    let mut clients: Vec<String> = tx
        .user_sessions(user_id)
        .await?
        .into_iter()
        .map(|s| s.client_id)
        .collect();
    clients.dedup();
    let mut keys: Vec<String> = clients.iter().map(|c| client_key(c)).collect();
    keys.push(user_key(user_id));
    tx.serialize_on(&keys).await?;
    if tx.user(user_id).await?.is_none() {
        return Ok(false);
    }
    tx.delete_user(user_id).await?;
    for client in &clients {
        tx.choose_newest_session(client, now).await?;
    }
    emit(tx, hooks, Event::UserDeleted(user_id), now).await?;
    Ok(true)
}

/// The name a flow that changes a user's identifiers or account serializes on.
fn user_key(user_id: &str) -> String {
    format!("user:{user_id}")
}

/// See [`super::Store::add_identifier`]: refused only when the user has the key already
/// (verified or not); another user's verified identifier is not looked at (that would tell
/// who has an account): the code goes to it all the same, and verifying it is refused.
pub(super) async fn add_identifier(
    tx: &mut impl Tx,
    user_id: &str,
    id: &str,
    identifier: &Identifier,
    now: i64,
) -> Result<(), StoreError> {
    tx.serialize_on(&[user_key(user_id)]).await?;
    let user = tx.user(user_id).await?.ok_or(StoreError::NoIdentifier)?;
    let theirs = user
        .identifiers
        .iter()
        .any(|i| i.kind == identifier.kind() && i.identifier().key() == identifier.key());
    if theirs {
        return Err(StoreError::IdentifierExists);
    }
    tx.insert_unverified_identifier(id, user_id, identifier, now)
        .await
}

/// See [`super::Store::remove_identifier`]: any unverified identifier, or a verified one while
/// another verified one is left to sign in with, on a recently verified session (then
/// `notices` go out with the change).
pub(super) async fn remove_identifier(
    tx: &mut impl Tx,
    user_id: &str,
    id: &str,
    recently_verified: bool,
    notices: &Notices,
    now: i64,
    hooks: &Webhooks,
) -> Result<IdentifierRow, StoreError> {
    tx.serialize_on(&[user_key(user_id)]).await?;
    let user = tx.user(user_id).await?.ok_or(StoreError::NoIdentifier)?;
    let removed = user
        .identifiers
        .iter()
        .find(|i| i.id == id)
        .cloned()
        .ok_or(StoreError::NoIdentifier)?;
    let verified = user.identifiers.iter().filter(|i| i.verified).count();
    if removed.verified && verified <= 1 {
        return Err(StoreError::LastIdentifier);
    }
    // Verified since the caller looked: it needs what a verified one needs.
    if removed.verified && (!recently_verified || notices.is_empty()) {
        return Err(StoreError::ReverificationRequired);
    }
    tx.delete_identifier(id).await?;
    if removed.verified {
        queue_notices(tx, notices, now).await?;
    }
    emit(tx, hooks, Event::UserUpdated(user_id), now).await?;
    Ok(removed)
}

/// Queues `notices` (outbox and dev-mode messages) in the transaction of the change they tell.
async fn queue_notices(tx: &mut impl Tx, notices: &Notices, now: i64) -> Result<(), StoreError> {
    for (owner_id, message) in &notices.outbox {
        tx.insert_outbox(owner_id, message, now).await?;
    }
    for (message, key) in &notices.dev {
        tx.insert_dev_message(message, key).await?;
    }
    Ok(())
}

/// See [`super::Store::set_primary`]: each id given must be a verified identifier of the user,
/// of its kind.
pub(super) async fn set_primary(
    tx: &mut impl Tx,
    user_id: &str,
    email_id: Option<&str>,
    phone_id: Option<&str>,
    now: i64,
    hooks: &Webhooks,
) -> Result<(), StoreError> {
    tx.serialize_on(&[user_key(user_id)]).await?;
    let user = tx.user(user_id).await?.ok_or(StoreError::NoIdentifier)?;
    let is_verified = |id: Option<&str>, kind: IdentifierKind| {
        id.is_none_or(|id| {
            user.identifiers
                .iter()
                .any(|i| i.id == id && i.kind == kind && i.verified)
        })
    };
    if !is_verified(email_id, IdentifierKind::Email)
        || !is_verified(phone_id, IdentifierKind::Phone)
    {
        return Err(StoreError::NoIdentifier);
    }
    tx.set_primary(user_id, email_id, phone_id, now).await?;
    emit(tx, hooks, Event::UserUpdated(user_id), now).await
}

/// Counts a change for the metrics, and queues its webhook event, the change already made in
/// this transaction, for every endpoint (nothing when there is none): its body is the object as
/// it is now, in Clerk's event shape.
async fn emit(
    tx: &mut impl Tx,
    hooks: &Webhooks,
    event: Event<'_>,
    now: i64,
) -> Result<(), StoreError> {
    match event {
        Event::UserCreated(_) => metrics::counter!("otp_users_created_total").increment(1),
        Event::UserDeleted(_) => metrics::counter!("otp_users_deleted_total").increment(1),
        Event::SessionCreated(_) => metrics::counter!("otp_sessions_created_total").increment(1),
        Event::SessionEnded(_) => {
            metrics::counter!("otp_sessions_ended_total", "reason" => "signed_out").increment(1);
        }
        Event::SessionRevoked(_) => {
            metrics::counter!("otp_sessions_ended_total", "reason" => "revoked").increment(1);
        }
        Event::UserUpdated(_) => {}
    }
    let endpoints = hooks
        .endpoints
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    let Some(render) = hooks.render.as_ref().filter(|_| !endpoints.is_empty()) else {
        return Ok(());
    };
    let (kind, user_id, data) = match event {
        Event::UserCreated(id) | Event::UserUpdated(id) => {
            let user = tx
                .user(id)
                .await?
                .ok_or_else(|| anyhow::anyhow!("user {id} not found for its event"))?;
            let kind = if matches!(event, Event::UserCreated(_)) {
                "user.created"
            } else {
                "user.updated"
            };
            (kind, id.to_owned(), render.user(&user, now))
        }
        Event::UserDeleted(id) => (
            "user.deleted",
            id.to_owned(),
            serde_json::json!({ "object": "user", "id": id, "deleted": true }),
        ),
        Event::SessionCreated(id) | Event::SessionEnded(id) | Event::SessionRevoked(id) => {
            let session = tx
                .session_by_id(id)
                .await?
                .ok_or_else(|| anyhow::anyhow!("session {id} not found for its event"))?;
            let kind = match event {
                Event::SessionCreated(_) => "session.created",
                Event::SessionEnded(_) => "session.ended",
                _ => "session.revoked",
            };
            (kind, session.user_id.clone(), render.session(&session, now))
        }
    };
    let body = serde_json::json!({
        "data": data,
        "object": "event",
        "type": kind,
        "timestamp": now,
        "instance_id": hooks.instance_id,
    })
    .to_string();
    let msg_id = crate::ids::new_id(&hooks.random, "msg")?;
    for endpoint_id in &endpoints {
        let event = NewWebhook {
            msg_id: &msg_id,
            endpoint_id,
            user_id: &user_id,
            body: &body,
            deadline_at: now + hooks.deadline_ms,
        };
        tx.insert_webhook(&event, now).await?;
    }
    Ok(())
}

/// See [`super::Store::rotate_jwt_key`].
pub(super) async fn rotate_jwt_key(
    tx: &mut impl Tx,
    key: &JwtKeyRow,
    revoke_previous: bool,
    now: i64,
) -> Result<i64, StoreError> {
    tx.serialize_on(&["jwt-keys".to_owned()]).await?;
    let generation = tx.jwt_keys().await?.last().map_or(1, |k| k.generation + 1);
    tx.insert_jwt_key(&JwtKeyRow {
        generation,
        ..key.clone()
    })
    .await?;
    if revoke_previous {
        tx.revoke_jwt_keys_before(generation, now).await?;
    }
    Ok(generation)
}

/// What [`key_identifiers`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KeyedIdentifiers {
    /// Identifiers that now hold their canonical key.
    pub keyed: usize,
    /// Older duplicates (another account holds their key): found only by their exact value.
    pub duplicates: usize,
    /// Emails that no longer parse (refused since they were stored): found only by their exact
    /// value, which sign-in now refuses.
    pub unparsable: usize,
}

/// Gives every identifier stored before canonical keys its key, oldest first (run by every
/// instance at start, after the migrations; one instance at a time, and a second run finds
/// nothing left to do). The oldest identifier of a key gets it; a later one with the same key
/// (an older server kept `Alice@x.com` and `alice@x.com` apart) keeps it as `legacy_exact`:
/// outside the uniqueness, found only by the exact value its owner typed, so both accounts stay
/// reachable and no new duplicate can be made.
pub(super) async fn key_identifiers(tx: &mut impl Tx) -> Result<KeyedIdentifiers, StoreError> {
    tx.serialize_on(&["migration:identifier-keys".to_owned()])
        .await?;
    let mut done = KeyedIdentifiers::default();
    for (id, kind, value) in tx.unkeyed_identifiers().await? {
        let parses = kind != "email" || EmailAddress::parse(&value).is_ok();
        let identifier = Identifier::from_stored(&kind, value);
        let legacy_exact = if !parses {
            done.unparsable += 1;
            true
        } else if tx.identifier_key_taken(identifier.key()).await? {
            done.duplicates += 1;
            true
        } else {
            done.keyed += 1;
            false
        };
        tx.set_identifier_key(&id, identifier.key(), legacy_exact)
            .await?;
    }
    Ok(done)
}

/// See [`super::Store::sweep`]: one bounded batch of the janitor's work, or `None` when
/// another instance's janitor is at it. Sessions go first, then sign-ups and sign-ins (with
/// their codes), and only then clients, which must have nothing left that refers to them.
pub(super) async fn sweep(
    tx: &mut impl Tx,
    now: i64,
    r: &Retention,
    batch: u32,
) -> Result<Option<Swept>, StoreError> {
    if !tx.try_lead("janitor").await? {
        return Ok(None);
    }
    let sessions = tx
        .delete_stale_sessions(now - r.ended_sessions_ms, r.session_idle_ms, batch)
        .await?;
    tx.forget_session_choices(&sessions).await?;
    // Their reverification codes.
    let session_codes = tx.delete_codes(&sessions).await?;
    let sign_ups = tx.delete_expired_sign_ups(now, batch).await?;
    let sign_ins = tx.delete_expired_sign_ins(now, batch).await?;
    let mut other = session_codes + tx.delete_codes(&sign_ups).await?;
    other += tx.delete_codes(&sign_ins).await?;
    let clients = tx
        .delete_idle_clients(now - r.idle_clients_ms, batch)
        .await?;
    let send_events = tx.delete_old_sends(now - HOUR_MS, batch).await?;
    let messages = tx
        .delete_finished_messages(now - r.outbox_ms, batch)
        .await?;
    other += tx
        .delete_spent_lockouts(now, now - r.failures_ms, batch)
        .await?;
    other += tx.delete_old_fraud_blocks(now - r.outbox_ms, batch).await?;
    Ok(Some(Swept {
        clients,
        sign_ups: sign_ups.len() as u64,
        sign_ins: sign_ins.len() as u64,
        sessions: sessions.len() as u64,
        send_events,
        messages,
        other,
    }))
}

/// See [`super::Store::hmac_key`]: the first instance to store a key wins; every other one
/// uses that key.
pub(super) async fn hmac_key(
    tx: &mut impl Tx,
    candidate: &[u8; 32],
    now: i64,
) -> Result<[u8; 32], StoreError> {
    tx.insert_secret("hmac", candidate, now).await?;
    let stored = tx
        .secret("hmac")
        .await?
        .ok_or_else(|| anyhow::anyhow!("the HMAC key was not stored"))?;
    stored
        .try_into()
        .map_err(|_| StoreError::Unexpected(anyhow::anyhow!("the stored HMAC key is not 32 bytes")))
}
