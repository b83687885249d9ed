//! The provider and its store in a `VirtualDom` against a real `otp-server` on loopback: a
//! request outlives the screen that started it without holding up the next one, a request that
//! never gets an answer ends at its time limit with a way out, and a hook's call finishes even
//! when its screen goes away.

use dioxus::core::NoOpMutations;
use dioxus::prelude::*;
use otp_dioxus::*;
use otp_testkit::TestServer;
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

const PHONE: &str = "+12025550143";

/// A door in front of a server: connections wait behind it until it opens (a slow network).
struct Gate {
    url: String,
    open: watch::Sender<bool>,
    /// Connections that came to the door so far.
    arrived: Arc<AtomicUsize>,
}

impl Gate {
    async fn to(upstream: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let upstream = upstream.trim_start_matches("http://").to_owned();
        let (open, opened) = watch::channel(false);
        let arrived = Arc::new(AtomicUsize::new(0));
        let counter = arrived.clone();
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                let (mut opened, upstream) = (opened.clone(), upstream.clone());
                tokio::spawn(async move {
                    let _ = opened.wait_for(|open| *open).await;
                    if let Ok(mut outbound) = TcpStream::connect(&upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        });
        Self { url, open, arrived }
    }

    fn open(&self) {
        let _ = self.open.send(true);
    }
}

/// Where the test finds the store of the provider it rendered.
type Slot = Rc<RefCell<Option<AuthStore>>>;

#[derive(Props, Clone, PartialEq)]
struct RootProps {
    api_url: String,
    timeout: Duration,
    /// A token saved by an earlier run, if any.
    saved: Option<String>,
}

#[allow(non_snake_case)]
fn Root(props: RootProps) -> Element {
    let memory = MemoryTokenStore::new();
    if let Some(token) = &props.saved {
        memory.save(token).expect("memory");
    }
    let tokens: Arc<dyn TokenStore> = memory;
    rsx! {
        AuthProvider {
            api_url: props.api_url,
            token_store: tokens,
            locale: Locale::En,
            request_timeout: props.timeout,
            Grab {}
            SignedOut { components::SignIn {} }
        }
    }
}

/// Hands the provider's store to the test.
#[component]
fn Grab() -> Element {
    let store = use_auth_store();
    consume_context::<Slot>().replace(Some(store));
    rsx! {}
}

fn html(dom: &VirtualDom) -> String {
    dioxus_ssr::render(dom).replace("&#39;", "'")
}

/// Runs the DOM's tasks and renders until `done` holds for its HTML, for at most `limit`.
async fn run_until(dom: &mut VirtualDom, limit: Duration, done: impl Fn(&str) -> bool) -> String {
    // In steps of at most 50 ms of waiting (the time itself is read nowhere: see clippy.toml).
    let steps = limit.as_millis().div_ceil(50);
    for _ in 0..steps {
        dom.render_immediate(&mut NoOpMutations);
        if done(&html(dom)) {
            break;
        }
        let _ = tokio::time::timeout(Duration::from_millis(50), dom.wait_for_work()).await;
    }
    dom.render_immediate(&mut NoOpMutations);
    html(dom)
}

fn render(api_url: &str, timeout: Duration, saved: Option<&str>) -> (VirtualDom, AuthStore) {
    let slot: Slot = Rc::default();
    let mut dom = VirtualDom::new_with_props(
        Root,
        RootProps {
            api_url: api_url.into(),
            timeout,
            saved: saved.map(Into::into),
        },
    )
    .with_root_context(slot.clone());
    dom.rebuild_in_place();
    let store = slot.borrow().expect("the provider's store");
    (dom, store)
}

#[tokio::test]
async fn leaving_a_form_while_its_request_is_slow_leaves_the_next_form_usable() {
    // No wait between codes to one number: the sign-up below follows the sign-in at once.
    let server = TestServer::builder()
        .system_clock()
        .configure(|c| c.policy.send_interval_secs = 0)
        .spawn()
        .await;
    let gate = Gate::to(&server.base_url).await;
    let (mut dom, store) = render(&gate.url, Duration::from_secs(15), None);
    let page = run_until(&mut dom, Duration::from_secs(10), |p| {
        p.contains("<h1>Sign in</h1>")
    })
    .await;
    assert!(page.contains("<h1>Sign in</h1>"), "{page}");

    // Continue on sign-in, and "Sign up" before the answer comes.
    dom.in_runtime(|| store.start(Flow::SignIn, PHONE.into(), Channel::Phone));
    let page = run_until(&mut dom, Duration::from_millis(300), |_| false).await;
    assert!(
        page.contains("Sending code…"),
        "the request is in flight: {page}"
    );
    dom.in_runtime(|| store.switch_flow(Flow::SignUp));
    let page = run_until(&mut dom, Duration::from_millis(300), |_| false).await;
    assert!(page.contains("<h1>Sign up</h1>"), "{page}");
    assert!(
        page.contains("Continue")
            && !page.contains("Sending code…")
            && !page.contains("disabled=true"),
        "the sign-up form is usable at once: {page}"
    );

    // The user goes on with the sign-up while the sign-in still waits: the device has no client
    // on the server yet, so the sign-up waits for the sign-in's answer (which makes one), and
    // then goes out as the same client.
    dom.in_runtime(|| store.start(Flow::SignUp, PHONE.into(), Channel::Phone));
    let page = run_until(&mut dom, Duration::from_millis(300), |_| false).await;
    assert!(page.contains("Sending code…"), "{page}");
    gate.open();
    let page = run_until(&mut dom, Duration::from_secs(10), |p| {
        p.contains("Verify your phone number")
    })
    .await;
    assert!(
        page.contains("Verify your phone number") && page.contains("Change phone number"),
        "the sign-up's code entry, not the sign-in's: {page}"
    );
    assert!(!page.contains("No code?"), "a sign-up's code entry: {page}");

    // And its code signs the user in.
    let code = server.code_for(PHONE).await;
    dom.in_runtime(|| store.verify(code));
    let signed_in = run_until(&mut dom, Duration::from_secs(10), |_| {
        store.state().peek().session().is_some()
    })
    .await;
    assert!(
        store.state().peek().session().is_some(),
        "signed in with the sign-up's code: {signed_in}"
    );
}

#[tokio::test]
async fn a_request_that_never_gets_an_answer_ends_at_its_time_limit_with_try_again() {
    // Accepts connections and never answers.
    let silent = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", silent.local_addr().expect("addr"));
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            open.push(socket);
        }
    });
    // At start, the check of a saved token is the first request that gets no answer.
    let (mut dom, store) = render(&url, Duration::from_secs(1), Some("a_saved_token"));
    let page = run_until(&mut dom, Duration::from_secs(5), |p| {
        p.contains("Can't reach")
    })
    .await;
    assert!(
        page.contains("Can't reach the server") && page.contains("Try again"),
        "not stuck on Loading: {page}"
    );

    // Past it, a Continue that gets no answer gives the form back, with the message.
    let (mut dom, store2) = render(&url, Duration::from_secs(1), None);
    let _ = store;
    let page = run_until(&mut dom, Duration::from_secs(5), |p| {
        p.contains("<h1>Sign in</h1>")
    })
    .await;
    assert!(page.contains("<h1>Sign in</h1>"), "{page}");
    dom.in_runtime(|| store2.start(Flow::SignIn, PHONE.into(), Channel::Phone));
    let page = run_until(&mut dom, Duration::from_millis(300), |_| false).await;
    assert!(page.contains("Sending code…"), "{page}");
    let page = run_until(&mut dom, Duration::from_secs(5), |p| {
        p.contains("Can't reach")
    })
    .await;
    assert!(
        page.contains("Can't reach the server. Check your connection and try again.")
            && page.contains("Try again")
            && page.contains("Continue")
            && !page.contains("Sending code…"),
        "{page}"
    );
    held.abort();
}

#[derive(Props, Clone, PartialEq)]
struct HookRootProps {
    api_url: String,
}

#[allow(non_snake_case)]
fn HookRoot(props: HookRootProps) -> Element {
    let tokens: Arc<dyn TokenStore> = MemoryTokenStore::new();
    let shown = consume_context::<Signal<bool>>();
    rsx! {
        AuthProvider { api_url: props.api_url, token_store: tokens, locale: Locale::En,
            Grab {}
            if shown() { StartsASignUp {} }
        }
    }
}

/// A screen of the app's own that starts a sign-up as it opens.
#[component]
fn StartsASignUp() -> Element {
    let sign_up = use_sign_up();
    use_hook(move || {
        spawn(async move {
            let _ = sign_up.create_phone(PHONE).await;
        })
    });
    rsx! { p { "signing up" } }
}

#[tokio::test]
async fn a_hook_call_finishes_even_when_its_screen_goes_away() {
    let server = TestServer::builder().system_clock().spawn().await;
    let gate = Gate::to(&server.base_url).await;
    let slot: Slot = Rc::default();
    let mut dom = VirtualDom::new_with_props(
        HookRoot,
        HookRootProps {
            api_url: gate.url.clone(),
        },
    )
    .with_root_context(slot.clone());
    let shown = dom.in_runtime(|| Signal::new_in_scope(true, ScopeId::ROOT));
    dom.provide_root_context(shown);
    dom.rebuild_in_place();
    let store = slot.borrow().expect("store");
    let page = run_until(&mut dom, Duration::from_secs(5), |_| {
        gate.arrived.load(Ordering::SeqCst) > 0
    })
    .await;
    assert!(page.contains("signing up"));
    assert_eq!(
        gate.arrived.load(Ordering::SeqCst),
        1,
        "the sign-up is at the door"
    );

    // The screen closes while its sign-up waits behind the gate; then the network comes back.
    dom.in_runtime(|| shown.clone().set(false));
    let page = run_until(&mut dom, Duration::from_millis(200), |_| false).await;
    assert!(!page.contains("signing up"));
    gate.open();
    let created = async {
        loop {
            if store.client().sdk().sign_up().current().is_some() {
                return;
            }
            let _ = tokio::time::timeout(Duration::from_millis(50), dom.wait_for_work()).await;
            dom.render_immediate(&mut NoOpMutations);
        }
    };
    tokio::time::timeout(Duration::from_secs(10), created)
        .await
        .expect("the sign-up reached the server and its answer was kept");
    let sign_up = store.client().sdk().sign_up().current().expect("sign-up");
    assert_eq!(sign_up.phone_number.as_deref(), Some(PHONE));
}
