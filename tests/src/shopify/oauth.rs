//! Access and refresh tokens on the simulator clock, and `POST /admin/oauth/access_token` with
//! `grant_type=refresh_token`: each refresh issues a new access token and a new refresh token, and the old
//! refresh token stops working (rotation). Earlier access tokens stay valid until they expire.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use serde_json::json;

use super::Shared;

/// A new random token with Shopify's prefix (`shpat_`, `shprt_`).
pub fn new_token(prefix: &str) -> String {
    format!("{prefix}{}", hex::encode(rand::random::<[u8; 16]>()))
}

/// The app's tokens on the store.
#[derive(Debug)]
pub struct Tokens {
    /// Valid access tokens and when each expires (`None`: never).
    access: HashMap<String, Option<DateTime<Utc>>>,
    current_access: String,
    refresh: String,
    refresh_expires: DateTime<Utc>,
    lifetime: Option<Duration>,
    refresh_lifetime: Duration,
}

/// What one refresh hands out.
#[derive(Debug, Clone)]
pub struct Issued {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: Option<i64>,
    pub refresh_token_expires_in: i64,
}

impl Tokens {
    pub fn new(
        access: String,
        refresh: String,
        lifetime: Option<Duration>,
        refresh_lifetime: Duration,
        now: DateTime<Utc>,
    ) -> Self {
        let mut tokens = Self {
            access: HashMap::new(),
            current_access: access.clone(),
            refresh,
            refresh_expires: now + refresh_lifetime,
            lifetime,
            refresh_lifetime,
        };
        tokens
            .access
            .insert(access, lifetime.map(|lifetime| now + lifetime));
        tokens
    }

    pub fn access_valid(&self, token: &str, now: DateTime<Utc>) -> bool {
        self.access
            .get(token)
            .is_some_and(|expires| expires.is_none_or(|expires| now < expires))
    }

    pub fn current_access(&self) -> &str {
        &self.current_access
    }

    pub fn current_refresh(&self) -> &str {
        &self.refresh
    }

    /// Invalidates every access token (as an uninstall or revocation does).
    pub fn revoke_access(&mut self) {
        self.access.clear();
    }

    /// Trades `refresh_token` for new tokens if it is the current, unexpired one.
    pub fn refresh(&mut self, refresh_token: &str, now: DateTime<Utc>) -> Option<Issued> {
        if refresh_token != self.refresh || now >= self.refresh_expires {
            return None;
        }
        self.current_access = new_token("shpat_");
        self.access.insert(
            self.current_access.clone(),
            self.lifetime.map(|lifetime| now + lifetime),
        );
        self.refresh = new_token("shprt_");
        self.refresh_expires = now + self.refresh_lifetime;
        Some(Issued {
            access_token: self.current_access.clone(),
            refresh_token: self.refresh.clone(),
            expires_in: self.lifetime.map(|lifetime| lifetime.num_seconds()),
            refresh_token_expires_in: self.refresh_lifetime.num_seconds(),
        })
    }
}

#[derive(Debug, Deserialize)]
pub struct RefreshRequest {
    client_id: String,
    client_secret: String,
    grant_type: String,
    refresh_token: Option<String>,
}

/// `POST /admin/oauth/access_token`.
pub async fn access_token(
    State(shared): State<Arc<Shared>>,
    Json(request): Json<RefreshRequest>,
) -> Response {
    let config = &shared.config;
    if request.client_id != config.client_id || request.client_secret != config.client_secret {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": "invalid_client"})),
        )
            .into_response();
    }
    if request.grant_type != "refresh_token" {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "unsupported_grant_type"})),
        )
            .into_response();
    }
    let now = config.clock.now();
    let issued = shared
        .store()
        .tokens
        .refresh(request.refresh_token.as_deref().unwrap_or_default(), now);
    match issued {
        Some(issued) => Json(json!({
            "access_token": issued.access_token,
            "scope": config.scopes.join(","),
            "expires_in": issued.expires_in,
            "refresh_token": issued.refresh_token,
            "refresh_token_expires_in": issued.refresh_token_expires_in,
        }))
        .into_response(),
        None => (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "invalid_grant"})),
        )
            .into_response(),
    }
}
