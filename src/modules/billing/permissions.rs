//! The permissions the billing module enforces, with the lowest built-in
//! role that holds each.

crate::declare_permissions! {
    INVOICES_READ = "billing.invoices.read", Viewer, "List and view invoices and credit notes";
    INVOICES_MANAGE = "billing.invoices.manage", Member, "Write, issue and void invoices; issue credit notes";
    PAYMENTS_READ = "billing.payments.read", Viewer, "List and view payments and customers' payment methods";
    PAYMENTS_MANAGE = "billing.payments.manage", Member, "Record, allocate, refund and delete payments; store payment methods";
    BILLS_READ = "billing.bills.read", Viewer, "List and view supplier bills and supplier payments";
    BILLS_MANAGE = "billing.bills.manage", Member, "Enter, issue and void supplier bills; record supplier payments";
    REPORTS_READ = "billing.reports.read", Viewer, "Read aging reports and customer statements";
}
