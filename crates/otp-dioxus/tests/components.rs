//! The prebuilt screens rendered without a window (`VirtualDom` + `dioxus-ssr`) under a store in
//! a given state, in each of the three languages: labels tied to their inputs, the attributes
//! that bring up the right mobile keyboard and autofill, errors announced.

use dioxus::prelude::*;
use otp_client::{ApiError, ErrorCode};
use otp_dioxus::*;
use std::sync::Arc;

#[derive(Props, Clone, PartialEq)]
struct RootProps {
    state: AuthState,
    locale: Locale,
    channel: Channel,
    sign_up: bool,
}

#[allow(non_snake_case)]
fn Root(props: RootProps) -> Element {
    let (state, locale) = (props.state.clone(), props.locale);
    use_context_provider(|| {
        let client = AuthClient::with(
            "http://127.0.0.1:9",
            MemoryTokenStore::new(),
            Strings::new(locale),
            otp_client::DEFAULT_TIMEOUT,
        );
        AuthStore::new(client, Arc::new(ManualClock::new(0)), state)
    });
    if props.sign_up {
        rsx! { components::SignUp { channel: props.channel } }
    } else {
        rsx! { components::SignIn { channel: props.channel } }
    }
}

fn render(state: AuthState, locale: Locale, channel: Channel, sign_up: bool) -> String {
    let mut dom = VirtualDom::new_with_props(
        Root,
        RootProps {
            state,
            locale,
            channel,
            sign_up,
        },
    );
    dom.rebuild_in_place();
    dioxus_ssr::render(&dom).replace("&#39;", "'")
}

fn signed_out(flow: Flow) -> AuthState {
    AuthState {
        phase: Phase::SignedOut(flow),
        ..AuthState::default()
    }
}

fn verifying() -> AuthState {
    let mut state = AuthState::default();
    state.code_sent(
        Pending {
            flow: Flow::SignIn,
            attempt_id: "sia_1".into(),
            channel: Channel::Phone,
            identifier_id: Some("idn_1".into()),
            identifier: "+12025550143".into(),
            masked: "+1********43".into(),
        },
        0,
    );
    state
}

const LOCALES: [(Locale, &str, &str, &str, &str); 3] = [
    // (locale, phone label, email label, code label, title)
    (
        Locale::En,
        "Phone number",
        "Email address",
        "Verification code",
        "Sign in",
    ),
    (
        Locale::Fr,
        "Numéro de téléphone",
        "Adresse e-mail",
        "Code de vérification",
        "Se connecter",
    ),
    (
        Locale::Es,
        "Número de teléfono",
        "Correo electrónico",
        "Código de verificación",
        "Iniciar sesión",
    ),
];

#[test]
fn the_phone_form_has_a_labelled_tel_input_in_each_language() {
    for (locale, phone, _, _, title) in LOCALES {
        let page = render(signed_out(Flow::SignIn), locale, Channel::Phone, false);
        assert!(
            page.contains(&format!("<h1>{title}</h1>")),
            "{locale:?}: {page}"
        );
        assert!(
            page.contains(&format!(r#"<label for="identifier">{phone}</label>"#)),
            "{page}"
        );
        for attribute in [
            r#"id="identifier""#,
            r#"type="tel""#,
            r#"autocomplete="tel""#,
            r#"inputmode="tel""#,
        ] {
            assert!(
                page.contains(attribute),
                "{locale:?} lacks {attribute}: {page}"
            );
        }
        assert!(page.contains(&format!(r#"lang="{}""#, locale.tag())));
    }
}

#[test]
fn the_email_form_has_a_labelled_email_input_in_each_language() {
    for (locale, _, email, _, _) in LOCALES {
        let page = render(signed_out(Flow::SignUp), locale, Channel::Email, true);
        assert!(
            page.contains(&format!(r#"<label for="identifier">{email}</label>"#)),
            "{page}"
        );
        for attribute in [
            r#"type="email""#,
            r#"autocomplete="email""#,
            r#"inputmode="email""#,
        ] {
            assert!(
                page.contains(attribute),
                "{locale:?} lacks {attribute}: {page}"
            );
        }
    }
}

#[test]
fn the_code_field_asks_for_a_one_time_code_on_a_numeric_keyboard() {
    for (locale, _, _, code, _) in LOCALES {
        let page = render(verifying(), locale, Channel::Phone, false);
        assert!(
            page.contains(&format!(r#"<label for="code">{code}</label>"#)),
            "{page}"
        );
        for attribute in [
            r#"id="code""#,
            r#"autocomplete="one-time-code""#,
            r#"inputmode="numeric""#,
        ] {
            assert!(
                page.contains(attribute),
                "{locale:?} lacks {attribute}: {page}"
            );
        }
        assert!(page.contains("+1********43"), "where the code went");
    }
}

#[test]
fn an_error_is_announced_next_to_its_field_in_each_language() {
    let api = ApiError {
        status: 422,
        code: ErrorCode::FormCodeIncorrect,
        message: String::new(),
        long_message: String::new(),
        param_name: Some("code".into()),
        retry_after_secs: None,
        remaining_attempts: Some(2),
    };
    let expected = [
        (Locale::En, "That code is incorrect. 2 attempts left."),
        (Locale::Fr, "Ce code est incorrect. Il reste 2 essais."),
        (Locale::Es, "Ese código es incorrecto. Quedan 2 intentos."),
    ];
    for (locale, sentence) in expected {
        let mut state = verifying();
        let error = otp_dioxus::Error::describe(
            &otp_client::Error::from(api.clone()),
            Context::Verify,
            &Strings::new(locale),
        );
        state.failed(error, 0);
        let page = render(state, locale, Channel::Phone, false);
        assert!(
            page.contains(&format!(
                r#"<p class="otp-error" id="code-error" role="alert">{sentence}"#
            )),
            "{locale:?}: {page}"
        );
        assert!(page.contains(r#"aria-describedby="code-error""#));
        assert!(
            page.contains(r#"aria-invalid=true"#) || page.contains(r#"aria-invalid="true""#),
            "{page}"
        );
    }
}

#[test]
fn an_app_replaces_a_sentence_without_forking() {
    #[component]
    fn Custom() -> Element {
        use_context_provider(|| {
            let strings = Strings::new(Locale::En).with(Text::Continue, "Text me a code");
            let client = AuthClient::with(
                "http://127.0.0.1:9",
                MemoryTokenStore::new(),
                strings,
                otp_client::DEFAULT_TIMEOUT,
            );
            AuthStore::new(
                client,
                Arc::new(ManualClock::new(0)),
                signed_out(Flow::SignIn),
            )
        });
        rsx! { components::SignIn {} }
    }
    let mut dom = VirtualDom::new(Custom);
    dom.rebuild_in_place();
    let page = dioxus_ssr::render(&dom);
    assert!(
        page.contains("Text me a code") && !page.contains(">Continue<"),
        "{page}"
    );
}
