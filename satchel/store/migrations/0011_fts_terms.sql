-- Satchel schema 11: the full-text index's terms, one row each (FTS5's vocabulary table: a
-- view on email_fts, no storage of its own). A word-prefix search lists the other terms with
-- its prefix here and searches for those whole words instead (mail_text.match_terms).

CREATE VIRTUAL TABLE IF NOT EXISTS email_fts_terms USING fts5vocab(email_fts, 'row');
