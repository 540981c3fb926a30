//! Document numbering and the audit writer, on the app's own database.

use mainstay::platform::{
    audit::{self, AuditEntry},
    db::begin_write,
    numbering,
    telemetry::scope_request_id,
};
use sea_orm::TransactionTrait;
use uuid::Uuid;

use crate::helpers::spawn_app;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_allocations_give_fifty_consecutive_numbers() {
    let app = spawn_app().await;
    let org = Uuid::now_v7();
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let db = app.state.db.clone();
            tokio::spawn(async move {
                let tx = begin_write(&db).await?;
                let n = numbering::next_value(&tx, org, "SO").await?;
                tx.commit().await?;
                Ok::<_, mainstay::platform::error::AppError>(n)
            })
        })
        .collect();
    let mut numbers = Vec::new();
    for t in tasks {
        numbers.push(t.await.unwrap().expect("allocation"));
    }
    numbers.sort_unstable();
    assert_eq!(numbers, (1..=50).collect::<Vec<i64>>());
}

#[tokio::test]
async fn series_and_organizations_are_counted_separately() {
    let app = spawn_app().await;
    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
    let db = &app.state.db;
    assert_eq!(
        numbering::next_number(db, a, "SO").await.unwrap(),
        "SO-000001"
    );
    assert_eq!(
        numbering::next_number(db, a, "SO").await.unwrap(),
        "SO-000002"
    );
    assert_eq!(
        numbering::next_number(db, a, "INV").await.unwrap(),
        "INV-000001"
    );
    assert_eq!(
        numbering::next_number(db, b, "SO").await.unwrap(),
        "SO-000001"
    );
}

#[tokio::test]
async fn a_rolled_back_allocation_gives_its_number_back() {
    let app = spawn_app().await;
    let org = Uuid::now_v7();
    let db = &app.state.db;
    assert_eq!(numbering::next_value(db, org, "T").await.unwrap(), 1);
    let tx = begin_write(db).await.unwrap();
    assert_eq!(numbering::next_value(&tx, org, "T").await.unwrap(), 2);
    tx.rollback().await.unwrap();
    assert_eq!(numbering::next_value(db, org, "T").await.unwrap(), 2);
}

fn entry(org: Uuid, entity_id: &str) -> AuditEntry {
    AuditEntry {
        organization_id: org,
        actor_id: Some(Uuid::now_v7()),
        action: "test.widget.created".into(),
        entity_type: "widget".into(),
        entity_id: Some(entity_id.into()),
        changes: Some(serde_json::json!({"name": [null, "bolt"]})),
    }
}

#[tokio::test]
async fn an_audit_record_commits_and_rolls_back_with_its_transaction() {
    let app = spawn_app().await;
    let db = &app.state.db;
    let org = Uuid::now_v7();

    let tx = db.begin().await.unwrap();
    audit::record(&tx, entry(org, "w1")).await.unwrap();
    tx.rollback().await.unwrap();
    assert!(
        audit::for_entity(db, org, "widget", "w1")
            .await
            .unwrap()
            .is_empty()
    );

    let tx = begin_write(db).await.unwrap();
    scope_request_id("req-42".into(), audit::record(&tx, entry(org, "w1")))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let records = audit::for_entity(db, org, "widget", "w1").await.unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].action, "test.widget.created");
    assert_eq!(records[0].request_id.as_deref(), Some("req-42"));
    assert_eq!(records[0].changes.as_ref().unwrap()["name"][1], "bolt");

    // Another organization sees nothing of it.
    assert!(
        audit::for_entity(db, Uuid::now_v7(), "widget", "w1")
            .await
            .unwrap()
            .is_empty()
    );
}
