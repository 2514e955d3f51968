//! The web console: pages served by `settlement serve` itself, rendered
//! on the server with askama (templates compiled into the binary and
//! checked at build time, escaping HTML by default), readable without
//! script, one stylesheet, one small script that asks before a form
//! moves money.
//!
//! - `public`: the exchange, the explorer, a settlement verified, an
//!   authorization's charges and budget, a provider's settlements and
//!   payouts; public data only.
//! - `operator`: payouts, "pay now", disputes, held charges, charts and
//!   the reconciliation, behind `session`'s sign-in.
//! - `store`: the console's reads, each one index range of one page.
//! - `chart`: bar charts as inline SVG; `page`: what pages share.
//!
//! Every list is paged by cursor (a settlement's or payout's `seq`).

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use crate::service::Service;

pub mod browser;
pub mod chart;
pub mod operator;
pub mod page;
pub mod public;
pub mod session;
pub mod store;

const STYLESHEET: &str = include_str!("../../templates/console/console.css");
const SCRIPT: &str = include_str!("../../templates/console/console.js");

/// The console's routes, all under `/console` (and `/`, which leads
/// there).
pub fn routes() -> Router<Arc<Service>> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/console") }))
        .route("/console", get(public::home))
        .route("/console/settlements", get(public::explorer))
        .route("/console/settlement", get(public::settlement))
        .route("/console/authorization", get(public::authorization))
        .route("/console/provider", get(public::provider))
        .route(
            "/console/console.css",
            get(|| async { asset(STYLESHEET, "text/css; charset=utf-8") }),
        )
        .route(
            "/console/console.js",
            get(|| async { asset(SCRIPT, "text/javascript; charset=utf-8") }),
        )
        .route(
            "/console/operator/sign-in",
            get(operator::sign_in_form).post(operator::sign_in),
        )
        .route("/console/operator/sign-out", post(operator::sign_out))
        .route("/console/operator", get(operator::dashboard))
        .route("/console/operator/pay-now", post(operator::pay_now))
        .route(
            "/console/operator/disputes/resolve",
            post(operator::resolve_dispute),
        )
        .route("/console/operator/holds", post(operator::end_hold))
        .route("/console/{*rest}", get(not_found))
        .route(
            "/console/operator/reconciliation",
            get(operator::reconciliation),
        )
}

/// Any other path under `/console`: a page saying so.
async fn not_found(
    axum::extract::State(s): axum::extract::State<Arc<Service>>,
    headers: HeaderMap,
) -> Response {
    let nav = nav_of(&s, &headers).await;
    page::error_page(
        axum::http::StatusCode::NOT_FOUND,
        &nav,
        "there is no such page in the console",
    )
}

fn asset(body: &'static str, media: &'static str) -> Response {
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(media));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    r
}

/// `path?k=v&…` with each value percent-encoded.
pub fn link(path: &str, params: &[(&str, &str)]) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        q.append_pair(k, v);
    }
    let q = q.finish();
    if q.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{q}")
    }
}

/// The navigation for this request: signed in or not.
async fn nav_of(s: &Service, headers: &HeaderMap) -> page::Nav {
    match session::operator(s, headers).await {
        Ok(Some(op)) => page::Nav {
            signed_in: true,
            csrf: op.csrf,
        },
        _ => page::Nav::default(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn links_encode_their_values() {
        assert_eq!(
            super::link("/console/settlement", &[("uri", "at://did:plc:x/c/1?&=")]),
            "/console/settlement?uri=at%3A%2F%2Fdid%3Aplc%3Ax%2Fc%2F1%3F%26%3D"
        );
        assert_eq!(super::link("/console", &[]), "/console");
    }
}
