//! System roles and plans: fixed in code, the same for every organization.

use crate::platform::auth::RoleLevel;

/// The five roles every organization starts with, each at a rung of the
/// ladder the modules' permissions name; they cannot be changed.
pub const SYSTEM_ROLES: [(&str, RoleLevel, &str); 5] = [
    (
        "owner",
        RoleLevel::Owner,
        "Everything, including the plan; at least one per organization",
    ),
    (
        "admin",
        RoleLevel::Admin,
        "Everything except changing the plan",
    ),
    (
        "manager",
        RoleLevel::Manager,
        "Reads everything, manages teams and the organization's data, reads the audit log",
    ),
    (
        "member",
        RoleLevel::Member,
        "Works with the organization's data (day-to-day operations)",
    ),
    ("viewer", RoleLevel::Viewer, "Reads, never writes"),
];

/// The owner role's name.
pub const OWNER: &str = "owner";

/// The rung of a system role, by name.
pub fn system_role_level(name: &str) -> Option<RoleLevel> {
    SYSTEM_ROLES
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, level, _)| *level)
}

/// A subscription plan.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// Stable code.
    pub code: &'static str,
    /// Display name.
    pub name: &'static str,
    /// Members allowed.
    pub max_seats: Option<u64>,
    /// Products allowed.
    pub max_products: Option<u64>,
    /// API requests per minute per organization.
    pub api_requests_per_minute: u64,
}

/// Every plan, cheapest first.
pub const PLANS: [Plan; 4] = [
    Plan {
        code: "free",
        name: "Free",
        max_seats: Some(3),
        max_products: Some(100),
        api_requests_per_minute: 600,
    },
    Plan {
        code: "basic",
        name: "Basic",
        max_seats: Some(10),
        max_products: Some(5_000),
        api_requests_per_minute: 3_000,
    },
    Plan {
        code: "pro",
        name: "Pro",
        max_seats: Some(50),
        max_products: Some(100_000),
        api_requests_per_minute: 20_000,
    },
    Plan {
        code: "enterprise",
        name: "Enterprise",
        max_seats: None,
        max_products: None,
        api_requests_per_minute: 100_000,
    },
];

/// A plan by code.
pub fn plan(code: &str) -> Option<Plan> {
    PLANS.iter().copied().find(|p| p.code == code)
}
