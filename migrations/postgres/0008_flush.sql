-- The progress writer commits its batches with synchronous_commit off and then commits an
-- update of this one row with the default synchronous commit: that commit's log flush makes
-- every batch before it durable, and only then are the batches acknowledged. (SQLite needs
-- no such row: the writer flushes the log file itself.)
CREATE TABLE progress_flush (
    id       INTEGER PRIMARY KEY,
    flushes  BIGINT NOT NULL
);
INSERT INTO progress_flush (id, flushes) VALUES (1, 0);
