//! Generic access checks that walk the OpenAPI document, so they cover every
//! module's endpoints as they are added:
//! - every protected operation answers 401 without a token and with an
//!   expired, tampered, `alg: none` or wrong-audience token;
//! - every operation with a path id answers 404 to another organization's
//!   token, and nothing changes;
//! - a viewer gets 403 on every administrative write.
//!
//! A new path kind needs a fixture in `Fixtures::id_for` and, for writes with
//! a body, an entry in `body_for`; the walk fails loudly until it has them.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::Utc;
use mainstay::platform::auth::{AccessClaims, TokenKeys};
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{Member, TestApp, assert_problem, spawn_app};

struct Operation {
    method: Method,
    path: String,
}

async fn operations(app: &TestApp) -> (Vec<Operation>, Vec<Operation>) {
    let spec: Value = app.spec().await;
    let (mut protected, mut public) = (Vec::new(), Vec::new());
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let Ok(method) = method.to_uppercase().parse::<Method>() else {
                continue;
            };
            let secured = op["security"].as_array().is_some_and(|s| !s.is_empty());
            let o = Operation {
                method,
                path: path.clone(),
            };
            if secured {
                protected.push(o)
            } else {
                public.push(o)
            }
        }
    }
    assert!(
        protected.len() >= 25,
        "the walk found only {} protected operations",
        protected.len()
    );
    (protected, public)
}

fn fill(path: &str, ids: impl Fn(&str, &str) -> String) -> String {
    let mut out = String::new();
    let mut kind = "";
    for seg in path.split('/').filter(|s| !s.is_empty()) {
        out.push('/');
        if let Some(name) = seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            out.push_str(&ids(kind, name));
        } else {
            out.push_str(seg);
            kind = seg;
        }
    }
    out
}

fn forge(keys: &TokenKeys, member: &Member, tweak: impl FnOnce(&mut AccessClaims)) -> String {
    let now = Utc::now().timestamp();
    let mut claims = AccessClaims {
        sub: member.user_id,
        org: member.org_id,
        sid: Uuid::now_v7(),
        iat: now,
        nbf: None,
        exp: now + 600,
        iss: "mainstay".into(),
        aud: "mainstay-api".into(),
    };
    tweak(&mut claims);
    keys.sign(&claims).unwrap()
}

#[tokio::test]
async fn every_protected_operation_refuses_missing_and_bad_tokens() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let keys = TokenKeys::new(&app.state.settings.auth);
    let me: Value = app.get_json("/api/v1/auth/me", &owner.token).await;
    let sid: Uuid = me["session_id"].as_str().unwrap().parse().unwrap();
    let live = |c: &mut AccessClaims| c.sid = sid;

    let expired = forge(&keys, &owner, |c| {
        live(c);
        c.iat -= 7200;
        c.exp = Utc::now().timestamp() - 3600;
    });
    let wrong_aud = forge(&keys, &owner, |c| {
        live(c);
        c.aud = "someone-else".into();
    });
    let other_key = TokenKeys::new(&{
        let mut s = app.state.settings.auth.clone();
        s.jwt_secret = "a-completely-different-secret-of-32b".into();
        s
    });
    let foreign_signature = forge(&other_key, &owner, live);
    let tampered = {
        let (head, sig) = owner.token.rsplit_once('.').unwrap();
        let mut sig = sig.to_string();
        let last = sig.pop().unwrap();
        sig.push(if last == 'A' { 'B' } else { 'A' });
        format!("{head}.{sig}")
    };
    let alg_none = {
        let payload = owner.token.split('.').nth(1).unwrap();
        format!(
            "{}.{payload}.",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#)
        )
    };
    // Issued a day ahead: valid in every other way, refused as from the future.
    let from_the_future = forge(&keys, &owner, |c| {
        live(c);
        c.iat += 86_400;
        c.exp += 86_400;
    });
    let not_yet_valid = forge(&keys, &owner, |c| {
        live(c);
        c.nbf = Some(c.iat + 3600);
    });
    let bad_tokens = [
        ("issued in the future", from_the_future),
        ("not yet valid", not_yet_valid),
        ("expired", expired),
        ("wrong audience", wrong_aud),
        ("foreign signature", foreign_signature),
        ("tampered", tampered),
        ("alg none", alg_none),
        ("garbage", "not-a-jwt".into()),
    ];

    let (protected, _) = operations(&app).await;
    for op in &protected {
        let path = fill(&op.path, |_, _| Uuid::now_v7().to_string());
        let res = app
            .call(op.method.clone(), &path, None, Some(json!({})))
            .await;
        assert_eq!(
            res.status(),
            401,
            "{} {} without a token",
            op.method,
            op.path
        );
        assert_problem(res, 401, "unauthorized").await;
        for (what, token) in &bad_tokens {
            let res = app
                .call(op.method.clone(), &path, Some(token), Some(json!({})))
                .await;
            assert_eq!(
                res.status(),
                401,
                "{} {} with a {what} token",
                op.method,
                op.path
            );
        }
    }
    // The real token still works: the refusals were about the tokens.
    assert_eq!(
        app.get_as("/api/v1/auth/me", &owner.token).await.status(),
        200
    );
}

/// Real resources of organization A, by path kind.
struct Fixtures {
    org: Uuid,
    user: Uuid,
    role: Uuid,
    session: Uuid,
    invitation: Uuid,
    team: Uuid,
    product: Uuid,
    warehouse: Uuid,
    category: Uuid,
    supplier: Uuid,
    purchase_order: Uuid,
    accounting: AccountingFixtures,
    crm: CrmFixtures,
    billing: BillingFixtures,
}

/// One of each accounting resource with an id.
struct AccountingFixtures {
    account: Uuid,
    tax_rate: Uuid,
    fiscal_year: Uuid,
    period: Uuid,
    entry: Uuid,
}

/// One of each CRM resource with an id.
struct CrmFixtures {
    customer: Uuid,
    contact: Uuid,
    custom_field: Uuid,
    lead: Uuid,
    scoring_rule: Uuid,
    pipeline: Uuid,
    stage: Uuid,
    lost_reason: Uuid,
    deal: Uuid,
    activity: Uuid,
    quote: Uuid,
    sales_order: Uuid,
}

impl CrmFixtures {
    async fn build(app: &TestApp, owner: &Member) -> Self {
        let t = Some(owner.token.as_str());
        let post = |path: &'static str, body: Value| async move {
            created_id(app.post_as(path, t, body).await).await
        };
        let customer = post(
            "/api/v1/customers",
            json!({ "name": "Fixture Ltd", "currency": "EUR" }),
        )
        .await;
        let contact = post(
            "/api/v1/contacts",
            json!({ "first_name": "Fix", "last_name": "Ture", "customer_id": customer }),
        )
        .await;
        let custom_field = post(
            "/api/v1/crm/custom-fields",
            json!({ "entity": "lead", "key": "fixture", "label": "Fixture", "type": "text" }),
        )
        .await;
        let lead = post("/api/v1/leads", json!({ "name": "Fixture lead" })).await;
        let scoring_rule = post(
            "/api/v1/crm/lead-scoring-rules",
            json!({ "name": "Fixture", "subject": "field", "field": "source", "operator": "eq", "value": "web", "points": 5 }),
        )
        .await;
        let pipeline = app
            .post_as(
                "/api/v1/pipelines",
                t,
                json!({ "name": "Fixture pipeline", "stages": [
                    { "name": "Open", "probability": 10, "kind": "open" },
                    { "name": "Later", "probability": 50, "kind": "open" },
                    { "name": "Won", "probability": 100, "kind": "won" },
                    { "name": "Lost", "probability": 0, "kind": "lost" }
                ] }),
            )
            .await;
        assert_eq!(pipeline.status(), 201, "fixture pipeline");
        let pipeline: Value = pipeline.json().await.unwrap();
        let lost_reason = post(
            "/api/v1/crm/lost-reasons",
            json!({ "name": "Fixture reason" }),
        )
        .await;
        let deal = post(
            "/api/v1/deals",
            json!({ "title": "Fixture deal", "currency": "EUR", "customer_id": customer }),
        )
        .await;
        let activity = post(
            "/api/v1/activities",
            json!({ "kind": "note", "subject": "Fixture", "contact_id": contact }),
        )
        .await;
        let line =
            json!([{ "description": "Fixture service", "quantity": "1", "unit_price": "10" }]);
        let quote = post(
            "/api/v1/quotes",
            json!({ "customer_id": customer, "deal_id": deal, "lines": line }),
        )
        .await;
        let sales_order = post(
            "/api/v1/sales-orders",
            json!({ "customer_id": customer, "lines": line }),
        )
        .await;
        let id = |v: &Value| v.as_str().unwrap().parse().unwrap();
        Self {
            quote,
            sales_order,
            customer,
            contact,
            custom_field,
            lead,
            scoring_rule,
            pipeline: id(&pipeline["id"]),
            stage: id(&pipeline["stages"][1]["id"]),
            lost_reason,
            deal,
            activity,
        }
    }
}

async fn created_id(res: reqwest::Response) -> Uuid {
    assert_eq!(res.status(), 201, "fixture");
    let body: Value = res.json().await.unwrap();
    body["id"].as_str().unwrap().parse().unwrap()
}

impl AccountingFixtures {
    async fn build(app: &TestApp, owner: &Member) -> Self {
        let t = Some(owner.token.as_str());
        let account = created_id(
            app.post_as(
                "/api/v1/accounting/accounts",
                t,
                json!({ "code": "6999", "name": "Fixture", "type": "expense" }),
            )
            .await,
        )
        .await;
        let sales_tax = app
            .get_json("/api/v1/accounting/accounts?q=2100", &owner.token)
            .await["data"][0]["id"]
            .clone();
        let tax_rate = created_id(
            app.post_as(
                "/api/v1/accounting/tax-rates",
                t,
                json!({ "name": "Fixture", "rate": "5", "account_id": sales_tax }),
            )
            .await,
        )
        .await;
        let year = app
            .post_as(
                "/api/v1/accounting/fiscal-years",
                t,
                json!({ "start_date": "2031-01-01" }),
            )
            .await;
        assert_eq!(year.status(), 201, "fixture year");
        let year: Value = year.json().await.unwrap();
        let cash = app
            .get_json("/api/v1/accounting/accounts?q=1010", &owner.token)
            .await["data"][0]["id"]
            .clone();
        let entry = created_id(
            app.post_as(
                "/api/v1/accounting/journal",
                t,
                json!({ "date": "2031-02-01", "lines": [
                    { "account_id": account, "debit": "1" }, { "account_id": cash, "credit": "1" }
                ] }),
            )
            .await,
        )
        .await;
        Self {
            account,
            tax_rate,
            fiscal_year: year["id"].as_str().unwrap().parse().unwrap(),
            period: year["periods"][0]["id"].as_str().unwrap().parse().unwrap(),
            entry,
        }
    }
}

impl Fixtures {
    async fn build(app: &TestApp, owner: &Member) -> Self {
        let member = app.add_member(owner, "member").await;
        let role: Value = app
            .post_as(
                "/api/v1/roles",
                Some(&owner.token),
                json!({ "name": "Custom", "permissions": [] }),
            )
            .await
            .json()
            .await
            .unwrap();
        let me = app.get_json("/api/v1/auth/me", &member.token).await;
        let viewer = app.role_id(&owner.token, "viewer").await;
        let inv: Value = app
            .post_as(
                "/api/v1/users/invite",
                Some(&owner.token),
                json!({ "email": "pending@example.com", "role_ids": [viewer] }),
            )
            .await
            .json()
            .await
            .unwrap();
        let team: Value = app
            .post_as(
                "/api/v1/teams",
                Some(&owner.token),
                json!({ "name": "Fixture team" }),
            )
            .await
            .json()
            .await
            .unwrap();
        app.post_as(
            &format!(
                "/api/v1/teams/{}/members/{}",
                team["id"].as_str().unwrap(),
                member.user_id
            ),
            Some(&owner.token),
            json!({}),
        )
        .await;
        let warehouse: Value = app
            .post_as(
                "/api/v1/warehouses",
                Some(&owner.token),
                json!({ "code": "FIX", "name": "Fixture" }),
            )
            .await
            .json()
            .await
            .unwrap();
        let product: Value = app
            .post_as(
                "/api/v1/products",
                Some(&owner.token),
                json!({ "sku": "FIX-1", "name": "Fixture" }),
            )
            .await
            .json()
            .await
            .unwrap();
        let category: Value = app
            .post_as(
                "/api/v1/categories",
                Some(&owner.token),
                json!({ "name": "Fixture category" }),
            )
            .await
            .json()
            .await
            .unwrap();
        let supplier: Value = app
            .post_as(
                "/api/v1/suppliers",
                Some(&owner.token),
                json!({ "name": "Fixture supplier", "currency": "EUR" }),
            )
            .await
            .json()
            .await
            .unwrap();
        let purchase_order: Value = app
            .post_as(
                "/api/v1/purchase-orders",
                Some(&owner.token),
                json!({ "supplier_id": supplier["id"], "lines": [{ "product_id": product["id"], "quantity": "5" }] }),
            )
            .await
            .json()
            .await
            .unwrap();
        let accounting = AccountingFixtures::build(app, owner).await;
        let crm = CrmFixtures::build(app, owner).await;
        Fixtures {
            supplier: supplier["id"].as_str().unwrap().parse().unwrap(),
            purchase_order: purchase_order["id"].as_str().unwrap().parse().unwrap(),
            billing: BillingFixtures::build(app, owner, &crm, &accounting, &supplier).await,
            accounting,
            crm,
            category: category["id"].as_str().unwrap().parse().unwrap(),
            product: product["id"].as_str().unwrap().parse().unwrap(),
            warehouse: warehouse["id"].as_str().unwrap().parse().unwrap(),
            team: team["id"].as_str().unwrap().parse().unwrap(),
            org: owner.org_id,
            user: member.user_id,
            role: role["id"].as_str().unwrap().parse().unwrap(),
            session: me["session_id"].as_str().unwrap().parse().unwrap(),
            invitation: inv["id"].as_str().unwrap().parse().unwrap(),
        }
    }

    fn id_for(&self, kind: &str, param: &str) -> String {
        match (kind, param) {
            (_, "role_id") | ("roles", "id") => self.role,
            ("organizations", "id") => self.org,
            ("users", "id") | ("members", "user_id") => self.user,
            ("teams", "id") => self.team,
            ("products", "id") => self.product,
            ("categories", "id") => self.category,
            ("warehouses", "id") => self.warehouse,
            ("suppliers", "id") => self.supplier,
            ("purchase-orders", "id") => self.purchase_order,
            ("sessions", "id") => self.session,
            ("invitations", "id") => self.invitation,
            ("accounts", "id") => self.accounting.account,
            ("tax-rates", "id") => self.accounting.tax_rate,
            ("fiscal-years", "id") => self.accounting.fiscal_year,
            ("periods", "id") => self.accounting.period,
            ("journal", "id") => self.accounting.entry,
            ("customers", "id") => self.crm.customer,
            ("contacts", "id") => self.crm.contact,
            ("custom-fields", "id") => self.crm.custom_field,
            ("leads", "id") => self.crm.lead,
            ("lead-scoring-rules", "id") => self.crm.scoring_rule,
            ("pipelines", "id") => self.crm.pipeline,
            ("stages", "stage_id") => self.crm.stage,
            ("lost-reasons", "id") => self.crm.lost_reason,
            ("deals", "id") => self.crm.deal,
            ("activities", "id") => self.crm.activity,
            ("quotes", "id") => self.crm.quote,
            ("sales-orders", "id") => self.crm.sales_order,
            ("invoices", "id") => self.billing.invoice,
            ("credit-notes", "id") => self.billing.credit_note,
            ("payments", "id") => self.billing.payment,
            ("payment-methods", _) => self.billing.payment_method,
            ("bills", "id") => self.billing.bill,
            ("supplier-payments", "id") => self.billing.supplier_payment,
            _ => panic!("no fixture for path parameter {param} of /{kind}: add one to Fixtures"),
        }
        .to_string()
    }
}

/// A valid body for writes, so that the answer is about access, not input.
fn body_for(method: &Method, path: &str) -> Option<Value> {
    Some(match (method.as_str(), path) {
        ("PATCH", "/api/v1/organizations/{id}") => json!({ "name": "Hijacked" }),
        ("POST", "/api/v1/organizations/{id}/subscription") => json!({ "plan": "pro" }),
        ("PATCH", "/api/v1/users/{id}") | ("PATCH", "/api/v1/users/me") => {
            json!({ "full_name": "Hijacked" })
        }
        ("PATCH", "/api/v1/roles/{id}") | ("PATCH", "/api/v1/teams/{id}") => {
            json!({ "name": "Hijacked" })
        }
        ("POST", "/api/v1/teams") => json!({ "name": "Sneaky" }),
        ("POST", "/api/v1/warehouses") => json!({ "code": "SNEAK", "name": "Sneaky" }),
        ("PATCH", "/api/v1/warehouses/{id}") | ("PATCH", "/api/v1/products/{id}") => {
            json!({ "name": "Hijacked" })
        }
        ("POST", "/api/v1/products") => json!({ "sku": "SNEAK", "name": "Sneaky" }),
        ("POST", "/api/v1/categories") => json!({ "name": "Sneaky" }),
        ("PATCH", "/api/v1/categories/{id}") => json!({ "name": "Hijacked" }),
        ("POST", "/api/v1/inventory/receipts") | ("POST", "/api/v1/inventory/issues") => {
            json!({ "warehouse_id": Uuid::nil(), "lines": [{ "product_id": Uuid::nil(), "quantity": "1" }] })
        }
        ("POST", "/api/v1/inventory/transfers") => json!({
            "from_warehouse_id": Uuid::nil(), "to_warehouse_id": Uuid::nil(),
            "lines": [{ "product_id": Uuid::nil(), "quantity": "1" }]
        }),
        ("POST", "/api/v1/inventory/adjust") => json!({
            "warehouse_id": Uuid::nil(), "product_id": Uuid::nil(), "quantity_delta": "1", "reason": "x"
        }),
        ("POST", "/api/v1/suppliers") => json!({ "name": "Sneaky", "currency": "EUR" }),
        ("PATCH", "/api/v1/suppliers/{id}") => json!({ "name": "Hijacked" }),
        ("POST", "/api/v1/purchase-orders") => json!({
            "supplier_id": Uuid::nil(), "lines": [{ "product_id": Uuid::nil(), "quantity": "1" }]
        }),
        ("PATCH", "/api/v1/purchase-orders/{id}") => json!({ "notes": "Hijacked" }),
        ("POST", "/api/v1/purchase-orders/{id}/receive") => json!({
            "warehouse_id": Uuid::nil(), "lines": [{ "line_id": Uuid::nil(), "quantity": "1" }]
        }),
        ("POST", "/api/v1/accounting/accounts") => {
            json!({ "code": "SNEAK", "name": "Sneaky", "type": "expense" })
        }
        ("PATCH", "/api/v1/accounting/accounts/{id}")
        | ("PATCH", "/api/v1/accounting/tax-rates/{id}") => json!({ "name": "Hijacked" }),
        ("PATCH", "/api/v1/accounting/settings") => json!({}),
        ("POST", "/api/v1/accounting/tax-rates") => {
            json!({ "name": "Sneaky", "rate": "1", "account_id": Uuid::nil() })
        }
        ("POST", "/api/v1/accounting/fiscal-years") => json!({ "start_date": "2040-01-01" }),
        ("POST", "/api/v1/accounting/journal") => json!({ "date": "2031-03-01", "lines": [
            { "account_id": Uuid::nil(), "debit": "1" }, { "account_id": Uuid::nil(), "credit": "1" }
        ] }),
        ("PATCH", "/api/v1/accounting/journal/{id}") => json!({ "memo": "Hijacked" }),
        ("POST", "/api/v1/accounting/journal/{id}/reverse") => json!({ "date": "2031-03-01" }),
        ("POST", "/api/v1/customers") => json!({ "name": "Sneaky", "currency": "EUR" }),
        ("PATCH", "/api/v1/customers/{id}")
        | ("PATCH", "/api/v1/leads/{id}")
        | ("PATCH", "/api/v1/pipelines/{id}")
        | ("PATCH", "/api/v1/pipelines/{id}/stages/{stage_id}")
        | ("PATCH", "/api/v1/crm/lost-reasons/{id}")
        | ("PATCH", "/api/v1/crm/lead-scoring-rules/{id}") => json!({ "name": "Hijacked" }),
        ("POST", "/api/v1/contacts") => json!({ "first_name": "Sneaky", "last_name": "Person" }),
        ("PATCH", "/api/v1/contacts/{id}") => json!({ "first_name": "Hijacked" }),
        ("POST", "/api/v1/crm/custom-fields") => {
            json!({ "entity": "deal", "key": "sneaky", "label": "Sneaky", "type": "text" })
        }
        ("PATCH", "/api/v1/crm/custom-fields/{id}") => json!({ "label": "Hijacked" }),
        ("POST", "/api/v1/leads") => json!({ "name": "Sneaky lead" }),
        ("POST", "/api/v1/leads/{id}/convert") => {
            json!({ "customer": { "currency": "EUR" }, "create_contact": false })
        }
        ("POST", "/api/v1/crm/lead-scoring-rules") => json!({
            "name": "Sneaky", "subject": "field", "field": "source", "operator": "eq", "value": "x", "points": 1
        }),
        ("POST", "/api/v1/pipelines") => json!({ "name": "Sneaky", "stages": [
            { "name": "Open", "probability": 10, "kind": "open" },
            { "name": "Won", "probability": 100, "kind": "won" },
            { "name": "Lost", "probability": 0, "kind": "lost" }
        ] }),
        ("POST", "/api/v1/pipelines/{id}/stages") => {
            json!({ "name": "Sneaky", "probability": 20, "kind": "open" })
        }
        ("POST", "/api/v1/pipelines/{id}/stages/reorder") => json!({ "stage_ids": [Uuid::nil()] }),
        ("POST", "/api/v1/crm/lost-reasons") => json!({ "name": "Sneaky" }),
        ("POST", "/api/v1/deals") => json!({ "title": "Sneaky", "currency": "EUR" }),
        ("PATCH", "/api/v1/deals/{id}") => json!({ "title": "Hijacked" }),
        ("POST", "/api/v1/deals/{id}/move") => json!({ "stage_id": Uuid::nil() }),
        ("POST", "/api/v1/activities") => json!({ "kind": "note", "subject": "Sneaky" }),
        ("PATCH", "/api/v1/activities/{id}") => json!({ "subject": "Hijacked" }),
        ("POST", "/api/v1/quotes") | ("POST", "/api/v1/sales-orders") => json!({
            "customer_id": Uuid::nil(), "lines": [{ "description": "Sneaky", "quantity": "1", "unit_price": "1" }]
        }),
        ("PATCH", "/api/v1/quotes/{id}") | ("PATCH", "/api/v1/sales-orders/{id}") => {
            json!({ "notes": "Hijacked" })
        }
        ("POST", "/api/v1/quotes/{id}/accept") => json!({}),
        (_, p)
            if p.starts_with("/api/v1/invoices")
                || p.starts_with("/api/v1/credit-notes")
                || p.starts_with("/api/v1/payments")
                || p.starts_with("/api/v1/bills")
                || p.starts_with("/api/v1/supplier-payments")
                || p.starts_with("/api/v1/customers/{id}/payment-methods")
                || p == "/api/v1/sales-orders/{id}/invoice" =>
        {
            return billing_body(method, path);
        }
        ("POST", "/api/v1/sales-orders/{id}/fulfilments") => {
            json!({ "lines": [{ "line_id": Uuid::nil(), "quantity": "1" }] })
        }
        ("POST", "/api/v1/roles") => json!({ "name": "Sneaky", "permissions": [] }),
        ("POST", "/api/v1/users/invite") => {
            json!({ "email": "sneaky@example.com", "role_ids": [Uuid::nil()] })
        }
        ("POST", "/api/v1/auth/switch-organization") => json!({ "organization_id": Uuid::nil() }),
        ("POST", "/api/v1/organizations") => json!({ "name": "Probe's own" }),
        ("POST", "/api/v1/auth/change-password") => {
            json!({ "current_password": "x", "new_password": "y-y-y-y-y-y" })
        }
        ("POST", "/api/v1/auth/mfa/verify") => json!({ "code": "000000" }),
        ("POST", "/api/v1/auth/mfa/disable") => json!({ "password": "x", "code": "000000" }),
        ("POST", "/api/v1/auth/logout") | ("POST", "/api/v1/auth/mfa/enable") => return None,
        (_, p) if p.contains('{') => return None,
        (m, p) if m == "GET" || m == "DELETE" => {
            let _ = p;
            return None;
        }
        (m, p) => panic!("no body for {m} {p}: add one to body_for"),
    })
}

async fn snapshot(app: &TestApp, owner: &Member) -> Value {
    json!({
        "org": app.get_json(&format!("/api/v1/organizations/{}", owner.org_id), &owner.token).await,
        "sub": app.get_json(&format!("/api/v1/organizations/{}/subscription", owner.org_id), &owner.token).await,
        "users": app.get_json("/api/v1/users", &owner.token).await,
        "roles": app.get_json("/api/v1/roles", &owner.token).await,
        "invitations": app.get_json("/api/v1/invitations", &owner.token).await,
        "sessions": app.get_json("/api/v1/auth/sessions", &owner.token).await,
        "teams": app.get_json("/api/v1/teams", &owner.token).await,
        "products": app.get_json("/api/v1/products", &owner.token).await,
        "warehouses": app.get_json("/api/v1/warehouses", &owner.token).await,
        "stock": app.get_json("/api/v1/inventory/stock", &owner.token).await,
        "categories": app.get_json("/api/v1/categories", &owner.token).await,
        "suppliers": app.get_json("/api/v1/suppliers", &owner.token).await,
        "purchase_orders": app.get_json("/api/v1/purchase-orders", &owner.token).await,
        "movements": app.get_json("/api/v1/inventory/movements", &owner.token).await,
        "accounts": app.get_json("/api/v1/accounting/accounts", &owner.token).await,
        "settings": app.get_json("/api/v1/accounting/settings", &owner.token).await,
        "tax_rates": app.get_json("/api/v1/accounting/tax-rates", &owner.token).await,
        "fiscal_years": app.get_json("/api/v1/accounting/fiscal-years", &owner.token).await,
        "journal": app.get_json("/api/v1/accounting/journal", &owner.token).await,
        "customers": app.get_json("/api/v1/customers?active=true", &owner.token).await,
        "archived_customers": app.get_json("/api/v1/customers?active=false", &owner.token).await,
        "contacts": app.get_json("/api/v1/contacts", &owner.token).await,
        "custom_fields": app.get_json("/api/v1/crm/custom-fields", &owner.token).await,
        "leads": app.get_json("/api/v1/leads", &owner.token).await,
        "scoring_rules": app.get_json("/api/v1/crm/lead-scoring-rules", &owner.token).await,
        "pipelines": app.get_json("/api/v1/pipelines", &owner.token).await,
        "lost_reasons": app.get_json("/api/v1/crm/lost-reasons", &owner.token).await,
        "deals": app.get_json("/api/v1/deals", &owner.token).await,
        "activities": app.get_json("/api/v1/activities", &owner.token).await,
        "quotes": app.get_json("/api/v1/quotes", &owner.token).await,
        "sales_orders": app.get_json("/api/v1/sales-orders", &owner.token).await,
        "invoices": app.get_json("/api/v1/invoices", &owner.token).await,
        "credit_notes": app.get_json("/api/v1/credit-notes", &owner.token).await,
        "payments": app.get_json("/api/v1/payments", &owner.token).await,
        "bills": app.get_json("/api/v1/bills", &owner.token).await,
        "supplier_payments": app.get_json("/api/v1/supplier-payments", &owner.token).await,
    })
}

#[tokio::test]
async fn another_organizations_ids_answer_404_and_change_nothing() {
    let app = spawn_app().await;
    let a = app.onboard().await;
    let fixtures = Fixtures::build(&app, &a).await;
    let b = app.onboard().await;
    let before = snapshot(&app, &a).await;
    let audit_before = app.get_json("/api/v1/audit-logs?limit=200", &a.token).await["data"]
        .as_array()
        .unwrap()
        .len();

    let (protected, _) = operations(&app).await;
    let mut checked = 0;
    for op in protected.iter().filter(|o| o.path.contains('{')) {
        let path = fill(&op.path, |kind, param| fixtures.id_for(kind, param));
        let body = body_for(&op.method, &op.path).unwrap_or(json!({}));
        let res = app
            .call(op.method.clone(), &path, Some(&b.token), Some(body))
            .await;
        assert_eq!(
            res.status(),
            404,
            "{} {} with another organization's token",
            op.method,
            op.path
        );
        checked += 1;
    }
    assert!(checked >= 15, "only {checked} operations with path ids");
    assert_eq!(snapshot(&app, &a).await, before, "organization A changed");
    let audit_after = app.get_json("/api/v1/audit-logs?limit=200", &a.token).await["data"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(audit_after, audit_before);
}

/// Writes any member may do to themselves.
const SELF_SERVICE: &[(&str, &str)] = &[
    ("POST", "/api/v1/auth/logout"),
    ("POST", "/api/v1/auth/change-password"),
    ("POST", "/api/v1/auth/switch-organization"),
    ("POST", "/api/v1/organizations"),
    ("DELETE", "/api/v1/auth/sessions/{id}"),
    ("PATCH", "/api/v1/users/me"),
    ("POST", "/api/v1/auth/mfa/enable"),
    ("POST", "/api/v1/auth/mfa/verify"),
    ("POST", "/api/v1/auth/mfa/disable"),
];

#[tokio::test]
async fn a_viewer_gets_403_on_every_administrative_write() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let fixtures = Fixtures::build(&app, &owner).await;
    let viewer = app.add_member(&owner, "viewer").await;
    let before = snapshot(&app, &owner).await;
    let (protected, _) = operations(&app).await;
    let mut checked = 0;
    for op in &protected {
        if op.method == Method::GET
            || SELF_SERVICE.contains(&(op.method.as_str(), op.path.as_str()))
        {
            continue;
        }
        let path = fill(&op.path, |kind, param| fixtures.id_for(kind, param));
        let body = body_for(&op.method, &op.path).unwrap_or(json!({}));
        let res = app
            .call(op.method.clone(), &path, Some(&viewer.token), Some(body))
            .await;
        assert_eq!(res.status(), 403, "{} {} as a viewer", op.method, op.path);
        assert_problem(res, 403, "permission_denied").await;
        checked += 1;
    }
    assert!(checked >= 12, "only {checked} writes checked");
    assert_eq!(
        snapshot(&app, &owner).await,
        before,
        "a viewer changed something"
    );
}

#[tokio::test]
async fn every_protected_operation_documents_a_catalogue_permission() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let catalogue: Vec<String> = app.permission_names(&owner.token).await;
    let spec: Value = app.spec().await;
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if op["security"].as_array().is_none_or(|s| s.is_empty()) {
                continue;
            }
            let text = format!(
                "{} {}",
                op["summary"].as_str().unwrap_or(""),
                op["description"].as_str().unwrap_or("")
            );
            let named = text
                .split("Requires the `")
                .nth(1)
                .and_then(|rest| rest.split('`').next())
                .unwrap_or_else(|| panic!("{method} {path} does not document its permission"));
            assert!(
                catalogue.iter().any(|c| c == named),
                "{method} {path}: unknown permission {named}"
            );
            assert!(
                op["responses"]["401"].is_object(),
                "{method} {path} does not document 401"
            );
        }
    }
}

/// The permission an operation documents, from its OpenAPI description.
fn documented_permission(op: &Value) -> Option<String> {
    let text = op["description"].as_str()?;
    let rest = text.split("Requires the `").nth(1)?;
    rest.split('`').next().map(str::to_string)
}

/// Sets the permissions of a custom role.
async fn grant(app: &TestApp, owner: &Member, role: &str, permissions: Vec<&String>) {
    let res = app
        .call(
            Method::PATCH,
            &format!("/api/v1/roles/{role}"),
            Some(&owner.token),
            Some(json!({ "permissions": permissions })),
        )
        .await;
    assert_eq!(res.status(), 200, "granting {permissions:?}");
}

#[tokio::test]
async fn the_documented_permission_of_every_operation_is_the_one_enforced() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    // The walk makes a few hundred requests: lift the request budget.
    let res = app
        .post_as(
            &format!("/api/v1/organizations/{}/subscription", owner.org_id),
            Some(&owner.token),
            json!({ "plan": "enterprise" }),
        )
        .await;
    assert_eq!(res.status(), 200, "upgrade");
    let fixtures = Fixtures::build(&app, &owner).await;
    let catalogue: Vec<String> = app.permission_names(&owner.token).await;
    let probe_role: Value = app
        .post_as(
            "/api/v1/roles",
            Some(&owner.token),
            json!({ "name": "Probe", "permissions": ["auth.self.manage"] }),
        )
        .await
        .json()
        .await
        .unwrap();
    let probe_role = probe_role["id"].as_str().unwrap().to_string();
    let probe = app.add_member(&owner, "Probe").await;
    let spec: Value = app.spec().await;
    let mut checked = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if op["security"].as_array().is_none_or(|s| s.is_empty()) {
                continue;
            }
            let method: Method = method.to_uppercase().parse().unwrap();
            let named = documented_permission(op)
                .unwrap_or_else(|| panic!("{method} {path} does not document its permission"));
            let url = fill(path, |kind, param| fixtures.id_for(kind, param));
            let body = body_for(&method, path).unwrap_or(json!({}));

            // Everything but the documented permission: refused for it.
            grant(
                &app,
                &owner,
                &probe_role,
                catalogue.iter().filter(|c| **c != named).collect(),
            )
            .await;
            let res = app
                .call(method.clone(), &url, Some(&probe.token), Some(body.clone()))
                .await;
            assert_eq!(res.status(), 403, "{method} {path} without {named}");
            let problem: Value = res.json().await.unwrap();
            assert_eq!(problem["code"], "permission_denied", "{method} {path}");
            assert!(
                problem["detail"].as_str().unwrap().contains(&named),
                "{method} {path} documents {named} but enforces: {}",
                problem["detail"]
            );

            // Only the documented permission: not refused for a permission.
            // (Logging out would end the probe's session for the rest.)
            if (method.as_str(), path.as_str()) != ("POST", "/api/v1/auth/logout") {
                grant(&app, &owner, &probe_role, vec![&named]).await;
                let res = app
                    .call(method.clone(), &url, Some(&probe.token), Some(body))
                    .await;
                let status = res.status();
                let problem: Value = res.json().await.unwrap_or(Value::Null);
                assert_ne!(
                    problem["code"], "permission_denied",
                    "{method} {path} with only {named}: {status} {problem}"
                );
                assert_ne!(status, 401, "{method} {path} with only {named}");
            }
            checked += 1;
        }
    }
    assert!(checked >= 60, "only {checked} operations checked");
}

/// One of each billing resource with an id: an issued invoice with a credit
/// note, a payment, a payment method, a bill and a supplier payment.
struct BillingFixtures {
    invoice: Uuid,
    credit_note: Uuid,
    payment: Uuid,
    payment_method: Uuid,
    bill: Uuid,
    supplier_payment: Uuid,
}

impl BillingFixtures {
    async fn build(
        app: &TestApp,
        owner: &Member,
        crm: &CrmFixtures,
        accounting: &AccountingFixtures,
        supplier: &Value,
    ) -> Self {
        let t = Some(owner.token.as_str());
        let post = |path: String, body: Value| async move {
            created_id(app.post_as(&path, t, body).await).await
        };
        let line = json!({ "description": "Fixture", "quantity": "1", "unit_price": "10" });
        let invoice = post(
            "/api/v1/invoices".into(),
            json!({ "customer_id": crm.customer, "issue": true, "lines": [line] }),
        )
        .await;
        let credit_note = post(
            "/api/v1/credit-notes".into(),
            json!({ "invoice_id": invoice, "amount": "1.00" }),
        )
        .await;
        let payment = post(
            "/api/v1/payments".into(),
            json!({ "customer_id": crm.customer, "amount": "5.00", "method": "cash" }),
        )
        .await;
        let payment_method = post(
            format!("/api/v1/customers/{}/payment-methods", crm.customer),
            payment_method_body(),
        )
        .await;
        let mut bill_line = line.clone();
        bill_line["account_id"] = json!(accounting.account);
        let bill = post(
            "/api/v1/bills".into(),
            json!({ "supplier_id": supplier["id"], "lines": [bill_line] }),
        )
        .await;
        let supplier_payment = post(
            "/api/v1/supplier-payments".into(),
            json!({ "supplier_id": supplier["id"], "amount": "5.00", "method": "bank_transfer" }),
        )
        .await;
        Self {
            invoice,
            credit_note,
            payment,
            payment_method,
            bill,
            supplier_payment,
        }
    }
}

fn payment_method_body() -> Value {
    json!({ "gateway": "stripe", "token": "pm_fixture", "brand": "visa", "last4": "4242", "exp_month": 12, "exp_year": 2030 })
}

/// A valid body for a billing write (`None`: it takes none).
fn billing_body(method: &Method, path: &str) -> Option<Value> {
    let nil = Uuid::nil();
    let line = json!({ "description": "Sneaky", "quantity": "1", "unit_price": "1" });
    let allocations = json!({ "allocations": [{ "invoice_id": nil, "amount": "1.00" }] });
    Some(match (method.as_str(), path) {
        ("POST", "/api/v1/invoices") => json!({ "customer_id": nil, "lines": [line] }),
        ("PATCH", "/api/v1/invoices/{id}") | ("PATCH", "/api/v1/bills/{id}") => {
            json!({ "notes": "Hijacked" })
        }
        ("POST", "/api/v1/sales-orders/{id}/invoice") => json!({ "basis": "ordered" }),
        ("POST", "/api/v1/credit-notes") => json!({ "invoice_id": nil, "amount": "1.00" }),
        ("POST", "/api/v1/credit-notes/{id}/allocate")
        | ("POST", "/api/v1/payments/{id}/allocate") => allocations,
        ("POST", "/api/v1/payments") => {
            json!({ "customer_id": nil, "amount": "1.00", "method": "cash" })
        }
        ("POST", "/api/v1/payments/{id}/refund")
        | ("POST", "/api/v1/supplier-payments/{id}/refund") => json!({ "amount": "1.00" }),
        ("POST", p) if p.ends_with("/payment-methods") => payment_method_body(),
        ("POST", "/api/v1/bills") => json!({ "supplier_id": nil, "lines": [
            { "description": "Sneaky", "quantity": "1", "unit_price": "1", "account_id": nil }
        ] }),
        ("POST", "/api/v1/supplier-payments") => {
            json!({ "supplier_id": nil, "amount": "1.00", "method": "cash" })
        }
        ("POST", "/api/v1/supplier-payments/{id}/allocate") => {
            json!({ "allocations": [{ "bill_id": nil, "amount": "1.00" }] })
        }
        ("POST", p) if p.ends_with("/issue") || p.ends_with("/void") => return None,
        ("GET", _) | ("DELETE", _) => return None,
        // A write without a body here answers 415 where the walk expects
        // 401, 403 or 404, so a missing case still fails the walk.
        _ => return None,
    })
}
