//! System roles and plans: fixed in code, the same for every organization.

use crate::platform::auth::{Permission as P, PermissionSet};

/// The five roles every organization starts with; they cannot be changed.
pub const SYSTEM_ROLES: [(&str, &str); 5] = [
    (
        "owner",
        "Everything, including the plan; at least one per organization",
    ),
    ("admin", "Everything except changing the plan"),
    (
        "manager",
        "Reads everything, manages teams, reads the audit log",
    ),
    (
        "member",
        "Works with the organization's data (records stock movements, receives goods)",
    ),
    ("viewer", "Reads, never writes"),
];

/// The owner role's name.
pub const OWNER: &str = "owner";

/// Permissions of a system role.
pub fn system_role_permissions(name: &str) -> PermissionSet {
    let reads = [
        P::SelfService,
        P::OrganizationRead,
        P::UsersRead,
        P::RolesRead,
        P::TeamsRead,
        P::ProductsRead,
        P::WarehousesRead,
        P::StockRead,
        P::SuppliersRead,
        P::PurchaseOrdersRead,
    ];
    match name {
        "owner" => PermissionSet::all(),
        "admin" => PermissionSet::all()
            .iter()
            .filter(|p| *p != P::SubscriptionManage)
            .collect(),
        "manager" => reads
            .into_iter()
            .chain([
                P::TeamsManage,
                P::AuditRead,
                P::SubscriptionRead,
                P::ProductsManage,
                P::WarehousesManage,
                P::StockMove,
                P::StockAdjust,
                P::SuppliersManage,
                P::PurchaseOrdersManage,
                P::PurchaseOrdersReceive,
            ])
            .collect(),
        "member" => reads
            .into_iter()
            .chain([P::StockMove, P::PurchaseOrdersReceive])
            .collect(),
        "viewer" => reads.into_iter().collect(),
        _ => PermissionSet::default(),
    }
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
