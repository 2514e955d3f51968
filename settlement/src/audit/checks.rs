//! The checks of one settlement, the same for a requester's audit over
//! the public API and for the exchange's own `verifySettlement` over its
//! store.

use super::*;

/// Checks one stored settlement exactly as `audit` checks each listed one
/// (signature, CID, split, receipt by content, the rules of a charge at
/// settledAt), reading records from the exchange's own store. Returns what
/// failed; empty when the settlement holds.
pub async fn check_stored_settlement(
    store: &crate::store::Store,
    exchange_did: &str,
    key: p256::ecdsa::VerifyingKey,
    uri: &str,
    cid: &str,
    value: &Value,
) -> Result<Vec<Discrepancy>, AuditError> {
    let named = value.get("requesterAuthorization");
    let auth = AuthRef {
        uri: named
            .and_then(|a| a.get("uri"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned(),
        cid: named
            .and_then(|a| a.get("cid"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned(),
    };
    let currency = value
        .get("amountCharged")
        .and_then(|m| m.get("currency"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let auth_uri = AtUri::parse(&auth.uri).ok_or_else(|| {
        AuditError::Input(format!(
            "{uri}: requesterAuthorization.uri is not a record URI"
        ))
    })?;
    let mut a = Auditor {
        source: Source::Store(store.clone()),
        exchange: exchange_did.to_owned(),
        key,
        auth_uri: auth_uri.clone(),
        subject: uri.to_owned(),
        discrepancies: Vec::new(),
        cache: HashMap::new(),
    };
    let authorization = match a
        .record::<PaymentAuthorization>(auth_uri.as_str(), "authorization")
        .await?
    {
        Ok(r) => Some(r),
        Err(d) => {
            a.discrepancies.push(d);
            None
        }
    };
    let mut item = crate::records::json::Map::new();
    item.insert("uri".into(), uri.into());
    item.insert("cid".into(), cid.into());
    item.insert("value".into(), value.clone());
    a.settlement(
        0,
        &Value::Object(item),
        &auth,
        authorization.as_ref(),
        &currency,
        &mut BTreeSet::new(),
    )
    .await?;
    Ok(a.discrepancies)
}

/// Where the auditor reads records: the exchange's public API (a
/// requester's audit) or, inside the exchange, its own store
/// (`verifySettlement`). The checks are the same.
pub(super) enum Source {
    Api(Api),
    Store(crate::store::Store),
}

pub(super) struct Auditor {
    pub(super) source: Source,
    pub(super) exchange: String,
    pub(super) key: p256::ecdsa::VerifyingKey,
    pub(super) auth_uri: AtUri,
    pub(super) subject: String,
    pub(super) discrepancies: Vec<Discrepancy>,
    /// Records by URI (jobs and attestations are often shared); at most
    /// two per settlement plus the authorization.
    pub(super) cache: HashMap<String, Fetched>,
}

impl Auditor {
    pub(super) fn note(&mut self, subject: &str, check: &'static str, detail: String) {
        self.discrepancies.push(Discrepancy {
            subject: subject.to_owned(),
            check,
            detail,
        });
    }

    pub(super) async fn fetch(&mut self, uri: &str) -> Result<Fetched, AuditError> {
        if let Some(f) = self.cache.get(uri) {
            return Ok(f.clone());
        }
        let api = match &self.source {
            Source::Api(api) => api,
            Source::Store(store) => {
                let fetched = match store.get_record(uri).await {
                    Ok(Some(r)) => Fetched::Found {
                        cid: r.cid,
                        value: r.value,
                    },
                    Ok(None) => Fetched::Missing,
                    Err(e) => return Err(AuditError::Server(format!("reading {uri}: {e}"))),
                };
                self.cache.insert(uri.to_owned(), fetched.clone());
                return Ok(fetched);
            }
        };
        let reply = api.get("/v1/records", Some(uri), RECORD_BYTES_MAX).await?;
        let fetched = match (reply.status, reply.body) {
            (404, _) => Fetched::Missing,
            (200, Ok(body)) => {
                match (
                    body.get("uri").and_then(Value::as_str),
                    body.get("cid").and_then(Value::as_str),
                    body.get("value"),
                ) {
                    (Some(u), Some(cid), Some(value)) if u == uri => Fetched::Found {
                        cid: cid.to_owned(),
                        value: value.clone(),
                    },
                    (Some(u), _, _) if u != uri => {
                        Fetched::Unreadable(format!("asked for {uri}, the server answered {u}"))
                    }
                    _ => Fetched::Unreadable("the answer is not {uri, cid, value}".into()),
                }
            }
            (200, Err(e)) => Fetched::Unreadable(e),
            (s, _) if s >= 500 => {
                return Err(AuditError::Server(format!(
                    "GET /v1/records?uri={uri} answered {s}"
                )));
            }
            (s, _) => Fetched::Unreadable(format!("the server answered {s}")),
        };
        self.cache.insert(uri.to_owned(), fetched.clone());
        Ok(fetched)
    }

    /// Fetches and parses a record of type `T`; its CID is recomputed and
    /// must equal the one the server states. `kind` names it in checks
    /// (`receipt-not-found`, ...).
    pub(super) async fn record<T: RecordType>(
        &mut self,
        uri: &str,
        kind: &'static str,
    ) -> Result<Result<Record<T>, Discrepancy>, AuditError> {
        let d = |check: &'static str, detail: String| Discrepancy {
            subject: uri.to_owned(),
            check,
            detail,
        };
        let (cid, value) = match self.fetch(uri).await? {
            Fetched::Found { cid, value } => (cid, value),
            Fetched::Missing => {
                return Ok(Err(d(
                    check_name(kind, "not-found"),
                    format!("the server does not serve the {kind} {uri}"),
                )));
            }
            Fetched::Unreadable(why) => {
                return Ok(Err(d(
                    check_name(kind, "unreadable"),
                    format!("GET /v1/records: {why}"),
                )));
            }
        };
        let raw = RawRecord {
            uri: uri.to_owned(),
            cid: None,
            value,
        };
        let rec = match parse_record::<T>(&raw, kind) {
            Ok(r) => r,
            Err(e) => return Ok(Err(d(check_name(kind, "invalid"), e.to_string()))),
        };
        if Cid::parse(&cid).ok() != Some(rec.cid) {
            return Ok(Err(d(
                check_name(kind, "cid-mismatch"),
                format!(
                    "the server states cid {cid:?}; the record's content has CID {}",
                    rec.cid
                ),
            )));
        }
        Ok(Ok(rec))
    }

    /// What the server reports about the authorization agrees with the
    /// record.
    pub(super) fn compare_state(&mut self, state: &Value, rec: &Record<PaymentAuthorization>) {
        let subject = self.subject.clone();
        let mut differ = |field: &str, stated: String, record: String| {
            if stated != record {
                self.discrepancies.push(Discrepancy {
                    subject: subject.clone(),
                    check: "authorization-state-mismatch",
                    detail: format!(
                        "the server reports {field} {stated}; the record says {record}"
                    ),
                });
            }
        };
        let text = |k: &str| {
            state
                .get(k)
                .map(json::to_canonical_string)
                .unwrap_or_else(|| "nothing".into())
        };
        let quoted = |s: &str| json::to_canonical_string(&Value::from(s));
        differ("uri", text("uri"), quoted(self.auth_uri.as_str()));
        differ("requester", text("requester"), quoted(rec.owner()));
        differ("scope", text("scope"), quoted(&rec.data.scope));
        let money = |m: &Money| {
            let mut o = json::Map::new();
            o.insert("amount".into(), m.amount.into());
            o.insert("currency".into(), m.currency.clone().into());
            json::to_canonical_string(&Value::Object(o))
        };
        // The terms as the server restates them, and the limit it enforces
        // (session budget or ceiling), each where it states one.
        let limit = match rec.data.scope.as_str() {
            "session" => rec.data.session_budget.as_ref(),
            _ => Some(&rec.data.ceiling),
        };
        for (field, record) in [
            ("ceiling", Some(&rec.data.ceiling)),
            ("budget", rec.data.session_budget.as_ref()),
            ("limit", limit),
        ] {
            if state.get(field).is_some() {
                differ(
                    field,
                    text(field),
                    record.map_or_else(|| "nothing".into(), money),
                );
            }
        }
        let stated_expiry = state
            .get("expiresAt")
            .and_then(Value::as_str)
            .and_then(Datetime::parse);
        if stated_expiry != Some(rec.data.expires_at) {
            differ(
                "expiresAt",
                text("expiresAt"),
                quoted(&rec.data.expires_at.to_string()),
            );
        }
    }

    /// Checks one listed settlement; every failure is recorded as a
    /// discrepancy and named in the row.
    pub(super) async fn settlement(
        &mut self,
        index: usize,
        item: &Value,
        auth: &AuthRef,
        authorization: Option<&Record<PaymentAuthorization>>,
        currency: &str,
        receipts_seen: &mut BTreeSet<String>,
    ) -> Result<Row, AuditError> {
        let start = self.discrepancies.len();
        let mut row = Row {
            settlement: item
                .get("uri")
                .and_then(Value::as_str)
                .map_or_else(|| format!("settlements[{index}]"), str::to_owned),
            settled_at: String::new(),
            receipt: String::new(),
            amount: None,
            fee: None,
            payout: None,
            pro_bono: false,
            failed: Vec::new(),
        };
        self.check_settlement(&mut row, item, auth, authorization, currency, receipts_seen)
            .await?;
        row.failed = self.discrepancies[start..]
            .iter()
            .map(|d| d.check)
            .collect();
        Ok(row)
    }

    pub(super) async fn check_settlement(
        &mut self,
        row: &mut Row,
        item: &Value,
        auth: &AuthRef,
        authorization: Option<&Record<PaymentAuthorization>>,
        currency: &str,
        receipts_seen: &mut BTreeSet<String>,
    ) -> Result<(), AuditError> {
        let subject = row.settlement.clone();
        let (Some(listed_cid), Some(Value::Object(map))) =
            (item.get("cid").and_then(Value::as_str), item.get("value"))
        else {
            self.note(
                &subject,
                "settlement-unreadable",
                "the listing's entry is not {uri, cid, value}".into(),
            );
            return Ok(());
        };
        let value = Value::Object(map.clone());

        // Issued by this exchange, signed by its key, identified by content.
        match AtUri::parse(&subject) {
            Some(u) if u.did() == self.exchange && u.collection() == NSID_SETTLEMENT => {}
            _ => self.note(
                &subject,
                "settlement-issuer",
                format!(
                    "not a {NSID_SETTLEMENT} record in the repository of {}",
                    self.exchange
                ),
            ),
        }
        if !verify_settlement(map, &self.key) {
            self.note(
                &subject,
                "settlement-sig-invalid",
                "sig does not verify against the exchange's published key".into(),
            );
        }
        match Cid::for_record(&value) {
            Ok(cid) if Cid::parse(listed_cid).ok() == Some(cid) => {}
            Ok(cid) => self.note(
                &subject,
                "settlement-cid-mismatch",
                format!("listed with cid {listed_cid:?}; its content has CID {cid}"),
            ),
            Err(e) => self.note(&subject, "settlement-cid-mismatch", e.to_string()),
        }
        if let Err(e) = Lexicons::builtin().validate_record(NSID_SETTLEMENT, &value, "settlement") {
            self.note(&subject, "settlement-invalid", e.to_string());
            return Ok(());
        }
        let fields = (|| {
            let o = Obj::new(&value, "settlement".into())?;
            Ok::<_, crate::records::lexicon::ValidationError>((
                o.strong_ref("receipt")?,
                o.strong_ref("requesterAuthorization")?,
                o.money("amountCharged")?,
                o.money("providerPayout")?,
                o.money("exchangeFee")?,
                o.str("status")?.to_owned(),
                o.datetime("settledAt")?,
            ))
        })();
        let (receipt_ref, auth_named, charged, payout, fee, status, settled_at) = match fields {
            Ok(f) => f,
            Err(e) => {
                self.note(&subject, "settlement-invalid", e.to_string());
                return Ok(());
            }
        };
        row.settled_at = settled_at.to_string();
        row.receipt = receipt_ref.uri.to_string();
        row.amount = Some(charged.clone());
        row.fee = Some(fee.clone());
        row.payout = Some(payout.clone());

        // A disputed settlement is the same charge, with a dispute open.
        if status != "settled" && status != "disputed" {
            self.note(
                &subject,
                "status-unsupported",
                format!(
                    "status {status:?}: this auditor checks settled (or disputed) charges only"
                ),
            );
        }
        if auth_named.uri.as_str() != auth.uri || auth_named.cid.to_string() != auth.cid {
            self.note(
                &subject,
                "authorization-ref-mismatch",
                format!(
                    "requesterAuthorization is {{{}, {}}}, not {{{}, {}}}",
                    auth_named.uri, auth_named.cid, auth.uri, auth.cid
                ),
            );
        }
        if !receipts_seen.insert(receipt_ref.uri.to_string()) {
            self.note(
                &subject,
                "receipt-settled-twice",
                format!("the receipt {} is settled more than once", receipt_ref.uri),
            );
        }
        if charged.currency != payout.currency || charged.currency != fee.currency {
            self.note(
                &subject,
                "currency-mismatch",
                format!(
                    "amountCharged in {}, providerPayout in {}, exchangeFee in {}",
                    charged.currency, payout.currency, fee.currency
                ),
            );
        } else if u128::from(payout.amount) + u128::from(fee.amount) != u128::from(charged.amount) {
            self.note(
                &subject,
                "split-mismatch",
                format!(
                    "providerPayout {} + exchangeFee {} != amountCharged {}",
                    payout.amount, fee.amount, charged.amount
                ),
            );
        }
        if charged.currency != currency {
            self.note(
                &subject,
                "currency-mismatch",
                format!(
                    "charged in {} but the authorization is in {currency:?}",
                    charged.currency
                ),
            );
        }

        // The receipt: the one the settlement names, by content.
        let receipt = match self
            .record::<Receipt>(receipt_ref.uri.as_str(), "receipt")
            .await?
        {
            Ok(r) => r,
            Err(d) => {
                self.note(&subject, d.check, d.detail);
                return Ok(());
            }
        };
        if receipt.cid != receipt_ref.cid {
            self.note(
                &subject,
                "receipt-cid-mismatch",
                format!(
                    "receipt.cid is {} but the receipt served has CID {}",
                    receipt_ref.cid, receipt.cid
                ),
            );
        }
        row.pro_bono = receipt.data.pro_bono;
        let expected = if receipt.data.pro_bono {
            0
        } else {
            receipt.data.price.amount
        };
        if charged.amount != expected || charged.currency != receipt.data.price.currency {
            self.note(
                &subject,
                "amount-mismatch",
                format!(
                    "amountCharged is {} but the receipt's price is {}{}",
                    money_text(u128::from(charged.amount), &charged.currency),
                    money_text(u128::from(expected), &receipt.data.price.currency),
                    if receipt.data.pro_bono {
                        " (pro bono)"
                    } else {
                        ""
                    }
                ),
            );
        }

        // The charge itself, re-decided under the rules at settledAt.
        let job = self
            .record::<Job>(receipt.data.job.uri.as_str(), "job")
            .await?;
        let attestation = self
            .record::<Attestation>(receipt.data.attestation.uri.as_str(), "attestation")
            .await?;
        let (job, attestation) = match (job, attestation) {
            (Ok(j), Ok(a)) => (j, a),
            (j, a) => {
                for d in [j.err(), a.err()].into_iter().flatten() {
                    self.note(&subject, d.check, d.detail);
                }
                return Ok(());
            }
        };
        let Some(authorization) = authorization else {
            self.note(
                &subject,
                "charge-rules",
                "cannot be re-decided without the authorization record".into(),
            );
            return Ok(());
        };
        if let Err(r) = verify_records(
            &self.exchange,
            settled_at,
            Bundle {
                job: &job,
                authorization,
                attestation: &attestation,
                receipt: &receipt,
            },
        ) {
            self.note(&subject, "charge-rules", r.to_string());
        }
        let amounts = (charged.amount, fee.amount, payout.amount);
        self.check_split(&subject, &value, &job, &receipt, amounts, &charged.currency)
            .await
    }
}

/// `receipt` + `not-found` -> `receipt-not-found`, as a static name.
pub(super) fn check_name(kind: &str, what: &str) -> &'static str {
    macro_rules! names {
        ($($k:literal),*) => {
            match (kind, what) {
                $(
                    ($k, "not-found") => concat!($k, "-not-found"),
                    ($k, "unreadable") => concat!($k, "-unreadable"),
                    ($k, "invalid") => concat!($k, "-invalid"),
                    ($k, "cid-mismatch") => concat!($k, "-cid-mismatch"),
                )*
                _ => "record-unusable",
            }
        };
    }
    names!(
        "authorization",
        "receipt",
        "job",
        "attestation",
        "computation",
        "proof"
    )
}
