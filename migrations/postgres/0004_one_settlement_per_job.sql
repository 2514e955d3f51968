-- A job is one unit of work: it is charged at most once, whatever number
-- of receipts (re-signed copies, the same receipt under another key) claim
-- it. The index makes this hold under concurrency too.
DROP INDEX settlement_settlements_by_job;
CREATE UNIQUE INDEX settlement_settlements_one_per_job ON settlement_settlements (job_uri);
