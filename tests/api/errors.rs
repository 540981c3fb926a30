//! Every error is `application/problem+json`: routing errors on the real app,
//! extractor errors on a small app built from the same platform pieces.

use actix_web::{App, HttpResponse, middleware::from_fn, test, web};
use mainstay::platform::{
    error::AppError,
    extract::{ValidatedJson, ValidatedQuery, configure_extractors},
    money::Amount,
    pagination::PageParams,
    telemetry::request_middleware,
};
use serde::Deserialize;
use serde_json::{Value, json};
use validator::Validate;

use crate::helpers::{assert_problem, spawn_app};

#[tokio::test]
async fn an_unknown_route_is_a_404_problem() {
    let app = spawn_app().await;
    assert_problem(app.get("/api/v1/nothing-here").await, 404, "not_found").await;
}

#[tokio::test]
async fn a_wrong_method_is_a_405_problem_with_allow() {
    let app = spawn_app().await;
    let res = app.client.delete(app.url("/health")).send().await.unwrap();
    assert_eq!(res.headers()["allow"], "GET");
    assert_problem(res, 405, "method_not_allowed").await;
}

#[derive(Debug, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
struct NewThing {
    #[validate(length(min = 1, max = 10))]
    name: String,
    #[validate(email)]
    email: String,
    price: Amount,
}

async fn create(body: ValidatedJson<NewThing>) -> HttpResponse {
    HttpResponse::Created().json(json!({ "name": body.name, "price": body.price }))
}

async fn boom() -> Result<HttpResponse, AppError> {
    Err(AppError::internal(anyhow::anyhow!(
        "connection string postgres://admin:hunter2@db"
    )))
}

async fn by_id(id: web::Path<uuid::Uuid>) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "id": id.into_inner() }))
}

async fn list(page: ValidatedQuery<PageParams>) -> Result<HttpResponse, AppError> {
    let after: Option<(String, uuid::Uuid)> = page.after()?;
    Ok(HttpResponse::Ok().json(json!({ "limit": page.limit(), "after": after.is_some() })))
}

macro_rules! platform_app {
    () => {
        test::init_service(
            App::new()
                .configure(|c| configure_extractors(c, 256))
                .wrap(from_fn(request_middleware))
                .route("/things", web::post().to(create))
                .route("/things/{id}", web::get().to(by_id))
                .route("/things", web::get().to(list))
                .route("/boom", web::get().to(boom)),
        )
        .await
    };
}

async fn problem(res: actix_web::dev::ServiceResponse, status: u16, code: &str) -> Value {
    assert_eq!(res.status().as_u16(), status);
    assert_eq!(
        res.headers().get("content-type").unwrap(),
        "application/problem+json"
    );
    let request_id = res
        .headers()
        .get("x-request-id")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let body: Value = test::read_body_json(res).await;
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["status"], status);
    assert_eq!(body["request_id"], request_id.as_str());
    body
}

fn post_json(body: &str) -> test::TestRequest {
    test::TestRequest::post()
        .uri("/things")
        .insert_header(("content-type", "application/json"))
        .set_payload(body.to_string())
}

#[actix_web::test]
async fn a_valid_body_passes() {
    let app = platform_app!();
    let res = test::call_service(
        &app,
        post_json(r#"{"name":"bolt","email":"a@b.co","price":"19.99"}"#).to_request(),
    )
    .await;
    assert_eq!(res.status(), 201);
    let body: Value = test::read_body_json(res).await;
    assert_eq!(body["price"], "19.99");
}

#[actix_web::test]
async fn malformed_json_is_a_400_problem() {
    let app = platform_app!();
    let res = test::call_service(&app, post_json(r#"{"name": "bolt","#).to_request()).await;
    problem(res, 400, "malformed_json").await;
    let res = test::call_service(&app, post_json("").to_request()).await;
    problem(res, 400, "malformed_json").await;
}

#[actix_web::test]
async fn a_body_that_is_not_json_is_a_415_problem() {
    let app = platform_app!();
    let req = test::TestRequest::post()
        .uri("/things")
        .insert_header(("content-type", "text/plain"))
        .set_payload("name=bolt")
        .to_request();
    problem(
        test::call_service(&app, req).await,
        415,
        "unsupported_media_type",
    )
    .await;
    let req = test::TestRequest::post()
        .uri("/things")
        .set_payload("{}")
        .to_request();
    problem(
        test::call_service(&app, req).await,
        415,
        "unsupported_media_type",
    )
    .await;
}

#[actix_web::test]
async fn a_body_over_the_limit_is_a_413_problem() {
    let app = platform_app!();
    let big = format!(
        r#"{{"name":"{}","email":"a@b.co","price":"1"}}"#,
        "x".repeat(400)
    );
    problem(
        test::call_service(&app, post_json(&big).to_request()).await,
        413,
        "payload_too_large",
    )
    .await;
}

#[actix_web::test]
async fn unknown_fields_are_a_422_naming_the_field() {
    let app = platform_app!();
    let res = test::call_service(
        &app,
        post_json(r#"{"name":"bolt","email":"a@b.co","price":"1","organization_id":"x"}"#)
            .to_request(),
    )
    .await;
    let body = problem(res, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "organization_id");
    assert_eq!(body["errors"][0]["code"], "unknown_field");
}

#[actix_web::test]
async fn validation_failures_list_every_invalid_field() {
    let app = platform_app!();
    let res = test::call_service(
        &app,
        post_json(r#"{"name":"far too long a name","email":"nope","price":"1"}"#).to_request(),
    )
    .await;
    let body = problem(res, 422, "validation_failed").await;
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["email", "name"]);
    assert!(
        body["errors"][1]["message"]
            .as_str()
            .unwrap()
            .contains("between 1 and 10")
    );
}

#[actix_web::test]
async fn inexact_or_overflowing_money_is_a_422_on_its_field() {
    let app = platform_app!();
    for price in [
        r#""1.00001""#,
        "19.99",
        r#""99999999999999999999""#,
        r#""ten""#,
    ] {
        let res = test::call_service(
            &app,
            post_json(&format!(
                r#"{{"name":"bolt","email":"a@b.co","price":{price}}}"#
            ))
            .to_request(),
        )
        .await;
        let body = problem(res, 422, "validation_failed").await;
        assert_eq!(body["errors"][0]["field"], "price", "{price}: {body}");
    }
}

#[actix_web::test]
async fn internal_errors_are_opaque_500s() {
    let app = platform_app!();
    let res = test::call_service(&app, test::TestRequest::get().uri("/boom").to_request()).await;
    let body = problem(res, 500, "internal_error").await;
    assert!(!body.to_string().contains("hunter2"));
}

#[actix_web::test]
async fn a_bad_path_parameter_is_a_400_problem() {
    let app = platform_app!();
    let res = test::call_service(
        &app,
        test::TestRequest::get()
            .uri("/things/not-a-uuid")
            .to_request(),
    )
    .await;
    problem(res, 400, "invalid_path").await;
}

#[actix_web::test]
async fn pagination_parameters_are_checked() {
    let app = platform_app!();
    let get = |uri: &'static str| test::TestRequest::get().uri(uri).to_request();
    let res = test::call_service(&app, get("/things")).await;
    let body: Value = test::read_body_json(res).await;
    assert_eq!(body["limit"], 50);
    let body = problem(
        test::call_service(&app, get("/things?limit=500")).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "limit");
    problem(
        test::call_service(&app, get("/things?limit=abc")).await,
        400,
        "invalid_query",
    )
    .await;
    problem(
        test::call_service(&app, get("/things?cursor=v1.AAAA")).await,
        400,
        "invalid_cursor",
    )
    .await;
    problem(
        test::call_service(&app, get("/things?cursor=tampered")).await,
        400,
        "invalid_cursor",
    )
    .await;
}
