//! The permissions the CRM module enforces, with the lowest built-in role
//! that holds each.

crate::declare_permissions! {
    CUSTOMERS_READ = "crm.customers.read", Viewer, "List and view customers and their timeline";
    CUSTOMERS_MANAGE = "crm.customers.manage", Member, "Create, change and archive customers";
    CONTACTS_READ = "crm.contacts.read", Viewer, "List and view contacts and their timeline";
    CONTACTS_MANAGE = "crm.contacts.manage", Member, "Create, change and archive contacts";
    LEADS_READ = "crm.leads.read", Viewer, "List and view leads and their scores";
    LEADS_MANAGE = "crm.leads.manage", Member, "Create and change leads";
    LEADS_CONVERT = "crm.leads.convert", Member, "Convert leads into customers, contacts and deals";
    DEALS_READ = "crm.deals.read", Viewer, "List and view deals, boards and forecasts";
    DEALS_MANAGE = "crm.deals.manage", Member, "Create, change and move deals";
    ACTIVITIES_READ = "crm.activities.read", Viewer, "List and view activities";
    ACTIVITIES_MANAGE = "crm.activities.manage", Member, "Log, change and delete activities";
    SETTINGS_READ = "crm.settings.read", Viewer, "View custom fields, scoring rules, pipelines and lost reasons";
    SETTINGS_MANAGE = "crm.settings.manage", Manager, "Define custom fields, scoring rules, pipelines and lost reasons";
    QUOTES_READ = "sales.quotes.read", Viewer, "List and view quotes";
    QUOTES_MANAGE = "sales.quotes.manage", Member, "Write, send, revise, accept and reject quotes";
    ORDERS_READ = "sales.orders.read", Viewer, "List and view sales orders and their fulfilments";
    ORDERS_MANAGE = "sales.orders.manage", Member, "Write, confirm, reserve and cancel sales orders";
    ORDERS_FULFIL = "sales.orders.fulfil", Member, "Ship sales orders (fulfilments issue reserved stock)";
}
