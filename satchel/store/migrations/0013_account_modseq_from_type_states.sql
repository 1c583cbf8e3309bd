-- Satchel schema 13: an account's modseq is the highest of its type states, not a column of
-- its own. Every commit that changes a type already writes that type's row in type_states with
-- the commit's modseq, so the highest one is the account's modseq; keeping a copy in accounts
-- cost every write transaction (a flag change, a delivery) one more statement and one more page
-- to write to the WAL and fsync.

-- Never let a modseq go back: should an account's column ever be ahead of its type states,
-- a row of no type (never asked for) carries it.
INSERT INTO type_states (account_id, type, high, low)
SELECT a.id, '', a.modseq, 0 FROM accounts AS a
WHERE a.modseq > COALESCE((SELECT MAX(t.high) FROM type_states AS t WHERE t.account_id = a.id), 0);

ALTER TABLE accounts DROP COLUMN modseq;
