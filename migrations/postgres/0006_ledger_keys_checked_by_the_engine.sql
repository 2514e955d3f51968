-- The ledger checks every key a transfer or hold names before it writes
-- them: it locks every account a write touches (FOR UPDATE, which finds
-- each row or fails with account-not-found), reads every hold it resolves,
-- and inserts a hold together with its pending transfer. Accounts and
-- transfers are never deleted. The per-row foreign-key checks repeated
-- that work on every insert, on the hottest rows (escrow, fees): about a
-- third of the time of a settlement group's ledger writes. They go; what
-- they guaranteed is kept by the triggers below, which refuse the only
-- statements that could orphan a key.

ALTER TABLE ledger_transfers
    DROP CONSTRAINT ledger_transfers_debit_account_fkey,
    DROP CONSTRAINT ledger_transfers_credit_account_fkey,
    DROP CONSTRAINT ledger_transfers_pending_id_fkey;

ALTER TABLE ledger_holds
    DROP CONSTRAINT ledger_holds_transfer_id_fkey,
    DROP CONSTRAINT ledger_holds_debit_account_fkey,
    DROP CONSTRAINT ledger_holds_credit_account_fkey,
    DROP CONSTRAINT ledger_holds_resolved_by_fkey;

CREATE FUNCTION ledger_accounts_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger_accounts are never deleted';
END;
$$;
-- Statement-level: no cost to the inserts and updates of every charge.
CREATE TRIGGER ledger_accounts_kept BEFORE DELETE OR TRUNCATE ON ledger_accounts
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_accounts_kept();
CREATE TRIGGER ledger_transfers_kept BEFORE TRUNCATE ON ledger_transfers
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();
