//! Serving HTTP/1.1 connections with limits, so that slow or idle clients cannot hold the server:
//! at most `--max-connections` are served at once (the next ones wait in the listen queue until
//! one closes), and a connection is closed when its client takes longer than
//! `--header-timeout-secs` to send a request's headers (from the connection's start, or from the
//! first byte of a later request) or leaves it idle between requests longer than
//! `--idle-timeout-secs`. The body's limit is the `read_body_within` middleware; while a request
//! is being answered no timer runs here.
//!
//! Each connection has a watchdog that reads no clock: it sleeps for the limit of the phase the
//! connection is in, and closes it if the phase has not changed when it wakes.

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, watch};
use tower::ServiceExt;

/// The connection limits (see the module documentation).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Time to send a request's headers.
    pub header_timeout: Duration,
    /// Time a connection may stay idle between requests.
    pub idle_timeout: Duration,
    /// Connections served at once.
    pub max_connections: u32,
}

/// Accepts and serves connections until `shutdown` resolves; then stops accepting, lets the
/// requests in flight finish, closes idle connections, and returns once every connection ended.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let slots = Arc::new(Semaphore::new(limits.max_connections as usize));
    let (stop, stopping) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        // A slot first: beyond the cap, new connections wait in the kernel's listen queue.
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot.map_err(io::Error::other)?,
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) if is_connection_error(&e) => continue,
                Err(e) => {
                    // Out of file descriptors, most likely: wait for connections to close
                    // rather than spin.
                    tracing::error!(error = %e, "accepting a connection");
                    tokio::time::sleep(Duration::from_millis(250)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        tokio::spawn(connection(
            stream,
            peer,
            router.clone(),
            limits,
            stopping.clone(),
            slot,
        ));
    }
    drop(listener);
    let _ = stop.send(true);
    // Every connection holds a slot until it ends.
    let _ = slots.acquire_many(limits.max_connections).await;
    Ok(())
}

/// Errors of one connection that does not exist any more, not of the listener.
fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// Serves one connection until it ends, its client is too slow, or the server stops.
async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    router: Router,
    limits: Limits,
    mut stopping: watch::Receiver<bool>,
    _slot: OwnedSemaphorePermit,
) {
    let activity = Arc::new(Activity::default());
    let io = TokioIo::new(Watched {
        stream,
        activity: activity.clone(),
    });
    let requests = activity.clone();
    let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        let answering = requests.request_started();
        req.extensions_mut().insert(ConnectInfo(peer));
        let router = router.clone();
        async move {
            let response = router.oneshot(req.map(axum::body::Body::new)).await;
            drop(answering);
            response
        }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        // The watchdog below times headers and idle time separately; hyper's own header timer
        // would also cut idle connections at the header limit.
        .header_read_timeout(None)
        .serve_connection(io, service);
    tokio::pin!(conn);
    let mut draining = false;
    loop {
        let (phase, generation) = activity.phase();
        let limit = match phase {
            Phase::Headers => Some(limits.header_timeout),
            Phase::Idle => Some(limits.idle_timeout),
            Phase::Answering => None,
        };
        let expiry = async move {
            match limit {
                Some(limit) => tokio::time::sleep(limit).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            served = conn.as_mut() => {
                if let Err(e) = served {
                    tracing::debug!(%peer, error = %e, "connection ended with an error");
                }
                return;
            }
            _ = stopping.changed(), if !draining => {
                draining = true;
                conn.as_mut().graceful_shutdown();
            }
            () = activity.changed.notified() => {}
            () = expiry => {
                if activity.phase().1 == generation {
                    tracing::debug!(%peer, ?phase, "closing a slow or idle connection");
                    return;
                }
            }
        }
    }
}

/// Where a connection is, for its watchdog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Waiting for a request's headers: a new connection, or bytes of a new request arrived.
    Headers,
    /// At least one request is being answered.
    Answering,
    /// Between requests, nothing received yet.
    Idle,
}

/// A connection's phase, changed by its reads and its requests.
#[derive(Debug)]
struct Activity {
    state: Mutex<State>,
    /// Wakes the watchdog at each change of phase.
    changed: Notify,
}

#[derive(Debug)]
struct State {
    phase: Phase,
    /// Requests being answered.
    answering: usize,
    /// Counts the changes of phase, so the watchdog knows whether its phase lasted.
    generation: u64,
}

impl Default for Activity {
    fn default() -> Self {
        Self {
            state: Mutex::new(State {
                phase: Phase::Headers,
                answering: 0,
                generation: 0,
            }),
            changed: Notify::new(),
        }
    }
}

impl Activity {
    fn phase(&self) -> (Phase, u64) {
        let state = self.lock();
        (state.phase, state.generation)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn enter(&self, state: &mut State, phase: Phase) {
        state.phase = phase;
        state.generation += 1;
        self.changed.notify_one();
    }

    /// Bytes arrived: on an idle connection, a request has begun.
    fn received(&self) {
        let mut state = self.lock();
        if state.phase == Phase::Idle {
            self.enter(&mut state, Phase::Headers);
        }
    }

    /// A request's headers are in: it is being answered until the guard drops.
    fn request_started(self: &Arc<Self>) -> Answering {
        let mut state = self.lock();
        state.answering += 1;
        self.enter(&mut state, Phase::Answering);
        Answering(self.clone())
    }
}

/// A request being answered; dropping it ends the request.
struct Answering(Arc<Activity>);

impl Drop for Answering {
    fn drop(&mut self) {
        let mut state = self.0.lock();
        state.answering = state.answering.saturating_sub(1);
        if state.answering == 0 {
            self.0.enter(&mut state, Phase::Idle);
        }
    }
}

/// The connection's socket, telling its [`Activity`] when bytes arrive.
struct Watched {
    stream: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.stream).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.received();
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}
