//! The mail outbox is delivered over SMTP when SMTP is configured.

use std::sync::{Arc, Mutex};

use serde_json::json;
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::TcpListener,
};

use crate::helpers::spawn_app_with;

/// A minimal SMTP server that accepts everything and keeps each message's data.
async fn fake_smtp() -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let received: Arc<Mutex<Vec<String>>> = Arc::default();
    let store = received.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let store = store.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 fake ESMTP\r\n").await.ok();
                let (mut in_data, mut data) = (false, String::new());
                while let Ok(Some(line)) = lines.next_line().await {
                    if in_data {
                        if line == "." {
                            in_data = false;
                            store.lock().unwrap().push(std::mem::take(&mut data));
                            write.write_all(b"250 queued\r\n").await.ok();
                        } else {
                            data.push_str(&line);
                            data.push('\n');
                        }
                        continue;
                    }
                    let reply: &[u8] = match line.to_uppercase() {
                        l if l.starts_with("EHLO") => b"250-fake\r\n250 OK\r\n",
                        l if l.starts_with("DATA") => {
                            in_data = true;
                            b"354 end with .\r\n"
                        }
                        l if l.starts_with("QUIT") => b"221 bye\r\n",
                        _ => b"250 OK\r\n",
                    };
                    write.write_all(reply).await.ok();
                }
            });
        }
    });
    (port, received)
}

#[tokio::test]
async fn queued_mail_is_delivered_over_smtp_and_marked_sent() {
    let (port, received) = fake_smtp().await;
    let app = spawn_app_with(|s| {
        s.smtp.url = format!("smtp://127.0.0.1:{port}");
        s.smtp.poll_interval_ms = 50;
    })
    .await;
    let owner = app.onboard().await;
    let res = app
        .post_as(
            "/api/v1/auth/forgot-password",
            None,
            json!({ "email": owner.email }),
        )
        .await;
    assert_eq!(res.status(), 202);
    let token = app
        .awaited_mailed_token(&owner.email)
        .await
        .expect("reset mail in the outbox");

    // The dispatcher runs in the background; wait (bounded) for the delivery.
    let mut delivered = None;
    for _ in 0..100 {
        if let Some(m) = received
            .lock()
            .unwrap()
            .iter()
            .find(|m| m.contains(&token))
            .cloned()
        {
            delivered = Some(m);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let mail = delivered.unwrap_or_else(|| {
        panic!(
            "the reset mail did not reach SMTP; received: {:?}",
            received.lock().unwrap()
        )
    });
    assert!(mail.contains(&format!("To: {}", owner.email)), "{mail}");
    assert!(mail.contains("Subject: Reset your Mainstay password"));

    use sea_orm::{
        ConnectionTrait,
        sea_query::{Alias, Expr, ExprTrait, Query},
    };
    let mut sent = false;
    for _ in 0..100 {
        let stmt = Query::select()
            .column(Alias::new("sent_at"))
            .from(Alias::new("outbox_emails"))
            .and_where(Expr::col(Alias::new("to_address")).eq(owner.email.as_str()))
            .and_where(Expr::col(Alias::new("sent_at")).is_not_null())
            .to_owned();
        if app.state.db.query_one(&stmt).await.unwrap().is_some() {
            sent = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(sent, "the outbox row is marked sent");
    assert_eq!(
        received
            .lock()
            .unwrap()
            .iter()
            .filter(|m| m.contains(&token))
            .count(),
        1,
        "sent once"
    );
}
