//! SCORM 2004 global objectives over HTTP: a status written by one course's SCO is read by
//! another course's pre-condition rule (objectivesGlobalToSystem, SCORM's default), and
//! stays inside its course when the organization scopes it there.

use serde_json::{json, Value};

use crate::helpers::{spawn_app_with, Options, TestApp};
use crate::sequencing_browser::{package, package_with};

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
