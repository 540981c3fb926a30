//! CRM activities through HTTP: logging each kind, links and their checks,
//! the done stamp, the to-do list filter, versioned changes and deletion,
//! paging and access.

use futures::future::join_all;
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{Member, TestApp, assert_problem, spawn_app};

const ACTIVITIES: &str = "/api/v1/activities";

async fn log(app: &TestApp, who: &Member, body: Value) -> Value {
    let res = app
        .post_as(ACTIVITIES, Some(&who.token), body.clone())
        .await;
    assert_eq!(res.status(), 201, "POST /activities {body}");
    res.json().await.unwrap()
}

async fn patch(
    app: &TestApp,
    who: &Member,
    id: &str,
    if_match: Option<&str>,
    body: Value,
) -> reqwest::Response {
    let mut req = app
        .client
        .patch(app.url(&format!("{ACTIVITIES}/{id}")))
        .bearer_auth(&who.token)
        .json(&body);
    if let Some(v) = if_match {
        req = req.header("If-Match", v);
    }
    req.send().await.unwrap()
}

fn ids(page: &Value) -> Vec<String> {
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_string())
        .collect()
}

fn field_errors(problem: &Value) -> Vec<String> {
    let mut fields: Vec<String> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_string())
        .collect();
    fields.sort();
    fields
}

/// POSTs `body` to another topic's `path`; the new record's id.
async fn create(app: &TestApp, who: &Member, path: &str, body: Value) -> String {
    let res = app.post_as(path, Some(&who.token), body).await;
    assert_eq!(res.status(), 201, "POST {path}");
    res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn every_kind_can_be_logged_and_a_task_without_assignee_goes_to_its_creator() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    for (kind, direction) in [
        ("note", None),
        ("call", Some("outbound")),
        ("email", Some("inbound")),
        ("meeting", None),
        ("sms", Some("outbound")),
        ("task", None),
    ] {
        let res = app
            .post_as(
                ACTIVITIES,
                Some(&owner.token),
                json!({ "kind": kind, "direction": direction, "subject": format!("A {kind}") }),
            )
            .await;
        assert_eq!(res.status(), 201, "{kind}");
        let location = res.headers()["location"].to_str().unwrap().to_string();
        assert_eq!(res.headers()["etag"], "\"1\"");
        let a: Value = res.json().await.unwrap();
        assert_eq!(
            location,
            format!("{ACTIVITIES}/{}", a["id"].as_str().unwrap())
        );
        assert_eq!(a["kind"], kind);
        assert_eq!(a["direction"], json!(direction));
        assert_eq!(a["done"], false);
        assert_eq!(a["done_at"], Value::Null);
        assert_eq!(a["body"], "");
        assert_eq!(a["created_by"], json!(owner.user_id));
        let assignee = if kind == "task" {
            json!(owner.user_id)
        } else {
            Value::Null
        };
        assert_eq!(a["assignee_id"], assignee, "{kind}");
        let fetched = app.get_json(&location, &owner.token).await;
        assert_eq!(fetched, a);
    }
    let page = app.get_json(ACTIVITIES, &owner.token).await;
    assert_eq!(page["data"].as_array().unwrap().len(), 6);
    assert_eq!(page["data"][0]["kind"], "task", "newest first");
}

#[tokio::test]
async fn a_direction_on_a_note_or_task_is_refused_naming_the_field() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    for kind in ["note", "task"] {
        let res = app
            .post_as(
                ACTIVITIES,
                Some(&owner.token),
                json!({ "kind": kind, "direction": "inbound", "subject": "Nope" }),
            )
            .await;
        let problem = assert_problem(res, 422, "validation_failed").await;
        assert_eq!(field_errors(&problem), ["direction"]);
    }
    // Changing a call into a note while it keeps its direction is refused too.
    let call = log(
        &app,
        &owner,
        json!({ "kind": "call", "direction": "inbound", "subject": "Call" }),
    )
    .await;
    let id = call["id"].as_str().unwrap();
    let problem = assert_problem(
        patch(&app, &owner, id, None, json!({ "kind": "note" })).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(field_errors(&problem), ["direction"]);
    let res = patch(
        &app,
        &owner,
        id,
        None,
        json!({ "kind": "note", "direction": null }),
    )
    .await;
    assert_eq!(res.status(), 200);
    let a: Value = res.json().await.unwrap();
    assert_eq!(
        (a["kind"].as_str(), &a["direction"]),
        (Some("note"), &Value::Null)
    );
}

#[tokio::test]
async fn links_to_records_that_are_not_the_organizations_are_refused_naming_each_field() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let random = || Uuid::now_v7().to_string();
    let res = app
        .post_as(
            ACTIVITIES,
            Some(&owner.token),
            json!({ "kind": "note", "subject": "Linked", "lead_id": random(), "contact_id": random(),
                    "customer_id": random(), "deal_id": random() }),
        )
        .await;
    let problem = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(
        field_errors(&problem),
        ["contact_id", "customer_id", "deal_id", "lead_id"]
    );
    // Another organization's records.
    let other = app.onboard().await;
    let others = [
        (
            "lead_id",
            create(
                &app,
                &other,
                "/api/v1/leads",
                json!({ "name": "Ada Lovelace" }),
            )
            .await,
        ),
        (
            "customer_id",
            create(
                &app,
                &other,
                "/api/v1/customers",
                json!({ "name": "Elsewhere Ltd", "kind": "company", "currency": "EUR" }),
            )
            .await,
        ),
        (
            "contact_id",
            create(
                &app,
                &other,
                "/api/v1/contacts",
                json!({ "first_name": "Grace", "last_name": "Hopper" }),
            )
            .await,
        ),
        (
            "deal_id",
            create(
                &app,
                &other,
                "/api/v1/deals",
                json!({ "title": "Their deal", "amount": "100.00", "currency": "EUR" }),
            )
            .await,
        ),
    ];
    for (field, id) in others {
        let res = app
            .post_as(
                ACTIVITIES,
                Some(&owner.token),
                json!({ "kind": "note", "subject": "Theirs", field: id }),
            )
            .await;
        let problem = assert_problem(res, 422, "validation_failed").await;
        assert_eq!(field_errors(&problem), [field]);
        let mine = log(&app, &owner, json!({ "kind": "note", "subject": "Mine" })).await;
        let res = patch(
            &app,
            &owner,
            mine["id"].as_str().unwrap(),
            None,
            json!({ field: id }),
        )
        .await;
        let problem = assert_problem(res, 422, "validation_failed").await;
        assert_eq!(field_errors(&problem), [field]);
    }
    let listed = app.get_json(ACTIVITIES, &owner.token).await;
    assert!(
        listed["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["subject"] == "Mine"),
        "nothing refused was stored"
    );
}

#[tokio::test]
async fn a_contact_link_brings_the_contacts_customer_along() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let customer = create(
        &app,
        &owner,
        "/api/v1/customers",
        json!({ "name": "Acme GmbH", "kind": "company", "currency": "EUR" }),
    )
    .await;
    let contact = create(
        &app,
        &owner,
        "/api/v1/contacts",
        json!({ "first_name": "Ada", "last_name": "Lovelace", "customer_id": customer }),
    )
    .await;
    let a = log(&app, &owner, json!({ "kind": "email", "direction": "outbound", "subject": "Quote", "contact_id": contact })).await;
    assert_eq!(a["contact_id"], json!(contact));
    assert_eq!(a["customer_id"], json!(customer));
    let listed = app
        .get_json(&format!("{ACTIVITIES}?customer={customer}"), &owner.token)
        .await;
    assert_eq!(ids(&listed), [a["id"].as_str().unwrap()]);
    // A change of contact brings the new contact's customer too.
    let note = log(&app, &owner, json!({ "kind": "note", "subject": "Later" })).await;
    let res = patch(
        &app,
        &owner,
        note["id"].as_str().unwrap(),
        None,
        json!({ "contact_id": contact }),
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.json::<Value>().await.unwrap()["customer_id"],
        json!(customer)
    );
}

#[tokio::test]
async fn marking_done_stamps_done_at_and_reopening_clears_it() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let task = log(
        &app,
        &owner,
        json!({ "kind": "task", "subject": "Send the quote" }),
    )
    .await;
    let id = task["id"].as_str().unwrap();
    let before = chrono::Utc::now();
    let res = patch(&app, &owner, id, Some("\"1\""), json!({ "done": true })).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["etag"], "\"2\"");
    let done: Value = res.json().await.unwrap();
    assert_eq!(done["done"], true);
    let stamped: chrono::DateTime<chrono::Utc> = done["done_at"].as_str().unwrap().parse().unwrap();
    assert!(stamped >= before - chrono::Duration::seconds(1) && stamped <= chrono::Utc::now());
    // Done again: the first stamp stays.
    let again: Value = patch(&app, &owner, id, None, json!({ "done": true }))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["done_at"], done["done_at"]);
    let reopened: Value = patch(&app, &owner, id, None, json!({ "done": false }))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (reopened["done"].as_bool(), &reopened["done_at"]),
        (Some(false), &Value::Null)
    );
    // Logged as done: stamped at once.
    let logged = log(
        &app,
        &owner,
        json!({ "kind": "call", "subject": "Called back", "done": true }),
    )
    .await;
    assert!(logged["done_at"].is_string());
}

#[tokio::test]
async fn my_open_tasks_are_exactly_mine_open_and_due_before_the_cutoff_in_due_order() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let colleague = app.add_member(&owner, "member").await;
    let task = |subject: &str, due: Option<&str>| json!({ "kind": "task", "subject": subject, "due_at": due });
    let late = log(&app, &owner, task("Late", Some("2026-12-20T09:00:00Z"))).await;
    let early = log(&app, &owner, task("Early", Some("2026-12-01T09:00:00Z"))).await;
    let middle = log(&app, &owner, task("Middle", Some("2026-12-10T09:00:00Z"))).await;
    let done = log(&app, &owner, task("Done", Some("2026-12-05T09:00:00Z"))).await;
    patch(
        &app,
        &owner,
        done["id"].as_str().unwrap(),
        None,
        json!({ "done": true }),
    )
    .await;
    log(
        &app,
        &owner,
        task("After the cutoff", Some("2027-01-15T09:00:00Z")),
    )
    .await;
    log(&app, &owner, task("Undated", None)).await;
    let mut theirs = task("Theirs", Some("2026-12-02T09:00:00Z"));
    theirs["assignee_id"] = json!(colleague.user_id);
    log(&app, &owner, theirs).await;
    log(
        &app,
        &colleague,
        task("Theirs too", Some("2026-12-03T09:00:00Z")),
    )
    .await;

    let path = format!("{ACTIVITIES}?assignee=me&done=false&due_before=2026-12-31T00:00:00Z");
    let mine = app.get_json(&path, &owner.token).await;
    let expected: Vec<&str> = [&early, &middle, &late]
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids(&mine), expected);
    // The same list paged one by one, and by the member's id instead of `me`.
    let mut paged = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = app
            .get_json(&format!("{ACTIVITIES}?assignee={}&done=false&due_before=2026-12-31T00:00:00Z&limit=1&cursor={cursor}", owner.user_id), &owner.token)
            .await;
        paged.extend(ids(&page));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = c.to_string(),
            None => break,
        }
    }
    assert_eq!(paged, expected);
    let theirs = app.get_json(&path, &colleague.token).await;
    assert_eq!(
        theirs["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["subject"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["Theirs", "Theirs too"]
    );
}

#[tokio::test]
async fn sorting_by_due_at_pages_through_dated_then_undated_activities() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let dues = [
        Some("2026-12-03T00:00:00Z"),
        None,
        Some("2026-12-01T00:00:00Z"),
        Some("2026-12-03T00:00:00Z"),
        None,
    ];
    let mut logged = Vec::new();
    for (i, due) in dues.iter().enumerate() {
        logged.push(
            log(
                &app,
                &owner,
                json!({ "kind": "task", "subject": format!("T{i}"), "due_at": due }),
            )
            .await,
        );
    }
    let id = |i: usize| logged[i]["id"].as_str().unwrap().to_string();
    // Soonest first, ties and undated ones by creation, undated last.
    let expected = vec![id(2), id(0), id(3), id(1), id(4)];
    let mut paged = Vec::new();
    let mut cursor = String::new();
    for _ in 0..3 {
        let page = app
            .get_json(
                &format!("{ACTIVITIES}?sort=due_at&limit=2&cursor={cursor}"),
                &owner.token,
            )
            .await;
        paged.extend(ids(&page));
        cursor = page["next_cursor"].as_str().unwrap_or_default().to_string();
    }
    assert_eq!(paged, expected);
    assert!(cursor.is_empty(), "three pages hold all five");
}

#[tokio::test]
async fn lists_page_newest_first_and_oldest_first_without_gaps_or_repeats() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let mut created = Vec::new();
    for i in 0..5 {
        created.push(
            log(
                &app,
                &owner,
                json!({ "kind": "note", "subject": format!("Note {i}") }),
            )
            .await["id"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    for (sort, expected) in [
        (
            "-created_at",
            created.iter().rev().cloned().collect::<Vec<_>>(),
        ),
        ("created_at", created.clone()),
    ] {
        let first = app
            .get_json(&format!("{ACTIVITIES}?sort={sort}&limit=2"), &owner.token)
            .await;
        assert_eq!(first["has_more"], true);
        let c = first["next_cursor"].as_str().unwrap();
        let second = app
            .get_json(
                &format!("{ACTIVITIES}?sort={sort}&limit=2&cursor={c}"),
                &owner.token,
            )
            .await;
        let c = second["next_cursor"].as_str().unwrap();
        let third = app
            .get_json(
                &format!("{ACTIVITIES}?sort={sort}&limit=2&cursor={c}"),
                &owner.token,
            )
            .await;
        assert_eq!(
            (third["has_more"].as_bool(), &third["next_cursor"]),
            (Some(false), &Value::Null)
        );
        let all: Vec<String> = [first, second, third].iter().flat_map(ids).collect();
        assert_eq!(all, expected, "{sort}");
    }
    assert_problem(
        app.get_as(&format!("{ACTIVITIES}?cursor=garbage"), &owner.token)
            .await,
        400,
        "invalid_cursor",
    )
    .await;
    assert_problem(
        app.get_as(&format!("{ACTIVITIES}?limit=201"), &owner.token)
            .await,
        422,
        "validation_failed",
    )
    .await;
    let problem = assert_problem(
        app.get_as(&format!("{ACTIVITIES}?assignee=someone"), &owner.token)
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(field_errors(&problem), ["assignee"]);
}

#[tokio::test]
async fn a_stale_if_match_is_412_and_changes_nothing() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let a = log(
        &app,
        &owner,
        json!({ "kind": "call", "direction": "outbound", "subject": "First call" }),
    )
    .await;
    let id = a["id"].as_str().unwrap();
    assert_eq!(
        patch(
            &app,
            &owner,
            id,
            Some("\"1\""),
            json!({ "subject": "Renamed" })
        )
        .await
        .status(),
        200
    );
    let res = patch(
        &app,
        &owner,
        id,
        Some("\"1\""),
        json!({ "subject": "Stale" }),
    )
    .await;
    assert_problem(res, 412, "version_mismatch").await;
    let now = app
        .get_json(&format!("{ACTIVITIES}/{id}"), &owner.token)
        .await;
    assert_eq!(
        (now["subject"].as_str(), now["version"].as_i64()),
        (Some("Renamed"), Some(2))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_patches_with_one_etag_change_it_exactly_once() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let a = log(&app, &owner, json!({ "kind": "task", "subject": "Race" })).await;
    let id = a["id"].as_str().unwrap();
    let results = join_all((0..10).map(|i| {
        patch(
            &app,
            &owner,
            id,
            Some("\"1\""),
            json!({ "subject": format!("Writer {i}") }),
        )
    }))
    .await;
    let statuses: Vec<u16> = results.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 412).count(),
        9,
        "{statuses:?}"
    );
    let now = app
        .get_json(&format!("{ACTIVITIES}/{id}"), &owner.token)
        .await;
    assert_eq!(now["version"], 2);
}

#[tokio::test]
async fn a_deleted_activity_is_gone_and_deleting_needs_the_current_version() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let a = log(
        &app,
        &owner,
        json!({ "kind": "meeting", "subject": "Kick-off" }),
    )
    .await;
    let path = format!("{ACTIVITIES}/{}", a["id"].as_str().unwrap());
    let delete = |if_match: &'static str| {
        app.client
            .delete(app.url(&path))
            .bearer_auth(&owner.token)
            .header("If-Match", if_match)
            .send()
    };
    assert_problem(delete("\"7\"").await.unwrap(), 412, "version_mismatch").await;
    assert_eq!(delete("\"1\"").await.unwrap().status(), 204);
    assert_problem(app.get_as(&path, &owner.token).await, 404, "not_found").await;
    assert_problem(delete("\"1\"").await.unwrap(), 404, "not_found").await;
    assert!(
        app.get_json(ACTIVITIES, &owner.token).await["data"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn another_organizations_activity_is_not_found() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let stranger = app.onboard().await;
    let a = log(
        &app,
        &owner,
        json!({ "kind": "note", "subject": "Private" }),
    )
    .await;
    let path = format!("{ACTIVITIES}/{}", a["id"].as_str().unwrap());
    assert_problem(app.get_as(&path, &stranger.token).await, 404, "not_found").await;
    let res = patch(
        &app,
        &stranger,
        a["id"].as_str().unwrap(),
        None,
        json!({ "subject": "Mine now" }),
    )
    .await;
    assert_problem(res, 404, "not_found").await;
    assert!(
        app.get_json(ACTIVITIES, &stranger.token).await["data"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn a_viewer_cannot_log_activities_but_a_member_can() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let viewer = app.add_member(&owner, "viewer").await;
    let member = app.add_member(&owner, "member").await;
    let body = json!({ "kind": "note", "subject": "Hello" });
    assert_problem(
        app.post_as(ACTIVITIES, Some(&viewer.token), body.clone())
            .await,
        403,
        "permission_denied",
    )
    .await;
    let a = log(&app, &member, body).await;
    assert_eq!(a["created_by"], json!(member.user_id));
    let listed = app.get_json(ACTIVITIES, &viewer.token).await;
    assert_eq!(ids(&listed), [a["id"].as_str().unwrap()]);
}

#[tokio::test]
async fn an_assignee_must_be_an_active_member() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let stranger = app.onboard().await;
    for assignee in [Uuid::now_v7(), stranger.user_id] {
        let res = app
            .post_as(
                ACTIVITIES,
                Some(&owner.token),
                json!({ "kind": "task", "subject": "Delegate", "assignee_id": assignee }),
            )
            .await;
        let problem = assert_problem(res, 422, "validation_failed").await;
        assert_eq!(field_errors(&problem), ["assignee_id"]);
    }
    let colleague = app.add_member(&owner, "member").await;
    let a = log(
        &app,
        &owner,
        json!({ "kind": "task", "subject": "Delegate", "assignee_id": colleague.user_id }),
    )
    .await;
    assert_eq!(a["assignee_id"], json!(colleague.user_id));
    // Unassigning a task hands it back to its creator.
    let res = patch(
        &app,
        &owner,
        a["id"].as_str().unwrap(),
        None,
        json!({ "assignee_id": null }),
    )
    .await;
    assert_eq!(
        res.json::<Value>().await.unwrap()["assignee_id"],
        json!(owner.user_id)
    );
}

#[tokio::test]
async fn calls_linked_to_a_lead_raise_its_score_under_an_activity_count_rule() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let lead = create(
        &app,
        &owner,
        "/api/v1/leads",
        json!({ "name": "Ada Lovelace", "company": "Analytical" }),
    )
    .await;
    let rule = app
        .post_as(
            "/api/v1/crm/lead-scoring-rules",
            Some(&owner.token),
            json!({ "name": "Engaged", "subject": "activity_count", "field": "call", "operator": "gte",
                    "value": 2, "within_days": 30, "points": 15 }),
        )
        .await;
    assert_eq!(rule.status(), 201, "scoring rule");
    let score = || async {
        app.get_json(&format!("/api/v1/leads/{lead}"), &owner.token)
            .await["score"]
            .as_i64()
            .unwrap()
    };
    let base = score().await;
    log(
        &app,
        &owner,
        json!({ "kind": "call", "direction": "outbound", "subject": "One", "lead_id": lead }),
    )
    .await;
    log(
        &app,
        &owner,
        json!({ "kind": "note", "subject": "Not a call", "lead_id": lead }),
    )
    .await;
    assert_eq!(score().await, base, "one call is not enough");
    let second = log(
        &app,
        &owner,
        json!({ "kind": "call", "direction": "inbound", "subject": "Two", "lead_id": lead }),
    )
    .await;
    assert_eq!(score().await, base + 15);
    let path = format!("{ACTIVITIES}/{}", second["id"].as_str().unwrap());
    let res = app
        .call(Method::DELETE, &path, Some(&owner.token), None)
        .await;
    assert_eq!(res.status(), 204);
    assert_eq!(score().await, base, "deleting the call rescored the lead");
}

#[tokio::test]
async fn logging_appears_on_the_customer_and_contact_timelines_and_stays_after_deletion() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let customer = create(
        &app,
        &owner,
        "/api/v1/customers",
        json!({ "name": "Acme GmbH", "kind": "company", "currency": "EUR" }),
    )
    .await;
    let contact = create(
        &app,
        &owner,
        "/api/v1/contacts",
        json!({ "first_name": "Ada", "last_name": "Lovelace", "customer_id": customer }),
    )
    .await;
    let a = log(
        &app,
        &owner,
        json!({ "kind": "call", "direction": "inbound", "subject": "Asked for a quote",
                "contact_id": contact, "due_at": "2026-12-01T10:00:00Z" }),
    )
    .await;
    let id = a["id"].as_str().unwrap();
    let entries_of = |path: String| {
        let (app, token) = (&app, owner.token.clone());
        async move {
            let page = app.get_json(&path, &token).await;
            page["data"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|e| e["kind"] == "activity")
                .cloned()
                .collect::<Vec<Value>>()
        }
    };
    let customer_timeline = format!("/api/v1/customers/{customer}/timeline");
    let contact_timeline = format!("/api/v1/contacts/{contact}/timeline");
    for path in [&customer_timeline, &contact_timeline] {
        let entries = entries_of(path.clone()).await;
        assert_eq!(entries.len(), 1, "{path}");
        let e = &entries[0];
        assert_eq!(e["ref_id"], json!(id));
        assert_eq!(e["actor_id"], json!(owner.user_id));
        assert_eq!(e["details"]["activity_kind"], "call");
        assert_eq!(e["details"]["subject"], "Asked for a quote");
        assert_eq!(e["details"]["direction"], "inbound");
        assert!(e["details"]["due_at"].is_string());
    }
    let res = app
        .call(
            Method::DELETE,
            &format!("{ACTIVITIES}/{id}"),
            Some(&owner.token),
            None,
        )
        .await;
    assert_eq!(res.status(), 204);
    assert_eq!(
        entries_of(customer_timeline).await.len(),
        1,
        "the entry stays"
    );
}
