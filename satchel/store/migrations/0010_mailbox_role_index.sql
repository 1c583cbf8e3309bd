-- Satchel schema 10: live Mailboxes by role. Every flag change looks up the account's trash
-- (the mailbox counters' basis, sqlite_mail_counts.py); without this index that read the role
-- out of every Mailbox record: 14 us with the 6 default mailboxes, 156 us with 306.

CREATE INDEX IF NOT EXISTS records_mailbox_role
    ON records (account_id, json_extract(data, '$.role'))
    WHERE type = 'Mailbox' AND destroyed_modseq IS NULL;
