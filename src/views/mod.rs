//! One file per screen.

mod home;

pub use home::Home;
