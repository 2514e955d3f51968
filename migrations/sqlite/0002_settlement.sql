-- Settlement service: accepted records, authorization consumption (rule 9)
-- and settlements (rule 10). Amounts are integer minor units; times are
-- unix microseconds (UTC). Money moves only in the ledger_* tables; these
-- rows say why.

-- One version of each record per AT URI: a different CID at a known URI is
-- refused (record-conflict), never overwritten.
CREATE TABLE settlement_records (
    uri        TEXT    NOT NULL PRIMARY KEY,
    did        TEXT    NOT NULL,
    collection TEXT    NOT NULL,
    cid        TEXT    NOT NULL,
    value      TEXT    NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX settlement_records_by_owner ON settlement_records (collection, did);

-- Rule 9: consumption of an authorization, keyed by (requester, nonce) so
-- that nobody can burn another requester's nonce. limit_minor is the
-- ceiling (singleJob) or the session budget.
CREATE TABLE settlement_authorizations (
    requester         TEXT    NOT NULL,
    nonce             TEXT    NOT NULL,
    authorization_uri TEXT    NOT NULL,
    authorization_cid TEXT    NOT NULL,
    scope             TEXT    NOT NULL CHECK (scope IN ('singleJob', 'session')),
    currency          TEXT    NOT NULL,
    limit_minor       INTEGER NOT NULL CHECK (limit_minor >= 0),
    charged_minor     INTEGER NOT NULL CHECK (charged_minor >= 0),
    charges           INTEGER NOT NULL CHECK (charges >= 0),
    consumed          INTEGER NOT NULL CHECK (consumed IN (0, 1)),
    hold_id           TEXT,
    expires_at        INTEGER NOT NULL,
    created_at        INTEGER NOT NULL,
    PRIMARY KEY (requester, nonce),
    CHECK (charged_minor <= limit_minor)
) STRICT;
CREATE INDEX settlement_authorizations_by_uri ON settlement_authorizations (authorization_uri);

-- Rule 10: at most one settlement per receipt URI.
CREATE TABLE settlement_settlements (
    seq               INTEGER PRIMARY KEY AUTOINCREMENT,
    receipt_uri       TEXT    NOT NULL UNIQUE,
    receipt_cid       TEXT    NOT NULL,
    uri               TEXT    NOT NULL UNIQUE,
    cid               TEXT    NOT NULL,
    value             TEXT    NOT NULL,
    requester         TEXT    NOT NULL,
    provider          TEXT    NOT NULL,
    authorization_uri TEXT    NOT NULL,
    job_uri           TEXT    NOT NULL,
    currency          TEXT    NOT NULL,
    amount_minor      INTEGER NOT NULL CHECK (amount_minor >= 0),
    fee_minor         INTEGER NOT NULL CHECK (fee_minor >= 0 AND fee_minor <= amount_minor),
    created_at        INTEGER NOT NULL
) STRICT;
CREATE INDEX settlement_settlements_by_authorization ON settlement_settlements (authorization_uri, seq);
CREATE INDEX settlement_settlements_by_requester ON settlement_settlements (requester, seq);
CREATE INDEX settlement_settlements_by_provider ON settlement_settlements (provider, seq);
CREATE INDEX settlement_settlements_by_job ON settlement_settlements (job_uri, seq);
