//! Slow and idle clients cannot hold the server (finding 2 of issue 13): a client that trickles
//! its headers or its body, or leaves a keep-alive connection idle, is disconnected after its
//! limit, and at most `--max-connections` are served at once, while normal requests keep being
//! answered. The clients here are raw sockets, to be as slow as an attacker likes.

use crate::helpers::*;
use otp_server::{Clock, SystemClock};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const HEALTHZ: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: otp.test\r\n\r\n";

async fn connect(app: &TestApp) -> TcpStream {
    let addr = app.base_url.trim_start_matches("http://");
    TcpStream::connect(addr).await.expect("connect")
}

fn now_ms() -> i64 {
    SystemClock.now_ms()
}

/// Reads until the server closes the connection (or resets it); what it sent, and when it
/// closed (ms). Gives up after `patience`.
async fn until_closed(stream: &mut TcpStream, patience: Duration) -> (String, i64) {
    let mut received = Vec::new();
    let mut buf = [0_u8; 4096];
    let read_all = async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => received.extend_from_slice(&buf[..n]),
            }
        }
    };
    tokio::time::timeout(patience, read_all)
        .await
        .expect("the server should have closed the connection by now");
    (String::from_utf8_lossy(&received).into_owned(), now_ms())
}

/// Reads one response (headers and a `Content-Length` body) and leaves the connection open.
async fn response(stream: &mut TcpStream) -> String {
    let mut received = Vec::new();
    let mut buf = [0_u8; 4096];
    loop {
        let text = String::from_utf8_lossy(&received).into_owned();
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse::<usize>().expect("length"))
                })
                .unwrap_or(0);
            if received.len() >= end + 4 + length {
                return text;
            }
        }
        let n = stream.read(&mut buf).await.expect("read");
        assert!(n > 0, "closed mid-response: {text}");
        received.extend_from_slice(&buf[..n]);
    }
}

async fn healthz_is_served(app: &TestApp) {
    let res = reqwest::Client::new()
        .get(format!("{}/healthz", app.base_url))
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .expect("healthz answered");
    assert_eq!(res.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_headers_slow_bodies_and_idle_connections_are_closed_while_others_are_served() {
    let app = spawn_app_with(|c| {
        c.edge.header_timeout_secs = 1;
        c.edge.body_timeout_secs = 1;
        c.edge.idle_timeout_secs = 3;
    })
    .await;
    let start = now_ms();
    // Connects and sends nothing.
    let mut silent = connect(&app).await;
    // Sends half its headers.
    let mut half_headers = connect(&app).await;
    half_headers
        .write_all(b"POST /v1/client/sign_ups HTTP/1.1\r\nHost: otp.test\r\nContent-Ty")
        .await
        .expect("write");
    // Sends its headers and 10 of the 100 bytes of body it announced.
    let mut half_body = connect(&app).await;
    half_body
        .write_all(
            b"POST /v1/client/sign_ups HTTP/1.1\r\nHost: otp.test\r\n\
              Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\n\
              phone_numb",
        )
        .await
        .expect("write");
    // A keep-alive connection that made one request.
    let mut idle = connect(&app).await;
    idle.write_all(HEALTHZ).await.expect("write");
    assert!(response(&mut idle).await.starts_with("HTTP/1.1 200"));

    // Meanwhile a normal client is served.
    healthz_is_served(&app).await;

    let patience = Duration::from_secs(10);
    let (keep_alive, (silent_said, silent_at), (headers_said, headers_at), (body_said, body_at)) = tokio::join!(
        async {
            // Past the header limit, the idle connection is still usable (its own limit is
            // longer), and after its next answer it is closed once idle for 3 s.
            tokio::time::sleep(Duration::from_millis(1_500)).await;
            idle.write_all(HEALTHZ).await.expect("write");
            let second = response(&mut idle).await;
            let answered = now_ms();
            let (_, closed) = until_closed(&mut idle, patience).await;
            (second, closed - answered)
        },
        until_closed(&mut silent, patience),
        until_closed(&mut half_headers, patience),
        until_closed(&mut half_body, patience),
    );
    for (what, at) in [("silent", silent_at), ("half headers", headers_at)] {
        let after = at - start;
        assert!(
            (900..4_000).contains(&after),
            "{what} closed after {after} ms"
        );
    }
    assert_eq!(silent_said, "");
    assert_eq!(headers_said, "");
    let after = body_at - start;
    assert!(
        (900..4_000).contains(&after),
        "half body closed after {after} ms"
    );
    assert!(body_said.starts_with("HTTP/1.1 408"), "{body_said}");
    assert!(body_said.contains("\"request_timeout\""), "{body_said}");
    let (second, idle_for) = keep_alive;
    assert!(second.starts_with("HTTP/1.1 200"), "{second}");
    assert!(
        (2_500..6_000).contains(&idle_for),
        "idle connection closed after {idle_for} ms"
    );

    healthz_is_served(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn beyond_the_connection_cap_clients_wait_until_slow_ones_are_closed() {
    let app = spawn_app_with(|c| {
        c.edge.max_connections = 3;
        c.edge.header_timeout_secs = 2;
    })
    .await;
    let start = now_ms();
    let mut hogs = Vec::new();
    for _ in 0..3 {
        hogs.push(connect(&app).await);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    // A fourth connection is not served while three are held...
    let mut waiting = connect(&app).await;
    waiting.write_all(HEALTHZ).await.expect("write");
    let mut buf = [0_u8; 64];
    let early = tokio::time::timeout(Duration::from_millis(700), waiting.read(&mut buf)).await;
    assert!(early.is_err(), "served beyond the cap: {early:?}");
    // ...and is once the server has closed them.
    let answer = tokio::time::timeout(Duration::from_secs(10), response(&mut waiting))
        .await
        .expect("served once a slot is free");
    let served_after = now_ms() - start;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(served_after >= 1_800, "served after {served_after} ms");
    for mut hog in hogs {
        let (said, _) = until_closed(&mut hog, Duration::from_secs(5)).await;
        assert_eq!(said, "");
    }
    drop(waiting);
    healthz_is_served(&app).await;
}

#[tokio::test]
async fn a_server_with_an_idle_keep_alive_connection_still_stops_at_once() {
    let app = spawn_app().await;
    let mut idle = connect(&app).await;
    idle.write_all(HEALTHZ).await.expect("write");
    assert!(response(&mut idle).await.starts_with("HTTP/1.1 200"));
    // The idle limit is 60 s: stopping does not wait for it.
    let app = tokio::time::timeout(Duration::from_secs(5), app.restart())
        .await
        .expect("stopped and started again");
    let (said, _) = until_closed(&mut idle, Duration::from_secs(1)).await;
    assert_eq!(said, "");
    healthz_is_served(&app).await;
}
