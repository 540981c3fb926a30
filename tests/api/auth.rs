//! Identity and access: onboarding, sessions, passwords, members, roles,
//! plans and the audit log, through HTTP.

use reqwest::Method;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::{PASSWORD, assert_problem, spawn_app, spawn_sibling};

#[tokio::test]
async fn onboarding_creates_an_owner_whose_token_works() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let me = app.get_json("/api/v1/auth/me", &owner.token).await;
    assert_eq!(me["organization"]["id"], owner.org_id.to_string());
    assert_eq!(me["user"]["roles"][0]["name"], "owner");
    let perms: Vec<&str> = me["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert!(perms.contains(&"auth.subscription.manage"));
    let roles = app.get_json("/api/v1/roles", &owner.token).await;
    let names: Vec<&str> = roles["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    for system in ["owner", "admin", "manager", "member", "viewer"] {
        assert!(names.contains(&system), "{system} missing: {names:?}");
    }
    let sub = app
        .get_json(
            &format!("/api/v1/organizations/{}/subscription", owner.org_id),
            &owner.token,
        )
        .await;
    assert_eq!(sub["plan"]["code"], "free");
    assert_eq!(sub["seats_used"], 1);
}

#[tokio::test]
async fn register_derives_the_organization_name_and_emails_are_unique_case_insensitively() {
    let app = spawn_app().await;
    let res = app
        .post_as(
            "/api/v1/auth/register",
            None,
            json!({ "email": "Grace@Example.com", "password": PASSWORD, "full_name": "Grace Hopper" }),
        )
        .await;
    assert_eq!(res.status(), 201);
    assert!(
        res.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/api/v1/organizations/")
    );
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["organization"]["name"], "Grace Hopper's organization");
    assert_eq!(body["token_type"], "Bearer");

    let again = app
        .post_as(
            "/api/v1/organizations/onboard",
            None,
            json!({ "organization_name": "X", "email": "grace@EXAMPLE.com", "password": PASSWORD, "full_name": "G" }),
        )
        .await;
    assert_problem(again, 409, "email_taken").await;
}

#[tokio::test]
async fn weak_passwords_and_bad_input_are_422_naming_the_field() {
    let app = spawn_app().await;
    for (password, code) in [("short", "length"), ("Password123", "common_password")] {
        let res = app
            .post_as(
                "/api/v1/auth/register",
                None,
                json!({ "email": "weak@example.com", "password": password, "full_name": "W" }),
            )
            .await;
        let body = assert_problem(res, 422, "validation_failed").await;
        assert_eq!(body["errors"][0]["field"], "password");
        assert_eq!(body["errors"][0]["code"], code);
    }
    let res = app
        .post_as(
            "/api/v1/auth/register",
            None,
            json!({ "email": "nope", "password": PASSWORD, "full_name": "W" }),
        )
        .await;
    let body = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "email");
}

#[tokio::test]
async fn login_refuses_a_wrong_password_and_an_unknown_email_alike() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let ok = app.login(&owner.email.to_uppercase(), PASSWORD, None).await;
    assert_eq!(ok.status(), 200);
    let wrong = assert_problem(
        app.login(&owner.email, "wrong-password-123", None).await,
        401,
        "invalid_credentials",
    )
    .await;
    let unknown = assert_problem(
        app.login("nobody@example.com", PASSWORD, None).await,
        401,
        "invalid_credentials",
    )
    .await;
    assert_eq!(wrong["detail"], unknown["detail"]);
    // The failed attempt is audited.
    let logs = app
        .get_json("/api/v1/audit-logs?action=auth.login.failed", &owner.token)
        .await;
    assert_eq!(logs["data"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn repeated_failed_logins_are_rate_limited_with_retry_after() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    for _ in 0..10 {
        let res = app.login(&owner.email, "wrong-password-123", None).await;
        assert_eq!(res.status(), 401);
    }
    let res = app.login(&owner.email, PASSWORD, None).await;
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry > 0 && retry <= 900, "{retry}");
    assert_problem(res, 429, "rate_limited").await;
}

#[tokio::test]
async fn refresh_rotates_and_a_reused_token_revokes_the_whole_family() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let first = app
        .post_as(
            "/api/v1/auth/refresh",
            None,
            json!({ "refresh_token": owner.refresh }),
        )
        .await;
    assert_eq!(first.status(), 200);
    let first: Value = first.json().await.unwrap();
    let (access2, refresh2) = (
        first["access_token"].as_str().unwrap(),
        first["refresh_token"].as_str().unwrap(),
    );
    assert_ne!(refresh2, owner.refresh);
    assert_eq!(app.get_as("/api/v1/auth/me", access2).await.status(), 200);

    // The old token again: reuse. The family dies, including the new tokens.
    let reuse = app
        .post_as(
            "/api/v1/auth/refresh",
            None,
            json!({ "refresh_token": owner.refresh }),
        )
        .await;
    assert_problem(reuse, 401, "unauthorized").await;
    assert_problem(
        app.get_as("/api/v1/auth/me", access2).await,
        401,
        "unauthorized",
    )
    .await;
    assert_problem(
        app.get_as("/api/v1/auth/me", &owner.token).await,
        401,
        "unauthorized",
    )
    .await;
    let again = app
        .post_as(
            "/api/v1/auth/refresh",
            None,
            json!({ "refresh_token": refresh2 }),
        )
        .await;
    assert_problem(again, 401, "unauthorized").await;

    // Audited against the organization.
    let fresh = app
        .login(&owner.email, PASSWORD, None)
        .await
        .json::<Value>()
        .await
        .unwrap();
    let logs = app
        .get_json(
            "/api/v1/audit-logs?action=auth.refresh_token.reused",
            fresh["access_token"].as_str().unwrap(),
        )
        .await;
    assert_eq!(logs["data"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn logout_is_immediate_and_all_ends_every_session() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let second: Value = app
        .login(&owner.email, PASSWORD, None)
        .await
        .json()
        .await
        .unwrap();
    let second = second["access_token"].as_str().unwrap().to_string();

    let sessions = app.get_json("/api/v1/auth/sessions", &owner.token).await;
    assert_eq!(sessions["data"].as_array().unwrap().len(), 2);

    let res = app
        .call(
            Method::POST,
            "/api/v1/auth/logout",
            Some(&owner.token),
            None,
        )
        .await;
    assert_eq!(res.status(), 204);
    assert_problem(
        app.get_as("/api/v1/auth/me", &owner.token).await,
        401,
        "unauthorized",
    )
    .await;
    assert_eq!(app.get_as("/api/v1/auth/me", &second).await.status(), 200);

    let third: Value = app
        .login(&owner.email, PASSWORD, None)
        .await
        .json()
        .await
        .unwrap();
    let third = third["access_token"].as_str().unwrap().to_string();
    let res = app
        .post_as("/api/v1/auth/logout", Some(&third), json!({ "all": true }))
        .await;
    assert_eq!(res.status(), 204);
    assert_eq!(app.get_as("/api/v1/auth/me", &second).await.status(), 401);
    assert_eq!(app.get_as("/api/v1/auth/me", &third).await.status(), 401);
}

#[tokio::test]
async fn a_revoked_session_is_refused_by_a_second_process_sharing_the_cache() {
    let app = spawn_app().await;
    if app.state.cache.backend_name() != "redis" {
        eprintln!("skipped: needs TEST_REDIS_URL (processes share revocations through Redis)");
        return;
    }
    let sibling = spawn_sibling(&app).await;
    let owner = app.onboard().await;
    // The sibling has seen (and cached) the live session.
    assert_eq!(
        sibling
            .get_as("/api/v1/auth/me", &owner.token)
            .await
            .status(),
        200
    );
    let res = app
        .call(
            Method::POST,
            "/api/v1/auth/logout",
            Some(&owner.token),
            None,
        )
        .await;
    assert_eq!(res.status(), 204);
    assert_problem(
        sibling.get_as("/api/v1/auth/me", &owner.token).await,
        401,
        "unauthorized",
    )
    .await;
}

#[tokio::test]
async fn one_session_can_be_ended_from_another() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let other: Value = app
        .login(&owner.email, PASSWORD, None)
        .await
        .json()
        .await
        .unwrap();
    let other_token = other["access_token"].as_str().unwrap();
    let me = app.get_json("/api/v1/auth/me", other_token).await;
    let other_sid = me["session_id"].as_str().unwrap();
    let res = app
        .call(
            Method::DELETE,
            &format!("/api/v1/auth/sessions/{other_sid}"),
            Some(&owner.token),
            None,
        )
        .await;
    assert_eq!(res.status(), 204);
    assert_eq!(
        app.get_as("/api/v1/auth/me", other_token).await.status(),
        401
    );
    assert_eq!(
        app.get_as("/api/v1/auth/me", &owner.token).await.status(),
        200
    );
    // Another person's session id is a 404.
    let stranger = app.onboard().await;
    let me = app.get_json("/api/v1/auth/me", &stranger.token).await;
    let res = app
        .call(
            Method::DELETE,
            &format!(
                "/api/v1/auth/sessions/{}",
                me["session_id"].as_str().unwrap()
            ),
            Some(&owner.token),
            None,
        )
        .await;
    assert_problem(res, 404, "not_found").await;
}

#[tokio::test]
async fn a_person_in_two_organizations_chooses_and_switches() {
    let app = spawn_app().await;
    let a = app.onboard().await;
    let b = app.onboard().await;
    // B's owner invites A's owner into B as a member; A accepts with their password.
    let member_role = app.role_id(&b.token, "member").await;
    let res = app
        .post_as(
            "/api/v1/users/invite",
            Some(&b.token),
            json!({ "email": a.email, "role_ids": [member_role] }),
        )
        .await;
    assert_eq!(res.status(), 201);
    let token = app.mailed_token(&a.email).await.unwrap();
    let wrong = app
        .post_as(
            "/api/v1/invitations/accept",
            None,
            json!({ "token": token, "password": "not-my-password" }),
        )
        .await;
    assert_problem(wrong, 401, "invalid_credentials").await;
    let res = app
        .post_as(
            "/api/v1/invitations/accept",
            None,
            json!({ "token": token, "password": PASSWORD }),
        )
        .await;
    assert_eq!(res.status(), 200);

    let body = assert_problem(
        app.login(&a.email, PASSWORD, None).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "organization_id");
    let in_b: Value = app
        .login(&a.email, PASSWORD, Some(b.org_id))
        .await
        .json()
        .await
        .unwrap();
    let me = app
        .get_json("/api/v1/auth/me", in_b["access_token"].as_str().unwrap())
        .await;
    assert_eq!(me["organization"]["id"], b.org_id.to_string());
    assert_eq!(me["memberships"].as_array().unwrap().len(), 2);

    let switched = app
        .post_as(
            "/api/v1/auth/switch-organization",
            Some(&a.token),
            json!({ "organization_id": b.org_id }),
        )
        .await;
    assert_eq!(switched.status(), 200);
    let switched: Value = switched.json().await.unwrap();
    let me = app
        .get_json(
            "/api/v1/auth/me",
            switched["access_token"].as_str().unwrap(),
        )
        .await;
    assert_eq!(me["organization"]["id"], b.org_id.to_string());
    assert_eq!(me["user"]["roles"][0]["name"], "member");

    let stranger = app.onboard().await;
    let res = app
        .post_as(
            "/api/v1/auth/switch-organization",
            Some(&a.token),
            json!({ "organization_id": stranger.org_id }),
        )
        .await;
    assert_problem(res, 404, "not_found").await;
}

#[tokio::test]
async fn changing_the_password_ends_the_other_sessions() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let other: Value = app
        .login(&owner.email, PASSWORD, None)
        .await
        .json()
        .await
        .unwrap();
    let other = other["access_token"].as_str().unwrap();
    let wrong = app
        .post_as(
            "/api/v1/auth/change-password",
            Some(&owner.token),
            json!({ "current_password": "nope-nope-nope", "new_password": "a-brand-new-secret" }),
        )
        .await;
    let body = assert_problem(wrong, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "current_password");
    let res = app
        .post_as(
            "/api/v1/auth/change-password",
            Some(&owner.token),
            json!({ "current_password": PASSWORD, "new_password": "a-brand-new-secret" }),
        )
        .await;
    assert_eq!(res.status(), 204);
    assert_eq!(
        app.get_as("/api/v1/auth/me", &owner.token).await.status(),
        200
    );
    assert_eq!(app.get_as("/api/v1/auth/me", other).await.status(), 401);
    assert_eq!(app.login(&owner.email, PASSWORD, None).await.status(), 401);
    assert_eq!(
        app.login(&owner.email, "a-brand-new-secret", None)
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn a_password_reset_is_single_use_and_ends_every_session() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let res = app
        .post_as(
            "/api/v1/auth/forgot-password",
            None,
            json!({ "email": "ghost@example.com" }),
        )
        .await;
    assert_eq!(res.status(), 202);
    assert!(
        app.mailed_token("ghost@example.com").await.is_none(),
        "no mail for unknown accounts"
    );

    let res = app
        .post_as(
            "/api/v1/auth/forgot-password",
            None,
            json!({ "email": owner.email }),
        )
        .await;
    assert_eq!(res.status(), 202);
    let token = app
        .awaited_mailed_token(&owner.email)
        .await
        .expect("reset mail in the outbox");
    let reset = json!({ "token": token, "new_password": "another-fine-secret" });
    assert_eq!(
        app.post_as("/api/v1/auth/reset-password", None, reset.clone())
            .await
            .status(),
        204
    );
    assert_problem(
        app.post_as("/api/v1/auth/reset-password", None, reset)
            .await,
        400,
        "invalid_reset_token",
    )
    .await;
    assert_eq!(
        app.get_as("/api/v1/auth/me", &owner.token).await.status(),
        401
    );
    assert_eq!(
        app.login(&owner.email, "another-fine-secret", None)
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn unknown_fields_such_as_organization_id_roles_or_is_owner_are_422() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    for field in ["organization_id", "roles", "is_owner"] {
        let mut body = json!({ "full_name": "X" });
        body[field] = json!(true);
        let res = app
            .call(
                Method::PATCH,
                "/api/v1/users/me",
                Some(&owner.token),
                Some(body),
            )
            .await;
        let problem = assert_problem(res, 422, "validation_failed").await;
        assert_eq!(problem["errors"][0]["field"], field);
        assert_eq!(problem["errors"][0]["code"], "unknown_field");
    }
    let me = app.get_json("/api/v1/users/me", &owner.token).await;
    assert_eq!(me["full_name"], "Owner Person", "nothing changed");
}

/// Secrets that must never appear in any response body.
fn assert_no_secrets(body: &str, refresh_tokens: &[&str]) {
    for marker in ["$2b$", "$2a$", "password_hash", "token_hash", "totp_secret"] {
        assert!(!body.contains(marker), "response leaks {marker}: {body}");
    }
    for t in refresh_tokens {
        let hash: String = Sha256::digest(t.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert!(!body.contains(&hash), "response leaks a token hash");
    }
}

#[tokio::test]
async fn no_response_contains_a_password_hash_or_token_hash() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let member = app.add_member(&owner, "member").await;
    let paths = [
        "/api/v1/auth/me".to_string(),
        "/api/v1/auth/sessions".into(),
        "/api/v1/users".into(),
        "/api/v1/users/me".into(),
        format!("/api/v1/users/{}", member.user_id),
        "/api/v1/roles".into(),
        "/api/v1/invitations".into(),
        "/api/v1/audit-logs".into(),
        format!("/api/v1/organizations/{}", owner.org_id),
    ];
    for p in &paths {
        let text = app.get_as(p, &owner.token).await.text().await.unwrap();
        assert_no_secrets(&text, &[&owner.refresh, &member.refresh]);
    }
    let login = app
        .login(&owner.email, PASSWORD, None)
        .await
        .text()
        .await
        .unwrap();
    assert_no_secrets(&login, &[&owner.refresh]);
}

#[tokio::test]
async fn the_last_owner_cannot_be_deactivated_or_demoted() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let owner_role = app.role_id(&owner.token, "owner").await;
    let res = app
        .post_as(
            &format!("/api/v1/users/{}/deactivate", owner.user_id),
            Some(&owner.token),
            json!({}),
        )
        .await;
    assert_problem(res, 409, "last_owner").await;
    let res = app
        .call(
            Method::DELETE,
            &format!("/api/v1/users/{}/roles/{owner_role}", owner.user_id),
            Some(&owner.token),
            None,
        )
        .await;
    assert_problem(res, 409, "last_owner").await;

    // With a second owner, the first may step down.
    let admin = app.add_member(&owner, "admin").await;
    let res = app
        .post_as(
            &format!("/api/v1/users/{}/roles/{owner_role}", admin.user_id),
            Some(&owner.token),
            json!({}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = app
        .call(
            Method::DELETE,
            &format!("/api/v1/users/{}/roles/{owner_role}", owner.user_id),
            Some(&owner.token),
            None,
        )
        .await;
    assert_eq!(res.status(), 204);
}

#[tokio::test]
async fn deactivating_a_member_ends_their_sessions_at_once() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let member = app.add_member(&owner, "member").await;
    assert_eq!(
        app.get_as("/api/v1/auth/me", &member.token).await.status(),
        200
    );
    let res = app
        .post_as(
            &format!("/api/v1/users/{}/deactivate", member.user_id),
            Some(&owner.token),
            json!({}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["active"], false);
    assert_eq!(
        app.get_as("/api/v1/auth/me", &member.token).await.status(),
        401
    );
    assert_problem(
        app.login(&member.email, PASSWORD, None).await,
        403,
        "no_membership",
    )
    .await;
    let res = app
        .post_as(
            &format!("/api/v1/users/{}/activate", member.user_id),
            Some(&owner.token),
            json!({}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(app.login(&member.email, PASSWORD, None).await.status(), 200);
}

#[tokio::test]
async fn custom_roles_are_validated_and_permission_changes_apply_on_the_next_request() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let bad = app
        .post_as(
            "/api/v1/roles",
            Some(&owner.token),
            json!({ "name": "Auditor", "permissions": ["auth.audit.read", "x.y.z"] }),
        )
        .await;
    let body = assert_problem(bad, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "permissions");

    let res = app
        .post_as(
            "/api/v1/roles",
            Some(&owner.token),
            json!({ "name": "Auditor", "permissions": ["auth.audit.read"] }),
        )
        .await;
    assert_eq!(res.status(), 201);
    let role: Value = res.json().await.unwrap();
    let role_id = role["id"].as_str().unwrap().to_string();
    let dup = app
        .post_as(
            "/api/v1/roles",
            Some(&owner.token),
            json!({ "name": "Auditor", "permissions": [] }),
        )
        .await;
    assert_problem(dup, 409, "role_name_taken").await;

    let member = app.add_member(&owner, "member").await;
    assert_problem(
        app.get_as("/api/v1/audit-logs", &member.token).await,
        403,
        "permission_denied",
    )
    .await;
    let res = app
        .post_as(
            &format!("/api/v1/users/{}/roles/{role_id}", member.user_id),
            Some(&owner.token),
            json!({}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        app.get_as("/api/v1/audit-logs", &member.token)
            .await
            .status(),
        200
    );

    let res = app
        .call(
            Method::PATCH,
            &format!("/api/v1/roles/{role_id}"),
            Some(&owner.token),
            Some(json!({ "permissions": [] })),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_problem(
        app.get_as("/api/v1/audit-logs", &member.token).await,
        403,
        "permission_denied",
    )
    .await;

    let in_use = app
        .call(
            Method::DELETE,
            &format!("/api/v1/roles/{role_id}"),
            Some(&owner.token),
            None,
        )
        .await;
    assert_problem(in_use, 409, "role_in_use").await;
    let viewer = app.role_id(&owner.token, "viewer").await;
    let system = app
        .call(
            Method::PATCH,
            &format!("/api/v1/roles/{viewer}"),
            Some(&owner.token),
            Some(json!({ "name": "v" })),
        )
        .await;
    assert_problem(system, 409, "system_role_immutable").await;
    let res = app
        .call(
            Method::DELETE,
            &format!("/api/v1/users/{}/roles/{role_id}", member.user_id),
            Some(&owner.token),
            None,
        )
        .await;
    assert_eq!(res.status(), 204);
    let res = app
        .call(
            Method::DELETE,
            &format!("/api/v1/roles/{role_id}"),
            Some(&owner.token),
            None,
        )
        .await;
    assert_eq!(res.status(), 204);
}

#[tokio::test]
async fn users_are_listed_with_filters_and_cursor_pages() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let viewer = app.add_member(&owner, "viewer").await;
    app.post_as(
        &format!("/api/v1/users/{}/deactivate", viewer.user_id),
        Some(&owner.token),
        json!({}),
    )
    .await;
    let all = app.get_json("/api/v1/users", &owner.token).await;
    assert_eq!(all["data"].as_array().unwrap().len(), 2);
    let active = app
        .get_json("/api/v1/users?active=true", &owner.token)
        .await;
    assert_eq!(active["data"].as_array().unwrap().len(), 1);
    let inactive = app
        .get_json("/api/v1/users?active=false", &owner.token)
        .await;
    assert_eq!(inactive["data"][0]["id"], viewer.user_id.to_string());
    let viewer_role = app.role_id(&owner.token, "viewer").await;
    let by_role = app
        .get_json(&format!("/api/v1/users?role={viewer_role}"), &owner.token)
        .await;
    assert_eq!(by_role["data"].as_array().unwrap().len(), 1);
    let by_q = app
        .get_json("/api/v1/users?q=owner%20pers", &owner.token)
        .await;
    assert_eq!(by_q["data"][0]["id"], owner.user_id.to_string());

    let page1 = app.get_json("/api/v1/users?limit=1", &owner.token).await;
    assert_eq!(page1["has_more"], true);
    let cursor = page1["next_cursor"].as_str().unwrap();
    let page2 = app
        .get_json(
            &format!("/api/v1/users?limit=1&cursor={cursor}"),
            &owner.token,
        )
        .await;
    assert_eq!(page2["has_more"], false);
    assert_ne!(page1["data"][0]["id"], page2["data"][0]["id"]);
    assert_problem(
        app.get_as("/api/v1/users?cursor=forged", &owner.token)
            .await,
        400,
        "invalid_cursor",
    )
    .await;
}

#[tokio::test]
async fn a_stale_if_match_is_412_and_a_fresh_one_succeeds() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let path = format!("/api/v1/organizations/{}", owner.org_id);
    let res = app.get_as(&path, &owner.token).await;
    assert_eq!(res.headers()["etag"], "\"1\"");
    let patch = |tag: &'static str| {
        app.client
            .patch(app.url(&path))
            .bearer_auth(&owner.token)
            .header("If-Match", tag)
            .json(&json!({ "name": "Renamed" }))
            .send()
    };
    let ok = patch("\"1\"").await.unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.headers()["etag"], "\"2\"");
    assert_problem(patch("\"1\"").await.unwrap(), 412, "version_mismatch").await;
    let audit = app
        .get_json(
            "/api/v1/audit-logs?action=auth.organization.updated",
            &owner.token,
        )
        .await;
    assert_eq!(audit["data"][0]["changes"]["name"][1], "Renamed");
}

#[tokio::test]
async fn plans_are_public_and_only_owners_change_them_within_seat_limits() {
    let app = spawn_app().await;
    let plans: Value = app
        .get("/api/v1/subscriptions/plans")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(plans.as_array().unwrap().len(), 4);
    let owner = app.onboard().await;
    let admin = app.add_member(&owner, "admin").await;
    let path = format!("/api/v1/organizations/{}/subscription", owner.org_id);
    assert_problem(
        app.post_as(&path, Some(&admin.token), json!({ "plan": "pro" }))
            .await,
        403,
        "permission_denied",
    )
    .await;
    let res = app
        .post_as(&path, Some(&owner.token), json!({ "plan": "pro" }))
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["plan"]["code"], "pro");
    let bad = app
        .post_as(&path, Some(&owner.token), json!({ "plan": "platinum" }))
        .await;
    assert_problem(bad, 422, "validation_failed").await;
}

#[tokio::test]
async fn the_free_plan_caps_seats_at_three() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    app.add_member(&owner, "member").await;
    app.add_member(&owner, "member").await;
    let role = app.role_id(&owner.token, "member").await;
    let res = app
        .post_as(
            "/api/v1/users/invite",
            Some(&owner.token),
            json!({ "email": "fourth@example.com", "role_ids": [role] }),
        )
        .await;
    assert_problem(res, 403, "plan_limit_exceeded").await;
}

#[tokio::test]
async fn invitations_can_be_listed_revoked_and_are_single_use() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let role = app.role_id(&owner.token, "viewer").await;
    let res = app
        .post_as(
            "/api/v1/users/invite",
            Some(&owner.token),
            json!({ "email": "inv@example.com", "role_ids": [role] }),
        )
        .await;
    let inv: Value = res.json().await.unwrap();
    assert_eq!(inv["status"], "pending");
    let listed = app.get_json("/api/v1/invitations", &owner.token).await;
    assert_eq!(listed["data"][0]["id"], inv["id"]);
    let token = app.mailed_token("inv@example.com").await.unwrap();
    let res = app
        .call(
            Method::DELETE,
            &format!("/api/v1/invitations/{}", inv["id"].as_str().unwrap()),
            Some(&owner.token),
            None,
        )
        .await;
    assert_eq!(res.status(), 204);
    let accept = json!({ "token": token, "password": PASSWORD, "full_name": "Late" });
    assert_problem(
        app.post_as("/api/v1/invitations/accept", None, accept)
            .await,
        400,
        "invalid_invitation",
    )
    .await;

    let unknown_role = app
        .post_as(
            "/api/v1/users/invite",
            Some(&owner.token),
            json!({ "email": "x@example.com", "role_ids": [uuid::Uuid::now_v7()] }),
        )
        .await;
    assert_problem(unknown_role, 422, "validation_failed").await;
}

#[tokio::test]
async fn the_audit_log_records_mutations_and_filters_them() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    app.call(
        Method::PATCH,
        "/api/v1/users/me",
        Some(&owner.token),
        Some(json!({ "full_name": "Ada L." })),
    )
    .await;
    let all = app.get_json("/api/v1/audit-logs", &owner.token).await;
    let actions: Vec<&str> = all["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions[0], "auth.user.updated", "newest first: {actions:?}");
    assert!(actions.contains(&"auth.organization.created"));
    let by_entity = app
        .get_json(
            &format!(
                "/api/v1/audit-logs?entity_type=user&entity_id={}&actor={}",
                owner.user_id, owner.user_id
            ),
            &owner.token,
        )
        .await;
    assert!(
        by_entity["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["entity_id"] == owner.user_id.to_string())
    );
    let future = app
        .get_json("/api/v1/audit-logs?from=2999-01-01T00:00:00Z", &owner.token)
        .await;
    assert!(future["data"].as_array().unwrap().is_empty());
    let page = app
        .get_json("/api/v1/audit-logs?limit=1", &owner.token)
        .await;
    assert_eq!(page["has_more"], true);
    // Every record carries the request id of the request that made it.
    assert!(all["data"][0]["request_id"].is_string());
}

#[tokio::test]
async fn authenticated_requests_are_limited_per_organization_by_plan() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let res = app.get_as("/api/v1/permissions", &owner.token).await;
    assert_eq!(
        res.headers()["ratelimit-limit"],
        "600",
        "Free plan: 600 per minute"
    );
    assert_eq!(res.headers()["ratelimit-remaining"], "599");
    assert!(res.headers().contains_key("ratelimit-reset"));
    // Use up the rest of the minute's budget, eight at a time.
    for _ in 0..(599 / 8 + 1) {
        let batch: Vec<_> = (0..8)
            .map(|_| app.get_as("/api/v1/permissions", &owner.token))
            .collect();
        futures::future::join_all(batch).await;
    }
    let res = app.get_as("/api/v1/permissions", &owner.token).await;
    assert_eq!(res.headers()["ratelimit-remaining"], "0");
    assert!(res.headers().contains_key("retry-after"));
    assert_problem(res, 429, "rate_limited").await;
    // Another organization has its own budget.
    let other = app.onboard().await;
    assert_eq!(
        app.get_as("/api/v1/permissions", &other.token)
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn a_demo_organization_is_made_once_in_development_and_never_in_production() {
    use mainstay::{modules::auth::api::ensure_demo_organization, platform::config::Environment};
    let prod = crate::helpers::spawn_app_with(|s| s.environment = Environment::Production).await;
    assert!(
        ensure_demo_organization(&prod.state)
            .await
            .unwrap()
            .is_none()
    );

    let dev = crate::helpers::spawn_app_with(|s| s.environment = Environment::Development).await;
    let creds = ensure_demo_organization(&dev.state)
        .await
        .unwrap()
        .expect("demo created");
    assert_eq!(
        dev.login(&creds.email, &creds.password, None)
            .await
            .status(),
        200
    );
    assert!(
        ensure_demo_organization(&dev.state)
            .await
            .unwrap()
            .is_none(),
        "only once"
    );
}

#[tokio::test]
async fn teams_form_a_tree_without_cycles_and_hold_members() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let member = app.add_member(&owner, "member").await;
    let create = |body: Value| app.post_as("/api/v1/teams", Some(&owner.token), body);
    let root: Value = create(json!({ "name": "Support", "lead_user_id": owner.user_id }))
        .await
        .json()
        .await
        .unwrap();
    let root_id = root["id"].as_str().unwrap().to_string();
    let res = create(json!({ "name": "Support EMEA", "parent_id": root_id })).await;
    assert_eq!(res.status(), 201);
    let child: Value = res.json().await.unwrap();
    let child_id = child["id"].as_str().unwrap().to_string();
    assert_problem(
        create(json!({ "name": "Support" })).await,
        409,
        "team_name_taken",
    )
    .await;
    let bad_lead = create(json!({ "name": "X", "lead_user_id": uuid::Uuid::now_v7() })).await;
    assert_problem(bad_lead, 422, "validation_failed").await;

    // Making the root a child of its own child is a cycle.
    let cycle = app
        .call(
            Method::PATCH,
            &format!("/api/v1/teams/{root_id}"),
            Some(&owner.token),
            Some(json!({ "parent_id": child_id })),
        )
        .await;
    let body = assert_problem(cycle, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["code"], "cycle");
    let itself = app
        .call(
            Method::PATCH,
            &format!("/api/v1/teams/{root_id}"),
            Some(&owner.token),
            Some(json!({ "parent_id": root_id })),
        )
        .await;
    assert_problem(itself, 422, "validation_failed").await;

    let res = app
        .post_as(
            &format!("/api/v1/teams/{child_id}/members/{}", member.user_id),
            Some(&owner.token),
            json!({}),
        )
        .await;
    assert_eq!(
        res.json::<Value>().await.unwrap()["member_ids"][0],
        member.user_id.to_string()
    );
    let filtered = app
        .get_json(&format!("/api/v1/users?team={child_id}"), &owner.token)
        .await;
    assert_eq!(filtered["data"].as_array().unwrap().len(), 1);
    assert_eq!(filtered["data"][0]["id"], member.user_id.to_string());

    let has_child = app
        .call(
            Method::DELETE,
            &format!("/api/v1/teams/{root_id}"),
            Some(&owner.token),
            None,
        )
        .await;
    assert_problem(has_child, 409, "team_has_children").await;
    let res = app
        .call(
            Method::DELETE,
            &format!("/api/v1/teams/{child_id}/members/{}", member.user_id),
            Some(&owner.token),
            None,
        )
        .await;
    assert_eq!(res.status(), 204);
    // Clearing the parent with null makes the child top-level; then the root can go.
    let res = app
        .call(
            Method::PATCH,
            &format!("/api/v1/teams/{child_id}"),
            Some(&owner.token),
            Some(json!({ "parent_id": null })),
        )
        .await;
    assert_eq!(res.json::<Value>().await.unwrap()["parent_id"], Value::Null);
    assert_eq!(
        app.call(
            Method::DELETE,
            &format!("/api/v1/teams/{root_id}"),
            Some(&owner.token),
            None
        )
        .await
        .status(),
        204
    );
    // A member can read teams but not manage them.
    assert_eq!(
        app.get_as("/api/v1/teams", &member.token).await.status(),
        200
    );
    assert_problem(
        app.post_as(
            "/api/v1/teams",
            Some(&member.token),
            json!({ "name": "Mine" }),
        )
        .await,
        403,
        "permission_denied",
    )
    .await;
}

fn totp(secret: &str, offset_secs: i64) -> String {
    mainstay::modules::auth::api::totp_code(secret, chrono::Utc::now().timestamp() + offset_secs)
        .unwrap()
}

/// Enrols the owner in MFA; returns (secret, the code spent confirming it, recovery codes).
async fn enrol(app: &crate::helpers::TestApp, token: &str) -> (String, String, Vec<String>) {
    let res = app
        .post_as("/api/v1/auth/mfa/enable", Some(token), json!({}))
        .await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    let secret = body["secret"].as_str().unwrap().to_string();
    assert!(
        body["otpauth_uri"]
            .as_str()
            .unwrap()
            .starts_with("otpauth://totp/Mainstay%3A")
    );
    let wrong = app
        .post_as(
            "/api/v1/auth/mfa/verify",
            Some(token),
            json!({ "code": "000000" }),
        )
        .await;
    if wrong.status() != 200 {
        assert_problem(wrong, 422, "validation_failed").await;
    }
    let spent = totp(&secret, 0);
    let res = app
        .post_as(
            "/api/v1/auth/mfa/verify",
            Some(token),
            json!({ "code": spent }),
        )
        .await;
    assert_eq!(res.status(), 200);
    let codes: Vec<String> = res.json::<Value>().await.unwrap()["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    assert_eq!(codes.len(), 10);
    (secret, spent, codes)
}

/// Signs in an MFA user: the answer is a challenge, not tokens.
async fn mfa_token(app: &crate::helpers::TestApp, email: &str) -> String {
    let res = app.login(email, PASSWORD, None).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["mfa_required"], true);
    assert!(
        body.get("access_token").is_none(),
        "no tokens before the second factor"
    );
    body["mfa_token"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn mfa_login_needs_a_fresh_code_or_a_recovery_code_once() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    let (secret, spent, codes) = enrol(&app, &owner.token).await;
    for path in ["/api/v1/auth/me", "/api/v1/users/me", "/api/v1/users"] {
        let text = app.get_as(path, &owner.token).await.text().await.unwrap();
        assert!(!text.contains(&secret), "{path} leaks the TOTP secret");
        assert!(
            !codes.iter().any(|c| text.contains(c.as_str())),
            "{path} leaks a recovery code"
        );
    }
    assert_eq!(
        app.get_json("/api/v1/users/me", &owner.token).await["mfa_enabled"],
        true
    );

    // The enrolment code's time step is spent: the same code cannot sign in.
    let t = mfa_token(&app, &owner.email).await;
    let replay = app
        .post_as(
            "/api/v1/auth/mfa/challenge",
            None,
            json!({ "mfa_token": t, "code": spent }),
        )
        .await;
    assert_problem(replay, 401, "invalid_mfa_code").await;
    // The next step's code works once.
    let next = totp(&secret, 30);
    let ok = app
        .post_as(
            "/api/v1/auth/mfa/challenge",
            None,
            json!({ "mfa_token": t, "code": next }),
        )
        .await;
    assert_eq!(ok.status(), 200);
    let tokens: Value = ok.json().await.unwrap();
    assert_eq!(
        app.get_as("/api/v1/auth/me", tokens["access_token"].as_str().unwrap())
            .await
            .status(),
        200
    );
    // The challenge token is single-use.
    let again = app
        .post_as(
            "/api/v1/auth/mfa/challenge",
            None,
            json!({ "mfa_token": t, "code": next }),
        )
        .await;
    assert_problem(again, 401, "unauthorized").await;

    // A recovery code works exactly once.
    let t = mfa_token(&app, &owner.email).await;
    let ok = app
        .post_as(
            "/api/v1/auth/mfa/challenge",
            None,
            json!({ "mfa_token": t, "recovery_code": codes[0] }),
        )
        .await;
    assert_eq!(ok.status(), 200);
    let t = mfa_token(&app, &owner.email).await;
    let reused = app
        .post_as(
            "/api/v1/auth/mfa/challenge",
            None,
            json!({ "mfa_token": t, "recovery_code": codes[0] }),
        )
        .await;
    assert_problem(reused, 401, "invalid_mfa_code").await;

    // Disabling needs the password and a code; then login gives tokens directly.
    let bad = app
        .post_as(
            "/api/v1/auth/mfa/disable",
            Some(&owner.token),
            json!({ "password": "wrong-password-1", "code": codes[1] }),
        )
        .await;
    assert_problem(bad, 422, "validation_failed").await;
    let res = app
        .post_as(
            "/api/v1/auth/mfa/disable",
            Some(&owner.token),
            json!({ "password": PASSWORD, "code": codes[1] }),
        )
        .await;
    assert_eq!(res.status(), 204);
    let res = app.login(&owner.email, PASSWORD, None).await;
    assert!(res.json::<Value>().await.unwrap()["access_token"].is_string());
    let logs = app
        .get_json("/api/v1/audit-logs?action=auth.mfa.enabled", &owner.token)
        .await;
    assert_eq!(logs["data"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn mfa_challenges_are_rate_limited_after_repeated_failures() {
    let app = spawn_app().await;
    let owner = app.onboard().await;
    enrol(&app, &owner.token).await;
    let token: Value = app
        .login(&owner.email, PASSWORD, None)
        .await
        .json()
        .await
        .unwrap();
    let t = token["mfa_token"].as_str().unwrap();
    for _ in 0..5 {
        let res = app
            .post_as(
                "/api/v1/auth/mfa/challenge",
                None,
                json!({ "mfa_token": t, "recovery_code": "nope-nope" }),
            )
            .await;
        assert_eq!(res.status(), 401);
    }
    let res = app
        .post_as(
            "/api/v1/auth/mfa/challenge",
            None,
            json!({ "mfa_token": t, "recovery_code": "nope-nope" }),
        )
        .await;
    assert!(res.headers().contains_key("retry-after"));
    assert_problem(res, 429, "rate_limited").await;
    let bogus = app
        .post_as(
            "/api/v1/auth/mfa/challenge",
            None,
            json!({ "mfa_token": "forged", "code": "123456" }),
        )
        .await;
    assert_problem(bogus, 401, "unauthorized").await;
}

#[tokio::test]
async fn password_reset_requests_and_guesses_are_limited_per_address() {
    let app = spawn_app().await;
    for _ in 0..20 {
        let res = app
            .post_as(
                "/api/v1/auth/reset-password",
                None,
                json!({ "token": "guess", "new_password": "another-fine-secret" }),
            )
            .await;
        assert_eq!(res.status(), 400);
    }
    let res = app
        .post_as(
            "/api/v1/auth/reset-password",
            None,
            json!({ "token": "guess", "new_password": "another-fine-secret" }),
        )
        .await;
    assert_problem(res, 429, "rate_limited").await;
    let res = app
        .post_as(
            "/api/v1/auth/forgot-password",
            None,
            json!({ "email": "someone@example.com" }),
        )
        .await;
    assert_problem(res, 429, "rate_limited").await;
}

#[tokio::test]
async fn me_reflects_every_change_on_the_next_request() {
    let app = spawn_app().await;
    let a = app.onboard().await;
    let me = |token: String| {
        let app = &app;
        async move { app.get_json("/api/v1/auth/me", &token).await }
    };
    assert_eq!(
        me(a.token.clone()).await["user"]["full_name"],
        "Owner Person"
    );

    // Profile change.
    app.call(
        Method::PATCH,
        "/api/v1/users/me",
        Some(&a.token),
        Some(json!({ "full_name": "Renamed Person" })),
    )
    .await;
    assert_eq!(
        me(a.token.clone()).await["user"]["full_name"],
        "Renamed Person"
    );

    // Organization rename, seen by a member signed in to another organization too.
    let b = app.onboard().await;
    let member_role = app.role_id(&b.token, "member").await;
    app.post_as(
        "/api/v1/users/invite",
        Some(&b.token),
        json!({ "email": a.email, "role_ids": [member_role] }),
    )
    .await;
    let token = app.mailed_token(&a.email).await.unwrap();
    assert_eq!(
        me(a.token.clone()).await["memberships"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    app.post_as(
        "/api/v1/invitations/accept",
        None,
        json!({ "token": token, "password": PASSWORD }),
    )
    .await;
    assert_eq!(
        me(a.token.clone()).await["memberships"]
            .as_array()
            .unwrap()
            .len(),
        2,
        "new membership"
    );
    app.call(
        Method::PATCH,
        &format!("/api/v1/organizations/{}", b.org_id),
        Some(&b.token),
        Some(json!({ "name": "B Renamed" })),
    )
    .await;
    let names: Vec<String> = me(a.token.clone()).await["memberships"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["organization_name"].as_str().unwrap().to_string())
        .collect();
    assert!(names.contains(&"B Renamed".to_string()), "{names:?}");
    assert_eq!(
        me(b.token.clone()).await["organization"]["name"],
        "B Renamed"
    );

    // Deactivation in B drops it from A-session's membership list.
    app.post_as(
        &format!("/api/v1/users/{}/deactivate", a.user_id),
        Some(&b.token),
        json!({}),
    )
    .await;
    assert_eq!(
        me(a.token.clone()).await["memberships"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // Roles, role renames and MFA.
    let res = app
        .post_as(
            "/api/v1/roles",
            Some(&a.token),
            json!({ "name": "Extra", "permissions": [] }),
        )
        .await;
    let role: Value = res.json().await.unwrap();
    let role_id = role["id"].as_str().unwrap();
    app.post_as(
        &format!("/api/v1/users/{}/roles/{role_id}", a.user_id),
        Some(&a.token),
        json!({}),
    )
    .await;
    let roles = |v: Value| {
        v["user"]["roles"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(roles(me(a.token.clone()).await), ["Extra", "owner"]);
    app.call(
        Method::PATCH,
        &format!("/api/v1/roles/{role_id}"),
        Some(&a.token),
        Some(json!({ "name": "Zeta" })),
    )
    .await;
    assert_eq!(roles(me(a.token.clone()).await), ["Zeta", "owner"]);
    enrol(&app, &a.token).await;
    assert_eq!(me(a.token.clone()).await["user"]["mfa_enabled"], true);
}

#[tokio::test]
async fn system_roles_take_their_permissions_from_the_catalogue_not_the_database() {
    use sea_orm::{
        ConnectionTrait,
        sea_query::{Alias, Expr, ExprTrait, Query},
    };
    let app = spawn_app().await;
    let owner = app.onboard().await;
    // As if the role had been stored before the catalogue grew.
    let stmt = Query::update()
        .table(Alias::new("roles"))
        .value(Alias::new("permissions"), "[]")
        .and_where(Expr::col(Alias::new("organization_id")).eq(owner.org_id))
        .to_owned();
    app.state.db.execute(&stmt).await.unwrap();
    let fresh: Value = app
        .login(&owner.email, PASSWORD, None)
        .await
        .json()
        .await
        .unwrap();
    let token = fresh["access_token"].as_str().unwrap();
    let me = app.get_json("/api/v1/auth/me", token).await;
    let catalogue = app.get_json("/api/v1/permissions", token).await;
    assert_eq!(
        me["permissions"].as_array().unwrap().len(),
        catalogue.as_array().unwrap().len()
    );
    let roles = app.get_json("/api/v1/roles", token).await;
    let owner_role = roles["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "owner")
        .unwrap();
    assert_eq!(
        owner_role["permissions"].as_array().unwrap().len(),
        catalogue.as_array().unwrap().len()
    );
}
