//! Prebuilt screens: [`SignIn`] and [`SignUp`] (the whole flow each: identifier, phone/email
//! switch, code entry, resend countdown, errors, the link to the other one), [`SignOutButton`],
//! [`UserProfile`] (phone numbers and email addresses, devices, deleting the account), and [`DevCode`] for development against `otp-server --dev`. They look as the crate's
//! stylesheet says, themed by its CSS custom properties.
//!
//! - `flow.rs`: [`SignIn`], [`SignUp`] and what they share (the start screen's retry);
//! - `identifier_form.rs`: the phone or email form;
//! - `verify.rs`: the code entry;
//! - `field_error.rs`: the error next to a field, with its way out;
//! - `session.rs`: [`SignOutButton`], [`DevCode`], [`KeychainWarning`];
//! - `profile.rs`: [`UserProfile`]: the user's identifiers, devices, deleting the account, and
//!   the reverification a sensitive change may need;
//! - `identifiers.rs`: the identifiers part of it (add, verify, make primary, remove) and its
//!   code entry.

mod field_error;
mod flow;
mod identifier_form;
mod identifiers;
mod profile;
mod session;
mod verify;

pub use field_error::FieldError;
pub use flow::{SignIn, SignUp};
pub use profile::UserProfile;
pub use session::{DevCode, KeychainWarning, SignOutButton};

use dioxus::prelude::*;

/// Gives the keyboard focus to an element when it appears (a screen's first field), so a
/// desktop user never needs the mouse. `autofocus` alone only works on a page's first load.
pub fn focus_on_mount(event: MountedEvent) {
    spawn(async move {
        let _ = event.set_focus(true).await;
    });
}
