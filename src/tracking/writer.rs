//! Group commit: requests hand their checked events to the writer task, which stores whatever
//! has queued up in one transaction and answers every request only once that transaction
//! is on disk ([`super::durable`]). One commit then carries many learners' heartbeats.
//!
//! Folding events into the progress rows and the usage totals costs a row write per learner
//! and batch, and a batch holds at most one heartbeat per open connection. So under load
//! (many requests per batch) the writer only appends heartbeats to the log, marks them
//! pending, and acknowledges them: they are durable in the log, from which every row can be
//! derived. It folds what is pending every [`FOLD_AFTER`] or [`FOLD_EVENTS`] events, many
//! heartbeats of a learner in one row write. Under light load, for quiz attempts and
//! SCORM/cmi5 results, and when a page asks ([`Writer::settle`]), it folds at once. A server
//! stopped with events pending folds them when it starts again ([`recover`]).
//!
//! The writer does not wait for more requests before a commit. Requests come back in step
//! with the flushes that answer them, and waiting for a fuller batch kept them in two clumps
//! (one being committed, one being flushed) while the cores sat idle: without the wait,
//! 8,000 heartbeats/s became 9,800 on SQLite and 7,300 became 8,400 on Postgres. Appends are
//! cheap enough for that: on SQLite they run on a connection and thread of their own
//! (`db::progress_log`), on Postgres as one statement.
//!
//! On SQLite a fold holds the database's one write lock, so appends wait for it. On Postgres
//! folds run aside on a connection of their own ([`Task::start_fold`]), one at a time and in
//! log order, while heartbeats go on being appended.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sqlx::pool::PoolConnection;
use sqlx::Any;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::durable::{Durability, Flusher};
use super::batch::{new_event, stored_per_job, unique_events, Stored};
use super::fold::{fold_on, recover, Later};
use super::event::Event;
use super::meta::Lookups;
use super::TrackError;
use crate::db::progress::{self, NewEvent};
use crate::db::progress_log::NativeLog;
use crate::db::{progress_pending, Db, DbResult};
use super::totals::Recorder;

/// Events in one transaction at most; more wait for the next.
const MAX_BATCH_EVENTS: usize = 2000;
/// Requests waiting for the writer before new ones wait to be queued (back-pressure).
const QUEUE: usize = 4096;
/// A failed transaction (a Postgres deadlock, SQLite busy past its timeout) is tried again.
const ATTEMPTS: usize = 3;
/// A batch of fewer requests than this, with nothing pending, is folded at once: the writer
/// is not busy.
const BUSY_JOBS: usize = 4;
/// Pending events are folded at the latest this long after the first of them was logged
/// on SQLite, where appends wait while a fold holds the write lock...
pub const FOLD_AFTER: Duration = Duration::from_millis(40);
/// ...or this long on Postgres, where folds run aside: each then writes a learner's rows once
/// for more heartbeats, and pages still see everything ([`Writer::settle`])...
pub const FOLD_ASIDE_AFTER: Duration = Duration::from_millis(200);
/// ...or once this many are pending.
const FOLD_EVENTS: usize = 4000;

/// Per event of a request: `true` if this request stored it, `false` if it was already stored.

struct Job {
    events: Vec<Event>,
    /// Fold before answering: the page shows the outcome next.
    now: bool,
    done: oneshot::Sender<Result<Stored, ()>>,
}

#[derive(Clone)]
pub struct Writer {
    queue: mpsc::Sender<Job>,
    /// Events logged and not yet folded.
    pending: Arc<AtomicUsize>,
}

impl Writer {
    /// Starts the writer task on the current Tokio runtime. One writer numbers the events in
    /// the order it commits them, the order a rebuild folds them in.
    pub fn start(db: Db, lookups: Arc<Lookups>, recorder: Arc<Recorder>) -> Writer {
        let (queue, jobs) = mpsc::channel(QUEUE);
        let flusher = match &db.sqlite_file {
            Some(file) => {
                super::durable::start_checkpoints(db.clone());
                let mut wal = file.clone().into_os_string();
                wal.push("-wal");
                Some(Flusher::Wal(wal.into()))
            }
            None if db.backend == crate::db::Backend::Postgres => Some(Flusher::Postgres(db.clone())),
            None => None,
        };
        let durability = Durability::start(flusher);
        let pending = Arc::new(AtomicUsize::new(0));
        let log = db.sqlite_file.as_deref().and_then(|file| match NativeLog::open(file) {
            Ok(log) => Some(log),
            Err(e) => {
                tracing::warn!(error = %e, "appending progress events through the pool instead");
                None
            }
        });
        let fold_aside = db.backend == crate::db::Backend::Postgres;
        let task = Task {
            db,
            lookups,
            recorder,
            durability,
            conn: None,
            log,
            later: Later::default(),
            fold_aside,
            folding: None,
            folding_events: 0,
            fold_conn: None,
            pending: pending.clone(),
        };
        tokio::spawn(task.run(jobs));
        Writer { queue, pending }
    }

    /// Stores `events` and returns once they are durably in the log; they are folded into
    /// the progress rows now or within [`FOLD_AFTER`].
    pub async fn write(&self, events: Vec<Event>) -> Result<Stored, TrackError> {
        self.send(events, false).await
    }

    /// Stores `events` and returns once they are durable and folded into the progress rows.
    pub async fn write_now(&self, events: Vec<Event>) -> Result<Stored, TrackError> {
        self.send(events, true).await
    }

    /// Returns once every event acknowledged so far is folded into the progress rows: pages
    /// that show progress call it first. Costs nothing when nothing is pending.
    pub async fn settle(&self) -> Result<(), TrackError> {
        if self.pending.load(Ordering::Acquire) == 0 {
            return Ok(());
        }
        self.send(Vec::new(), true).await.map(|_| ())
    }

    async fn send(&self, events: Vec<Event>, now: bool) -> Result<Stored, TrackError> {
        let (done, answer) = oneshot::channel();
        self.queue.send(Job { events, now, done }).await.map_err(|_| TrackError::Unavailable)?;
        answer.await.map_err(|_| TrackError::Unavailable)?.map_err(|_| TrackError::Unavailable)
    }
}

/// What one committed transaction did.
struct Committed {
    /// Per job, per event: whether this transaction stored it.
    stored: Vec<Stored>,
    /// Log ids of the events stored, by (learner, client id).
    ids: HashMap<(i64, String), i64>,
    /// Whether the pending events (and these) were folded.
    folded: bool,
}

struct Task {
    db: Db,
    lookups: Arc<Lookups>,
    recorder: Arc<Recorder>,
    durability: Durability<Stored>,
    /// The writer's own connection: its prepared statements stay warm and no batch waits
    /// for the pool. One that failed is dropped and a fresh one taken.
    conn: Option<PoolConnection<Any>>,
    /// SQLite: appends go through a connection and thread of their own (`db::progress_log`).
    log: Option<NativeLog>,
    later: Later,
    /// Postgres: folds run aside ([`Task::start_fold`]) while heartbeats are appended.
    fold_aside: bool,
    folding: Option<JoinHandle<FoldOutcome>>,
    folding_events: usize,
    /// The connection of the folds run aside, kept between them.
    fold_conn: Option<PoolConnection<Any>>,
    pending: Arc<AtomicUsize>,
}

/// A fold run aside: its connection back, or its events with the error.
type FoldOutcome = (Option<PoolConnection<Any>>, Result<(), (Later, crate::db::DbError)>);

impl Task {
    async fn run(mut self, mut jobs: mpsc::Receiver<Job>) {
        match recover(&self.db, &self.lookups).await {
            Ok(found) if !found.is_empty() => {
                tracing::info!(events = found.len(), "folding progress events left pending by the last run");
                self.later.events = found;
                self.later.since = Some(Instant::now());
                self.count_pending();
            }
            Ok(_) => {}
            Err(e) => tracing::error!(error = %crate::telemetry::cause_chain(&e), "reading pending progress events failed"),
        }
        loop {
            let idle = Instant::now();
            let first = match self.later.deadline(self.fold_after()) {
                None => match jobs.recv().await {
                    Some(job) => Some(job),
                    None => return,
                },
                // Pending events: wait for work only until they are due.
                Some(due) => match tokio::time::timeout_at(due, jobs.recv()).await {
                    Ok(Some(job)) => Some(job),
                    Ok(None) => return,
                    Err(_) => None,
                },
            };
            let mut batch: Vec<Job> = first.into_iter().collect();
            let count = drain(&mut jobs, &mut batch);
            if self.folding.as_ref().is_some_and(|f| f.is_finished()) {
                self.finish_fold().await;
            }
            // Folded with the batch: what a page shows next, and, under light load (a small
            // batch, nothing waiting), everything. A fold running on Postgres counts as
            // waiting: events are folded one fold at a time, in log order.
            let now = batch.iter().any(|j| j.now)
                || (batch.len() < BUSY_JOBS && self.later.events.is_empty() && self.folding.is_none());
            let due = self.later.events.len() + count >= FOLD_EVENTS
                || self.later.deadline(self.fold_after()).is_some_and(|due| due <= Instant::now());
            let fold = now || (due && !self.fold_aside);
            if fold {
                self.finish_fold().await;
            } else if due {
                self.finish_fold().await;
                self.start_fold();
            }
            if batch.is_empty() && !fold {
                continue;
            }
            let start = Instant::now();
            let jobs = batch.len();
            self.store(batch, fold).await;
            tracing::trace!(
                events = count,
                jobs,
                fold,
                waited_us = (start - idle).as_micros() as u64,
                stored_us = start.elapsed().as_micros() as u64,
                "progress batch"
            );
        }
    }

    /// Postgres: folds the pending events on a connection of their own while the writer goes
    /// on appending; heartbeats logged meanwhile wait for the next fold. A fold that fails
    /// hands its events back ([`Task::finish_fold`]); they stay pending in the database.
    fn start_fold(&mut self) {
        let later = std::mem::take(&mut self.later);
        if later.events.is_empty() {
            return;
        }
        self.folding_events = later.events.len();
        let (db, lookups, recorder, conn) = (self.db.clone(), self.lookups.clone(), self.recorder.clone(), self.fold_conn.take());
        self.folding = Some(tokio::spawn(async move {
            let mut conn = match conn {
                Some(c) => c,
                None => match progress::writer_connection(&db).await {
                    Ok(c) => c,
                    Err(e) => return (None, Err((later, e))),
                },
            };
            match fold_on(&db, &mut conn, &lookups, &recorder, &[], &later).await {
                Ok(_) => (Some(conn), Ok(())),
                Err(e) => (None, Err((later, e))),
            }
        }));
        self.count_pending();
    }

    /// Waits for the fold running aside, if any; a failed one's events are pending again.
    async fn finish_fold(&mut self) {
        let Some(running) = self.folding.take() else { return };
        let failed = match running.await {
            Ok((conn, result)) => {
                self.fold_conn = conn;
                result.err()
            }
            Err(e) => {
                tracing::error!(error = %e, "the progress fold task ended abnormally");
                None
            }
        };
        if let Some((mut later, e)) = failed {
            tracing::warn!(error = %crate::telemetry::cause_chain(&e), events = later.events.len(), "folding progress events failed; folding them again later");
            later.events.append(&mut self.later.events);
            self.later = later;
        }
        self.folding_events = 0;
        self.count_pending();
    }

    /// [`FOLD_AFTER`], or [`FOLD_ASIDE_AFTER`] when folds run aside.
    fn fold_after(&self) -> Duration {
        if self.fold_aside { FOLD_ASIDE_AFTER } else { FOLD_AFTER }
    }

    /// Publishes how many events wait to be folded (for [`Writer::settle`]).
    fn count_pending(&self) {
        self.pending.store(self.later.events.len() + self.folding_events, Ordering::Release);
    }

    /// Commits a batch (trying again after a failure) and answers its requests.
    async fn store(&mut self, batch: Vec<Job>, fold: bool) {
        let mut result = self.commit(&batch, fold).await;
        for attempt in 1..ATTEMPTS {
            let Err(e) = &result else { break };
            tracing::warn!(error = %e, attempt, "progress batch failed; trying again");
            tokio::time::sleep(Duration::from_millis(20 * attempt as u64)).await;
            result = self.commit(&batch, fold).await;
        }
        if result.is_err() && fold && !batch.iter().any(|j| j.now) {
            // Folding keeps failing: heartbeats are still stored and answered, and folded
            // with the next attempt.
            tracing::warn!("folding progress events failed; storing the batch and folding later");
            result = self.commit(&batch, false).await;
        }
        match result {
            Ok(done) => {
                if done.folded {
                    self.later = Later::default();
                }
                let mut acks = Vec::with_capacity(batch.len());
                for (job, stored) in batch.into_iter().zip(done.stored) {
                    if !done.folded {
                        for (ev, new) in job.events.into_iter().zip(&stored) {
                            if *new {
                                let id = done.ids[&(ev.user_id, ev.client_id.clone())];
                                self.later.events.push((id, ev));
                            }
                        }
                    }
                    acks.push((job.done, stored));
                }
                if !self.later.events.is_empty() && self.later.since.is_none() {
                    self.later.since = Some(Instant::now());
                }
                // Counted before the answers go out: a page asked for after an answer waits.
                self.count_pending();
                self.durability.acknowledge(acks);
            }
            Err(e) => {
                tracing::error!(error = %crate::telemetry::cause_chain(&e), "progress batch failed");
                for job in batch {
                    let _ = job.done.send(Err(()));
                }
            }
        }
    }

    async fn commit(&mut self, jobs: &[Job], fold: bool) -> DbResult<Committed> {
        let unique = unique_events(jobs.iter().map(|j| j.events.as_slice()));
        if !fold {
            let rows: Vec<NewEvent> = unique.iter().map(|e| new_event(e)).collect();
            let stored = match &self.log {
                Some(log) => log.append(rows).await?,
                None => {
                    let mut held = self.connection().await?;
                    let stored = progress_pending::append(&mut held, &rows).await?;
                    self.conn = Some(held);
                    stored
                }
            };
            let ids = stored.into_iter().map(|(id, user, client)| ((user, client), id)).collect();
            return Ok(Committed { stored: stored_per_job(jobs.iter().map(|j| j.events.as_slice()), &ids), ids, folded: false });
        }
        let mut held = self.connection().await?;
        let ids = fold_on(&self.db, &mut held, &self.lookups, &self.recorder, &unique, &self.later).await?;
        self.conn = Some(held);
        Ok(Committed { stored: stored_per_job(jobs.iter().map(|j| j.events.as_slice()), &ids), ids, folded: true })
    }

    /// The writer's pool connection; a failed one was dropped, and a fresh one is taken.
    async fn connection(&mut self) -> DbResult<PoolConnection<Any>> {
        match self.conn.take() {
            Some(c) => Ok(c),
            None => progress::writer_connection(&self.db).await,
        }
    }
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

