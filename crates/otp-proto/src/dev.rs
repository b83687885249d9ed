//! The dev-mode outbox: in `--dev` mode the server keeps every message it would have sent, so a
//! developer (or a test, or the load tool) can read the code without a phone or a mailbox.

use serde::{Deserialize, Serialize};

/// How a message travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// A text message to a phone number.
    Sms,
    /// An email.
    Email,
}

impl Channel {
    /// `sms` or `email`, as on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sms => "sms",
            Self::Email => "email",
        }
    }
}

/// One message as `GET /v1/dev/outbox?to=…` returns it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OutboxMessage {
    /// The normalized phone number (E.164) or email address.
    pub to: String,
    /// SMS or email.
    pub channel: Channel,
    /// The one-time code, in clear: this exists only in dev mode.
    pub code: String,
    /// The full text of the message as a user would read it.
    pub body: String,
    /// When the message was handed to the outbox (ms since the epoch).
    pub sent_at: i64,
}
