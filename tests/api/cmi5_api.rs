//! The cmi5 LRS endpoints over plain HTTP: statement ids are unique across learners, a
//! resend of the same statement stays idempotent, and a batch with a conflict stores nothing.

use serde_json::{json, Value};

use crate::helpers::{fixtures_dir, spawn_app_with, Options, TestApp};

/// What an AU gets from its launch URL, and its auth token.
struct Launch {
    endpoint: String,
    token: String,
    actor: Value,
    registration: String,
    activity: String,
}

/// Signs `user` in on a fresh client, opens the AU's lesson page and plays the AU's part
/// of the launch: read the parameters from the frame URL, fetch the token once.
async fn launch(app: &TestApp, user: &str, course_id: i64) -> Launch {
    let client = reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let res = client.post(app.url("/login")).form(&[("username", user), ("password", &format!("{user}-password")), ("next", "/")]).send().await.unwrap();
    assert_eq!(res.status(), 303, "login of {user}");
    let course: Value = client.get(app.url(&format!("/api/v1/courses/{course_id}"))).send().await.unwrap().json().await.unwrap();
    let au = course["items"].as_array().unwrap().iter().find(|i| i["kind"] == "cmi5_au").expect("an AU").clone();
    let page = client.get(app.url(au["page_url"].as_str().unwrap())).send().await.unwrap().text().await.unwrap();
    let at = page.find("cmi5-au").expect("AU frame");
    let src_at = at + page[at..].find("src=\"").unwrap() + 5;
    let src = page[src_at..src_at + page[src_at..].find('"').unwrap()].replace("&amp;", "&");
    let url = reqwest::Url::parse(&src).unwrap();
    let param = |name: &str| url.query_pairs().find(|(k, _)| k == name).unwrap_or_else(|| panic!("{name} in {src}")).1.into_owned();
    let fetched: Value = reqwest::Client::new().post(param("fetch")).send().await.unwrap().json().await.unwrap();
    Launch {
        endpoint: param("endpoint"),
        token: fetched["auth-token"].as_str().unwrap().to_string(),
        actor: serde_json::from_str(&param("actor")).unwrap(),
        registration: param("registration"),
        activity: param("activityId"),
    }
}

impl Launch {
    fn statement(&self, id: &str, verb: &str) -> Value {
        json!({"id": id, "actor": self.actor, "verb": {"id": format!("http://adlnet.gov/expapi/verbs/{verb}")},
               "object": {"id": self.activity, "objectType": "Activity"}, "context": {"registration": self.registration}})
    }

    async fn post(&self, body: &Value) -> reqwest::Response {
        reqwest::Client::new()
            .post(format!("{}statements", self.endpoint))
            .header("authorization", format!("Basic {}", self.token))
            .header("x-experience-api-version", "1.0.3")
            .json(body)
            .send()
            .await
            .unwrap()
    }

    async fn stored_ids(&self) -> Vec<String> {
        let list: Value = reqwest::Client::new()
            .get(format!("{}statements", self.endpoint))
            .header("authorization", format!("Basic {}", self.token))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        list["statements"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap().to_string()).collect()
    }
}

#[tokio::test]
async fn a_statement_id_taken_by_another_learner_is_a_conflict_and_a_resend_is_idempotent() {
    let app = spawn_app_with(Options { import_demo: false }).await;
    let org = app.org().await;
    let teacher = app.add_user("t1", "teacher", Some(org.school_a1), Some(org.region_a)).await;
    let token = app.token_for(teacher).await;
    let res = app.upload(&token, &fixtures_dir().join("cmi5/catapult-single-au-basic-framed.zip")).await;
    assert_eq!(res.status(), 201);
    let course_id = res.json::<Value>().await.unwrap()["course_id"].as_i64().unwrap();
    app.add_user("s1", "student", Some(org.school_a1), Some(org.region_a)).await;
    app.add_user("s2", "student", Some(org.school_a1), Some(org.region_a)).await;
    let first = launch(&app, "s1", course_id).await;
    let second = launch(&app, "s2", course_id).await;
    const ID: &str = "2f1c6a0e-5d1b-4c7e-9a3f-0b8e4d2c1a77";

    let res = first.post(&first.statement(ID, "initialized")).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap(), json!([ID]));
    // The same statement sent again by the same learner: accepted, stored once.
    assert_eq!(first.post(&first.statement(ID, "initialized")).await.status(), 200);
    assert_eq!(first.stored_ids().await, [ID]);
    // The same id with other content from the same learner is a conflict too.
    assert_eq!(first.post(&first.statement(ID, "terminated")).await.status(), 409);

    let res = second.post(&second.statement(ID, "initialized")).await;
    assert_eq!(res.status(), 409, "another learner's statement id");
    let body: Value = res.json().await.unwrap();
    assert!(body["message"].as_str().unwrap().contains(ID), "{body}");
    assert!(second.stored_ids().await.is_empty(), "nothing stored for the second learner");

    // A batch with one conflicting id stores none of its statements.
    let fresh = "8c0e7a52-1f3d-4b6a-8e9c-2d4f6a8b0c1e";
    let batch = json!([second.statement(fresh, "initialized"), second.statement(ID, "terminated")]);
    assert_eq!(second.post(&batch).await.status(), 409);
    assert!(second.stored_ids().await.is_empty(), "the whole batch was refused");
    assert_eq!(second.post(&second.statement(fresh, "initialized")).await.status(), 200);
    assert_eq!(second.stored_ids().await, [fresh]);
    assert_eq!(first.stored_ids().await, [ID], "the first learner's statement is untouched");
}
