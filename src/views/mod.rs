//! One file per screen; each mirrors its Expo example in Clerk's custom OTP flow guide.

mod home;
mod sign_in;
mod sign_up;
mod starting;
mod verify;

pub use home::Home;
pub use sign_in::SignIn;
pub use sign_up::SignUp;
pub use starting::Starting;
pub use verify::Verify;
