//! Small builders shared by migrations. They only shorten code: the DDL they
//! produce is what each migration spelled out before, so using them in an
//! existing migration changes nothing in the schema.

use sea_orm_migration::prelude::*;

/// A named foreign key that refuses to delete referenced rows.
pub fn fk(
    name: &str,
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(ForeignKeyAction::Restrict)
        .to_owned()
}

/// The foreign key `fk_<table>_org` from `col` to `organizations.id`.
pub fn org_fk(table: impl IntoIden + 'static, col: impl IntoIden) -> ForeignKeyCreateStatement {
    let table = table.into_iden();
    let name = format!("fk_{table}_org");
    fk(
        &name,
        (table, col),
        (Alias::new("organizations"), Alias::new("id")),
    )
}

/// Column names as index columns.
pub fn idx(cols: &[&str]) -> Vec<DynIden> {
    cols.iter().map(|c| Alias::new(*c).into_iden()).collect()
}

/// Creates a (unique) index on `cols` of `table`.
pub async fn index(
    m: &SchemaManager<'_>,
    name: &str,
    table: impl IntoIden + 'static,
    cols: Vec<DynIden>,
    unique: bool,
) -> Result<(), DbErr> {
    let mut i = Index::create();
    i.name(name).table(table);
    for c in cols {
        i.col(c);
    }
    if unique {
        i.unique();
    }
    m.create_index(i.to_owned()).await
}
