//! Request and response bodies of the auth module. Requests reject unknown
//! fields; responses never carry password hashes, token hashes or secrets.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

pub use super::entities::SubscriptionStatus;
use super::entities::{organization, role, team, user};

/// Where an invitation stands (derived from its timestamps).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InvitationStatus {
    /// Waiting for the person.
    Pending,
    /// Accepted: the person is a member.
    Accepted,
    /// Withdrawn.
    Revoked,
    /// Not accepted in time.
    Expired,
}
use crate::{apply_patch, platform::tenant::trimmed};

/// `POST /organizations/onboard`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OnboardIn {
    /// The new organization's name.
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    #[schema(example = "Acme Ltd")]
    pub organization_name: String,
    /// The owner's email (sign-in name).
    #[validate(email, length(max = 320))]
    #[schema(max_length = 320, format = Email)]
    #[schema(example = "owner@acme.example")]
    pub email: String,
    /// At least 10 characters, not a common password.
    #[validate(length(min = 10, max = 72))]
    #[schema(min_length = 10, max_length = 72)]
    #[schema(example = "correct horse battery staple")]
    pub password: String,
    /// The owner's name.
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    #[schema(example = "Ada Lovelace")]
    pub full_name: String,
}

/// `POST /auth/register`: onboarding with an optional organization name.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterIn {
    /// Defaults to "<full name>'s organization".
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub organization_name: Option<String>,
    /// Email (sign-in name).
    #[validate(email, length(max = 320))]
    #[schema(max_length = 320, format = Email)]
    #[schema(example = "ada@example.com")]
    pub email: String,
    /// At least 10 characters, not a common password.
    #[validate(length(min = 10, max = 72))]
    #[schema(min_length = 10, max_length = 72)]
    pub password: String,
    /// Name.
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub full_name: String,
}

/// Tokens for a new or refreshed session.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokensOut {
    /// Short-lived JWT for `Authorization: Bearer`.
    pub access_token: String,
    /// Opaque, single-use; exchange at `POST /auth/refresh`.
    pub refresh_token: String,
    /// Always `Bearer`.
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    /// Access token lifetime in seconds.
    #[schema(example = 900)]
    pub expires_in: i64,
}

/// Onboarding result: the new organization, its owner, and the owner's tokens.
#[derive(Debug, Serialize, ToSchema)]
pub struct OnboardOut {
    /// The organization.
    pub organization: OrganizationOut,
    /// The owner.
    pub user: UserOut,
    /// The owner's session.
    #[serde(flatten)]
    pub tokens: TokensOut,
}

/// `POST /auth/login`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginIn {
    /// Email.
    #[validate(length(min = 1, max = 320))]
    #[schema(min_length = 1, max_length = 320)]
    #[schema(example = "owner@acme.example")]
    pub email: String,
    /// Password.
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub password: String,
    /// Needed only when the person belongs to several organizations.
    pub organization_id: Option<Uuid>,
}

/// `POST /auth/refresh`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshIn {
    /// The refresh token of the last login or refresh.
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub refresh_token: String,
}

/// `POST /auth/logout`.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LogoutIn {
    /// End every session of this person, in every organization.
    #[serde(default)]
    pub all: bool,
}

/// `POST /auth/switch-organization`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SwitchOrganizationIn {
    /// One of the caller's memberships.
    pub organization_id: Uuid,
}

/// `POST /auth/change-password`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordIn {
    /// The current password.
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub current_password: String,
    /// The new password.
    #[validate(length(min = 10, max = 72))]
    #[schema(min_length = 10, max_length = 72)]
    pub new_password: String,
}

/// `POST /auth/forgot-password`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ForgotPasswordIn {
    /// Where the reset link goes, if an account exists.
    #[validate(length(min = 1, max = 320))]
    #[schema(min_length = 1, max_length = 320)]
    pub email: String,
}

/// `POST /auth/reset-password`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetPasswordIn {
    /// The token from the reset mail.
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub token: String,
    /// The new password.
    #[validate(length(min = 10, max = 72))]
    #[schema(min_length = 10, max_length = 72)]
    pub new_password: String,
}

/// An organization.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OrganizationOut {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Optimistic concurrency version (also the ETag).
    pub version: i32,
}

/// `POST /organizations`: another organization, owned by the caller.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrganizationIn {
    /// The new organization's name.
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200, example = "Acme Retail GmbH")]
    pub name: String,
}

/// `PATCH /organizations/{id}`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganizationPatch {
    /// New name.
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
}

/// A role reference on a user.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RoleRef {
    /// Role id.
    pub id: Uuid,
    /// Role name.
    pub name: String,
}

/// A member of the caller's organization.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UserOut {
    /// Id.
    pub id: Uuid,
    /// Email.
    pub email: String,
    /// Name.
    pub full_name: String,
    /// Membership active in this organization (and the account enabled).
    pub active: bool,
    /// TOTP enabled.
    pub mfa_enabled: bool,
    /// Roles in this organization.
    pub roles: Vec<RoleRef>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Version.
    pub version: i32,
}

/// `PATCH /users/{id}` and `PATCH /users/me`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    /// New name.
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub full_name: Option<String>,
}

/// Filters of `GET /users`.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UserFilter {
    /// Name or email contains (case-insensitive).
    #[validate(length(max = 200))]
    #[param(max_length = 200)]
    pub q: Option<String>,
    /// Only active (true) or inactive (false) members.
    pub active: Option<bool>,
    /// Only holders of this role.
    pub role: Option<Uuid>,
    /// Only members of this team.
    pub team: Option<Uuid>,
    /// Rows per page (1 to 200, default 50).
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The caller: person, organization, permissions.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeOut {
    /// The person in this organization.
    pub user: UserOut,
    /// The organization of this session.
    pub organization: OrganizationOut,
    /// The session id.
    pub session_id: Uuid,
    /// Effective permissions.
    pub permissions: Vec<String>,
    /// Every organization the person belongs to.
    pub memberships: Vec<MembershipOut>,
}

/// One of the caller's organizations.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MembershipOut {
    /// Organization id.
    pub organization_id: Uuid,
    /// Organization name.
    pub organization_name: String,
}

/// A session of the caller.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionOut {
    /// Session id.
    pub id: Uuid,
    /// Organization of the session.
    pub organization_id: Uuid,
    /// Client that opened it.
    pub user_agent: String,
    /// Address that opened it.
    pub ip: String,
    /// Opened.
    pub created_at: DateTime<Utc>,
    /// Last refresh.
    pub last_used_at: DateTime<Utc>,
    /// Ends unless refreshed.
    pub expires_at: DateTime<Utc>,
    /// The session making this request.
    pub current: bool,
}

/// One catalogue entry.
#[derive(Debug, Serialize, ToSchema)]
pub struct PermissionOut {
    /// `module.resource.action`.
    #[schema(example = "auth.users.read")]
    pub name: &'static str,
    /// What it allows.
    pub description: &'static str,
}

/// A role.
#[derive(Debug, Serialize, ToSchema)]
pub struct RoleOut {
    /// Id.
    pub id: Uuid,
    /// Unique name in the organization.
    pub name: String,
    /// Description.
    pub description: String,
    /// System roles (owner, admin, manager, member, viewer) cannot change.
    pub is_system: bool,
    /// Granted permissions.
    pub permissions: Vec<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Version.
    pub version: i32,
}

/// `POST /roles`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleIn {
    /// Unique name in the organization.
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    #[schema(example = "Warehouse clerk")]
    pub name: String,
    /// Description.
    #[validate(length(max = 500))]
    #[schema(max_length = 500)]
    #[serde(default)]
    pub description: String,
    /// Permission names from `GET /permissions`.
    #[schema(example = json!(["auth.users.read"]))]
    pub permissions: Vec<String>,
}

/// `PATCH /roles/{id}`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RolePatch {
    /// New name.
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
    /// New description.
    #[validate(length(max = 500))]
    #[schema(max_length = 500)]
    pub description: Option<String>,
    /// New permission list (replaces the old one).
    pub permissions: Option<Vec<String>>,
}

/// Filters of `GET /audit-logs`.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditFilter {
    /// Acting user.
    pub actor: Option<Uuid>,
    /// Entity type (`user`, `role`, ...).
    #[validate(length(max = 100))]
    #[param(max_length = 100)]
    pub entity_type: Option<String>,
    /// Entity id.
    #[validate(length(max = 100))]
    #[param(max_length = 100)]
    pub entity_id: Option<String>,
    /// Action (`auth.user.updated`, ...).
    #[validate(length(max = 100))]
    #[param(max_length = 100)]
    pub action: Option<String>,
    /// From this time (inclusive, RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Before this time (exclusive, RFC 3339).
    pub to: Option<DateTime<Utc>>,
    /// Rows per page (1 to 200, default 50).
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A plan and its limits.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanOut {
    /// `free`, `basic`, `pro` or `enterprise`.
    #[schema(example = "free")]
    pub code: &'static str,
    /// Display name.
    pub name: &'static str,
    /// Members allowed (null: unlimited).
    pub max_seats: Option<u64>,
    /// Products allowed (null: unlimited).
    pub max_products: Option<u64>,
    /// API requests per minute per organization.
    pub api_requests_per_minute: u64,
}

/// An organization's subscription.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubscriptionOut {
    /// The plan.
    pub plan: PlanOut,
    /// The subscription's state.
    pub status: SubscriptionStatus,
    /// Since.
    pub started_at: DateTime<Utc>,
    /// Seats in use.
    pub seats_used: u64,
}

/// `POST /organizations/{id}/subscription`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionIn {
    /// Plan code.
    #[schema(example = "pro")]
    #[validate(length(min = 1, max = 32))]
    #[schema(min_length = 1, max_length = 32)]
    pub plan: String,
}

/// `POST /users/invite`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteIn {
    /// Who to invite.
    #[validate(email, length(max = 320))]
    #[schema(max_length = 320, format = Email)]
    #[schema(example = "clerk@acme.example")]
    pub email: String,
    /// Roles the person gets on accepting (at least one).
    #[validate(length(min = 1, max = 20))]
    #[schema(min_items = 1, max_items = 20)]
    pub role_ids: Vec<Uuid>,
}

/// An invitation.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationOut {
    /// Id.
    pub id: Uuid,
    /// Invitee.
    pub email: String,
    /// Roles granted on acceptance.
    pub role_ids: Vec<Uuid>,
    /// Who invited.
    pub invited_by: Uuid,
    /// Sent.
    pub created_at: DateTime<Utc>,
    /// Usable until.
    pub expires_at: DateTime<Utc>,
    /// Where the invitation stands.
    pub status: InvitationStatus,
}

/// `POST /invitations/accept` (public).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptInvitationIn {
    /// The token from the invitation mail.
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub token: String,
    /// A new person's password, or an existing person's current one.
    #[validate(length(min = 1, max = 72))]
    #[schema(min_length = 1, max_length = 72)]
    pub password: String,
    /// Required for a new person.
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub full_name: Option<String>,
}

/// A team.
#[derive(Debug, Serialize, ToSchema)]
pub struct TeamOut {
    /// Id.
    pub id: Uuid,
    /// Unique name in the organization.
    pub name: String,
    /// Description.
    pub description: String,
    /// Parent team.
    pub parent_id: Option<Uuid>,
    /// Team lead (a member of the organization).
    pub lead_user_id: Option<Uuid>,
    /// Members.
    pub member_ids: Vec<Uuid>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Version.
    pub version: i32,
}

/// `POST /teams`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamIn {
    /// Unique name in the organization.
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    #[schema(example = "Support EMEA")]
    pub name: String,
    /// Description.
    #[validate(length(max = 1000))]
    #[schema(max_length = 1000)]
    #[serde(default)]
    pub description: String,
    /// Parent team.
    pub parent_id: Option<Uuid>,
    /// Team lead.
    pub lead_user_id: Option<Uuid>,
}

/// `PATCH /teams/{id}`; `null` clears parent or lead.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamPatch {
    /// New name.
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    /// New description.
    #[validate(length(max = 1000))]
    #[schema(max_length = 1000)]
    pub description: Option<String>,
    /// New parent (`null` makes it top-level).
    #[serde(default, deserialize_with = "crate::platform::extract::double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub parent_id: Option<Option<Uuid>>,
    /// New lead (`null` clears it).
    #[serde(default, deserialize_with = "crate::platform::extract::double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub lead_user_id: Option<Option<Uuid>>,
}

/// `POST /auth/mfa/enable`: the secret, shown once, to put in an authenticator.
#[derive(Debug, Serialize, ToSchema)]
pub struct MfaEnrollmentOut {
    /// Base32 TOTP secret.
    pub secret: String,
    /// `otpauth://` URI for QR codes.
    pub otpauth_uri: String,
}

/// A TOTP code.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MfaCodeIn {
    /// Six digits from the authenticator.
    #[validate(length(min = 6, max = 6))]
    #[schema(min_length = 6, max_length = 6)]
    #[schema(example = "123456")]
    pub code: String,
}

/// One-time recovery codes, shown once.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecoveryCodesOut {
    /// Each works once instead of a TOTP code.
    pub recovery_codes: Vec<String>,
}

/// `POST /auth/mfa/disable`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MfaDisableIn {
    /// The current password.
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub password: String,
    /// A TOTP code or a recovery code.
    #[validate(length(min = 6, max = 40))]
    #[schema(min_length = 6, max_length = 40)]
    pub code: String,
}

/// `POST /auth/mfa/challenge`: completes a login of an MFA user.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MfaChallengeIn {
    /// From the login answer.
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub mfa_token: String,
    /// A TOTP code...
    #[validate(length(min = 6, max = 6))]
    #[schema(min_length = 6, max_length = 6)]
    pub code: Option<String>,
    /// ...or a recovery code.
    #[validate(length(min = 1, max = 40))]
    #[schema(min_length = 1, max_length = 40)]
    pub recovery_code: Option<String>,
}

/// `status` of a login answer with tokens.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SignedInStatus {
    /// Signed in: the tokens are in the answer.
    SignedIn,
}

/// `status` of a login answer that needs a second factor.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MfaRequiredStatus {
    /// A TOTP or recovery code is needed.
    MfaRequired,
}

/// Login answer with tokens (`status: "signed_in"`).
#[derive(Debug, Serialize, ToSchema)]
pub struct SignedInOut {
    /// Always `signed_in`: tells this answer from an MFA challenge.
    pub status: SignedInStatus,
    /// Short-lived JWT for `Authorization: Bearer`.
    pub access_token: String,
    /// Opaque, single-use; exchange at `POST /auth/refresh`.
    pub refresh_token: String,
    /// Always `Bearer`.
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    /// Access token lifetime in seconds.
    #[schema(example = 900)]
    pub expires_in: i64,
}

impl From<TokensOut> for SignedInOut {
    fn from(t: TokensOut) -> Self {
        Self {
            status: SignedInStatus::SignedIn,
            access_token: t.access_token,
            refresh_token: t.refresh_token,
            token_type: t.token_type,
            expires_in: t.expires_in,
        }
    }
}

/// Login answer for an MFA user (`status: "mfa_required"`): complete it at
/// `POST /auth/mfa/challenge`.
#[derive(Debug, Serialize, ToSchema)]
pub struct MfaChallengeOut {
    /// Always `mfa_required`: tells this answer from one with tokens.
    pub status: MfaRequiredStatus,
    /// Always true (kept for older clients; read `status`).
    pub mfa_required: bool,
    /// Single-use, 5 minutes.
    pub mfa_token: String,
    /// Seconds the token stays valid.
    pub expires_in: i64,
}

/// `POST /auth/login` answer: tokens, or an MFA challenge; `status` tells
/// which.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
#[schema(discriminator(property_name = "status", mapping(
    ("signed_in" = "#/components/schemas/SignedInOut"),
    ("mfa_required" = "#/components/schemas/MfaChallengeOut"),
)))]
pub enum LoginOut {
    /// Signed in.
    Tokens(SignedInOut),
    /// A TOTP or recovery code is needed.
    Mfa(MfaChallengeOut),
}

/// The caller's profile as cached with the session (the part of
/// [`MeOut`] that comes from the database).
#[derive(Debug, Serialize, Deserialize)]
pub struct Profile {
    /// The person in the session's organization.
    pub user: UserOut,
    /// The session's organization.
    pub organization: OrganizationOut,
    /// Every active membership.
    pub memberships: Vec<MembershipOut>,
}

// ---- models to bodies, PATCH bodies to changes --------------------------------

impl From<organization::Model> for OrganizationOut {
    /// Destructured whole, so a new column is a compile error here until the
    /// body decides whether to show it.
    fn from(model: organization::Model) -> Self {
        let organization::Model {
            id,
            name,
            created_at,
            updated_at,
            version,
        } = model;
        Self {
            id,
            name,
            created_at,
            updated_at,
            version,
        }
    }
}

apply_patch!(OrganizationPatch => organization::ActiveModel { name => trimmed });

apply_patch!(UserPatch => user::ActiveModel { full_name => trimmed });

apply_patch!(RolePatch => role::ActiveModel { name => trimmed, description });

apply_patch!(TeamPatch => team::ActiveModel {
    name => trimmed, description, parent_id, lead_user_id,
});

/// A revocation committed while the shared cache was unreachable.
#[derive(Debug, Serialize, ToSchema)]
pub struct RevocationPendingOut {
    /// Always `pending`: committed, on its way to every server.
    #[schema(example = "pending")]
    pub propagation: String,
    /// What that means for the session.
    pub detail: String,
}
