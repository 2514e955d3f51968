//! The edge's layers over real HTTP, beyond limits and slow bodies
//! (`api`, `slow`): what is compressed and what never is, and the
//! metrics' exposition format.

use crate::app::{Backend, spawn_app};

async fn fetch(
    app: &crate::app::App,
    path: &str,
    gzip: bool,
) -> (reqwest::header::HeaderMap, Vec<u8>) {
    let mut req = app.client.get(format!("{}{path}", app.base));
    if gzip {
        req = req.header("accept-encoding", "gzip");
    }
    let r = req.send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200, "{path}");
    let headers = r.headers().clone();
    (headers, r.bytes().await.unwrap().to_vec())
}

fn encoding(h: &reqwest::header::HeaderMap) -> Option<&str> {
    h.get("content-encoding").and_then(|v| v.to_str().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_reads_are_compressed_pages_never() {
    let app = spawn_app(Backend::Sqlite).await;
    // A large read, asked for gzip: gzip, smaller, and marked to vary.
    let (plain_h, plain) = fetch(&app, "/openapi.json", false).await;
    assert_eq!(encoding(&plain_h), None);
    let (h, body) = fetch(&app, "/openapi.json", true).await;
    assert_eq!(encoding(&h), Some("gzip"));
    assert_eq!(&body[..2], &[0x1f, 0x8b], "a gzip stream");
    assert!(
        body.len() * 4 < plain.len(),
        "{} of {}",
        body.len(),
        plain.len()
    );
    assert!(h.get_all("vary").iter().any(|v| {
        v.to_str()
            .unwrap()
            .to_ascii_lowercase()
            .contains("accept-encoding")
    }));
    // A small answer is sent as it is.
    let (h, small) = fetch(&app, "/healthz", true).await;
    assert_eq!((encoding(&h), small.as_slice()), (None, b"ok\n".as_slice()));
    // A page, larger than the threshold, is never compressed (BREACH: a
    // page may carry a CSRF token beside text a visitor chose).
    let (h, page) = fetch(&app, "/console/settlements", true).await;
    assert!(
        page.len() > usize::from(settlement::api::COMPRESS_BYTES_MIN),
        "{}",
        page.len()
    );
    assert!(h["content-type"].to_str().unwrap().starts_with("text/html"));
    assert_eq!(encoding(&h), None);
    // Metrics in the OpenMetrics text format, one EOF at the end.
    let (h, text) = fetch(&app, "/metrics", false).await;
    assert!(
        h["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text"),
        "{h:?}"
    );
    let text = String::from_utf8(text).unwrap();
    assert!(text.ends_with("# EOF\n"), "{text}");
    assert_eq!(text.matches("# EOF").count(), 1);
    assert!(text.contains("# TYPE settlement_group_commit_transactions counter\n"));
    assert!(
        text.contains("settlement_group_commit_transactions_total 0\n"),
        "{text}"
    );
}

/// Reads one HTTP/1.1 answer (head and a `content-length` body).
async fn read_answer(s: &mut tokio::net::TcpStream, buf: &mut Vec<u8>) -> String {
    use tokio::io::AsyncReadExt as _;
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length: "))
                .map_or(0, |v| v.trim().parse().unwrap());
            if buf.len() >= end + 4 + len {
                let answer = String::from_utf8_lossy(&buf[..end + 4 + len]).into_owned();
                buf.drain(..end + 4 + len);
                return answer;
            }
        }
        let mut chunk = [0u8; 4096];
        let n = tokio::time::timeout(std::time::Duration::from_secs(5), s.read(&mut chunk))
            .await
            .expect("an answer in time")
            .unwrap();
        assert!(
            n > 0,
            "the connection was closed after {:?}",
            String::from_utf8_lossy(buf)
        );
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// A refused request's body is read whatever refuses it (no such route,
/// no credentials), so its keep-alive connection serves the next request:
/// a client is never left writing into a connection the server dropped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_body_leaves_the_connection_usable() {
    use tokio::io::AsyncWriteExt as _;
    let app = spawn_app(Backend::Sqlite).await;
    let addr = app.base.trim_start_matches("http://");
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let body = "x".repeat(4000);
    let mut buf = Vec::new();
    for (path, status) in [("/no/such/route", "404"), ("/v1/admin/payouts/run", "401")] {
        s.write_all(
            format!(
                "POST {path} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                body.len()
            )
            .as_bytes(),
        )
        .await
        .unwrap();
        let answer = read_answer(&mut s, &mut buf).await;
        assert!(
            answer.starts_with(&format!("HTTP/1.1 {status}")),
            "{answer}"
        );
        s.write_all(b"GET /v1/exchange HTTP/1.1\r\nhost: x\r\n\r\n")
            .await
            .unwrap();
        let next = read_answer(&mut s, &mut buf).await;
        assert!(next.starts_with("HTTP/1.1 200"), "{next}");
    }
}

/// A body too large to read is refused at once, and the answer says the
/// connection closes: a keep-alive client must not reuse it (the
/// attack catalogue's oversized bodies once broke the next request).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_body_closes_its_connection() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let app = spawn_app(Backend::Sqlite).await;
    let addr = app.base.trim_start_matches("http://");
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let len = settlement::api::BODY_BYTES_MAX + 1;
    s.write_all(
        format!("POST /v1/settle HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {len}\r\n\r\n{{\"receipt\":\"")
            .as_bytes(),
    )
    .await
    .unwrap();
    let mut buf = Vec::new();
    let answer = read_answer(&mut s, &mut buf).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(
        answer
            .to_ascii_lowercase()
            .contains("\r\nconnection: close\r\n"),
        "{answer}"
    );
    assert!(answer.contains("payload-too-large"), "{answer}");
    // And it does close.
    let mut rest = [0u8; 64];
    let n = tokio::time::timeout(std::time::Duration::from_secs(5), s.read(&mut rest))
        .await
        .expect("closed, not left open")
        .unwrap_or(0);
    assert_eq!(n, 0);
    // Through a pooled client, the next request is served.
    let huge = "a".repeat(len);
    let r = app
        .client
        .post(format!("{}/v1/settle", app.base))
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 413);
    for _ in 0..5 {
        assert_eq!(app.get("/v1/exchange").await.status, 200);
    }
}
