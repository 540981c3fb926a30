//! The OpenAPI document and Swagger UI.

use serde_json::Value;

use crate::helpers::spawn_app;

#[tokio::test]
async fn the_spec_documents_security_problems_and_every_route() {
    let app = spawn_app().await;
    let res = app.get("/api-docs/openapi.json").await;
    assert_eq!(res.status(), 200);
    let spec: Value = res.json().await.unwrap();
    assert!(spec["openapi"].as_str().unwrap().starts_with("3."));
    let bearer = &spec["components"]["securitySchemes"]["bearer_auth"];
    assert_eq!(bearer["type"], "http");
    assert_eq!(bearer["scheme"], "bearer");
    assert_eq!(bearer["bearerFormat"], "JWT");
    for schema in ["ProblemDetails", "FieldError"] {
        assert!(
            spec["components"]["schemas"][schema].is_object(),
            "{schema} missing"
        );
    }
    for response in [
        "Unauthorized",
        "Forbidden",
        "NotFound",
        "Unprocessable",
        "TooManyRequests",
        "RequestTimeout",
        "ServiceUnavailable",
    ] {
        let r = &spec["components"]["responses"][response];
        assert!(
            r["content"]["application/problem+json"].is_object(),
            "{response}: {r}"
        );
    }
    for path in [
        "/health",
        "/ready",
        "/metrics",
        "/api/v1/auth/login",
        "/api/v1/users/{id}",
    ] {
        assert!(spec["paths"][path].is_object(), "{path} missing");
    }
    // Every operation has a tag and every response a description.
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            assert!(
                op["tags"].as_array().is_some_and(|t| !t.is_empty()),
                "{method} {path} untagged"
            );
            let responses = op["responses"].as_object().unwrap();
            assert!(!responses.is_empty(), "{method} {path} has no responses");
            // Outages and shutdown answer every API call; stalled bodies every body.
            if path.starts_with("/api/v1/") {
                assert!(responses.contains_key("503"), "{method} {path} without 503");
            }
            if op["requestBody"].is_object() {
                assert!(responses.contains_key("408"), "{method} {path} without 408");
            }
            for (status, r) in responses {
                // Reusable problem responses are references to components.
                let r = match r["$ref"].as_str() {
                    Some(reference) => {
                        let name = reference.rsplit('/').next().unwrap();
                        &spec["components"]["responses"][name]
                    }
                    None => r,
                };
                assert!(
                    r["description"].as_str().is_some_and(|d| !d.is_empty()),
                    "{method} {path} {status} has no description"
                );
            }
        }
    }
}

#[tokio::test]
async fn swagger_ui_is_served_offline_and_points_at_the_spec() {
    let app = spawn_app().await;
    let res = app.get("/docs").await;
    assert!(res.status().is_redirection());
    assert_eq!(res.headers()["location"], "/docs/");

    let res = app.get("/docs/").await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("swagger-ui"), "Swagger UI page");

    let init = app
        .get("/docs/swagger-initializer.js")
        .await
        .text()
        .await
        .unwrap();
    assert!(init.contains("/api-docs/openapi.json"), "{init}");
    // The token survives a reload.
    assert!(init.contains("\"persistAuthorization\": true"), "{init}");
    // The bundle is vendored into the binary, not fetched from a CDN.
    let bundle = app.get("/docs/swagger-ui-bundle.js").await;
    assert_eq!(bundle.status(), 200);
    assert!(bundle.bytes().await.unwrap().len() > 100_000);
}

#[tokio::test]
async fn every_module_request_body_has_an_example() {
    let app = spawn_app().await;
    let spec: Value = app.spec().await;
    let mut checked = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if !["inventory", "accounting", "crm", "sales"]
                .contains(&op["tags"][0].as_str().unwrap_or(""))
            {
                continue;
            }
            let Some(schema) =
                op["requestBody"]["content"]["application/json"]["schema"]["$ref"].as_str()
            else {
                continue;
            };
            let name = schema.rsplit('/').next().unwrap();
            let body = &spec["components"]["schemas"][name];
            assert!(
                body["example"].is_object() || body["examples"].is_array(),
                "{method} {path}: {name} has no example"
            );
            checked += 1;
        }
    }
    assert!(
        checked >= 45,
        "only {checked} inventory, accounting and CRM bodies"
    );
}

/// Resolves a `$ref` to a component schema (or returns the schema itself).
fn resolve<'a>(spec: &'a Value, schema: &'a Value) -> &'a Value {
    let schema = schema["allOf"]
        .as_array()
        .and_then(|all| all.first())
        .or_else(|| {
            schema["oneOf"]
                .as_array()
                .and_then(|one| one.iter().find(|s| s["type"] != "null"))
        })
        .unwrap_or(schema);
    match schema["$ref"].as_str() {
        Some(r) => &spec["components"]["schemas"][r.rsplit('/').next().unwrap()],
        None => schema,
    }
}

#[tokio::test]
async fn every_status_kind_and_sort_lists_its_values() {
    let app = spawn_app().await;
    let spec: Value = app.spec().await;
    let typed = |name: &str| {
        name == "status" || name == "kind" || name == "sort" || name.ends_with("_status")
    };
    let mut checked = Vec::new();
    for (schema_name, schema) in spec["components"]["schemas"].as_object().unwrap() {
        for (field, prop) in schema["properties"].as_object().into_iter().flatten() {
            // ProblemDetails.status is the HTTP status code; the probes
            // answer one constant each.
            if typed(field)
                && !["ProblemDetails", "Health", "Readiness"].contains(&schema_name.as_str())
            {
                let values = &resolve(&spec, prop)["enum"];
                assert!(
                    values.as_array().is_some_and(|v| !v.is_empty()),
                    "{schema_name}.{field} lists no values: {prop}"
                );
                checked.push(format!("{schema_name}.{field}"));
            }
        }
    }
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for p in op["parameters"].as_array().into_iter().flatten() {
                let name = p["name"].as_str().unwrap();
                if typed(name) {
                    let values = &resolve(&spec, &p["schema"])["enum"];
                    assert!(
                        values.as_array().is_some_and(|v| !v.is_empty()),
                        "{method} {path} ?{name} lists no values: {p}"
                    );
                    checked.push(format!("{method} {path} ?{name}"));
                }
            }
        }
    }
    assert!(checked.len() >= 8, "only {checked:?}");
    let po_status = &spec["components"]["schemas"]["PurchaseOrderStatus"]["enum"];
    assert_eq!(
        po_status,
        &serde_json::json!([
            "draft",
            "ordered",
            "partially_received",
            "received",
            "cancelled"
        ])
    );
}

#[tokio::test]
async fn validation_rules_appear_in_the_schemas() {
    let app = spawn_app().await;
    let spec: Value = app.spec().await;
    let schemas = &spec["components"]["schemas"];
    let code = &schemas["WarehouseIn"]["properties"]["code"];
    assert_eq!(
        (code["minLength"].as_u64(), code["maxLength"].as_u64()),
        (Some(1), Some(32)),
        "{code}"
    );
    let email = &schemas["OnboardIn"]["properties"]["email"];
    assert_eq!(email["format"], "email", "{email}");
    assert_eq!(email["maxLength"], 320, "{email}");
    let currency = &schemas["SupplierIn"]["properties"]["currency"];
    assert_eq!(currency["pattern"], "^[A-Z]{3}$", "{currency}");
    let lines = &schemas["StockMoveIn"]["properties"]["lines"];
    assert_eq!(lines["minItems"], 1, "{lines}");
    let limit = spec["paths"]["/api/v1/products"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "limit")
        .unwrap();
    assert_eq!(limit["schema"]["maximum"], 200, "{limit}");
}
