//! Dev-mode delivery to the console: one line per message, the code easy to spot. This is the
//! only place a code is printed, and it exists only in dev mode.

use otp_proto::dev::{Channel, OutboxMessage};

/// Prints the message on standard output (not through `tracing`, so no log pipeline sees codes).
pub fn print(message: &OutboxMessage) {
    let channel = match message.channel {
        Channel::Sms => "SMS",
        Channel::Email => "email",
    };
    println!(
        "[dev] {channel} to {} >>> code {} <<<",
        message.to, message.code
    );
}
