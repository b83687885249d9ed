//! The hooks as an app's own screens call them, against a real `otp-server`: the guide's phone
//! sign-up with `use_sign_up` and `use_auth().set_active`, who is signed in, the session JWT
//! (the same one until it nears its expiry, then a new one), and sign-out.

use dioxus::core::NoOpMutations;
use dioxus::prelude::*;
use otp_dioxus::*;
use otp_testkit::TestServer;
use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

const PHONE: &str = "+12025550143";
const EMAIL: &str = "jane.doe@example.com";

/// The server's manual clock, read by the provider too (the JWT's expiry is server time).
struct ServerTime(otp_server::ManualClock);

impl Clock for ServerTime {
    fn now_ms(&self) -> i64 {
        otp_server::Clock::now_ms(&self.0)
    }
}

#[derive(Props, Clone)]
struct RootProps {
    api_url: String,
    clock: Arc<dyn Clock>,
    tokens: Arc<dyn TokenStore>,
}

impl PartialEq for RootProps {
    fn eq(&self, other: &Self) -> bool {
        self.api_url == other.api_url
    }
}

#[allow(non_snake_case)]
fn Root(props: RootProps) -> Element {
    rsx! {
        AuthProvider { api_url: props.api_url, token_store: props.tokens, clock: props.clock, locale: Locale::En,
            Account {}
            SignedIn { components::UserProfile {} }
        }
    }
}

type Handles = Rc<RefCell<Option<(UseAuth, UseSignUp, UseUser)>>>;

/// An app's own screen: it only takes the hooks' handles, for the test to call.
#[component]
fn Account() -> Element {
    let handles = (use_auth(), use_sign_up(), use_user());
    consume_context::<Handles>().replace(Some(handles));
    rsx! {}
}

/// Runs `call` as a task of the app and drives the app until it is done.
async fn run<T: 'static>(dom: &mut VirtualDom, call: impl Future<Output = T> + 'static) -> T {
    let slot = Rc::new(RefCell::new(None));
    let out = slot.clone();
    dom.in_scope(ScopeId::APP, || {
        spawn(async move {
            *out.borrow_mut() = Some(call.await);
        })
    });
    for _ in 0..400 {
        dom.render_immediate(&mut NoOpMutations);
        if let Some(value) = slot.borrow_mut().take() {
            return value;
        }
        let _ = tokio::time::timeout(Duration::from_millis(50), dom.wait_for_work()).await;
    }
    panic!("the call did not finish")
}

/// Signs `PHONE` up with the hooks, as the guide does, and makes its session active.
async fn sign_up_with_hooks(
    dom: &mut VirtualDom,
    server: &TestServer,
    auth: UseAuth,
    sign_up: UseSignUp,
) {
    run(dom, async move {
        sign_up.create_phone(PHONE).await?;
        sign_up.prepare_verification(Strategy::PhoneCode).await
    })
    .await
    .expect("code sent");
    let code = server.code_for(PHONE).await;
    let done = run(dom, async move {
        sign_up
            .attempt_verification(Strategy::PhoneCode, &code)
            .await
    })
    .await
    .expect("verified");
    let session = done.created_session_id.expect("session");
    run(dom, async move { auth.set_active(&session).await })
        .await
        .expect("active");
}

#[tokio::test]
async fn the_guides_phone_sign_up_with_hooks_then_a_token_for_the_apps_api_and_sign_out() {
    let clock = otp_server::ManualClock::new(1_800_000_000_000);
    let server = TestServer::builder().clock(&clock).spawn().await;
    let handles: Handles = Rc::default();
    let mut dom = VirtualDom::new_with_props(
        Root,
        RootProps {
            api_url: server.base_url.clone(),
            clock: Arc::new(ServerTime(clock.clone())),
            tokens: MemoryTokenStore::new(),
        },
    )
    .with_root_context(handles.clone());
    dom.rebuild_in_place();
    let (auth, sign_up, _) = handles.borrow().expect("the hooks' handles");
    // The start-up check: nobody is signed in.
    for _ in 0..100 {
        if dom.in_runtime(|| auth.is_loaded()) {
            break;
        }
        let _ = tokio::time::timeout(Duration::from_millis(20), dom.wait_for_work()).await;
        dom.render_immediate(&mut NoOpMutations);
    }
    assert!(dom.in_runtime(|| auth.is_loaded() && !auth.is_signed_in()));

    // The guide: create with the phone number, prepare, attempt with the code, set active.
    let created = run(&mut dom, async move {
        sign_up.create_phone("(202) 555-0143").await
    })
    .await;
    assert_eq!(
        created.expect("created").phone_number.as_deref(),
        Some(PHONE)
    );
    run(&mut dom, async move {
        sign_up.prepare_verification(Strategy::PhoneCode).await
    })
    .await
    .expect("code sent");
    let code = server.code_for(PHONE).await;
    let wrong = run(&mut dom, async move {
        sign_up
            .attempt_verification(Strategy::PhoneCode, "000000")
            .await
    })
    .await
    .expect_err("a wrong code");
    assert_eq!(wrong.code, Some(ErrorCode::FormCodeIncorrect));
    assert!(
        wrong.to_string().starts_with("That code is incorrect."),
        "{wrong}"
    );
    let done = run(&mut dom, async move {
        sign_up
            .attempt_verification(Strategy::PhoneCode, &code)
            .await
    })
    .await
    .expect("verified");
    let session = done.created_session_id.expect("a session");
    run(&mut dom, async move { auth.set_active(&session).await })
        .await
        .expect("active");
    assert!(dom.in_runtime(|| auth.is_signed_in()));
    let user = dom.in_runtime(|| auth.user()).expect("the user");
    assert_eq!(user.identifier(), Some(PHONE));
    assert_eq!(dom.in_runtime(|| auth.user_id()), Some(user.id.clone()));

    // A JWT for the app's own API: the same one while it has time left, a new one near expiry.
    let first = run(&mut dom, async move { auth.get_token().await })
        .await
        .expect("token")
        .expect("signed in");
    let again = run(&mut dom, async move { auth.get_token().await })
        .await
        .expect("token");
    assert_eq!(again.as_deref(), Some(first.as_str()), "reused");
    clock.advance(Duration::from_secs(55));
    let renewed = run(&mut dom, async move { auth.get_token().await })
        .await
        .expect("token")
        .expect("still signed in");
    assert_ne!(renewed, first, "renewed with under 10 s left");

    // Sign out: nobody is signed in, and there is no token to get.
    run(&mut dom, async move { auth.sign_out().await })
        .await
        .expect("signed out");
    assert!(dom.in_runtime(|| !auth.is_signed_in() && auth.user().is_none()));
    let none = run(&mut dom, async move { auth.get_token().await })
        .await
        .expect("no error");
    assert_eq!(none, None);
}

#[tokio::test]
async fn the_profile_lists_each_device_signs_the_other_out_and_deletes_the_account() {
    let clock = otp_server::ManualClock::new(1_800_000_000_000);
    let server = TestServer::builder().clock(&clock).spawn().await;
    let tokens = MemoryTokenStore::new();
    let handles: Handles = Rc::default();
    let mut dom = VirtualDom::new_with_props(
        Root,
        RootProps {
            api_url: server.base_url.clone(),
            clock: Arc::new(ServerTime(clock.clone())),
            tokens: tokens.clone(),
        },
    )
    .with_root_context(handles.clone());
    dom.rebuild_in_place();
    let (auth, sign_up, user) = handles.borrow().expect("handles");

    // Signed up here with the hooks…
    sign_up_with_hooks(&mut dom, &server, auth, sign_up).await;

    // …and signed in on a laptop, with the SDK.
    clock.advance(Duration::from_secs(31));
    let laptop = otp_client::Client::new(&server.base_url);
    server.start_sign_in(&laptop, PHONE).await;
    let code = server.code_for(PHONE).await;
    let signed = laptop
        .sign_in()
        .attempt_first_factor(Strategy::PhoneCode, &code)
        .await
        .expect("laptop signed in");
    let laptop_session = signed.created_session_id.expect("session");
    laptop.set_active(&laptop_session).await.expect("active");

    // The profile lists both: this device, and the laptop with its sign-out.
    let page = async {
        for _ in 0..200 {
            dom.render_immediate(&mut NoOpMutations);
            let page = dioxus_ssr::render(&dom);
            // One phone number, two devices.
            if page.contains("This device") && page.matches("<li").count() == 3 {
                return page;
            }
            let _ = tokio::time::timeout(Duration::from_millis(50), dom.wait_for_work()).await;
        }
        dioxus_ssr::render(&dom)
    }
    .await;
    assert!(
        page.contains("Your devices") && page.contains("This device"),
        "{page}"
    );
    assert!(page.contains("otp-client on"), "the device line: {page}");
    assert!(page.contains("Delete account"), "{page}");

    // Sign the laptop out from here: it gets no JWT any more.
    let id = laptop_session.clone();
    run(&mut dom, async move { user.revoke_session(&id).await })
        .await
        .expect("revoked");
    assert!(laptop.session_token().await.is_err());

    // Delete the account: signed out here, the token forgotten, the number free again.
    run(&mut dom, async move { user.delete_account().await })
        .await
        .expect("deleted");
    assert!(dom.in_runtime(|| !auth.is_signed_in()));
    assert_eq!(tokens.load().expect("memory"), None, "the token is gone");
    clock.advance(Duration::from_secs(31));
    let again = otp_client::Client::new(&server.base_url);
    server.sign_up(&again, PHONE).await;
}

#[tokio::test]
async fn the_profile_adds_an_email_with_its_code_and_asks_for_a_fresh_code_before_a_sensitive_change()
 {
    let clock = otp_server::ManualClock::new(1_800_000_000_000);
    let server = TestServer::builder().clock(&clock).spawn().await;
    let handles: Handles = Rc::default();
    let mut dom = VirtualDom::new_with_props(
        Root,
        RootProps {
            api_url: server.base_url.clone(),
            clock: Arc::new(ServerTime(clock.clone())),
            tokens: MemoryTokenStore::new(),
        },
    )
    .with_root_context(handles.clone());
    dom.rebuild_in_place();
    let (auth, sign_up, user) = handles.borrow().expect("handles");
    sign_up_with_hooks(&mut dom, &server, auth, sign_up).await;

    // Add an email: unverified until its code comes back, and the user shown follows.
    let added = run(&mut dom, async move { user.add_email(EMAIL).await })
        .await
        .expect("added");
    let shown = dom.in_runtime(|| user.user()).expect("user");
    assert_eq!(shown.email_addresses.len(), 1);
    let id = added.id.clone();
    run(&mut dom, async move {
        user.prepare_identifier_verification(Strategy::EmailCode, &id)
            .await
    })
    .await
    .expect("sent");
    let code = server.code_for(EMAIL).await;
    let id = added.id.clone();
    run(&mut dom, async move {
        user.attempt_identifier_verification(Strategy::EmailCode, &id, &code)
            .await
    })
    .await
    .expect("verified");
    let page = dioxus_ssr::render(&dom);
    assert!(page.contains(EMAIL) && page.contains("Primary"), "{page}");
    assert!(!page.contains("Unverified"), "{page}");

    // Eleven minutes later, removing the phone number needs a fresh code: the error says so
    // in the user's words, and reverifying lets it through.
    clock.advance(Duration::from_secs(11 * 60));
    let phone_id = dom.in_runtime(|| user.user()).expect("user").phone_numbers[0]
        .id
        .clone();
    let id = phone_id.clone();
    let refused = run(&mut dom, async move {
        user.remove_identifier(Strategy::PhoneCode, &id).await
    })
    .await
    .expect_err("too long since the last code");
    assert_eq!(
        refused.code,
        Some(otp_dioxus::ErrorCode::SessionReverificationRequired)
    );
    assert!(
        refused.to_string().contains("confirm it's you"),
        "{refused}"
    );
    let started = run(&mut dom, async move { user.reverify().await })
        .await
        .expect("reverify");
    // By phone (both identifiers were verified at the same instant of the test's clock).
    let factor = started
        .supported_first_factors
        .expect("factors")
        .into_iter()
        .find(|f| f.strategy == Strategy::PhoneCode)
        .expect("the phone");
    run(&mut dom, async move {
        user.prepare_reverification(&factor).await
    })
    .await
    .expect("sent");
    let code = server.code_for(PHONE).await;
    run(&mut dom, async move {
        user.attempt_reverification(Strategy::PhoneCode, &code)
            .await
    })
    .await
    .expect("reverified");
    run(&mut dom, async move {
        user.remove_identifier(Strategy::PhoneCode, &phone_id).await
    })
    .await
    .expect("removed");
    let shown = dom.in_runtime(|| user.user()).expect("user");
    assert!(shown.phone_numbers.is_empty());
    assert!(dom.in_runtime(|| auth.is_signed_in()), "still signed in");
}
