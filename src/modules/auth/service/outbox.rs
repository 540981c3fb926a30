//! Delivers the mail outbox over SMTP when `smtp.url` is set. Each mail is
//! claimed with a conditional update of its attempt counter before sending,
//! so several processes never send the same attempt twice; a failed mail is
//! retried on later rounds up to `smtp.max_attempts`.

use std::time::Duration;

use chrono::Utc;
use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Body, Mailbox, header::ContentTransferEncoding, header::ContentType},
};
use sea_orm::{
    ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, ExprTrait},
};

use crate::{
    modules::auth::entities::outbox_email,
    platform::{config::redact_url, error::AppError, state::AppState},
};

const BATCH: u64 = 20;

/// Starts the delivery loop if SMTP is configured.
pub fn spawn_dispatcher(state: AppState) {
    let smtp = state.settings.smtp.clone();
    if smtp.url.trim().is_empty() {
        return;
    }
    let transport = match AsyncSmtpTransport::<Tokio1Executor>::from_url(&smtp.url) {
        Ok(builder) => builder.timeout(Some(Duration::from_secs(10))).build(),
        Err(e) => {
            tracing::error!(url = %redact_url(&smtp.url), error = %e, "SMTP disabled: bad smtp.url");
            return;
        }
    };
    let Ok(from) = smtp.from.parse::<Mailbox>() else {
        tracing::error!("SMTP disabled: bad smtp.from");
        return;
    };
    tracing::info!(url = %redact_url(&smtp.url), "delivering the mail outbox over SMTP");
    tokio::spawn(async move {
        let mut tick =
            tokio::time::interval(Duration::from_millis(Ord::max(smtp.poll_interval_ms, 50)));
        loop {
            tick.tick().await;
            if let Err(e) = deliver_batch(&state, &transport, &from, smtp.max_attempts).await {
                tracing::warn!(error = %e, "outbox delivery round failed");
            }
        }
    });
}

async fn deliver_batch(
    state: &AppState,
    transport: &AsyncSmtpTransport<Tokio1Executor>,
    from: &Mailbox,
    max_attempts: i32,
) -> Result<usize, AppError> {
    let pending = outbox_email::Entity::find()
        .filter(outbox_email::Column::SentAt.is_null())
        .filter(outbox_email::Column::Attempts.lt(max_attempts))
        .order_by_asc(outbox_email::Column::Id)
        .limit(BATCH)
        .all(&state.db)
        .await?;
    let mut sent = 0;
    for mail in pending {
        let claimed = outbox_email::Entity::update_many()
            .col_expr(
                outbox_email::Column::Attempts,
                Expr::col(outbox_email::Column::Attempts).add(1),
            )
            .filter(outbox_email::Column::Id.eq(mail.id))
            .filter(outbox_email::Column::SentAt.is_null())
            .filter(outbox_email::Column::Attempts.eq(mail.attempts))
            .exec(&state.db)
            .await?
            .rows_affected
            == 1;
        if !claimed {
            continue;
        }
        let message = mail
            .to_address
            .parse::<Mailbox>()
            .map_err(|e| e.to_string())
            .and_then(|to| {
                Message::builder()
                    .from(from.clone())
                    .to(to)
                    .subject(mail.subject.clone())
                    .header(ContentType::TEXT_PLAIN)
                    .body(plain_body(&mail.body))
                    .map_err(|e| e.to_string())
            });
        let message = match message {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(mail = %mail.id, error = %e, "undeliverable mail: giving up");
                outbox_email::Entity::update_many()
                    .col_expr(outbox_email::Column::Attempts, max_attempts.into())
                    .filter(outbox_email::Column::Id.eq(mail.id))
                    .exec(&state.db)
                    .await?;
                continue;
            }
        };
        match transport.send(message).await {
            Ok(_) => {
                outbox_email::Entity::update_many()
                    .col_expr(outbox_email::Column::SentAt, Some(Utc::now()).into())
                    .filter(outbox_email::Column::Id.eq(mail.id))
                    .exec(&state.db)
                    .await?;
                sent += 1;
            }
            Err(e) => {
                tracing::warn!(mail = %mail.id, attempt = mail.attempts + 1, error = %e, "SMTP delivery failed")
            }
        }
    }
    Ok(sent)
}

/// 7-bit when the text allows it, so tokens and links arrive unbroken (no
/// quoted-printable soft line breaks); lettre's choice otherwise.
fn plain_body(text: &str) -> Body {
    Body::new_with_encoding(text.to_string(), ContentTransferEncoding::SevenBit)
        .unwrap_or_else(Body::new)
}
