-- Receipts are listed by requester and by job (XRPC listReceipts) without
-- reading every record: both are copied out of the receipt at ingestion.
ALTER TABLE settlement_records ADD COLUMN requester TEXT;
ALTER TABLE settlement_records ADD COLUMN job_uri TEXT;
CREATE INDEX settlement_records_by_requester ON settlement_records (collection, requester, uri)
    WHERE requester IS NOT NULL;
CREATE INDEX settlement_records_by_job ON settlement_records (job_uri, uri)
    WHERE job_uri IS NOT NULL;
