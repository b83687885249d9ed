//! Sending and checking codes: the part of sign-up and sign-in that is the same for both.

use crate::domain::Identifier;
use crate::error::ApiError;
use crate::extract::ClientCtx;
use crate::ids::new_id;
use crate::otp::{Code, Judgement};
use crate::state::AppState;
use crate::store::{AttemptCode, Completion, CompletionKind, PrepareCode};
use crate::tokens::ClientToken;
use otp_proto::Strategy;

/// Generates a code for `owner_id`, stores its hash within the send limits, and sends it.
pub async fn send(
    state: &AppState,
    owner_id: &str,
    strategy: Strategy,
    to: &Identifier,
    identifier_id: Option<&str>,
    ip: Option<String>,
) -> Result<(), ApiError> {
    let policy = &state.config.policy;
    let now = state.now();
    let code = Code::generate()?;
    let message = crate::delivery::compose(to, &code, policy.code_ttl_secs, now);
    state
        .store
        .prepare_code(PrepareCode {
            owner_id,
            strategy,
            identifier: to,
            identifier_id,
            mac: state.hasher.hash(owner_id, &code),
            expire_at: now + policy.code_ttl_ms(),
            now,
            ip,
            identifier_limits: policy.identifier_limits(),
            ip_limits: policy.ip_limits(),
            dev_message: state.delivery.is_dev().then_some(&message),
        })
        .await?;
    state.delivery.send(&message);
    Ok(())
}

/// Checks a code typed for `owner_id`. When it is right, creates the session (and for a
/// sign-up the user) and moves `ctx` to the client's new token.
pub async fn check(
    state: &AppState,
    ctx: &mut ClientCtx,
    owner_id: &str,
    identifier: &Identifier,
    code: &str,
    kind: CompletionKind,
) -> Result<(), ApiError> {
    let code = Code::parse(code).ok_or(ApiError::Invalid {
        param: Some("code"),
        message: "The code must be the 6 digits you received.".into(),
    })?;
    let policy = &state.config.policy;
    let now = state.now();
    let new_token = ClientToken::generate()?;
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
                    client_id: ctx.client.id.clone(),
                    session_id: new_id("sess")?,
                    session_abandon_at: now + policy.session_lifetime_ms(),
                    new_token_hash: new_token.hash(),
                    kind,
                },
            },
            |stored| state.hasher.verify(owner_id, &code, stored),
        )
        .await?;
    match judgement {
        Judgement::Correct => {
            ctx.token = new_token;
            Ok(())
        }
        Judgement::Incorrect { remaining } => Err(ApiError::CodeIncorrect { remaining }),
        Judgement::NowFailed | Judgement::Failed => Err(ApiError::VerificationFailed),
        Judgement::Expired => Err(ApiError::VerificationExpired { prepared: true }),
        Judgement::AlreadyVerified => Err(ApiError::VerificationAlreadyVerified),
    }
}

/// The strategy that matches an identifier, or `strategy_for_user_invalid`.
pub fn ensure_strategy(strategy: Strategy, to: &Identifier) -> Result<(), ApiError> {
    if to.kind().strategy() == strategy {
        Ok(())
    } else {
        Err(ApiError::StrategyInvalid("strategy"))
    }
}
