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
