//! Each screen rendered without a window (`VirtualDom` + `dioxus-ssr`), under a store injected
//! through context with a manual clock: fields, error sentences, where the router goes, how the
//! store and the clock drive it.

use dioxus::core::NoOpMutations;
use dioxus::history::{History, MemoryHistory};
use dioxus::prelude::*;
use dioxus::router::components::HistoryProvider;
use otp_app::Shell;
use otp_app::backend::{Backend, DEFAULT_URL, UNCONFIGURED_URL};
use otp_dioxus::*;

use otp_client::{ApiError, Error, ErrorCode};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

/// Where the screens' clock starts.
const NOW: i64 = 1_800_000_000_000;

#[derive(Props, Clone, PartialEq)]
struct RootProps {
    path: String,
    state: AuthState,
}

#[allow(non_snake_case)]
fn Root(props: RootProps) -> Element {
    let state = props.state.clone();
    use_context_provider(|| {
        let clock = consume_context::<ManualClock>();
        let client = AuthClient::new("http://127.0.0.1:9", MemoryTokenStore::new());
        AuthStore::new(client, Arc::new(clock), state)
    });
    let path = props.path.clone();
    rsx! {
        HistoryProvider {
            history: move |_| Rc::new(MemoryHistory::with_initial_path(path.clone())) as Rc<dyn History>,
            Shell {}
        }
    }
}

fn dom(path: &str, state: AuthState) -> VirtualDom {
    dom_with_clock(path, state, ManualClock::new(NOW))
}

/// The screens at `path` with their store's clock: the test moves it.
fn dom_with_clock(path: &str, state: AuthState, clock: ManualClock) -> VirtualDom {
    let mut dom = VirtualDom::new_with_props(
        Root,
        RootProps {
            path: path.into(),
            state,
        },
    )
    .with_root_context(clock);
    dom.rebuild_in_place();
    dom
}

/// The rendered text with HTML entities of quotes and ampersands decoded, to compare sentences.
fn html(dom: &VirtualDom) -> String {
    dioxus_ssr::render(dom)
        .replace("&#39;", "'")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

fn render(path: &str, state: AuthState) -> String {
    html(&dom(path, state))
}

fn signed_out(flow: Flow) -> AuthState {
    AuthState {
        phase: Phase::SignedOut(flow),
        ..AuthState::default()
    }
}

fn pending(channel: Channel) -> Pending {
    Pending {
        flow: Flow::SignUp,
        attempt_id: "sua_1".into(),
        channel,
        identifier_id: None,
        identifier: "+12025550143".into(),
        masked: "+1********43".into(),
    }
}

fn verifying(channel: Channel) -> AuthState {
    let mut state = AuthState::default();
    state.code_sent(pending(channel), NOW);
    state
}

fn signed_in() -> AuthState {
    let mut state = AuthState::default();
    state.signed_in(SignedInSession {
        session_id: "sess_1".into(),
        user_id: "user_1".into(),
        identifier: "+12025550143".into(),
        started_at: 1_795_633_800_000,
    });
    state
}

#[test]
fn the_sign_up_screen_asks_for_a_phone_number_with_a_switch_to_email() {
    let page = render("/sign-up", signed_out(Flow::SignUp));
    assert!(page.contains("<h1>Sign up</h1>"), "{page}");
    assert!(page.contains(r#"type="tel""#) && page.contains(r#"autocomplete="tel""#));
    assert!(page.contains(r#"<label for="identifier">Phone number</label>"#));
    assert!(page.contains("Use email instead"));
    assert!(page.contains(r#"type="submit""#) && page.contains("Continue"));
    assert!(page.contains("Have an account?") && page.contains("Sign in</button>"));
}

#[test]
fn the_sign_in_screen_has_the_same_shape() {
    let page = render("/sign-in", signed_out(Flow::SignIn));
    assert!(page.contains("<h1>Sign in</h1>"));
    assert!(page.contains(r#"type="tel""#) && page.contains("Use email instead"));
    assert!(page.contains("Don't have an account?") && page.contains("Sign up</button>"));
}

#[test]
fn the_verify_screen_says_where_the_code_went_and_counts_down_to_resend() {
    let page = render("/sign-up", verifying(Channel::Phone));
    assert!(page.contains("Verify your phone number"));
    assert!(page.contains("+1********43"), "the number is masked");
    assert!(
        page.contains(r#"autocomplete="one-time-code""#) && page.contains(r#"inputmode="numeric""#)
    );
    assert!(page.contains("Resend code in 30 s"), "{page}");
    assert!(page.contains("Change phone number"));
    let page = render("/sign-up", verifying(Channel::Email));
    assert!(page.contains("Verify your email") && page.contains("Use a different email"));
}

/// Lets the screens run their timers until the page shows `text`, and returns the page.
async fn wait_for_text(dom: &mut VirtualDom, text: &str) -> String {
    let shown = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            dom.wait_for_work().await;
            dom.render_immediate(&mut NoOpMutations);
            let page = html(dom);
            if page.contains(text) {
                return page;
            }
        }
    })
    .await;
    match shown {
        Ok(page) => page,
        Err(_) => panic!("the page never showed {text:?}:\n{}", html(dom)),
    }
}

#[tokio::test]
async fn the_resend_countdown_follows_the_clock_it_is_given() {
    let clock = ManualClock::new(NOW);
    let mut dom = dom_with_clock("/sign-up", verifying(Channel::Phone), clock.clone());
    assert!(html(&dom).contains("Resend code in 30 s"));

    // Twelve seconds pass on the clock (the real wait is one tick of the screen, half a second).
    clock.advance(Duration::from_secs(12));
    let page = wait_for_text(&mut dom, "Resend code in 18 s").await;
    assert!(page.contains(r#"id="resend" disabled"#), "{page}");

    clock.advance(Duration::from_secs(18));
    let page = wait_for_text(&mut dom, ">Resend code</button>").await;
    assert!(
        !page.contains(r#"id="resend" disabled"#),
        "offered again: {page}"
    );
}

#[test]
fn the_home_screen_says_who_is_signed_in_and_since_when() {
    let page = render("/", signed_in());
    assert!(page.contains("You're signed in"));
    assert!(
        page.contains("+1 202-555-0143") && !page.contains("+12025550143"),
        "the number as people read it: {page}"
    );
    assert!(page.contains("Session started") && page.contains("2026"));
    assert!(page.contains("Sign out"));
}

/// The sign-up screen of an app built with no backend configured, whose fallback is `url`.
fn render_unconfigured(url: &str) -> String {
    let mut dom = VirtualDom::new_with_props(
        Root,
        RootProps {
            path: "/sign-up".into(),
            state: signed_out(Flow::SignUp),
        },
    )
    .with_root_context(ManualClock::new(NOW))
    .with_root_context(Backend {
        url: url.into(),
        embedded: false,
        error: None,
        fallback: true,
    });
    dom.rebuild_in_place();
    html(&dom)
}

#[test]
fn an_app_built_with_no_backend_configured_says_which_one_it_tries() {
    let page = render_unconfigured(DEFAULT_URL);
    assert!(
        page.contains(
            "No backend is configured (OTP_API_URL), so the app tries http://127.0.0.1:8787"
        ),
        "{page}"
    );
    assert!(
        !render("/sign-up", signed_out(Flow::SignUp)).contains("No backend is configured"),
        "not when one is"
    );
}

#[test]
fn a_release_build_with_no_backend_configured_says_signing_in_cannot_work() {
    let page = render_unconfigured(UNCONFIGURED_URL);
    assert!(
        page.contains("This build has no sign-in server configured (OTP_API_URL)"),
        "{page}"
    );
}

#[test]
fn a_running_request_disables_its_button_and_shows_progress() {
    let mut state = signed_out(Flow::SignUp);
    state.begin(Busy::Continue);
    let page = render("/sign-up", state);
    assert!(page.contains("Sending code…"));
    assert!(
        page.contains(r#"disabled=true"#) || page.contains(r#"disabled="true""#),
        "{page}"
    );
}

#[test]
fn the_router_goes_where_the_state_says() {
    assert!(render("/", signed_out(Flow::SignIn)).contains("<h1>Sign in</h1>"));
    assert!(render("/sign-in", signed_out(Flow::SignUp)).contains("<h1>Sign up</h1>"));
    assert!(render("/sign-up", signed_in()).contains("You're signed in"));
    assert!(render("/", verifying(Channel::Phone)).contains("Verify your phone number"));
    assert!(render("/", AuthState::default()).contains("Loading"));
}

#[test]
fn the_store_drives_the_screens() {
    let mut dom = dom("/sign-up", signed_out(Flow::SignUp));
    assert!(html(&dom).contains("<h1>Sign up</h1>"));
    let store = dom.in_scope(ScopeId::APP, consume_context::<AuthStore>);
    dom.in_scope(ScopeId::APP, || {
        store.state().write().code_sent(pending(Channel::Phone), 0)
    });
    dom.render_immediate(&mut NoOpMutations);
    assert!(html(&dom).contains("Verify your phone number"));
    dom.in_scope(ScopeId::APP, || store.back());
    dom.render_immediate(&mut NoOpMutations);
    assert!(html(&dom).contains("<h1>Sign up</h1>"));
}

/// The screen where an error of this code shows up, and the error.
fn error_page(code: ErrorCode, param: Option<&str>) -> (String, otp_dioxus::Error) {
    let api = ApiError {
        status: code.http_status(),
        code: code.clone(),
        message: String::new(),
        long_message: String::new(),
        param_name: param.map(Into::into),
        retry_after_secs: Some(25),
        remaining_attempts: Some(2),
    };
    let on_verify = matches!(
        code,
        ErrorCode::FormCodeIncorrect
            | ErrorCode::VerificationExpired
            | ErrorCode::VerificationFailed
    );
    let (path, mut state, context) = if on_verify {
        ("/sign-up", verifying(Channel::Phone), Context::Verify)
    } else {
        (
            "/sign-up",
            signed_out(Flow::SignUp),
            Context::SignUp(Channel::Phone),
        )
    };
    let error = otp_dioxus::Error::describe(&Error::from(api), context, &Strings::default());
    state.failed(error.clone(), 0);
    (render(path, state), error)
}

#[test]
fn every_error_code_renders_its_sentence_next_to_its_field() {
    for code in ErrorCode::ALL {
        let (page, error) = error_page(code.clone(), Some("phone_number"));
        assert!(
            page.contains(&error.message),
            "{code}: {} not in {page}",
            error.message
        );
        let id = match error.field {
            Field::Identifier => "identifier-error",
            Field::Code => "code-error",
            Field::Form => "form-error",
        };
        assert!(
            page.contains(&format!(r#"id="{id}""#)),
            "{code} next to {id}"
        );
    }
}

#[test]
fn errors_offer_their_way_out() {
    let (page, _) = error_page(ErrorCode::FormCodeIncorrect, Some("code"));
    assert!(page.contains("That code is incorrect. 2 attempts left."));
    let (page, _) = error_page(ErrorCode::VerificationExpired, Some("code"));
    assert!(page.contains("This code has expired.") && page.contains("Send a new code"));
    let (page, _) = error_page(ErrorCode::TooManyRequests, None);
    assert!(page.contains("Try again in 25 seconds."));
    let (page, _) = error_page(ErrorCode::FormIdentifierExists, Some("phone_number"));
    assert!(page.contains("Sign in instead"));
    let (page, _) = error_page(ErrorCode::FormIdentifierNotFound, Some("identifier"));
    assert!(page.contains("Create an account instead"));
}
