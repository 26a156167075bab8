//! The bureau dashboard in headless Chromium after `courseware demo-data`: charts are drawn
//! (SVG, no JavaScript needed) and the figures on the page are those of the JSON API.

use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use crate::helpers::{spawn_app_with, Options};
use crate::webdriver::Browser;

#[tokio::test]
async fn the_bureau_dashboard_shows_demo_data_as_charts_and_tables_matching_the_api() {
    let app = spawn_app_with(Options { import_demo: false }).await;
    let Some(browser) = Browser::start("the_bureau_dashboard_shows_demo_data").await else { return };
    let out = Command::new(env!("CARGO_BIN_EXE_courseware"))
        .args(["--data-dir", app.data_dir.path().to_str().unwrap(), "--database-url", &app.settings.database_url])
        .args(["demo-data", "--schools", "4", "--learners", "120", "--courses", "6", "--days", "21", "--json"])
        .env("COURSEWARE_IMPORT_DEMO", "false")
        .output()
        .unwrap();
    assert!(out.status.success(), "demo-data: {}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(report["events"].as_u64().unwrap() > 1000, "{report}");
    assert_eq!(report["events"], report["stored"]);

    browser.goto(&app.url("/login")).await;
    browser.send_keys("input[name=username]", "demo-bureau").await;
    browser.send_keys("input[name=password]", "demo-password").await;
    browser.eval("document.querySelector('form[action=\"/login\"]').submit();").await;
    assert!(browser.wait_for("location.pathname === '/' && document.readyState === 'complete'", Duration::from_secs(10)).await, "signed in");
    browser.goto(&app.url("/stats")).await;
    assert!(browser.wait_for("document.readyState === 'complete'", Duration::from_secs(10)).await);
    for chart in ["learners_chart", "study_chart", "courses_chart", "groups_chart", "regions_chart"] {
        let drawn = browser.eval(&format!("const s = document.querySelector('#{chart} svg'); return !!s && s.querySelectorAll('rect, path, polyline').length > 2;")).await;
        assert_eq!(drawn, true, "{chart} is drawn");
    }
    assert_eq!(browser.eval("return document.documentElement.lang;").await, "zh-CN");

    let bureau = courseware::db::users::find_by_username(&app.db, "demo-bureau").await.unwrap().unwrap().id;
    let token = app.token_for(bureau).await;
    let api: Value = app.client.get(app.url("/api/v1/stats/region")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    // Headline figures.
    for pair in api["totals"].as_array().unwrap() {
        let (col, value) = (pair[0].as_str().unwrap(), &pair[1]);
        let shown = browser.eval(&format!("return document.querySelector('#stats-totals dd[data-col={col}]').textContent.trim();")).await;
        let expected = if value.is_null() { "—".to_string() } else { value.as_str().map_or_else(|| value.to_string(), str::to_string) };
        assert_eq!(shown, Value::from(expected), "total {col}");
    }
    // Every cell of the schools and daily tables.
    for id in ["schools", "daily", "courses"] {
        let table = api["tables"].as_array().unwrap().iter().find(|t| t["id"] == id).unwrap();
        let rows = table["rows"].as_array().unwrap();
        assert!(!rows.is_empty(), "{id} has rows");
        let cells = browser.eval(&format!("return [...document.querySelectorAll('#table-{id} tbody tr')].map(r => [...r.querySelectorAll('td')].map(td => td.textContent.trim()));")).await;
        let cells = cells.as_array().unwrap();
        assert_eq!(cells.len(), rows.len(), "{id} row count");
        for (row, shown) in rows.iter().zip(cells) {
            let expected: Vec<Value> = row.as_array().unwrap().iter().map(|v| Value::from(if v.is_null() { "—".to_string() } else { v.as_str().map_or_else(|| v.to_string(), str::to_string) })).collect();
            assert_eq!(shown.as_array().unwrap(), &expected, "{id} row");
        }
    }
    let sessions: i64 = api["totals"].as_array().unwrap().iter().find(|p| p[0] == "sessions").unwrap()[1].as_i64().unwrap();
    assert!(sessions > 100, "the demo history fills the dashboard: {sessions} sessions");
}
