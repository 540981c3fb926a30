//! The default sales pipeline and lost reasons every organization starts
//! with. Used by the CRM migration (for organizations that existed before
//! it) and by onboarding (through `crm::api`), so both seed the same rows.

use sea_orm_migration::{
    prelude::{Alias, Query},
    sea_orm::{ConnectionTrait, DbErr},
};

/// The default pipeline's stages: name, win probability (percent), kind.
pub const DEFAULT_STAGES: &[(&str, i32, &str)] = &[
    ("Qualification", 10, "open"),
    ("Needs analysis", 30, "open"),
    ("Proposal", 60, "open"),
    ("Negotiation", 80, "open"),
    ("Won", 100, "won"),
    ("Lost", 0, "lost"),
];

/// The lost reasons an organization starts with.
pub const DEFAULT_LOST_REASONS: &[&str] = &["Price", "Competitor", "No budget", "No decision"];

/// Seeds the default pipeline (`Sales`) and lost reasons of one organization.
pub async fn seed<C: ConnectionTrait>(
    conn: &C,
    organization_id: uuid::Uuid,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), DbErr> {
    let pipeline = uuid::Uuid::now_v7();
    let mut p = Query::insert();
    p.into_table(Alias::new("pipelines"))
        .columns(
            [
                "id",
                "organization_id",
                "name",
                "is_default",
                "active",
                "created_at",
                "updated_at",
                "version",
            ]
            .map(Alias::new),
        )
        .values_panic([
            pipeline.into(),
            organization_id.into(),
            "Sales".into(),
            true.into(),
            true.into(),
            now.into(),
            now.into(),
            1i32.into(),
        ]);
    conn.execute(&p).await?;
    let mut s = Query::insert();
    s.into_table(Alias::new("pipeline_stages")).columns(
        [
            "id",
            "organization_id",
            "pipeline_id",
            "name",
            "position",
            "probability",
            "kind",
            "created_at",
            "updated_at",
            "version",
        ]
        .map(Alias::new),
    );
    for (i, (name, probability, kind)) in DEFAULT_STAGES.iter().enumerate() {
        s.values_panic([
            uuid::Uuid::now_v7().into(),
            organization_id.into(),
            pipeline.into(),
            (*name).into(),
            (i as i32).into(),
            (*probability).into(),
            (*kind).into(),
            now.into(),
            now.into(),
            1i32.into(),
        ]);
    }
    conn.execute(&s).await?;
    let mut r = Query::insert();
    r.into_table(Alias::new("lost_reasons")).columns(
        [
            "id",
            "organization_id",
            "name",
            "active",
            "created_at",
            "updated_at",
            "version",
        ]
        .map(Alias::new),
    );
    for name in DEFAULT_LOST_REASONS {
        r.values_panic([
            uuid::Uuid::now_v7().into(),
            organization_id.into(),
            (*name).into(),
            true.into(),
            now.into(),
            now.into(),
            1i32.into(),
        ]);
    }
    conn.execute(&r).await?;
    Ok(())
}
