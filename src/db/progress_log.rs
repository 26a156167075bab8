//! SQLite: the progress writer's appends, on a native connection and a thread of their own.
//!
//! Under load the writer's job is to append a batch of heartbeats to the log and list them
//! as pending, in one transaction ([`super::progress_pending::append`]). Through sqlx each
//! statement (BEGIN, the insert, the pending list, COMMIT) is a hand-off to the pool
//! connection's worker thread and back, and every stored row comes back as a message of its
//! own. On two cores, shared with the HTTP workers, those hand-offs took most of the
//! writer's time and more CPU than SQLite itself. Here one thread owns a connection and runs
//! the whole transaction with cached statements: one hand-off per batch.
//!
//! The connection opens the pool's database file (WAL mode is a property of the file) and
//! commits with `synchronous = NORMAL` like the pool's connections: the writer's syncer
//! flushes the log before any request is answered (`tracking::durable`). The writer uses it
//! only between its own transactions on the pool, so the two never wait for each other.

use std::path::Path;
use std::sync::LazyLock;
use std::time::Duration;

use rusqlite::{params, Connection, OpenFlags, OptionalExtension, TransactionBehavior};
use tokio::sync::oneshot;

use super::progress::{NewEvent, EVENT_COLUMNS, EVENT_CONFLICT, SQLITE_WRITER_PRAGMAS};
use super::{DbError, DbResult};

/// (log id, learner, client id) of each event stored by an append.
pub type Stored = Vec<(i64, i64, String)>;

static INSERT: LazyLock<String> = LazyLock::new(|| {
    format!("INSERT INTO progress_events ({EVENT_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) {EVENT_CONFLICT} RETURNING id")
});
const PENDING: &str = "INSERT INTO progress_pending (event_id) VALUES (?1)";

struct Append {
    events: Vec<NewEvent>,
    done: oneshot::Sender<DbResult<Stored>>,
}

/// The handle of the log thread; the thread ends when the handle is dropped.
pub struct NativeLog {
    queue: std::sync::mpsc::Sender<Append>,
}

impl NativeLog {
    /// Opens a connection to the (existing, migrated) database file and starts its thread.
    pub fn open(file: &Path) -> DbResult<NativeLog> {
        let conn = connect(file).map_err(|e| native(file, e))?;
        let (queue, appends) = std::sync::mpsc::channel::<Append>();
        let file = file.to_owned();
        std::thread::Builder::new()
            .name("progress-log".into())
            .spawn(move || {
                let mut conn = conn;
                while let Ok(job) = appends.recv() {
                    let result = append(&mut conn, &job.events).map_err(|e| native(&file, e));
                    let _ = job.done.send(result);
                }
            })
            .map_err(|e| DbError::Native(format!("cannot start the progress log thread: {e}")))?;
        Ok(NativeLog { queue })
    }

    /// Appends `events` (in this order) and lists those stored as pending, in one
    /// transaction; a retried event (same learner and client id) is not stored again.
    pub async fn append(&self, events: Vec<NewEvent>) -> DbResult<Stored> {
        let (done, answer) = oneshot::channel();
        let gone = || DbError::Sqlx(sqlx::Error::WorkerCrashed);
        self.queue.send(Append { events, done }).map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }
}

fn connect(file: &Path) -> rusqlite::Result<Connection> {
    // No CREATE: the pool made and migrated the file; a missing one is an error here.
    let conn = Connection::open_with_flags(file, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    for pragma in SQLITE_WRITER_PRAGMAS {
        conn.execute_batch(pragma)?;
    }
    Ok(conn)
}

fn append(conn: &mut Connection, events: &[NewEvent]) -> rusqlite::Result<Stored> {
    // IMMEDIATE: the write lock first, so no other writer's commit can come between this
    // transaction's read of the unique index and its insert.
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut stored = Vec::with_capacity(events.len());
    {
        let mut insert = tx.prepare_cached(&INSERT)?;
        let mut pending = tx.prepare_cached(PENDING)?;
        for e in events {
            let id: Option<i64> = insert
                .query_row(
                    params![
                        e.user_id,
                        e.client_event_id,
                        e.course_id,
                        e.item_id,
                        e.item_key,
                        e.kind,
                        e.payload,
                        e.client_ts,
                        e.at,
                        e.received_at
                    ],
                    |row| row.get(0),
                )
                .optional()?;
            if let Some(id) = id {
                pending.execute([id])?;
                stored.push((id, e.user_id, e.client_event_id.clone()));
            }
        }
    }
    tx.commit()?;
    Ok(stored)
}

fn native(file: &Path, e: rusqlite::Error) -> DbError {
    DbError::Native(format!("progress log {}: {e}", file.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(user: i64, client: &str) -> NewEvent {
        NewEvent {
            user_id: user,
            client_event_id: client.into(),
            course_id: 7,
            item_id: 70,
            item_key: "video".into(),
            kind: "progress",
            payload: "{}".into(),
            client_ts: 1,
            at: 2,
            received_at: 3,
        }
    }

    #[tokio::test]
    async fn appends_once_and_lists_what_it_stored_as_pending() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("log.db");
        let url = format!("sqlite://{}?mode=rwc", file.display());
        let db = crate::db::Db::connect(&url).await.unwrap();
        db.migrate().await.unwrap();
        let log = NativeLog::open(&file).unwrap();

        let first = log.append(vec![event(1, "a"), event(2, "a")]).await.unwrap();
        assert_eq!(first.iter().map(|(_, u, c)| (*u, c.as_str())).collect::<Vec<_>>(), [(1, "a"), (2, "a")]);
        // A retried event is not stored again; a new one is, with a later id.
        let second = log.append(vec![event(1, "a"), event(1, "b")]).await.unwrap();
        assert_eq!(second.len(), 1);
        assert_eq!((second[0].1, second[0].2.as_str()), (1, "b"));
        assert!(second[0].0 > first[1].0);

        let logged: Vec<(i64, String)> =
            sqlx::query_as("SELECT user_id, client_event_id FROM progress_events ORDER BY id").fetch_all(&db.pool).await.unwrap();
        assert_eq!(logged, [(1, "a".to_string()), (2, "a".to_string()), (1, "b".to_string())]);
        let pending: Vec<(i64,)> = sqlx::query_as("SELECT event_id FROM progress_pending ORDER BY event_id").fetch_all(&db.pool).await.unwrap();
        let ids: Vec<i64> = first.iter().chain(&second).map(|(id, _, _)| *id).collect();
        assert_eq!(pending.into_iter().map(|(id,)| id).collect::<Vec<_>>(), ids);
    }

    #[test]
    fn a_missing_database_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("missing.db");
        let Err(e) = NativeLog::open(&file) else { panic!("opened a missing file") };
        assert!(e.to_string().contains("missing.db"), "{e}");
    }
}
