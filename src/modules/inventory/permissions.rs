//! The permissions the inventory module enforces, with the lowest built-in
//! role that holds each.

crate::declare_permissions! {
    PRODUCTS_READ = "inventory.products.read", Viewer, "List and view products and categories";
    PRODUCTS_MANAGE = "inventory.products.manage", Manager, "Create, change and archive products and categories";
    WAREHOUSES_READ = "inventory.warehouses.read", Viewer, "List and view warehouses";
    WAREHOUSES_MANAGE = "inventory.warehouses.manage", Manager, "Create, change and archive warehouses";
    STOCK_READ = "inventory.stock.read", Viewer, "View stock levels, movements and valuation";
    STOCK_MOVE = "inventory.stock.move", Member, "Record receipts, issues and transfers";
    STOCK_ADJUST = "inventory.stock.adjust", Manager, "Correct stock levels (counts and adjustments)";
    SUPPLIERS_READ = "inventory.suppliers.read", Viewer, "List and view suppliers";
    SUPPLIERS_MANAGE = "inventory.suppliers.manage", Manager, "Create, change and archive suppliers";
    PURCHASE_ORDERS_READ = "inventory.purchase_orders.read", Viewer, "List and view purchase orders";
    PURCHASE_ORDERS_MANAGE = "inventory.purchase_orders.manage", Manager, "Create, change, order and cancel purchase orders";
    PURCHASE_ORDERS_RECEIVE = "inventory.purchase_orders.receive", Member, "Receive goods against purchase orders";
}
