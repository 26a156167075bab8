//! `courseware demo-data`: a school year's worth of learner activity, made up but shaped
//! like the real thing (school days busier than weekends, lessons opened then studied in
//! 30-second heartbeats, videos watched in pieces, SCORM lessons scored), stored through the
//! same group-commit writer as live traffic. Event ids are derived from what they describe,
//! so running it again stores nothing twice.

use std::sync::Arc;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;

use crate::tracking::totals::Recorder;
use crate::domain::calendar::Zone;
use crate::db::{now_ms, stats_demo, Db};
use crate::tracking::event::{Event, EventKind, Payload, Position, Reported};
use crate::tracking::meta::{ItemMeta, Lookups};
use crate::tracking::writer::Writer;

pub const SUBJECTS: [&str; 8] = ["语文", "数学", "英语", "物理", "化学", "生物", "历史", "地理"];
pub const GRADES: [&str; 6] = ["七年级", "八年级", "九年级", "高一", "高二", "高三"];
const HEARTBEAT_MS: i64 = 30_000;
const VIDEO_S: f64 = 600.0;
/// Batches handed to the writer at once: enough to fill its transactions.
const IN_FLIGHT: usize = 32;

#[derive(Debug, Clone)]
pub struct DemoPlan {
    pub schools: usize,
    pub learners: usize,
    pub courses: usize,
    pub days: i64,
    /// Chance that a learner studies on a school day (a fifth of it on weekends).
    pub activity: f64,
    pub seed: u64,
    /// The password of the demo staff accounts (`demo-bureau`, `demo-teacher-N`).
    pub staff_password: String,
}

#[derive(Debug, Default, Serialize)]
pub struct DemoReport {
    pub schools: usize,
    pub learners: usize,
    pub courses: usize,
    pub days: i64,
    pub events: u64,
    pub stored: u64,
    pub seconds: f64,
}

struct Course {
    items: Vec<Arc<ItemMeta>>,
}

/// Creates the organisation and courses, then streams the history through the writer.
pub async fn generate(db: &Db, zone: Zone, plan: &DemoPlan) -> anyhow::Result<DemoReport> {
    let started = std::time::Instant::now();
    let lookups = Arc::new(Lookups::default());
    let (learners, courses) = setup(db, &lookups, plan).await?;
    let writer = Writer::start(db.clone(), lookups, Arc::new(Recorder::new(zone)));
    let mut report = DemoReport { schools: plan.schools, learners: learners.len(), courses: courses.len(), days: plan.days, ..Default::default() };
    let today = zone.day(now_ms());
    let mut pending = std::collections::VecDeque::new();
    for day in today - plan.days + 1..=today {
        let weekday = (day + 3).rem_euclid(7);
        let chance = if weekday < 5 { plan.activity } else { plan.activity / 5.0 };
        let mut rng = StdRng::seed_from_u64(plan.seed ^ (day as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let mut events = Vec::new();
        for (n, &user) in learners.iter().enumerate() {
            if rng.gen::<f64>() >= chance {
                continue;
            }
            // Each learner follows three courses of their own.
            let course = &courses[(n * 7 + rng.gen_range(0..3) * 13) % courses.len()];
            session(&mut rng, zone, day, user, course, &mut events);
        }
        // Events arrive in the order they happened, as live ones do.
        events.sort_by_key(|e| e.at);
        report.events += events.len() as u64;
        for chunk in events.chunks(200) {
            let w = writer.clone();
            let chunk = chunk.to_vec();
            pending.push_back(tokio::spawn(async move { w.write(chunk).await }));
            // Keep the writer's queue full: wait for the oldest batch only, not for all.
            if pending.len() >= IN_FLIGHT {
                let oldest = pending.pop_front().expect("a batch in flight");
                report.stored += oldest.await??.into_iter().filter(|s| *s).count() as u64;
            }
        }
    }
    report.stored += drain(&mut pending).await?;
    // The last heartbeats may still be pending: fold them before the totals are read.
    writer.settle().await?;
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

async fn drain(pending: &mut std::collections::VecDeque<tokio::task::JoinHandle<Result<Vec<bool>, crate::tracking::TrackError>>>) -> anyhow::Result<u64> {
    let mut stored = 0;
    for task in pending.drain(..) {
        stored += task.await??.into_iter().filter(|s| *s).count() as u64;
    }
    Ok(stored)
}

/// One study session: open a lesson, then heartbeats, and for SCORM lessons a result.
fn session(rng: &mut StdRng, zone: Zone, day: i64, user: i64, course: &Course, out: &mut Vec<Event>) {
    let item = &course.items[rng.gen_range(0..course.items.len())];
    // Between 08:00 and 21:00 local time.
    let mut at = zone.day_start_ms(day) + rng.gen_range(8 * 3600..21 * 3600) * 1000;
    let tag = format!("demo-{day}-{}", item.item_id);
    let mut push = |kind: EventKind, n: usize, at: i64, payload: Payload| {
        out.push(Event { client_id: format!("{tag}-{n}"), user_id: user, item: item.clone(), kind, client_ts: at, at, received_at: at, payload });
    };
    push(EventKind::Open, 0, at, Payload::default());
    let beats = rng.gen_range(2..12);
    let mut position = rng.gen_range(0..20) as f64 * HEARTBEAT_MS as f64 / 1000.0;
    for n in 1..=beats {
        let from = at;
        at += HEARTBEAT_MS;
        let mut payload = Payload { active: vec![[from, at]], ..Payload::default() };
        if item.is_media() {
            let to = (position + 30.0).min(VIDEO_S);
            payload.played = vec![[position, to]];
            payload.position = Some(Position::Seconds(to));
            payload.duration = Some(VIDEO_S);
            position = if to >= VIDEO_S { 0.0 } else { to };
        }
        push(EventKind::Progress, n, at, payload);
    }
    if item.has_runtime() {
        let score = f64::from(rng.gen_range(40..=100));
        let status = if score >= 60.0 { Reported::Passed } else { Reported::Failed };
        push(EventKind::Result, beats + 1, at, Payload { status: Some(status), score: Some(score), ..Payload::default() });
    }
}

async fn setup(db: &Db, lookups: &Lookups, plan: &DemoPlan) -> anyhow::Result<(Vec<i64>, Vec<Course>)> {
    let city = stats_demo::region(db, "demo-city", "示范市", None).await?;
    let district_count = plan.schools.div_ceil(25).max(2);
    let mut districts = Vec::new();
    for d in 0..district_count {
        districts.push(stats_demo::region(db, &format!("demo-d{d}"), &format!("示范市第{}区", d + 1), Some(city)).await?);
    }
    let hash = crate::auth::password::hash(&plan.staff_password)?;
    let staff = vec![("demo-bureau".to_string(), "示范市教育局".to_string(), "bureau", None, Some(city), None)];
    stats_demo::users(db, &hash, &staff).await?;
    let per_school = plan.learners.div_ceil(plan.schools.max(1));
    let mut learners = Vec::with_capacity(plan.learners);
    for s in 0..plan.schools {
        let region = districts[s % districts.len()];
        let school = stats_demo::school(db, &format!("demo-s{s}"), &format!("示范第{}中学", s + 1), region).await?;
        let classes = (per_school / 40).max(1);
        let mut class_ids = Vec::new();
        for c in 0..classes {
            class_ids.push(stats_demo::class(db, school, &format!("{}班", c + 1)).await?);
        }
        let teacher = vec![(format!("demo-teacher-{s}"), format!("示范第{}中学老师", s + 1), "teacher", Some(school), Some(region), None)];
        stats_demo::users(db, &hash, &teacher).await?;
        let first = s * per_school;
        let rows: Vec<_> = (first..(first + per_school).min(plan.learners))
            .map(|n| (format!("demo-u{n}"), format!("学生{n}"), "student", Some(school), Some(region), Some(class_ids[n % classes])))
            .collect();
        // Demo learners cannot sign in: "!" is no password hash.
        learners.extend(stats_demo::users(db, "!", &rows).await?);
    }
    let items = [
        ("video-1", "视频讲解", "video", Some(VIDEO_S as i64)),
        ("page-1", "课文阅读", "html", None),
        ("page-2", "拓展阅读", "html", None),
        ("sco-1", "随堂练习", "sco", None),
    ];
    let mut courses = Vec::new();
    for c in 0..plan.courses {
        let subject = SUBJECTS[c % SUBJECTS.len()];
        let grade = GRADES[(c / SUBJECTS.len()) % GRADES.len()];
        let title = format!("{grade}{subject}第{}单元", c / (SUBJECTS.len() * GRADES.len()) + 1);
        let (_, ids) = stats_demo::course(db, &format!("demo-course-{c}"), &title, subject, grade, city, &items).await?;
        let mut metas = Vec::new();
        for id in ids {
            metas.extend(lookups.item(db, id).await?);
        }
        courses.push(Course { items: metas });
    }
    Ok((learners, courses))
}
