//! The app's own screens; signing up and in are otp-dioxus's prebuilt screens.

mod home;
mod starting;

pub use home::Home;
pub use starting::Starting;
