//! End-to-end tests. One binary, one module per concern.

/// Runs each named `async fn(Backend)` as two tests, `sqlite::NAME` and
/// `postgres::NAME`, so every end-to-end case runs on both databases.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name(crate::app::Backend::Sqlite).await })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name(crate::app::Backend::Postgres).await })*
        }
    };
}

mod api;
mod app;
mod atproto;
mod attacks;
mod audit;
mod chain;
mod claims;
mod computations;
mod console;
mod contract_auth;
mod contracts;
mod deposits;
mod disputes;
mod edge;
mod interop;
mod payout_attacks;
mod payouts;
mod pds;
mod proofs;
mod slow;
mod ssrf;
mod support;
mod tls;
mod token;
mod x402;
