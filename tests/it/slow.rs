//! Security review, finding 9: slow request bodies must not take the
//! service down. Before, a request held its place in flight while its
//! body trickled in (up to the 30 s request limit), so a few hundred slow
//! connections made every route, `/healthz` included, answer 503.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use crate::app::{Backend, spawn_app_with};

/// Opens a connection and sends the head of a POST whose 1000-byte body
/// never comes.
async fn stalled_post(base: &str) -> TcpStream {
    let addr = base.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(
        b"POST /v1/records HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{\"uri\":",
    )
    .await
    .unwrap();
    s
}

async fn slow_bodies_hold_no_place_in_flight(b: Backend) {
    let app = spawn_app_with(
        b,
        settlement::api::Limits {
            in_flight_max: 4,
            body_read_timeout: Duration::from_millis(800),
            connections_per_client_max: 64,
            ..settlement::api::Limits::default()
        },
    )
    .await;
    let mut stalled = Vec::new();
    for _ in 0..40 {
        stalled.push(stalled_post(&app.base).await);
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    // Ten times more stalled bodies than places in flight, and the API
    // still answers, health too.
    for path in ["/v1/exchange", "/healthz", "/readyz"] {
        let started = Instant::now();
        let r = app.get(path).await;
        assert_eq!(r.status, 200, "{path}: {r:?}");
        assert!(started.elapsed() < Duration::from_secs(5), "{path}");
    }
    // Each stalled body is answered 408 once its time is up.
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), async {
        let mut buf = [0u8; 4096];
        loop {
            let n = stalled[0].read(&mut buf).await.unwrap();
            answer.extend_from_slice(&buf[..n]);
            if n == 0 || answer.windows(4).any(|w| w == b"\r\n\r\n") {
                break;
            }
        }
    })
    .await
    .expect("an answer to the stalled request");
    let head = String::from_utf8_lossy(&answer);
    assert!(head.starts_with("HTTP/1.1 408"), "{head}");
}

async fn one_client_cannot_hold_every_connection(b: Backend) {
    let app = spawn_app_with(
        b,
        settlement::api::Limits {
            connections_per_client_max: 8,
            ..settlement::api::Limits::default()
        },
    )
    .await;
    let addr = app.base.trim_start_matches("http://").to_owned();
    let mut held = Vec::new();
    for _ in 0..8 {
        held.push(TcpStream::connect(&addr).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    // The ninth is closed as soon as it is accepted.
    let mut ninth = TcpStream::connect(&addr).await.unwrap();
    let _ = ninth
        .write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n")
        .await;
    let mut buf = [0u8; 64];
    let n = tokio::time::timeout(Duration::from_secs(5), ninth.read(&mut buf))
        .await
        .expect("closed, not left hanging")
        .unwrap_or(0);
    assert_eq!(n, 0, "{:?}", String::from_utf8_lossy(&buf[..n]));
    // Closing the held ones frees their places.
    drop(held);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(app.get("/healthz").await.status, 200);
}

on_both_backends!(
    slow_bodies_hold_no_place_in_flight,
    one_client_cannot_hold_every_connection,
);
