//! The permissions the auth module enforces, with the lowest built-in role
//! that holds each.

crate::declare_permissions! {
    SELF_SERVICE = "auth.self.manage", Viewer, "Manage one's own profile, password, MFA and sessions";
    ORGANIZATION_READ = "auth.organization.read", Viewer, "View the organization";
    ORGANIZATION_UPDATE = "auth.organization.update", Admin, "Change the organization's details";
    USERS_READ = "auth.users.read", Viewer, "List and view members";
    USERS_MANAGE = "auth.users.manage", Admin, "Invite, change, activate and deactivate members and their roles";
    ROLES_READ = "auth.roles.read", Viewer, "List and view roles and the permission catalogue";
    ROLES_MANAGE = "auth.roles.manage", Admin, "Create, change and delete custom roles";
    TEAMS_READ = "auth.teams.read", Viewer, "List and view teams";
    TEAMS_MANAGE = "auth.teams.manage", Manager, "Create, change and delete teams and their members";
    AUDIT_READ = "auth.audit.read", Manager, "Read the audit log";
    SUBSCRIPTION_READ = "auth.subscription.read", Manager, "View the plan and its limits";
    SUBSCRIPTION_MANAGE = "auth.subscription.manage", Owner, "Change the plan";
}
