//! Usage measures: the finest cells (day x school x class x course) and their additive
//! measures, the presence keys that count a learner once per period, and the coarse totals
//! (per school, and per region x course, by day, week and month) that a batch adds, derived
//! from its finest cells and the learners it counted for the first time: pure, so the live
//! writer and a rebuild derive them alike.

use std::collections::{BTreeMap, HashMap};

use crate::domain::calendar::{month_start, week_start};

/// One row of `stats_daily`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cell {
    pub day: i64,
    pub school_id: i64,
    pub class_id: i64,
    pub course_id: i64,
}

/// The additive measures of a cell (see the 0006 migration).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Measures {
    pub events: i64,
    pub sessions: i64,
    pub study_ms: i64,
    pub video_ms: i64,
    pub started: i64,
    pub items_completed: i64,
    pub courses_completed: i64,
    pub score_centi_sum: i64,
    pub score_count: i64,
}

/// "This learner was counted in this period (for this course, 0: any)".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PresenceKey {
    /// b'd', b'w', b'm' or b'a' (ever).
    pub period: u8,
    pub start: i64,
    pub user_id: i64,
    pub course_id: i64,
}

/// What a batch adds, ready to store.
#[derive(Default)]
pub struct Additions {
    pub cells: BTreeMap<Cell, Measures>,
    /// Candidate presence keys, in event order, with the cell a new one counts in.
    pub presence: Vec<(PresenceKey, Cell)>,
    /// The regions that count each school of the cells.
    pub reach: Reach,
}

/// Measures of a period, with its distinct learners and learner-days.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub measures: Measures,
    pub learners: i64,
    pub learner_days: i64,
}

/// `(school, period, start)`.
pub type SchoolKey = (i64, u8, i64);
/// `(region, period, start, course)`; region 0 is everyone, course 0 all courses.
pub type RegionKey = (i64, u8, i64, i64);

#[derive(Debug, Default)]
pub struct Coarse {
    pub schools: BTreeMap<SchoolKey, Totals>,
    pub regions: BTreeMap<RegionKey, Totals>,
}

/// The regions that count a school: its own, every one above it, and 0 (everyone).
pub type Reach = HashMap<i64, Vec<i64>>;

impl Coarse {
    /// `cells`: the batch's finest additions; `fresh`: presence keys stored for the first
    /// time, with the cell of the event that counted them.
    pub fn of(cells: &BTreeMap<Cell, Measures>, fresh: &[(PresenceKey, Cell)], reach: &Reach) -> Coarse {
        let mut out = Coarse::default();
        let everyone = [0];
        let regions = |school: i64| reach.get(&school).map_or(&everyone[..], Vec::as_slice);
        for (cell, m) in cells {
            for (period, start) in periods(cell.day) {
                add(&mut out.schools.entry((cell.school_id, period, start)).or_default().measures, m);
                for &region in regions(cell.school_id) {
                    add(&mut out.regions.entry((region, period, start, 0)).or_default().measures, m);
                    add(&mut out.regions.entry((region, period, start, cell.course_id)).or_default().measures, m);
                }
            }
        }
        for (key, cell) in fresh {
            // A learner new in a day adds a learner-day to the day and the periods around it;
            // new in a week or month, a learner to that period. 'a' keys are `started`,
            // already in the cells.
            let course = key.course_id;
            let mut counts: Vec<(u8, i64, bool)> = Vec::with_capacity(3);
            match key.period {
                b'd' => {
                    counts.push((b'd', key.start, true));
                    counts.extend(periods(key.start).into_iter().filter(|(p, _)| *p != b'd').map(|(p, s)| (p, s, false)));
                }
                b'w' | b'm' => counts.push((key.period, key.start, true)),
                _ => continue,
            }
            for (period, start, distinct) in counts {
                let days = i64::from(key.period == b'd');
                let bump = |t: &mut Totals| {
                    t.learners += i64::from(distinct);
                    t.learner_days += days;
                };
                if course == 0 {
                    bump(out.schools.entry((cell.school_id, period, start)).or_default());
                }
                for &region in regions(cell.school_id) {
                    bump(out.regions.entry((region, period, start, course)).or_default());
                }
            }
        }
        out
    }
}

fn periods(day: i64) -> [(u8, i64); 3] {
    [(b'd', day), (b'w', week_start(day)), (b'm', month_start(day))]
}

/// Adds `m` to `total`, measure by measure.
pub fn add(total: &mut Measures, m: &Measures) {
    total.events += m.events;
    total.sessions += m.sessions;
    total.study_ms += m.study_ms;
    total.video_ms += m.video_ms;
    total.started += m.started;
    total.items_completed += m.items_completed;
    total.courses_completed += m.courses_completed;
    total.score_centi_sum += m.score_centi_sum;
    total.score_count += m.score_count;
}
