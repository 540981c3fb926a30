//! CRM customers and contacts through HTTP: CRUD with ETags, the one-email
//! rule for contacts, custom fields, list filters and paging, the customer
//! summary, timelines, and `crm::api` for other modules.

use futures::future::join_all;
use reqwest::Method;
use sea_orm::{
    ConnectionTrait,
    sea_query::{Alias, Expr, Query},
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{Member, TestApp, assert_problem, spawn_app};

async fn create(app: &TestApp, who: &Member, what: &str, body: Value) -> Value {
    let res = app
        .post_as(&format!("/api/v1/{what}"), Some(&who.token), body)
        .await;
    assert_eq!(res.status(), 201, "POST /{what}");
    res.json().await.unwrap()
}

async fn customer(app: &TestApp, who: &Member, name: &str) -> Value {
    create(
        app,
        who,
        "customers",
        json!({ "name": name, "currency": "EUR" }),
    )
    .await
}

async fn contact(app: &TestApp, who: &Member, body: Value) -> Value {
    create(app, who, "contacts", body).await
}

async fn with_etag(
    app: &TestApp,
    method: Method,
    path: &str,
    who: &Member,
    etag: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut req = app
        .client
        .request(method, app.url(path))
        .bearer_auth(&who.token)
        .header("if-match", etag);
    if let Some(b) = body {
        req = req.json(&b);
    }
    req.send().await.unwrap()
}

/// The fields a 422 body names (each once: a field may have several errors).
fn fields(problem: &Value) -> Vec<String> {
    let mut named: Vec<String> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_string())
        .collect();
    named.dedup();
    named
}

/// The values of `key` on a list page.
fn column(page: &Value, key: &str) -> Vec<String> {
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[key].as_str().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test]
async fn a_customer_is_created_read_changed_and_archived_with_its_etags() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let body = json!({
        "name": "Acme Retail Ltd", "email": "accounts@acme.example", "website": "https://acme.example",
        "currency": "GBP", "credit_limit": "5000", "tags": ["Wholesale", "north", "wholesale"],
        "owner_id": owner.user_id,
    });
    let res = app
        .post_as("/api/v1/customers", Some(&owner.token), body)
        .await;
    assert_eq!(res.status(), 201);
    assert_eq!(res.headers()["etag"], "\"1\"");
    let location = res.headers()["location"].to_str().unwrap().to_string();
    let c: Value = res.json().await.unwrap();
    assert_eq!(
        location,
        format!("/api/v1/customers/{}", c["id"].as_str().unwrap())
    );
    assert_eq!(
        (c["kind"].as_str(), c["payment_terms_days"].as_i64()),
        (Some("company"), Some(30))
    );
    assert_eq!(c["credit_limit"], "5000.00");
    assert_eq!(c["tags"], json!(["wholesale", "north"]));
    assert_eq!(c["custom_fields"], json!({}));
    assert!(c["summary"].is_null());

    let res = app.get_as(&location, &owner.token).await;
    assert_eq!(res.headers()["etag"], "\"1\"");
    let got: Value = res.json().await.unwrap();
    assert_eq!(
        got["summary"],
        json!({ "contacts": 0, "open_deals": 0, "open_deal_value": [], "orders": 0, "last_order_date": null })
    );

    let patch = json!({ "payment_terms_days": 45, "website": null, "credit_limit": null, "kind": "person" });
    let res = with_etag(&app, Method::PATCH, &location, &owner, "\"1\"", Some(patch)).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["etag"], "\"2\"");
    let changed: Value = res.json().await.unwrap();
    assert_eq!(changed["payment_terms_days"], 45);
    assert!(changed["website"].is_null() && changed["credit_limit"].is_null());
    assert_eq!(
        (changed["kind"].as_str(), changed["name"].as_str()),
        (Some("person"), Some("Acme Retail Ltd"))
    );

    let res = with_etag(&app, Method::DELETE, &location, &owner, "\"2\"", None).await;
    assert_eq!(res.status(), 204);
    assert_eq!(app.get_json(&location, &owner.token).await["active"], false);
    let active = app.get_json("/api/v1/customers", &owner.token).await;
    assert!(active["data"].as_array().unwrap().is_empty());
    let archived = app
        .get_json("/api/v1/customers?active=false", &owner.token)
        .await;
    assert_eq!(column(&archived, "name"), ["Acme Retail Ltd"]);
}

#[tokio::test]
async fn customer_input_is_checked_field_by_field() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let other = app.onboard().await;
    for (body, field) in [
        (json!({ "name": "A", "currency": "eur" }), "currency"),
        (
            json!({ "name": "A", "currency": "EUR", "payment_terms_days": 366 }),
            "payment_terms_days",
        ),
        (
            json!({ "name": "A", "currency": "EUR", "credit_limit": "-1.00" }),
            "credit_limit",
        ),
        (
            json!({ "name": "A", "currency": "EUR", "email": "not-an-email" }),
            "email",
        ),
        (json!({ "name": "", "currency": "EUR" }), "name"),
        (
            json!({ "name": "A", "currency": "EUR", "tags": ["x".repeat(51)] }),
            "tags",
        ),
        (
            json!({ "name": "A", "currency": "EUR", "owner_id": other.user_id }),
            "owner_id",
        ),
        (
            json!({ "name": "A", "currency": "EUR", "custom_fields": { "nope": 1 } }),
            "custom_fields.nope",
        ),
    ] {
        let res = app
            .post_as("/api/v1/customers", Some(&owner.token), body)
            .await;
        let problem = assert_problem(res, 422, "validation_failed").await;
        assert_eq!(fields(&problem), [field], "{problem}");
    }
    let res = app
        .post_as(
            "/api/v1/customers",
            Some(&owner.token),
            json!({ "name": "A", "currency": "EUR", "rating": 5 }),
        )
        .await;
    assert!(res.status().is_client_error());
    assert!(
        app.get_json("/api/v1/customers", &owner.token).await["data"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn a_stale_if_match_is_412_and_changes_nothing() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let c = customer(&app, &owner, "Stale Ltd").await;
    let path = format!("/api/v1/customers/{}", c["id"].as_str().unwrap());
    let res = with_etag(
        &app,
        Method::PATCH,
        &path,
        &owner,
        "\"1\"",
        Some(json!({ "name": "Fresh Ltd" })),
    )
    .await;
    assert_eq!(res.status(), 200);
    let res = with_etag(
        &app,
        Method::PATCH,
        &path,
        &owner,
        "\"1\"",
        Some(json!({ "name": "Late Ltd" })),
    )
    .await;
    assert_problem(res, 412, "version_mismatch").await;
    let res = with_etag(&app, Method::DELETE, &path, &owner, "\"1\"", None).await;
    assert_problem(res, 412, "version_mismatch").await;
    let now = app.get_json(&path, &owner.token).await;
    assert_eq!(
        (
            now["name"].as_str(),
            now["version"].as_i64(),
            now["active"].as_bool()
        ),
        (Some("Fresh Ltd"), Some(2), Some(true))
    );

    let p = contact(
        &app,
        &owner,
        json!({ "first_name": "Ada", "last_name": "Lovelace" }),
    )
    .await;
    let path = format!("/api/v1/contacts/{}", p["id"].as_str().unwrap());
    let res = with_etag(
        &app,
        Method::PATCH,
        &path,
        &owner,
        "\"7\"",
        Some(json!({ "title": "CTO" })),
    )
    .await;
    assert_problem(res, 412, "version_mismatch").await;
    assert!(app.get_json(&path, &owner.token).await["title"].is_null());
}

#[tokio::test]
async fn a_contact_is_created_read_changed_and_archived_with_its_etags() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let c = customer(&app, &owner, "Acme").await;
    let body = json!({
        "first_name": " Ada ", "last_name": "Lovelace", "email": "Ada@Acme.example", "title": "Head of Purchasing",
        "customer_id": c["id"], "owner_id": owner.user_id, "tags": ["Decision-Maker"],
    });
    let res = app
        .post_as("/api/v1/contacts", Some(&owner.token), body)
        .await;
    assert_eq!(res.status(), 201);
    assert_eq!(res.headers()["etag"], "\"1\"");
    let location = res.headers()["location"].to_str().unwrap().to_string();
    let p: Value = res.json().await.unwrap();
    assert_eq!(
        (p["first_name"].as_str(), p["email"].as_str()),
        (Some("Ada"), Some("Ada@Acme.example"))
    );
    assert_eq!(
        (p["email_claimed"].as_bool(), p["do_not_contact"].as_bool()),
        (Some(true), Some(false))
    );
    assert_eq!(p["tags"], json!(["decision-maker"]));

    let res = app.get_as(&location, &owner.token).await;
    assert_eq!(res.headers()["etag"], "\"1\"");
    assert_eq!(res.json::<Value>().await.unwrap()["customer_id"], c["id"]);

    let patch = json!({ "title": null, "do_not_contact": true, "customer_id": null, "tags": [] });
    let res = with_etag(&app, Method::PATCH, &location, &owner, "\"1\"", Some(patch)).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["etag"], "\"2\"");
    let changed: Value = res.json().await.unwrap();
    assert!(changed["title"].is_null() && changed["customer_id"].is_null());
    assert_eq!(
        (changed["do_not_contact"].as_bool(), changed["tags"].clone()),
        (Some(true), json!([]))
    );

    let res = with_etag(&app, Method::DELETE, &location, &owner, "\"2\"", None).await;
    assert_eq!(res.status(), 204);
    assert_eq!(app.get_json(&location, &owner.token).await["active"], false);
    assert!(
        app.get_json("/api/v1/contacts", &owner.token).await["data"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let archived = app
        .get_json("/api/v1/contacts?active=false", &owner.token)
        .await;
    assert_eq!(column(&archived, "last_name"), ["Lovelace"]);
}

#[tokio::test]
async fn a_contact_at_another_organizations_customer_is_422_naming_customer_id() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let stranger = app.onboard().await;
    let theirs = customer(&app, &stranger, "Theirs").await;
    let body = json!({ "first_name": "Eve", "last_name": "Spy", "customer_id": theirs["id"] });
    let res = app
        .post_as("/api/v1/contacts", Some(&owner.token), body)
        .await;
    let problem = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(fields(&problem), ["customer_id"]);
    let random = json!({ "first_name": "Eve", "last_name": "Spy", "customer_id": Uuid::now_v7() });
    let res = app
        .post_as("/api/v1/contacts", Some(&owner.token), random)
        .await;
    assert_eq!(
        fields(&assert_problem(res, 422, "validation_failed").await),
        ["customer_id"]
    );

    let p = contact(
        &app,
        &owner,
        json!({ "first_name": "Eve", "last_name": "Honest" }),
    )
    .await;
    let path = format!("/api/v1/contacts/{}", p["id"].as_str().unwrap());
    let res = app
        .call(
            Method::PATCH,
            &path,
            Some(&owner.token),
            Some(json!({ "customer_id": theirs["id"] })),
        )
        .await;
    assert_eq!(
        fields(&assert_problem(res, 422, "validation_failed").await),
        ["customer_id"]
    );
    // Another organization's contact and customer are 404, like missing ones.
    let res = app.get_as(&path, &stranger.token).await;
    assert_problem(res, 404, "not_found").await;
    let theirs_path = format!("/api/v1/customers/{}", theirs["id"].as_str().unwrap());
    let res = app
        .call(
            Method::PATCH,
            &theirs_path,
            Some(&owner.token),
            Some(json!({ "name": "Mine" })),
        )
        .await;
    assert_problem(res, 404, "not_found").await;
}

#[tokio::test]
async fn a_duplicate_contact_email_is_409_unless_the_write_allows_it() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let first = contact(
        &app,
        &owner,
        json!({ "first_name": "Ada", "last_name": "One", "email": "ada@acme.example" }),
    )
    .await;
    let twin = json!({ "first_name": "Ada", "last_name": "Two", "email": "ADA@acme.example" });
    let res = app
        .post_as("/api/v1/contacts", Some(&owner.token), twin.clone())
        .await;
    assert_problem(res, 409, "contact_email_taken").await;

    let mut allowed = twin.clone();
    allowed["allow_duplicate"] = json!(true);
    let second = contact(&app, &owner, allowed).await;
    assert_eq!(second["email_claimed"], false);

    // The first contact gives the email up; the duplicate still holds it, so
    // a new claim is refused, and so is taking it back in a PATCH.
    let first_path = format!("/api/v1/contacts/{}", first["id"].as_str().unwrap());
    let res = app
        .call(
            Method::PATCH,
            &first_path,
            Some(&owner.token),
            Some(json!({ "email": "ada.one@acme.example" })),
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = app
        .post_as(
            "/api/v1/contacts",
            Some(&owner.token),
            json!({ "first_name": "Ada", "last_name": "Three", "email": "ada@acme.example" }),
        )
        .await;
    assert_problem(res, 409, "contact_email_taken").await;
    let res = app
        .call(
            Method::PATCH,
            &first_path,
            Some(&owner.token),
            Some(json!({ "email": "Ada@Acme.example" })),
        )
        .await;
    assert_problem(res, 409, "contact_email_taken").await;
    let res = app
        .call(
            Method::PATCH,
            &first_path,
            Some(&owner.token),
            Some(json!({ "email": "Ada@Acme.example", "allow_duplicate": true })),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["email_claimed"], false);

    // Changing a contact's own email's case is no conflict with itself.
    let solo = contact(
        &app,
        &owner,
        json!({ "first_name": "Solo", "last_name": "S", "email": "solo@acme.example" }),
    )
    .await;
    let solo_path = format!("/api/v1/contacts/{}", solo["id"].as_str().unwrap());
    let res = app
        .call(
            Method::PATCH,
            &solo_path,
            Some(&owner.token),
            Some(json!({ "email": "Solo@acme.example" })),
        )
        .await;
    assert_eq!(res.status(), 200);
    // Another organization may use the same email.
    let stranger = app.onboard().await;
    contact(
        &app,
        &stranger,
        json!({ "first_name": "Solo", "last_name": "S", "email": "solo@acme.example" }),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_concurrent_creates_of_one_email_give_one_201_and_nine_409() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    // The same email, in two spellings of case.
    let body = |i: usize| json!({ "first_name": format!("Racer {i}"), "last_name": "R", "email": if i.is_multiple_of(2) { "race@acme.example" } else { "RACE@acme.example" } });
    let results =
        join_all((0..10).map(|i| app.post_as("/api/v1/contacts", Some(&owner.token), body(i))))
            .await;
    let (mut created, mut refused) = (0, 0);
    for res in results {
        match res.status().as_u16() {
            201 => created += 1,
            409 => {
                assert_eq!(
                    res.json::<Value>().await.unwrap()["code"],
                    "contact_email_taken"
                );
                refused += 1;
            }
            other => panic!("unexpected status {other}: {}", res.text().await.unwrap()),
        }
    }
    assert_eq!((created, refused), (1, 9));
    let all = app
        .get_json("/api/v1/contacts?limit=200", &owner.token)
        .await;
    assert_eq!(all["data"].as_array().unwrap().len(), 1);
}

/// Defines the contact custom fields of the tests: one of every type.
async fn define_contact_fields(app: &TestApp, owner: &Member) {
    for body in [
        json!({ "key": "industry", "type": "select", "options": ["retail", "manufacturing", "services"], "required": true }),
        json!({ "key": "employees", "type": "number" }),
        json!({ "key": "revenue", "type": "decimal" }),
        json!({ "key": "since", "type": "date" }),
        json!({ "key": "vip", "type": "boolean", "default_value": false }),
        json!({ "key": "channels", "type": "multi_select", "options": ["email", "phone", "post"] }),
        json!({ "key": "notes", "type": "text" }),
    ] {
        let mut body = body;
        body["entity"] = json!("contact");
        body["label"] = body["key"].clone();
        let res = app
            .post_as("/api/v1/crm/custom-fields", Some(&owner.token), body)
            .await;
        assert_eq!(res.status(), 201, "define");
    }
}

#[tokio::test]
async fn contact_custom_fields_are_checked_by_type_with_required_and_defaults() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    define_contact_fields(&app, &owner).await;
    let with = |cf: Value| json!({ "first_name": "Cf", "last_name": "Test", "custom_fields": cf });
    let res = app
        .post_as(
            "/api/v1/contacts",
            Some(&owner.token),
            with(json!({ "employees": 5 })),
        )
        .await;
    assert_eq!(
        fields(&assert_problem(res, 422, "validation_failed").await),
        ["custom_fields.industry"]
    );
    for (cf, field) in [
        (json!({ "industry": "farming" }), "custom_fields.industry"),
        (
            json!({ "industry": "retail", "employees": "many" }),
            "custom_fields.employees",
        ),
        (
            json!({ "industry": "retail", "employees": 1.5 }),
            "custom_fields.employees",
        ),
        (
            json!({ "industry": "retail", "revenue": "1.23456" }),
            "custom_fields.revenue",
        ),
        (
            json!({ "industry": "retail", "since": "2024-13-01" }),
            "custom_fields.since",
        ),
        (
            json!({ "industry": "retail", "vip": "yes" }),
            "custom_fields.vip",
        ),
        (
            json!({ "industry": "retail", "channels": ["email", "fax"] }),
            "custom_fields.channels",
        ),
        (
            json!({ "industry": "retail", "notes": 42 }),
            "custom_fields.notes",
        ),
        (
            json!({ "industry": "retail", "nope": 1 }),
            "custom_fields.nope",
        ),
    ] {
        let res = app
            .post_as("/api/v1/contacts", Some(&owner.token), with(cf))
            .await;
        let problem = assert_problem(res, 422, "validation_failed").await;
        assert_eq!(fields(&problem), [field], "{problem}");
    }
    let all = json!({ "industry": "retail", "employees": 60, "revenue": "1200.50", "since": "2023-05-01",
                      "channels": ["phone", "email", "phone"], "notes": "Met at the fair" });
    let p = contact(&app, &owner, with(all)).await;
    assert_eq!(
        p["custom_fields"],
        json!({ "industry": "retail", "employees": 60, "revenue": "1200.5", "since": "2023-05-01",
                                           "channels": ["phone", "email"], "notes": "Met at the fair", "vip": false })
    );

    // A PATCH merges; removing a required value is refused.
    let path = format!("/api/v1/contacts/{}", p["id"].as_str().unwrap());
    let res = app
        .call(
            Method::PATCH,
            &path,
            Some(&owner.token),
            Some(json!({ "custom_fields": { "employees": 70, "notes": null } })),
        )
        .await;
    assert_eq!(res.status(), 200);
    let changed: Value = res.json().await.unwrap();
    assert_eq!(
        (
            changed["custom_fields"]["employees"].as_i64(),
            changed["custom_fields"]["industry"].as_str()
        ),
        (Some(70), Some("retail"))
    );
    assert!(changed["custom_fields"].get("notes").is_none());
    let res = app
        .call(
            Method::PATCH,
            &path,
            Some(&owner.token),
            Some(json!({ "custom_fields": { "industry": null } })),
        )
        .await;
    assert_eq!(
        fields(&assert_problem(res, 422, "validation_failed").await),
        ["custom_fields.industry"]
    );
}

async fn sorted_first_names(app: &TestApp, who: &Member, query: &str) -> Vec<String> {
    let mut names = column(
        &app.get_json(&format!("/api/v1/contacts?{query}"), &who.token)
            .await,
        "first_name",
    );
    names.sort();
    names
}

#[tokio::test]
async fn contacts_filter_by_custom_fields_of_every_kind() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    define_contact_fields(&app, &owner).await;
    for (name, cf) in [
        (
            "Retail Big Old",
            json!({ "industry": "retail", "employees": 120, "since": "2019-03-01", "channels": ["email"], "revenue": "10.5" }),
        ),
        (
            "Retail Small New",
            json!({ "industry": "retail", "employees": 8, "since": "2024-06-01", "channels": ["phone", "post"] }),
        ),
        (
            "Services Mid",
            json!({ "industry": "services", "employees": 50, "since": "2024-01-01", "channels": ["email", "phone"], "vip": true }),
        ),
    ] {
        contact(
            &app,
            &owner,
            json!({ "first_name": name, "last_name": "Co", "custom_fields": cf }),
        )
        .await;
    }
    let names = |query: &'static str| sorted_first_names(&app, &owner, query);
    assert_eq!(
        names("cf.industry=retail").await,
        ["Retail Big Old", "Retail Small New"]
    );
    assert_eq!(
        names("cf.employees_gte=50").await,
        ["Retail Big Old", "Services Mid"]
    );
    assert_eq!(names("cf.employees_lt=50").await, ["Retail Small New"]);
    assert_eq!(
        names("cf.since_lte=2024-01-01").await,
        ["Retail Big Old", "Services Mid"]
    );
    assert_eq!(
        names("cf.channels=email").await,
        ["Retail Big Old", "Services Mid"]
    );
    assert_eq!(names("cf.channels=post").await, ["Retail Small New"]);
    assert_eq!(names("cf.vip=true").await, ["Services Mid"]);
    assert_eq!(names("cf.revenue_gt=10").await, ["Retail Big Old"]);
    assert_eq!(
        names("cf.industry=retail&cf.employees_gte=50&sort=last_name").await,
        ["Retail Big Old"]
    );

    let res = app.get_as("/api/v1/contacts?cf.nope=1", &owner.token).await;
    assert_eq!(
        fields(&assert_problem(res, 422, "validation_failed").await),
        ["cf.nope"]
    );
    let res = app
        .get_as("/api/v1/contacts?cf.employees_gte=lots", &owner.token)
        .await;
    assert_eq!(
        fields(&assert_problem(res, 422, "validation_failed").await),
        ["cf.employees_gte"]
    );
    let res = app
        .get_as("/api/v1/contacts?cf.industry_gte=retail", &owner.token)
        .await;
    assert_problem(res, 422, "validation_failed").await;
}

#[tokio::test]
async fn q_is_a_case_insensitive_prefix_of_names_and_emails() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    for (first, last, email) in [
        ("Ada", "Lovelace", "ada@math.example"),
        ("Grace", "Hopper", "gh@navy.example"),
        ("Alan", "Turing", "bombe@bp.example"),
    ] {
        contact(
            &app,
            &owner,
            json!({ "first_name": first, "last_name": last, "email": email }),
        )
        .await;
    }
    let names = |page: Value| {
        let mut n = column(&page, "last_name");
        n.sort();
        n
    };
    let q = |s: &str| format!("/api/v1/contacts?q={s}");
    assert_eq!(
        names(app.get_json(&q("a"), &owner.token).await),
        ["Lovelace", "Turing"]
    );
    assert_eq!(
        names(app.get_json(&q("HOP"), &owner.token).await),
        ["Hopper"]
    );
    assert_eq!(
        names(app.get_json(&q("bombe"), &owner.token).await),
        ["Turing"]
    );
    // A prefix, not a substring; and wildcards in the query are dropped.
    assert!(names(app.get_json(&q("race"), &owner.token).await).is_empty());
    assert_eq!(
        names(app.get_json(&q("%25ace"), &owner.token).await),
        Vec::<String>::new()
    );
    assert_eq!(
        names(app.get_json(&q("G_r%25"), &owner.token).await),
        ["Hopper"]
    );

    for name in ["Northwind", "Northern Lights", "Southwind"] {
        customer(&app, &owner, name).await;
    }
    let page = app
        .get_json("/api/v1/customers?q=nORTH&sort=name", &owner.token)
        .await;
    assert_eq!(column(&page, "name"), ["Northern Lights", "Northwind"]);
}

#[tokio::test]
async fn tag_owner_me_customer_and_kind_filters_narrow_the_lists() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let member = app.add_member(&owner, "member").await;
    let acme = customer(&app, &owner, "Acme").await;
    create(&app, &owner, "customers", json!({ "name": "Pat Person", "kind": "person", "currency": "EUR", "tags": ["vip"], "owner_id": member.user_id })).await;
    contact(&app, &owner, json!({ "first_name": "Mine", "last_name": "A", "tags": ["vip", "emea"], "owner_id": member.user_id, "customer_id": acme["id"] })).await;
    contact(&app, &owner, json!({ "first_name": "Theirs", "last_name": "B", "tags": ["emea"], "owner_id": owner.user_id, "do_not_contact": true })).await;

    let firsts = |page: Value| column(&page, "first_name");
    assert_eq!(
        firsts(app.get_json("/api/v1/contacts?tag=VIP", &owner.token).await),
        ["Mine"]
    );
    assert_eq!(
        firsts(
            app.get_json("/api/v1/contacts?tag=emea&sort=last_name", &owner.token)
                .await
        ),
        ["Mine", "Theirs"]
    );
    assert_eq!(
        firsts(
            app.get_json("/api/v1/contacts?owner=me", &member.token)
                .await
        ),
        ["Mine"]
    );
    assert_eq!(
        firsts(
            app.get_json("/api/v1/contacts?owner=me", &owner.token)
                .await
        ),
        ["Theirs"]
    );
    let by_id = format!("/api/v1/contacts?owner={}", member.user_id);
    assert_eq!(firsts(app.get_json(&by_id, &owner.token).await), ["Mine"]);
    let of_acme = format!("/api/v1/contacts?customer={}", acme["id"].as_str().unwrap());
    assert_eq!(firsts(app.get_json(&of_acme, &owner.token).await), ["Mine"]);
    assert_eq!(
        firsts(
            app.get_json("/api/v1/contacts?do_not_contact=true", &owner.token)
                .await
        ),
        ["Theirs"]
    );

    let names = |page: Value| column(&page, "name");
    assert_eq!(
        names(
            app.get_json("/api/v1/customers?tag=vip", &owner.token)
                .await
        ),
        ["Pat Person"]
    );
    assert_eq!(
        names(
            app.get_json("/api/v1/customers?owner=me", &member.token)
                .await
        ),
        ["Pat Person"]
    );
    assert_eq!(
        names(
            app.get_json("/api/v1/customers?kind=company", &owner.token)
                .await
        ),
        ["Acme"]
    );
    let res = app
        .get_as("/api/v1/customers?owner=someone", &owner.token)
        .await;
    assert_eq!(
        fields(&assert_problem(res, 422, "validation_failed").await),
        ["owner"]
    );
    let res = app
        .get_as("/api/v1/contacts?sort=first_name", &owner.token)
        .await;
    assert_eq!(
        fields(&assert_problem(res, 422, "validation_failed").await),
        ["sort"]
    );
}

#[tokio::test]
async fn lists_page_through_every_row_once_with_a_cursor() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    for i in 0..7 {
        contact(
            &app,
            &owner,
            json!({ "first_name": format!("P{i}"), "last_name": format!("L{}", 6 - i) }),
        )
        .await;
        customer(&app, &owner, &format!("C{i}")).await;
    }
    for (list, key, sort, expected) in [
        (
            "contacts",
            "first_name",
            "",
            ["P6", "P5", "P4", "P3", "P2", "P1", "P0"],
        ),
        (
            "contacts",
            "last_name",
            "&sort=last_name",
            ["L0", "L1", "L2", "L3", "L4", "L5", "L6"],
        ),
        (
            "contacts",
            "first_name",
            "&sort=created_at",
            ["P0", "P1", "P2", "P3", "P4", "P5", "P6"],
        ),
        (
            "customers",
            "name",
            "&sort=-name",
            ["C6", "C5", "C4", "C3", "C2", "C1", "C0"],
        ),
        (
            "customers",
            "name",
            "",
            ["C6", "C5", "C4", "C3", "C2", "C1", "C0"],
        ),
    ] {
        let (mut seen, mut pages, mut cursor) = (Vec::new(), 0, String::new());
        loop {
            let page = app
                .get_json(
                    &format!("/api/v1/{list}?limit=3{sort}{cursor}"),
                    &owner.token,
                )
                .await;
            pages += 1;
            seen.extend(column(&page, key));
            match page["next_cursor"].as_str() {
                Some(c) => cursor = format!("&cursor={c}"),
                None => break,
            }
            assert_eq!(page["has_more"], true);
        }
        assert_eq!(
            (pages, seen),
            (3, expected.map(String::from).to_vec()),
            "{list}{sort}"
        );
    }
    let res = app
        .get_as("/api/v1/contacts?cursor=garbage", &owner.token)
        .await;
    assert_problem(res, 400, "invalid_cursor").await;
}

#[tokio::test]
async fn a_customer_summary_counts_its_active_contacts_and_open_deals() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let acme = customer(&app, &owner, "Acme").await;
    let id = acme["id"].as_str().unwrap();
    for n in ["One", "Two", "Gone"] {
        contact(
            &app,
            &owner,
            json!({ "first_name": n, "last_name": "X", "customer_id": id }),
        )
        .await;
    }
    contact(
        &app,
        &owner,
        json!({ "first_name": "Elsewhere", "last_name": "Y" }),
    )
    .await;
    let gone = app.get_json("/api/v1/contacts?q=gone", &owner.token).await;
    let gone_path = format!(
        "/api/v1/contacts/{}",
        gone["data"][0]["id"].as_str().unwrap()
    );
    assert_eq!(
        app.call(Method::DELETE, &gone_path, Some(&owner.token), None)
            .await
            .status(),
        204
    );
    let path = format!("/api/v1/customers/{id}");
    let summary = app.get_json(&path, &owner.token).await["summary"].clone();
    assert_eq!(summary["contacts"], 2);
    assert_eq!(
        (
            summary["open_deals"].as_i64(),
            summary["open_deal_value"].clone()
        ),
        (Some(0), json!([]))
    );

    // Deals through raw rows (the deal endpoints belong to another topic):
    // two open in EUR, one open in USD, one won.
    insert_deals(
        &app,
        owner.org_id,
        id,
        &[
            ("open", "EUR", 1_000_500),
            ("open", "EUR", 2_000_000),
            ("open", "USD", 50_000),
            ("won", "EUR", 990_000),
        ],
    )
    .await;
    let summary = app.get_json(&path, &owner.token).await["summary"].clone();
    assert_eq!(summary["open_deals"], 3);
    assert_eq!(
        summary["open_deal_value"],
        json!([{ "currency": "EUR", "amount": "300.05" }, { "currency": "USD", "amount": "5.00" }])
    );
}

/// Deals of a customer in the organization's default pipeline, written
/// directly: `(status, currency, amount in units of 1/10000)`.
async fn insert_deals(app: &TestApp, org: Uuid, customer: &str, deals: &[(&str, &str, i64)]) {
    use sea_orm::sea_query::ExprTrait;
    let db = &app.state.db;
    let stage = Query::select()
        .columns([Alias::new("id"), Alias::new("pipeline_id")])
        .from(Alias::new("pipeline_stages"))
        .and_where(Expr::col(Alias::new("organization_id")).eq(org))
        .limit(1)
        .to_owned();
    let row = db.query_one(&stage).await.unwrap().expect("a seeded stage");
    let (stage_id, pipeline_id): (Uuid, Uuid) = (
        row.try_get("", "id").unwrap(),
        row.try_get("", "pipeline_id").unwrap(),
    );
    let customer: Uuid = customer.parse().unwrap();
    for (status, currency, amount) in deals {
        let now = chrono::Utc::now();
        let insert = Query::insert()
            .into_table(Alias::new("deals"))
            .columns(
                [
                    "id",
                    "organization_id",
                    "title",
                    "customer_id",
                    "pipeline_id",
                    "stage_id",
                    "status",
                    "amount",
                    "currency",
                    "custom_fields",
                    "created_at",
                    "updated_at",
                    "version",
                ]
                .map(Alias::new),
            )
            .values_panic([
                Uuid::now_v7().into(),
                org.into(),
                "Deal".into(),
                customer.into(),
                pipeline_id.into(),
                stage_id.into(),
                (*status).into(),
                (*amount).into(),
                (*currency).into(),
                json!({}).into(),
                now.into(),
                now.into(),
                1.into(),
            ])
            .to_owned();
        db.execute(&insert).await.unwrap();
    }
}

/// Timeline entries of a customer and contact, written directly (other
/// topics write them through `record_timeline`).
async fn insert_timeline(
    app: &TestApp,
    org: Uuid,
    customer: Option<Uuid>,
    contact: Option<Uuid>,
    n: usize,
) -> Vec<Uuid> {
    let mut ids = Vec::new();
    for i in 0..n {
        let id = Uuid::now_v7();
        let insert = Query::insert()
            .into_table(Alias::new("crm_timeline"))
            .columns(
                [
                    "id",
                    "organization_id",
                    "customer_id",
                    "contact_id",
                    "kind",
                    "ref_id",
                    "details",
                    "actor_id",
                    "occurred_at",
                ]
                .map(Alias::new),
            )
            .values_panic([
                id.into(),
                org.into(),
                customer.into(),
                contact.into(),
                "activity".into(),
                Uuid::now_v7().into(),
                json!({ "subject": format!("Call {i}") }).into(),
                Option::<Uuid>::None.into(),
                chrono::Utc::now().into(),
            ])
            .to_owned();
        app.state.db.execute(&insert).await.unwrap();
        ids.push(id);
    }
    ids
}

#[tokio::test]
async fn timelines_page_newest_first_and_are_404_for_another_organization() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let stranger = app.onboard().await;
    let acme = customer(&app, &owner, "Acme").await;
    let cid: Uuid = acme["id"].as_str().unwrap().parse().unwrap();
    let p = contact(
        &app,
        &owner,
        json!({ "first_name": "Ada", "last_name": "L", "customer_id": cid }),
    )
    .await;
    let pid: Uuid = p["id"].as_str().unwrap().parse().unwrap();
    let customer_path = format!("/api/v1/customers/{cid}/timeline");
    let contact_path = format!("/api/v1/contacts/{pid}/timeline");
    let empty = app.get_json(&customer_path, &owner.token).await;
    assert_eq!(
        (empty["data"].clone(), empty["has_more"].clone()),
        (json!([]), json!(false))
    );

    let both = insert_timeline(&app, owner.org_id, Some(cid), Some(pid), 3).await;
    let only_customer = insert_timeline(&app, owner.org_id, Some(cid), None, 2).await;
    let first = app
        .get_json(&format!("{customer_path}?limit=4"), &owner.token)
        .await;
    let ids = |page: &Value| column(page, "id");
    let expected: Vec<String> = both
        .iter()
        .chain(&only_customer)
        .rev()
        .map(Uuid::to_string)
        .collect();
    assert_eq!(ids(&first), expected[..4]);
    assert_eq!(first["data"][0]["kind"], "activity");
    assert_eq!(first["data"][0]["details"]["subject"], "Call 1");
    let next = format!(
        "{customer_path}?limit=4&cursor={}",
        first["next_cursor"].as_str().unwrap()
    );
    let second = app.get_json(&next, &owner.token).await;
    assert_eq!(
        (ids(&second), second["has_more"].clone()),
        (expected[4..].to_vec(), json!(false))
    );
    let of_contact = app.get_json(&contact_path, &owner.token).await;
    let expected: Vec<String> = both.iter().rev().map(Uuid::to_string).collect();
    assert_eq!(ids(&of_contact), expected);

    for path in [&customer_path, &contact_path] {
        let res = app.get_as(path, &stranger.token).await;
        assert_problem(res, 404, "not_found").await;
    }
    let res = app
        .get_as(
            &format!("/api/v1/contacts/{}/timeline", Uuid::now_v7()),
            &owner.token,
        )
        .await;
    assert_problem(res, 404, "not_found").await;
}

#[tokio::test]
async fn a_viewer_reads_customers_but_gets_403_on_writes() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let viewer = app.add_member(&owner, "viewer").await;
    let c = customer(&app, &owner, "Acme").await;
    let res = app
        .post_as(
            "/api/v1/customers",
            Some(&viewer.token),
            json!({ "name": "Nope", "currency": "EUR" }),
        )
        .await;
    assert_problem(res, 403, "permission_denied").await;
    let res = app
        .post_as(
            "/api/v1/contacts",
            Some(&viewer.token),
            json!({ "first_name": "No", "last_name": "Pe" }),
        )
        .await;
    assert_problem(res, 403, "permission_denied").await;
    let path = format!("/api/v1/customers/{}", c["id"].as_str().unwrap());
    let res = app
        .call(Method::DELETE, &path, Some(&viewer.token), None)
        .await;
    assert_problem(res, 403, "permission_denied").await;
    assert_eq!(app.get_json(&path, &viewer.token).await["active"], true);
    assert_eq!(
        app.get_json("/api/v1/customers", &viewer.token).await["data"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn other_modules_read_customers_and_contacts_inside_their_own_transaction() {
    use mainstay::{modules::crm::api, platform::db::begin_write};
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let stranger = app.onboard().await;
    let body = json!({ "name": "Acme", "email": "ap@acme.example", "currency": "GBP", "payment_terms_days": 14, "credit_limit": "2500.50" });
    let c = create(&app, &owner, "customers", body).await;
    let cid: Uuid = c["id"].as_str().unwrap().parse().unwrap();
    let p = contact(&app, &owner, json!({ "first_name": "Ada", "last_name": "Lovelace", "email": "ada@acme.example", "customer_id": cid })).await;
    let pid: Uuid = p["id"].as_str().unwrap().parse().unwrap();

    let tx = begin_write(&app.state.db).await.unwrap();
    assert!(api::customer_exists(&tx, owner.org_id, cid).await.unwrap());
    assert!(
        !api::customer_exists(&tx, stranger.org_id, cid)
            .await
            .unwrap()
    );
    assert!(api::contact_exists(&tx, owner.org_id, pid).await.unwrap());
    assert!(
        !api::contact_exists(&tx, stranger.org_id, pid)
            .await
            .unwrap()
    );
    let found = api::customer(&tx, owner.org_id, cid)
        .await
        .unwrap()
        .expect("found");
    assert_eq!(
        (
            found.name.as_str(),
            found.currency.as_str(),
            found.payment_terms_days
        ),
        ("Acme", "GBP", 14)
    );
    assert_eq!(
        (
            found.email.as_deref(),
            found.credit_limit.map(|a| a.to_string()),
            found.active
        ),
        (Some("ap@acme.example"), Some("2500.50".into()), true)
    );
    assert!(
        api::customer(&tx, stranger.org_id, cid)
            .await
            .unwrap()
            .is_none()
    );
    let person = api::contact(&tx, owner.org_id, pid)
        .await
        .unwrap()
        .expect("found");
    assert_eq!(
        (
            person.name.as_str(),
            person.customer_id,
            person.email.as_deref()
        ),
        ("Ada Lovelace", Some(cid), Some("ada@acme.example"))
    );
    assert!(
        api::contact(&tx, stranger.org_id, pid)
            .await
            .unwrap()
            .is_none()
    );
    tx.commit().await.unwrap();

    // A customer written in a transaction that rolls back is gone with it.
    let tx = begin_write(&app.state.db).await.unwrap();
    let ghost = Uuid::now_v7();
    let now = chrono::Utc::now();
    let insert = Query::insert()
        .into_table(Alias::new("customers"))
        .columns(
            [
                "id",
                "organization_id",
                "name",
                "kind",
                "currency",
                "tags",
                "custom_fields",
                "created_at",
                "updated_at",
            ]
            .map(Alias::new),
        )
        .values_panic([
            ghost.into(),
            owner.org_id.into(),
            "Ghost".into(),
            "company".into(),
            "EUR".into(),
            json!([]).into(),
            json!({}).into(),
            now.into(),
            now.into(),
        ])
        .to_owned();
    tx.execute(&insert).await.unwrap();
    assert!(
        api::customer_exists(&tx, owner.org_id, ghost)
            .await
            .unwrap()
    );
    tx.rollback().await.unwrap();
    assert!(
        !api::customer_exists(&app.state.db, owner.org_id, ghost)
            .await
            .unwrap()
    );
    assert!(
        api::customer(&app.state.db, owner.org_id, ghost)
            .await
            .unwrap()
            .is_none()
    );
    let res = app
        .get_as(&format!("/api/v1/customers/{ghost}"), &owner.token)
        .await;
    assert_problem(res, 404, "not_found").await;
}

#[tokio::test]
async fn deals_opened_over_http_show_in_the_summary_and_both_timelines() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let acme = customer(&app, &owner, "Acme").await;
    let cid = acme["id"].as_str().unwrap().to_string();
    let ada = contact(
        &app,
        &owner,
        json!({ "first_name": "Ada", "last_name": "L", "customer_id": cid }),
    )
    .await;
    let pid = ada["id"].as_str().unwrap().to_string();
    let mut deal_ids = Vec::new();
    for (amount, currency) in [("100.25", "EUR"), ("50", "EUR"), ("10", "USD")] {
        let body = json!({ "title": "Rollout", "customer_id": cid, "contact_id": pid, "amount": amount, "currency": currency });
        deal_ids.push(create(&app, &owner, "deals", body).await["id"].clone());
    }
    let summary = app
        .get_json(&format!("/api/v1/customers/{cid}"), &owner.token)
        .await["summary"]
        .clone();
    assert_eq!(summary["contacts"], 1);
    assert_eq!(summary["open_deals"], 3);
    assert_eq!(
        summary["open_deal_value"],
        json!([{ "currency": "EUR", "amount": "150.25" }, { "currency": "USD", "amount": "10.00" }])
    );

    deal_ids.reverse();
    for path in [
        format!("/api/v1/customers/{cid}/timeline"),
        format!("/api/v1/contacts/{pid}/timeline"),
    ] {
        let page = app.get_json(&path, &owner.token).await;
        let entries = page["data"].as_array().unwrap();
        assert!(
            entries
                .iter()
                .all(|e| e["kind"] == "stage_change" && e["actor_id"] == json!(owner.user_id)),
            "{page}"
        );
        let deals: Vec<Value> = entries.iter().map(|e| e["deal_id"].clone()).collect();
        assert_eq!(deals, deal_ids, "{path}");
    }
}
