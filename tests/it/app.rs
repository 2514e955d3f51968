//! Starts the real server on 127.0.0.1:0 against a fresh database (a file
//! SQLite database, or a PostgreSQL database named by a UUID), with a fixed
//! clock, and talks to it over real HTTP.

use std::sync::Arc;

use settlement::exchange::{Exchange, FeePolicy};
use settlement::records::json::{self, Map, Value};
use settlement::service::Service;
use settlement::store::Store;
use settlement::testkit::{self, Sealed};

use crate::support::TempDir;

pub const ADMIN_TOKEN: &str = "test-admin-token-0123456789";

#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub fn pg_admin_url() -> String {
    std::env::var("LEDGER_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

enum Cleanup {
    Dir(#[allow(dead_code)] TempDir),
    Pg(String),
}

pub struct App {
    pub base: String,
    /// The database the server uses (tests that tamper with it behind the
    /// server's back).
    pub db_url: String,
    pub client: reqwest::Client,
    /// The service behind the server (its store, exchange and clock), for
    /// tests that drive other parts of the engine (payouts) beside it.
    pub service: Arc<Service>,
    /// The service's clock, for tests that move time.
    pub clock: ledger::ManualClock,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    cleanup: Option<Cleanup>,
}

impl Drop for App {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(Cleanup::Pg(name)) = self.cleanup.take() {
            // Drop runs inside the test's runtime: use a thread of our own.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                rt.block_on(async {
                    use sqlx::Connection as _;
                    if let Ok(mut c) = sqlx::PgConnection::connect(&pg_admin_url()).await {
                        let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                        let _ = sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut c).await;
                    }
                });
            })
            .join();
        }
    }
}

async fn database(backend: Backend) -> (String, Cleanup) {
    match backend {
        Backend::Sqlite => {
            let dir = TempDir::new("app");
            let url = format!("sqlite:{}", dir.0.join("settlement.db").display());
            (url, Cleanup::Dir(dir))
        }
        Backend::Postgres => {
            use sqlx::Connection as _;
            let admin = pg_admin_url();
            let mut conn = sqlx::PgConnection::connect(&admin)
                .await
                .unwrap_or_else(|e| {
                    panic!("PostgreSQL is required at {admin} (set LEDGER_TEST_PG_URL): {e}")
                });
            let name = format!("settlement_test_{}", uuid::Uuid::new_v4().simple());
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
                .execute(&mut conn)
                .await
                .expect("create test database");
            let base = &admin[..admin.rfind('/').expect("a database URL has a path")];
            (format!("{base}/{name}"), Cleanup::Pg(name))
        }
    }
}

pub async fn spawn_app(backend: Backend) -> App {
    spawn_app_with(backend, settlement::api::Limits::default()).await
}

/// As `spawn_app`, with the HTTP edge's limits given.
pub async fn spawn_app_with(backend: Backend, limits: settlement::api::Limits) -> App {
    spawn(backend, limits, None).await.0
}

/// An exchange that acts only on records proven in their owners'
/// repositories (DIDs resolved as `identity` says), and its clock.
pub async fn spawn_app_proven(
    backend: Backend,
    identity: settlement::identity::IdentityConfig,
) -> (App, ledger::ManualClock) {
    spawn(backend, settlement::api::Limits::default(), Some(identity)).await
}

async fn spawn(
    backend: Backend,
    limits: settlement::api::Limits,
    identity: Option<settlement::identity::IdentityConfig>,
) -> (App, ledger::ManualClock) {
    use settlement::authentic::RecordTrust;
    let (url, cleanup) = database(backend).await;
    let now = settlement::records::formats::Datetime::parse(testkit::NOW).expect("constant");
    let clock = ledger::ManualClock::new(now.unix_micros());
    let store = Store::open(&url, Arc::new(clock.clone()))
        .await
        .expect("open store");
    let trust = match identity {
        Some(config) => RecordTrust::Proven(Arc::new(
            settlement::identity::Identity::new(config, Arc::new(clock.clone()))
                .expect("identity resolver"),
        )),
        None => RecordTrust::Submitted(None),
    };
    let service = Service::new_with_trust(
        Exchange::new(testkit::EXCHANGE, testkit::key("exchange signing key")),
        FeePolicy {
            bps: 250,
            min_minor: 1,
            currencies: vec!["USD".into(), "USDC".into()],
            self_loop_fee_waived: true,
            open_jobs: false,
        },
        store,
        Some(ADMIN_TOKEN.to_owned()),
        Arc::new(clock.clone()),
        trust,
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let svc = service.clone();
    tokio::spawn(async move {
        let _ = settlement::api::serve(listener, svc, limits, async {
            let _ = rx.await;
        })
        .await;
    });
    let app = App {
        base,
        db_url: url,
        client: reqwest::Client::new(),
        service,
        clock: clock.clone(),
        shutdown: Some(tx),
        cleanup: Some(cleanup),
    };
    (app, clock)
}

/// A response: status and parsed JSON body (Null when empty or not JSON).
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub body: Value,
}

impl Reply {
    /// Status, content type and body (parsed as JSON, Null if it is not).
    pub async fn read(resp: reqwest::Response) -> Reply {
        let status = resp.status().as_u16();
        let content_type = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let bytes = resp.bytes().await.expect("body");
        Reply {
            status,
            content_type,
            body: json::parse(&bytes).unwrap_or(Value::Null),
        }
    }

    pub fn code(&self) -> &str {
        self.body.get("code").and_then(Value::as_str).unwrap_or("")
    }
}

impl App {
    pub async fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
        token: Option<&str>,
    ) -> Reply {
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if let Some(b) = body {
            req = req
                .header("content-type", "application/json")
                .body(json::to_canonical(b));
        }
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        Reply::read(req.send().await.expect("request")).await
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.request(reqwest::Method::GET, path, None, None).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Reply {
        self.request(reqwest::Method::POST, path, Some(body), None)
            .await
    }

    pub async fn post_record(&self, r: &settlement::records::RawRecord) -> Reply {
        self.post("/v1/records", &testkit::record_post(r)).await
    }

    /// Posts the four records of a sealed scenario; each must be accepted.
    pub async fn post_all(&self, s: &Sealed) {
        for r in [&s.authorization, &s.job, &s.attestation, &s.receipt] {
            let reply = self.post_record(r).await;
            assert!(
                reply.status == 201 || reply.status == 200,
                "{}: {reply:?}",
                r.uri
            );
        }
    }

    pub async fn deposit(&self, requester: &str, amount: u64, id: &str) -> Reply {
        let v = json::parse_str(&format!(
            r#"{{"id":"{id}","requester":"{requester}","amount":{{"amount":{amount},"currency":"USD"}}}}"#
        ))
        .expect("valid");
        self.request(
            reqwest::Method::POST,
            "/v1/admin/deposits",
            Some(&v),
            Some(ADMIN_TOKEN),
        )
        .await
    }

    pub async fn settle(&self, receipt_uri: &str) -> Reply {
        let mut m = Map::new();
        m.insert("receipt".into(), receipt_uri.into());
        self.post("/v1/settle", &Value::Object(m)).await
    }

    /// What has been charged against an authorization, as
    /// `(charged amount, number of charges)`, from `/v1/authorizations`.
    pub async fn charged(&self, authorization_uri: &str) -> (Option<i128>, Option<i128>) {
        let a = self
            .get(&format!("/v1/authorizations?uri={authorization_uri}"))
            .await;
        (
            a.body
                .get("charged")
                .and_then(|c| c.get("amount"))
                .and_then(Value::as_int),
            a.body.get("charges").and_then(Value::as_int),
        )
    }

    /// The requester's USD balance, as `(balance, held, available)`.
    pub async fn requester_usd(&self, did: &str) -> (i128, i128, i128) {
        let r = self
            .get(&format!("/v1/requesters/{did}/balance?currency=USD"))
            .await;
        let usd = r.body.get("USD").expect("USD balance");
        let n = |k: &str| usd.get(k).and_then(Value::as_int).expect("integer");
        (n("balance"), n("held"), n("available"))
    }
}

/// Audits the charges of `authorization` on the server at `server`, with
/// the settlement key from the DID document that server publishes (the
/// test exchange's did:web:exchange.example has no host of its own here).
pub async fn audit(
    server: &str,
    authorization: &str,
) -> Result<settlement::audit::Report, settlement::audit::AuditError> {
    let doc = settlement::audit::KeySource::document(format!("{server}/.well-known/did.json"));
    settlement::audit::audit(server, authorization, &doc).await
}

/// `settlement audit` as the command runs it, with the same DID document.
pub async fn audit_command(server: &str, authorization: &str) -> settlement::cmd::Outcome {
    let doc = settlement::audit::KeySource::document(format!("{server}/.well-known/did.json"));
    settlement::cmd::audit::run(server, authorization, &doc).await
}
