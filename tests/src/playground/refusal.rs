//! Why the control server refuses a request: the status it answers and a sentence for the person
//! who sent it, as `{"error": "..."}`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// A request the control server does not carry out; nothing changed in the simulators.
#[derive(Debug)]
pub enum Refusal {
    /// 400: the body is not what the route takes.
    BadRequest(String),
    /// 404: no such order or label.
    NotFound(String),
    /// 409: the simulator's state does not allow it (the account exists, the order is cancelled).
    Conflict(String),
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let (status, message) = match self {
            Self::BadRequest(message) => (StatusCode::BAD_REQUEST, message),
            Self::NotFound(message) => (StatusCode::NOT_FOUND, message),
            Self::Conflict(message) => (StatusCode::CONFLICT, message),
        };
        (status, Json(json!({ "error": message }))).into_response()
    }
}
