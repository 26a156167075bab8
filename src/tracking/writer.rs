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

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sqlx::pool::PoolConnection;
use sqlx::{Any, Connection};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use super::apply::apply;
use super::durable::{Durability, Flusher};
use super::event::Event;
use super::meta::Lookups;
use super::TrackError;
use crate::db::progress::{self, NewEvent};
use crate::db::{progress_pending, Db, DbResult};
use crate::stats::rollup::Recorder;

/// Events in one transaction at most; more wait for the next.
const MAX_BATCH_EVENTS: usize = 2000;
/// Requests waiting for the writer before new ones wait to be queued (back-pressure).
const QUEUE: usize = 4096;
/// A failed transaction (a Postgres deadlock, SQLite busy past its timeout) is tried again.
const ATTEMPTS: usize = 3;
/// When a batch would be this small, the writer first waits [`GATHER`] for more: requests
/// answered by the previous commit come back within about a millisecond, and one commit
/// for all of them costs far less than one each.
const SMALL_BATCH: usize = 16;
const GATHER: Duration = Duration::from_millis(1);
/// A batch of fewer requests than this is folded at once: the writer is not busy.
const BUSY_JOBS: usize = 4;
/// Pending events are folded at the latest this long after the first of them was logged...
pub const FOLD_AFTER: Duration = Duration::from_millis(40);
/// ...or once this many are pending.
const FOLD_EVENTS: usize = 4000;

/// Per event of a request: `true` if this request stored it, `false` if it was already stored.
pub type Stored = Vec<bool>;

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
        let task = Task { db, lookups, recorder, durability, conn: None, later: Later::default(), pending: pending.clone() };
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

/// Logged events waiting to be folded, in log order, with their log ids.
#[derive(Default)]
struct Later {
    events: Vec<(i64, Event)>,
    since: Option<Instant>,
}

impl Later {
    fn deadline(&self) -> Option<Instant> {
        self.since.map(|t| t + FOLD_AFTER)
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
    later: Later,
    pending: Arc<AtomicUsize>,
}

impl Task {
    async fn run(mut self, mut jobs: mpsc::Receiver<Job>) {
        match recover(&self.db, &self.lookups).await {
            Ok(found) if !found.is_empty() => {
                tracing::info!(events = found.len(), "folding progress events left pending by the last run");
                self.later.events = found;
                self.later.since = Some(Instant::now());
                self.pending.store(self.later.events.len(), Ordering::Release);
            }
            Ok(_) => {}
            Err(e) => tracing::error!(error = %crate::error::cause_chain(&e), "reading pending progress events failed"),
        }
        loop {
            let first = match self.later.deadline() {
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
            let mut count = drain(&mut jobs, &mut batch);
            if !batch.is_empty() && count < SMALL_BATCH {
                tokio::time::sleep(GATHER).await;
                count = drain(&mut jobs, &mut batch);
            }
            let fold = batch.len() < BUSY_JOBS
                || batch.iter().any(|j| j.now)
                || self.later.events.len() + count >= FOLD_EVENTS
                || self.later.deadline().is_some_and(|due| due <= Instant::now());
            tracing::trace!(events = count, jobs = batch.len(), fold, "progress batch");
            self.store(batch, fold).await;
        }
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
                self.pending.store(self.later.events.len(), Ordering::Release);
                self.durability.acknowledge(acks);
            }
            Err(e) => {
                tracing::error!(error = %crate::error::cause_chain(&e), "progress batch failed");
                for job in batch {
                    let _ = job.done.send(Err(()));
                }
            }
        }
    }

    async fn commit(&mut self, jobs: &[Job], fold: bool) -> DbResult<Committed> {
        let mut held = match self.conn.take() {
            Some(c) => c,
            None => progress::writer_connection(&self.db).await?,
        };
        let result = commit_on(&self.db, &mut held, &self.lookups, &self.recorder, jobs, &self.later, fold).await;
        if result.is_ok() {
            self.conn = Some(held);
        }
        result
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

/// One transaction for all jobs: append the events; then either fold them, with those
/// pending, into the progress rows and the statistics, or mark them pending; commit.
async fn commit_on(
    db: &Db,
    conn: &mut PoolConnection<Any>,
    lookups: &Lookups,
    recorder: &Recorder,
    jobs: &[Job],
    later: &Later,
    fold: bool,
) -> DbResult<Committed> {
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
    let folding = if fold { later.events.as_slice() } else { &[] };
    let course_ids: Vec<i64> =
        unique.iter().map(|e| e.item.course_id).chain(folding.iter().map(|(_, e)| e.item.course_id)).collect::<BTreeSet<_>>().into_iter().collect();
    let outlines = lookups.latest_outlines(db, &course_ids).await?;
    let rows: Vec<NewEvent> = unique.iter().map(|e| new_event(e)).collect();
    let mut tx = conn.begin().await?;
    // Servers sharing a Postgres database take each learner's course before they number
    // (and fold) its events: a learner's events of a course are then folded in log order,
    // the order a rebuild replays them in, and completions land on the same days either way.
    // Events that only go into the log take no lock.
    if fold {
        let pairs: BTreeSet<(i64, i64)> = unique
            .iter()
            .copied()
            .chain(folding.iter().map(|(_, e)| e))
            .map(|e| (e.user_id, e.item.course_id))
            .filter(|(_, c)| outlines.contains_key(c))
            .collect();
        progress::lock_courses(&mut tx, &pairs).await?;
    }
    let ids: HashMap<(i64, String), i64> =
        progress::insert_events(&mut tx, &rows).await?.into_iter().map(|(id, user, client)| ((user, client), id)).collect();
    let fresh: Vec<(i64, &Event)> = unique.iter().filter_map(|e| ids.get(&(e.user_id, e.client_id.clone())).map(|&id| (id, *e))).collect();
    if fold {
        let ready: Vec<i64> = folding.iter().map(|(id, _)| *id).collect();
        let claimed = progress_pending::claim(&mut tx, &ready).await?;
        let mut events: Vec<(i64, &Event)> =
            folding.iter().filter(|(id, _)| claimed.contains(id)).map(|(id, e)| (*id, e)).chain(fresh).collect();
        events.sort_by_key(|(id, _)| *id);
        let events: Vec<&Event> = events.into_iter().map(|(_, e)| e).collect();
        let pairs: BTreeSet<(i64, i64)> = events.iter().map(|e| (e.user_id, e.item.course_id)).collect();
        let completions = apply(&mut tx, &pairs, &events, &outlines).await?;
        let counted = recorder.record(&mut tx, &events, &completions).await?;
        tx.commit().await?;
        recorder.committed(counted);
    } else {
        let mut new_ids: Vec<i64> = fresh.iter().map(|(id, _)| *id).collect();
        new_ids.sort_unstable();
        progress_pending::insert(&mut tx, &new_ids).await?;
        tx.commit().await?;
    }
    let mut claimed = HashSet::new();
    let stored = jobs
        .iter()
        .map(|job| {
            job.events
                .iter()
                .map(|e| ids.contains_key(&(e.user_id, e.client_id.clone())) && claimed.insert((e.user_id, e.client_id.as_str())))
                .collect()
        })
        .collect();
    Ok(Committed { stored, ids, folded: fold })
}

/// The events a previous run left pending, in log order. Those whose course is gone are
/// taken off the list (their rows are gone too).
async fn recover(db: &Db, lookups: &Lookups) -> Result<Vec<(i64, Event)>, TrackError> {
    let mut conn = db.pool.acquire().await.map_err(crate::db::DbError::from)?;
    let rows = progress_pending::events(&mut conn).await?;
    let mut found = Vec::with_capacity(rows.len());
    let mut gone = Vec::new();
    for row in rows {
        let id = row.id;
        match super::rebuild::event_of_row(db, lookups, row).await? {
            Some(ev) => found.push((id, ev)),
            None => gone.push(id),
        }
    }
    if !gone.is_empty() {
        progress_pending::claim(&mut conn, &gone).await?;
    }
    Ok(found)
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
