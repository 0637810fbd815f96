//! The plugins page: per name, the version serving new events and the ones installed before it;
//! installing a component uploaded from the browser, and rolling a plugin back. Both go through
//! the same checks as `mlc plugin install` and the admin API.

use std::sync::Arc;

use axum::extract::{Form, Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::page::{Failure, render, when};
use super::session::{CsrfOnly, Operator};
use crate::flow::plugins::Installed;
use crate::flow::shared::Shared;

/// The largest component the page takes.
pub(super) const MAX_COMPONENT: usize = 64 << 20;

struct VersionView {
    version: String,
    world: String,
    hash: String,
    size_kib: u64,
    installed: String,
    origin: String,
}

struct PluginView {
    name: String,
    active: VersionView,
    activated: String,
    inactive: Vec<VersionView>,
}

#[derive(askama::Template)]
#[template(path = "plugins.html")]
struct PluginsPage {
    op: Operator,
    plugins: Vec<PluginView>,
    /// What the last action did, or why it did nothing.
    notice: Option<(bool, String)>,
}

fn version_view(stored: &crate::plugin_store::StoredVersion) -> VersionView {
    VersionView {
        version: stored.version.clone(),
        world: stored.world.clone(),
        hash: stored.hash[..stored.hash.len().min(12)].to_owned(),
        size_kib: stored.size.div_ceil(1024),
        installed: when(&stored.installed_at),
        origin: stored.origin.clone(),
    }
}

async fn plugins_page(
    shared: &Shared,
    op: Operator,
    notice: Option<(bool, String)>,
) -> Result<Response, Failure> {
    let versions = shared.store.versions().await.map_err(|error| {
        op.fail(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("cannot read the plugin store: {error:#}"),
        )
    })?;
    let plugins = versions
        .iter()
        .map(|plugin| PluginView {
            name: plugin.name.clone(),
            active: version_view(&plugin.active),
            activated: format!("{} at {}", plugin.activated_by, when(&plugin.activated_at)),
            inactive: plugin.inactive.iter().map(version_view).collect(),
        })
        .collect();
    let status = match &notice {
        Some((false, _)) => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::OK,
    };
    let page = PluginsPage {
        op,
        plugins,
        notice,
    };
    Ok((status, render(&page)).into_response())
}

pub(super) async fn page(
    State(shared): State<Arc<Shared>>,
    op: Operator,
) -> Result<Response, Failure> {
    plugins_page(&shared, op, None).await
}

/// What an install or a rollback did, for the page's notice.
fn outcome(result: anyhow::Result<Installed>, done: &str) -> (bool, String) {
    match result {
        Ok(installed) => (
            true,
            format!(
                "{done}: {} {} serves new events",
                installed.active.name, installed.active.version
            ),
        ),
        Err(error) => (false, format!("nothing changed: {error:#}")),
    }
}

/// Installs the uploaded component (the form's `component` file) and makes it active.
pub(super) async fn upload(
    State(shared): State<Arc<Shared>>,
    op: Operator,
    mut form: Multipart,
) -> Result<Response, Failure> {
    let mut csrf = None;
    let mut component = None;
    loop {
        let field = form.next_field().await.map_err(|error| {
            op.fail(
                StatusCode::BAD_REQUEST,
                format!("the upload did not arrive whole ({error}); nothing changed"),
            )
        })?;
        let Some(field) = field else { break };
        match field.name() {
            Some("csrf") => csrf = field.text().await.ok(),
            Some("component") => {
                let file = field.file_name().unwrap_or("upload").to_owned();
                let bytes = field.bytes().await.map_err(|error| {
                    op.fail(
                        StatusCode::BAD_REQUEST,
                        format!("the component did not arrive whole ({error}); nothing changed"),
                    )
                })?;
                component = Some((file, bytes));
            }
            _ => {}
        }
    }
    op.check(csrf.as_deref().unwrap_or_default())?;
    let notice = match component {
        Some((file, bytes)) if !bytes.is_empty() => {
            let origin = format!("console upload by {}: {file}", op.who);
            outcome(shared.install_plugin(&bytes, &origin).await, "installed")
        }
        _ => (
            false,
            "choose a component file (.wasm) to install".to_owned(),
        ),
    };
    tracing::info!(who = %op.who, ok = notice.0, "console: plugin install");
    plugins_page(&shared, op, Some(notice)).await
}

/// Makes the version installed before the active one serve again.
pub(super) async fn rollback(
    State(shared): State<Arc<Shared>>,
    op: Operator,
    Path(name): Path<String>,
    Form(form): Form<CsrfOnly>,
) -> Result<Response, Failure> {
    op.check(&form.csrf)?;
    let notice = outcome(shared.rollback_plugin(&name).await, "rolled back");
    tracing::info!(who = %op.who, plugin = %name, ok = notice.0, "console: plugin rollback");
    plugins_page(&shared, op, Some(notice)).await
}
