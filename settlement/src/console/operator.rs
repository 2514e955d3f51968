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
/// once, at most [`FORM_FIELDS_MAX`] fields in [`FORM_BYTES_MAX`] bytes.
pub struct Form(Vec<(String, String)>);

/// The console's forms are small: the largest (a dispute's verdict) has
/// five fields and a rationale of at most 2048 characters.
pub const FORM_BYTES_MAX: usize = 16 * 1024;
pub const FORM_FIELDS_MAX: usize = 8;

impl Form {
    pub fn parse(headers: &HeaderMap, body: &[u8]) -> Result<Form, String> {
        if body.len() > FORM_BYTES_MAX {
            return Err(format!("the form is larger than {FORM_BYTES_MAX} bytes"));
        }
        let media = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !media.starts_with("application/x-www-form-urlencoded") {
            return Err("the form must be sent as application/x-www-form-urlencoded".into());
        }
        let mut fields: Vec<(String, String)> = Vec::new();
        for (k, v) in form_urlencoded::parse(body) {
            if fields.len() == FORM_FIELDS_MAX {
                return Err(format!("the form has more than {FORM_FIELDS_MAX} fields"));
            }
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

fn sign_in_page(status: StatusCode, problem: &str) -> Response {
    let (csrf, cookie) = session::sign_in_form();
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
    sign_in_page(StatusCode::OK, "")
}

/// `POST /console/operator/sign-in` `token=…&csrf=…`.
pub async fn sign_in(State(s): Shared, headers: HeaderMap, body: Bytes) -> Response {
    let form = match Form::parse(&headers, &body) {
        Ok(f) => f,
        Err(e) => return sign_in_page(StatusCode::BAD_REQUEST, &e),
    };
    match session::sign_in(&s, &headers, form.get("csrf"), form.get("token")).await {
        Ok(Ok(secret)) => {
            // A session the browser already had ends: one browser, one
            // session.
            if let Ok(Some(old)) = session::operator(&s, &headers).await {
                let _ = session::sign_out(&s, &old).await;
            }
            let mut r = see_other("/console/operator");
            let h = r.headers_mut();
            h.append(
                header::SET_COOKIE,
                session::set_cookie(session::SESSION_COOKIE, &secret, session::SESSION_SECS),
            );
            h.append(
                header::SET_COOKIE,
                session::set_cookie(session::SIGN_IN_COOKIE, "", 0),
            );
            r
        }
        Ok(Err(Refused::Csrf)) => sign_in_page(
            StatusCode::FORBIDDEN,
            "csrf: the sign-in form's token is missing or expired; this form has a new one",
        ),
        Ok(Err(Refused::NoOperator)) => sign_in_page(
            StatusCode::FORBIDDEN,
            "this exchange has no operator: it was started without an admin token",
        ),
        Ok(Err(Refused::WrongToken)) => sign_in_page(
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
        session::set_cookie(session::SESSION_COOKIE, "", 0),
    );
    r
}

/// The dashboard's cursors (payouts by `seq`, open disputes by id, held
/// charges by receipt URI) and the charts' currency.
#[derive(serde::Deserialize, Default)]
pub struct DashboardQuery {
    cursor: Option<String>,
    currency: Option<String>,
    disputes: Option<String>,
    holds: Option<String>,
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
    disputes_next: String,
    holds: Vec<HoldView>,
    holds_next: String,
    currencies: Vec<String>,
    currency: String,
    hourly: String,
    daily: String,
    per_provider: String,
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
            let v = hours
                .iter()
                .filter(|x| x.hour.div_euclid(24) == d)
                .fold(0i64, |sum, x| sum.saturating_add(x.fee_minor));
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

/// `GET /console/operator?cursor=&currency=&disputes=&holds=`.
pub async fn dashboard(
    State(s): Shared,
    headers: HeaderMap,
    Query(q): Query<DashboardQuery>,
) -> Response {
    match require(&s, &headers, false).await {
        Ok(op) => dashboard_page(&s, &op, &q, String::new()).await,
        Err(r) => r,
    }
}

/// The dashboard for `q`, with `notice` (what the form just posted did)
/// above it. A form's answer is this page itself, never a redirect whose
/// URL could be made to claim what did not happen.
async fn dashboard_page(
    s: &Service,
    op: &Operator,
    q: &DashboardQuery,
    notice: String,
) -> Response {
    let nav = nav(op);
    let before = match page::cursor(q.cursor.as_deref()) {
        Ok(b) => b,
        Err(e) => return page::error_page(StatusCode::BAD_REQUEST, &nav, &e),
    };
    let currency = match &q.currency {
        Some(c) if s.policy.supports(c) => c.clone(),
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
    let disputes_after = q.disputes.as_deref().unwrap_or("");
    let holds_after = q.holds.as_deref().unwrap_or("");
    let result = async {
        let payouts = store::payouts(&s.store, store::Payouts::All, before, PAGE_ROWS).await?;
        let disputes = store::open_disputes(&s.store, disputes_after, PAGE_ROWS).await?;
        let holds = s.store.held(holds_after, PAGE_ROWS).await?;
        let charts = charts(s, &currency, s.clock.now_us()).await?;
        Ok::<_, Failure>((payouts, disputes, holds, charts))
    }
    .await;
    let (payouts, disputes, holds, (hourly, daily, per_provider)) = match result {
        Ok(x) => x,
        Err(f) => return page::failure_page(f, &nav),
    };
    let full = |n: usize| i64::try_from(n).unwrap_or(0) == PAGE_ROWS;
    let here =
        |k: &str, v: &str| super::link("/console/operator", &[(k, v), ("currency", &currency)]);
    let payouts_next = page::next_cursor(payouts.last().map(|p| p.seq), payouts.len())
        .map_or_else(String::new, |c| here("cursor", &c));
    let disputes_next = match disputes.last() {
        Some(d) if full(disputes.len()) => here("disputes", &d.id),
        _ => String::new(),
    };
    let holds_next = match holds.last() {
        Some(h) if full(holds.len()) => here("holds", &h.evidence.receipt_uri),
        _ => String::new(),
    };
    let view = Dashboard {
        notice,
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
        disputes_next,
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
        holds_next,
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
            let notice = format!(
                "A payout cycle ran: {} payout(s) planned, {} confirmed on chain, {} failed, {} still open.",
                report.planned.len(),
                report.confirmed.len(),
                report.failed.len(),
                report.open.len()
            );
            dashboard_page(&s, &op, &DashboardQuery::default(), notice).await
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
            let notice = format!(
                "Dispute {} is resolved ({}) and its money moved.",
                row.id,
                req.verdict.as_str()
            );
            dashboard_page(&s, &op, &DashboardQuery::default(), notice).await
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
        "release" => (Hold::Released, "released to its provider"),
        "refund" => (Hold::Refunded, "refunded to its requester"),
        _ => {
            return page::error_page(
                StatusCode::BAD_REQUEST,
                &nav(&op),
                "action: must be release or refund",
            );
        }
    };
    match s.end_hold(form.get("settlement"), to).await {
        Ok(_) => {
            let notice = format!("The held share of {} is {done}.", form.get("settlement"));
            dashboard_page(&s, &op, &DashboardQuery::default(), notice).await
        }
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
