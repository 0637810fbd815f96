//! The operators' console under `/ui`: server-rendered pages (askama templates in `templates/`,
//! a vendored, pinned htmx for the few live parts) over the same inbox, plugin store and
//! connections as the admin API, served beside it with the same token.
//!
//! - `/ui`: counts by status and each flow's last 24 hours as charts (`overview`, `charts`);
//! - `/ui/events`: filters and keyset paging, an event's step timeline, replay (`events`);
//! - `/ui/review`: the queue with each reason's class, resolve or skip (`review`);
//! - `/ui/replay`: bulk replay by filter or selection, count first, then each item (`bulk`);
//! - `/ui/plugins`: versions, upload, roll back (`plugins`);
//! - `/ui/dry-run`: a candidate mapping run over a flow's recorded events, and its report
//!   (`dry_run`);
//! - `/ui/connections`: ping, last poll, last error (`connections`).
//!
//! Access (`session`): a login with the admin token sets an HttpOnly, SameSite=Strict cookie;
//! every POST carries the session's CSRF token and, when the browser sends an `Origin`, comes from
//! this origin; every answer has a Content-Security-Policy without inline script or style. Every
//! action goes into the audit trail with the name given at login.

mod bulk;
mod charts;
mod connections;
mod dry_run;
mod events;
mod overview;
mod page;
mod plugins;
mod review;
mod session;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::handler::Handler;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use axum::routing::{get, post};

use crate::connection::Secret;
use crate::flow::shared::Shared;

/// The console's routes; `token` is the admin token a login must present.
pub(crate) fn routes(token: Secret) -> Router<Arc<Shared>> {
    let signed_in = Router::new()
        .route("/ui", get(overview::page))
        .route("/ui/events", get(events::list))
        .route("/ui/events/{id}", get(events::detail))
        .route("/ui/events/{id}/replay", post(events::replay))
        .route("/ui/review", get(review::queue))
        .route("/ui/review/{id}/resolve", post(review::resolve))
        .route("/ui/review/{id}/skip", post(review::skip))
        .route("/ui/replay", get(bulk::preview).post(bulk::start))
        .route("/ui/replay/{batch}", get(bulk::progress))
        .route("/ui/replay/{batch}/items", get(bulk::items))
        .route(
            "/ui/plugins",
            get(plugins::page)
                .post(plugins::upload.layer(DefaultBodyLimit::max(plugins::MAX_COMPONENT))),
        )
        .route("/ui/plugins/{name}/rollback", post(plugins::rollback))
        .route(
            "/ui/dry-run",
            get(dry_run::page)
                .post(dry_run::run.layer(DefaultBodyLimit::max(plugins::MAX_COMPONENT))),
        )
        .route("/ui/connections", get(connections::page))
        .route("/ui/connections/{name}/ping", get(connections::ping))
        .route("/ui/logout", post(session::logout))
        .layer(axum::middleware::from_fn(session::require));
    Router::new()
        .route("/ui/login", get(session::login_form).post(session::login))
        .route("/ui/static/htmx.min.js", get(page::htmx))
        .route("/ui/static/console.css", get(page::stylesheet))
        .merge(signed_in)
        .layer(axum::middleware::from_fn(session::same_origin_posts))
        .layer(axum::Extension(Arc::new(session::Sessions::new(token))))
        .layer(axum::Extension(Arc::new(bulk::Batches::default())))
        .layer(axum::middleware::map_response(security_headers))
}

/// What every console answer carries: no inline script or style, no framing, no sniffing, no
/// caching of pages that show the inbox.
async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
             connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}
