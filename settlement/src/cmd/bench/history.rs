//! History written straight into the database before a measured run.

use super::*;

/// Writes the rows of `n` settled receipts of other parties straight into
/// the database, in the shapes the engine writes them: per receipt a job
/// and a receipt record, a settlement, a hold voided by the next charge,
/// the charge and the fee transfers; over 1000 requesters (each with an
/// authorization) and 100 providers with their own accounts, whose totals
/// are set to the sums of their transfers. Settling a million receipts
/// through the engine would take most of an hour here; what the measured
/// run needs is tables and indexes that large.
pub(super) async fn seed_history(db: &Database, n: usize) -> Result<f64, String> {
    let start = Instant::now();
    let clock: Arc<dyn ledger::Clock> = Arc::new(ledger::SystemClock);
    // Opening runs the migrations.
    let store = crate::store::Store::open(&db.url, clock.clone())
        .await
        .map_err(|e| format!("history: cannot open the database: {e}"))?;
    let sample = workload("history-sample", 1, 1, 1, Datetime::now());
    let job = json::to_canonical_string(&sample.jobs[0].value);
    let receipt = json::to_canonical_string(&sample.receipts[0].value);
    // A settlement record of the real size: the receipt's refs and money,
    // and a signature's worth of base64url.
    let settlement = format!(
        r#"{{"$type":"dev.cocore.compute.settlement","amountCharged":{{"amount":250,"currency":"USD"}},"exchangeFee":{{"amount":6,"currency":"USD"}},"processorReference":"","providerPayout":{{"amount":244,"currency":"USD"}},"receipt":{{"cid":"{0}","uri":"{1}"}},"requesterAuthorization":{{"cid":"{0}","uri":"{1}"}},"settledAt":"{2}","sig":"{3}","status":"settled"}}"#,
        sample.receipts[0].cid.clone().unwrap_or_default(),
        sample.receipts[0].uri,
        Datetime::now(),
        "A".repeat(86)
    );
    let t0 = ledger::Clock::now_us(&ledger::SystemClock) - 86_400_000_000;
    let expires = t0 + 30 * 86_400_000_000;
    let n = n as i64;
    let series =
        format!("WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {n}) ");
    // did:web DIDs, valid as the console's search reads them.
    let req = "'did:web:r' || (n % 1000) || '.history.example'";
    let prov = "'did:web:p' || (n % 100) || '.history.example'";
    let receipt_uri = format!("'at://' || {prov} || '/dev.cocore.compute.receipt/h' || n");
    let job_uri = format!("'at://' || {req} || '/dev.cocore.compute.job/h' || n");
    let auth_uri = format!("'at://' || {req} || '/dev.cocore.compute.paymentAuthorization/h'");
    let statements: Vec<(String, Vec<String>)> = vec![
        (
            format!(
                "INSERT INTO ledger_accounts (id, currency, kind, owner, flags, created_at, debits_posted, \
                 credits_posted, debits_pending, credits_pending) \
                 SELECT 'hist-req:' || r, 'USD', 'requester', 'did:web:r' || r || '.history.example', 0, {t0}, 0, 0, 0, 0 \
                 FROM (WITH RECURSIVE q(r) AS (SELECT 0 UNION ALL SELECT r + 1 FROM q WHERE r < 999) SELECT r FROM q) a \
                 UNION ALL SELECT 'hist-prov:' || r, 'USD', 'provider-payable', 'did:web:p' || r || '.history.example', 0, {t0}, 0, 0, 0, 0 \
                 FROM (WITH RECURSIVE q(r) AS (SELECT 0 UNION ALL SELECT r + 1 FROM q WHERE r < 99) SELECT r FROM q) b \
                 UNION ALL SELECT 'hist-escrow', 'USD', 'escrow', 'did:web:history', 0, {t0}, 0, 0, 0, 0 \
                 UNION ALL SELECT 'hist-fees', 'USD', 'exchange-fees', 'did:web:history', 0, {t0}, 0, 0, 0, 0"
            ),
            vec![],
        ),
        (
            format!(
                "{series}INSERT INTO ledger_transfers (id, kind, debit_account, credit_account, amount, currency, code, \
                 reference, pending_id, expires_at, created_at) \
                 SELECT CASE k WHEN 1 THEN 'hist-hold:' || n WHEN 2 THEN 'hist-void:' || n \
                     WHEN 3 THEN 'hist-charge:' || n ELSE 'hist-fee:' || n END, \
                   CASE k WHEN 1 THEN 'pending' WHEN 2 THEN 'void' ELSE 'posted' END, \
                   'hist-req:' || (n % 1000), \
                   CASE k WHEN 3 THEN 'hist-prov:' || (n % 100) WHEN 4 THEN 'hist-fees' ELSE 'hist-escrow' END, \
                   CASE k WHEN 3 THEN 244 WHEN 4 THEN 6 ELSE 1000 END, 'USD', \
                   CASE k WHEN 1 THEN 'authorization-hold' WHEN 2 THEN 'authorization-rehold' \
                     WHEN 3 THEN 'charge' ELSE 'exchange-fee' END, \
                   {receipt_uri}, CASE k WHEN 2 THEN 'hist-hold:' || n ELSE NULL END, \
                   CASE k WHEN 1 THEN {expires} ELSE NULL END, {t0} + n \
                 FROM s, (SELECT 1 AS k UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4) ks ORDER BY n, k"
            ),
            vec![],
        ),
        (
            format!(
                "{series}INSERT INTO ledger_holds (transfer_id, debit_account, credit_account, amount, currency, \
                 expires_at, state, resolved_by) \
                 SELECT 'hist-hold:' || n, 'hist-req:' || (n % 1000), 'hist-escrow', 1000, 'USD', {expires}, 'voided', \
                 'hist-void:' || n FROM s"
            ),
            vec![],
        ),
        (
            format!(
                "{series}INSERT INTO settlement_records (uri, did, collection, cid, value, created_at, requester, job_uri) \
                 SELECT {job_uri}, {req}, 'dev.cocore.compute.job', 'bafyreihistjob' || n, $1, {t0} + n, NULL, NULL FROM s \
                 UNION ALL SELECT {receipt_uri}, {prov}, 'dev.cocore.compute.receipt', 'bafyreihistreceipt' || n, $2, \
                 {t0} + n, {req}, {job_uri} FROM s"
            ),
            vec![job, receipt],
        ),
        (
            format!(
                "{series}INSERT INTO settlement_settlements (receipt_uri, receipt_cid, uri, cid, value, requester, provider, \
                 authorization_uri, job_uri, currency, amount_minor, fee_minor, created_at) \
                 SELECT {receipt_uri}, 'bafyreihistreceipt' || n, \
                 'at://{EXCHANGE}/dev.cocore.compute.settlement/h' || n, 'bafyreihistsettlement' || n, $1, \
                 {req}, {prov}, {auth_uri}, {job_uri}, 'USD', 250, 6, {t0} + n FROM s"
            ),
            vec![settlement],
        ),
        (
            format!(
                "WITH RECURSIVE s(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM s WHERE n < 999) \
                 INSERT INTO settlement_authorizations (requester, nonce, authorization_uri, authorization_cid, scope, \
                 currency, limit_minor, charged_minor, charges, consumed, hold_id, expires_at, created_at) \
                 SELECT {req}, 'histnonce', {auth_uri}, 'bafyreihistauth', 'session', 'USD', \
                 250 * ({n} / 1000 + 1), 250 * ({n} / 1000), {n} / 1000, 0, NULL, {expires}, {t0} FROM s"
            ),
            vec![],
        ),
        (
            "UPDATE ledger_accounts SET debits_posted = (SELECT COALESCE(SUM(t.amount), 0) FROM ledger_transfers t \
             WHERE t.debit_account = ledger_accounts.id AND t.kind IN ('posted', 'post')), \
             credits_posted = (SELECT COALESCE(SUM(t.amount), 0) FROM ledger_transfers t \
             WHERE t.credit_account = ledger_accounts.id AND t.kind IN ('posted', 'post')) \
             WHERE id LIKE 'hist-%'"
                .to_owned(),
            vec![],
        ),
    ];
    for (i, (sql, binds)) in statements.into_iter().enumerate() {
        macro_rules! exec {
            ($l:expr) => {{
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                for b in binds {
                    q = q.bind(b);
                }
                q.execute(ledger::LedgerStore::pool(&$l)).await.map(|_| ())
            }};
        }
        let done = match store.ledger() {
            ledger::Ledger::Sqlite(l) => exec!(l),
            ledger::Ledger::Postgres(l) => exec!(l),
        };
        done.map_err(|e| format!("history: statement {}: {e}", i + 1))?;
        eprintln!(
            "bench: history step {} of 7 ({:.0} s)",
            i + 1,
            start.elapsed().as_secs_f64()
        );
    }
    // Fresh statistics, as autovacuum would gather after a real history.
    if let ledger::Ledger::Postgres(l) = store.ledger() {
        sqlx::query("ANALYZE")
            .execute(ledger::LedgerStore::pool(&l))
            .await
            .map_err(|e| format!("history: analyze: {e}"))?;
    }
    store.close().await;
    Ok(start.elapsed().as_secs_f64())
}
