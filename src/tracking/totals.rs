//! Turning freshly stored events into additions to the statistics tables, inside the
//! writer's transaction: only events the log did not have yet reach here, so a replayed
//! batch adds nothing, and a late event lands on the day it happened.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sqlx::AnyConnection;

use crate::domain::calendar::{month_start, week_start, Zone};
use crate::db::stats_write;
use crate::domain::usage::{Additions, Cell, PresenceKey, Reach};
use crate::db::stats_totals;
use crate::db::DbResult;
use super::apply::Completion;
use super::event::{Event, EventKind};

/// How long a learner's school and class are reused; a learner moved to another class is
/// counted there from then on.
const PLACEMENT_TTL: Duration = Duration::from_secs(300);
/// Presence keys remembered before the memory starts over: about a day of a city's learners.
const MAX_KNOWN: usize = 2_000_000;

/// Keeps the per-batch work small: learners' schools, and which learners were already
/// counted in a period, are remembered between batches.
pub struct Recorder {
    pub zone: Zone,
    placements: Memo<(i64, i64)>,
    /// Each school's regions (see [`Reach`]).
    reach: Memo<Vec<i64>>,
    /// Keys known to be stored. Only ever added after a commit, and a rebuild stores every
    /// key again from the log, so a remembered key is never missing from the table.
    known: Mutex<HashSet<PresenceKey>>,
}

impl Recorder {
    pub fn new(zone: Zone) -> Recorder {
        Recorder { zone, placements: Memo::default(), reach: Memo::default(), known: Mutex::default() }
    }

    /// Adds `events` (fresh, in log order) and the `completions` they caused to the totals.
    /// Returns the presence keys to remember once the transaction has committed.
    pub async fn record(&self, conn: &mut AnyConnection, events: &[&Event], completions: &[Completion]) -> DbResult<Vec<PresenceKey>> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let places = self.placements(conn, events).await?;
        let mut adds = additions(self.zone, &places, events, completions);
        adds.reach = self.reach(conn, places.values().map(|(school, _)| *school)).await?;
        {
            let known = self.known.lock().expect("presence memory");
            adds.presence.retain(|(key, _)| !known.contains(key));
        }
        let keys = adds.presence.iter().map(|(k, _)| *k).collect();
        stats_write::store(conn, &adds).await?;
        Ok(keys)
    }

    /// Remembers keys stored by a committed transaction.
    pub fn committed(&self, keys: Vec<PresenceKey>) {
        let mut known = self.known.lock().expect("presence memory");
        if known.len() + keys.len() > MAX_KNOWN {
            known.clear();
        }
        known.extend(keys);
    }

    /// Each school's regions.
    async fn reach(&self, conn: &mut AnyConnection, schools: impl Iterator<Item = i64>) -> DbResult<Reach> {
        let (mut out, ask) = self.reach.recall(schools);
        if !ask.is_empty() {
            let found = stats_totals::reach(conn, &ask).await?;
            self.reach.remember(ask.iter().map(|school| (*school, found.get(school).cloned().unwrap_or_else(|| vec![0]))), &mut out);
        }
        Ok(out)
    }

    /// Each learner's school and first class.
    async fn placements(&self, conn: &mut AnyConnection, events: &[&Event]) -> DbResult<HashMap<i64, (i64, i64)>> {
        let (mut out, ask) = self.placements.recall(events.iter().map(|ev| ev.user_id));
        if !ask.is_empty() {
            let found = stats_write::placements(conn, &ask).await?;
            self.placements.remember(ask.iter().map(|user| (*user, found.get(user).copied().unwrap_or((0, 0)))), &mut out);
        }
        Ok(out)
    }
}

/// Facts looked up by id and reused for [`PLACEMENT_TTL`].
struct Memo<V>(Mutex<HashMap<i64, (V, Instant)>>);

impl<V: Clone> Default for Memo<V> {
    fn default() -> Self {
        Memo(Mutex::default())
    }
}

impl<V: Clone> Memo<V> {
    /// The fresh facts of `ids`, and the ids to look up (sorted, once each).
    fn recall(&self, ids: impl Iterator<Item = i64>) -> (HashMap<i64, V>, Vec<i64>) {
        let (mut out, mut ask) = (HashMap::new(), Vec::new());
        let memo = self.0.lock().expect("memo");
        for id in ids {
            match memo.get(&id) {
                Some((v, at)) if at.elapsed() < PLACEMENT_TTL => {
                    out.insert(id, v.clone());
                }
                _ => ask.push(id),
            }
        }
        ask.sort_unstable();
        ask.dedup();
        (out, ask)
    }

    fn remember(&self, found: impl Iterator<Item = (i64, V)>, out: &mut HashMap<i64, V>) {
        let mut memo = self.0.lock().expect("memo");
        if memo.len() > MAX_KNOWN / 10 {
            memo.clear();
        }
        for (id, v) in found {
            memo.insert(id, (v.clone(), Instant::now()));
            out.insert(id, v);
        }
    }
}

/// The additions of a batch; pure, so the live path and a rebuild compute them alike.
pub fn additions(zone: Zone, places: &HashMap<i64, (i64, i64)>, events: &[&Event], completions: &[Completion]) -> Additions {
    let mut adds = Additions::default();
    let mut seen = HashSet::new();
    let place = |user: i64| places.get(&user).copied().unwrap_or((0, 0));
    for ev in events {
        let (school, class) = place(ev.user_id);
        let course = ev.item.course_id;
        let day = zone.day(ev.at);
        let cell = Cell { day, school_id: school, class_id: class, course_id: course };
        let m = adds.cells.entry(cell).or_default();
        m.events += 1;
        m.sessions += i64::from(ev.kind == EventKind::Open);
        m.study_ms += ev.payload.active.iter().map(|[from, to]| to - from).sum::<i64>();
        m.video_ms += ev.payload.played.iter().map(|[from, to]| ((to - from) * 1000.0).round() as i64).sum::<i64>();
        let score = match ev.kind {
            EventKind::Result => ev.payload.score,
            EventKind::Quiz => ev.payload.quiz.as_ref().and_then(|q| q.scored()),
            _ => None,
        };
        if let Some(score) = score {
            m.score_centi_sum += (score * 100.0).round() as i64;
            m.score_count += 1;
        }
        let (week, month) = (week_start(day), month_start(day));
        let keys = [
            (b'd', day, course),
            (b'd', day, 0),
            (b'w', week, course),
            (b'w', week, 0),
            (b'm', month, course),
            (b'm', month, 0),
            (b'a', 0, course),
        ];
        for (period, start, course_id) in keys {
            let key = PresenceKey { period, start, user_id: ev.user_id, course_id };
            if seen.insert(key) {
                adds.presence.push((key, cell));
            }
        }
    }
    for c in completions {
        let (school, class) = place(c.user_id);
        let cell = Cell { day: zone.day(c.at), school_id: school, class_id: class, course_id: c.course_id };
        let m = adds.cells.entry(cell).or_default();
        if c.course {
            m.courses_completed += 1;
        } else {
            m.items_completed += 1;
        }
    }
    adds
}
