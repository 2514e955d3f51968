//! AT Protocol fixtures and a PDS for tests.
//!
//! Fixtures are made by the reference implementation (`@atproto/repo`,
//! `@atproto/crypto`) through `tests/atproto/make-fixtures.mjs`: signed
//! repositories holding our records, the CAR proofs a PDS returns for them,
//! and service auth tokens. The server speaks the real wire formats: DID
//! documents (`/.well-known/did.json` for did:web, `/{did}` as a PLC
//! directory) and `com.atproto.sync.getRecord` answering a CAR, or an XRPC
//! error `{"error", "message"}`.

use std::collections::HashMap;
use std::fs::File;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine as _;
use settlement::records::RawRecord;
use settlement::records::json::{self, Map, Value};
use settlement::testkit::sha256_hex;

use crate::support::root;

/// Runs `npm ci` once if the AT Protocol packages are missing, serialized
/// across processes by the same lock the chain tests use.
fn ensure_npm_packages() {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| {
        let root = root();
        let marker = root.join("node_modules/@atproto/repo/package.json");
        if marker.exists() {
            return;
        }
        let target = root.join("target");
        std::fs::create_dir_all(&target).expect("create target/");
        let lock = File::create(target.join("npm-ci.lock")).expect("create target/npm-ci.lock");
        lock.lock().expect("lock target/npm-ci.lock");
        if !marker.exists() {
            let out = Command::new("npm")
                .args(["ci", "--ignore-scripts", "--no-audit", "--no-fund"])
                .current_dir(&root)
                .output()
                .unwrap_or_else(|e| panic!("cannot run `npm ci` (is Node.js installed?): {e}"));
            assert!(
                out.status.success(),
                "`npm ci` failed:\n{}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        drop(lock);
    });
}

/// A signing key for the reference implementation: 32 bytes of hex named
/// by a seed.
pub fn key_hex(seed: &str) -> String {
    sha256_hex(seed.as_bytes())
}

#[derive(Clone, Copy, Debug)]
pub enum Alg {
    P256,
    K256,
}

impl Alg {
    fn name(self) -> &'static str {
        match self {
            Alg::P256 => "p256",
            Alg::K256 => "k256",
        }
    }
}

/// A repository to make: its DID, signing key, records and the keys to
/// prove absent.
pub struct RepoSpec<'a> {
    pub did: &'a str,
    pub alg: Alg,
    pub key_seed: &'a str,
    pub filler: usize,
    pub records: Vec<&'a RawRecord>,
    pub absent: Vec<&'a str>,
}

/// A proof of one record, and two broken copies of it.
#[derive(Clone, Debug)]
pub struct Proof {
    /// The record's CID as the reference implementation computed it.
    pub cid: String,
    pub car: Vec<u8>,
    /// Without the deepest tree node on the record's path.
    pub cut: Vec<u8>,
    /// Other record bytes filed under the record's CID.
    pub altered: Vec<u8>,
}

#[derive(Clone, Debug)]
pub struct RepoFixture {
    pub did: String,
    /// `publicKeyMultibase` of the signing key.
    pub multikey: String,
    /// By AT URI.
    pub proofs: HashMap<String, Proof>,
    /// Answers for keys the repository does not hold, by AT URI.
    pub absent: HashMap<String, Vec<u8>>,
}

/// A service auth token to sign.
pub struct TokenSpec<'a> {
    pub alg: Alg,
    pub key_seed: &'a str,
    pub payload: Value,
}

fn split_uri(uri: &str) -> (String, String, String) {
    let u = settlement::records::formats::AtUri::parse(uri).expect("an AT URI");
    (
        u.did().to_owned(),
        u.collection().to_owned(),
        u.rkey().to_owned(),
    )
}

fn b64(v: &Value) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(v.as_str().expect("base64 string"))
        .expect("base64")
}

fn obj(pairs: &[(&str, Value)]) -> Value {
    let mut m = Map::new();
    for (k, v) in pairs {
        m.insert((*k).to_owned(), v.clone());
    }
    Value::Object(m)
}

/// Runs the reference implementation over `repos` and `tokens`.
pub fn make_fixtures(
    repos: &[RepoSpec<'_>],
    tokens: &[TokenSpec<'_>],
) -> (Vec<RepoFixture>, Vec<String>) {
    ensure_npm_packages();
    let path_of = |collection: &str, rkey: &str| {
        obj(&[("collection", collection.into()), ("rkey", rkey.into())])
    };
    let request = obj(&[
        (
            "repos",
            Value::Array(
                repos
                    .iter()
                    .map(|r| {
                        obj(&[
                            ("did", r.did.into()),
                            ("alg", r.alg.name().into()),
                            ("key", key_hex(r.key_seed).into()),
                            ("filler", (r.filler as u64).into()),
                            (
                                "records",
                                Value::Array(
                                    r.records
                                        .iter()
                                        .map(|rec| {
                                            let (_, c, k) = split_uri(&rec.uri);
                                            let Value::Object(mut m) = path_of(&c, &k) else {
                                                unreachable!()
                                            };
                                            m.insert("value".into(), rec.value.clone());
                                            Value::Object(m)
                                        })
                                        .collect(),
                                ),
                            ),
                            (
                                "absent",
                                Value::Array(
                                    r.absent
                                        .iter()
                                        .map(|uri| {
                                            let (_, c, k) = split_uri(uri);
                                            path_of(&c, &k)
                                        })
                                        .collect(),
                                ),
                            ),
                        ])
                    })
                    .collect(),
            ),
        ),
        (
            "tokens",
            Value::Array(
                tokens
                    .iter()
                    .map(|t| {
                        obj(&[
                            ("alg", t.alg.name().into()),
                            ("key", key_hex(t.key_seed).into()),
                            ("payload", t.payload.clone()),
                        ])
                    })
                    .collect(),
            ),
        ),
    ]);
    let mut child = Command::new("node")
        .arg(root().join("tests/atproto/make-fixtures.mjs"))
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run node (is Node.js installed?): {e}"));
    {
        use std::io::Write as _;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin
            .write_all(&json::to_canonical(&request))
            .expect("write the fixture request");
    }
    let out = child.wait_with_output().expect("node");
    assert!(
        out.status.success(),
        "make-fixtures.mjs failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answer = json::parse(&out.stdout).expect("the fixtures are JSON");
    let repos_out = match answer.get("repos") {
        Some(Value::Array(items)) => items,
        other => panic!("no repos in the fixtures: {other:?}"),
    };
    let fixtures = repos_out
        .iter()
        .map(|r| {
            let did = r
                .get("did")
                .and_then(Value::as_str)
                .expect("did")
                .to_owned();
            let uri = |path: &str| format!("at://{did}/{path}");
            let proofs = r
                .get("proofs")
                .and_then(Value::as_object)
                .expect("proofs")
                .iter()
                .map(|(path, p)| {
                    (
                        uri(path),
                        Proof {
                            cid: p
                                .get("cid")
                                .and_then(Value::as_str)
                                .expect("cid")
                                .to_owned(),
                            car: b64(p.get("car").expect("car")),
                            cut: b64(p.get("cut").expect("cut")),
                            altered: b64(p.get("altered").expect("altered")),
                        },
                    )
                })
                .collect();
            let absent = r
                .get("absent")
                .and_then(Value::as_object)
                .expect("absent")
                .iter()
                .map(|(path, car)| (uri(path), b64(car)))
                .collect();
            RepoFixture {
                multikey: r
                    .get("multikey")
                    .and_then(Value::as_str)
                    .expect("multikey")
                    .to_owned(),
                did,
                proofs,
                absent,
            }
        })
        .collect();
    let tokens = match answer.get("tokens") {
        Some(Value::Array(items)) => items
            .iter()
            .map(|t| t.as_str().expect("token").to_owned())
            .collect(),
        other => panic!("no tokens in the fixtures: {other:?}"),
    };
    (fixtures, tokens)
}

/// A DID document naming `multikey` as the `#atproto` key and `pds` as the
/// PDS.
pub fn did_document(did: &str, multikey: &str, pds: &str) -> String {
    format!(
        r##"{{"@context":["https://www.w3.org/ns/did/v1","https://w3id.org/security/multikey/v1"],"id":"{did}","alsoKnownAs":[],"verificationMethod":[{{"id":"{did}#atproto","type":"Multikey","controller":"{did}","publicKeyMultibase":"{multikey}"}}],"service":[{{"id":"#atproto_pds","type":"AtprotoPersonalDataServer","serviceEndpoint":"{pds}"}}]}}"##
    )
}

#[derive(Default)]
struct PdsState {
    /// did -> DID document (served at /{did}, and at /.well-known/did.json
    /// for did:web).
    documents: HashMap<String, String>,
    /// AT URI -> CAR.
    records: HashMap<String, Vec<u8>>,
}

/// A PDS, PLC directory and did:web host in one, on 127.0.0.1:0.
pub struct Pds {
    pub base: String,
    pub port: u16,
    state: Arc<Mutex<PdsState>>,
    /// DID documents served so far.
    pub document_fetches: Arc<AtomicUsize>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for Pds {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

#[derive(Clone)]
struct Shared {
    state: Arc<Mutex<PdsState>>,
    fetches: Arc<AtomicUsize>,
    port: u16,
}

#[derive(serde::Deserialize)]
struct GetRecord {
    did: Option<String>,
    collection: Option<String>,
    rkey: Option<String>,
}

fn xrpc_error(status: StatusCode, error: &str, message: &str) -> Response {
    let body = obj(&[("error", error.into()), ("message", message.into())]);
    let mut r = (status, json::to_canonical_string(&body)).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

fn document(s: &Shared, did: &str) -> Response {
    let doc = s.state.lock().unwrap().documents.get(did).cloned();
    match doc {
        Some(doc) => {
            s.fetches.fetch_add(1, Ordering::SeqCst);
            let mut r = doc.into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            r
        }
        None => (StatusCode::NOT_FOUND, "DID not registered").into_response(),
    }
}

async fn get_record(State(s): State<Shared>, Query(q): Query<GetRecord>) -> Response {
    let (Some(did), Some(collection), Some(rkey)) = (q.did, q.collection, q.rkey) else {
        return xrpc_error(
            StatusCode::BAD_REQUEST,
            "InvalidRequest",
            "did, collection and rkey are required",
        );
    };
    let uri = format!("at://{did}/{collection}/{rkey}");
    let car = s.state.lock().unwrap().records.get(&uri).cloned();
    match car {
        Some(car) => {
            let mut r = car.into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/vnd.ipld.car"),
            );
            r
        }
        None => xrpc_error(
            StatusCode::BAD_REQUEST,
            "RecordNotFound",
            "Could not locate record",
        ),
    }
}

impl Pds {
    pub async fn start() -> Pds {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let state = Arc::new(Mutex::new(PdsState::default()));
        let fetches = Arc::new(AtomicUsize::new(0));
        let shared = Shared {
            state: state.clone(),
            fetches: fetches.clone(),
            port,
        };
        let app =
            Router::new()
                .route(
                    "/.well-known/did.json",
                    get(|State(s): State<Shared>| async move {
                        let did = format!("did:web:localhost%3A{}", s.port);
                        document(&s, &did)
                    }),
                )
                .route("/xrpc/com.atproto.sync.getRecord", get(get_record))
                .route(
                    "/{did}",
                    get(
                        |State(s): State<Shared>, Path(did): Path<String>| async move {
                            document(&s, &did)
                        },
                    ),
                )
                .with_state(shared);
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        Pds {
            base: format!("http://127.0.0.1:{port}"),
            port,
            state,
            document_fetches: fetches,
            shutdown: Some(tx),
        }
    }

    /// Publishes `did`'s document naming `multikey`, with this server as
    /// its PDS.
    pub fn publish_did(&self, did: &str, multikey: &str) {
        let doc = did_document(did, multikey, &self.base);
        self.publish_document(did, doc);
    }

    pub fn publish_document(&self, did: &str, doc: String) {
        self.state
            .lock()
            .unwrap()
            .documents
            .insert(did.to_owned(), doc);
    }

    /// Serves the repository's proofs (and answers for absent keys).
    pub fn host(&self, repo: &RepoFixture) {
        let mut state = self.state.lock().unwrap();
        for (uri, proof) in &repo.proofs {
            state.records.insert(uri.clone(), proof.car.clone());
        }
        for (uri, car) in &repo.absent {
            state.records.insert(uri.clone(), car.clone());
        }
    }

    pub fn fetches(&self) -> usize {
        self.document_fetches.load(Ordering::SeqCst)
    }
}
