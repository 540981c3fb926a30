//! Accounting: the chart of accounts, the roles other modules post to, tax
//! rates, fiscal years with monthly periods, and the journal.
//!
//! The database itself keeps the ledger honest, whatever writes to it:
//! - a line is one-sided and positive (CHECK);
//! - an entry is born a draft; it becomes `posted` only if its lines number
//!   at least two and their debits equal their credits (a trigger on the
//!   state change);
//! - a posted entry and its lines never change again (triggers refuse any
//!   insert, update or delete of a posted entry's lines, and any change of
//!   the entry but its reversal link).
//!
//! These are immediate triggers on both backends rather than a deferred
//! constraint trigger on PostgreSQL: since lines can only be written while
//! the entry is a draft, checking the balance at the moment of posting is
//! final, and both backends enforce the same rule the same way.
//!
//! Journal lines carry no foreign key to `accounts`, nor entries and
//! balances to `organizations`: on PostgreSQL a foreign key check takes a
//! KEY SHARE lock on the referenced row, and every posting of an
//! organization (every inventory issue posts to the same two accounts)
//! would share those rows through multixacts and serialize on them (see
//! 000010). Organizations and accounts are never deleted (accounts are
//! archived) and the service checks every line's account.
//!
//! `account_balances` holds posted totals per account and month (in 16
//! shards on PostgreSQL), kept by the posting trigger: reports add up a few
//! thousand of these plus the lines of at most two partial months, never
//! every line of years of postings.
//!
//! Stock levels and movements gain their exact value (scale 4), so the
//! inventory account can equal the stock valuation to the unit: a level's
//! value moves only by the value of each movement, which is what is posted.
//! Every existing organization gets the standard chart.

use sea_orm::{DatabaseBackend, Statement};
use sea_orm_migration::{prelude::*, schema::*};

use crate::util::{fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
    OrganizationId,
    Code,
    Name,
    AccountType,
    Subtype,
    ParentId,
    IsGroup,
    Description,
    Active,
}

#[derive(DeriveIden)]
enum AccountingSettings {
    Table,
    OrganizationId,
    CashAccountId,
    BankAccountId,
    ReceivableAccountId,
    PayableAccountId,
    InventoryAccountId,
    GoodsReceivedAccountId,
    CostOfGoodsSoldAccountId,
    StockAdjustmentAccountId,
    SalesRevenueAccountId,
    SalesTaxAccountId,
    RetainedEarningsAccountId,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum TaxRates {
    Table,
    Id,
    OrganizationId,
    Name,
    Rate,
    AccountId,
    Active,
}

#[derive(DeriveIden)]
enum FiscalYears {
    Table,
    Id,
    OrganizationId,
    Name,
    StartDate,
    EndDate,
    State,
    ClosingEntryId,
}

#[derive(DeriveIden)]
enum FiscalPeriods {
    Table,
    Id,
    OrganizationId,
    FiscalYearId,
    Number,
    StartDate,
    EndDate,
    State,
    ClosedAt,
}

#[derive(DeriveIden)]
enum JournalEntries {
    Table,
    Id,
    OrganizationId,
    Number,
    EntryDate,
    Memo,
    State,
    SourceType,
    SourceId,
    ReversalOf,
    ReversedBy,
    Total,
    CreatedBy,
    PostedAt,
}

#[derive(DeriveIden)]
enum JournalLines {
    Table,
    Id,
    OrganizationId,
    EntryId,
    LineNo,
    AccountId,
    EntryDate,
    Debit,
    Credit,
    Description,
    PartyType,
    PartyId,
}

fn state_col<T: IntoIden>(col: T, states: [&'static str; 2]) -> ColumnDef {
    let name = col.into_iden();
    string_len(name.clone(), 16)
        .check(Expr::col(name).is_in(states))
        .to_owned()
}

fn versioned(t: &mut TableCreateStatement, created: bool) {
    if created {
        t.col(timestamp_with_time_zone(Alias::new("created_at")));
    }
    t.col(timestamp_with_time_zone(Alias::new("updated_at")))
        .col(integer(Alias::new("version")).default(1));
}

fn org_fk(table: impl IntoIden + 'static, name: &str) -> ForeignKeyCreateStatement {
    fk(
        name,
        (table, Alias::new("organization_id")),
        (Organizations::Table, Organizations::Id),
    )
}

async fn create_accounts(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    let mut t = Table::create();
    t.table(Accounts::Table)
        .col(uuid(Accounts::Id).primary_key())
        .col(uuid(Accounts::OrganizationId))
        .col(string_len(Accounts::Code, 16))
        .col(string_len(Accounts::Name, 200))
        .col(
            string_len(Accounts::AccountType, 16).check(Expr::col(Accounts::AccountType).is_in([
                "asset",
                "liability",
                "equity",
                "income",
                "expense",
            ])),
        )
        .col(string_len(Accounts::Subtype, 32))
        .col(uuid_null(Accounts::ParentId))
        .col(boolean(Accounts::IsGroup).default(false))
        .col(text(Accounts::Description).default(""))
        .col(boolean(Accounts::Active).default(true));
    versioned(&mut t, true);
    t.foreign_key(&mut org_fk(Accounts::Table, "fk_accounts_org"))
        .foreign_key(&mut fk(
            "fk_accounts_parent",
            (Accounts::Table, Accounts::ParentId),
            (Accounts::Table, Accounts::Id),
        ));
    m.create_table(t.to_owned()).await?;
    index(
        m,
        "ux_accounts_org_code",
        Accounts::Table,
        vec![
            Accounts::OrganizationId.into_iden(),
            Accounts::Code.into_iden(),
        ],
        true,
    )
    .await?;
    index(
        m,
        "ix_accounts_org_parent",
        Accounts::Table,
        vec![
            Accounts::OrganizationId.into_iden(),
            Accounts::ParentId.into_iden(),
        ],
        false,
    )
    .await
}

async fn create_settings_and_tax_rates(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    use AccountingSettings as S;
    let mut t = Table::create();
    t.table(S::Table).col(uuid(S::OrganizationId).primary_key());
    for c in [
        S::CashAccountId,
        S::BankAccountId,
        S::ReceivableAccountId,
        S::PayableAccountId,
        S::InventoryAccountId,
        S::GoodsReceivedAccountId,
        S::CostOfGoodsSoldAccountId,
        S::StockAdjustmentAccountId,
        S::SalesRevenueAccountId,
        S::SalesTaxAccountId,
        S::RetainedEarningsAccountId,
    ] {
        t.col(uuid_null(c));
    }
    t.col(timestamp_with_time_zone(S::UpdatedAt))
        .col(integer(S::Version).default(1))
        .foreign_key(&mut org_fk(S::Table, "fk_accounting_settings_org"));
    m.create_table(t.to_owned()).await?;

    let mut t = Table::create();
    t.table(TaxRates::Table)
        .col(uuid(TaxRates::Id).primary_key())
        .col(uuid(TaxRates::OrganizationId))
        .col(string_len(TaxRates::Name, 100))
        .col(big_integer(TaxRates::Rate).check(Expr::col(TaxRates::Rate).between(0, 1_000_000)))
        .col(uuid(TaxRates::AccountId))
        .col(boolean(TaxRates::Active).default(true));
    versioned(&mut t, true);
    t.foreign_key(&mut org_fk(TaxRates::Table, "fk_tax_rates_org"))
        .foreign_key(&mut fk(
            "fk_tax_rates_account",
            (TaxRates::Table, TaxRates::AccountId),
            (Accounts::Table, Accounts::Id),
        ));
    m.create_table(t.to_owned()).await?;
    index(
        m,
        "ux_tax_rates_org_name",
        TaxRates::Table,
        vec![
            TaxRates::OrganizationId.into_iden(),
            TaxRates::Name.into_iden(),
        ],
        true,
    )
    .await
}

async fn create_fiscal_years(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    let mut t = Table::create();
    t.table(FiscalYears::Table)
        .col(uuid(FiscalYears::Id).primary_key())
        .col(uuid(FiscalYears::OrganizationId))
        .col(string_len(FiscalYears::Name, 64))
        .col(date(FiscalYears::StartDate))
        .col(date(FiscalYears::EndDate))
        .col(state_col(FiscalYears::State, ["open", "closed"]))
        .col(uuid_null(FiscalYears::ClosingEntryId))
        .check(Expr::col(FiscalYears::EndDate).gt(Expr::col(FiscalYears::StartDate)));
    versioned(&mut t, true);
    t.foreign_key(&mut org_fk(FiscalYears::Table, "fk_fiscal_years_org"));
    m.create_table(t.to_owned()).await?;
    index(
        m,
        "ux_fiscal_years_org_start",
        FiscalYears::Table,
        vec![
            FiscalYears::OrganizationId.into_iden(),
            FiscalYears::StartDate.into_iden(),
        ],
        true,
    )
    .await?;

    let mut t = Table::create();
    t.table(FiscalPeriods::Table)
        .col(uuid(FiscalPeriods::Id).primary_key())
        .col(uuid(FiscalPeriods::OrganizationId))
        .col(uuid(FiscalPeriods::FiscalYearId))
        .col(integer(FiscalPeriods::Number))
        .col(date(FiscalPeriods::StartDate))
        .col(date(FiscalPeriods::EndDate))
        .col(state_col(FiscalPeriods::State, ["open", "closed"]))
        .col(timestamp_with_time_zone_null(FiscalPeriods::ClosedAt));
    versioned(&mut t, false);
    t.foreign_key(&mut org_fk(FiscalPeriods::Table, "fk_fiscal_periods_org"))
        .foreign_key(&mut fk(
            "fk_fiscal_periods_year",
            (FiscalPeriods::Table, FiscalPeriods::FiscalYearId),
            (FiscalYears::Table, FiscalYears::Id),
        ));
    m.create_table(t.to_owned()).await?;
    index(
        m,
        "ux_fiscal_periods_org_start",
        FiscalPeriods::Table,
        vec![
            FiscalPeriods::OrganizationId.into_iden(),
            FiscalPeriods::StartDate.into_iden(),
        ],
        true,
    )
    .await?;
    index(
        m,
        "ix_fiscal_periods_year",
        FiscalPeriods::Table,
        vec![FiscalPeriods::FiscalYearId.into_iden()],
        false,
    )
    .await
}

async fn create_journal(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    use JournalEntries as E;
    let mut t = Table::create();
    t.table(E::Table)
        .col(uuid(E::Id).primary_key())
        .col(uuid(E::OrganizationId))
        .col(string_len(E::Number, 32))
        .col(date(E::EntryDate))
        .col(text(E::Memo).default(""))
        .col(state_col(E::State, ["draft", "posted"]))
        .col(string_len_null(E::SourceType, 32))
        .col(string_len_null(E::SourceId, 64))
        .col(uuid_null(E::ReversalOf))
        .col(uuid_null(E::ReversedBy))
        .col(
            big_integer(E::Total)
                .default(0)
                .check(Expr::col(E::Total).gte(0)),
        )
        .col(uuid_null(E::CreatedBy))
        .col(timestamp_with_time_zone_null(E::PostedAt));
    versioned(&mut t, true);
    m.create_table(t.to_owned()).await?;
    index(
        m,
        "ux_journal_entries_org_number",
        E::Table,
        vec![E::OrganizationId.into_iden(), E::Number.into_iden()],
        true,
    )
    .await?;
    // One entry per source document: a second post of it is refused.
    index(
        m,
        "ux_journal_entries_org_source",
        E::Table,
        vec![
            E::OrganizationId.into_iden(),
            E::SourceType.into_iden(),
            E::SourceId.into_iden(),
        ],
        true,
    )
    .await?;
    // Drafts are few: reports leave their lines out through this index.
    index(
        m,
        "ix_journal_entries_org_state",
        E::Table,
        vec![E::OrganizationId.into_iden(), E::State.into_iden()],
        false,
    )
    .await?;
    index(
        m,
        "ix_journal_entries_org_date_id",
        E::Table,
        vec![
            E::OrganizationId.into_iden(),
            E::EntryDate.into_iden(),
            E::Id.into_iden(),
        ],
        false,
    )
    .await?;

    use JournalLines as L;
    let mut t = Table::create();
    t.table(L::Table)
        .col(uuid(L::Id).primary_key())
        .col(uuid(L::OrganizationId))
        .col(uuid(L::EntryId))
        .col(integer(L::LineNo))
        .col(uuid(L::AccountId))
        .col(date(L::EntryDate))
        .col(big_integer(L::Debit).default(0))
        .col(big_integer(L::Credit).default(0))
        .col(text(L::Description).default(""))
        .col(string_len_null(L::PartyType, 16))
        .col(uuid_null(L::PartyId))
        .check(
            Expr::col(L::Debit)
                .gte(0)
                .and(Expr::col(L::Credit).gte(0))
                .and(
                    Expr::col(L::Debit)
                        .gt(0)
                        .and(Expr::col(L::Credit).eq(0))
                        .or(Expr::col(L::Debit).eq(0).and(Expr::col(L::Credit).gt(0))),
                ),
        )
        .foreign_key(&mut fk(
            "fk_journal_lines_entry",
            (L::Table, L::EntryId),
            (E::Table, E::Id),
        ));
    m.create_table(t.to_owned()).await?;
    index(
        m,
        "ix_journal_lines_entry",
        L::Table,
        vec![L::EntryId.into_iden(), L::LineNo.into_iden()],
        true,
    )
    .await?;
    // Reports sum a partial month of every account's lines from this one
    // index alone.
    index(
        m,
        "ix_journal_lines_org_date",
        L::Table,
        vec![
            L::OrganizationId.into_iden(),
            L::EntryDate.into_iden(),
            L::AccountId.into_iden(),
            L::EntryId.into_iden(),
            L::Debit.into_iden(),
            L::Credit.into_iden(),
        ],
        false,
    )
    .await?;
    index(
        m,
        "ix_journal_lines_org_account_date",
        L::Table,
        vec![
            L::OrganizationId.into_iden(),
            L::AccountId.into_iden(),
            L::EntryDate.into_iden(),
            L::Id.into_iden(),
        ],
        false,
    )
    .await
}

/// Posted totals per account, month, closing or not, and shard: what the
/// reports add up instead of every line (kept by the posting trigger, so
/// they hold whoever posts).
async fn create_balances(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    let t = Alias::new("account_balances");
    let mut create = Table::create();
    create
        .table(t.clone())
        .col(uuid(Alias::new("organization_id")))
        .col(uuid(Alias::new("account_id")))
        .col(date(Alias::new("month")))
        .col(boolean(Alias::new("closing")))
        .col(small_integer(Alias::new("shard")))
        .col(big_integer(Alias::new("debit")).default(0))
        .col(big_integer(Alias::new("credit")).default(0))
        .primary_key(
            Index::create()
                .col(Alias::new("organization_id"))
                .col(Alias::new("account_id"))
                .col(Alias::new("month"))
                .col(Alias::new("closing"))
                .col(Alias::new("shard")),
        );
    m.create_table(create.to_owned()).await?;
    index(
        m,
        "ix_account_balances_org_month",
        t,
        vec![
            Alias::new("organization_id").into_iden(),
            Alias::new("month").into_iden(),
        ],
        false,
    )
    .await
}

const PG_GUARDS: &str = r#"
CREATE FUNCTION journal_entry_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NEW.state = 'posted' THEN
      RAISE EXCEPTION 'journal entry % must be created as a draft and posted once its lines balance', NEW.id
        USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
  END IF;
  IF TG_OP = 'DELETE' THEN
    IF OLD.state = 'posted' THEN
      RAISE EXCEPTION 'posted journal entry % cannot be deleted', OLD.id USING ERRCODE = 'check_violation';
    END IF;
    RETURN OLD;
  END IF;
  IF OLD.state = 'posted' THEN
    -- Only the reversal link may be set, once.
    IF (NEW.id, NEW.organization_id, NEW.number, NEW.entry_date, NEW.memo, NEW.state,
        NEW.source_type, NEW.source_id, NEW.reversal_of, NEW.total, NEW.created_by,
        NEW.posted_at, NEW.created_at)
       IS DISTINCT FROM
       (OLD.id, OLD.organization_id, OLD.number, OLD.entry_date, OLD.memo, OLD.state,
        OLD.source_type, OLD.source_id, OLD.reversal_of, OLD.total, OLD.created_by,
        OLD.posted_at, OLD.created_at)
       OR (OLD.reversed_by IS NOT NULL AND NEW.reversed_by IS DISTINCT FROM OLD.reversed_by) THEN
      RAISE EXCEPTION 'posted journal entry % is immutable', OLD.id USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
  END IF;
  IF NEW.state = 'posted' THEN
    IF (SELECT count(*) < 2 OR sum(debit) <> sum(credit) OR sum(debit) <> NEW.total
        FROM journal_lines WHERE entry_id = NEW.id) THEN
      RAISE EXCEPTION 'journal entry % does not balance', NEW.id USING ERRCODE = 'check_violation';
    END IF;
    -- The monthly balances reports read; one of 16 shards at random, so
    -- postings to the same account do not queue on one row. Rows are
    -- locked in account order (no deadlock between two postings).
    INSERT INTO account_balances (organization_id, account_id, month, closing, shard, debit, credit)
    SELECT NEW.organization_id, l.account_id, date_trunc('month', NEW.entry_date)::date,
           COALESCE(NEW.source_type = 'fiscal_year_close', false), s.shard, sum(l.debit), sum(l.credit)
    FROM journal_lines l, (SELECT floor(random() * 16)::smallint AS shard) s
    WHERE l.entry_id = NEW.id
    GROUP BY l.account_id, s.shard
    ORDER BY l.account_id
    ON CONFLICT (organization_id, account_id, month, closing, shard) DO UPDATE
      SET debit = account_balances.debit + EXCLUDED.debit,
          credit = account_balances.credit + EXCLUDED.credit;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER journal_entries_guard BEFORE INSERT OR UPDATE OR DELETE ON journal_entries
  FOR EACH ROW EXECUTE FUNCTION journal_entry_guard();

-- One round trip for a whole posting (the service's hot path on
-- PostgreSQL): the next JE number, the entry (a draft), the checks the
-- service would make (every line on a live posting account of the
-- organization; the date not in a closed period) AFTER the entry row is
-- written (see the service's `periods` module for why), the lines, and the
-- flip to posted (which the guard above checks). A failed check returns its
-- name and writes nothing more (the caller rolls back and explains it), or,
-- with p_raise (a call that is its own transaction), raises
-- `accounting:<check>` so nothing at all is kept.
-- Returns the number, the problem (NULL when posted) and the accounts of
-- the lines (id, code, name) for the answer.
CREATE FUNCTION accounting_write_entry(p_id uuid, p_org uuid, p_date date, p_memo text,
    p_source_type text, p_source_id text, p_reversal_of uuid, p_total bigint,
    p_created_by uuid, p_now timestamptz, p_post boolean, p_check_period boolean, p_lines jsonb,
    p_raise boolean)
  RETURNS TABLE (number text, problem text, accounts jsonb) LANGUAGE plpgsql AS $$
DECLARE
  v bigint;
  n text;
BEGIN
  INSERT INTO document_sequences (organization_id, series, last_value, updated_at)
    VALUES (p_org, 'JE', 1, p_now)
    ON CONFLICT (organization_id, series) DO UPDATE
      SET last_value = document_sequences.last_value + 1, updated_at = EXCLUDED.updated_at
    RETURNING last_value INTO v;
  n := 'JE-' || CASE WHEN v >= 100000 THEN v::text ELSE lpad(v::text, 6, '0') END;
  INSERT INTO journal_entries (id, organization_id, number, entry_date, memo, state, source_type,
      source_id, reversal_of, reversed_by, total, created_by, posted_at, created_at, updated_at, version)
    VALUES (p_id, p_org, n, p_date, p_memo, 'draft', p_source_type, p_source_id, p_reversal_of,
      NULL, p_total, p_created_by, NULL, p_now, p_now, 1);
  IF EXISTS (SELECT 1 FROM jsonb_to_recordset(p_lines) AS x(account_id uuid)
             LEFT JOIN accounts a ON a.id = x.account_id AND a.organization_id = p_org
               AND NOT a.is_group AND a.active
             WHERE a.id IS NULL) THEN
    IF p_raise THEN
      RAISE EXCEPTION 'accounting:invalid_account' USING ERRCODE = 'P0001';
    END IF;
    RETURN QUERY SELECT n, 'invalid_account'::text, NULL::jsonb;
    RETURN;
  END IF;
  IF p_post AND p_check_period AND EXISTS (
       SELECT 1 FROM fiscal_periods WHERE organization_id = p_org AND start_date <= p_date
         AND end_date >= p_date AND state = 'closed') THEN
    IF p_raise THEN
      RAISE EXCEPTION 'accounting:period_closed' USING ERRCODE = 'P0001';
    END IF;
    RETURN QUERY SELECT n, 'period_closed'::text, NULL::jsonb;
    RETURN;
  END IF;
  INSERT INTO journal_lines (id, organization_id, entry_id, line_no, account_id, entry_date, debit,
      credit, description, party_type, party_id)
    SELECT x.id, p_org, p_id, x.line_no, x.account_id, p_date, x.debit, x.credit, x.description,
      x.party_type, x.party_id
    FROM jsonb_to_recordset(p_lines) AS x(id uuid, line_no int, account_id uuid, debit bigint,
      credit bigint, description text, party_type text, party_id uuid);
  IF p_post THEN
    UPDATE journal_entries SET state = 'posted', posted_at = p_now, updated_at = p_now,
        version = version + 1
      WHERE id = p_id;
  END IF;
  RETURN QUERY SELECT n, NULL::text,
    (SELECT jsonb_agg(jsonb_build_object('id', a.id, 'code', a.code, 'name', a.name))
     FROM accounts a WHERE a.organization_id = p_org
       AND a.id IN (SELECT x.account_id FROM jsonb_to_recordset(p_lines) AS x(account_id uuid)));
END $$;

CREATE FUNCTION journal_line_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  entry record;
BEGIN
  IF TG_OP <> 'INSERT' AND EXISTS (
       SELECT 1 FROM journal_entries WHERE id = OLD.entry_id AND state = 'posted') THEN
    RAISE EXCEPTION 'lines of posted journal entry % are immutable', OLD.entry_id
      USING ERRCODE = 'check_violation';
  END IF;
  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
  SELECT state, organization_id, entry_date INTO entry FROM journal_entries WHERE id = NEW.entry_id;
  IF entry.state = 'posted' THEN
    RAISE EXCEPTION 'lines of posted journal entry % are immutable', NEW.entry_id
      USING ERRCODE = 'check_violation';
  END IF;
  IF entry.organization_id IS DISTINCT FROM NEW.organization_id
     OR entry.entry_date IS DISTINCT FROM NEW.entry_date THEN
    RAISE EXCEPTION 'a line must carry its entry''s organization and date (entry %)', NEW.entry_id
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER journal_lines_guard BEFORE INSERT OR UPDATE OR DELETE ON journal_lines
  FOR EACH ROW EXECUTE FUNCTION journal_line_guard();
"#;

const SQLITE_GUARDS: [&str; 9] = [
    "CREATE TRIGGER journal_entries_post_balances AFTER UPDATE OF state ON journal_entries
     WHEN NEW.state = 'posted' AND OLD.state <> 'posted'
     BEGIN
       INSERT INTO account_balances (organization_id, account_id, month, closing, shard, debit, credit)
       SELECT NEW.organization_id, l.account_id, strftime('%Y-%m-01', NEW.entry_date),
              coalesce(NEW.source_type = 'fiscal_year_close', 0), 0, sum(l.debit), sum(l.credit)
       FROM journal_lines l WHERE l.entry_id = NEW.id GROUP BY l.account_id
       ON CONFLICT (organization_id, account_id, month, closing, shard) DO UPDATE
         SET debit = debit + excluded.debit, credit = credit + excluded.credit;
     END",
    "CREATE TRIGGER journal_entries_born_draft BEFORE INSERT ON journal_entries
     WHEN NEW.state = 'posted'
     BEGIN SELECT RAISE(ABORT, 'journal entries are created as drafts and posted once their lines balance'); END",
    "CREATE TRIGGER journal_entries_post_balanced BEFORE UPDATE ON journal_entries
     WHEN NEW.state = 'posted' AND OLD.state <> 'posted' AND (
       SELECT count(*) < 2 OR coalesce(sum(debit), 0) <> coalesce(sum(credit), 0)
         OR coalesce(sum(debit), 0) <> NEW.total
       FROM journal_lines WHERE entry_id = NEW.id)
     BEGIN SELECT RAISE(ABORT, 'journal entry does not balance'); END",
    "CREATE TRIGGER journal_entries_posted_immutable BEFORE UPDATE ON journal_entries
     WHEN OLD.state = 'posted' AND (NEW.id IS NOT OLD.id OR NEW.state IS NOT OLD.state
       OR NEW.entry_date IS NOT OLD.entry_date OR NEW.total IS NOT OLD.total
       OR NEW.organization_id IS NOT OLD.organization_id OR NEW.number IS NOT OLD.number
       OR NEW.memo IS NOT OLD.memo OR NEW.source_type IS NOT OLD.source_type
       OR NEW.source_id IS NOT OLD.source_id OR NEW.reversal_of IS NOT OLD.reversal_of
       OR NEW.created_by IS NOT OLD.created_by OR NEW.posted_at IS NOT OLD.posted_at
       OR NEW.created_at IS NOT OLD.created_at
       OR (OLD.reversed_by IS NOT NULL AND NEW.reversed_by IS NOT OLD.reversed_by))
     BEGIN SELECT RAISE(ABORT, 'posted journal entries are immutable'); END",
    "CREATE TRIGGER journal_entries_posted_kept BEFORE DELETE ON journal_entries
     WHEN OLD.state = 'posted'
     BEGIN SELECT RAISE(ABORT, 'posted journal entries cannot be deleted'); END",
    "CREATE TRIGGER journal_lines_insert_guard BEFORE INSERT ON journal_lines
     WHEN (SELECT state FROM journal_entries WHERE id = NEW.entry_id) = 'posted'
     BEGIN SELECT RAISE(ABORT, 'lines of posted journal entries are immutable'); END",
    "CREATE TRIGGER journal_lines_match_entry BEFORE INSERT ON journal_lines
     WHEN NOT EXISTS (SELECT 1 FROM journal_entries WHERE id = NEW.entry_id
       AND organization_id = NEW.organization_id AND entry_date = NEW.entry_date)
     BEGIN SELECT RAISE(ABORT, 'a line must carry its entry''s organization and date'); END",
    "CREATE TRIGGER journal_lines_update_guard BEFORE UPDATE ON journal_lines
     WHEN (SELECT state FROM journal_entries WHERE id = OLD.entry_id) = 'posted'
       OR (SELECT state FROM journal_entries WHERE id = NEW.entry_id) = 'posted'
     BEGIN SELECT RAISE(ABORT, 'lines of posted journal entries are immutable'); END",
    "CREATE TRIGGER journal_lines_delete_guard BEFORE DELETE ON journal_lines
     WHEN (SELECT state FROM journal_entries WHERE id = OLD.entry_id) = 'posted'
     BEGIN SELECT RAISE(ABORT, 'lines of posted journal entries are immutable'); END",
];

async fn stock_values(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    let db = m.get_connection();
    for sql in [
        "ALTER TABLE stock_levels ADD COLUMN value BIGINT NOT NULL DEFAULT 0",
        "ALTER TABLE stock_levels ADD COLUMN moved_value BIGINT NOT NULL DEFAULT 0",
        "ALTER TABLE stock_movements ADD COLUMN value BIGINT NOT NULL DEFAULT 0",
    ] {
        db.execute_unprepared(sql).await?;
    }
    let (levels, movements) = if m.get_database_backend() == DatabaseBackend::Postgres {
        (
            "UPDATE stock_levels SET value = round(on_hand::numeric * avg_cost / 10000)::bigint",
            "UPDATE stock_movements SET value = round(quantity::numeric * unit_cost / 10000)::bigint",
        )
    } else {
        (
            "UPDATE stock_levels SET value = CAST(round(on_hand * avg_cost / 10000.0) AS INTEGER)",
            "UPDATE stock_movements SET value = CAST(round(quantity * unit_cost / 10000.0) AS INTEGER)",
        )
    };
    db.execute_unprepared(levels).await?;
    db.execute_unprepared(movements).await?;
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        create_accounts(m).await?;
        create_settings_and_tax_rates(m).await?;
        create_fiscal_years(m).await?;
        create_journal(m).await?;
        create_balances(m).await?;
        let db = m.get_connection();
        if m.get_database_backend() == DatabaseBackend::Postgres {
            db.execute_unprepared(PG_GUARDS).await?;
        } else {
            for sql in SQLITE_GUARDS {
                db.execute_unprepared(sql).await?;
            }
        }
        stock_values(m).await?;
        let backend = m.get_database_backend();
        let orgs = db
            .query_all_raw(Statement::from_string(
                backend,
                "SELECT id FROM organizations",
            ))
            .await?;
        let now = chrono::Utc::now();
        for row in orgs {
            let id: uuid::Uuid = row.try_get("", "id")?;
            crate::chart::seed(db, id, now).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        if m.get_database_backend() == DatabaseBackend::Postgres {
            db.execute_unprepared(
                "DROP TRIGGER IF EXISTS journal_lines_guard ON journal_lines;
                 DROP TRIGGER IF EXISTS journal_entries_guard ON journal_entries;
                 DROP FUNCTION IF EXISTS journal_line_guard();
                 DROP FUNCTION IF EXISTS accounting_write_entry(uuid, uuid, date, text, text, text,
                   uuid, bigint, uuid, timestamptz, boolean, boolean, jsonb, boolean);
                 DROP FUNCTION IF EXISTS journal_entry_guard();",
            )
            .await?;
        }
        for t in [
            "account_balances",
            "journal_lines",
            "journal_entries",
            "fiscal_periods",
            "fiscal_years",
            "tax_rates",
            "accounting_settings",
            "accounts",
        ] {
            m.drop_table(Table::drop().table(Alias::new(t)).to_owned())
                .await?;
        }
        for (t, c) in [
            ("stock_levels", "value"),
            ("stock_levels", "moved_value"),
            ("stock_movements", "value"),
        ] {
            m.alter_table(
                Table::alter()
                    .table(Alias::new(t))
                    .drop_column(Alias::new(c))
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
