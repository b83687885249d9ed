//! The sign-up / sign-in state machine, as plain data and pure transitions: what the screens show
//! is a function of [`AuthState`], and every change to it is one of the methods below.

use crate::channel::Channel;
use crate::error::{Error, Field, Remedy};

/// Seconds before "Resend code" is offered again after a code was sent (the server's default
/// interval; a refused resend corrects it with the server's `Retry-After`).
pub const RESEND_COOLDOWN_SECS: i64 = 30;

/// Which flow a code belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Flow {
    /// Creating an account.
    #[default]
    SignUp,
    /// Signing in to an existing account.
    SignIn,
}

/// A code was sent and is waiting to be typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// Sign-up or sign-in.
    pub flow: Flow,
    /// The sign-up or sign-in id.
    pub attempt_id: String,
    /// Where the code went.
    pub channel: Channel,
    /// With a sign-in: the id of the phone number or email the code went to.
    pub identifier_id: Option<String>,
    /// The identifier as the server normalized it (the dev banner looks it up).
    pub identifier: String,
    /// The identifier masked for display: "we sent a code to +1********43".
    pub masked: String,
}

/// A signed-in session, as the home screen shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedInSession {
    /// The session id.
    pub session_id: String,
    /// The user's id.
    pub user_id: String,
    /// The user's phone number or email.
    pub identifier: String,
    /// When the session started (ms).
    pub started_at: i64,
}

/// Where the user is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// Loading the saved token and asking the backend for the client.
    Starting,
    /// Not signed in; the flow is the screen to show (sign-up or sign-in).
    SignedOut(Flow),
    /// A code was sent.
    Verifying(Pending),
    /// Signed in.
    SignedIn(SignedInSession),
}

/// The request that is running; its button shows progress and is disabled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Busy {
    /// Loading the client at start.
    Restoring,
    /// Creating the attempt and sending the first code.
    Continue,
    /// Checking a code.
    Verify,
    /// Sending another code.
    Resend,
    /// Signing out.
    SignOut,
}

/// The whole auth state behind the screens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthState {
    /// Where the user is.
    pub phase: Phase,
    /// The request running, if any.
    pub busy: Option<Busy>,
    /// The last error, until the next request.
    pub error: Option<Error>,
    /// When "Resend code" becomes available (ms), while verifying.
    pub resend_at: Option<i64>,
    /// How many codes were sent in this app run (the dev banner refreshes on it).
    pub sends: u32,
    /// A keychain problem worth telling the user (the session will not survive a restart).
    pub keychain_warning: Option<String>,
    /// Bumped when the user leaves a form while its request runs: that request's answer is
    /// then dropped (a session it created still counts), so the new form is usable at once.
    pub epoch: u64,
    /// The request whose error is showing: what "Try again" repeats.
    pub failed_request: Option<Busy>,
    /// The form to show once the start-up check finds nobody signed in (the prebuilt screen
    /// on view asks for its own).
    pub first_flow: Flow,
}

impl Default for AuthState {
    fn default() -> Self {
        Self {
            phase: Phase::Starting,
            busy: None,
            error: None,
            resend_at: None,
            sends: 0,
            keychain_warning: None,
            epoch: 0,
            failed_request: None,
            first_flow: Flow::SignUp,
        }
    }
}

impl AuthState {
    /// Marks a request as running. Refuses (returns false) while another runs, so a double tap
    /// never sends two codes.
    pub fn begin(&mut self, busy: Busy) -> bool {
        if self.busy.is_some() {
            return false;
        }
        self.busy = Some(busy);
        self.error = None;
        self.failed_request = None;
        true
    }

    /// A code was sent for a new attempt: show the verify screen.
    pub fn code_sent(&mut self, pending: Pending, now: i64) {
        self.phase = Phase::Verifying(pending);
        self.resend_at = Some(now + RESEND_COOLDOWN_SECS * 1000);
        self.sends += 1;
        self.done();
    }

    /// Another code was sent for the current attempt.
    pub fn code_resent(&mut self, now: i64) {
        self.resend_at = Some(now + RESEND_COOLDOWN_SECS * 1000);
        self.sends += 1;
        self.done();
    }

    /// The request failed. A wait from the server also moves the resend countdown.
    pub fn failed(&mut self, error: Error, now: i64) {
        if let (Some(secs), Phase::Verifying(_)) = (error.retry_after_secs, &self.phase) {
            let secs = i64::try_from(secs).unwrap_or(i64::MAX / 2_000);
            self.resend_at = Some(now + secs * 1000);
        }
        if error.remedy == Some(Remedy::StartOver)
            && let Phase::Verifying(p) = &self.phase
        {
            self.phase = Phase::SignedOut(p.flow);
        }
        self.error = Some(error);
        self.failed_request = self.busy.take();
    }

    /// The server gave up delivering the current code (a permanent provider error, or retries
    /// ran out): say so (`message`) on the code field and offer a new code. Ignored when the
    /// attempt changed meanwhile or another error is showing.
    pub fn delivery_failed(&mut self, attempt_id: &str, message: String) {
        let Phase::Verifying(p) = &self.phase else {
            return;
        };
        if p.attempt_id != attempt_id || self.error.is_some() || self.busy.is_some() {
            return;
        }
        self.error = Some(Error {
            code: None,
            field: Field::Code,
            message,
            remedy: Some(Remedy::Resend),
            retry_after_secs: None,
        });
        self.resend_at = None;
    }

    /// A session is active.
    pub fn signed_in(&mut self, session: SignedInSession) {
        self.phase = Phase::SignedIn(session);
        self.resend_at = None;
        self.done();
    }

    /// Not signed in (at start, after sign-out, or when the session ended).
    pub fn signed_out(&mut self, flow: Flow) {
        self.phase = Phase::SignedOut(flow);
        self.resend_at = None;
        self.busy = None;
    }

    /// Leaves the verify screen to change the number or email.
    pub fn back(&mut self) {
        if let Phase::Verifying(p) = &self.phase {
            self.phase = Phase::SignedOut(p.flow);
            self.abandon();
        }
        self.resend_at = None;
        self.error = None;
    }

    /// Switches between the sign-up and sign-in screens while signed out (at start: the one to
    /// show once nobody is found signed in).
    pub fn switch_flow(&mut self, flow: Flow) {
        if self.phase == Phase::Starting {
            self.first_flow = flow;
        }
        if let Phase::SignedOut(current) = self.phase
            && current != flow
        {
            self.phase = Phase::SignedOut(flow);
            self.error = None;
            self.abandon();
        }
    }

    /// Whether `switch_flow(flow)` would change anything (so a screen that asks for its flow as it
    /// appears writes nothing when it is already shown).
    pub fn wants_switch(&self, flow: Flow) -> bool {
        match self.phase {
            Phase::Starting => self.first_flow != flow,
            Phase::SignedOut(current) => current != flow,
            _ => false,
        }
    }

    /// Hides the error (its way out was to look at the form again).
    pub fn dismiss(&mut self) {
        self.error = None;
        self.failed_request = None;
    }

    /// Whether a request begun at `epoch` still belongs to the form on screen.
    pub fn is_current(&self, epoch: u64) -> bool {
        self.epoch == epoch
    }

    /// The form on screen is left: the request it was running no longer holds it up.
    fn abandon(&mut self) {
        if self.busy.take().is_some() {
            self.epoch += 1;
        }
    }

    /// Seconds until "Resend code" is available at `now` (0 when it is).
    pub fn resend_wait_secs(&self, now: i64) -> u64 {
        self.resend_at
            .map_or(0, |at| u64::try_from((at - now + 999) / 1000).unwrap_or(0))
    }

    /// The verification in progress, if any.
    pub fn pending(&self) -> Option<&Pending> {
        match &self.phase {
            Phase::Verifying(p) => Some(p),
            _ => None,
        }
    }

    /// The signed-in session, if any.
    pub fn session(&self) -> Option<&SignedInSession> {
        match &self.phase {
            Phase::SignedIn(s) => Some(s),
            _ => None,
        }
    }

    /// The error to show next to `field`, if any.
    pub fn error_for(&self, field: Field) -> Option<&Error> {
        self.error.as_ref().filter(|e| e.field == field)
    }

    fn done(&mut self) {
        self.busy = None;
        self.error = None;
        self.failed_request = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending() -> Pending {
        Pending {
            flow: Flow::SignUp,
            attempt_id: "sua_1".into(),
            channel: Channel::Phone,
            identifier_id: None,
            identifier: "+12025550143".into(),
            masked: "+1********43".into(),
        }
    }

    fn error(retry_after_secs: Option<u64>, remedy: Option<Remedy>) -> Error {
        Error {
            code: None,
            field: Field::Code,
            message: "x".into(),
            remedy,
            retry_after_secs,
        }
    }

    #[test]
    fn a_second_tap_while_a_request_runs_is_refused() {
        let mut s = AuthState::default();
        assert!(s.begin(Busy::Continue));
        assert!(!s.begin(Busy::Continue), "the double tap sends nothing");
        s.code_sent(pending(), 0);
        assert!(s.begin(Busy::Verify), "free again once the answer came");
    }

    #[test]
    fn sending_a_code_opens_verification_with_a_thirty_second_resend_countdown() {
        let mut s = AuthState {
            phase: Phase::SignedOut(Flow::SignUp),
            ..Default::default()
        };
        s.begin(Busy::Continue);
        s.code_sent(pending(), 1_000);
        assert_eq!(s.pending(), Some(&pending()));
        assert_eq!(s.resend_wait_secs(1_000), 30);
        assert_eq!(s.resend_wait_secs(30_999), 1);
        assert_eq!(s.resend_wait_secs(31_000), 0);
        assert_eq!(s.busy, None);
    }

    #[test]
    fn a_refused_resend_follows_the_servers_retry_after() {
        let mut s = AuthState::default();
        s.code_sent(pending(), 0);
        s.begin(Busy::Resend);
        s.failed(error(Some(42), None), 10_000);
        assert_eq!(s.resend_wait_secs(10_000), 42);
        assert!(s.error_for(Field::Code).is_some());
    }

    #[test]
    fn an_attempt_gone_on_the_server_goes_back_to_the_identifier_screen() {
        let mut s = AuthState::default();
        s.code_sent(
            Pending {
                flow: Flow::SignIn,
                ..pending()
            },
            0,
        );
        s.failed(error(None, Some(Remedy::StartOver)), 0);
        assert_eq!(s.phase, Phase::SignedOut(Flow::SignIn));
        assert!(s.error.is_some(), "with the reason shown there");
    }

    #[test]
    fn a_failed_delivery_offers_a_new_code_at_once() {
        let mut s = AuthState::default();
        s.code_sent(pending(), 0);
        s.delivery_failed("sua_other", "x".into());
        assert_eq!(s.error, None, "about another attempt");
        s.delivery_failed("sua_1", "not delivered".into());
        let e = s.error.clone().expect("error");
        assert_eq!((e.field, e.remedy), (Field::Code, Some(Remedy::Resend)));
        assert_eq!(
            s.resend_wait_secs(0),
            0,
            "no need to wait for the countdown"
        );
    }

    #[test]
    fn going_back_returns_to_the_screen_of_the_same_flow() {
        let mut s = AuthState::default();
        s.code_sent(
            Pending {
                flow: Flow::SignIn,
                ..pending()
            },
            0,
        );
        s.back();
        assert_eq!(s.phase, Phase::SignedOut(Flow::SignIn));
        assert_eq!(s.resend_at, None);
    }

    #[test]
    fn signing_in_and_out() {
        let mut s = AuthState::default();
        s.code_sent(pending(), 0);
        s.begin(Busy::Verify);
        let session = SignedInSession {
            session_id: "sess_1".into(),
            user_id: "user_1".into(),
            identifier: "+12025550143".into(),
            started_at: 5,
        };
        s.signed_in(session.clone());
        assert_eq!(s.phase, Phase::SignedIn(session));
        assert_eq!((s.busy, s.resend_at), (None, None));
        s.begin(Busy::SignOut);
        s.signed_out(Flow::SignIn);
        assert_eq!(s.phase, Phase::SignedOut(Flow::SignIn));
        assert_eq!(s.busy, None);
    }

    #[test]
    fn leaving_a_form_while_its_request_runs_frees_the_next_one() {
        let mut s = AuthState {
            phase: Phase::SignedOut(Flow::SignIn),
            ..Default::default()
        };
        assert!(s.begin(Busy::Continue));
        let epoch = s.epoch;
        s.switch_flow(Flow::SignUp);
        assert_eq!(s.busy, None, "the sign-up form is usable");
        assert!(!s.is_current(epoch), "the sign-in's answer will be dropped");
        assert!(s.begin(Busy::Continue));
        assert!(s.is_current(s.epoch));
    }

    #[test]
    fn try_again_knows_which_request_failed() {
        let mut s = AuthState::default();
        s.code_sent(pending(), 0);
        s.begin(Busy::Resend);
        s.failed(error(None, Some(Remedy::Retry)), 0);
        assert_eq!(s.failed_request, Some(Busy::Resend), "Try again resends");
        assert_eq!(s.busy, None);
    }

    #[test]
    fn the_screen_on_view_at_start_is_the_one_shown_after_it() {
        let mut s = AuthState::default();
        s.switch_flow(Flow::SignIn);
        assert_eq!(
            (s.phase.clone(), s.first_flow),
            (Phase::Starting, Flow::SignIn)
        );
        assert!(!s.wants_switch(Flow::SignIn));
    }

    #[test]
    fn switching_screens_only_happens_while_signed_out() {
        let mut s = AuthState {
            phase: Phase::SignedOut(Flow::SignUp),
            ..Default::default()
        };
        s.switch_flow(Flow::SignIn);
        assert_eq!(s.phase, Phase::SignedOut(Flow::SignIn));
        s.code_sent(pending(), 0);
        s.switch_flow(Flow::SignUp);
        assert!(matches!(s.phase, Phase::Verifying(_)));
    }
}
