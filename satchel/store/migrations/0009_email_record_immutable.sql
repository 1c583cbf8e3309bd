-- Satchel schema 9: an Email's keywords and mailboxIds live in the mail index alone
-- (email_keywords, email_mailboxes, which have always held them, written in the same
-- transactions); the Email record keeps only what never changes (sqlite_email_record.py).
-- The data is cast to text first: newer SQLite reads a BLOB argument as JSONB.

UPDATE records
SET data = CAST(json_remove(CAST(data AS TEXT), '$.keywords', '$.mailboxIds') AS BLOB)
WHERE type = 'Email' AND data IS NOT NULL;
