//! Acknowledging committed batches once they are on disk, without making the writer wait.
//!
//! On SQLite the writer commits with `synchronous = NORMAL`: the commit writes the batch to
//! the write-ahead log but does not flush it. A syncer task then flushes the log file
//! (`fdatasync`) and only then answers the batch's requests. Meanwhile the writer is already
//! storing the next batch, so the flush (1-10 ms on this kind of disk) overlaps with work
//! instead of stalling it; one flush also covers every batch committed before it started.
//! An acknowledged event is as durable as with `synchronous = FULL`: its commit record is
//! in the flushed log, and SQLite itself flushes the log before every checkpoint.
//!
//! On Postgres the writers commit with `synchronous_commit = off` (the commit returns
//! before its log record is flushed) and the syncer then commits a one-row update with the
//! default synchronous commit: Postgres flushes its log in order, so that flush covers
//! every writer commit before it. The writers' several connections thus share one flush
//! per round instead of each waiting for its own.

use std::fs::File;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;

use sqlx::pool::PoolConnection;
use sqlx::Any;
use tokio::sync::{mpsc, oneshot};

use crate::db::Db;

/// One request's answer, waiting for the flush that makes its events durable.
pub type Ack<T> = (oneshot::Sender<Result<T, ()>>, T);

pub enum Durability<T> {
    /// Commits are durable when they return.
    AtCommit,
    /// Commits are flushed by a syncer task; acknowledgements queue for it.
    Flushed(mpsc::UnboundedSender<Vec<Ack<T>>>),
}

/// What makes commits durable after the fact.
pub enum Flusher {
    /// The SQLite write-ahead log file.
    Wal(PathBuf),
    /// A synchronous commit on Postgres.
    Postgres(Db),
}

impl<T: Send + 'static> Durability<T> {
    /// `flusher`: what to flush, or `None` when commits flush themselves.
    pub fn start(flusher: Option<Flusher>) -> Durability<T> {
        let Some(flusher) = flusher else { return Durability::AtCommit };
        let (acks, queue) = mpsc::unbounded_channel();
        let flusher = match flusher {
            Flusher::Wal(path) => Flush::Wal(WalFile { path, open: None }),
            Flusher::Postgres(db) => Flush::Postgres(db, None),
        };
        tokio::spawn(sync_loop(flusher, queue));
        Durability::Flushed(acks)
    }

    /// Answers the requests of a committed batch, now or after the next flush.
    pub fn acknowledge(&self, acks: Vec<Ack<T>>) {
        match self {
            Durability::AtCommit => answer(acks, true),
            Durability::Flushed(queue) => {
                if let Err(unsent) = queue.send(acks) {
                    // The syncer is gone (shutting down): nobody can vouch for the flush.
                    answer(unsent.0, false);
                }
            }
        }
    }
}

/// How often the SQLite log is copied into the database file in the background.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(500);

/// Starts the background checkpoints of a SQLite database whose progress writer leaves them
/// out of its commits (`db::progress::writer_connection`). A passive checkpoint never waits
/// for the writer nor makes it wait; SQLite starts the log over at the writer's next commit
/// once everything in it is copied.
pub fn start_checkpoints(db: Db) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = crate::db::progress::checkpoint(&db).await {
                tracing::warn!(error = %crate::telemetry::cause_chain(&e), "checkpointing the database log failed");
            }
        }
    });
}

fn answer<T>(acks: Vec<Ack<T>>, durable: bool) {
    for (done, value) in acks {
        let _ = done.send(if durable { Ok(value) } else { Err(()) });
    }
}

enum Flush {
    Wal(WalFile),
    /// With a connection of its own: a pool checkout tests the connection first, a round
    /// trip per flush. A connection that failed is dropped and a fresh one taken.
    Postgres(Db, Option<PoolConnection<Any>>),
}

impl Flush {
    async fn flush(&mut self) -> Result<(), String> {
        match self {
            Flush::Wal(wal) => {
                // The file goes to the blocking pool and comes back with the result.
                let mut file = std::mem::replace(wal, WalFile { path: wal.path.clone(), open: None });
                let (file, flushed) = tokio::task::spawn_blocking(move || {
                    let flushed = file.flush();
                    (file, flushed)
                })
                .await
                .map_err(|e| e.to_string())?;
                *wal = file;
                flushed.map_err(|e| format!("{}: {e}", wal.path.display()))
            }
            Flush::Postgres(db, held) => {
                let mut conn = match held.take() {
                    Some(conn) => conn,
                    None => db.pool.acquire().await.map_err(|e| e.to_string())?,
                };
                crate::db::progress::flush_log(&mut conn).await.map_err(|e| crate::telemetry::cause_chain(&e))?;
                *held = Some(conn);
                Ok(())
            }
        }
    }
}

async fn sync_loop<T: Send + 'static>(mut flusher: Flush, mut queue: mpsc::UnboundedReceiver<Vec<Ack<T>>>) {
    while let Some(mut acks) = queue.recv().await {
        // Everything queued now was committed before this flush starts, so it covers all.
        while let Ok(more) = queue.try_recv() {
            acks.extend(more);
        }
        let start = std::time::Instant::now();
        let flushed = flusher.flush().await;
        tracing::trace!(batches = acks.len(), flush_us = start.elapsed().as_micros() as u64, "progress flush");
        if let Err(e) = &flushed {
            // The events are committed but perhaps not on disk: the requests fail, and the
            // clients' retries are answered as duplicates once a later flush succeeded.
            tracing::error!(error = %e, "flushing the database log failed");
        }
        answer(acks, flushed.is_ok());
    }
}

/// The write-ahead log file, opened once and again whenever SQLite replaced it (it deletes
/// the log when its last connection closes and creates a new one on the next write).
struct WalFile {
    path: PathBuf,
    open: Option<(File, u64)>,
}

impl WalFile {
    fn flush(&mut self) -> std::io::Result<()> {
        let current = std::fs::metadata(&self.path)?.ino();
        if self.open.as_ref().is_none_or(|(_, ino)| *ino != current) {
            // SQLite takes no POSIX locks on the log file (they are on the database and the
            // shared-memory index), so this descriptor's close cannot drop one of its locks.
            let file = File::open(&self.path)?;
            let ino = file.metadata()?.ino();
            self.open = Some((file, ino));
        }
        let (file, _) = self.open.as_ref().expect("opened above");
        file.sync_data()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acks(n: usize) -> (Vec<Ack<usize>>, Vec<oneshot::Receiver<Result<usize, ()>>>) {
        (0..n).map(|i| {
            let (tx, rx) = oneshot::channel();
            ((tx, i), rx)
        }).unzip()
    }

    #[tokio::test]
    async fn answers_after_the_log_is_flushed_and_follows_a_replaced_log() {
        let dir = tempfile::tempdir().unwrap();
        let wal = dir.path().join("db-wal");
        std::fs::write(&wal, b"frames").unwrap();
        let durability = Durability::start(Some(Flusher::Wal(wal.clone())));
        let (sent, answers) = acks(3);
        durability.acknowledge(sent);
        for (i, answer) in answers.into_iter().enumerate() {
            assert_eq!(answer.await.unwrap(), Ok(i));
        }
        // SQLite deletes the log when its last connection closes and makes a new one later.
        std::fs::remove_file(&wal).unwrap();
        std::fs::write(&wal, b"new frames").unwrap();
        let (sent, answers) = acks(1);
        durability.acknowledge(sent);
        assert_eq!(answers.into_iter().next().unwrap().await.unwrap(), Ok(0));
    }

    #[tokio::test]
    async fn a_failed_flush_fails_the_requests() {
        let dir = tempfile::tempdir().unwrap();
        let durability = Durability::start(Some(Flusher::Wal(dir.path().join("missing-wal"))));
        let (sent, answers) = acks(2);
        durability.acknowledge(sent);
        for answer in answers {
            assert_eq!(answer.await.unwrap(), Err(()));
        }
    }

    #[tokio::test]
    async fn commits_that_flush_themselves_are_answered_at_once() {
        let durability = Durability::start(None);
        let (sent, answers) = acks(2);
        durability.acknowledge(sent);
        for (i, answer) in answers.into_iter().enumerate() {
            assert_eq!(answer.await.unwrap(), Ok(i));
        }
    }
}
