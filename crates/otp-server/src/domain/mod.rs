//! Validated domain values: parse, don't validate. A [`Identifier`] can only be built from input
//! that is a real phone number (normalized to E.164) or email address (normalized).

mod identifier;

pub use identifier::{EmailAddress, Identifier, IdentifierError, IdentifierKind, PhoneNumber};
