//! The operations endpoint: `/metrics` (Prometheus text format), `/healthz` and `/readyz`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;

use crate::metrics::Metrics;

#[derive(Clone, Debug)]
pub struct Health {
    pub metrics: Arc<Metrics>,
    pub ready: Arc<AtomicBool>,
}

pub fn router(state: Health) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .with_state(state)
}

async fn metrics(State(h): State<Health>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], h.metrics.encode())
}

/// Ready once the kinds can be listed: the leader reconciling, or a standby able to take over
/// (the body says which).
async fn readyz(State(h): State<Health>) -> impl IntoResponse {
    match (h.ready.load(Ordering::Relaxed), h.metrics.leader.get() == 1) {
        (false, _) => (StatusCode::SERVICE_UNAVAILABLE, "starting"),
        (true, true) => (StatusCode::OK, "ok: leading"),
        (true, false) => (StatusCode::OK, "ok: standing by"),
    }
}

/// Binds `addr` (port 0 picks a free one) and returns the bound address with the serving future.
pub async fn bind(
    addr: SocketAddr,
    state: Health,
) -> std::io::Result<(SocketAddr, impl std::future::Future<Output = std::io::Result<()>>)> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    Ok((local, async move { axum::serve(listener, router(state)).await }))
}
