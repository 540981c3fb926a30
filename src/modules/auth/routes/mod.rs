//! HTTP handlers of the auth module: extract -> authorize -> service -> DTO.

use actix_web::{HttpRequest, HttpResponse, delete, get, http::header, patch, post, web};
use utoipa_actix_web::{scope::scope, service_config::ServiceConfig};
use uuid::Uuid;

use super::{
    dto::*,
    permissions::*,
    service::{
        identity, invitations, members, mfa, organizations,
        sessions::{self, ClientInfo},
        teams,
    },
};
use crate::platform::{
    audit::{self, AuditQuery, AuditRecord},
    auth::{Principal, RevokingPrincipal},
    error::AppResult,
    extract::{IfMatch, ValidatedJson, ValidatedQuery, etag, parse_json, validation_error},
    openapi::{Conflict, Forbidden, NotFound, TooManyRequests, Unauthorized},
    pagination::Page,
    state::AppState,
};

mod members_routes;
mod organizations_routes;
mod roles_routes;
mod session_routes;
mod teams_routes;

use members_routes::*;
use organizations_routes::*;
use roles_routes::*;
use session_routes::*;
use teams_routes::*;

/// Mounts the module's routes (inside `/api/v1`). `/users/me` precedes
/// `/users/{id}` so "me" is never parsed as an id.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(
        scope("/organizations")
            .service(onboard)
            .service(create_organization)
            .service(get_organization)
            .service(patch_organization)
            .service(get_subscription)
            .service(change_subscription),
    )
    .service(
        scope("/auth")
            .service(register)
            .service(login)
            .service(refresh)
            .service(logout)
            .service(me)
            .service(list_sessions)
            .service(delete_session)
            .service(switch_organization)
            .service(change_password)
            .service(forgot_password)
            .service(reset_password)
            .service(mfa_enable)
            .service(mfa_verify)
            .service(mfa_disable)
            .service(mfa_challenge),
    )
    .service(scope("/permissions").service(permissions))
    .service(scope("/subscriptions").service(plans))
    .service(
        scope("/users")
            .service(invite_user)
            .service(list_users)
            .service(get_me)
            .service(patch_me)
            .service(get_user)
            .service(patch_user)
            .service(activate_user)
            .service(deactivate_user)
            .service(assign_role)
            .service(remove_role),
    )
    .service(
        scope("/invitations")
            .service(list_invitations)
            .service(delete_invitation)
            .service(accept_invitation),
    )
    .service(
        scope("/roles")
            .service(list_roles)
            .service(create_role)
            .service(get_role)
            .service(patch_role)
            .service(delete_role),
    )
    .service(scope("/audit-logs").service(audit_logs))
    .service(
        scope("/teams")
            .service(list_teams)
            .service(create_team)
            .service(get_team)
            .service(patch_team)
            .service(delete_team)
            .service(add_team_member)
            .service(remove_team_member),
    );
}

fn client(req: &HttpRequest) -> ClientInfo {
    ClientInfo {
        user_agent: req
            .headers()
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string(),
        ip: crate::platform::client_ip::of(req),
    }
}

fn with_etag<T: serde::Serialize>(version: i32, body: &T) -> HttpResponse {
    HttpResponse::Ok().insert_header(etag(version)).json(body)
}

/// 204, or 202 saying the revocation is still on its way to the cache.
fn revoked(propagation: sessions::Propagation) -> HttpResponse {
    match propagation {
        sessions::Propagation::Immediate => HttpResponse::NoContent().finish(),
        sessions::Propagation::Pending => HttpResponse::Accepted().json(RevocationPendingOut {
            propagation: "pending".into(),
            detail: "The session is revoked in the database. The shared cache is unreachable; \
                     every server refuses the session as soon as it is back (until then the \
                     outage refuses every request anyway)."
                .into(),
        }),
    }
}
