//! The public pages, drawn from public data only: the exchange, the
//! settlements explorer, a settlement with its checks recomputed, an
//! authorization's charges against its budget, a provider's settlements
//! and payouts. No balance of anyone's account appears here: what a page
//! shows is what the signed records and the chain already tell.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::page::{self, Nav, PAGE_ROWS, html, money, when};
use super::store::{self, Filter, Line};
use super::{link, nav_of};
use crate::records::formats::{AtUri, is_did};
use crate::records::{NSID_AUTHORIZATION, NSID_JOB, NSID_RECEIPT, NSID_SETTLEMENT, json};
use crate::service::Service;

type Shared = State<Arc<Service>>;

/// A settlement as one line of a table.
pub struct LineView {
    pub when: String,
    pub amount: String,
    pub fee: String,
    pub requester: String,
    pub provider: String,
    pub provider_href: String,
    pub paid: &'static str,
    pub href: String,
    pub rkey: String,
}

pub fn line_view(l: &Line) -> LineView {
    LineView {
        when: when(l.created_at),
        amount: money(l.amount_minor, &l.currency),
        fee: money(l.fee_minor, &l.currency),
        requester: l.requester.clone(),
        provider: l.provider.clone(),
        provider_href: link("/console/provider", &[("did", &l.provider)]),
        paid: if l.payout_id.is_some() {
            "in a payout"
        } else {
            "not yet"
        },
        href: settlement_href(&l.uri),
        rkey: rkey(&l.uri),
    }
}

pub fn settlement_href(uri: &str) -> String {
    link("/console/settlement", &[("uri", uri)])
}

fn rkey(uri: &str) -> String {
    AtUri::parse(uri).map_or_else(|| uri.to_owned(), |u| u.rkey().to_owned())
}

#[derive(serde::Deserialize)]
pub struct PageQuery {
    q: Option<String>,
    uri: Option<String>,
    did: Option<String>,
    cursor: Option<String>,
    payouts: Option<String>,
}

struct TotalsView {
    currency: String,
    settlements: i64,
    charged: String,
    fees: String,
    payouts: i64,
    paid: String,
}

#[derive(Template)]
#[template(path = "console/home.html")]
struct Home {
    nav: Nav,
    did: String,
    jwk: String,
    fee: String,
    currencies: String,
    self_loop: &'static str,
    open_jobs: &'static str,
    totals: Vec<TotalsView>,
    q: String,
}

/// `GET /console`: the exchange, its terms and its totals.
pub async fn home(State(s): Shared, headers: HeaderMap) -> Response {
    let nav = nav_of(&s, &headers).await;
    let signed_in = nav.signed_in;
    let totals = match store::totals(&s.store).await {
        Ok(t) => t,
        Err(e) => return page::failure_page(e.into(), &nav),
    };
    let p = &s.policy;
    let view = Home {
        did: s.exchange.did.clone(),
        jwk: json::to_canonical_string(&s.exchange.jwk()),
        fee: format!(
            "{}.{:02} % of each charge, at least {} minor unit(s), never more than the charge",
            p.bps / 100,
            p.bps % 100,
            p.min_minor
        ),
        currencies: p.currencies.join(", "),
        self_loop: if p.self_loop_fee_waived {
            "no fee"
        } else {
            "the usual fee"
        },
        open_jobs: if p.open_jobs {
            "charged"
        } else {
            "refused (a job must name its providers)"
        },
        totals: totals
            .into_iter()
            .map(|t| TotalsView {
                charged: money(t.amount_minor, &t.currency),
                fees: money(t.fee_minor, &t.currency),
                paid: money(t.paid_minor, &t.currency),
                settlements: t.settlements,
                payouts: t.payouts,
                currency: t.currency,
            })
            .collect(),
        q: String::new(),
        nav,
    };
    html(StatusCode::OK, &view, signed_in)
}

#[derive(Template)]
#[template(path = "console/explorer.html")]
struct Explorer {
    nav: Nav,
    q: String,
    problem: String,
    caption: String,
    lines: Vec<LineView>,
    next: String,
}

/// What a search names: every settlement, those of one record URI, or
/// those of a DID.
enum Search<'a> {
    Filter(Filter<'a>),
    Did(&'a str),
}

fn search(q: &str) -> Result<Search<'_>, String> {
    if q.is_empty() {
        return Ok(Search::Filter(Filter::All));
    }
    if is_did(q) {
        return Ok(Search::Did(q));
    }
    let uri = AtUri::parse(q)
        .ok_or_else(|| "q: neither a DID nor an AT URI (at://did/collection/rkey)".to_owned())?;
    match uri.collection() {
        NSID_SETTLEMENT => Ok(Search::Filter(Filter::Uri(q))),
        NSID_RECEIPT => Ok(Search::Filter(Filter::Receipt(q))),
        NSID_AUTHORIZATION => Ok(Search::Filter(Filter::Authorization(q))),
        NSID_JOB => Ok(Search::Filter(Filter::Job(q))),
        other => Err(format!(
            "q: {other} records are not searched; give a settlement, receipt, paymentAuthorization or job URI"
        )),
    }
}

/// The explorer's page of settlements for `q` below `cursor`: its lines
/// and the next page's link; or why not, with its status (400 for the
/// query, 503 when the database did not answer).
async fn explore(
    s: &Service,
    q: &str,
    cursor: Option<&str>,
) -> Result<(Vec<Line>, String), (StatusCode, String)> {
    let bad = |e: String| (StatusCode::BAD_REQUEST, e);
    let before = page::cursor(cursor).map_err(bad)?;
    let lines = match search(q).map_err(bad)? {
        Search::Filter(f) => store::lines(&s.store, f, before, PAGE_ROWS).await,
        Search::Did(did) => store::lines_of_did(&s.store, did, before, PAGE_ROWS).await,
    }
    .map_err(|e| {
        tracing::error!("console explorer: {e}");
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "the settlements could not be read; try again".to_owned(),
        )
    })?;
    let next = page::next_cursor(lines.last().map(|l| l.seq), lines.len())
        .map_or_else(String::new, |c| {
            link("/console/settlements", &[("q", q), ("cursor", &c)])
        });
    Ok((lines, next))
}

/// `GET /console/settlements?q=&cursor=`: settlements newest first, all
/// or those a URI or DID names.
pub async fn explorer(
    State(s): Shared,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
) -> Response {
    let nav = nav_of(&s, &headers).await;
    let signed_in = nav.signed_in;
    let text = q.q.as_deref().unwrap_or("").trim().to_owned();
    let (status, lines, next, problem) = match explore(&s, &text, q.cursor.as_deref()).await {
        Ok((lines, next)) => (StatusCode::OK, lines, next, String::new()),
        Err((status, p)) => (status, Vec::new(), String::new(), p),
    };
    let view = Explorer {
        nav,
        caption: if text.is_empty() {
            "Every settlement, newest first".to_owned()
        } else {
            format!("Settlements of {text}, newest first")
        },
        q: text,
        problem,
        lines: lines.iter().map(line_view).collect(),
        next,
    };
    html(status, &view, signed_in)
}

/// A failed check as a page shows it.
pub struct FailureView {
    pub check: String,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "console/settlement.html")]
struct SettlementPage {
    nav: Nav,
    rkey: String,
    verified: bool,
    failures: Vec<FailureView>,
    uri: String,
    cid: String,
    when: String,
    amount: String,
    fee: String,
    requester: String,
    provider: String,
    provider_href: String,
    receipt: String,
    authorization: String,
    authorization_href: String,
    paid: String,
    disputes: Vec<String>,
    record: String,
}

/// `GET /console/settlement?uri=`: one settlement, its checks recomputed
/// now from the exchange's store (the checks of `settlement audit`).
pub async fn settlement(
    State(s): Shared,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
) -> Response {
    let nav = nav_of(&s, &headers).await;
    let signed_in = nav.signed_in;
    let Some(uri) = q.uri.as_deref().filter(|u| !u.is_empty()) else {
        return page::error_page(
            StatusCode::BAD_REQUEST,
            &nav,
            "uri: a settlement's AT URI is required",
        );
    };
    let row = match s.store.settlement_by_uri(uri).await {
        Ok(Some(r)) => r,
        Ok(None) => {
            return page::error_page(
                StatusCode::NOT_FOUND,
                &nav,
                &format!("no settlement {uri} is stored"),
            );
        }
        Err(e) => return page::failure_page(e.into(), &nav),
    };
    let failures = match s.verify_settlement(uri).await {
        Ok(d) => d,
        Err(f) => return page::failure_page(f, &nav),
    };
    let paid = match paid_out(&s, uri).await {
        Ok(p) => p,
        Err(f) => return page::failure_page(f, &nav),
    };
    let disputes = match crate::dispute::store::of_settlement(&s.store, uri).await {
        Ok(d) => d,
        Err(e) => return page::failure_page(e.into(), &nav),
    };
    let disputes = disputes
        .into_iter()
        .map(|d| {
            format!(
                "{} ({}), raised by {} at {}: {}{}",
                d.category,
                d.id,
                d.raised_by,
                when(d.created_at),
                d.status,
                d.verdict.map(|v| format!(", {v}")).unwrap_or_default()
            )
        })
        .collect();
    let view = SettlementPage {
        rkey: rkey(&row.uri),
        verified: failures.is_empty(),
        failures: failures
            .into_iter()
            .map(|d| FailureView {
                check: d.check.to_owned(),
                detail: d.detail,
            })
            .collect(),
        when: when(row.created_at),
        amount: money(row.amount_minor, &row.currency),
        fee: money(row.fee_minor, &row.currency),
        provider_href: link("/console/provider", &[("did", &row.provider)]),
        authorization_href: link("/console/authorization", &[("uri", &row.authorization_uri)]),
        record: json::to_pretty_string(&row.value),
        uri: row.uri,
        cid: row.cid,
        requester: row.requester,
        provider: row.provider,
        receipt: row.receipt_uri,
        authorization: row.authorization_uri,
        paid,
        disputes,
        nav,
    };
    html(StatusCode::OK, &view, signed_in)
}

/// Whether a settlement's provider share was paid out: the transaction
/// once confirmed (as its `processorReference` says publicly), and no
/// more than "on its way" before that (an open payout's amount is the
/// provider's balance).
async fn paid_out(s: &Service, uri: &str) -> Result<String, crate::failure::Failure> {
    let lines = store::lines(&s.store, Filter::Uri(uri), i64::MAX, 1).await?;
    let Some(id) = lines.first().and_then(|l| l.payout_id.clone()) else {
        return Ok("not yet".to_owned());
    };
    Ok(match s.store.payout(&id).await? {
        Some(p) if p.state.as_str() == "confirmed" => format!(
            "paid on chain in transaction {}",
            p.tx_hash.unwrap_or_default()
        ),
        Some(_) => "in a payout on its way".to_owned(),
        None => "not yet".to_owned(),
    })
}

/// One charge of an authorization, verified.
struct ChargeView {
    when: String,
    amount: String,
    provider: String,
    verified: bool,
    reason: String,
    href: String,
    rkey: String,
}

#[derive(Template)]
#[template(path = "console/authorization.html")]
struct AuthorizationPage {
    nav: Nav,
    uri: String,
    requester: String,
    scope: String,
    expires: String,
    expired: bool,
    state: &'static str,
    charged: String,
    limit: String,
    remaining: String,
    charges: i64,
    limit_minor: i64,
    charged_minor: i64,
    percent: i64,
    rows: Vec<ChargeView>,
    next: String,
}

/// `GET /console/authorization?uri=&cursor=`: an authorization's budget
/// and its charges, each verified now.
pub async fn authorization(
    State(s): Shared,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
) -> Response {
    let nav = nav_of(&s, &headers).await;
    let signed_in = nav.signed_in;
    let Some(uri) = q.uri.as_deref().filter(|u| !u.is_empty()) else {
        return page::error_page(
            StatusCode::BAD_REQUEST,
            &nav,
            "uri: an authorization's AT URI is required",
        );
    };
    let before = match page::cursor(q.cursor.as_deref()) {
        Ok(b) => b,
        Err(e) => return page::error_page(StatusCode::BAD_REQUEST, &nav, &e),
    };
    let view = match s.authorization(uri, 0).await {
        Ok(v) => v,
        Err(f) => return page::failure_page(f, &nav),
    };
    let lines = match store::lines(&s.store, Filter::Authorization(uri), before, PAGE_ROWS).await {
        Ok(l) => l,
        Err(e) => return page::failure_page(e.into(), &nav),
    };
    let mut rows = Vec::with_capacity(lines.len());
    for l in &lines {
        let (verified, reason) = match s.verify_settlement(&l.uri).await {
            Ok(d) if d.is_empty() => (true, String::new()),
            Ok(d) => (
                false,
                d.iter()
                    .map(|x| format!("{}: {}", x.check, x.detail))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            Err(f) => (false, f.code.to_owned()),
        };
        rows.push(ChargeView {
            when: when(l.created_at),
            amount: money(l.amount_minor, &l.currency),
            provider: l.provider.clone(),
            verified,
            reason,
            href: settlement_href(&l.uri),
            rkey: rkey(&l.uri),
        });
    }
    let st = &view.state;
    let now = s.clock.now_us();
    let next = page::next_cursor(lines.last().map(|l| l.seq), lines.len())
        .map_or_else(String::new, |c| {
            link("/console/authorization", &[("uri", uri), ("cursor", &c)])
        });
    let page_view = AuthorizationPage {
        uri: st.authorization_uri.clone(),
        requester: st.requester.clone(),
        scope: st.scope.clone(),
        expires: when(st.expires_at),
        expired: st.expires_at <= now,
        state: if st.revoked {
            "revoked by its requester"
        } else if st.consumed {
            "used up"
        } else {
            "open"
        },
        charged: money(st.charged_minor, &st.currency),
        limit: money(st.limit_minor, &st.currency),
        remaining: money(st.limit_minor - st.charged_minor, &st.currency),
        charges: st.charges,
        limit_minor: st.limit_minor,
        charged_minor: st.charged_minor,
        percent: if st.limit_minor > 0 {
            i64::try_from(i128::from(st.charged_minor) * 100 / i128::from(st.limit_minor))
                .unwrap_or(100)
        } else {
            0
        },
        rows,
        next,
        nav,
    };
    html(StatusCode::OK, &page_view, signed_in)
}

/// A payout as a table shows it.
pub struct PayoutView {
    pub when: String,
    pub provider: String,
    pub amount: String,
    pub state: String,
    pub error: String,
    pub tx: String,
    pub block: String,
}

pub fn payout_view(p: &store::PayoutLine) -> PayoutView {
    PayoutView {
        when: when(p.updated_at),
        provider: p.provider.clone(),
        amount: money(p.amount_minor, &p.currency),
        state: p.state.clone(),
        error: p.error.clone().unwrap_or_default(),
        tx: p.tx_hash.clone().unwrap_or_default(),
        block: p.block_number.map(|b| b.to_string()).unwrap_or_default(),
    }
}

#[derive(Template)]
#[template(path = "console/provider.html")]
struct ProviderPage {
    nav: Nav,
    did: String,
    payouts: Vec<PayoutView>,
    payouts_next: String,
    caption: String,
    lines: Vec<LineView>,
    next: String,
}

/// `GET /console/provider?did=&cursor=&payouts=`: a provider's payouts
/// with their transactions and its settlements, each paged.
pub async fn provider(
    State(s): Shared,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
) -> Response {
    let nav = nav_of(&s, &headers).await;
    let signed_in = nav.signed_in;
    let Some(did) = q.did.as_deref().filter(|d| is_did(d)) else {
        return page::error_page(
            StatusCode::BAD_REQUEST,
            &nav,
            "did: a provider's DID is required",
        );
    };
    let (before, payouts_before) = match (
        page::cursor(q.cursor.as_deref()),
        page::cursor(q.payouts.as_deref()),
    ) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return page::error_page(StatusCode::BAD_REQUEST, &nav, &e),
    };
    let lines = match store::lines(&s.store, Filter::Provider(did), before, PAGE_ROWS).await {
        Ok(l) => l,
        Err(e) => return page::failure_page(e.into(), &nav),
    };
    let payouts = match store::payouts(
        &s.store,
        store::Payouts::ConfirmedOf(did),
        payouts_before,
        PAGE_ROWS,
    )
    .await
    {
        Ok(p) => p,
        Err(e) => return page::failure_page(e.into(), &nav),
    };
    // Each list's next page keeps the other list where it is.
    let keep_payouts = q.payouts.as_deref().unwrap_or("");
    let keep_lines = q.cursor.as_deref().unwrap_or("");
    let next =
        page::next_cursor(lines.last().map(|l| l.seq), lines.len()).map_or_else(String::new, |c| {
            link(
                "/console/provider",
                &[("did", did), ("cursor", &c), ("payouts", keep_payouts)],
            )
        });
    let payouts_next = page::next_cursor(payouts.last().map(|p| p.seq), payouts.len()).map_or_else(
        String::new,
        |c| {
            link(
                "/console/provider",
                &[("did", did), ("cursor", keep_lines), ("payouts", &c)],
            )
        },
    );
    let view = ProviderPage {
        did: did.to_owned(),
        payouts: payouts.iter().map(payout_view).collect(),
        payouts_next,
        caption: "Its settlements, newest first".to_owned(),
        lines: lines.iter().map(line_view).collect(),
        next,
        nav,
    };
    html(StatusCode::OK, &view, signed_in)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn searches_name_what_they_find() {
        assert!(matches!(search(""), Ok(Search::Filter(Filter::All))));
        assert!(matches!(
            search("did:plc:abcdefghijklmnopqrstuvwx"),
            Ok(Search::Did(_))
        ));
        let s = "at://did:plc:abcdefghijklmnopqrstuvwx/dev.cocore.compute.settlement/3k";
        assert!(matches!(search(s), Ok(Search::Filter(Filter::Uri(_)))));
        let r = "at://did:plc:abcdefghijklmnopqrstuvwx/dev.cocore.compute.receipt/3k";
        assert!(matches!(search(r), Ok(Search::Filter(Filter::Receipt(_)))));
        let e = search("at://did:plc:abcdefghijklmnopqrstuvwx/app.bsky.feed.post/3k")
            .err()
            .unwrap();
        assert!(
            e.contains("app.bsky.feed.post records are not searched"),
            "{e}"
        );
        assert!(
            search("hello")
                .err()
                .unwrap()
                .starts_with("q: neither a DID nor an AT URI")
        );
    }
}
