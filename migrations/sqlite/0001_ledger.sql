-- Ledger: accounts, append-only transfers, and the state of holds.
-- Amounts are integer minor units; times are unix microseconds (UTC).

CREATE TABLE ledger_accounts (
    id              TEXT    NOT NULL PRIMARY KEY,
    currency        TEXT    NOT NULL,
    kind            TEXT    NOT NULL,
    owner           TEXT    NOT NULL,
    flags           INTEGER NOT NULL CHECK (flags IN (0, 1, 2)),
    created_at      INTEGER NOT NULL,
    -- Running totals, kept equal to the sums of the account's transfers.
    debits_posted   INTEGER NOT NULL CHECK (debits_posted >= 0),
    credits_posted  INTEGER NOT NULL CHECK (credits_posted >= 0),
    debits_pending  INTEGER NOT NULL CHECK (debits_pending >= 0),
    credits_pending INTEGER NOT NULL CHECK (credits_pending >= 0)
) STRICT;

CREATE TABLE ledger_transfers (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    id             TEXT    NOT NULL UNIQUE,
    kind           TEXT    NOT NULL CHECK (kind IN ('posted', 'pending', 'post', 'void', 'expire')),
    debit_account  TEXT    NOT NULL REFERENCES ledger_accounts (id),
    credit_account TEXT    NOT NULL REFERENCES ledger_accounts (id),
    amount         INTEGER NOT NULL CHECK (amount > 0),
    currency       TEXT    NOT NULL,
    code           TEXT    NOT NULL,
    reference      TEXT,
    pending_id     TEXT    REFERENCES ledger_transfers (id),
    expires_at     INTEGER,
    created_at     INTEGER NOT NULL,
    CHECK (debit_account <> credit_account),
    CHECK ((kind = 'pending') = (expires_at IS NOT NULL)),
    CHECK ((kind IN ('post', 'void', 'expire')) = (pending_id IS NOT NULL))
) STRICT;

-- A hold is resolved (posted, voided or expired) at most once.
CREATE UNIQUE INDEX ledger_transfers_resolution ON ledger_transfers (pending_id)
    WHERE pending_id IS NOT NULL;
CREATE INDEX ledger_transfers_debit ON ledger_transfers (debit_account, seq);
CREATE INDEX ledger_transfers_credit ON ledger_transfers (credit_account, seq);
CREATE INDEX ledger_transfers_reference ON ledger_transfers (reference, seq)
    WHERE reference IS NOT NULL;

CREATE TRIGGER ledger_transfers_no_update BEFORE UPDATE ON ledger_transfers
BEGIN
    SELECT RAISE(ABORT, 'ledger_transfers is append-only');
END;
CREATE TRIGGER ledger_transfers_no_delete BEFORE DELETE ON ledger_transfers
BEGIN
    SELECT RAISE(ABORT, 'ledger_transfers is append-only');
END;

-- Where each hold stands. The history is in ledger_transfers; this table
-- makes "open holds of an account" and "expired holds" cheap to find.
CREATE TABLE ledger_holds (
    transfer_id    TEXT    NOT NULL PRIMARY KEY REFERENCES ledger_transfers (id),
    debit_account  TEXT    NOT NULL REFERENCES ledger_accounts (id),
    credit_account TEXT    NOT NULL REFERENCES ledger_accounts (id),
    amount         INTEGER NOT NULL CHECK (amount > 0),
    currency       TEXT    NOT NULL,
    expires_at     INTEGER NOT NULL,
    state          TEXT    NOT NULL CHECK (state IN ('pending', 'posted', 'voided', 'expired')),
    resolved_by    TEXT    REFERENCES ledger_transfers (id),
    CHECK ((state = 'pending') = (resolved_by IS NULL))
) STRICT;

CREATE INDEX ledger_holds_open_debit ON ledger_holds (debit_account, expires_at)
    WHERE state = 'pending';
CREATE INDEX ledger_holds_open_credit ON ledger_holds (credit_account, expires_at)
    WHERE state = 'pending';
CREATE INDEX ledger_holds_open_expiry ON ledger_holds (expires_at)
    WHERE state = 'pending';
