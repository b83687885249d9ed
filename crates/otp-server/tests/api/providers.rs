//! Real stand-ins for delivery providers, on loopback: an SMTP server (aiosmtpd, a real SMTP
//! implementation, writing to a maildir) and an HTTP server that speaks Twilio's Messages API
//! and the SMS webhook format, recording every request it gets.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use std::collections::VecDeque;
use std::path::PathBuf;
use std::process::{Child, Command};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A free loopback port (bound then released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// aiosmtpd listening on a loopback port, saving each message to a maildir.
pub struct SmtpServer {
    /// `smtp://127.0.0.1:<port>`.
    pub url: String,
    maildir: tempfile::TempDir,
    child: Child,
}

impl SmtpServer {
    pub async fn start() -> Self {
        let maildir = tempfile::tempdir().expect("maildir");
        let port = free_port();
        let child = Command::new("/usr/bin/python3")
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{port}"),
                "-c",
                "aiosmtpd.handlers.Mailbox",
            ])
            .arg(maildir.path().join("mail"))
            .spawn()
            .expect("aiosmtpd starts (Debian package python3-aiosmtpd)");
        let server = Self {
            url: format!("smtp://127.0.0.1:{port}"),
            maildir,
            child,
        };
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return server;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("aiosmtpd did not start");
    }

    /// The raw messages received so far.
    pub fn messages(&self) -> Vec<String> {
        let dir: PathBuf = self.maildir.path().join("mail/new");
        let Ok(entries) = std::fs::read_dir(dir) else {
            return vec![];
        };
        entries
            .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
            .collect()
    }

    /// Waits until `n` messages arrived, and returns them all.
    pub async fn wait_for(&self, n: usize) -> Vec<String> {
        for _ in 0..200 {
            let messages = self.messages();
            if messages.len() >= n {
                return messages;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no email arrived");
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One request the SMS stand-in received.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub headers: HeaderMap,
    pub body: String,
}

#[derive(Default)]
struct Shared {
    received: Vec<Received>,
    /// Statuses to answer with before the normal success, in order.
    failures: VecDeque<(u16, String)>,
}

/// An HTTP server answering like Twilio (201 with a message SID) and like a webhook receiver
/// (204), after the failures it was told to answer first.
#[derive(Clone)]
pub struct SmsServer {
    pub url: String,
    shared: Arc<Mutex<Shared>>,
    _shutdown: Arc<tokio::sync::oneshot::Sender<()>>,
}

impl SmsServer {
    pub async fn start() -> Self {
        Self::start_on(0).await
    }

    pub async fn start_on(port: u16) -> Self {
        let shared = Arc::new(Mutex::new(Shared::default()));
        let app = Router::new()
            .fallback(post(record))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await
                .expect("serve");
        });
        Self {
            url,
            shared,
            _shutdown: Arc::new(tx),
        }
    }

    /// Answers `status` with `body` to the next request (queued after earlier ones).
    pub fn fail_next(&self, status: u16, body: &str) {
        self.shared
            .lock()
            .expect("lock")
            .failures
            .push_back((status, body.to_owned()));
    }

    /// Forgets the failures still queued: the next requests succeed.
    pub fn clear_failures(&self) {
        self.shared.lock().expect("lock").failures.clear();
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared.lock().expect("lock").received.clone()
    }

    /// Waits until `n` requests arrived, and returns the `n`th.
    pub async fn wait_for(&self, n: usize) -> Received {
        for _ in 0..200 {
            if let Some(r) = self.received().get(n - 1) {
                return r.clone();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("request {n} never arrived; got {:?}", self.received());
    }
}

async fn record(
    State(shared): State<Arc<Mutex<Shared>>>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, String) {
    let mut s = shared.lock().expect("lock");
    s.received.push(Received {
        path: uri.path().to_owned(),
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    if let Some((status, body)) = s.failures.pop_front() {
        return (StatusCode::from_u16(status).expect("status"), body);
    }
    if uri.path().ends_with("/Messages.json") {
        let sid = format!("SM{:032}", s.received.len());
        (
            StatusCode::CREATED,
            serde_json::json!({"sid": sid, "status": "queued"}).to_string(),
        )
    } else {
        (StatusCode::NO_CONTENT, String::new())
    }
}

/// The six-digit code in a text.
pub fn code_in(text: &str) -> String {
    let bytes = text.as_bytes();
    (0..bytes.len().saturating_sub(5))
        .find(|&i| {
            bytes[i..i + 6].iter().all(u8::is_ascii_digit)
                && (i == 0 || !bytes[i - 1].is_ascii_digit())
                && bytes.get(i + 6).is_none_or(|b| !b.is_ascii_digit())
        })
        .map(|i| text[i..i + 6].to_owned())
        .expect("a six-digit code in the message")
}

/// A form field of a request body.
pub fn form_field(body: &str, name: &str) -> Option<String> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(body)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}
