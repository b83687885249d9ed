//! The texts of messages, per language: built-in English, French and Spanish, overridable from
//! a directory (`<lang>/subject.txt`, `<lang>/body.txt`, `<lang>/body.html`, and for the notice
//! of a sign-up with a taken identifier `<lang>/notice_sms.txt`, `notice_subject.txt`,
//! `notice_body.txt`, `notice_body.html`; for the notices of an identifier added to or removed
//! from an account, the same four with the prefix `added_` or `removed_`, where
//! `{{ identifier }}` is the one that changed, masked). Rendered with minijinja; HTML bodies are
//! auto-escaped.

use super::{Message, MessageKind};
use anyhow::Context;
use minijinja::{Environment, context};
use std::path::Path;

/// Languages with built-in texts; any other falls back to English.
const BUILT_IN: &[(&str, [&str; 4])] = &[
    (
        "en",
        [
            "{{ code }} is your {{ app_name }} verification code. It expires in {{ minutes }} minutes.",
            "Your {{ app_name }} verification code",
            "Your {{ app_name }} verification code is {{ code }}.\n\nIt expires in {{ minutes }} minutes. If you did not ask for it, you can ignore this email.\n",
            "<p>Your {{ app_name }} verification code is</p><p style=\"font-size:28px;font-weight:bold;letter-spacing:4px\">{{ code }}</p><p>It expires in {{ minutes }} minutes. If you did not ask for it, you can ignore this email.</p>",
        ],
    ),
    (
        "fr",
        [
            "{{ code }} est votre code de vérification {{ app_name }}. Il expire dans {{ minutes }} minutes.",
            "Votre code de vérification {{ app_name }}",
            "Votre code de vérification {{ app_name }} est {{ code }}.\n\nIl expire dans {{ minutes }} minutes. Si vous ne l'avez pas demandé, ignorez cet e-mail.\n",
            "<p>Votre code de vérification {{ app_name }} est</p><p style=\"font-size:28px;font-weight:bold;letter-spacing:4px\">{{ code }}</p><p>Il expire dans {{ minutes }} minutes. Si vous ne l'avez pas demandé, ignorez cet e-mail.</p>",
        ],
    ),
    (
        "es",
        [
            "{{ code }} es tu código de verificación de {{ app_name }}. Caduca en {{ minutes }} minutos.",
            "Tu código de verificación de {{ app_name }}",
            "Tu código de verificación de {{ app_name }} es {{ code }}.\n\nCaduca en {{ minutes }} minutos. Si no lo pediste, ignora este correo.\n",
            "<p>Tu código de verificación de {{ app_name }} es</p><p style=\"font-size:28px;font-weight:bold;letter-spacing:4px\">{{ code }}</p><p>Caduca en {{ minutes }} minutos. Si no lo pediste, ignora este correo.</p>",
        ],
    ),
];

/// The notice sent to the owner of an identifier someone tried to sign up with (enumeration
/// protection: the sign-up proceeds as for a new identifier, and no code is sent).
const NOTICE_BUILT_IN: &[(&str, [&str; 4])] = &[
    (
        "en",
        [
            "Someone tried to sign up for {{ app_name }} with this number, which already has an account. If it was you, sign in instead; if not, you can ignore this message.",
            "Someone tried to sign up for {{ app_name }} with your email address",
            "Someone tried to create a {{ app_name }} account with this email address, which already has one. No account was created and nothing was changed.\n\nIf it was you, sign in instead. If not, you can ignore this email.\n",
            "<p>Someone tried to create a {{ app_name }} account with this email address, which already has one. No account was created and nothing was changed.</p><p>If it was you, sign in instead. If not, you can ignore this email.</p>",
        ],
    ),
    (
        "fr",
        [
            "Quelqu'un a tenté de créer un compte {{ app_name }} avec ce numéro, qui en a déjà un. Si c'était vous, connectez-vous plutôt ; sinon, ignorez ce message.",
            "Tentative d'inscription à {{ app_name }} avec votre adresse e-mail",
            "Quelqu'un a tenté de créer un compte {{ app_name }} avec cette adresse e-mail, qui en a déjà un. Aucun compte n'a été créé et rien n'a été modifié.\n\nSi c'était vous, connectez-vous plutôt. Sinon, ignorez cet e-mail.\n",
            "<p>Quelqu'un a tenté de créer un compte {{ app_name }} avec cette adresse e-mail, qui en a déjà un. Aucun compte n'a été créé et rien n'a été modifié.</p><p>Si c'était vous, connectez-vous plutôt. Sinon, ignorez cet e-mail.</p>",
        ],
    ),
    (
        "es",
        [
            "Alguien intentó registrarse en {{ app_name }} con este número, que ya tiene una cuenta. Si fuiste tú, inicia sesión; si no, ignora este mensaje.",
            "Intento de registro en {{ app_name }} con tu correo",
            "Alguien intentó crear una cuenta de {{ app_name }} con esta dirección de correo, que ya tiene una. No se creó ninguna cuenta ni se cambió nada.\n\nSi fuiste tú, inicia sesión. Si no, ignora este correo.\n",
            "<p>Alguien intentó crear una cuenta de {{ app_name }} con esta dirección de correo, que ya tiene una. No se creó ninguna cuenta ni se cambió nada.</p><p>Si fuiste tú, inicia sesión. Si no, ignora este correo.</p>",
        ],
    ),
];

/// The notice to an account's other identifiers that one was added.
const ADDED_BUILT_IN: &[(&str, [&str; 4])] = &[
    (
        "en",
        [
            "{{ identifier }} was added to your {{ app_name }} account to sign in with. If this wasn't you, sign in, remove it and sign out of your other devices.",
            "A way to sign in was added to your {{ app_name }} account",
            "{{ identifier }} was added to your {{ app_name }} account: it can now be used to sign in.\n\nIf this wasn't you, sign in, remove it, and sign out of your other devices.\n",
            "<p><strong>{{ identifier }}</strong> was added to your {{ app_name }} account: it can now be used to sign in.</p><p>If this wasn't you, sign in, remove it, and sign out of your other devices.</p>",
        ],
    ),
    (
        "fr",
        [
            "{{ identifier }} a été ajouté à votre compte {{ app_name }} pour vous connecter. Si ce n'était pas vous, connectez-vous, supprimez-le et déconnectez vos autres appareils.",
            "Un moyen de connexion a été ajouté à votre compte {{ app_name }}",
            "{{ identifier }} a été ajouté à votre compte {{ app_name }} : il permet désormais de se connecter.\n\nSi ce n'était pas vous, connectez-vous, supprimez-le et déconnectez vos autres appareils.\n",
            "<p><strong>{{ identifier }}</strong> a été ajouté à votre compte {{ app_name }} : il permet désormais de se connecter.</p><p>Si ce n'était pas vous, connectez-vous, supprimez-le et déconnectez vos autres appareils.</p>",
        ],
    ),
    (
        "es",
        [
            "Se añadió {{ identifier }} a tu cuenta de {{ app_name }} para iniciar sesión. Si no fuiste tú, inicia sesión, quítalo y cierra la sesión en tus otros dispositivos.",
            "Se añadió una forma de iniciar sesión a tu cuenta de {{ app_name }}",
            "Se añadió {{ identifier }} a tu cuenta de {{ app_name }}: ya sirve para iniciar sesión.\n\nSi no fuiste tú, inicia sesión, quítalo y cierra la sesión en tus otros dispositivos.\n",
            "<p>Se añadió <strong>{{ identifier }}</strong> a tu cuenta de {{ app_name }}: ya sirve para iniciar sesión.</p><p>Si no fuiste tú, inicia sesión, quítalo y cierra la sesión en tus otros dispositivos.</p>",
        ],
    ),
];

/// The notice to an account's other identifiers that one was removed.
const REMOVED_BUILT_IN: &[(&str, [&str; 4])] = &[
    (
        "en",
        [
            "{{ identifier }} was removed from your {{ app_name }} account. If this wasn't you, sign in and check your account and its devices.",
            "A way to sign in was removed from your {{ app_name }} account",
            "{{ identifier }} was removed from your {{ app_name }} account: it can no longer be used to sign in.\n\nIf this wasn't you, sign in and check your account and its devices.\n",
            "<p><strong>{{ identifier }}</strong> was removed from your {{ app_name }} account: it can no longer be used to sign in.</p><p>If this wasn't you, sign in and check your account and its devices.</p>",
        ],
    ),
    (
        "fr",
        [
            "{{ identifier }} a été retiré de votre compte {{ app_name }}. Si ce n'était pas vous, connectez-vous et vérifiez votre compte et ses appareils.",
            "Un moyen de connexion a été retiré de votre compte {{ app_name }}",
            "{{ identifier }} a été retiré de votre compte {{ app_name }} : il ne permet plus de se connecter.\n\nSi ce n'était pas vous, connectez-vous et vérifiez votre compte et ses appareils.\n",
            "<p><strong>{{ identifier }}</strong> a été retiré de votre compte {{ app_name }} : il ne permet plus de se connecter.</p><p>Si ce n'était pas vous, connectez-vous et vérifiez votre compte et ses appareils.</p>",
        ],
    ),
    (
        "es",
        [
            "Se quitó {{ identifier }} de tu cuenta de {{ app_name }}. Si no fuiste tú, inicia sesión y revisa tu cuenta y sus dispositivos.",
            "Se quitó una forma de iniciar sesión de tu cuenta de {{ app_name }}",
            "Se quitó {{ identifier }} de tu cuenta de {{ app_name }}: ya no sirve para iniciar sesión.\n\nSi no fuiste tú, inicia sesión y revisa tu cuenta y sus dispositivos.\n",
            "<p>Se quitó <strong>{{ identifier }}</strong> de tu cuenta de {{ app_name }}: ya no sirve para iniciar sesión.</p><p>Si no fuiste tú, inicia sesión y revisa tu cuenta y sus dispositivos.</p>",
        ],
    ),
];

/// The template names of one language.
const PARTS: [&str; 4] = ["sms.txt", "subject.txt", "body.txt", "body.html"];

/// The template names of the sign-up notice, in the same order.
const NOTICE_PARTS: [&str; 4] = [
    "notice_sms.txt",
    "notice_subject.txt",
    "notice_body.txt",
    "notice_body.html",
];

/// The template names of the notice of an added identifier.
const ADDED_PARTS: [&str; 4] = [
    "added_sms.txt",
    "added_subject.txt",
    "added_body.txt",
    "added_body.html",
];

/// The template names of the notice of a removed identifier.
const REMOVED_PARTS: [&str; 4] = [
    "removed_sms.txt",
    "removed_subject.txt",
    "removed_body.txt",
    "removed_body.html",
];

/// The message texts.
#[derive(Debug)]
pub struct Texts {
    env: Environment<'static>,
    app_name: String,
    sms_domain: Option<String>,
}

impl Texts {
    /// The built-in texts, with overrides from `dir` when given.
    pub fn load(
        app_name: String,
        dir: Option<&Path>,
        sms_domain: Option<String>,
    ) -> anyhow::Result<Self> {
        let mut env = Environment::new();
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".html") {
                minijinja::AutoEscape::Html
            } else {
                minijinja::AutoEscape::None
            }
        });
        for (built_in, names) in [
            (BUILT_IN, PARTS),
            (NOTICE_BUILT_IN, NOTICE_PARTS),
            (ADDED_BUILT_IN, ADDED_PARTS),
            (REMOVED_BUILT_IN, REMOVED_PARTS),
        ] {
            for (lang, parts) in built_in {
                for (part, source) in names.iter().zip(parts) {
                    env.add_template_owned(format!("{lang}/{part}"), (*source).to_owned())?;
                }
            }
        }
        if let Some(dir) = dir {
            for entry in
                std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))?
            {
                let lang_dir = entry?.path();
                let Some(lang) = lang_dir
                    .file_name()
                    .and_then(|n| n.to_str())
                    .map(str::to_owned)
                else {
                    continue;
                };
                if !lang_dir.is_dir() {
                    continue;
                }
                let every_part = PARTS
                    .into_iter()
                    .chain(NOTICE_PARTS)
                    .chain(ADDED_PARTS)
                    .chain(REMOVED_PARTS);
                for part in every_part {
                    let path = lang_dir.join(part);
                    if path.exists() {
                        let source = std::fs::read_to_string(&path)
                            .with_context(|| format!("reading {}", path.display()))?;
                        env.add_template_owned(format!("{lang}/{part}"), source)
                            .with_context(|| format!("template {}", path.display()))?;
                    }
                }
            }
        }
        Ok(Self {
            env,
            app_name,
            sms_domain,
        })
    }

    fn render(&self, message: &Message, part: usize) -> anyhow::Result<String> {
        let part = match message.kind {
            MessageKind::SignUpAttempt => NOTICE_PARTS[part],
            MessageKind::IdentifierAdded => ADDED_PARTS[part],
            MessageKind::IdentifierRemoved => REMOVED_PARTS[part],
            MessageKind::Code | MessageKind::Decoy => PARTS[part],
        };
        let lang = message.locale.as_deref().unwrap_or("en");
        let name = format!("{lang}/{part}");
        let template = self
            .env
            .get_template(&name)
            .or_else(|_| self.env.get_template(&format!("en/{part}")))?;
        Ok(template.render(context! {
            code => message.code,
            identifier => message.code,
            app_name => self.app_name,
            minutes => message.minutes,
        })?)
    }

    /// The text of an SMS, ending with the origin-bound line `@<domain> #<code>` when a domain
    /// is configured (WebOTP, iOS and Android autofill).
    pub fn sms(&self, message: &Message) -> anyhow::Result<String> {
        let mut body = self.render(message, 0)?;
        if let (Some(domain), MessageKind::Code) = (&self.sms_domain, message.kind) {
            body.push_str(&format!("\n\n@{domain} #{}", message.code));
        }
        Ok(body)
    }

    /// Subject, plain text and HTML of an email.
    pub fn email(&self, message: &Message) -> anyhow::Result<(String, String, String)> {
        Ok((
            self.render(message, 1)?,
            self.render(message, 2)?,
            self.render(message, 3)?,
        ))
    }
}

/// The primary language subtag of an `Accept-Language` header (`fr-CA,fr;q=0.9` → `fr`).
pub fn language(accept_language: &str) -> Option<String> {
    let first = accept_language.split(',').next()?.split(';').next()?.trim();
    let primary = first.split('-').next()?.to_ascii_lowercase();
    (primary.len() >= 2 && primary.len() <= 8 && primary.bytes().all(|b| b.is_ascii_alphabetic()))
        .then_some(primary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use otp_proto::dev::Channel;

    fn message(locale: Option<&str>) -> Message {
        Message {
            channel: Channel::Email,
            to: "jane@example.com".into(),
            code: "123456".into(),
            expires_at: 0,
            minutes: 10,
            locale: locale.map(Into::into),
            kind: MessageKind::Code,
        }
    }

    #[test]
    fn the_sign_up_notice_has_no_code_in_every_built_in_language() {
        let texts = Texts::load("Acme".into(), None, Some("acme.example".into())).expect("texts");
        for (lang, phrase) in [
            ("en", "Someone tried"),
            ("fr", "Quelqu'un a tenté"),
            ("es", "Alguien intentó"),
        ] {
            let notice = Message {
                code: String::new(),
                kind: MessageKind::SignUpAttempt,
                ..message(Some(lang))
            };
            let (subject, text, html) = texts.email(&notice).expect("render");
            assert!(
                subject.contains("Acme") && text.starts_with(phrase),
                "{lang}: {text}"
            );
            assert!(html.contains(phrase.split('\'').next().unwrap_or(phrase)));
            let sms = texts
                .sms(&Message {
                    channel: Channel::Sms,
                    ..notice
                })
                .expect("render");
            assert!(
                sms.starts_with(phrase) && !sms.contains('#'),
                "{lang}: {sms}"
            );
        }
    }

    #[test]
    fn texts_follow_the_language_and_fall_back_to_english() {
        let texts = Texts::load("Acme".into(), None, None).expect("texts");
        let (subject, text, html) = texts.email(&message(Some("fr"))).expect("render");
        assert_eq!(subject, "Votre code de vérification Acme");
        assert!(text.contains("123456") && text.contains("10 minutes"));
        assert!(html.contains("123456"));
        let (subject, _, _) = texts.email(&message(Some("xx"))).expect("render");
        assert_eq!(subject, "Your Acme verification code");
    }

    #[test]
    fn html_is_escaped_and_sms_ends_with_the_webotp_line() {
        let texts =
            Texts::load("<Acme & Co>".into(), None, Some("acme.example".into())).expect("texts");
        let (_, text, html) = texts.email(&message(None)).expect("render");
        assert!(text.contains("<Acme & Co>"));
        assert!(html.contains("&lt;Acme &amp; Co&gt;"));
        let sms = texts
            .sms(&Message {
                channel: Channel::Sms,
                ..message(None)
            })
            .expect("render");
        assert!(sms.starts_with("123456 is your <Acme & Co> verification code."));
        assert!(sms.ends_with("\n\n@acme.example #123456"));
    }

    #[test]
    fn templates_can_be_overridden_from_a_directory() {
        let dir = tempfile::tempdir().expect("dir");
        std::fs::create_dir(dir.path().join("de")).expect("mkdir");
        std::fs::write(dir.path().join("de/subject.txt"), "Ihr {{ app_name }}-Code")
            .expect("write");
        let texts = Texts::load("Acme".into(), Some(dir.path()), None).expect("texts");
        let (subject, text, _) = texts.email(&message(Some("de"))).expect("render");
        assert_eq!(subject, "Ihr Acme-Code");
        assert!(
            text.starts_with("Your Acme verification code is 123456"),
            "missing parts fall back to English"
        );
    }

    #[test]
    fn accept_language_gives_the_primary_language() {
        assert_eq!(language("fr-CA,fr;q=0.9,en;q=0.8").as_deref(), Some("fr"));
        assert_eq!(language("ES").as_deref(), Some("es"));
        assert_eq!(language("*"), None);
        assert_eq!(language(""), None);
    }
}
