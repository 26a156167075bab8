//! Usage statistics: totals kept by the writer equal direct counts over the event log,
//! replayed and late events count once and on their day, a rebuild gives identical numbers,
//! one region's bureau sees nothing of another's, and small groups are masked.

use std::collections::{BTreeMap, BTreeSet};

use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp};
use crate::progress::{learner, now_ms, open, post_events, read, watch, Learner};

const DAY_MS: i64 = 86_400_000;
const SHANGHAI_MS: i64 = 8 * 3_600_000;

fn day_of(at: i64) -> i64 {
    (at + SHANGHAI_MS).div_euclid(DAY_MS)
}

/// Every statistics table, in key order: what "identical numbers" compares.
pub async fn snapshot(app: &TestApp) -> Vec<String> {
    let mut out = Vec::new();
    for (table, cols) in [
        ("stats_daily", "day, school_id, class_id, course_id, events, sessions, study_ms, video_ms, started, items_completed, courses_completed, score_centi_sum, score_count"),
        ("stats_active", "period, start, school_id, class_id, course_id, learners"),
        ("stats_presence", "period, start, user_id, course_id"),
        ("stats_school_totals", "school_id, period, start, events, sessions, study_ms, video_ms, started, items_completed, courses_completed, score_centi_sum, score_count, learners, learner_days"),
        ("stats_region_totals", "region_id, period, start, course_id, events, sessions, study_ms, video_ms, started, items_completed, courses_completed, score_centi_sum, score_count, learners, learner_days"),
    ] {
        let rows: Vec<sqlx::any::AnyRow> = sqlx::query(&format!("SELECT {cols} FROM {table} ORDER BY {cols}")).fetch_all(&app.db.pool).await.unwrap();
        for row in rows {
            use sqlx::Row;
            let cells: Vec<String> = (0..row.len())
                .map(|i| row.try_get::<i64, _>(i).map(|v| v.to_string()).unwrap_or_else(|_| row.get::<String, _>(i)))
                .collect();
            out.push(format!("{table}: {}", cells.join(",")));
        }
    }
    out
}

async fn sum(app: &TestApp, sql: &str) -> i64 {
    // Postgres sums BIGINTs into NUMERIC, which the Any driver does not decode.
    let sql = if app.db.backend == courseware::db::Backend::Postgres && sql.starts_with("SELECT SUM(") {
        sql.replacen("SELECT SUM(", "SELECT CAST(SUM(", 1).replacen(") FROM", ") AS BIGINT) FROM", 1)
    } else {
        sql.to_string()
    };
    sqlx::query_scalar::<_, Option<i64>>(&sql).fetch_one(&app.db.pool).await.unwrap().unwrap_or(0)
}

/// Learners with random study over the last 60 days, in a school with classes.
struct World {
    learners: Vec<(Learner, i64)>,
    batches: Vec<(usize, Value)>,
}

async fn random_world(app: &TestApp, seed: u64) -> World {
    let org = app.org().await;
    let class_1 = courseware::db::org::ensure_class(&app.db, org.school_a1, "1").await.unwrap();
    let course = app.demo_course("rice-growing").await;
    let items: Vec<(i64, String)> = course["items"].as_array().unwrap().iter().filter(|i| i["kind"] != "folder").map(|i| (i["id"].as_i64().unwrap(), i["kind"].as_str().unwrap().to_string())).collect();
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut learners = Vec::new();
    for n in 0..8 {
        let school = if n % 3 == 2 { org.school_b1 } else { org.school_a1 };
        let region = if school == org.school_a1 { org.region_a } else { org.region_b };
        let l = learner(app, &format!("r{n}"), Some(school), Some(region)).await;
        if n % 2 == 0 && school == org.school_a1 {
            courseware::db::org::add_member(&app.db, class_1, l.id).await.unwrap();
        }
        learners.push((l, school));
    }
    let now = now_ms();
    let mut batches = Vec::new();
    for (who, _) in learners.iter().enumerate() {
        for b in 0..6 {
            let mut events = Vec::new();
            for e in 0..rng.gen_range(1..8) {
                let (item, kind) = &items[rng.gen_range(0..items.len())];
                let at = now - rng.gen_range(0..60) * DAY_MS - rng.gen_range(0..DAY_MS / 1000) * 1000;
                let id = format!("w{who}-{b}-{e}");
                events.push(match (rng.gen_range(0..3), kind.as_str()) {
                    (0, _) => open(&id, *item, at),
                    (_, "video") => {
                        let from = rng.gen_range(0..20) as f64;
                        watch(&id, *item, [from, from + rng.gen_range(1..9) as f64], at)
                    }
                    _ => read(&id, *item, rng.gen_range(1..40), at),
                });
            }
            batches.push((who, Value::Array(events)));
        }
    }
    World { learners, batches }
}

async fn post_all(app: &TestApp, world: &World) {
    for (who, events) in &world.batches {
        let (status, body) = post_events(app, &world.learners[*who].0.token, events.clone()).await;
        assert_eq!(status, 200, "{body}");
        assert!(body["rejected"].as_array().unwrap().is_empty(), "{body}");
    }
}

#[tokio::test]
async fn totals_equal_direct_counts_over_the_event_log_and_replays_count_once() {
    let app = spawn_app().await;
    let world = random_world(&app, 7).await;
    post_all(&app, &world).await;
    check_against_log(&app).await;
    let before = snapshot(&app).await;
    assert!(before.len() > 20, "{before:?}");

    // A replay of everything (lost acknowledgements) changes nothing.
    post_all(&app, &world).await;
    assert_eq!(snapshot(&app).await, before, "replayed events counted again");

    // A late event (queued offline five days ago) lands on its own day, once.
    let (late_learner, school) = &world.learners[0];
    let at = now_ms() - 5 * DAY_MS;
    let item = app.demo_course("rice-growing").await["items"].as_array().unwrap().iter().find(|i| i["kind"] == "html").unwrap()["id"].as_i64().unwrap();
    let day_sql = format!("SELECT SUM(sessions) FROM stats_daily WHERE day = {} AND school_id = {school}", day_of(at));
    let sessions_before = sum(&app, &day_sql).await;
    for _ in 0..2 {
        let (status, _) = post_events(&app, &late_learner.token, json!([open("late-1", item, at)])).await;
        assert_eq!(status, 200);
    }
    assert_eq!(sum(&app, &day_sql).await, sessions_before + 1, "the late open counts once, on its day");
    check_against_log(&app).await;

    // Recomputing from the log gives identical numbers.
    let live = snapshot(&app).await;
    let zone = courseware::domain::calendar::Zone::parse("Asia/Shanghai").unwrap();
    courseware::tracking::rebuild::rebuild(&app.db, &courseware::tracking::meta::Lookups::default(), zone).await.unwrap();
    assert_eq!(snapshot(&app).await, live, "stats rebuild changed the totals");
}

/// The totals against counts computed here, straight from `progress_events` and the rows.
async fn check_against_log(app: &TestApp) {
    let rows: Vec<(i64, i64, String, String, i64)> =
        sqlx::query_as("SELECT user_id, course_id, kind, payload, at FROM progress_events").fetch_all(&app.db.pool).await.unwrap();
    let schools: BTreeMap<i64, i64> = sqlx::query_as::<_, (i64, Option<i64>)>("SELECT id, school_id FROM users").fetch_all(&app.db.pool).await.unwrap().into_iter().map(|(id, s)| (id, s.unwrap_or(0))).collect();
    let (mut study, mut video, mut opens) = (0i64, 0i64, 0i64);
    let mut daily: BTreeSet<(i64, i64, i64)> = BTreeSet::new();
    let mut weekly: BTreeSet<(i64, i64, i64)> = BTreeSet::new();
    for (user, _, kind, payload, at) in &rows {
        let p: Value = serde_json::from_str(payload).unwrap();
        study += p["active"].as_array().map_or(0, |a| a.iter().map(|s| s[1].as_i64().unwrap() - s[0].as_i64().unwrap()).sum());
        video += p["played"].as_array().map_or(0, |a| a.iter().map(|s| ((s[1].as_f64().unwrap() - s[0].as_f64().unwrap()) * 1000.0).round() as i64).sum());
        opens += i64::from(kind == "open");
        let day = day_of(*at);
        daily.insert((day, schools[user], *user));
        weekly.insert((day - (day + 3).rem_euclid(7), schools[user], *user));
    }
    assert_eq!(sum(app, "SELECT SUM(events) FROM stats_daily").await, rows.len() as i64, "events");
    assert_eq!(sum(app, "SELECT SUM(sessions) FROM stats_daily").await, opens, "sessions");
    assert_eq!(sum(app, "SELECT SUM(study_ms) FROM stats_daily").await, study, "study time");
    assert_eq!(sum(app, "SELECT SUM(video_ms) FROM stats_daily").await, video, "video time");
    assert_eq!(sum(app, "SELECT SUM(learners) FROM stats_active WHERE period = 'd' AND course_id = 0").await, daily.len() as i64, "learner-days");
    assert_eq!(sum(app, "SELECT SUM(learners) FROM stats_active WHERE period = 'w' AND course_id = 0").await, weekly.len() as i64, "learner-weeks");
    let per_day_school: BTreeMap<(i64, i64), i64> = daily.iter().fold(BTreeMap::new(), |mut m, (d, s, _)| {
        *m.entry((*d, *s)).or_default() += 1;
        m
    });
    for ((day, school), n) in per_day_school {
        let sql = format!("SELECT SUM(learners) FROM stats_active WHERE period = 'd' AND course_id = 0 AND start = {day} AND school_id = {school}");
        assert_eq!(sum(app, &sql).await, n, "distinct learners of school {school} on day {day}");
    }
    let pairs: BTreeSet<(i64, i64)> = rows.iter().map(|r| (r.0, r.1)).collect();
    assert_eq!(sum(app, "SELECT SUM(started) FROM stats_daily").await, pairs.len() as i64, "courses started");
    let done_items = sum(app, "SELECT COUNT(*) FROM item_progress WHERE status IN ('completed', 'passed')").await;
    assert_eq!(sum(app, "SELECT SUM(items_completed) FROM stats_daily").await, done_items, "items completed");
    let done_courses = sum(app, "SELECT COUNT(*) FROM course_progress WHERE status IN ('completed', 'passed')").await;
    assert_eq!(sum(app, "SELECT SUM(courses_completed) FROM stats_daily").await, done_courses, "courses completed");
}

#[tokio::test]
async fn media_bytes_served_are_counted_per_course_without_a_database_round_trip() {
    let app = spawn_app().await;
    let org = app.org().await;
    let course = app.demo_course("rice-growing").await;
    let course_id = course["id"].as_i64().unwrap();
    let url = course["items"].as_array().unwrap().iter().find(|i| i["kind"] == "video").unwrap()["url"].as_str().unwrap().to_string();
    let whole = app.get(&url).await.bytes().await.unwrap().len() as i64;
    let part = app.client.get(app.url(&url)).header("range", "bytes=0-999").send().await.unwrap();
    assert_eq!(part.status(), 206);
    // Counted in memory, written out every few seconds.
    tokio::time::sleep(courseware::tracking::media_bytes::FLUSH_EVERY + std::time::Duration::from_secs(1)).await;
    let sql = format!("SELECT SUM(bytes) FROM stats_media WHERE course_id = {course_id}");
    assert_eq!(sum(&app, &sql).await, whole + 1000);
    // The course view shows them to a bureau officer of the region.
    let officer = app.add_user("officer", "bureau", None, Some(org.region_a)).await;
    let token = app.token_for(officer).await;
    let json: Value = app.client.get(app.url(&format!("/api/v1/stats/courses/{course_id}"))).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    let media = json["tables"].as_array().unwrap().iter().find(|t| t["id"] == "media").unwrap();
    assert_eq!(media["rows"][0][1], whole + 1000, "{media}");
}

/// Runs the `courseware` CLI on the app's database; returns its JSON output.
pub fn run_cli(app: &TestApp, args: &[&str]) -> Value {
    let out = app.cli(args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice::<Value>(&out.stdout).unwrap()
}

#[tokio::test]
async fn demo_data_is_idempotent_and_stats_rebuild_by_cli_gives_identical_numbers() {
    let app = crate::helpers::spawn_app_with(crate::helpers::Options { import_demo: false }).await;
    let run = |args: &[&str]| run_cli(&app, args);
    let demo = ["demo-data", "--schools", "2", "--learners", "60", "--courses", "3", "--days", "40", "--activity", "0.5", "--json"];
    let first = run(&demo);
    assert_eq!(first["stored"], first["events"]);
    let live = snapshot(&app).await;
    // Completions and scores happened, so the rebuild has something to get wrong.
    assert!(sum(&app, "SELECT SUM(courses_completed) FROM stats_daily").await > 0);
    assert!(sum(&app, "SELECT SUM(items_completed) FROM stats_daily").await > 0);
    assert!(sum(&app, "SELECT SUM(score_count) FROM stats_daily").await > 0);
    let again = run(&demo);
    assert_eq!((again["stored"].as_u64(), again["events"].clone()), (Some(0), first["events"].clone()), "a second run stores nothing");
    assert_eq!(snapshot(&app).await, live);
    let report = run(&["stats", "rebuild", "--json"]);
    assert_eq!(report["events"], first["events"]);
    assert_eq!(snapshot(&app).await, live, "stats rebuild changed the totals");
    check_against_log(&app).await;
}
