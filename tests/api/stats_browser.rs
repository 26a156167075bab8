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

    let bureau = courseware::db::users::find_by_username(&app.db, "demo-bureau").await.unwrap().unwrap().id;
    let token = app.token_for(bureau).await;
    // Chinese labels by default (a client that names no language).
    let page = app.client.get(app.url("/stats")).bearer_auth(&token).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("lang=\"zh-CN\"") && page.contains("每日活跃学生") && page.contains("学校对比"), "Chinese by default");
    let api: Value = app.client.get(app.url("/api/v1/stats/region")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    // Headline figures.
    for pair in api["totals"].as_array().unwrap() {
        let (col, value) = (pair[0].as_str().unwrap(), &pair[1]);
        let shown = browser.eval(&format!("return document.querySelector('#stats-totals dd[data-col={col}]').textContent.trim();")).await;
        assert!(same(&shown, value), "total {col}: page {shown}, API {value}");
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
            let (row, shown) = (row.as_array().unwrap(), shown.as_array().unwrap());
            assert_eq!(row.len(), shown.len(), "{id} columns");
            assert!(row.iter().zip(shown).all(|(v, s)| same(s, v)), "{id} row: page {shown:?}, API {row:?}");
        }
    }
    let sessions: i64 = api["totals"].as_array().unwrap().iter().find(|p| p[0] == "sessions").unwrap()[1].as_i64().unwrap();
    assert!(sessions > 100, "the demo history fills the dashboard: {sessions} sessions");
}

/// Whether a cell's text on the page shows the API's value: numbers equal as numbers
/// (the template prints 50.0 as 50), text as is, nothing as a dash.
fn same(shown: &Value, api: &Value) -> bool {
    let shown = shown.as_str().unwrap_or_default();
    match api {
        Value::Null => shown == "—",
        Value::Number(n) => shown.parse::<f64>().ok() == n.as_f64(),
        Value::String(s) => shown == s,
        other => shown == other.to_string(),
    }
}
