//! SCORM 2004 global objectives over HTTP: a status written by one course's SCO is read by
//! another course's pre-condition rule (objectivesGlobalToSystem, SCORM's default), and
//! stays inside its course when the organization scopes it there.

use serde_json::{json, Value};

use crate::helpers::{spawn_app_with, Options, TestApp};
use crate::sequencing_browser::{package, package_items, package_with};

const WRITER: &str = r#"<imsss:objectives><imsss:primaryObjective objectiveID="p"><imsss:mapInfo targetObjectiveID="TARGET" writeSatisfiedStatus="true"/></imsss:primaryObjective></imsss:objectives>
    <imsss:deliveryControls completionSetByContent="true" objectiveSetByContent="true"/>"#;

const READER: &str = r#"<imsss:sequencingRules><imsss:preConditionRule><imsss:ruleConditions conditionCombination="any">
      <imsss:ruleCondition referencedObjective="prev" operator="not" condition="satisfied"/>
      <imsss:ruleCondition referencedObjective="prev" operator="not" condition="objectiveStatusKnown"/>
    </imsss:ruleConditions><imsss:ruleAction action="disabled"/></imsss:preConditionRule></imsss:sequencingRules>
    <imsss:objectives><imsss:primaryObjective objectiveID="own"/><imsss:objective objectiveID="prev"><imsss:mapInfo targetObjectiveID="TARGET"/></imsss:objective></imsss:objectives>"#;

const FLOW_CHOICE: &str = r#"<imsss:controlMode choice="true" flow="true"/>"#;

async fn upload(app: &TestApp, token: &str, zip: &std::path::Path) -> Vec<Value> {
    let res = app.upload(token, zip).await;
    assert_eq!(res.status(), 201);
    let id = res.json::<Value>().await.unwrap()["course_id"].as_i64().unwrap();
    let course: Value = app.client.get(app.url(&format!("/api/v1/courses/{id}"))).bearer_auth(token).send().await.unwrap().json().await.unwrap();
    course["items"].as_array().unwrap().clone()
}

fn page(items: &[Value], identifier: &str) -> String {
    items.iter().find(|i| i["identifier"] == identifier).unwrap()["page_url"].as_str().unwrap().to_string()
}

/// Opens the lesson and commits a final passed result from its SCO.
async fn pass(app: &TestApp, csrf: &str, lesson: &str) {
    let html = app.get(lesson).await.text().await.unwrap();
    let commit = html.split("data-commit-url=\"").nth(1).and_then(|r| r.split('"').next()).unwrap_or_else(|| panic!("a player on {lesson}: {html}")).to_string();
    let values = json!({"final": true, "values": [["cmi.completion_status", "completed"], ["cmi.success_status", "passed"]]});
    let res = app.client.post(app.url(&commit)).header("x-csrf-token", csrf).json(&values).send().await.unwrap();
    assert_eq!(res.status(), 200);
}

async fn opens(app: &TestApp, lesson: &str) -> bool {
    let html = app.get(lesson).await.text().await.unwrap();
    assert!(html.contains("id=\"scorm-player\"") || html.contains("id=\"lesson-locked\""), "{html}");
    html.contains("id=\"scorm-player\"")
}

#[tokio::test]
async fn global_objectives_are_shared_across_courses_unless_scoped_to_one() {
    let app = spawn_app_with(Options { import_demo: false }).await;
    let org = app.org().await;
    let teacher = app.add_user("t1", "teacher", Some(org.school_a1), Some(org.region_a)).await;
    let token = app.token_for(teacher).await;
    let writer = upload(&app, &token, &package("writer", FLOW_CHOICE, &[("w", &WRITER.replace("TARGET", "g.shared"))])).await;
    let reader = upload(&app, &token, &package("reader", FLOW_CHOICE, &[("intro", ""), ("r", &READER.replace("TARGET", "g.shared"))])).await;
    let scoped = r#"adlseq:objectivesGlobalToSystem="false""#;
    let private_writer = upload(&app, &token, &package_with("pwriter", scoped, FLOW_CHOICE, &[("w", &WRITER.replace("TARGET", "g.private"))])).await;
    let private_reader = upload(&app, &token, &package("preader", FLOW_CHOICE, &[("intro", ""), ("r", &READER.replace("TARGET", "g.private"))])).await;
    app.add_user("s1", "student", Some(org.school_a1), Some(org.region_a)).await;
    let csrf = app.login("s1").await;

    // The reader's SCO is disabled until the objective it reads is satisfied: asking for it
    // first starts the course at its intro, asking again is refused.
    let res = app.get(&page(&reader, "r")).await;
    assert_eq!(res.status(), 303, "the course starts at the intro");
    assert!(!opens(&app, &page(&reader, "r")).await, "disabled");
    pass(&app, &csrf, &page(&writer, "w")).await;
    assert!(opens(&app, &page(&reader, "r")).await, "the other course's SCO satisfied the global objective");

    // Scoped to its course, the same kind of write stays there.
    assert_eq!(app.get(&page(&private_reader, "r")).await.status(), 303);
    pass(&app, &csrf, &page(&private_writer, "w")).await;
    assert!(!opens(&app, &page(&private_reader, "r")).await, "objectivesGlobalToSystem=false keeps it in the writing course");
    let user = courseware::db::users::find_by_username(&app.db, "s1").await.unwrap().unwrap();
    let globals = courseware::db::sequencing::global_objectives(&app.db, user.id).await.unwrap();
    let ids: Vec<&str> = globals.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, ["g.shared"], "only the system-wide one is stored per learner");
    let stored: Value = serde_json::from_str(&globals[0].1).unwrap();
    assert_eq!((stored["progress_known"].clone(), stored["satisfied"].clone()), (true.into(), true.into()));
}

/// The player's navigation form, as the learner's browser posts it.
async fn navigate(app: &TestApp, course_id: &str, csrf: &str, request: &str) -> reqwest::Response {
    let form = [("csrf_token", csrf), ("request", request)];
    app.client.post(app.url(&format!("/courses/{course_id}/navigate"))).form(&form).send().await.unwrap()
}

#[tokio::test]
async fn hide_lms_ui_hides_the_buttons_and_suspend_all_resumes_where_the_learner_left() {
    let app = spawn_app_with(Options { import_demo: false }).await;
    let org = app.org().await;
    let teacher = app.add_user("t1", "teacher", Some(org.school_a1), Some(org.region_a)).await;
    let token = app.token_for(teacher).await;
    let hide = r#"<adlnav:presentation><adlnav:navigationInterface><adlnav:hideLMSUI>continue</adlnav:hideLMSUI><adlnav:hideLMSUI>suspendAll</adlnav:hideLMSUI></adlnav:navigationInterface></adlnav:presentation>"#;
    let flow_only = r#"<imsss:controlMode choice="false" flow="true"/>"#;
    let items = upload(&app, &token, &package_items("hide", "", flow_only, &[("one", "", hide), ("two", "", ""), ("three", "", "")])).await;
    let course_id = items[0]["page_url"].as_str().unwrap().split('/').nth(2).unwrap().to_string();
    app.add_user("s1", "student", Some(org.school_a1), Some(org.region_a)).await;
    let csrf = app.login("s1").await;

    let one = app.get(&page(&items, "one")).await.text().await.unwrap();
    assert!(one.contains("id=\"scorm-player\""), "the course starts at one");
    assert!(!one.contains("id=\"nav-continue\"") && !one.contains("id=\"nav-suspend-all\""), "hidden by hideLMSUI");
    assert!(one.contains("id=\"nav-exit-all\"") && !one.contains("id=\"nav-previous\""), "exit all stays; nothing before one");
    // The button is hidden, yet the request is the model's to judge: continue is valid.
    let res = navigate(&app, &course_id, &csrf, "continue").await;
    assert_eq!(res.headers()["location"].to_str().unwrap(), page(&items, "two"));
    let two = app.get(&page(&items, "two")).await.text().await.unwrap();
    assert!(two.contains("id=\"nav-continue\"") && two.contains("id=\"nav-previous\"") && two.contains("id=\"nav-suspend-all\""), "{two}");
    let res = navigate(&app, &course_id, &csrf, "suspendAll").await;
    assert_eq!(res.headers()["location"].to_str().unwrap(), format!("/courses/{course_id}"), "suspend all ends the session");
    // Coming back to the course resumes at two (Resume All), in the same attempt.
    let res = app.get(&page(&items, "one")).await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"].to_str().unwrap(), page(&items, "two"));
    let user = courseware::db::users::find_by_username(&app.db, "s1").await.unwrap().unwrap();
    let version = courseware::db::courses::get(&app.db, course_id.parse().unwrap()).await.unwrap().latest_version_id.unwrap();
    let state: Value = serde_json::from_str(&courseware::db::sequencing::state(&app.db, user.id, version).await.unwrap().unwrap()).unwrap();
    assert_eq!(state["current"], 2, "{state}");
    assert_eq!(state["activities"][2]["attempt_count"], 1, "resumed, not a new attempt: {state}");
    assert_eq!(state["suspended"], Value::Null);
    // A request the model refuses answers 409 with its reason and changes nothing.
    let res = navigate(&app, &course_id, &csrf, "previous").await;
    assert_eq!(res.status(), 303, "previous from two is fine");
    let res = navigate(&app, &course_id, &csrf, "{target=three}choice").await;
    assert_eq!(res.status(), 409, "no choice in this course");
    let res = navigate(&app, &course_id, &csrf, "fly").await;
    assert_eq!(res.status(), 400, "not a navigation request");
}
