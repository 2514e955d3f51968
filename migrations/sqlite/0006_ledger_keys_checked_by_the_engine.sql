-- The ledger checks every key a transfer or hold names before it writes
-- them (PostgreSQL's 0006 says how). SQLite keeps its foreign keys, which
-- cost little in process; as on PostgreSQL, accounts are never deleted.
CREATE TRIGGER ledger_accounts_kept BEFORE DELETE ON ledger_accounts
BEGIN
    SELECT RAISE(ABORT, 'ledger_accounts are never deleted');
END;
