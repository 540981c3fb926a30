//! Teams: a hierarchy (parent team), a lead, and members.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Teams {
    Table,
    Id,
    OrganizationId,
    Name,
    Description,
    ParentId,
    LeadUserId,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum TeamMembers {
    Table,
    OrganizationId,
    TeamId,
    UserId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Teams::Table)
                .col(uuid(Teams::Id).primary_key())
                .col(uuid(Teams::OrganizationId))
                .col(string_len(Teams::Name, 200))
                .col(string_len(Teams::Description, 1000).default(""))
                .col(uuid_null(Teams::ParentId))
                .col(uuid_null(Teams::LeadUserId))
                .col(timestamp_with_time_zone(Teams::CreatedAt))
                .col(timestamp_with_time_zone(Teams::UpdatedAt))
                .col(integer(Teams::Version).default(1))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_teams_org")
                        .from(Teams::Table, Teams::OrganizationId)
                        .to(Organizations::Table, Organizations::Id)
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_teams_parent")
                        .from(Teams::Table, Teams::ParentId)
                        .to(Teams::Table, Teams::Id)
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_teams_lead")
                        .from(Teams::Table, Teams::LeadUserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_teams_org_name")
                .table(Teams::Table)
                .col(Teams::OrganizationId)
                .col(Teams::Name)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_teams_org_parent")
                .table(Teams::Table)
                .col(Teams::OrganizationId)
                .col(Teams::ParentId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(TeamMembers::Table)
                .col(uuid(TeamMembers::OrganizationId))
                .col(uuid(TeamMembers::TeamId))
                .col(uuid(TeamMembers::UserId))
                .col(timestamp_with_time_zone(TeamMembers::CreatedAt))
                .primary_key(
                    Index::create()
                        .col(TeamMembers::TeamId)
                        .col(TeamMembers::UserId),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_team_members_team")
                        .from(TeamMembers::Table, TeamMembers::TeamId)
                        .to(Teams::Table, Teams::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_team_members_user")
                        .from(TeamMembers::Table, TeamMembers::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_team_members_org_user")
                .table(TeamMembers::Table)
                .col(TeamMembers::OrganizationId)
                .col(TeamMembers::UserId)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(TeamMembers::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(Teams::Table).to_owned())
            .await
    }
}
