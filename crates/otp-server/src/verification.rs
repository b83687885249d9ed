//! Verification: sending a code and checking the one typed, the part of sign-up and sign-in that
//! is the same for both. The handlers of `routes/sign_up.rs` and `routes/sign_in.rs` parse the
//! request, call [`send`] or [`check`], and present the result; nothing here reads a request or
//! writes a response (errors are [`ApiError`]s, which the handlers return as they are).

use crate::delivery::worker::SealedPayload;
use crate::delivery::{Message, MessageKind};
use crate::domain::{Identifier, IdentifierKind};
use crate::error::ApiError;
use crate::ids::new_id;
use crate::otp::{Code, Judgement};
use crate::rate_limit::SendLimits;
use crate::state::AppState;
use crate::store::{
    AttemptCode, Completion, CompletionKind, IdentifierRow, NewOutbox, Notices, PrepareCode,
    Prepared, PumpingGuard, UserRow,
};
use crate::tokens::ClientToken;
use otp_proto::Strategy;
use otp_proto::dev::OutboxMessage;

/// Generates a code for `owner_id`, stores its hash and its message within the send limits (one
/// transaction), and hands the message to the delivery worker (and, in dev mode, the console).
/// A decoy or a notice ([`Purpose`]) goes through the same steps, its code never sent; a test
/// identifier ([`is_test_identifier`]) gets [`TEST_CODE`] and no message at all.
pub async fn send(
    state: &AppState,
    owner_id: &str,
    strategy: Strategy,
    to: &Identifier,
    identifier_id: Option<&str>,
    request: &SendContext,
    purpose: Purpose,
) -> Result<(), ApiError> {
    let policy = &state.config.policy;
    let delivery_config = &state.config.delivery;
    if !state.delivery.supports(to.kind()) {
        return Err(ApiError::ChannelDisabled(to.kind()));
    }
    let now = state.now();
    let mut limits = vec![(format!("to:{}", to.key()), policy.identifier_limits())];
    if let Some(ip) = ip_key(state, request) {
        limits.push((format!("ip:{ip}"), policy.ip_limits()));
    }
    let pumping = sms_prefix(state, to).map(|prefix| PumpingGuard {
        prefix,
        rule: state.config.abuse.pumping_rule(),
        block_ms: state.config.abuse.pumping_block_ms(),
        per_hour: state.config.abuse.sms_prefix_per_hour,
    });
    if let (Identifier::Phone(phone), true) = (to, state.delivery.provider_for(to.kind())) {
        // SMS costs money: countries outside the allowlist get nothing; each destination prefix
        // is watched for pumping and capped (with `pumping`), each country is capped, and all
        // of them together have a last-resort cap on the cost.
        let cc = phone.calling_code();
        if !delivery_config.sms_allowed_countries.is_empty()
            && !delivery_config.sms_allowed_countries.contains(&cc)
        {
            return Err(ApiError::CountryBlocked);
        }
        limits.push((
            format!("sms:cc:{cc}"),
            hourly(delivery_config.country_cap(cc)),
        ));
        limits.push((
            "sms:all".to_owned(),
            hourly(delivery_config.sms_global_per_hour),
        ));
    }
    let test = state.config.protection.test_identifiers && is_test_identifier(to);
    let code = match Code::parse(TEST_CODE) {
        Some(fixed) if test && purpose == Purpose::Code => fixed,
        _ => Code::generate(&state.random)?,
    };
    // What the message carries: the code, or for a notice none (the code stored for it is
    // never sent, and never judged right).
    let (kind, sent_code) = match purpose {
        Purpose::Code => (MessageKind::Code, code.expose().to_owned()),
        Purpose::SignUpNotice => (MessageKind::SignUpAttempt, String::new()),
        Purpose::Decoy => (MessageKind::Decoy, String::new()),
    };
    let expire_at = now + policy.code_ttl_ms();
    let minutes = policy.code_ttl_secs.div_ceil(60);
    let outbox = if state.delivery.provider_for(to.kind()) && !test {
        let payload = SealedPayload {
            code: sent_code.clone(),
            expires_at: expire_at,
            minutes,
            kind,
        };
        let sealed = state.sealer.seal(
            &state.random,
            owner_id,
            &serde_json::to_vec(&payload).map_err(anyhow::Error::from)?,
        )?;
        let deadline = i64::try_from(delivery_config.delivery_deadline_secs)
            .unwrap_or(i64::MAX / 2_000)
            * 1000;
        Some(NewOutbox {
            channel: crate::delivery::channel_of(to),
            recipient: to.as_str().to_owned(),
            locale: request.locale.clone(),
            payload: sealed,
            deadline_at: (now + deadline).min(expire_at),
        })
    } else {
        None
    };
    // Dev mode keeps what would be sent: nothing for a decoy or a test identifier.
    let dev_shown = state.delivery.is_dev() && !test && kind != MessageKind::Decoy;
    let dev_message = dev_shown.then(|| {
        let message = Message {
            channel: crate::delivery::channel_of(to),
            to: to.as_str().to_owned(),
            code: sent_code,
            expires_at: expire_at,
            minutes,
            locale: request.locale.clone(),
            kind,
        };
        let body = match message.channel {
            otp_proto::dev::Channel::Sms => state.delivery.texts().sms(&message),
            otp_proto::dev::Channel::Email => state
                .delivery
                .texts()
                .email(&message)
                .map(|(_, text, _)| text),
        };
        body.map(|body| OutboxMessage {
            to: message.to,
            channel: message.channel,
            code: message.code,
            body,
            sent_at: now,
        })
    });
    let dev_message = dev_message.transpose()?;
    let queued = outbox.is_some();
    let prepared = state
        .store
        .prepare_code(PrepareCode {
            owner_id,
            strategy,
            identifier: to,
            identifier_id,
            mac: state.hasher.hash(owner_id, &code),
            expire_at,
            now,
            limits,
            outbox,
            dev_message: dev_message.as_ref(),
            pumping,
        })
        .await?;
    if let Prepared::FraudBlocked {
        retry_after_secs,
        new_block,
    } = prepared
    {
        if let Some(block) = new_block {
            // The prefix only: never the number, never a code.
            tracing::warn!(
                prefix = %block.prefix,
                sends = block.sends,
                verified = block.verified,
                blocked_secs = retry_after_secs,
                "fraud block: text messages to this destination prefix look like SMS pumping"
            );
        }
        return Err(ApiError::TooManyRequests { retry_after_secs });
    }
    let channel = crate::delivery::channel_of(to).as_str();
    let purpose_name = match purpose {
        Purpose::Code => "code",
        Purpose::SignUpNotice => "notice",
        Purpose::Decoy => "decoy",
    };
    metrics::counter!("otp_codes_prepared_total", "channel" => channel, "purpose" => purpose_name)
        .increment(1);
    if let Some(message) = &dev_message {
        state.delivery.print_dev(message);
        metrics::counter!("otp_messages_sent_total", "channel" => channel).increment(1);
    }
    // A decoy's row waits for the worker's next round: finished at once, it would read `sent`
    // sooner than a real message can be.
    if queued && kind != MessageKind::Decoy {
        state.wake.notify_one();
    }
    Ok(())
}

/// The notices telling a user's verified identifiers that `changed` (`changed_id`) was added
/// to the account (`IdentifierAdded`: to the others) or removed from it (`IdentifierRemoved`:
/// the removed one too), naming it masked; queued with the change itself. They go to the
/// user's email addresses, or to at most two of their phone numbers when they have none (text
/// messages cost money: no account makes many, and none go to a country not allowed). In dev
/// mode, also kept for the dev outbox (and printed by [`print_notices`] once committed).
pub fn change_notices(
    state: &AppState,
    user: &UserRow,
    changed: &Identifier,
    changed_id: &str,
    kind: MessageKind,
    locale: Option<&str>,
) -> Result<Notices, ApiError> {
    let now = state.now();
    let deadline = i64::try_from(state.config.delivery.delivery_deadline_secs)
        .unwrap_or(i64::MAX / 2_000)
        * 1000;
    let mut notices = Notices {
        made: true,
        ..Notices::default()
    };
    let candidates: Vec<Identifier> = user
        .identifiers
        .iter()
        .filter(|i| i.verified)
        .filter(|i| kind == MessageKind::IdentifierRemoved || i.id != changed_id)
        .map(|i| i.identifier())
        .collect();
    let emails: Vec<&Identifier> = candidates
        .iter()
        .filter(|i| matches!(i, Identifier::Email(_)))
        .collect();
    let allowed = &state.config.delivery.sms_allowed_countries;
    let recipients: Vec<&Identifier> = if emails.is_empty() {
        candidates
            .iter()
            .filter(|i| match i {
                Identifier::Phone(p) => allowed.is_empty() || allowed.contains(&p.calling_code()),
                Identifier::Email(_) => false,
            })
            .take(2)
            .collect()
    } else {
        emails
    };
    for to in recipients {
        if state.config.protection.test_identifiers && is_test_identifier(to) {
            continue;
        }
        let about = changed.masked();
        if state.delivery.provider_for(to.kind()) {
            let owner_id = new_id(&state.random, "ntc")?;
            let payload = SealedPayload {
                code: about.clone(),
                expires_at: now + deadline,
                minutes: 0,
                kind,
            };
            let sealed = state.sealer.seal(
                &state.random,
                &owner_id,
                &serde_json::to_vec(&payload).map_err(anyhow::Error::from)?,
            )?;
            let message = NewOutbox {
                channel: crate::delivery::channel_of(to),
                recipient: to.as_str().to_owned(),
                locale: locale.map(str::to_owned),
                payload: sealed,
                deadline_at: now + deadline,
            };
            notices.outbox.push((owner_id, message));
        }
        if state.delivery.is_dev() {
            let message = Message {
                channel: crate::delivery::channel_of(to),
                to: to.as_str().to_owned(),
                code: about,
                expires_at: now,
                minutes: 0,
                locale: locale.map(str::to_owned),
                kind,
            };
            let body = match message.channel {
                otp_proto::dev::Channel::Sms => state.delivery.texts().sms(&message)?,
                otp_proto::dev::Channel::Email => state.delivery.texts().email(&message)?.1,
            };
            let kept = OutboxMessage {
                to: message.to,
                channel: message.channel,
                code: String::new(),
                body,
                sent_at: now,
            };
            notices.dev.push((kept, to.key().to_owned()));
        }
    }
    Ok(notices)
}

/// After the change committed: prints the dev-mode copies of `notices` and wakes the delivery
/// worker for the others.
pub fn print_notices(state: &AppState, notices: &Notices) {
    for (message, _) in &notices.dev {
        state.delivery.print_dev(message);
    }
    if !notices.outbox.is_empty() {
        state.wake.notify_one();
    }
}

/// What [`send`] sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// A code to the identifier.
    Code,
    /// Enumeration protection, a sign-in of an identifier nobody has: everything a code takes,
    /// and nothing sent.
    Decoy,
    /// Enumeration protection, a sign-up of a taken identifier: its owner is told someone tried,
    /// with no code.
    SignUpNotice,
}

/// The code test identifiers accept, as Clerk's.
pub const TEST_CODE: &str = "424242";

/// Whether `to` is a test identifier (with `--test-identifiers`): a North American number with
/// exchange 555 and line 0100 to 0199 (reserved for fiction: `+1 XXX 555-0100` to `555-0199`),
/// or an email whose local part has the `+otp_test` subaddress (`jane+otp_test@example.com`).
pub fn is_test_identifier(to: &Identifier) -> bool {
    match to {
        Identifier::Phone(phone) => {
            let digits = phone.as_str().as_bytes();
            digits.len() == 12
                && digits.starts_with(b"+1")
                && &digits[5..8] == b"555"
                && &digits[8..10] == b"01"
        }
        Identifier::Email(email) => email.as_str().rsplit_once('@').is_some_and(|(local, _)| {
            local
                .split('+')
                .skip(1)
                .any(|tag| tag.eq_ignore_ascii_case("otp_test"))
        }),
    }
}

/// The factor id a decoy sign-in shows for `identifier`: drawn like any id, from a stream
/// derived from the server key and the identifier, so it is the same at every sign-in of that
/// identifier (as a real identifier's id is) and unknowable without the key.
pub fn decoy_factor_id(state: &AppState, identifier: &Identifier) -> anyhow::Result<String> {
    let seed = state.hasher.derive("decoy-factor", identifier.key());
    new_id(&crate::random::Random::derived(seed), "idn")
}

/// What the request tells about how to send: the caller's address (for the per-IP limit) and
/// language (for the message's text).
#[derive(Debug, Clone, Default)]
pub struct SendContext {
    /// The client's IP address.
    pub ip: Option<String>,
    /// The primary language of `Accept-Language`.
    pub locale: Option<String>,
}

fn hourly(per_hour: u32) -> SendLimits {
    SendLimits {
        min_interval_ms: 0,
        per_hour,
    }
}

/// The caller's address as per-IP limits count it (masked to its prefix), unless per-IP limits
/// are off or the address is unknown.
fn ip_key(state: &AppState, request: &SendContext) -> Option<String> {
    if state.config.policy.no_ip_limits {
        return None;
    }
    let ip: std::net::IpAddr = request.ip.as_deref()?.trim().parse().ok()?;
    Some(state.config.abuse.ip_key(ip))
}

/// The destination prefix of a text message sent through a provider (SMS-pumping detection
/// watches those: they cost money), `None` for anything else.
fn sms_prefix(state: &AppState, to: &Identifier) -> Option<String> {
    match to {
        Identifier::Phone(phone) if state.delivery.provider_for(to.kind()) => {
            Some(crate::rate_limit::sms_prefix(
                phone.as_str(),
                phone.calling_code(),
                usize::from(state.config.abuse.sms_pumping_prefix_digits),
            ))
        }
        _ => None,
    }
}

/// What an unauthenticated request creates, for its per-IP-prefix limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Create {
    /// `POST /v1/client/sign_ups`.
    SignUp,
    /// `POST /v1/client/sign_ins`.
    SignIn,
}

/// Counts a create against the caller's IP prefix (and, when the caller has no client yet, the
/// client it will create), or refuses it with 429 `too_many_requests` and `Retry-After` once a
/// limit of the last hour is reached. Called first, before anything is looked up, so every
/// create counts whatever it answers (that is what stops enumeration runs).
pub async fn admit_create(
    state: &AppState,
    request: &SendContext,
    what: Create,
    new_client: bool,
) -> Result<(), ApiError> {
    let Some(ip) = ip_key(state, request) else {
        return Ok(());
    };
    let abuse = &state.config.abuse;
    let mut limits = vec![match what {
        Create::SignUp => (
            format!("create:sign_up:{ip}"),
            hourly(abuse.sign_up_creates_per_hour),
        ),
        Create::SignIn => (
            format!("create:sign_in:{ip}"),
            hourly(abuse.sign_in_creates_per_hour),
        ),
    }];
    if new_client {
        limits.push((
            format!("create:client:{ip}"),
            hourly(abuse.client_creates_per_hour),
        ));
    }
    Ok(state.store.admit(&limits, state.now()).await?)
}

/// Checks a code typed for `owner_id`. When it is right, does what `kind` says: for a sign-up
/// or sign-in, creates the session (and for a sign-up the user) for client `client_id` and
/// returns the client's new token (a sign-in changes the token, so a token seen before it cannot
/// reach the session); for an added identifier or a reverification, returns `None` (the token
/// stays).
pub async fn check(
    state: &AppState,
    client_id: &str,
    owner_id: &str,
    identifier: &Identifier,
    code: &str,
    kind: CompletionKind,
) -> Result<Option<ClientToken>, ApiError> {
    // (A decoy, `CompletionKind::Decoy`, is judged in the same transaction as any attempt, and
    // never right: see the store's `attempt_code`.)
    let code = Code::parse(code).ok_or(ApiError::Invalid {
        param: Some("code"),
        message: "The code must be the 6 digits you received.".into(),
    })?;
    let policy = &state.config.policy;
    let now = state.now();
    let new_token = ClientToken::generate(&state.random)?;
    let starts_session = matches!(
        kind,
        CompletionKind::SignUp { .. } | CompletionKind::SignIn { .. }
    );
    let purpose = match kind {
        CompletionKind::SignUp { .. } => "sign_up",
        CompletionKind::SignIn { .. } | CompletionKind::Decoy => "sign_in",
        CompletionKind::AddIdentifier { .. } => "add_identifier",
        CompletionKind::Reverify { .. } => "reverify",
    };
    let judgement = state
        .store
        .attempt_code(
            AttemptCode {
                owner_id,
                identifier,
                now,
                max_attempts: policy.max_attempts,
                lockout_threshold: policy.lockout_threshold,
                lockout_ms: policy.lockout_ms(),
                completion: Completion {
                    client_id: client_id.to_owned(),
                    session_id: new_id(&state.random, "sess")?,
                    session_abandon_at: now + policy.session_lifetime_ms(),
                    new_token_hash: new_token.hash(),
                    kind,
                },
                sms_prefix: sms_prefix(state, identifier),
            },
            &|stored: &[u8]| state.hasher.verify(owner_id, &code, stored),
        )
        .await?;
    let refused = |reason: &'static str, e: ApiError| {
        metrics::counter!("otp_codes_failed_total", "reason" => reason).increment(1);
        Err(e)
    };
    match judgement {
        Judgement::Correct => {
            metrics::counter!("otp_codes_verified_total", "purpose" => purpose).increment(1);
            Ok(starts_session.then_some(new_token))
        }
        Judgement::Incorrect { remaining } => {
            refused("incorrect", ApiError::CodeIncorrect { remaining })
        }
        Judgement::NowFailed | Judgement::Failed => {
            refused("too_many_attempts", ApiError::VerificationFailed)
        }
        Judgement::Expired => refused("expired", ApiError::VerificationExpired { prepared: true }),
        Judgement::AlreadyVerified => {
            refused("already_used", ApiError::VerificationAlreadyVerified)
        }
    }
}

/// The factor a `prepare_first_factor` (of a sign-in or a reverification) names among
/// `factors`: the one of the strategy's kind with the `phone_number_id` or `email_address_id`
/// given, or the only one of that kind when none is; else `strategy_for_user_invalid`.
pub fn chosen_factor<'a>(
    factors: impl IntoIterator<Item = &'a IdentifierRow>,
    strategy: Strategy,
    req: &otp_proto::PrepareFirstFactor,
) -> Result<&'a IdentifierRow, ApiError> {
    let (kind, wanted, param) = match strategy {
        Strategy::PhoneCode => (
            IdentifierKind::Phone,
            &req.phone_number_id,
            "phone_number_id",
        ),
        Strategy::EmailCode => (
            IdentifierKind::Email,
            &req.email_address_id,
            "email_address_id",
        ),
    };
    factors
        .into_iter()
        .filter(|f| f.kind == kind)
        .find(|f| wanted.as_deref().is_none_or(|want| want == f.id))
        .ok_or(ApiError::StrategyInvalid(param))
}

/// The strategy that matches an identifier, or `strategy_for_user_invalid`.
pub fn ensure_strategy(strategy: Strategy, to: &Identifier) -> Result<(), ApiError> {
    if to.kind().strategy() == strategy {
        Ok(())
    } else {
        Err(ApiError::StrategyInvalid("strategy"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{EmailAddress, PhoneNumber};

    fn phone(s: &str) -> Identifier {
        Identifier::Phone(PhoneNumber::parse(s, None).expect("phone"))
    }

    fn email(s: &str) -> Identifier {
        Identifier::Email(EmailAddress::parse(s).expect("email"))
    }

    #[test]
    fn test_identifiers_are_the_fictional_numbers_and_the_otp_test_subaddress() {
        for yes in ["+1 201 555 0100", "+1 (415) 555-0199", "+12125550142"] {
            assert!(is_test_identifier(&phone(yes)), "{yes}");
        }
        for no in [
            "+1 201 555 0200",
            "+1 201 555 0099",
            "+1 201 556 0100",
            "+44 20 7946 0100",
        ] {
            assert!(!is_test_identifier(&phone(no)), "{no}");
        }
        for yes in ["jane+otp_test@example.com", "jane+x+OTP_TEST@example.com"] {
            assert!(is_test_identifier(&email(yes)), "{yes}");
        }
        for no in [
            "jane@example.com",
            "jane+otp_tests@example.com",
            "otp_test@example.com",
            "jane+otp@example.com",
        ] {
            assert!(!is_test_identifier(&email(no)), "{no}");
        }
    }
}
