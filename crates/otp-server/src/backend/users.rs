//! `/v1/users`: the operator's view of users, as Clerk's Backend API answers it.

use super::{every, number, query_pairs, single};
use crate::domain::{EmailAddress, Identifier, PhoneNumber};
use crate::error::ApiError;
use crate::extract::Body;
use crate::ids::new_id;
use crate::state::AppState;
use crate::store::{UserFilter, UserOrder, UserRow};
use axum::Json;
use axum::extract::{Path, RawQuery, State};
use otp_proto::backend::{CreateUser, DeletedObject, TotalCount, User};

/// `GET /v1/users`: a page of users (`limit` 1–500, default 10; `offset`), newest first
/// (`order_by=-created_at`, or `+created_at`), filtered by `query`, `user_id`,
/// `email_address` and `phone_number`; a bare array, as Clerk answers.
pub(super) async fn list(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Json<Vec<User>>, ApiError> {
    let pairs = query_pairs(query.as_deref())?;
    let filter = filter(&state, &pairs, &["limit", "offset", "order_by"])?;
    let limit = number(&pairs, "limit", 10, 1, 500)?;
    let offset = number(&pairs, "offset", 0, 0, i64::MAX as u64)?;
    let order = match single(&pairs, "order_by") {
        None | Some("-created_at") => UserOrder::NewestFirst,
        // A `+` in a query string reads as a space, which `single` trims.
        Some("created_at" | "+created_at") => UserOrder::OldestFirst,
        Some(_) => {
            return Err(ApiError::Invalid {
                param: Some("order_by"),
                message: "order_by must be -created_at or +created_at.".into(),
            });
        }
    };
    let limit = u32::try_from(limit).unwrap_or(500);
    let users = state.store.users(&filter, order, limit, offset).await?;
    let now = state.now();
    Ok(Json(
        users
            .iter()
            .map(|u| crate::present::backend_user(u, now))
            .collect(),
    ))
}

/// `GET /v1/users/count`: how many users the same filters match.
pub(super) async fn count(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Json<TotalCount>, ApiError> {
    let pairs = query_pairs(query.as_deref())?;
    // `@clerk/backend` sends the list's paging to the count too.
    let filter = filter(&state, &pairs, &["limit", "offset", "order_by"])?;
    let total_count = state.store.count_users(&filter).await?;
    Ok(Json(TotalCount {
        object: "total_count".into(),
        total_count,
    }))
}

/// `GET /v1/users/{id}`.
pub(super) async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<User>, ApiError> {
    let user = state.store.user(&id).await?;
    shown(&state, user, id)
}

/// `POST /v1/users`: a user with verified phone numbers and email addresses (an import: nobody
/// is sent a code); 422 `form_identifier_exists` if another user has one of them.
pub(super) async fn create(
    State(state): State<AppState>,
    Body(body): Body<CreateUser>,
) -> Result<Json<User>, ApiError> {
    let mut identifiers = Vec::new();
    for phone in &body.phone_number {
        let phone =
            PhoneNumber::parse(phone, state.default_region).map_err(|e| ApiError::Invalid {
                param: Some("phone_number"),
                message: format!("{phone:?} {e}."),
            })?;
        identifiers.push(Identifier::Phone(phone));
    }
    for email in &body.email_address {
        let email = EmailAddress::parse(email).map_err(|e| ApiError::Invalid {
            param: Some("email_address"),
            message: format!("{email:?} {e}."),
        })?;
        identifiers.push(Identifier::Email(email));
    }
    if identifiers.is_empty() {
        return Err(ApiError::Missing("phone_number"));
    }
    let mut with_ids = Vec::with_capacity(identifiers.len());
    for identifier in identifiers {
        if with_ids
            .iter()
            .any(|(_, i): &(String, Identifier)| i.key() == identifier.key())
        {
            continue;
        }
        with_ids.push((new_id(&state.random, "idn")?, identifier));
    }
    let user_id = new_id(&state.random, "user")?;
    let user = state
        .store
        .create_user(&user_id, &with_ids, state.now())
        .await?;
    Ok(Json(crate::present::backend_user(&user, state.now())))
}

/// `DELETE /v1/users/{id}`: the user and their personal data, their sessions ended on every
/// device.
pub(super) async fn remove(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<DeletedObject>, ApiError> {
    if !state.store.delete_user(&id, state.now()).await? {
        return Err(ApiError::NoSuch { kind: "user", id });
    }
    Ok(Json(DeletedObject {
        object: "user".into(),
        id,
        deleted: true,
    }))
}

/// `POST /v1/users/{id}/ban`: the user can no longer sign in (403 `user_banned` when their
/// right code comes back), and every session of theirs is revoked.
pub(super) async fn ban(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<User>, ApiError> {
    let user = state.store.set_banned(&id, true, state.now()).await?;
    shown(&state, user, id)
}

/// `POST /v1/users/{id}/unban`: the user may sign in again.
pub(super) async fn unban(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<User>, ApiError> {
    let user = state.store.set_banned(&id, false, state.now()).await?;
    shown(&state, user, id)
}

/// The user as the Backend API shows it, or 404 naming the id asked for.
fn shown(state: &AppState, user: Option<UserRow>, id: String) -> Result<Json<User>, ApiError> {
    let user = user.ok_or(ApiError::NoSuch { kind: "user", id })?;
    Ok(Json(crate::present::backend_user(&user, state.now())))
}

/// The users a list or count is about: `query` (part of an id, phone number or email address),
/// and exact `user_id`, `email_address`, `phone_number` (each may repeat). Any other parameter
/// but `also` is one of Clerk's filters this server does not have (`external_id`, `username`,
/// …): 422 naming it, rather than a list that ignores it (and the wrong user acted on).
fn filter(
    state: &AppState,
    pairs: &[(String, String)],
    also: &[&str],
) -> Result<UserFilter, ApiError> {
    const FILTERS: [&str; 4] = ["query", "user_id", "email_address", "phone_number"];
    if let Some((unknown, _)) = pairs.iter().find(|(k, _)| {
        let k = k.strip_suffix("[]").unwrap_or(k);
        !FILTERS.contains(&k) && !also.contains(&k)
    }) {
        return Err(ApiError::Invalid {
            param: None,
            message: format!(
                "{unknown} is not a filter this server has: use query, user_id, email_address or phone_number."
            ),
        });
    }
    let mut filter = UserFilter {
        user_ids: every(pairs, "user_id")
            .into_iter()
            .map(str::to_owned)
            .collect(),
        ..UserFilter::default()
    };
    if let Some(query) = single(pairs, "query") {
        filter = UserFilter {
            user_ids: filter.user_ids,
            ..UserFilter::search(query)
        };
    }
    for email in every(pairs, "email_address") {
        let email = EmailAddress::parse(email).map_err(|e| ApiError::Invalid {
            param: Some("email_address"),
            message: format!("{email:?} {e}."),
        })?;
        filter.identifier_keys.push(email.key().to_owned());
    }
    for phone in every(pairs, "phone_number") {
        let phone =
            PhoneNumber::parse(phone, state.default_region).map_err(|e| ApiError::Invalid {
                param: Some("phone_number"),
                message: format!("{phone:?} {e}."),
            })?;
        filter.identifier_keys.push(phone.as_str().to_owned());
    }
    Ok(filter)
}
