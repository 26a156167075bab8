//! The coarse totals (per school, per region x course, by day, week and month) that the
//! dashboards read: the same dashboards as the finest totals give, whatever the range, for a
//! region, for everyone and for one school; rebuilt identically; and carried over from the
//! finest ones by the 0007 migration, and from those into course weeks by 0009.

use serde_json::Value;

use crate::helpers::{spawn_app_with, Options, TestApp};
use crate::stats::{run_cli, snapshot};
use courseware::db::stats_read::Filter;
use courseware::db::{org, now_ms};
use courseware::stats::view::{self, Groups};
use courseware::domain::calendar::{month_start, next_month, Zone};

/// The dashboard as JSON (tables and totals; charts are drawn from the tables).
async fn dashboard(app: &TestApp, filter: &Filter, groups: &Groups) -> Value {
    let captions = |id: &str| id.to_string();
    serde_json::to_value(view::build(&app.db, filter, groups, 5, &captions).await.unwrap()).unwrap()
}

#[tokio::test]
async fn coarse_totals_give_the_dashboards_of_the_finest_totals_over_any_range() {
    let app = spawn_app_with(Options { import_demo: false }).await;
    // Three districts (schools spread over them), 100 days: whole months and ragged ends.
    let report = run_cli(&app, &["demo-data", "--schools", "6", "--learners", "90", "--courses", "4", "--days", "100", "--activity", "0.4", "--json"]);
    assert!(report["stored"].as_u64().unwrap() > 1000, "{report}");
    let city = org::region_by_code(&app.db, "demo-city").await.unwrap().id;
    let district = org::region_by_code(&app.db, "demo-d1").await.unwrap().id;
    let today = Zone::parse("Asia/Shanghai").unwrap().day(now_ms());
    let whole = next_month(month_start(today - 99));
    let ranges = [(today - 29, today), (today - 99, today), (whole, next_month(whole) + 9), (whole + 3, whole + 5)];
    let regions = org::regions(&app.db).await.unwrap();
    let mut compared = 0;
    for (region, root) in [(city, Some(city)), (district, Some(district)), (0, None)] {
        let mut sub_regions = Vec::new();
        for child in regions.iter().filter(|r| r.parent_id == root) {
            let ids = org::region_subtree(&app.db, child.id).await.unwrap();
            sub_regions.push((child.id, child.name.clone(), org::schools_in_regions(&app.db, &ids).await.unwrap()));
        }
        let schools = match root {
            Some(r) => Some(org::schools_in_regions(&app.db, &org::region_subtree(&app.db, r).await.unwrap()).await.unwrap()),
            None => None,
        };
        let groups = Groups::Region { sub_regions };
        for (from_day, to_day) in ranges {
            let coarse = Filter { schools: schools.clone(), class_id: None, course_id: None, from_day, to_day, region: Some(region), finest: false };
            let finest = Filter { region: None, finest: true, ..coarse.clone() };
            let shown = dashboard(&app, &coarse, &groups).await;
            assert_eq!(shown, dashboard(&app, &finest, &groups).await, "region {region}, days {from_day}..={to_day}");
            compared += shown["tables"].as_array().unwrap().iter().map(|t| t["rows"].as_array().unwrap().len()).sum::<usize>();
        }
    }
    let school = org::school_by_code(&app.db, "demo-s1").await.unwrap().id;
    for (from_day, to_day) in ranges {
        let coarse = Filter { schools: Some(vec![school]), class_id: None, course_id: None, from_day, to_day, region: None, finest: false };
        let finest = Filter { finest: true, ..coarse.clone() };
        assert_eq!(dashboard(&app, &coarse, &Groups::Classes).await, dashboard(&app, &finest, &Groups::Classes).await, "school, days {from_day}..={to_day}");
    }
    assert!(compared > 500, "too little to compare: {compared} rows");
}

/// The statements of a migration that fill its tables (after `marker`, when given).
fn fill_of(app: &TestApp, file: &str, marker: Option<&str>) -> String {
    let backend = if app.db.backend == courseware::db::Backend::Postgres { "postgres" } else { "sqlite" };
    let text = std::fs::read_to_string(format!("{}/migrations/{backend}/{file}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    marker.map_or(text.clone(), |m| text[text.find(m).unwrap()..].to_string())
}

#[tokio::test]
async fn the_0007_and_0009_migrations_carry_the_kept_totals_over_into_the_coarse_ones() {
    let app = spawn_app_with(Options { import_demo: false }).await;
    run_cli(&app, &["demo-data", "--schools", "3", "--learners", "40", "--courses", "3", "--days", "70", "--activity", "0.5", "--json"]);
    let live = snapshot(&app).await;
    let course_weeks = "FROM stats_region_totals WHERE period = 'w' AND course_id > 0";
    let kept: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) {course_weeks}")).fetch_one(&app.db.pool).await.unwrap();
    assert!(kept > 10, "no region x course x week totals kept: {kept}");
    let mut conn = app.db.pool.acquire().await.unwrap();
    // A server upgraded from 0008: the course weeks are filled from the totals it kept.
    sqlx::query(&format!("DELETE {course_weeks}")).execute(&mut *conn).await.unwrap();
    sqlx::raw_sql(&fill_of(&app, "0009_stats_course_weeks.sql", None)).execute(&mut *conn).await.unwrap();
    assert_eq!(snapshot(&app).await, live, "the 0009 migration's totals differ from the writer's");
    // A server upgraded from 0006: 0007 fills the coarse totals from the finest, then 0009.
    for table in ["stats_school_totals", "stats_region_totals"] {
        sqlx::query(&format!("DELETE FROM {table}")).execute(&mut *conn).await.unwrap();
    }
    sqlx::raw_sql(&fill_of(&app, "0007_stats_totals.sql", Some("-- Totals already kept"))).execute(&mut *conn).await.unwrap();
    sqlx::raw_sql(&fill_of(&app, "0009_stats_course_weeks.sql", None)).execute(&mut *conn).await.unwrap();
    assert_eq!(snapshot(&app).await, live, "the 0007 and 0009 migrations' totals differ from the writer's");
}

#[tokio::test]
async fn the_export_pages_through_every_row_once_and_a_stalled_reader_holds_no_connection() {
    use courseware::db::stats_read::{stream_rollup, stream_rollup_paged};
    const PAGE: usize = 50;
    let app = spawn_app_with(Options { import_demo: false }).await;
    run_cli(&app, &["demo-data", "--schools", "3", "--learners", "40", "--courses", "3", "--days", "60", "--activity", "0.5", "--json"]);
    let today = Zone::parse("Asia/Shanghai").unwrap().day(now_ms());
    let (from_day, to_day) = (today - 59, today);
    let everything = Filter { schools: None, class_id: None, course_id: None, from_day, to_day, region: None, finest: true };
    let (tx, mut rx) = tokio::sync::mpsc::channel(16);
    tokio::spawn(stream_rollup_paged(app.db.clone(), everything.clone(), tx, PAGE));
    let mut keys = Vec::new();
    while let Some(row) = rx.recv().await {
        let row = row.unwrap();
        keys.push((row.day, row.school_id, row.class_id, row.course_id));
    }
    let (stored,): (i64,) = sqlx::query_as(&format!("SELECT CAST(COUNT(*) AS BIGINT) FROM stats_daily WHERE day BETWEEN {from_day} AND {to_day}"))
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert!(keys.len() > 4 * PAGE, "several pages: {} rows", keys.len());
    assert_eq!(keys.len() as i64, stored, "every row once");
    assert!(keys.windows(2).all(|w| w[0] < w[1]), "in key order, none twice");
    // One school's export pages the same way.
    let school = keys[0].1;
    let one = Filter { schools: Some(vec![school]), ..everything.clone() };
    let (tx, mut rx) = tokio::sync::mpsc::channel(16);
    tokio::spawn(stream_rollup_paged(app.db.clone(), one, tx, PAGE));
    let mut of_school = 0;
    while let Some(row) = rx.recv().await {
        assert_eq!(row.unwrap().school_id, school);
        of_school += 1;
    }
    assert_eq!(of_school, keys.iter().filter(|k| k.1 == school).count());

    // Exports whose readers never read on: more of them than the pool has connections, and
    // the pool still serves everyone else.
    let mut stalled = Vec::new();
    for _ in 0..20 {
        let (tx, rx) = tokio::sync::mpsc::channel(1);
        tokio::spawn(stream_rollup(app.db.clone(), everything.clone(), tx));
        stalled.push(rx);
    }
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let answered = tokio::time::timeout(std::time::Duration::from_secs(5), org::regions(&app.db)).await;
    assert!(answered.expect("a connection was free").is_ok());
    drop(stalled);
}
