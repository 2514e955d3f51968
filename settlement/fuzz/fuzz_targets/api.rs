//! Request bodies over the real router, in process, on an in-memory SQLite
//! exchange that already holds one charge's records and a deposit (so a
//! settlement can go through).
//!
//! The first byte picks the route, the rest is the body. Whatever the body,
//! the answer is never a 5xx, and every error is `application/problem+json`.
#![no_main]

use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, header};
use libfuzzer_sys::fuzz_target;
use settlement::exchange::{Exchange, FeePolicy};
use settlement::records::json;
use settlement::service::Service;
use settlement::store::Store;
use settlement::testkit::{self, Scenario};
use tower::ServiceExt as _;

const ADMIN: &str = "fuzz-admin-token";

struct App {
    rt: tokio::runtime::Runtime,
    router: Router,
    receipt: String,
}

fn app() -> &'static App {
    static APP: OnceLock<App> = OnceLock::new();
    APP.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let sealed = Scenario::default().seal();
        let router = rt.block_on(async {
            let now = settlement::records::formats::Datetime::parse(testkit::NOW).expect("NOW");
            let clock = Arc::new(ledger::ManualClock::new(now.unix_micros()));
            let store = Store::open("sqlite::memory:", clock.clone()).await.expect("store");
            let service = Service::new(
                Exchange::new(testkit::EXCHANGE, testkit::key("exchange signing key")),
                FeePolicy::default(),
                store,
                Some(ADMIN.to_owned()),
                clock,
            );
            for r in [&sealed.authorization, &sealed.job, &sealed.attestation, &sealed.receipt] {
                service.submit(r.clone(), service.now()).await.expect("a sealed record");
            }
            service
                .deposit("fuzz-deposit", testkit::REQUESTER, "USD", 1_000_000)
                .await
                .expect("deposit");
            settlement::api::router(service)
        });
        App {
            rt,
            router,
            receipt: sealed.receipt.uri,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&route, body)) = data.split_first() else { return };
    let app = app();
    let (method, uri, content_type, admin) = match route % 7 {
        0 => (Method::POST, "/v1/records".to_owned(), "application/json", false),
        1 => (
            Method::POST,
            format!("/v1/records?uri={}", app.receipt),
            settlement::api::CAR_MEDIA_TYPE,
            false,
        ),
        2 => (Method::POST, "/v1/settle".to_owned(), "application/json", false),
        3 => (Method::POST, "/v1/admin/deposits".to_owned(), "application/json", true),
        4 => (
            Method::PUT,
            format!("/v1/admin/payout-destinations/{}", testkit::PROVIDER),
            "application/json",
            true,
        ),
        5 => (Method::POST, "/v1/admin/payouts/run".to_owned(), "application/json", true),
        _ => (
            Method::POST,
            format!("/v1/deposits?requester={}&amount=100", testkit::REQUESTER),
            "application/json",
            false,
        ),
    };
    let mut request = Request::builder()
        .method(method)
        .uri(&uri)
        .header(header::CONTENT_TYPE, content_type);
    if admin {
        request = request.header(header::AUTHORIZATION, format!("Bearer {ADMIN}"));
    }
    let request = request.body(Body::from(body.to_vec())).expect("request");
    let (status, content_type, bytes) = app.rt.block_on(async {
        let response = app.router.clone().oneshot(request).await.expect("infallible");
        let status = response.status();
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .expect("a body");
        (status, content_type, bytes)
    });
    assert!(
        !status.is_server_error(),
        "{uri}: {status}: {}",
        String::from_utf8_lossy(&bytes)
    );
    if !status.is_success() {
        assert!(
            content_type.starts_with("application/problem+json"),
            "{uri}: {status} as {content_type:?}"
        );
        let problem = json::parse(&bytes).expect("a problem document is JSON");
        assert!(problem.get("code").and_then(|c| c.as_str()).is_some());
    }
});
