//! The permissions the accounting module enforces, with the lowest built-in
//! role that holds each.

crate::declare_permissions! {
    ACCOUNTS_READ = "accounting.accounts.read", Viewer, "List and view the chart of accounts, tax rates, settings and fiscal years";
    ACCOUNTS_MANAGE = "accounting.accounts.manage", Manager, "Create, change and archive accounts and tax rates";
    SETTINGS_MANAGE = "accounting.settings.manage", Admin, "Map the posting roles other modules use to accounts";
    JOURNAL_READ = "accounting.journal.read", Member, "List and view journal entries and account ledgers";
    JOURNAL_WRITE = "accounting.journal.write", Manager, "Create, change and delete draft journal entries";
    JOURNAL_POST = "accounting.journal.post", Manager, "Post and reverse journal entries";
    PERIODS_MANAGE = "accounting.periods.manage", Admin, "Create fiscal years, close and reopen periods, close years";
    REPORTS_READ = "accounting.reports.read", Viewer, "Read the trial balance, profit and loss and balance sheet";
}
