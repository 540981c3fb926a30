//! Cursor pagination: `?limit=` (default 50, at most 200) and an opaque
//! `?cursor=`; lists answer `{"data": [...], "next_cursor": "...", "has_more": bool}`.
//!
//! A cursor is the sort key of the last row returned, serialized as JSON and
//! base64url-encoded behind a version tag. Anything that does not decode to
//! the expected key is a 400 `invalid_cursor`, never a 500.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, Order, QueryFilter, QueryOrder,
    QuerySelect, Select, sea_query::IntoCondition,
};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::error::AppError;

/// Rows per page when `limit` is absent.
pub const DEFAULT_LIMIT: u64 = 50;
/// The largest `limit` accepted.
pub const MAX_LIMIT: u64 = 200;
const CURSOR_VERSION: &str = "v1.";

/// The pagination query parameters every list accepts.
#[derive(Debug, Clone, Default, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Rows per page (1 to 200, default 50).
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl PageParams {
    /// The effective page size.
    pub fn limit(&self) -> u64 {
        self.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT)
    }

    /// Decodes the cursor into the list's key type (an empty `cursor=` never
    /// gets here: `extract::parse_query` drops it).
    pub fn after<K: DeserializeOwned>(&self) -> Result<Option<K>, AppError> {
        self.cursor.as_deref().map(decode_cursor).transpose()
    }
}

/// Encodes a sort key as an opaque cursor.
pub fn encode_cursor<K: Serialize>(key: &K) -> String {
    let json = serde_json::to_vec(key).unwrap_or_default();
    format!("{CURSOR_VERSION}{}", URL_SAFE_NO_PAD.encode(json))
}

/// Decodes a cursor made by [`encode_cursor`]; anything else is a 400.
pub fn decode_cursor<K: DeserializeOwned>(cursor: &str) -> Result<K, AppError> {
    let invalid = || {
        AppError::bad_request(
            "invalid_cursor",
            "The cursor is not valid; use the next_cursor of a previous page.",
        )
    };
    let encoded = cursor.strip_prefix(CURSOR_VERSION).ok_or_else(invalid)?;
    let bytes = URL_SAFE_NO_PAD.decode(encoded).map_err(|_| invalid())?;
    serde_json::from_slice(&bytes).map_err(|_| invalid())
}

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    /// The rows of this page.
    pub data: Vec<T>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
    /// Whether another page follows.
    pub has_more: bool,
}

impl<T> Page<T> {
    /// Builds a page from `limit + 1` fetched rows: the extra row only tells
    /// that more exist; the cursor is the key of the last row kept.
    pub fn from_rows<K: Serialize>(mut rows: Vec<T>, limit: u64, key: impl Fn(&T) -> K) -> Self {
        let has_more = rows.len() as u64 > limit;
        rows.truncate(limit as usize);
        let next_cursor = if has_more {
            rows.last().map(|r| encode_cursor(&key(r)))
        } else {
            None
        };
        Self {
            data: rows,
            next_cursor,
            has_more,
        }
    }

    /// Converts the rows, keeping the cursor.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            data: self.data.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
            has_more: self.has_more,
        }
    }
}

/// Slack between a row's UUIDv7 id and its `created_at` (both taken from the
/// same clock while the row is built; far less than this apart).
const ID_CLOCK_SLACK: chrono::Duration = chrono::Duration::seconds(2);

/// A `created_at` range as an id range too, for tables keyed by UUIDv7 whose
/// lists order by id: `from`/`to` then bound a scan of the `(…, id)` index
/// instead of filtering every row of the organization. The exact
/// `created_at` comparison is kept beside it; the id bound only has to be
/// wide enough ([`ID_CLOCK_SLACK`]).
pub fn created_between<I: ColumnTrait, C: ColumnTrait>(
    id: I,
    created_at: C,
    from: Option<chrono::DateTime<chrono::Utc>>,
    to: Option<chrono::DateTime<chrono::Utc>>,
) -> Condition {
    let mut cond = Condition::all();
    if let Some(from) = from {
        cond = cond
            .add(id.gte(v7_floor(from - ID_CLOCK_SLACK)))
            .add(created_at.gte(from));
    }
    if let Some(to) = to {
        cond = cond
            .add(id.lt(v7_floor(to + ID_CLOCK_SLACK)))
            .add(created_at.lt(to));
    }
    cond
}

/// The smallest UUIDv7 of the millisecond `t` falls in.
pub fn v7_floor(t: chrono::DateTime<chrono::Utc>) -> uuid::Uuid {
    let millis = u64::try_from(t.timestamp_millis()).unwrap_or(0);
    uuid::Builder::from_unix_timestamp_millis(millis, &[0; 10]).into_uuid()
}

/// The rows after `(key, id)` in `(col, id)` order (or before it, for a
/// descending sort): keyset pagination on a column that may repeat, with the
/// id breaking ties.
pub fn after_key<C, I, K>(col: C, id_col: I, (key, id): (K, uuid::Uuid), desc: bool) -> Condition
where
    C: ColumnTrait,
    I: ColumnTrait,
    K: Into<sea_orm::Value> + Clone,
{
    let (beyond, beyond_id) = if desc {
        (col.lt(key.clone()), id_col.lt(id))
    } else {
        (col.gt(key.clone()), id_col.gt(id))
    };
    Condition::any()
        .add(beyond)
        .add(Condition::all().add(col.eq(key)).add(beyond_id))
}

/// How a keyset list is ordered: by id (UUIDv7, so by creation) alone, or
/// by a key column with the id breaking ties; ascending or descending.
pub struct Keyset<E: EntityTrait, K> {
    id: KeyColumn<E, uuid::Uuid>,
    key: Option<KeyColumn<E, K>>,
    desc: bool,
}

/// A column a list is ordered by, and how to read its value from a row.
type KeyColumn<E, K> = (
    <E as EntityTrait>::Column,
    fn(&<E as EntityTrait>::Model) -> K,
);

impl<E: EntityTrait, K> Keyset<E, K> {
    /// Ordered by the id column; `id_of` reads it from a row. (`K` is the
    /// type of the list's other orders, so that every order of one list is
    /// one type.)
    pub fn by_id(id: E::Column, id_of: fn(&E::Model) -> uuid::Uuid, desc: bool) -> Self {
        Self {
            id: (id, id_of),
            key: None,
            desc,
        }
    }

    /// Ordered by `key` (read from a row by `key_of`), then by the id.
    pub fn by_key(
        id: E::Column,
        id_of: fn(&E::Model) -> uuid::Uuid,
        key: E::Column,
        key_of: fn(&E::Model) -> K,
        desc: bool,
    ) -> Self {
        Self {
            id: (id, id_of),
            key: Some((key, key_of)),
            desc,
        }
    }
}

/// One page of `query` in `order`, after `cursor` (a cursor made by an
/// earlier page of the same order: the id, or the key and the id): one
/// query of `limit + 1` rows.
pub async fn keyset_page<E, K>(
    conn: &impl ConnectionTrait,
    mut query: Select<E>,
    order: Keyset<E, K>,
    cursor: Option<&str>,
    limit: u64,
) -> Result<Page<E::Model>, AppError>
where
    E: EntityTrait,
    K: Serialize + DeserializeOwned + Into<sea_orm::Value> + Clone,
{
    let (id_col, id_of) = order.id;
    if let Some(c) = cursor {
        query = query.filter(match &order.key {
            Some((col, _)) => after_key(
                *col,
                id_col,
                decode_cursor::<(K, uuid::Uuid)>(c)?,
                order.desc,
            ),
            None => {
                let after: uuid::Uuid = decode_cursor(c)?;
                if order.desc {
                    id_col.lt(after)
                } else {
                    id_col.gt(after)
                }
                .into_condition()
            }
        });
    }
    let direction = if order.desc { Order::Desc } else { Order::Asc };
    if let Some((col, _)) = &order.key {
        query = query.order_by(*col, direction.clone());
    }
    let rows = query
        .order_by(id_col, direction)
        .limit(limit + 1)
        .all(conn)
        .await?;
    Ok(match order.key {
        Some((_, key_of)) => Page::from_rows(rows, limit, |r| (key_of(r), id_of(r))),
        None => Page::from_rows(rows, limit, id_of),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn a_cursor_round_trips_its_key() {
        let key = ("2026-11-21T10:00:00Z".to_string(), Uuid::now_v7());
        let decoded: (String, Uuid) = decode_cursor(&encode_cursor(&key)).unwrap();
        assert_eq!(decoded, key);
    }

    #[test]
    fn a_tampered_cursor_is_a_400_not_a_500() {
        let good = encode_cursor(&("x".to_string(), Uuid::now_v7()));
        for bad in [
            "garbage".to_string(),
            format!("{good}!!"),
            good.replacen("v1.", "v9.", 1),
            format!("v1.{}", URL_SAFE_NO_PAD.encode(b"{\"not\":\"a key\"}")),
            good[..good.len() - 4].to_string(),
        ] {
            let err = decode_cursor::<(String, Uuid)>(&bad).unwrap_err();
            assert_eq!(err.status().as_u16(), 400, "{bad}");
            assert_eq!(err.code(), "invalid_cursor");
        }
    }

    #[test]
    fn a_page_built_from_limit_plus_one_rows_says_more_follow() {
        let page = Page::from_rows(vec![1, 2, 3], 2, |r| *r);
        assert_eq!(page.data, vec![1, 2]);
        assert!(page.has_more);
        assert_eq!(
            decode_cursor::<i32>(page.next_cursor.as_deref().unwrap()).unwrap(),
            2
        );
        let last = Page::from_rows(vec![1, 2], 2, |r| *r);
        assert!(!last.has_more && last.next_cursor.is_none());
    }

    #[test]
    fn limits_default_to_50_and_reject_over_200() {
        assert_eq!(PageParams::default().limit(), 50);
        let p = PageParams {
            limit: Some(201),
            cursor: None,
        };
        assert!(p.validate().is_err());
        let p = PageParams {
            limit: Some(0),
            cursor: None,
        };
        assert!(p.validate().is_err());
    }
}
