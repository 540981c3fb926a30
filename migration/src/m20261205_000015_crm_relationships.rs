//! CRM, the relationship half: customers, contacts, custom field
//! definitions, leads with their scoring rules, pipelines with ordered
//! stages, deals with their stage history, lost reasons, activities, and the
//! timeline of customers and contacts. Money is BIGINT with scale 4; custom
//! fields and tags are JSON (JSONB with GIN indexes on PostgreSQL). Every
//! organization gets a default pipeline (here for existing ones, at
//! onboarding for new ones, both from [`crate::crm::seed`]).

use sea_orm_migration::{
    prelude::*,
    schema::*,
    sea_orm::{DatabaseBackend, Statement},
};

use crate::util::{fk, idx, index, org_fk};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CrmCustomFields {
    Table,
    Id,
    OrganizationId,
    Entity,
    Key,
    Label,
    FieldType,
    Options,
    Required,
    DefaultValue,
    Position,
    Active,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum Customers {
    Table,
    Id,
    OrganizationId,
    Name,
    Kind,
    Email,
    Phone,
    Website,
    BillingAddress,
    ShippingAddress,
    TaxId,
    Currency,
    PaymentTermsDays,
    CreditLimit,
    Tags,
    OwnerId,
    CustomFields,
    Active,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum Contacts {
    Table,
    Id,
    OrganizationId,
    FirstName,
    LastName,
    Email,
    EmailKey,
    Phone,
    Title,
    CustomerId,
    OwnerId,
    Tags,
    CustomFields,
    DoNotContact,
    Active,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum Leads {
    Table,
    Id,
    OrganizationId,
    Name,
    Company,
    Email,
    Phone,
    Source,
    Status,
    OwnerId,
    EstimatedValue,
    CustomFields,
    Score,
    ScoreBreakdown,
    ConvertedCustomerId,
    ConvertedContactId,
    ConvertedDealId,
    ConvertedAt,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum LeadScoringRules {
    Table,
    Id,
    OrganizationId,
    Name,
    Subject,
    Field,
    Operator,
    Value,
    WithinDays,
    Points,
    Active,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum Pipelines {
    Table,
    Id,
    OrganizationId,
    Name,
    IsDefault,
    Active,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum PipelineStages {
    Table,
    Id,
    OrganizationId,
    PipelineId,
    Name,
    Position,
    Probability,
    Kind,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum LostReasons {
    Table,
    Id,
    OrganizationId,
    Name,
    Active,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum Deals {
    Table,
    Id,
    OrganizationId,
    Title,
    CustomerId,
    ContactId,
    PipelineId,
    StageId,
    Status,
    Amount,
    Currency,
    ExpectedCloseDate,
    OwnerId,
    LostReasonId,
    LeadId,
    CustomFields,
    ClosedAt,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum DealStageHistory {
    Table,
    Id,
    OrganizationId,
    DealId,
    FromStageId,
    ToStageId,
    MovedAt,
    MovedBy,
}

#[derive(DeriveIden)]
enum Activities {
    Table,
    Id,
    OrganizationId,
    Kind,
    Direction,
    Subject,
    Body,
    DueAt,
    Done,
    DoneAt,
    AssigneeId,
    LeadId,
    ContactId,
    CustomerId,
    DealId,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum CrmTimeline {
    Table,
    Id,
    OrganizationId,
    CustomerId,
    ContactId,
    LeadId,
    DealId,
    Kind,
    RefId,
    Details,
    ActorId,
    OccurredAt,
}

async fn create_custom_fields(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    use CrmCustomFields as T;
    m.create_table(
        Table::create()
            .table(T::Table)
            .col(uuid(T::Id).primary_key())
            .col(uuid(T::OrganizationId))
            .col(
                string_len(T::Entity, 16)
                    .check(Expr::col(T::Entity).is_in(["customer", "contact", "lead", "deal"])),
            )
            .col(string_len(T::Key, 64))
            .col(string_len(T::Label, 200))
            .col(
                string_len(T::FieldType, 16).check(Expr::col(T::FieldType).is_in([
                    "text",
                    "number",
                    "decimal",
                    "date",
                    "boolean",
                    "select",
                    "multi_select",
                ])),
            )
            .col(json_binary(T::Options))
            .col(boolean(T::Required).default(false))
            .col(json_binary_null(T::DefaultValue))
            .col(integer(T::Position).default(0))
            .col(boolean(T::Active).default(true))
            .col(timestamp_with_time_zone(T::CreatedAt))
            .col(timestamp_with_time_zone(T::UpdatedAt))
            .col(integer(T::Version).default(1))
            .foreign_key(&mut org_fk(T::Table, T::OrganizationId))
            .to_owned(),
    )
    .await?;
    index(
        m,
        "ux_crm_custom_fields_org_entity_key",
        T::Table,
        idx(&["organization_id", "entity", "key"]),
        true,
    )
    .await
}

async fn create_customers(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    use Customers as T;
    m.create_table(
        Table::create()
            .table(T::Table)
            .col(uuid(T::Id).primary_key())
            .col(uuid(T::OrganizationId))
            .col(string_len(T::Name, 200))
            .col(string_len(T::Kind, 16).check(Expr::col(T::Kind).is_in(["company", "person"])))
            .col(string_len_null(T::Email, 254))
            .col(string_len_null(T::Phone, 40))
            .col(string_len_null(T::Website, 500))
            .col(text(T::BillingAddress).default(""))
            .col(text(T::ShippingAddress).default(""))
            .col(string_len_null(T::TaxId, 64))
            .col(string_len(T::Currency, 3))
            .col(
                integer(T::PaymentTermsDays)
                    .default(30)
                    .check(Expr::col(T::PaymentTermsDays).between(0, 365)),
            )
            .col(big_integer_null(T::CreditLimit).check(Expr::col(T::CreditLimit).gte(0)))
            .col(json_binary(T::Tags))
            .col(uuid_null(T::OwnerId))
            .col(json_binary(T::CustomFields))
            .col(boolean(T::Active).default(true))
            .col(timestamp_with_time_zone(T::CreatedAt))
            .col(timestamp_with_time_zone(T::UpdatedAt))
            .col(integer(T::Version).default(1))
            .foreign_key(&mut org_fk(T::Table, T::OrganizationId))
            .to_owned(),
    )
    .await?;
    index(
        m,
        "ix_customers_org_active_id",
        T::Table,
        idx(&["organization_id", "active", "id"]),
        false,
    )
    .await?;
    index(
        m,
        "ix_customers_org_owner_id",
        T::Table,
        idx(&["organization_id", "owner_id", "id"]),
        false,
    )
    .await?;
    index(
        m,
        "ix_customers_org_name",
        T::Table,
        idx(&["organization_id", "name", "id"]),
        false,
    )
    .await
}

async fn create_contacts(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    use Contacts as T;
    m.create_table(
        Table::create()
            .table(T::Table)
            .col(uuid(T::Id).primary_key())
            .col(uuid(T::OrganizationId))
            .col(string_len(T::FirstName, 100))
            .col(string_len(T::LastName, 100))
            .col(string_len_null(T::Email, 254))
            // The lower-cased email when the contact claims it (NULL when it
            // was created with `allow_duplicate`): unique per organization,
            // so two concurrent creates of one email cannot both succeed.
            .col(string_len_null(T::EmailKey, 254))
            .col(string_len_null(T::Phone, 40))
            .col(string_len_null(T::Title, 100))
            .col(uuid_null(T::CustomerId))
            .col(uuid_null(T::OwnerId))
            .col(json_binary(T::Tags))
            .col(json_binary(T::CustomFields))
            .col(boolean(T::DoNotContact).default(false))
            .col(boolean(T::Active).default(true))
            .col(timestamp_with_time_zone(T::CreatedAt))
            .col(timestamp_with_time_zone(T::UpdatedAt))
            .col(integer(T::Version).default(1))
            .foreign_key(&mut org_fk(T::Table, T::OrganizationId))
            .to_owned(),
    )
    .await?;
    index(
        m,
        "ux_contacts_org_email_key",
        T::Table,
        idx(&["organization_id", "email_key"]),
        true,
    )
    .await?;
    index(
        m,
        "ix_contacts_org_active_id",
        T::Table,
        idx(&["organization_id", "active", "id"]),
        false,
    )
    .await?;
    index(
        m,
        "ix_contacts_org_customer_id",
        T::Table,
        idx(&["organization_id", "customer_id", "id"]),
        false,
    )
    .await?;
    index(
        m,
        "ix_contacts_org_owner_id",
        T::Table,
        idx(&["organization_id", "owner_id", "id"]),
        false,
    )
    .await?;
    index(
        m,
        "ix_contacts_org_last_name",
        T::Table,
        idx(&["organization_id", "last_name", "id"]),
        false,
    )
    .await
}

async fn create_leads(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    use Leads as T;
    m.create_table(
        Table::create()
            .table(T::Table)
            .col(uuid(T::Id).primary_key())
            .col(uuid(T::OrganizationId))
            .col(string_len(T::Name, 200))
            .col(string_len_null(T::Company, 200))
            .col(string_len_null(T::Email, 254))
            .col(string_len_null(T::Phone, 40))
            .col(string_len_null(T::Source, 64))
            .col(string_len(T::Status, 16).check(Expr::col(T::Status).is_in([
                "new",
                "contacted",
                "qualified",
                "unqualified",
                "converted",
            ])))
            .col(uuid_null(T::OwnerId))
            .col(big_integer_null(T::EstimatedValue).check(Expr::col(T::EstimatedValue).gte(0)))
            .col(json_binary(T::CustomFields))
            .col(integer(T::Score).default(0))
            .col(json_binary(T::ScoreBreakdown))
            .col(uuid_null(T::ConvertedCustomerId))
            .col(uuid_null(T::ConvertedContactId))
            .col(uuid_null(T::ConvertedDealId))
            .col(timestamp_with_time_zone_null(T::ConvertedAt))
            .col(timestamp_with_time_zone(T::CreatedAt))
            .col(timestamp_with_time_zone(T::UpdatedAt))
            .col(integer(T::Version).default(1))
            .foreign_key(&mut org_fk(T::Table, T::OrganizationId))
            .to_owned(),
    )
    .await?;
    index(
        m,
        "ix_leads_org_id",
        T::Table,
        idx(&["organization_id", "id"]),
        false,
    )
    .await?;
    index(
        m,
        "ix_leads_org_source_id",
        T::Table,
        idx(&["organization_id", "source", "id"]),
        false,
    )
    .await?;
    index(
        m,
        "ix_leads_org_status_id",
        T::Table,
        idx(&["organization_id", "status", "id"]),
        false,
    )
    .await?;
    index(
        m,
        "ix_leads_org_owner_id",
        T::Table,
        idx(&["organization_id", "owner_id", "id"]),
        false,
    )
    .await?;
    index(
        m,
        "ix_leads_org_score_id",
        T::Table,
        idx(&["organization_id", "score", "id"]),
        false,
    )
    .await?;
    m.create_table(
        Table::create()
            .table(LeadScoringRules::Table)
            .col(uuid(LeadScoringRules::Id).primary_key())
            .col(uuid(LeadScoringRules::OrganizationId))
            .col(string_len(LeadScoringRules::Name, 200))
            .col(string_len(LeadScoringRules::Subject, 16).check(
                Expr::col(LeadScoringRules::Subject).is_in([
                    "field",
                    "custom_field",
                    "activity_count",
                ]),
            ))
            .col(string_len(LeadScoringRules::Field, 64))
            .col(string_len(LeadScoringRules::Operator, 16))
            .col(json_binary_null(LeadScoringRules::Value))
            .col(integer_null(LeadScoringRules::WithinDays))
            .col(
                integer(LeadScoringRules::Points)
                    .check(Expr::col(LeadScoringRules::Points).between(-1000, 1000)),
            )
            .col(boolean(LeadScoringRules::Active).default(true))
            .col(timestamp_with_time_zone(LeadScoringRules::CreatedAt))
            .col(timestamp_with_time_zone(LeadScoringRules::UpdatedAt))
            .col(integer(LeadScoringRules::Version).default(1))
            .foreign_key(&mut org_fk(
                LeadScoringRules::Table,
                LeadScoringRules::OrganizationId,
            ))
            .to_owned(),
    )
    .await?;
    index(
        m,
        "ix_lead_scoring_rules_org_id",
        LeadScoringRules::Table,
        idx(&["organization_id", "id"]),
        false,
    )
    .await
}

async fn create_pipelines(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    m.create_table(
        Table::create()
            .table(Pipelines::Table)
            .col(uuid(Pipelines::Id).primary_key())
            .col(uuid(Pipelines::OrganizationId))
            .col(string_len(Pipelines::Name, 200))
            .col(boolean(Pipelines::IsDefault).default(false))
            .col(boolean(Pipelines::Active).default(true))
            .col(timestamp_with_time_zone(Pipelines::CreatedAt))
            .col(timestamp_with_time_zone(Pipelines::UpdatedAt))
            .col(integer(Pipelines::Version).default(1))
            .foreign_key(&mut org_fk(Pipelines::Table, Pipelines::OrganizationId))
            .to_owned(),
    )
    .await?;
    index(
        m,
        "ux_pipelines_org_name",
        Pipelines::Table,
        idx(&["organization_id", "name"]),
        true,
    )
    .await?;
    use PipelineStages as S;
    m.create_table(
        Table::create()
            .table(S::Table)
            .col(uuid(S::Id).primary_key())
            .col(uuid(S::OrganizationId))
            .col(uuid(S::PipelineId))
            .col(string_len(S::Name, 100))
            .col(integer(S::Position))
            .col(integer(S::Probability).check(Expr::col(S::Probability).between(0, 100)))
            .col(string_len(S::Kind, 8).check(Expr::col(S::Kind).is_in(["open", "won", "lost"])))
            .col(timestamp_with_time_zone(S::CreatedAt))
            .col(timestamp_with_time_zone(S::UpdatedAt))
            .col(integer(S::Version).default(1))
            .foreign_key(&mut org_fk(S::Table, S::OrganizationId))
            .foreign_key(&mut fk(
                "fk_pipeline_stages_pipeline",
                (S::Table, S::PipelineId),
                (Pipelines::Table, Pipelines::Id),
            ))
            .to_owned(),
    )
    .await?;
    index(
        m,
        "ix_pipeline_stages_org_pipeline",
        S::Table,
        idx(&["organization_id", "pipeline_id", "position"]),
        false,
    )
    .await?;
    m.create_table(
        Table::create()
            .table(LostReasons::Table)
            .col(uuid(LostReasons::Id).primary_key())
            .col(uuid(LostReasons::OrganizationId))
            .col(string_len(LostReasons::Name, 200))
            .col(boolean(LostReasons::Active).default(true))
            .col(timestamp_with_time_zone(LostReasons::CreatedAt))
            .col(timestamp_with_time_zone(LostReasons::UpdatedAt))
            .col(integer(LostReasons::Version).default(1))
            .foreign_key(&mut org_fk(LostReasons::Table, LostReasons::OrganizationId))
            .to_owned(),
    )
    .await?;
    index(
        m,
        "ux_lost_reasons_org_name",
        LostReasons::Table,
        idx(&["organization_id", "name"]),
        true,
    )
    .await
}

async fn create_deals(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    use Deals as T;
    m.create_table(
        Table::create()
            .table(T::Table)
            .col(uuid(T::Id).primary_key())
            .col(uuid(T::OrganizationId))
            .col(string_len(T::Title, 200))
            .col(uuid_null(T::CustomerId))
            .col(uuid_null(T::ContactId))
            .col(uuid(T::PipelineId))
            .col(uuid(T::StageId))
            .col(
                string_len(T::Status, 8).check(Expr::col(T::Status).is_in(["open", "won", "lost"])),
            )
            .col(
                big_integer(T::Amount)
                    .default(0)
                    .check(Expr::col(T::Amount).gte(0)),
            )
            .col(string_len(T::Currency, 3))
            .col(date_null(T::ExpectedCloseDate))
            .col(uuid_null(T::OwnerId))
            .col(uuid_null(T::LostReasonId))
            .col(uuid_null(T::LeadId))
            .col(json_binary(T::CustomFields))
            .col(timestamp_with_time_zone_null(T::ClosedAt))
            .col(timestamp_with_time_zone(T::CreatedAt))
            .col(timestamp_with_time_zone(T::UpdatedAt))
            .col(integer(T::Version).default(1))
            .foreign_key(&mut org_fk(T::Table, T::OrganizationId))
            .foreign_key(&mut fk(
                "fk_deals_stage",
                (T::Table, T::StageId),
                (PipelineStages::Table, PipelineStages::Id),
            ))
            .foreign_key(&mut fk(
                "fk_deals_customer",
                (T::Table, T::CustomerId),
                (Customers::Table, Customers::Id),
            ))
            .to_owned(),
    )
    .await?;
    index(
        m,
        "ix_deals_org_id",
        T::Table,
        idx(&["organization_id", "id"]),
        false,
    )
    .await?;
    index(
        m,
        "ix_deals_org_contact_id",
        T::Table,
        idx(&["organization_id", "contact_id", "id"]),
        false,
    )
    .await?;
    index(
        m,
        "ix_deals_org_amount_id",
        T::Table,
        idx(&["organization_id", "amount", "id"]),
        false,
    )
    .await?;
    index(
        m,
        "ix_deals_org_stage_id",
        T::Table,
        idx(&["organization_id", "stage_id", "id"]),
        false,
    )
    .await?;
    index(
        m,
        "ix_deals_org_pipeline_id",
        T::Table,
        idx(&["organization_id", "pipeline_id", "id"]),
        false,
    )
    .await?;
    index(
        m,
        "ix_deals_org_status_id",
        T::Table,
        idx(&["organization_id", "status", "id"]),
        false,
    )
    .await?;
    index(
        m,
        "ix_deals_org_customer_id",
        T::Table,
        idx(&["organization_id", "customer_id", "id"]),
        false,
    )
    .await?;
    index(
        m,
        "ix_deals_org_owner_id",
        T::Table,
        idx(&["organization_id", "owner_id", "id"]),
        false,
    )
    .await?;
    index(
        m,
        "ix_deals_org_close",
        T::Table,
        idx(&["organization_id", "status", "expected_close_date"]),
        false,
    )
    .await?;
    use DealStageHistory as H;
    m.create_table(
        Table::create()
            .table(H::Table)
            .col(uuid(H::Id).primary_key())
            .col(uuid(H::OrganizationId))
            .col(uuid(H::DealId))
            .col(uuid_null(H::FromStageId))
            .col(uuid(H::ToStageId))
            .col(timestamp_with_time_zone(H::MovedAt))
            .col(uuid_null(H::MovedBy))
            .foreign_key(&mut org_fk(H::Table, H::OrganizationId))
            .foreign_key(&mut fk(
                "fk_deal_stage_history_deal",
                (H::Table, H::DealId),
                (Deals::Table, Deals::Id),
            ))
            .to_owned(),
    )
    .await?;
    index(
        m,
        "ix_deal_stage_history_org_deal",
        H::Table,
        idx(&["organization_id", "deal_id", "id"]),
        false,
    )
    .await
}

async fn create_activities(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    use Activities as T;
    m.create_table(
        Table::create()
            .table(T::Table)
            .col(uuid(T::Id).primary_key())
            .col(uuid(T::OrganizationId))
            .col(string_len(T::Kind, 16).check(
                Expr::col(T::Kind).is_in(["note", "call", "email", "meeting", "sms", "task"]),
            ))
            .col(
                string_len_null(T::Direction, 16)
                    .check(Expr::col(T::Direction).is_in(["inbound", "outbound"])),
            )
            .col(string_len(T::Subject, 300))
            .col(text(T::Body).default(""))
            .col(timestamp_with_time_zone_null(T::DueAt))
            .col(boolean(T::Done).default(false))
            .col(timestamp_with_time_zone_null(T::DoneAt))
            .col(uuid_null(T::AssigneeId))
            .col(uuid_null(T::LeadId))
            .col(uuid_null(T::ContactId))
            .col(uuid_null(T::CustomerId))
            .col(uuid_null(T::DealId))
            .col(uuid_null(T::CreatedBy))
            .col(timestamp_with_time_zone(T::CreatedAt))
            .col(timestamp_with_time_zone(T::UpdatedAt))
            .col(integer(T::Version).default(1))
            .foreign_key(&mut org_fk(T::Table, T::OrganizationId))
            .to_owned(),
    )
    .await?;
    index(
        m,
        "ix_activities_org_id",
        T::Table,
        idx(&["organization_id", "id"]),
        false,
    )
    .await?;
    index(
        m,
        "ix_activities_org_assignee_open",
        T::Table,
        idx(&["organization_id", "assignee_id", "done", "due_at", "id"]),
        false,
    )
    .await?;
    index(
        m,
        "ix_activities_org_lead_id",
        T::Table,
        idx(&["organization_id", "lead_id", "id"]),
        false,
    )
    .await?;
    index(
        m,
        "ix_activities_org_contact_id",
        T::Table,
        idx(&["organization_id", "contact_id", "id"]),
        false,
    )
    .await?;
    index(
        m,
        "ix_activities_org_customer_id",
        T::Table,
        idx(&["organization_id", "customer_id", "id"]),
        false,
    )
    .await?;
    index(
        m,
        "ix_activities_org_deal_id",
        T::Table,
        idx(&["organization_id", "deal_id", "id"]),
        false,
    )
    .await?;
    use CrmTimeline as E;
    m.create_table(
        Table::create()
            .table(E::Table)
            .col(uuid(E::Id).primary_key())
            .col(uuid(E::OrganizationId))
            .col(uuid_null(E::CustomerId))
            .col(uuid_null(E::ContactId))
            .col(uuid_null(E::LeadId))
            .col(uuid_null(E::DealId))
            .col(string_len(E::Kind, 32))
            .col(uuid_null(E::RefId))
            .col(json_binary(E::Details))
            .col(uuid_null(E::ActorId))
            .col(timestamp_with_time_zone(E::OccurredAt))
            .foreign_key(&mut org_fk(E::Table, E::OrganizationId))
            .to_owned(),
    )
    .await?;
    index(
        m,
        "ix_crm_timeline_org_customer",
        E::Table,
        idx(&["organization_id", "customer_id", "id"]),
        false,
    )
    .await?;
    index(
        m,
        "ix_crm_timeline_org_contact",
        E::Table,
        idx(&["organization_id", "contact_id", "id"]),
        false,
    )
    .await
}

/// JSONB containment and prefix-search indexes (PostgreSQL only: SQLite
/// filters the same JSON with `json_extract`/`json_each`).
const PG_INDEXES: &str = r#"
CREATE INDEX ix_customers_custom_fields ON customers USING GIN (custom_fields jsonb_path_ops);
CREATE INDEX ix_customers_tags ON customers USING GIN (tags jsonb_path_ops);
CREATE INDEX ix_contacts_custom_fields ON contacts USING GIN (custom_fields jsonb_path_ops);
CREATE INDEX ix_contacts_tags ON contacts USING GIN (tags jsonb_path_ops);
CREATE INDEX ix_leads_custom_fields ON leads USING GIN (custom_fields jsonb_path_ops);
CREATE INDEX ix_deals_custom_fields ON deals USING GIN (custom_fields jsonb_path_ops);
CREATE INDEX ix_contacts_org_first_prefix ON contacts (organization_id, lower(first_name) text_pattern_ops);
CREATE INDEX ix_contacts_org_last_prefix ON contacts (organization_id, lower(last_name) text_pattern_ops);
CREATE INDEX ix_contacts_org_email_prefix ON contacts (organization_id, lower(email) text_pattern_ops);
CREATE INDEX ix_customers_org_name_prefix ON customers (organization_id, lower(name) text_pattern_ops);
"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        create_custom_fields(m).await?;
        create_customers(m).await?;
        create_contacts(m).await?;
        create_leads(m).await?;
        create_pipelines(m).await?;
        create_deals(m).await?;
        create_activities(m).await?;
        let db = m.get_connection();
        let backend = m.get_database_backend();
        if backend == DatabaseBackend::Postgres {
            db.execute_unprepared(PG_INDEXES).await?;
        }
        let orgs = db
            .query_all_raw(Statement::from_string(
                backend,
                "SELECT id FROM organizations",
            ))
            .await?;
        let now = chrono::Utc::now();
        for row in orgs {
            let id: uuid::Uuid = row.try_get("", "id")?;
            crate::crm::seed(db, id, now).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "crm_timeline",
            "activities",
            "deal_stage_history",
            "deals",
            "lost_reasons",
            "pipeline_stages",
            "pipelines",
            "lead_scoring_rules",
            "leads",
            "contacts",
            "customers",
            "crm_custom_fields",
        ] {
            m.drop_table(Table::drop().table(Alias::new(t)).to_owned())
                .await?;
        }
        Ok(())
    }
}
