//! Pieces the screens share.

mod dev_banner;
mod field_error;
mod identifier_form;

pub use dev_banner::DevBanner;
pub use field_error::FieldError;
pub use identifier_form::IdentifierForm;

use dioxus::prelude::*;

/// Gives the keyboard focus to an element when it appears (a screen's first field), so a
/// desktop user never needs the mouse. `autofocus` alone only works on a page's first load.
pub fn focus_on_mount(event: MountedEvent) {
    spawn(async move {
        let _ = event.set_focus(true).await;
    });
}
