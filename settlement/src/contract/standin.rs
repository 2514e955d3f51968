//! A bidder's x402 endpoint, for tests and the demo (a bidder's server
//! cannot run here): `GET /ccr/{at}/{cid}` behind the x402-rs paywall
//! middleware, settled on the configured chain by the x402-rs `exact`
//! facilitator in process. Once paid, it answers its receipt (a CCR over
//! the request, its bid and the accept named in the path) as
//! `{uri, cid, value}`.

use std::sync::{Arc, Mutex};

use alloy::primitives::{Address, U256};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use x402_axum::X402Middleware;

use super::records::NSID_CCR;
use super::terms::decode_segment;
use crate::payout::chain::{ChainConfig, Treasury};
use crate::payout::facilitator::{InProcess, price_tag, token_deployment};
use crate::records::RawRecord;
use crate::records::cid::Cid;
use crate::records::formats::{Datetime, tid};
use crate::records::json::{self, Map, Value};

/// Who the bidder is, and how its endpoint answers.
#[derive(Clone, Debug)]
pub struct Bidder {
    pub did: String,
    /// Where its 402 says to pay, and how many token units it asks.
    pub pay_to: Address,
    pub asks: U256,
}

/// What a receipt names besides the accept: the bid and its request,
/// `(uri, cid)` each.
#[derive(Clone, Debug, Default)]
pub struct Bid {
    pub bid: (String, String),
    pub rfp: (String, String),
}

/// A running endpoint: its URL template (for the bid's `base_url`), the
/// receipts it answered, and a handle that stops it when dropped.
pub struct Endpoint {
    pub base_url: String,
    pub receipts: Arc<Mutex<Vec<RawRecord>>>,
    bid: Arc<Mutex<Bid>>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl Endpoint {
    /// The bid this endpoint is paid for (made once its URL is known).
    pub fn bid_on(&self, rfp: &RawRecord, bid: &RawRecord) {
        let pair = |r: &RawRecord| (r.uri.clone(), r.cid.clone().unwrap_or_default());
        if let Ok(mut b) = self.bid.lock() {
            *b = Bid {
                bid: pair(bid),
                rfp: pair(rfp),
            };
        }
    }

    /// The receipts answered so far.
    pub fn answered(&self) -> Vec<RawRecord> {
        self.receipts.lock().map(|r| r.clone()).unwrap_or_default()
    }
}

#[derive(Clone)]
struct Shared {
    bidder: Bidder,
    bid: Arc<Mutex<Bid>>,
    receipts: Arc<Mutex<Vec<RawRecord>>>,
}

fn strong_ref(uri: &str, cid: &str) -> Value {
    let mut m = Map::new();
    m.insert("uri".into(), uri.into());
    m.insert("cid".into(), cid.into());
    Value::Object(m)
}

/// The receipt bidder `did` writes for the accept at `ccba` (`uri`, `cid`)
/// of bid `b`.
pub fn receipt(did: &str, b: &Bid, ccba: (&str, &str), now: Datetime) -> RawRecord {
    let mut compute = Map::new();
    compute.insert("ipv4".into(), "192.0.2.10".into());
    let mut m = Map::new();
    m.insert("$type".into(), NSID_CCR.into());
    m.insert("rfp".into(), strong_ref(&b.rfp.0, &b.rfp.1));
    m.insert("bid".into(), strong_ref(&b.bid.0, &b.bid.1));
    m.insert("ccba".into(), strong_ref(ccba.0, ccba.1));
    m.insert("compute".into(), Value::Object(compute));
    m.insert("createdAt".into(), now.to_string().into());
    let value = Value::Object(m);
    let cid = Cid::for_record(&value).map(|c| c.to_string()).ok();
    RawRecord {
        uri: format!("at://{did}/{NSID_CCR}/{}", tid(now.unix_micros(), ccba.0)),
        cid,
        value,
    }
}

async fn paid(State(s): State<Shared>, Path((at, cid)): Path<(String, String)>) -> Response {
    let (Some(at), Some(cid)) = (decode_segment(&at), decode_segment(&cid)) else {
        return (StatusCode::BAD_REQUEST, "not an accept").into_response();
    };
    let now = Datetime::from_unix_micros(
        i64::try_from(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_micros())
                .unwrap_or(0),
        )
        .unwrap_or(0),
    );
    let bid = s.bid.lock().map(|b| b.clone()).unwrap_or_default();
    let r = receipt(&s.bidder.did, &bid, (&at, &cid), now);
    if let Ok(mut all) = s.receipts.lock() {
        all.push(r.clone());
    }
    let mut m = Map::new();
    m.insert("uri".into(), r.uri.into());
    if let Some(c) = r.cid {
        m.insert("cid".into(), c.into());
    }
    m.insert("value".into(), r.value);
    (StatusCode::OK, json::to_canonical_string(&Value::Object(m))).into_response()
}

/// Starts the endpoint on a loopback port; its facilitator sends
/// transactions as `relayer`.
pub async fn start(
    chain: &ChainConfig,
    token_decimals: u8,
    relayer: &Treasury,
    bidder: Bidder,
) -> Result<Endpoint, String> {
    let facilitator = InProcess::start(chain, relayer).await?;
    let token = token_deployment(chain, token_decimals);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("bidder endpoint: {e}"))?;
    let base = format!(
        "http://{}",
        listener.local_addr().map_err(|e| e.to_string())?
    );
    let x402 = X402Middleware::from_facilitator(facilitator)
        .settle_before_execution()
        .with_base_url(
            format!("{base}/")
                .parse()
                .map_err(|e| format!("bidder endpoint URL: {e}"))?,
        );
    let (pay_to, asks) = (bidder.pay_to, bidder.asks);
    let paywall = x402.with_dynamic_price(move |_headers, _uri, _base| {
        let tag = price_tag(pay_to, &token, asks);
        async move { vec![tag] }
    });
    let receipts = Arc::new(Mutex::new(Vec::new()));
    let bid = Arc::new(Mutex::new(Bid::default()));
    let shared = Shared {
        bidder,
        bid: bid.clone(),
        receipts: receipts.clone(),
    };
    let app = axum::Router::new()
        .route("/ccr/{at}/{cid}", get(paid).layer(paywall))
        .with_state(shared);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await;
    });
    Ok(Endpoint {
        base_url: format!("{base}/ccr/{{at}}/{{cid}}"),
        receipts,
        bid,
        _stop: stop,
    })
}
