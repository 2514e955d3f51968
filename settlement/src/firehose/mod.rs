//! Ingestion from a relay: `com.atproto.sync.subscribeRepos`, a WebSocket
//! of every repository's commits (`frame`), applied here one event at a
//! time (`apply`), with the cursor stored once each event's effects are
//! committed (`store`), and a DID's records fetched on demand
//! (`backfill`).
//!
//! The stream is resumed from the stored cursor after a restart or a
//! dropped connection; reconnects back off from 1 s to a minute. An
//! operation that needs an owner's PDS or DID document that does not
//! answer is deferred and taken again apart from the stream (after 10 s,
//! doubling to an hour; a record for 30 attempts, a deletion until it
//! holds). An event that fails in the exchange's own database is applied
//! again, and after 10 attempts its operations are deferred, so the cursor
//! never passes an operation neither applied nor deferred.

pub mod apply;
pub mod backfill;
pub mod frame;
pub mod standin;
pub mod store;

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt as _;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use crate::metrics::{Counter, Scrape};
use crate::service::Service;

/// A deferred operation's first wait, its longest, and its attempts.
pub(crate) const DEFER_FIRST_US: i64 = 10_000_000;
const DEFER_MAX_US: i64 = 3_600_000_000;
const DEFER_ATTEMPTS: i64 = 30;
/// Attempts at an event failing in the exchange's database before its
/// operations are deferred.
const STALL_ATTEMPTS: u32 = 10;
/// A connection with no message for this long is opened again.
const IDLE: Duration = Duration::from_secs(300);
const BACKOFF_MAX: Duration = Duration::from_secs(60);

/// Where to subscribe, and what to do with receipts.
#[derive(Clone, Debug)]
pub struct FirehoseConfig {
    /// The relay (or PDS) base URL: wss:// (https:// is read as wss://);
    /// ws:// only to this machine.
    pub relay: reqwest::Url,
    /// Charge receipts as they arrive.
    pub settle: bool,
}

/// The relay's ingestion, shared by the stream and the backfill route.
pub struct Firehose {
    pub config: FirehoseConfig,
    pub applier: apply::Applier,
    /// The key the cursor is stored under (the relay's URL, no query).
    relay_key: String,
    /// Whether a stream is open now.
    connected: std::sync::atomic::AtomicBool,
}

/// The operations applied, by outcome (stored, settled, revoked, or the
/// refusal's code).
pub fn counter() -> Counter {
    Counter::new(
        "settlement_firehose_ops",
        "Records from the relay (and backfills) by outcome: stored, settled, replayed, revoked, withdrawn, forgotten, kept, present, ignored, inactive, deferred, abandoned, or the refusal's code.",
    )
}

impl Firehose {
    pub fn new(service: Arc<Service>, config: FirehoseConfig) -> Result<Firehose, String> {
        let mut relay = config.relay.clone();
        match relay.scheme() {
            "wss" | "https" => {}
            "ws" | "http" if crate::tls::is_loopback_host(relay.host_str().unwrap_or("")) => {}
            other => {
                return Err(format!(
                    "relay: {other}:// is not wss; plain ws reaches this machine only"
                ));
            }
        }
        relay.set_query(None);
        relay.set_fragment(None);
        let _ = relay.set_username("");
        let _ = relay.set_password(None);
        let relay_key = relay.as_str().trim_end_matches('/').to_owned();
        Ok(Firehose {
            applier: apply::Applier {
                service,
                settle: config.settle,
                ops: Arc::new(counter()),
            },
            config,
            relay_key,
            connected: std::sync::atomic::AtomicBool::new(false),
        })
    }

    /// Whether a stream from the relay is open now.
    pub fn is_connected(&self) -> bool {
        self.connected.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The ops counter, the connection and the cursor.
    pub async fn collect_metrics(&self, scrape: &mut Scrape) {
        scrape.counter(&self.applier.ops);
        scrape.gauge(
            "settlement_firehose_connected",
            "1 while a stream from the relay is open.",
            i64::from(self.connected.load(std::sync::atomic::Ordering::Relaxed)),
        );
        if let Ok(Some(seq)) = store::cursor(&self.applier.service.store, &self.relay_key).await {
            scrape.gauge(
                "settlement_firehose_cursor",
                "Sequence number of the last relay event applied.",
                seq,
            );
        }
    }

    /// Subscribes, and takes deferred operations again, for as long as
    /// the process runs (aborting the handle stops both).
    pub fn spawn(self: Arc<Self>) -> tokio::task::JoinHandle<()> {
        let deferred = self.clone();
        tokio::spawn(async move {
            let retries = tokio::spawn(async move {
                loop {
                    tokio::time::sleep(Duration::from_secs(2)).await;
                    if let Err(e) = deferred.deferred_pass().await {
                        tracing::warn!(error = %e, "deferred relay operations: the database failed");
                    }
                }
            });
            let _abort_with_this = AbortOnDrop(retries);
            let mut backoff = Duration::from_secs(1);
            loop {
                match self.session().await {
                    Ok(applied) => {
                        tracing::info!(applied, "relay stream closed; subscribing again");
                        if applied > 0 {
                            backoff = Duration::from_secs(1);
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %crate::secrets::scrub(&e), "relay stream failed")
                    }
                }
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(BACKOFF_MAX);
            }
        })
    }

    /// One connection: from the stored cursor until the stream ends.
    /// How many events it applied.
    async fn session(&self) -> Result<u64, String> {
        let store = &self.applier.service.store;
        let cursor = store::cursor(store, &self.relay_key)
            .await
            .map_err(|e| e.to_string())?;
        let mut url = self.config.relay.clone();
        let scheme = if matches!(url.scheme(), "wss" | "https") {
            "wss"
        } else {
            "ws"
        };
        url.set_scheme(scheme)
            .map_err(|_| "relay: cannot use this URL".to_owned())?;
        url.set_path(&format!(
            "{}/xrpc/com.atproto.sync.subscribeRepos",
            url.path().trim_end_matches('/')
        ));
        url.set_query(None);
        if let Some(seq) = cursor {
            url.query_pairs_mut()
                .append_pair("cursor", &seq.to_string());
        }
        let mut ws = connect(&url).await?;
        self.connected
            .store(true, std::sync::atomic::Ordering::Relaxed);
        let applied = self.stream(&mut ws).await;
        self.connected
            .store(false, std::sync::atomic::Ordering::Relaxed);
        applied
    }

    /// Reads and applies events until the stream ends.
    async fn stream(&self, ws: &mut Socket) -> Result<u64, String> {
        tracing::info!(relay = %crate::secrets::redact_url(&self.relay_key), "subscribed to the relay");
        let mut applied = 0u64;
        loop {
            let msg = match tokio::time::timeout(IDLE, ws.next()).await {
                Err(_) => return Ok(applied),
                Ok(None) => return Ok(applied),
                Ok(Some(m)) => m.map_err(|e| format!("relay: {e}"))?,
            };
            let bytes = match msg {
                Message::Binary(b) => b,
                Message::Close(_) => return Ok(applied),
                _ => continue,
            };
            let event = match frame::decode(&bytes) {
                Ok(e) => e,
                Err(e) => {
                    tracing::warn!(error = %e, "unreadable relay frame passed over");
                    self.applier.ops.count("unreadable-frame");
                    continue;
                }
            };
            if let frame::Event::Error { error, message } = &event {
                return Err(format!("relay error {error}: {message}"));
            }
            if let frame::Event::Info { name } = &event {
                tracing::warn!(name, "relay info");
            }
            self.handle(&event).await?;
            applied += 1;
        }
    }

    /// Applies one event (again, while the exchange's database fails),
    /// then stores the cursor.
    async fn handle(&self, event: &frame::Event) -> Result<(), String> {
        let mut attempt = 0u32;
        while let Err(apply::Retry(reason)) = self.applier.apply(event).await {
            attempt += 1;
            // One event that keeps failing must not stop every
            // repository's: its operations wait apart from the stream.
            if attempt >= STALL_ATTEMPTS
                && let frame::Event::Commit(c) = event
                && self.applier.defer_all(c, &reason).await.is_ok()
            {
                tracing::error!(
                    seq = c.seq,
                    reason,
                    "relay event deferred after {attempt} attempts"
                );
                break;
            }
            let wait = Duration::from_millis(250 << attempt.min(8)).min(BACKOFF_MAX);
            tracing::warn!(seq = ?event.seq(), reason, attempt, "relay event to be applied again");
            tokio::time::sleep(wait).await;
        }
        if let Some(seq) = event.seq() {
            let now = self.applier.service.now().unix_micros();
            store::set_cursor(&self.applier.service.store, &self.relay_key, seq, now)
                .await
                .map_err(|e| format!("storing the cursor: {e}"))?;
        }
        Ok(())
    }
}

/// Aborts a task when dropped (the stream's task owns the retries').
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Firehose {
    /// Takes the deferred operations that are due; how many were settled
    /// (done, refused or abandoned).
    pub async fn deferred_pass(&self) -> Result<usize, String> {
        let s = &self.applier.service;
        let now = s.now().unix_micros();
        let due = store::due(&s.store, now, 50)
            .await
            .map_err(|e| e.to_string())?;
        let mut settled = 0;
        for d in due {
            let done = match (d.action.as_str(), &d.blocks) {
                ("deletion", Some(blocks)) => s.apply_deletion(&d.uri, blocks, s.now()).await,
                _ => self.applier.take_from_repo(&d.uri).await,
            };
            let outcome = match done {
                Ok(outcome) => Some(outcome),
                Err(f) => match apply::taken(&f) {
                    apply::Taken::Refused(code, reason) => {
                        tracing::info!(record = %d.uri, code, reason, "deferred relay operation refused");
                        Some(code)
                    }
                    // The exchange's own database: the next pass, as it was.
                    apply::Taken::Ours(reason) => {
                        tracing::warn!(record = %d.uri, reason, "deferred relay operation: the database failed");
                        None
                    }
                    // A deletion is never given up: it only ever takes
                    // chargeability away.
                    apply::Taken::Later(reason)
                        if d.action == "deletion" || d.attempts + 1 < DEFER_ATTEMPTS =>
                    {
                        let shift = u32::try_from(d.attempts.clamp(0, 20)).unwrap_or(20);
                        let wait = DEFER_FIRST_US.saturating_mul(1 << shift).min(DEFER_MAX_US);
                        store::retry(&s.store, &d, now + wait, &reason)
                            .await
                            .map_err(|e| e.to_string())?;
                        None
                    }
                    apply::Taken::Later(reason) => {
                        tracing::error!(record = %d.uri, action = %d.action, reason, "deferred relay operation abandoned");
                        Some("abandoned")
                    }
                },
            };
            if let Some(outcome) = outcome {
                store::done(&s.store, &d).await.map_err(|e| e.to_string())?;
                self.applier.ops.count(outcome);
                settled += 1;
            }
        }
        Ok(settled)
    }
}

/// Any byte stream under the WebSocket.
pub trait Io: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send> Io for T {}

pub type Socket = tokio_tungstenite::WebSocketStream<Box<dyn Io>>;

/// Opens the WebSocket: TCP, then TLS on the engine's one stack (wss),
/// then the handshake; frames larger than [`frame::FRAME_BYTES_MAX`] are
/// refused by the reader.
pub async fn connect(url: &reqwest::Url) -> Result<Socket, String> {
    let host = url.host_str().ok_or("relay: no host")?.to_owned();
    let port = url
        .port_or_known_default()
        .unwrap_or(if url.scheme() == "wss" { 443 } else { 80 });
    let tcp = tokio::time::timeout(
        Duration::from_secs(10),
        tokio::net::TcpStream::connect((host.trim_start_matches('[').trim_end_matches(']'), port)),
    )
    .await
    .map_err(|_| "relay: connect timed out".to_owned())?
    .map_err(|e| format!("relay: connect: {e}"))?;
    let stream: Box<dyn Io> = if url.scheme() == "wss" {
        let name = rustls::pki_types::ServerName::try_from(host.clone())
            .map_err(|e| format!("relay: {e}"))?;
        let tls = tokio_rustls::TlsConnector::from(crate::tls::rustls_config()?)
            .connect(name, tcp)
            .await
            .map_err(|e| format!("relay: TLS: {e}"))?;
        Box::new(tls)
    } else {
        Box::new(tcp)
    };
    let config = WebSocketConfig::default()
        .max_message_size(Some(frame::FRAME_BYTES_MAX))
        .max_frame_size(Some(frame::FRAME_BYTES_MAX));
    let (ws, _) = tokio::time::timeout(
        Duration::from_secs(10),
        tokio_tungstenite::client_async_with_config(url.as_str(), stream, Some(config)),
    )
    .await
    .map_err(|_| "relay: handshake timed out".to_owned())?
    .map_err(|e| format!("relay: handshake: {e}"))?;
    Ok(ws)
}
