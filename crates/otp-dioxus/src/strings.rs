//! Every sentence the components and errors show, in English, French and Spanish, chosen from the
//! system's language unless the app names one; an app can replace any of them
//! ([`Strings::with`]). Sentences with a value to fill in name it in braces: `{n}`, `{to}`.

use std::collections::HashMap;
use std::sync::Arc;

/// A language the crate speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Locale {
    /// English.
    #[default]
    En,
    /// French.
    Fr,
    /// Spanish.
    Es,
}

impl Locale {
    /// The locale of a BCP 47 tag (`fr-CA`, `es`, `en-US`): its language if the crate speaks it,
    /// else English.
    ///
    /// ```
    /// use otp_dioxus::Locale;
    /// assert_eq!(Locale::from_tag("fr-CA"), Locale::Fr);
    /// assert_eq!(Locale::from_tag("es_MX.UTF-8"), Locale::Es);
    /// assert_eq!(Locale::from_tag("de-DE"), Locale::En);
    /// ```
    pub fn from_tag(tag: &str) -> Self {
        let language = tag
            .split(['-', '_', '.'])
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        match language.as_str() {
            "fr" => Self::Fr,
            "es" => Self::Es,
            _ => Self::En,
        }
    }

    /// The system's language: the OS locale on native, `navigator.language` on the web.
    pub fn system() -> Self {
        sys_locale::get_locale().map_or(Self::En, |tag| Self::from_tag(&tag))
    }

    /// The BCP 47 language tag, for the `lang` attribute.
    pub fn tag(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Fr => "fr",
            Self::Es => "es",
        }
    }
}

/// The name of each sentence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Text {
    /// English: "Sign up".
    SignUpTitle,
    /// English: "Create your account with a one-time code. No password needed.".
    SignUpLead,
    /// English: "Have an account?".
    SignUpQuestion,
    /// English: "Sign up".
    SignUpLink,
    /// English: "Sign in".
    SignInTitle,
    /// English: "We'll send you a one-time code.".
    SignInLead,
    /// English: "Don't have an account?".
    SignInQuestion,
    /// English: "Sign in".
    SignInLink,
    /// English: "Phone number".
    PhoneLabel,
    /// English: "+1 202 555 0143".
    PhonePlaceholder,
    /// English: "Email address".
    EmailLabel,
    /// English: "you@example.com".
    EmailPlaceholder,
    /// English: "Use email instead".
    UseEmail,
    /// English: "Use phone instead".
    UsePhone,
    /// English: "Continue".
    Continue,
    /// English: "Sending code…".
    SendingCode,
    /// English: "Verify your phone number".
    VerifyPhoneTitle,
    /// English: "Verify your email".
    VerifyEmailTitle,
    /// English: "Enter the 6-digit code we sent to {to}.".
    /// `{to}`: the masked phone number or address.
    CodeSentTo,
    /// English: "Verification code".
    CodeLabel,
    /// English: "Verify".
    Verify,
    /// English: "Verifying…".
    Verifying,
    /// English: "Resend code".
    ResendCode,
    /// English: "Resend code in {n} s".
    /// `{n}`: seconds.
    ResendCodeIn,
    /// English: "Sending…".
    Resending,
    /// English: "Change phone number".
    ChangePhone,
    /// English: "Use a different email".
    ChangeEmail,
    /// English: "No code? Check the number, or create an account if you don't have one yet.".
    NoCodePhone,
    /// English: "No code? Check the address and your spam folder, or create an account if you don't have one yet.".
    NoCodeEmail,
    /// English: "We couldn't deliver the text message to {to}. Send a new code, or change it.".
    /// `{to}`: the masked phone number.
    DeliveryFailedPhone,
    /// English: "We couldn't deliver the email to {to}. Send a new code, or change it.".
    /// `{to}`: the masked address.
    DeliveryFailedEmail,
    /// English: "Create an account instead".
    SignUpInstead,
    /// English: "Sign in instead".
    SignInInstead,
    /// English: "Send a new code".
    SendNewCode,
    /// English: "Try again".
    TryAgain,
    /// English: "Start again".
    StartAgain,
    /// English: "Sign out".
    SignOut,
    /// English: "Signing out…".
    SigningOut,
    /// English: "Loading…".
    Loading,
    /// English: "You will be signed out when the app closes: {reason}".
    /// `{reason}`: what the keychain said.
    KeychainWarning,
    /// English: "Last code to {to}: {code}".
    /// `{to}`, `{code}`: where the dev server "sent" its last code, and the code.
    DevCode,
    /// English: "Can't reach the server. Check your connection and try again.".
    Unreachable,
    /// English: "Something went wrong. Please try again.".
    Unexpected,
    /// English: "Enter the 6-digit code.".
    EnterCode,
    /// English: "Enter your phone number.".
    EnterPhone,
    /// English: "Enter your email address.".
    EnterEmail,
    /// English: "Enter the 6-digit code from the message.".
    CodeFormat,
    /// English: "That phone number isn't valid. Include the country code, like +1 202 555 0143.".
    PhoneInvalid,
    /// English: "That email address isn't valid. Check it and try again.".
    EmailInvalid,
    /// English: "Something in the form isn't valid. Check it and try again.".
    FormInvalid,
    /// English: "An account with this phone number already exists.".
    PhoneExists,
    /// English: "An account with this email address already exists.".
    EmailExists,
    /// English: "No account uses this phone number.".
    PhoneNotFound,
    /// English: "No account uses this email address.".
    EmailNotFound,
    /// English: "That code is incorrect.".
    CodeIncorrect,
    /// English: "That code is incorrect. 1 attempt left.".
    CodeIncorrectOneLeft,
    /// English: "That code is incorrect. {n} attempts left.".
    /// `{n}`: attempts left (2 or more).
    CodeIncorrectLeft,
    /// English: "This code has expired. Send a new code.".
    CodeExpired,
    /// English: "Too many incorrect attempts. Send a new code.".
    TooManyAttempts,
    /// English: "This code was already used. Start again.".
    CodeAlreadyUsed,
    /// English: "This account can't receive a code by phone.".
    PhoneStrategyInvalid,
    /// English: "This account can't receive a code by email.".
    EmailStrategyInvalid,
    /// English: "Too many requests. Try again in 1 second.".
    TooManyRequestsOneSecond,
    /// English: "Too many requests. Try again in {n} seconds.".
    /// `{n}`: seconds (2 or more).
    TooManyRequestsIn,
    /// English: "Too many requests. Try again later.".
    TooManyRequestsLater,
    /// English: "Too many incorrect codes. This account is locked for 1 minute.".
    LockedOneMinute,
    /// English: "Too many incorrect codes. This account is locked for {n} minutes.".
    /// `{n}`: minutes (2 or more).
    LockedFor,
    /// English: "Too many incorrect codes. This account is locked for a while.".
    LockedLater,
    /// English: "This sign-in attempt has expired. Start again.".
    AttemptExpired,
    /// English: "Your session has ended. Sign in again.".
    SessionEnded,
    /// English: "That is too long. Check it and try again.".
    TooLong,
    /// English: "The sign-in server doesn't accept requests from this web address. Its operator must allow it (--allowed-origin).".
    OriginInvalid,
    /// English: "Something went wrong on the server. Try again in a moment.".
    ServerError,
    /// English: "For your security, confirm it's you with a new code, then retry.".
    ReverificationRequired,
    /// English: "The connection was too slow to send the request. Try again.".
    RequestTimeout,
    /// English: "The sign-in server doesn't support this request. Update the app, or tell its developer.".
    MethodNotAllowed,
    /// English: "Your devices".
    DevicesTitle,
    /// English: "This device".
    ThisDevice,
    /// `{app}`: the browser or app; `{device}`: the system.
    /// English: "{app} on {device}".
    DeviceLine,
    /// English: "Unknown device".
    UnknownDevice,
    /// English: "Sign out of all devices".
    SignOutEverywhere,
    /// English: "Delete account".
    DeleteAccountTitle,
    /// English: "Delete account…".
    DeleteAccount,
    /// English: "This deletes your account, with its phone numbers and email addresses, and signs you out on every device. It can't be undone.".
    DeleteAccountWarning,
    /// English: "Delete my account".
    DeleteAccountConfirm,
    /// English: "Cancel".
    Cancel,
    /// English: "Deleting…".
    Deleting,
    /// English: "Phone numbers and email addresses".
    IdentifiersTitle,
    /// English: "Primary".
    Primary,
    /// English: "Unverified".
    Unverified,
    /// English: "Make primary".
    MakePrimary,
    /// English: "Remove".
    Remove,
    /// English: "Add a phone number or email address".
    AddIdentifierLabel,
    /// English: "Add".
    Add,
    /// English: "Confirm it's you".
    ReverifyTitle,
    /// English: "For your security, enter the code we sent to {to}. Then we'll finish what you asked.".
    ReverifyLead,
    /// English: "Confirm".
    Confirm,
    /// English: "This is the only phone number or email address you can sign in with. Add and verify another one first.".
    LastIdentifier,
    /// English: "Verify it first: only a verified phone number or email address can be primary.".
    VerifyFirst,
    /// English: "This phone number or email address is already in use.".
    IdentifierInUse,
    /// `{to}`: a phone number or email address, masked.
    /// English: "Send the code to {to} instead".
    SendCodeInstead,
    /// English: "This account has been suspended. If you think this is a mistake, contact the app's support.".
    Banned,
    /// English: "The server refused this app's key. Contact the app's support.".
    KeyInvalid,
}

impl Text {
    /// Every key, for tests that go through them all.
    pub const ALL: [Text; 103] = [
        Text::SignUpTitle,
        Text::SignUpLead,
        Text::SignUpQuestion,
        Text::SignUpLink,
        Text::SignInTitle,
        Text::SignInLead,
        Text::SignInQuestion,
        Text::SignInLink,
        Text::PhoneLabel,
        Text::PhonePlaceholder,
        Text::EmailLabel,
        Text::EmailPlaceholder,
        Text::UseEmail,
        Text::UsePhone,
        Text::Continue,
        Text::SendingCode,
        Text::VerifyPhoneTitle,
        Text::VerifyEmailTitle,
        Text::CodeSentTo,
        Text::CodeLabel,
        Text::Verify,
        Text::Verifying,
        Text::ResendCode,
        Text::ResendCodeIn,
        Text::Resending,
        Text::ChangePhone,
        Text::ChangeEmail,
        Text::NoCodePhone,
        Text::NoCodeEmail,
        Text::DeliveryFailedPhone,
        Text::DeliveryFailedEmail,
        Text::SignUpInstead,
        Text::SignInInstead,
        Text::SendNewCode,
        Text::TryAgain,
        Text::StartAgain,
        Text::SignOut,
        Text::SigningOut,
        Text::Loading,
        Text::KeychainWarning,
        Text::DevCode,
        Text::Unreachable,
        Text::Unexpected,
        Text::EnterCode,
        Text::EnterPhone,
        Text::EnterEmail,
        Text::CodeFormat,
        Text::PhoneInvalid,
        Text::EmailInvalid,
        Text::FormInvalid,
        Text::PhoneExists,
        Text::EmailExists,
        Text::PhoneNotFound,
        Text::EmailNotFound,
        Text::CodeIncorrect,
        Text::CodeIncorrectOneLeft,
        Text::CodeIncorrectLeft,
        Text::CodeExpired,
        Text::TooManyAttempts,
        Text::CodeAlreadyUsed,
        Text::PhoneStrategyInvalid,
        Text::EmailStrategyInvalid,
        Text::TooManyRequestsOneSecond,
        Text::TooManyRequestsIn,
        Text::TooManyRequestsLater,
        Text::LockedOneMinute,
        Text::LockedFor,
        Text::LockedLater,
        Text::AttemptExpired,
        Text::SessionEnded,
        Text::TooLong,
        Text::OriginInvalid,
        Text::ServerError,
        Text::RequestTimeout,
        Text::MethodNotAllowed,
        Text::ReverificationRequired,
        Text::DevicesTitle,
        Text::ThisDevice,
        Text::DeviceLine,
        Text::UnknownDevice,
        Text::SignOutEverywhere,
        Text::DeleteAccountTitle,
        Text::DeleteAccount,
        Text::DeleteAccountWarning,
        Text::DeleteAccountConfirm,
        Text::Cancel,
        Text::Deleting,
        Text::IdentifiersTitle,
        Text::Primary,
        Text::Unverified,
        Text::MakePrimary,
        Text::Remove,
        Text::AddIdentifierLabel,
        Text::Add,
        Text::ReverifyTitle,
        Text::ReverifyLead,
        Text::Confirm,
        Text::LastIdentifier,
        Text::VerifyFirst,
        Text::IdentifierInUse,
        Text::SendCodeInstead,
        Text::Banned,
        Text::KeyInvalid,
    ];
}

/// The sentences of one language, with the app's replacements. Cheap to clone.
///
/// ```
/// use otp_dioxus::{Text, Locale, Strings};
/// let strings = Strings::new(Locale::Fr).with(Text::Continue, "Suivant");
/// assert_eq!(strings.get(Text::Continue), "Suivant");
/// assert_eq!(strings.get(Text::SignInTitle), "Se connecter");
/// assert_eq!(strings.fill(Text::ResendCodeIn, &[("n", "12")]), "Renvoyer le code dans 12 s");
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Strings {
    locale: Locale,
    replaced: Arc<HashMap<Text, String>>,
}

impl Strings {
    /// The built-in sentences of `locale`.
    pub fn new(locale: Locale) -> Self {
        Self {
            locale,
            replaced: Arc::default(),
        }
    }

    /// The built-in sentences of the system's language.
    pub fn system() -> Self {
        Self::new(Locale::system())
    }

    /// The language.
    pub fn locale(&self) -> Locale {
        self.locale
    }

    /// These sentences with `key` replaced by `text` (keep the key's `{…}` names in it).
    pub fn with(mut self, key: Text, text: impl Into<String>) -> Self {
        Arc::make_mut(&mut self.replaced).insert(key, text.into());
        self
    }

    /// The sentence of `key`.
    pub fn get(&self, key: Text) -> &str {
        match self.replaced.get(&key) {
            Some(text) => text,
            None => match self.locale {
                Locale::En => english(key),
                Locale::Fr => french(key),
                Locale::Es => spanish(key),
            },
        }
    }

    /// The sentence of `key` with each `{name}` replaced by its value.
    pub fn fill(&self, key: Text, values: &[(&str, &str)]) -> String {
        values
            .iter()
            .fold(self.get(key).to_owned(), |text, (name, value)| {
                text.replace(&format!("{{{name}}}"), value)
            })
    }
}

fn english(key: Text) -> &'static str {
    match key {
        Text::SignUpTitle => "Sign up",
        Text::SignUpLead => "Create your account with a one-time code. No password needed.",
        Text::SignUpQuestion => "Have an account?",
        Text::SignUpLink => "Sign up",
        Text::SignInTitle => "Sign in",
        Text::SignInLead => "We'll send you a one-time code.",
        Text::SignInQuestion => "Don't have an account?",
        Text::SignInLink => "Sign in",
        Text::PhoneLabel => "Phone number",
        Text::PhonePlaceholder => "+1 202 555 0143",
        Text::EmailLabel => "Email address",
        Text::EmailPlaceholder => "you@example.com",
        Text::UseEmail => "Use email instead",
        Text::UsePhone => "Use phone instead",
        Text::Continue => "Continue",
        Text::SendingCode => "Sending code…",
        Text::VerifyPhoneTitle => "Verify your phone number",
        Text::VerifyEmailTitle => "Verify your email",
        Text::CodeSentTo => "Enter the 6-digit code we sent to {to}.",
        Text::CodeLabel => "Verification code",
        Text::Verify => "Verify",
        Text::Verifying => "Verifying…",
        Text::ResendCode => "Resend code",
        Text::ResendCodeIn => "Resend code in {n} s",
        Text::Resending => "Sending…",
        Text::ChangePhone => "Change phone number",
        Text::ChangeEmail => "Use a different email",
        Text::NoCodePhone => {
            "No code? Check the number, or create an account if you don't have one yet."
        }
        Text::NoCodeEmail => {
            "No code? Check the address and your spam folder, or create an account if you don't \
             have one yet."
        }
        Text::DeliveryFailedPhone => {
            "We couldn't deliver the text message to {to}. Send a new code, or change it."
        }
        Text::DeliveryFailedEmail => {
            "We couldn't deliver the email to {to}. Send a new code, or change it."
        }
        Text::SignUpInstead => "Create an account instead",
        Text::SignInInstead => "Sign in instead",
        Text::SendNewCode => "Send a new code",
        Text::TryAgain => "Try again",
        Text::StartAgain => "Start again",
        Text::SignOut => "Sign out",
        Text::SigningOut => "Signing out…",
        Text::Loading => "Loading…",
        Text::KeychainWarning => "You will be signed out when the app closes: {reason}",
        Text::DevCode => "Last code to {to}: {code}",
        Text::Unreachable => "Can't reach the server. Check your connection and try again.",
        Text::Unexpected => "Something went wrong. Please try again.",
        Text::EnterCode => "Enter the 6-digit code.",
        Text::EnterPhone => "Enter your phone number.",
        Text::EnterEmail => "Enter your email address.",
        Text::CodeFormat => "Enter the 6-digit code from the message.",
        Text::PhoneInvalid => {
            "That phone number isn't valid. Include the country code, like +1 202 555 0143."
        }
        Text::EmailInvalid => "That email address isn't valid. Check it and try again.",
        Text::FormInvalid => "Something in the form isn't valid. Check it and try again.",
        Text::PhoneExists => "An account with this phone number already exists.",
        Text::EmailExists => "An account with this email address already exists.",
        Text::PhoneNotFound => "No account uses this phone number.",
        Text::EmailNotFound => "No account uses this email address.",
        Text::CodeIncorrect => "That code is incorrect.",
        Text::CodeIncorrectOneLeft => "That code is incorrect. 1 attempt left.",
        Text::CodeIncorrectLeft => "That code is incorrect. {n} attempts left.",
        Text::CodeExpired => "This code has expired. Send a new code.",
        Text::TooManyAttempts => "Too many incorrect attempts. Send a new code.",
        Text::CodeAlreadyUsed => "This code was already used. Start again.",
        Text::PhoneStrategyInvalid => "This account can't receive a code by phone.",
        Text::EmailStrategyInvalid => "This account can't receive a code by email.",
        Text::TooManyRequestsOneSecond => "Too many requests. Try again in 1 second.",
        Text::TooManyRequestsIn => "Too many requests. Try again in {n} seconds.",
        Text::TooManyRequestsLater => "Too many requests. Try again later.",
        Text::LockedOneMinute => "Too many incorrect codes. This account is locked for 1 minute.",
        Text::LockedFor => "Too many incorrect codes. This account is locked for {n} minutes.",
        Text::LockedLater => "Too many incorrect codes. This account is locked for a while.",
        Text::AttemptExpired => "This sign-in attempt has expired. Start again.",
        Text::SessionEnded => "Your session has ended. Sign in again.",
        Text::TooLong => "That is too long. Check it and try again.",
        Text::OriginInvalid => {
            "The sign-in server doesn't accept requests from this web address. Its operator must \
             allow it (--allowed-origin)."
        }
        Text::ServerError => "Something went wrong on the server. Try again in a moment.",
        Text::RequestTimeout => "The connection was too slow to send the request. Try again.",
        Text::ReverificationRequired => {
            "For your security, confirm it's you with a new code, then retry."
        }
        Text::MethodNotAllowed => {
            "The sign-in server doesn't support this request. Update the app, or tell its \
             developer."
        }
        Text::DevicesTitle => "Your devices",
        Text::ThisDevice => "This device",
        Text::DeviceLine => "{app} on {device}",
        Text::UnknownDevice => "Unknown device",
        Text::SignOutEverywhere => "Sign out of all devices",
        Text::DeleteAccountTitle => "Delete account",
        Text::DeleteAccount => "Delete account…",
        Text::DeleteAccountWarning => {
            "This deletes your account, with its phone numbers and email addresses, and signs you out on every device. It can't be undone."
        }
        Text::DeleteAccountConfirm => "Delete my account",
        Text::Cancel => "Cancel",
        Text::Deleting => "Deleting…",
        Text::IdentifiersTitle => "Phone numbers and email addresses",
        Text::Primary => "Primary",
        Text::Unverified => "Unverified",
        Text::MakePrimary => "Make primary",
        Text::Remove => "Remove",
        Text::AddIdentifierLabel => "Add a phone number or email address",
        Text::Add => "Add",
        Text::ReverifyTitle => "Confirm it's you",
        Text::ReverifyLead => {
            "For your security, enter the code we sent to {to}. Then we'll finish what you asked."
        }
        Text::Confirm => "Confirm",
        Text::LastIdentifier => {
            "This is the only phone number or email address you can sign in with. Add and verify another one first."
        }
        Text::VerifyFirst => {
            "Verify it first: only a verified phone number or email address can be primary."
        }
        Text::IdentifierInUse => "This phone number or email address is already in use.",
        Text::SendCodeInstead => "Send the code to {to} instead",
        Text::Banned => {
            "This account has been suspended. If you think this is a mistake, contact the app's support."
        }
        Text::KeyInvalid => "The server refused this app's key. Contact the app's support.",
    }
}

fn french(key: Text) -> &'static str {
    match key {
        Text::SignUpTitle => "Créer un compte",
        Text::SignUpLead => "Créez votre compte avec un code à usage unique. Sans mot de passe.",
        Text::SignUpQuestion => "Vous avez déjà un compte ?",
        Text::SignUpLink => "Créer un compte",
        Text::SignInTitle => "Se connecter",
        Text::SignInLead => "Nous allons vous envoyer un code à usage unique.",
        Text::SignInQuestion => "Pas encore de compte ?",
        Text::SignInLink => "Se connecter",
        Text::PhoneLabel => "Numéro de téléphone",
        Text::PhonePlaceholder => "+33 6 12 34 56 78",
        Text::EmailLabel => "Adresse e-mail",
        Text::EmailPlaceholder => "vous@exemple.fr",
        Text::UseEmail => "Utiliser une adresse e-mail",
        Text::UsePhone => "Utiliser un numéro de téléphone",
        Text::Continue => "Continuer",
        Text::SendingCode => "Envoi du code…",
        Text::VerifyPhoneTitle => "Vérifiez votre numéro",
        Text::VerifyEmailTitle => "Vérifiez votre e-mail",
        Text::CodeSentTo => "Saisissez le code à 6 chiffres envoyé à {to}.",
        Text::CodeLabel => "Code de vérification",
        Text::Verify => "Vérifier",
        Text::Verifying => "Vérification…",
        Text::ResendCode => "Renvoyer le code",
        Text::ResendCodeIn => "Renvoyer le code dans {n} s",
        Text::Resending => "Envoi…",
        Text::ChangePhone => "Changer de numéro",
        Text::ChangeEmail => "Utiliser une autre adresse",
        Text::NoCodePhone => {
            "Pas de code ? Vérifiez le numéro, ou créez un compte si vous n'en avez pas encore."
        }
        Text::NoCodeEmail => {
            "Pas de code ? Vérifiez l'adresse et vos courriers indésirables, ou créez un compte \
             si vous n'en avez pas encore."
        }
        Text::DeliveryFailedPhone => {
            "Le SMS n'a pas pu être remis au {to}. Demandez un nouveau code, ou changez de numéro."
        }
        Text::DeliveryFailedEmail => {
            "L'e-mail n'a pas pu être remis à {to}. Demandez un nouveau code, ou changez \
             d'adresse."
        }
        Text::SignUpInstead => "Créer un compte",
        Text::SignInInstead => "Se connecter à la place",
        Text::SendNewCode => "Envoyer un nouveau code",
        Text::TryAgain => "Réessayer",
        Text::StartAgain => "Recommencer",
        Text::SignOut => "Se déconnecter",
        Text::SigningOut => "Déconnexion…",
        Text::Loading => "Chargement…",
        Text::KeychainWarning => "Vous serez déconnecté à la fermeture de l'application : {reason}",
        Text::DevCode => "Dernier code envoyé à {to} : {code}",
        Text::Unreachable => {
            "Impossible de joindre le serveur. Vérifiez votre connexion et réessayez."
        }
        Text::Unexpected => "Une erreur s'est produite. Veuillez réessayer.",
        Text::EnterCode => "Saisissez le code à 6 chiffres.",
        Text::EnterPhone => "Saisissez votre numéro de téléphone.",
        Text::EnterEmail => "Saisissez votre adresse e-mail.",
        Text::CodeFormat => "Saisissez le code à 6 chiffres du message.",
        Text::PhoneInvalid => {
            "Ce numéro n'est pas valide. Indiquez l'indicatif du pays, par exemple +33 6 12 34 \
             56 78."
        }
        Text::EmailInvalid => "Cette adresse e-mail n'est pas valide. Vérifiez-la et réessayez.",
        Text::FormInvalid => "Un champ du formulaire n'est pas valide. Vérifiez et réessayez.",
        Text::PhoneExists => "Un compte existe déjà avec ce numéro.",
        Text::EmailExists => "Un compte existe déjà avec cette adresse e-mail.",
        Text::PhoneNotFound => "Aucun compte n'utilise ce numéro.",
        Text::EmailNotFound => "Aucun compte n'utilise cette adresse e-mail.",
        Text::CodeIncorrect => "Ce code est incorrect.",
        Text::CodeIncorrectOneLeft => "Ce code est incorrect. Il reste 1 essai.",
        Text::CodeIncorrectLeft => "Ce code est incorrect. Il reste {n} essais.",
        Text::CodeExpired => "Ce code a expiré. Demandez un nouveau code.",
        Text::TooManyAttempts => "Trop de codes incorrects. Demandez un nouveau code.",
        Text::CodeAlreadyUsed => "Ce code a déjà été utilisé. Recommencez.",
        Text::PhoneStrategyInvalid => "Ce compte ne peut pas recevoir de code par SMS.",
        Text::EmailStrategyInvalid => "Ce compte ne peut pas recevoir de code par e-mail.",
        Text::TooManyRequestsOneSecond => "Trop de demandes. Réessayez dans 1 seconde.",
        Text::TooManyRequestsIn => "Trop de demandes. Réessayez dans {n} secondes.",
        Text::TooManyRequestsLater => "Trop de demandes. Réessayez plus tard.",
        Text::LockedOneMinute => "Trop de codes incorrects. Ce compte est bloqué pendant 1 minute.",
        Text::LockedFor => "Trop de codes incorrects. Ce compte est bloqué pendant {n} minutes.",
        Text::LockedLater => "Trop de codes incorrects. Ce compte est temporairement bloqué.",
        Text::AttemptExpired => "Cette tentative de connexion a expiré. Recommencez.",
        Text::SessionEnded => "Votre session est terminée. Reconnectez-vous.",
        Text::TooLong => "La saisie est trop longue. Vérifiez-la et réessayez.",
        Text::OriginInvalid => {
            "Le serveur de connexion n'accepte pas les demandes de cette adresse web. Son \
             administrateur doit l'autoriser (--allowed-origin)."
        }
        Text::ServerError => "Une erreur s'est produite sur le serveur. Réessayez dans un instant.",
        Text::RequestTimeout => {
            "La connexion est trop lente : la demande n'a pas pu être envoyée. Réessayez."
        }
        Text::ReverificationRequired => {
            "Pour votre sécurité, confirmez votre identité : reconnectez-vous, puis réessayez."
        }
        Text::MethodNotAllowed => {
            "Le serveur de connexion ne prend pas en charge cette demande. Mettez l'application \
             à jour, ou prévenez son développeur."
        }
        Text::DevicesTitle => "Vos appareils",
        Text::ThisDevice => "Cet appareil",
        Text::DeviceLine => "{app} sur {device}",
        Text::UnknownDevice => "Appareil inconnu",
        Text::SignOutEverywhere => "Se déconnecter de tous les appareils",
        Text::DeleteAccountTitle => "Supprimer le compte",
        Text::DeleteAccount => "Supprimer le compte…",
        Text::DeleteAccountWarning => {
            "Cela supprime votre compte, avec ses numéros de téléphone et adresses e-mail, et vous déconnecte sur tous les appareils. C'est définitif."
        }
        Text::DeleteAccountConfirm => "Supprimer mon compte",
        Text::Cancel => "Annuler",
        Text::Deleting => "Suppression…",
        Text::IdentifiersTitle => "Numéros de téléphone et adresses e-mail",
        Text::Primary => "Principal",
        Text::Unverified => "Non vérifié",
        Text::MakePrimary => "Définir comme principal",
        Text::Remove => "Supprimer",
        Text::AddIdentifierLabel => "Ajouter un numéro de téléphone ou une adresse e-mail",
        Text::Add => "Ajouter",
        Text::ReverifyTitle => "Confirmez que c'est vous",
        Text::ReverifyLead => {
            "Par sécurité, saisissez le code envoyé à {to}. Nous terminerons ensuite ce que vous avez demandé."
        }
        Text::Confirm => "Confirmer",
        Text::LastIdentifier => {
            "C'est le seul numéro ou la seule adresse avec lesquels vous pouvez vous connecter. Ajoutez-en un autre et vérifiez-le d'abord."
        }
        Text::VerifyFirst => {
            "Vérifiez-le d'abord : seuls un numéro ou une adresse vérifiés peuvent être principaux."
        }
        Text::IdentifierInUse => "Ce numéro ou cette adresse est déjà utilisé.",
        Text::Banned => {
            "Ce compte a été suspendu. Si vous pensez qu'il s'agit d'une erreur, contactez l'assistance de l'application."
        }
        Text::KeyInvalid => {
            "Le serveur a refusé la clé de cette application. Contactez l'assistance de l'application."
        }
        Text::SendCodeInstead => "Envoyer plutôt le code à {to}",
    }
}

fn spanish(key: Text) -> &'static str {
    match key {
        Text::SignUpTitle => "Crear cuenta",
        Text::SignUpLead => "Crea tu cuenta con un código de un solo uso. Sin contraseña.",
        Text::SignUpQuestion => "¿Ya tienes una cuenta?",
        Text::SignUpLink => "Crear cuenta",
        Text::SignInTitle => "Iniciar sesión",
        Text::SignInLead => "Te enviaremos un código de un solo uso.",
        Text::SignInQuestion => "¿No tienes una cuenta?",
        Text::SignInLink => "Iniciar sesión",
        Text::PhoneLabel => "Número de teléfono",
        Text::PhonePlaceholder => "+34 612 34 56 78",
        Text::EmailLabel => "Correo electrónico",
        Text::EmailPlaceholder => "tu@ejemplo.com",
        Text::UseEmail => "Usar correo electrónico",
        Text::UsePhone => "Usar teléfono",
        Text::Continue => "Continuar",
        Text::SendingCode => "Enviando código…",
        Text::VerifyPhoneTitle => "Verifica tu número",
        Text::VerifyEmailTitle => "Verifica tu correo",
        Text::CodeSentTo => "Introduce el código de 6 dígitos que enviamos a {to}.",
        Text::CodeLabel => "Código de verificación",
        Text::Verify => "Verificar",
        Text::Verifying => "Verificando…",
        Text::ResendCode => "Reenviar código",
        Text::ResendCodeIn => "Reenviar código en {n} s",
        Text::Resending => "Enviando…",
        Text::ChangePhone => "Cambiar número",
        Text::ChangeEmail => "Usar otro correo",
        Text::NoCodePhone => {
            "¿No llega el código? Revisa el número o crea una cuenta si aún no tienes una."
        }
        Text::NoCodeEmail => {
            "¿No llega el código? Revisa la dirección y la carpeta de spam o crea una cuenta si \
             aún no tienes una."
        }
        Text::DeliveryFailedPhone => {
            "No pudimos entregar el SMS a {to}. Pide un código nuevo o cambia el número."
        }
        Text::DeliveryFailedEmail => {
            "No pudimos entregar el correo a {to}. Pide un código nuevo o cambia la dirección."
        }
        Text::SignUpInstead => "Crear una cuenta",
        Text::SignInInstead => "Iniciar sesión con esta cuenta",
        Text::SendNewCode => "Enviar un código nuevo",
        Text::TryAgain => "Reintentar",
        Text::StartAgain => "Empezar de nuevo",
        Text::SignOut => "Cerrar sesión",
        Text::SigningOut => "Cerrando sesión…",
        Text::Loading => "Cargando…",
        Text::KeychainWarning => "Tu sesión se cerrará al salir de la aplicación: {reason}",
        Text::DevCode => "Último código enviado a {to}: {code}",
        Text::Unreachable => {
            "No se puede conectar con el servidor. Revisa tu conexión y vuelve a intentarlo."
        }
        Text::Unexpected => "Algo salió mal. Inténtalo de nuevo.",
        Text::EnterCode => "Introduce el código de 6 dígitos.",
        Text::EnterPhone => "Introduce tu número de teléfono.",
        Text::EnterEmail => "Introduce tu correo electrónico.",
        Text::CodeFormat => "Introduce el código de 6 dígitos del mensaje.",
        Text::PhoneInvalid => {
            "Ese número no es válido. Incluye el prefijo del país, por ejemplo +34 612 34 56 78."
        }
        Text::EmailInvalid => "Ese correo electrónico no es válido. Revísalo e inténtalo de nuevo.",
        Text::FormInvalid => {
            "Hay un dato del formulario que no es válido. Revísalo e inténtalo de nuevo."
        }
        Text::PhoneExists => "Ya existe una cuenta con este número.",
        Text::EmailExists => "Ya existe una cuenta con este correo electrónico.",
        Text::PhoneNotFound => "Ninguna cuenta usa este número.",
        Text::EmailNotFound => "Ninguna cuenta usa este correo electrónico.",
        Text::CodeIncorrect => "Ese código es incorrecto.",
        Text::CodeIncorrectOneLeft => "Ese código es incorrecto. Queda 1 intento.",
        Text::CodeIncorrectLeft => "Ese código es incorrecto. Quedan {n} intentos.",
        Text::CodeExpired => "Este código ha caducado. Pide un código nuevo.",
        Text::TooManyAttempts => "Demasiados intentos incorrectos. Pide un código nuevo.",
        Text::CodeAlreadyUsed => "Este código ya se usó. Empieza de nuevo.",
        Text::PhoneStrategyInvalid => "Esta cuenta no puede recibir códigos por SMS.",
        Text::EmailStrategyInvalid => "Esta cuenta no puede recibir códigos por correo.",
        Text::TooManyRequestsOneSecond => {
            "Demasiadas solicitudes. Vuelve a intentarlo en 1 segundo."
        }
        Text::TooManyRequestsIn => "Demasiadas solicitudes. Vuelve a intentarlo en {n} segundos.",
        Text::TooManyRequestsLater => "Demasiadas solicitudes. Inténtalo más tarde.",
        Text::LockedOneMinute => {
            "Demasiados códigos incorrectos. Esta cuenta está bloqueada durante 1 minuto."
        }
        Text::LockedFor => {
            "Demasiados códigos incorrectos. Esta cuenta está bloqueada durante {n} minutos."
        }
        Text::LockedLater => {
            "Demasiados códigos incorrectos. Esta cuenta está bloqueada temporalmente."
        }
        Text::AttemptExpired => "Este intento de inicio de sesión ha caducado. Empieza de nuevo.",
        Text::SessionEnded => "Tu sesión ha terminado. Inicia sesión de nuevo.",
        Text::TooLong => "Es demasiado largo. Revísalo e inténtalo de nuevo.",
        Text::OriginInvalid => {
            "El servidor de inicio de sesión no acepta solicitudes de esta dirección web. Su \
             administrador debe permitirla (--allowed-origin)."
        }
        Text::ServerError => "Algo salió mal en el servidor. Vuelve a intentarlo en un momento.",
        Text::RequestTimeout => {
            "La conexión es demasiado lenta y no se pudo enviar la solicitud. Inténtalo de nuevo."
        }
        Text::ReverificationRequired => {
            "Por tu seguridad, confirma que eres tú con un código nuevo y vuelve a intentarlo."
        }
        Text::MethodNotAllowed => {
            "El servidor de inicio de sesión no admite esta solicitud. Actualiza la aplicación o \
             avisa a su desarrollador."
        }
        Text::DevicesTitle => "Tus dispositivos",
        Text::ThisDevice => "Este dispositivo",
        Text::DeviceLine => "{app} en {device}",
        Text::UnknownDevice => "Dispositivo desconocido",
        Text::SignOutEverywhere => "Cerrar sesión en todos los dispositivos",
        Text::DeleteAccountTitle => "Eliminar cuenta",
        Text::DeleteAccount => "Eliminar cuenta…",
        Text::DeleteAccountWarning => {
            "Esto elimina tu cuenta, con sus números de teléfono y correos electrónicos, y cierra tu sesión en todos los dispositivos. No se puede deshacer."
        }
        Text::DeleteAccountConfirm => "Eliminar mi cuenta",
        Text::Cancel => "Cancelar",
        Text::Deleting => "Eliminando…",
        Text::IdentifiersTitle => "Números de teléfono y correos electrónicos",
        Text::Primary => "Principal",
        Text::Unverified => "Sin verificar",
        Text::MakePrimary => "Hacer principal",
        Text::Remove => "Quitar",
        Text::AddIdentifierLabel => "Añadir un número de teléfono o un correo electrónico",
        Text::Add => "Añadir",
        Text::ReverifyTitle => "Confirma que eres tú",
        Text::ReverifyLead => {
            "Por seguridad, introduce el código que enviamos a {to}. Después terminaremos lo que pediste."
        }
        Text::Confirm => "Confirmar",
        Text::LastIdentifier => {
            "Es el único número o correo con el que puedes iniciar sesión. Añade y verifica otro primero."
        }
        Text::VerifyFirst => {
            "Verifícalo primero: solo un número o correo verificado puede ser principal."
        }
        Text::IdentifierInUse => "Este número o correo ya está en uso.",
        Text::Banned => {
            "Esta cuenta ha sido suspendida. Si crees que es un error, contacta con el soporte de la aplicación."
        }
        Text::KeyInvalid => {
            "El servidor rechazó la clave de esta aplicación. Contacta con el soporte de la aplicación."
        }
        Text::SendCodeInstead => "Enviar el código a {to} en su lugar",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sentence_exists_in_each_language_and_keeps_its_placeholders() {
        for key in Text::ALL {
            let english = english(key);
            for locale in [Locale::Fr, Locale::Es] {
                let text = Strings::new(locale).get(key).to_owned();
                assert!(!text.is_empty(), "{key:?} in {locale:?}");
                for name in ["{n}", "{to}", "{code}", "{reason}"] {
                    assert_eq!(
                        english.contains(name),
                        text.contains(name),
                        "{key:?} in {locale:?} keeps {name}"
                    );
                }
            }
        }
    }

    #[test]
    fn an_app_replaces_one_sentence_and_keeps_the_others() {
        let strings = Strings::new(Locale::Es).with(Text::SignInTitle, "Entrar");
        assert_eq!(strings.get(Text::SignInTitle), "Entrar");
        assert_eq!(strings.get(Text::Continue), "Continuar");
    }
}
