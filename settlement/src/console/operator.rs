//! The operator's pages, behind the sign-in (`session`): payouts and
//! "pay now", open disputes and held charges with their actions, the
//! charts, the reconciliation with the chain. Every form carries the
//! session's CSRF token; a form without it changes nothing.

use std::sync::Arc;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::chart::{self, Bar};
use super::page::{self, Nav, PAGE_ROWS, html, money, when};
use super::public::{PayoutView, payout_view, settlement_href};
use super::session::{self, Operator, Refused};
use super::store;
use crate::dispute::{ResolveRequest, rules::Verdict};
use crate::failure::Failure;
use crate::inference::evidence::Hold;
use crate::service::Service;

type Shared = State<Arc<Service>>;

/// A form body: `application/x-www-form-urlencoded`, each field at most
/// once.
pub struct Form(Vec<(String, String)>);

impl Form {
    pub fn parse(headers: &HeaderMap, body: &[u8]) -> Result<Form, String> {
        let media = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !media.starts_with("application/x-www-form-urlencoded") {
            return Err("the form must be sent as application/x-www-form-urlencoded".into());
        }
        let mut fields: Vec<(String, String)> = Vec::new();
        for (k, v) in form_urlencoded::parse(body) {
            if fields.iter().any(|(seen, _)| *seen == k) {
                return Err(format!("{k}: given more than once"));
            }
            fields.push((k.into_owned(), v.into_owned()));
        }
        Ok(Form(fields))
    }

    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }
}

fn see_other(to: &str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

fn nav(op: &Operator) -> Nav {
    Nav {
        signed_in: true,
        csrf: op.csrf.clone(),
    }
}

/// The signed-in operator, or the answer to give instead: the sign-in
/// page for a read, 403 for a form.
async fn require(s: &Service, headers: &HeaderMap, form: bool) -> Result<Operator, Response> {
    match session::operator(s, headers).await {
        Ok(Some(op)) => Ok(op),
        Ok(None) if form => Err(page::error_page(
            StatusCode::FORBIDDEN,
            &Nav::default(),
            "you are not signed in (or the session ended): sign in again",
        )),
        Ok(None) => Err(see_other("/console/operator/sign-in")),
        Err(f) => Err(page::failure_page(f, &Nav::default())),
    }
}

/// A form from the signed-in operator with its CSRF token, parsed; the
/// refusal page otherwise.
async fn genuine_form(
    s: &Service,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(Operator, Form), Response> {
    let op = require(s, headers, true).await?;
    let form = Form::parse(headers, body)
        .map_err(|e| page::error_page(StatusCode::BAD_REQUEST, &nav(&op), &e))?;
    if !session::form_is_genuine(&op, headers, form.get("csrf")) {
        tracing::warn!("console: form refused (CSRF token missing or wrong, or another origin)");
        return Err(page::error_page(
            StatusCode::FORBIDDEN,
            &nav(&op),
            "csrf: this form's token is missing or wrong; nothing was changed. Reload the page and try again.",
        ));
    }
    Ok((op, form))
}

#[derive(Template)]
#[template(path = "console/sign_in.html")]
struct SignIn {
    nav: Nav,
    csrf: String,
    problem: String,
    hours: i64,
}

fn sign_in_page(headers: &HeaderMap, status: StatusCode, problem: &str) -> Response {
    let (csrf, cookie) = session::sign_in_form(headers);
    let mut r = html(
        status,
        &SignIn {
            nav: Nav::default(),
            csrf,
            problem: problem.to_owned(),
            hours: session::SESSION_SECS / 3600,
        },
        true,
    );
    r.headers_mut().append(header::SET_COOKIE, cookie);
    r
}

/// `GET /console/operator/sign-in`.
pub async fn sign_in_form(State(s): Shared, headers: HeaderMap) -> Response {
    if let Ok(Some(_)) = session::operator(&s, &headers).await {
        return see_other("/console/operator");
    }
    sign_in_page(&headers, StatusCode::OK, "")
}

/// `POST /console/operator/sign-in` `token=…&csrf=…`.
pub async fn sign_in(State(s): Shared, headers: HeaderMap, body: Bytes) -> Response {
    let form = match Form::parse(&headers, &body) {
        Ok(f) => f,
        Err(e) => return sign_in_page(&headers, StatusCode::BAD_REQUEST, &e),
    };
    match session::sign_in(&s, &headers, form.get("csrf"), form.get("token")).await {
        Ok(Ok(secret)) => {
            let mut r = see_other("/console/operator");
            let h = r.headers_mut();
            h.append(
                header::SET_COOKIE,
                session::set_cookie(
                    &headers,
                    session::SESSION_COOKIE,
                    &secret,
                    session::SESSION_SECS,
                ),
            );
            h.append(
                header::SET_COOKIE,
                session::set_cookie(&headers, session::SIGN_IN_COOKIE, "", 0),
            );
            r
        }
        Ok(Err(Refused::Csrf)) => sign_in_page(
            &headers,
            StatusCode::FORBIDDEN,
            "csrf: the sign-in form's token is missing or expired; this form has a new one",
        ),
        Ok(Err(Refused::NoOperator)) => sign_in_page(
            &headers,
            StatusCode::FORBIDDEN,
            "this exchange has no operator: it was started without an admin token",
        ),
        Ok(Err(Refused::WrongToken)) => sign_in_page(
            &headers,
            StatusCode::UNAUTHORIZED,
            "token: not this exchange's admin token",
        ),
        Err(f) => page::failure_page(f, &Nav::default()),
    }
}

/// `POST /console/operator/sign-out` `csrf=…`.
pub async fn sign_out(State(s): Shared, headers: HeaderMap, body: Bytes) -> Response {
    let (op, _) = match genuine_form(&s, &headers, &body).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    if let Err(f) = session::sign_out(&s, &op).await {
        return page::failure_page(f, &nav(&op));
    }
    let mut r = see_other("/console");
    r.headers_mut().append(
        header::SET_COOKIE,
        session::set_cookie(&headers, session::SESSION_COOKIE, "", 0),
    );
    r
}

#[derive(serde::Deserialize)]
pub struct DashboardQuery {
    cursor: Option<String>,
    currency: Option<String>,
    done: Option<String>,
    n: Option<u32>,
}

struct DisputeView {
    id: String,
    href: String,
    settlement: String,
    category: String,
    raised_by: String,
    when: String,
}

struct HoldView {
    href: String,
    settlement: String,
    verdict: String,
}

#[derive(Template)]
#[template(path = "console/operator.html")]
struct Dashboard {
    nav: Nav,
    notice: String,
    payouts: Vec<PayoutView>,
    payouts_next: String,
    disputes: Vec<DisputeView>,
    holds: Vec<HoldView>,
    currencies: Vec<String>,
    currency: String,
    hourly: String,
    daily: String,
    per_provider: String,
}

fn notice(done: Option<&str>, n: Option<u32>) -> String {
    let n = n.unwrap_or(0);
    match done {
        Some("paid") => format!("A payout cycle ran: {n} payout(s) confirmed on chain."),
        Some("resolved") => "The dispute is resolved and its money moved.".into(),
        Some("released") => "The held share is released to its provider.".into(),
        Some("refunded") => "The held share is refunded to its requester.".into(),
        _ => String::new(),
    }
}

const HOUR_US: i64 = 3_600_000_000;

/// The three charts for `currency` at `now`: charged per hour over 48
/// hours, fees per day over 30 days, paid per provider.
async fn charts(
    s: &Service,
    currency: &str,
    now: i64,
) -> Result<(String, String, String), Failure> {
    let this_hour = now.div_euclid(HOUR_US);
    let first_day = this_hour.div_euclid(24) - 29;
    let hours = store::hours(&s.store, currency, (first_day * 24).min(this_hour - 47)).await?;
    let hourly: Vec<Bar> = (this_hour - 47..=this_hour)
        .map(|h| {
            let v = hours
                .iter()
                .find(|x| x.hour == h)
                .map_or(0, |x| x.amount_minor);
            Bar {
                label: format!("{:02}h", h.rem_euclid(24)),
                value: v,
                shown: money(v, currency),
            }
        })
        .collect();
    let daily: Vec<Bar> = (first_day..first_day + 30)
        .map(|d| {
            let v: i64 = hours
                .iter()
                .filter(|x| x.hour.div_euclid(24) == d)
                .map(|x| x.fee_minor)
                .sum();
            let date = when(d * 24 * HOUR_US);
            Bar {
                label: date.get(5..10).unwrap_or("").to_owned(),
                value: v,
                shown: money(v, currency),
            }
        })
        .collect();
    let providers: Vec<Bar> = store::paid_per_provider(&s.store, currency, 12)
        .await?
        .into_iter()
        .map(|(p, v)| Bar {
            label: short_did(&p),
            value: v,
            shown: format!("{} to {p}", money(v, currency)),
        })
        .collect();
    Ok((
        chart::bars(&format!("Charged per hour, {currency}"), &hourly, 6),
        chart::bars(&format!("Fees per day, {currency}"), &daily, 5),
        chart::bars(&format!("Paid per provider, {currency}"), &providers, 1),
    ))
}

fn short_did(did: &str) -> String {
    let tail: String = did
        .chars()
        .rev()
        .take(6)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("…{tail}")
}

/// `GET /console/operator?cursor=&currency=`.
pub async fn dashboard(
    State(s): Shared,
    headers: HeaderMap,
    Query(q): Query<DashboardQuery>,
) -> Response {
    let op = match require(&s, &headers, false).await {
        Ok(op) => op,
        Err(r) => return r,
    };
    let nav = nav(&op);
    let before = match page::cursor(q.cursor.as_deref()) {
        Ok(b) => b,
        Err(e) => return page::error_page(StatusCode::BAD_REQUEST, &nav, &e),
    };
    let currency = match q.currency {
        Some(c) if s.policy.supports(&c) => c,
        Some(_) => {
            return page::error_page(
                StatusCode::BAD_REQUEST,
                &nav,
                &format!(
                    "currency: this exchange settles {}",
                    s.policy.currencies.join(", ")
                ),
            );
        }
        None => s.policy.currencies.first().cloned().unwrap_or_default(),
    };
    let result = async {
        let payouts = store::payouts(&s.store, None, before, PAGE_ROWS).await?;
        let disputes = store::open_disputes(&s.store, "", PAGE_ROWS).await?;
        let holds = s.store.held("", PAGE_ROWS).await?;
        let charts = charts(&s, &currency, s.clock.now_us()).await?;
        Ok::<_, Failure>((payouts, disputes, holds, charts))
    }
    .await;
    let (payouts, disputes, holds, (hourly, daily, per_provider)) = match result {
        Ok(x) => x,
        Err(f) => return page::failure_page(f, &nav),
    };
    let payouts_next = page::next_cursor(payouts.last().map(|p| p.seq), payouts.len()).map_or_else(
        String::new,
        |c| {
            super::link(
                "/console/operator",
                &[("cursor", &c), ("currency", &currency)],
            )
        },
    );
    let view = Dashboard {
        notice: notice(q.done.as_deref(), q.n),
        payouts: payouts.iter().map(payout_view).collect(),
        payouts_next,
        disputes: disputes
            .into_iter()
            .map(|d| DisputeView {
                href: settlement_href(&d.settlement_uri),
                settlement: d.settlement_uri,
                id: d.id,
                category: d.category,
                raised_by: d.raised_by,
                when: when(d.created_at),
            })
            .collect(),
        holds: holds
            .into_iter()
            .filter_map(|h| {
                let uri = h.settlement_uri?;
                Some(HoldView {
                    href: settlement_href(&uri),
                    settlement: uri,
                    verdict: h.evidence.verdict.as_str().to_owned(),
                })
            })
            .collect(),
        currencies: s.policy.currencies.clone(),
        currency,
        hourly,
        daily,
        per_provider,
        nav,
    };
    html(StatusCode::OK, &view, true)
}

/// `POST /console/operator/pay-now`: one payout cycle, waiting up to
/// 10 s for confirmations.
pub async fn pay_now(State(s): Shared, headers: HeaderMap, body: Bytes) -> Response {
    let (op, _) = match genuine_form(&s, &headers, &body).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Some(payouts) = s.payouts.get() else {
        return page::error_page(
            StatusCode::CONFLICT,
            &nav(&op),
            "payouts-disabled: no chain is configured (start the server with --rpc-url or --local-chain)",
        );
    };
    match payouts.run_cycle(std::time::Duration::from_secs(10)).await {
        Ok(report) => {
            tracing::info!(
                confirmed = report.confirmed.len(),
                "console: payout cycle run by the operator"
            );
            see_other(&format!(
                "/console/operator?done=paid&n={}",
                report.confirmed.len()
            ))
        }
        Err(e) => page::failure_page(
            Failure::new(
                crate::failure::FailureKind::Internal,
                "internal",
                e.to_string(),
            ),
            &nav(&op),
        ),
    }
}

/// `POST /console/operator/disputes/resolve` `id, verdict, amount?,
/// rationale?`.
pub async fn resolve_dispute(State(s): Shared, headers: HeaderMap, body: Bytes) -> Response {
    let (op, form) = match genuine_form(&s, &headers, &body).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let bad = |m: &str| page::error_page(StatusCode::BAD_REQUEST, &nav(&op), m);
    let Some(verdict) = Verdict::parse(form.get("verdict")) else {
        return bad(
            "verdict: must be one of refund-full, refund-partial, uphold-charge, forfeit-payout",
        );
    };
    let amount = match form.get("amount") {
        "" => None,
        a => match a.parse::<i64>() {
            Ok(v) if v >= 0 => Some(v),
            _ => return bad("amount: a whole number of minor units"),
        },
    };
    let rationale = match form.get("rationale") {
        "" => None,
        r if r.chars().count() <= 2048 => Some(r.to_owned()),
        _ => return bad("rationale: at most 2048 characters"),
    };
    let req = ResolveRequest {
        verdict,
        amount,
        rationale,
    };
    match crate::dispute::resolve(
        &s.store,
        &s.exchange,
        s.clock.now_us(),
        form.get("id"),
        &req,
    )
    .await
    {
        Ok((row, _)) => {
            tracing::info!(dispute = %row.id, verdict = req.verdict.as_str(), "dispute resolved from the console");
            see_other("/console/operator?done=resolved")
        }
        Err(f) => page::failure_page(f, &nav(&op)),
    }
}

/// `POST /console/operator/holds` `settlement, action=release|refund`.
pub async fn end_hold(State(s): Shared, headers: HeaderMap, body: Bytes) -> Response {
    let (op, form) = match genuine_form(&s, &headers, &body).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let (to, done) = match form.get("action") {
        "release" => (Hold::Released, "released"),
        "refund" => (Hold::Refunded, "refunded"),
        _ => {
            return page::error_page(
                StatusCode::BAD_REQUEST,
                &nav(&op),
                "action: must be release or refund",
            );
        }
    };
    match s.end_hold(form.get("settlement"), to).await {
        Ok(_) => see_other(&format!("/console/operator?done={done}")),
        Err(f) => page::failure_page(f, &nav(&op)),
    }
}

struct LineView {
    item: String,
    ledger: String,
    chain: String,
    ok: bool,
}

#[derive(Template)]
#[template(path = "console/reconciliation.html")]
struct ReconciliationPage {
    nav: Nav,
    problem: String,
    clean: bool,
    differences: usize,
    lines: Vec<LineView>,
}

/// `GET /console/operator/reconciliation`: the ledger against the chain,
/// read now.
pub async fn reconciliation(State(s): Shared, headers: HeaderMap) -> Response {
    let op = match require(&s, &headers, false).await {
        Ok(op) => op,
        Err(r) => return r,
    };
    let mut view = ReconciliationPage {
        nav: nav(&op),
        problem: String::new(),
        clean: false,
        differences: 0,
        lines: Vec::new(),
    };
    let Some(payouts) = s.payouts.get() else {
        view.problem =
            "payouts-disabled: no chain is configured, so there is nothing to reconcile".into();
        return html(StatusCode::CONFLICT, &view, true);
    };
    let c = payouts.config();
    match crate::contract::reconcile::reconcile(
        &s.store,
        payouts.chain(),
        &c.currency,
        c.currency_decimals,
    )
    .await
    {
        Ok(r) => {
            view.clean = r.is_clean();
            view.differences = r.differences();
            view.lines = r
                .lines
                .into_iter()
                .map(|l| LineView {
                    item: l.item,
                    ledger: l.ledger,
                    chain: l.chain,
                    ok: l.ok,
                })
                .collect();
            html(StatusCode::OK, &view, true)
        }
        Err(e) => {
            tracing::error!("console reconciliation: {e}");
            view.problem = "the chain could not be read; try again".into();
            html(StatusCode::SERVICE_UNAVAILABLE, &view, true)
        }
    }
}
