//! [`Channel`]: phone or email, what a form asks for and how the code travels.

use otp_client::Strategy;

/// Phone or email: which input the screen shows and which strategy sends the code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Channel {
    /// A phone number, code by SMS.
    #[default]
    Phone,
    /// An email address, code by email.
    Email,
}

impl Channel {
    /// The strategy that sends codes over this channel.
    pub fn strategy(self) -> Strategy {
        match self {
            Self::Phone => Strategy::PhoneCode,
            Self::Email => Strategy::EmailCode,
        }
    }

    /// The channel of a strategy.
    pub fn of(strategy: Strategy) -> Self {
        match strategy {
            Strategy::PhoneCode => Self::Phone,
            Strategy::EmailCode => Self::Email,
        }
    }
}
