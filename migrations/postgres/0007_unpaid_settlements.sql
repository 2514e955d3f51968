-- Planning a payout takes a provider's unpaid settlements. Through the
-- index of all its settlements that read grew with the provider's whole
-- history; an index of the unpaid ones alone stays as small as what is
-- owed. Lookups by payout need only the settlements that have one, so
-- settling (which leaves payout_id empty) no longer writes to that index.
DROP INDEX settlement_settlements_by_payout;
CREATE INDEX settlement_settlements_by_payout ON settlement_settlements (payout_id)
    WHERE payout_id IS NOT NULL;
CREATE INDEX settlement_settlements_unpaid ON settlement_settlements (provider, currency, seq)
    WHERE payout_id IS NULL;
