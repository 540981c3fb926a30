//! Schema migrations, one file per change, named
//! `m<YYYYMMDD>_<NNNNNN>_<module>_<what>.rs`. Applied at start (and by
//! `mainstay migrate`); never edited once released.

pub use sea_orm_migration::prelude::*;

mod m20261121_000001_platform_audit_logs;
mod m20261121_000002_platform_idempotency_keys;
mod m20261121_000003_platform_document_sequences;
mod m20261121_000004_auth_identity;
mod m20261121_000005_auth_invitations;
mod m20261121_000006_auth_teams;
mod m20261121_000007_auth_mfa_recovery_codes;
mod m20261121_000008_inventory_catalogue_and_stock;
mod m20261121_000009_inventory_procurement;
mod m20261121_000010_inventory_movement_level_fk;
mod m20261122_000011_platform_list_indexes;
mod m20261122_000012_auth_session_revocations;
mod m20261122_000013_platform_idempotency_headers;
mod m20261122_000014_accounting_ledger;
mod m20261205_000015_crm_relationships;
mod m20261205_000016_crm_sales;
mod m20261205_000017_billing;
mod util;

pub mod chart;
pub mod crm;

/// Every migration, oldest first.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261121_000001_platform_audit_logs::Migration),
            Box::new(m20261121_000002_platform_idempotency_keys::Migration),
            Box::new(m20261121_000003_platform_document_sequences::Migration),
            Box::new(m20261121_000004_auth_identity::Migration),
            Box::new(m20261121_000005_auth_invitations::Migration),
            Box::new(m20261121_000006_auth_teams::Migration),
            Box::new(m20261121_000007_auth_mfa_recovery_codes::Migration),
            Box::new(m20261121_000008_inventory_catalogue_and_stock::Migration),
            Box::new(m20261121_000009_inventory_procurement::Migration),
            Box::new(m20261121_000010_inventory_movement_level_fk::Migration),
            Box::new(m20261122_000011_platform_list_indexes::Migration),
            Box::new(m20261122_000012_auth_session_revocations::Migration),
            Box::new(m20261122_000013_platform_idempotency_headers::Migration),
            Box::new(m20261122_000014_accounting_ledger::Migration),
            Box::new(m20261205_000015_crm_relationships::Migration),
            Box::new(m20261205_000016_crm_sales::Migration),
            Box::new(m20261205_000017_billing::Migration),
        ]
    }
}
