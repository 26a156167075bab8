//! Who sees which statistics: a region's bureau sees its schools only (pages, JSON, CSV),
//! groups under the minimum are shown as "<5" to everyone but the school's own teachers, and
//! bureau users never see a learner's name.

use serde_json::Value;

use crate::helpers::{spawn_app, TestApp};
use crate::progress::{learner, now_ms, open, post_events, read};

async fn get_as(app: &TestApp, token: &str, path: &str) -> (u16, String) {
    let res = app.client.get(app.url(path)).bearer_auth(token).send().await.unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

fn table<'a>(dashboard: &'a Value, id: &str) -> &'a Vec<Value> {
    dashboard["tables"].as_array().unwrap().iter().find(|t| t["id"] == id).unwrap_or_else(|| panic!("no table {id}"))["rows"].as_array().unwrap()
}

#[tokio::test]
async fn a_bureau_sees_only_its_region_and_small_groups_are_masked() {
    let app = spawn_app().await;
    let org = app.org().await;
    let course = app.demo_course("rice-growing").await;
    let page = course["items"].as_array().unwrap().iter().find(|i| i["kind"] == "html").unwrap()["id"].as_i64().unwrap();
    let at = now_ms() - 60_000;
    // Three learners in A1 (under the minimum of 5), seven in B1.
    for (n, school, region) in (0..3).map(|n| (n, org.school_a1, org.region_a)).chain((3..10).map(|n| (n, org.school_b1, org.region_b))) {
        let l = learner(&app, &format!("秘密学生{n}"), Some(school), Some(region)).await;
        let (status, _) = post_events(&app, &l.token, serde_json::json!([open(&format!("o{n}"), page, at - 20_000), read(&format!("r{n}"), page, 15, at)])).await;
        assert_eq!(status, 200);
    }
    let token = |name: &'static str, role: &'static str, school: Option<i64>, region: Option<i64>| {
        let app = &app;
        async move { app.token_for(app.add_user(name, role, school, region).await).await }
    };
    let bureau_a = token("bureau_a", "bureau", None, Some(org.region_a)).await;
    let bureau_b = token("bureau_b", "bureau", None, Some(org.region_b)).await;
    let teacher_a1 = token("teacher_a1", "teacher", Some(org.school_a1), Some(org.region_a)).await;

    // Region A's bureau: A1 only, in JSON, on the page and in every CSV.
    let (status, body) = get_as(&app, &bureau_a, "/api/v1/stats/region").await;
    assert_eq!(status, 200, "{body}");
    let json: Value = serde_json::from_str(&body).unwrap();
    let schools = table(&json, "schools");
    assert_eq!(schools.len(), 1, "{schools:?}");
    assert_eq!(schools[0][1], "A1 中学");
    assert_eq!(schools[0][2], "<5", "three learners are a small group");
    assert!(schools[0][7].is_null() && schools[0][6].is_null(), "no average of a small group: {:?}", schools[0]);
    let today = table(&json, "daily").last().unwrap().clone();
    assert_eq!(today[1], "<5");
    assert_eq!(today[2], 3, "sessions are not a count of people");
    let (_, page_html) = get_as(&app, &bureau_a, "/stats").await;
    let csv_schools = get_as(&app, &bureau_a, "/stats/export/schools").await.1;
    let csv_rollup = get_as(&app, &bureau_a, "/stats/export/rollup").await.1;
    for (what, text) in [("JSON", &body), ("page", &page_html), ("schools CSV", &csv_schools), ("rollup CSV", &csv_rollup)] {
        assert!(text.contains("A1 中学"), "{what} shows A1: {text}");
        assert!(!text.contains("B1 小学") && !text.contains("B 县"), "{what} of region A shows region B: {text}");
        assert!(!text.contains("秘密学生"), "{what} names a learner");
    }
    assert!(csv_schools.starts_with('\u{feff}') && csv_rollup.starts_with('\u{feff}'), "CSV starts with a BOM");
    assert!(csv_rollup.contains(",<5,"), "{csv_rollup}");
    assert!(page_html.contains("<svg"), "charts on the page");
    // Region B's school and region are not found for A, in every form.
    for path in [
        format!("/api/v1/stats/schools/{}", org.school_b1),
        format!("/stats/schools/{}", org.school_b1),
        format!("/stats/schools/{}/export/daily", org.school_b1),
        format!("/stats?region={}", org.region_b),
        format!("/api/v1/stats/region?region={}", org.region_b),
    ] {
        assert_eq!(get_as(&app, &bureau_a, &path).await.0, 404, "{path}");
    }

    // Region B's bureau: seven learners are shown exactly.
    let json: Value = serde_json::from_str(&get_as(&app, &bureau_b, "/api/v1/stats/region").await.1).unwrap();
    let schools = table(&json, "schools");
    assert_eq!((schools.len(), schools[0][2].clone()), (1, Value::from(7)));

    // A1's own teacher sees three, exactly.
    let (status, body) = get_as(&app, &teacher_a1, &format!("/api/v1/stats/schools/{}", org.school_a1)).await;
    assert_eq!(status, 200, "{body}");
    let json: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(table(&json, "daily").last().unwrap()[1], 3);

    // Bad input is named.
    let (status, body) = get_as(&app, &bureau_a, "/api/v1/stats/region?from=2026-02-30").await;
    assert_eq!(status, 400);
    assert!(body.contains("from"), "{body}");
    let (status, body) = get_as(&app, &bureau_a, "/api/v1/stats/region?from=2026-05-01&to=2026-04-01").await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(get_as(&app, &bureau_a, "/stats/export/nonsense").await.0, 404);
}
