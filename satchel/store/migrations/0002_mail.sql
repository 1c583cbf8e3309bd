-- Satchel schema 2: the mail index (RFC 8621). Email and Thread objects are ordinary `records`;
-- these tables are derived from them, written in the same transaction, so Email/query, Mailbox
-- counts and full-text search run in SQL instead of over decoded JSON.
--
-- Every index row hangs off `emails.num`, a private integer key: integer joins are the fastest
-- SQLite has, and the FTS5 table uses it as its rowid.

CREATE TABLE emails (
    num            INTEGER PRIMARY KEY,
    account_id     TEXT NOT NULL,
    id             TEXT NOT NULL,
    thread_id      TEXT NOT NULL,
    received_at    INTEGER NOT NULL,
    sent_at        INTEGER,
    size           INTEGER NOT NULL,
    has_attachment INTEGER NOT NULL,
    unread         INTEGER NOT NULL, -- RFC 8621 section 2: neither $seen nor $draft
    from_sort      TEXT NOT NULL,
    to_sort        TEXT NOT NULL,
    subject_sort   TEXT NOT NULL,
    header_names   TEXT NOT NULL     -- " name1 name2 " lowercased: the `header` filter [name]
);
CREATE UNIQUE INDEX emails_by_id ON emails (account_id, id);
-- Whole-account queries sorted by receivedAt (the default sort) walk this index.
CREATE INDEX emails_by_received ON emails (account_id, received_at, num);
CREATE INDEX emails_by_thread ON emails (account_id, thread_id);
-- Unread emails are few: a partial index serves unreadThreads and the unread counts.
CREATE INDEX emails_unread ON emails (account_id, thread_id) WHERE unread = 1;

-- Membership, with the columns the hot queries need copied in so they never touch `emails`:
-- "in mailbox X sorted by receivedAt desc, limit 50" walks email_mailboxes_sorted backwards and
-- stops after 50 index entries.
CREATE TABLE email_mailboxes (
    num         INTEGER NOT NULL,
    mailbox_id  TEXT NOT NULL,
    account_id  TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    email_id    TEXT NOT NULL,
    thread_id   TEXT NOT NULL,
    unread      INTEGER NOT NULL,
    PRIMARY KEY (num, mailbox_id)
) WITHOUT ROWID;
-- Covering: a whole mailbox's ids in receivedAt order (what /query and /queryChanges fetch)
-- come from this index alone, 40k ids in ~25 ms instead of ~58 ms through `emails`.
CREATE INDEX email_mailboxes_sorted
    ON email_mailboxes (account_id, mailbox_id, received_at, num, email_id, thread_id);

-- Keywords, lowercased (RFC 8621 section 4.1.1: keywords are case-insensitive).
CREATE TABLE email_keywords (
    num        INTEGER NOT NULL,
    keyword    TEXT NOT NULL,
    account_id TEXT NOT NULL,
    PRIMARY KEY (num, keyword)
) WITHOUT ROWID;
CREATE INDEX email_keywords_by_keyword ON email_keywords (account_id, keyword, num);

-- Message-ID values (kind 0) and References/In-Reply-To values (kind 1) for threading.
CREATE TABLE email_message_ids (
    num        INTEGER NOT NULL,
    message_id TEXT NOT NULL,
    kind       INTEGER NOT NULL,
    account_id TEXT NOT NULL,
    PRIMARY KEY (num, message_id, kind)
) WITHOUT ROWID;
CREATE INDEX email_message_ids_lookup ON email_message_ids (account_id, message_id);

-- Full text. Tokenizer measured on 100k synthetic Emails (bench/mail_index.py, 2 noisy cores):
--                        build     size     rare word   common word (limit 50 + total)
--   unicode61            3.3k/s    246 MB   0.15 ms     ~35-60 ms
--   unicode61 prefix=3   2.9k/s    320 MB   0.2 ms      ~35-70 ms   (3-letter prefix 1.2 vs 6.8 ms)
--   trigram              1.0k/s    700 MB   2.0 ms      ~77 ms
-- unicode61 with remove_diacritics 2 ("cafe" finds "café"), no prefix index: RFC 8621 section
-- 4.4.1 allows whole-word matching; a bare token of 3+ characters is searched as a word prefix
-- ("foo" finds "Foosball", as the SearchSnippet example shows), quoted text as a phrase.
-- Trigram would find substrings inside words, but nothing for 1-2 letter terms, at almost 3x
-- the size and a third of the indexing rate. The prefix index paid 30% more space for a few
-- milliseconds on 3-letter prefixes only.
-- Contentful (not external content): snippets read the decoded text, which exists nowhere else.
CREATE VIRTUAL TABLE email_fts USING fts5(
    f_from, f_to, f_cc, f_bcc, f_subject, f_body, f_attachments, f_headers,
    tokenize = 'unicode61 remove_diacritics 2'
);

-- Mailbox counts (RFC 8621 section 2), kept up to date by every index write so Mailbox/get reads
-- four integers instead of counting (58 ms for 10 mailboxes of a 100k account; 0.2 ms here).
-- mailbox_threads holds each (mailbox, thread) pair's share and thread_unread each thread's
-- unread Emails, so a change to one Email costs the same whatever its thread's size. unread_thread depends on which mailbox is the trash; the trash the
-- counters were computed for is kept in mail_counts_basis, and when the role moves, the reads
-- fall back to counting and the next write rebuilds the account's counters.
CREATE TABLE mailbox_threads (
    account_id    TEXT NOT NULL,
    thread_id     TEXT NOT NULL,
    mailbox_id    TEXT NOT NULL,
    emails        INTEGER NOT NULL,
    unread_emails INTEGER NOT NULL,
    unread_thread INTEGER NOT NULL,
    PRIMARY KEY (account_id, thread_id, mailbox_id)
) WITHOUT ROWID;

CREATE TABLE mailbox_counters (
    account_id     TEXT NOT NULL,
    mailbox_id     TEXT NOT NULL,
    total_emails   INTEGER NOT NULL,
    unread_emails  INTEGER NOT NULL,
    total_threads  INTEGER NOT NULL,
    unread_threads INTEGER NOT NULL,
    PRIMARY KEY (account_id, mailbox_id)
) WITHOUT ROWID;

-- Per thread: unread Emails not only in the trash, and unread Emails in the trash.
CREATE TABLE thread_unread (
    account_id     TEXT NOT NULL,
    thread_id      TEXT NOT NULL,
    unread_outside INTEGER NOT NULL,
    unread_inside  INTEGER NOT NULL,
    PRIMARY KEY (account_id, thread_id)
) WITHOUT ROWID;

CREATE TABLE mail_counts_basis (
    account_id TEXT PRIMARY KEY,
    trash_id   TEXT
) WITHOUT ROWID;

-- Mailbox/changes `updatedProperties` (RFC 8621 section 2.2). A count change bumps the
-- Mailbox record's updated_modseq (so it is "updated") and sets counts_modseq; any change to
-- the record's data (create, update, destroy) sets props_modseq, kept by the triggers below so
-- that no record write path can forget it.
CREATE TABLE mailbox_modseqs (
    account_id    TEXT NOT NULL,
    mailbox_id    TEXT NOT NULL,
    props_modseq  INTEGER NOT NULL DEFAULT 0,
    counts_modseq INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, mailbox_id)
) WITHOUT ROWID;

CREATE TRIGGER mailbox_props_created AFTER INSERT ON records
WHEN NEW.type = 'Mailbox'
BEGIN
    INSERT INTO mailbox_modseqs (account_id, mailbox_id, props_modseq)
    VALUES (NEW.account_id, NEW.id, NEW.updated_modseq)
    ON CONFLICT (account_id, mailbox_id) DO UPDATE SET props_modseq = excluded.props_modseq;
END;

CREATE TRIGGER mailbox_props_updated AFTER UPDATE OF data ON records
WHEN NEW.type = 'Mailbox' AND NEW.data IS NOT OLD.data
BEGIN
    INSERT INTO mailbox_modseqs (account_id, mailbox_id, props_modseq)
    VALUES (NEW.account_id, NEW.id, NEW.updated_modseq)
    ON CONFLICT (account_id, mailbox_id) DO UPDATE SET props_modseq = excluded.props_modseq;
END;

-- Deleting an account (with its user) deletes its mail index, whatever path deletes it.
CREATE TRIGGER mail_index_account_deleted AFTER DELETE ON accounts
BEGIN
    DELETE FROM email_fts WHERE rowid IN (SELECT num FROM emails WHERE account_id = OLD.id);
    DELETE FROM email_mailboxes WHERE account_id = OLD.id;
    DELETE FROM email_keywords WHERE account_id = OLD.id;
    DELETE FROM email_message_ids WHERE account_id = OLD.id;
    DELETE FROM emails WHERE account_id = OLD.id;
    DELETE FROM mailbox_modseqs WHERE account_id = OLD.id;
    DELETE FROM mailbox_threads WHERE account_id = OLD.id;
    DELETE FROM mailbox_counters WHERE account_id = OLD.id;
    DELETE FROM thread_unread WHERE account_id = OLD.id;
    DELETE FROM mail_counts_basis WHERE account_id = OLD.id;
END;
