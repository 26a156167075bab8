//! Group commit: requests hand their checked events to writer tasks, which store whatever
//! has queued up in one transaction and answer every request only once that transaction
//! is on disk. One commit then carries many learners' heartbeats; on SQLite the flush of
//! one batch overlaps with the storing of the next ([`super::durable`]).

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use sqlx::pool::PoolConnection;
use sqlx::{Any, Connection};
use tokio::sync::{mpsc, oneshot, Mutex};

use super::apply::apply;
use super::durable::{Durability, Flusher};
use super::event::Event;
use super::meta::Lookups;
use crate::stats::rollup::Recorder;
use crate::db::progress::{self, NewEvent};
use super::TrackError;
use crate::db::{Backend, Db, DbResult};

/// Events in one transaction at most; more wait for the next.
const MAX_BATCH_EVENTS: usize = 2000;
/// Requests waiting for a writer before new ones wait to be queued (back-pressure).
const QUEUE: usize = 4096;
/// A failed transaction (a Postgres deadlock, SQLite busy past its timeout) is tried again.
const ATTEMPTS: usize = 3;
/// When a batch would be this small, the writer first waits [`GATHER`] for more: requests
/// answered by the previous commit come back within about a millisecond, and one commit
/// for all of them costs far less than one each.
const SMALL_BATCH: usize = 16;
const GATHER: Duration = Duration::from_millis(1);

/// Per event of a request: `true` if this request stored it, `false` if it was already stored.
pub type Stored = Vec<bool>;

struct Job {
    events: Vec<Event>,
    done: oneshot::Sender<Result<Stored, ()>>,
}

#[derive(Clone)]
pub struct Writer {
    queue: mpsc::Sender<Job>,
}

impl Writer {
    /// Starts the writer tasks on the current Tokio runtime: one on SQLite, which has a single
    /// writer anyway; several on Postgres, so that one batch fills while another is flushed.
    pub fn start(db: Db, lookups: Arc<Lookups>, recorder: Arc<Recorder>) -> Writer {
        let (queue, jobs) = mpsc::channel(QUEUE);
        let jobs = Arc::new(Mutex::new(jobs));
        let workers = if db.backend == Backend::Sqlite { 1 } else { 4 };
        let flusher = match &db.sqlite_file {
            Some(file) => {
                let mut wal = file.clone().into_os_string();
                wal.push("-wal");
                Some(Flusher::Wal(wal.into()))
            }
            None if db.backend == Backend::Postgres => Some(Flusher::Postgres(db.clone())),
            None => None,
        };
        let durability = Arc::new(Durability::start(flusher));
        for _ in 0..workers {
            tokio::spawn(work(db.clone(), lookups.clone(), recorder.clone(), jobs.clone(), durability.clone()));
        }
        Writer { queue }
    }

    /// Stores `events` and returns once they are committed.
    pub async fn write(&self, events: Vec<Event>) -> Result<Stored, TrackError> {
        let (done, answer) = oneshot::channel();
        self.queue.send(Job { events, done }).await.map_err(|_| TrackError::Unavailable)?;
        answer.await.map_err(|_| TrackError::Unavailable)?.map_err(|_| TrackError::Unavailable)
    }
}

async fn work(db: Db, lookups: Arc<Lookups>, recorder: Arc<Recorder>, jobs: Arc<Mutex<mpsc::Receiver<Job>>>, durability: Arc<Durability<Stored>>) {
    // Each writer keeps a connection of its own: its prepared statements stay warm and no
    // batch waits for the pool. One that failed is dropped and a fresh one taken.
    let mut conn: Option<PoolConnection<Any>> = None;
    loop {
        let batch = {
            let mut jobs = jobs.lock().await;
            let Some(first) = jobs.recv().await else { return };
            let mut batch = vec![first];
            let mut count = drain(&mut jobs, &mut batch);
            if count < SMALL_BATCH {
                tokio::time::sleep(GATHER).await;
                count = drain(&mut jobs, &mut batch);
            }
            tracing::trace!(events = count, jobs = batch.len(), "progress batch");
            batch
        };
        let mut result = commit(&db, &mut conn, &lookups, &recorder, &batch).await;
        for attempt in 1..ATTEMPTS {
            let Err(e) = &result else { break };
            tracing::warn!(error = %e, attempt, "progress batch failed; trying again");
            tokio::time::sleep(Duration::from_millis(20 * attempt as u64)).await;
            result = commit(&db, &mut conn, &lookups, &recorder, &batch).await;
        }
        match result {
            Ok(stored) => durability.acknowledge(batch.into_iter().zip(stored).map(|(job, stored)| (job.done, stored)).collect()),
            Err(e) => {
                tracing::error!(error = %crate::error::cause_chain(&e), "progress batch failed");
                for job in batch {
                    let _ = job.done.send(Err(()));
                }
            }
        }
    }
}

async fn commit(db: &Db, conn: &mut Option<PoolConnection<Any>>, lookups: &Lookups, recorder: &Recorder, jobs: &[Job]) -> DbResult<Vec<Stored>> {
    let mut held = match conn.take() {
        Some(c) => c,
        None => progress::writer_connection(db).await?,
    };
    let result = commit_on(db, &mut held, lookups, recorder, jobs).await;
    if result.is_ok() {
        *conn = Some(held);
    }
    result
}

/// Moves queued jobs into `batch` up to [`MAX_BATCH_EVENTS`]; returns the events in it.
fn drain(jobs: &mut mpsc::Receiver<Job>, batch: &mut Vec<Job>) -> usize {
    let mut count: usize = batch.iter().map(|j| j.events.len()).sum();
    while count < MAX_BATCH_EVENTS {
        match jobs.try_recv() {
            Ok(job) => {
                count += job.events.len();
                batch.push(job);
            }
            Err(_) => break,
        }
    }
    count
}

/// One transaction for all jobs: append the events, apply the new ones, add them to the
/// statistics, commit.
async fn commit_on(db: &Db, conn: &mut PoolConnection<Any>, lookups: &Lookups, recorder: &Recorder, jobs: &[Job]) -> DbResult<Vec<Stored>> {
    // Within a batch the first copy of an event is the one written; later copies (a retry
    // racing its original) are duplicates whatever the database says.
    let mut seen = HashSet::new();
    let mut unique: Vec<&Event> = Vec::new();
    for ev in jobs.iter().flat_map(|j| &j.events) {
        if seen.insert((ev.user_id, ev.client_id.as_str())) {
            unique.push(ev);
        }
    }
    unique.sort_by(|a, b| (a.user_id, &a.client_id).cmp(&(b.user_id, &b.client_id)));
    let course_ids: Vec<i64> = unique.iter().map(|e| e.item.course_id).collect::<BTreeSet<_>>().into_iter().collect();
    let outlines = lookups.latest_outlines(db, &course_ids).await?;
    let rows: Vec<NewEvent> = unique.iter().map(|e| new_event(e)).collect();
    let mut tx = conn.begin().await?;
    // Concurrent writers (Postgres) take each learner's course before numbering its events:
    // a learner's events of a course are then applied in log order, the order a rebuild
    // replays them in, and completions land on the same days either way.
    let touched: BTreeSet<(i64, i64)> =
        unique.iter().map(|e| (e.user_id, e.item.course_id)).filter(|(_, c)| outlines.contains_key(c)).collect();
    progress::lock_courses(&mut tx, &touched).await?;
    let written: HashMap<(i64, String), i64> =
        progress::insert_events(&mut tx, &rows).await?.into_iter().map(|(id, user, client)| ((user, client), id)).collect();
    let mut fresh: Vec<(i64, &Event)> =
        unique.iter().filter_map(|e| written.get(&(e.user_id, e.client_id.clone())).map(|&id| (id, *e))).collect();
    fresh.sort_by_key(|(id, _)| *id);
    let fresh: Vec<&Event> = fresh.into_iter().map(|(_, e)| e).collect();
    let pairs: BTreeSet<(i64, i64)> = fresh.iter().map(|e| (e.user_id, e.item.course_id)).collect();
    let completions = apply(&mut tx, &pairs, &fresh, &outlines).await?;
    let counted = recorder.record(&mut tx, &fresh, &completions).await?;
    tx.commit().await?;
    recorder.committed(counted);
    let mut claimed = HashSet::new();
    Ok(jobs
        .iter()
        .map(|job| {
            job.events
                .iter()
                .map(|e| written.contains_key(&(e.user_id, e.client_id.clone())) && claimed.insert((e.user_id, e.client_id.as_str())))
                .collect()
        })
        .collect())
}

fn new_event(e: &Event) -> NewEvent<'_> {
    NewEvent {
        user_id: e.user_id,
        client_event_id: &e.client_id,
        course_id: e.item.course_id,
        item_id: e.item.item_id,
        item_key: &e.item.key,
        kind: e.kind.as_str(),
        payload: serde_json::to_string(&e.payload).unwrap_or_else(|_| "{}".into()),
        client_ts: e.client_ts,
        at: e.at,
        received_at: e.received_at,
    }
}
