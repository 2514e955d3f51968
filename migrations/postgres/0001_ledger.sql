-- Ledger: accounts, append-only transfers, and the state of holds.
-- Amounts are integer minor units; times are unix microseconds (UTC).
-- Ids use the "C" collation: byte order, the order the ledger locks in.

CREATE TABLE ledger_accounts (
    id              TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    currency        TEXT   NOT NULL,
    kind            TEXT   NOT NULL,
    owner           TEXT   NOT NULL,
    flags           BIGINT NOT NULL CHECK (flags IN (0, 1, 2)),
    created_at      BIGINT NOT NULL,
    -- Running totals, kept equal to the sums of the account's transfers.
    debits_posted   BIGINT NOT NULL CHECK (debits_posted >= 0),
    credits_posted  BIGINT NOT NULL CHECK (credits_posted >= 0),
    debits_pending  BIGINT NOT NULL CHECK (debits_pending >= 0),
    credits_pending BIGINT NOT NULL CHECK (credits_pending >= 0)
);

CREATE TABLE ledger_transfers (
    seq            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id             TEXT COLLATE "C" NOT NULL UNIQUE,
    kind           TEXT   NOT NULL CHECK (kind IN ('posted', 'pending', 'post', 'void', 'expire')),
    debit_account  TEXT COLLATE "C" NOT NULL REFERENCES ledger_accounts (id),
    credit_account TEXT COLLATE "C" NOT NULL REFERENCES ledger_accounts (id),
    amount         BIGINT NOT NULL CHECK (amount > 0),
    currency       TEXT   NOT NULL,
    code           TEXT   NOT NULL,
    reference      TEXT,
    pending_id     TEXT COLLATE "C" REFERENCES ledger_transfers (id),
    expires_at     BIGINT,
    created_at     BIGINT NOT NULL,
    CHECK (debit_account <> credit_account),
    CHECK ((kind = 'pending') = (expires_at IS NOT NULL)),
    CHECK ((kind IN ('post', 'void', 'expire')) = (pending_id IS NOT NULL))
);

-- A hold is resolved (posted, voided or expired) at most once.
CREATE UNIQUE INDEX ledger_transfers_resolution ON ledger_transfers (pending_id)
    WHERE pending_id IS NOT NULL;
CREATE INDEX ledger_transfers_debit ON ledger_transfers (debit_account, seq);
CREATE INDEX ledger_transfers_credit ON ledger_transfers (credit_account, seq);
CREATE INDEX ledger_transfers_reference ON ledger_transfers (reference, seq)
    WHERE reference IS NOT NULL;

CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger_transfers is append-only';
END;
$$;
CREATE TRIGGER ledger_transfers_append_only BEFORE UPDATE OR DELETE ON ledger_transfers
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();

-- Where each hold stands. The history is in ledger_transfers; this table
-- makes "open holds of an account" and "expired holds" cheap to find.
CREATE TABLE ledger_holds (
    transfer_id    TEXT COLLATE "C" NOT NULL PRIMARY KEY REFERENCES ledger_transfers (id),
    debit_account  TEXT COLLATE "C" NOT NULL REFERENCES ledger_accounts (id),
    credit_account TEXT COLLATE "C" NOT NULL REFERENCES ledger_accounts (id),
    amount         BIGINT NOT NULL CHECK (amount > 0),
    currency       TEXT   NOT NULL,
    expires_at     BIGINT NOT NULL,
    state          TEXT   NOT NULL CHECK (state IN ('pending', 'posted', 'voided', 'expired')),
    resolved_by    TEXT COLLATE "C" REFERENCES ledger_transfers (id),
    CHECK ((state = 'pending') = (resolved_by IS NULL))
);

CREATE INDEX ledger_holds_open_debit ON ledger_holds (debit_account, expires_at)
    WHERE state = 'pending';
CREATE INDEX ledger_holds_open_credit ON ledger_holds (credit_account, expires_at)
    WHERE state = 'pending';
CREATE INDEX ledger_holds_open_expiry ON ledger_holds (expires_at)
    WHERE state = 'pending';
