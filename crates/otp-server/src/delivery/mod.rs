//! How codes leave the server. Today: dev mode only (console and dev outbox); outside dev mode
//! the server refuses to start rather than drop codes.

mod console;

use crate::config::Config;
use crate::domain::Identifier;
use crate::otp::Code;
use otp_proto::dev::{Channel, OutboxMessage};

/// The configured way to deliver codes.
#[derive(Debug, Clone)]
pub enum Delivery {
    /// Dev mode: print each message to the console and keep it in the dev outbox.
    Dev,
}

impl Delivery {
    /// The delivery the configuration asks for, or why there is none.
    pub fn from_config(config: &Config) -> anyhow::Result<Self> {
        if config.dev {
            return Ok(Self::Dev);
        }
        anyhow::bail!(
            "no delivery provider is configured, so codes could not reach users; \
             start with --dev (or OTP_DEV=1) for local development"
        )
    }

    /// Whether messages are kept in the dev outbox.
    pub fn is_dev(&self) -> bool {
        matches!(self, Self::Dev)
    }

    /// Hands a message over for delivery.
    pub fn send(&self, message: &OutboxMessage) {
        match self {
            Self::Dev => console::print(message),
        }
    }
}

/// Writes the message that carries a code.
pub fn compose(to: &Identifier, code: &Code, ttl_secs: u64, now: i64) -> OutboxMessage {
    let minutes = ttl_secs.div_ceil(60);
    let (channel, body) = match to {
        Identifier::Phone(_) => (
            Channel::Sms,
            format!(
                "{} is your verification code. It expires in {minutes} minutes.",
                code.expose()
            ),
        ),
        Identifier::Email(_) => (
            Channel::Email,
            format!(
                "Your verification code is {}.\n\nIt expires in {minutes} minutes. If you did not ask for it, ignore this email.",
                code.expose()
            ),
        ),
    };
    OutboxMessage {
        to: to.as_str().to_owned(),
        channel,
        code: code.expose().to_owned(),
        body,
        sent_at: now,
    }
}
