//! The Stackwright controller: one reconciler module per kind, each with pure `desired` and
//! `plan` functions and a thin `reconcile` driver, plus what they share (context, status
//! writing, metrics, the operations endpoint) and [`start`], which runs them all.

pub mod bucket;
pub mod context;
pub mod cost;
pub mod error;
pub mod http;
pub mod metrics;
pub mod status;
pub mod telemetry;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures::StreamExt;
use kube::runtime::events::{Recorder, Reporter};
use kube::runtime::reflector::{self, ObjectRef};
use kube::runtime::{Controller, WatchStreamExt, controller, watcher};
use kube::{Api, Client, Resource};
use stackwright_api::Bucket;
use stackwright_cloud::{AwsSettings, Cloud};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::context::{Context, Settings};
use crate::metrics::Metrics;

/// Everything `stackwright run` can be told. Each flag falls back to an environment variable.
#[derive(Clone, Debug, clap::Args)]
pub struct Config {
    /// AWS region for objects that do not set spec.region.
    #[arg(long = "region", env = "AWS_REGION", default_value = "us-east-1")]
    pub default_region: String,
    /// Send all AWS calls to this endpoint (a local emulator, or a VPC endpoint).
    #[arg(long, env = "AWS_ENDPOINT_URL")]
    pub aws_endpoint_url: Option<String>,
    /// Id of this controller instance: written to the stackwright.io/cluster tag and used in
    /// derived AWS names. Two controllers sharing an AWS account need different ids.
    #[arg(long, env = "STACKWRIGHT_CLUSTER_ID", default_value = "stackwright")]
    pub cluster_id: String,
    /// How often converged objects are re-read to correct drift (e.g. 10m, 30s).
    #[arg(long, env = "STACKWRIGHT_RESYNC_INTERVAL", default_value = "10m", value_parser = humantime::parse_duration)]
    pub resync_interval: Duration,
    /// Objects of one kind reconciled at the same time.
    #[arg(long, env = "STACKWRIGHT_CONCURRENCY", default_value_t = 4)]
    pub concurrency: u16,
    /// Address of the /metrics, /healthz and /readyz endpoint.
    #[arg(long, env = "STACKWRIGHT_METRICS_ADDR", default_value = "0.0.0.0:8080")]
    pub metrics_addr: SocketAddr,
    /// Watch only this namespace (default: all namespaces).
    #[arg(long, env = "STACKWRIGHT_NAMESPACE")]
    pub namespace: Option<String>,
}

/// How long [`Running::stop`] waits for in-flight reconciles: well inside the 60 s
/// terminationGracePeriodSeconds of deploy/, so the process exits before it is killed.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(20);

/// A running controller.
#[derive(Debug)]
pub struct Running {
    /// Where /metrics, /healthz and /readyz are served.
    pub metrics_addr: SocketAddr,
    shutdown: CancellationToken,
    tasks: Vec<JoinHandle<()>>,
}

impl Running {
    /// Stops watching, lets in-flight reconciles finish for up to [`SHUTDOWN_GRACE`], then
    /// aborts whatever is left (kube's graceful shutdown waits for a store that never becomes
    /// ready when the API server is unreachable) and stops the endpoint.
    pub async fn stop(mut self) {
        self.shutdown.cancel();
        let finished = tokio::time::timeout(SHUTDOWN_GRACE, futures::future::join_all(self.tasks.iter_mut())).await;
        if finished.is_err() {
            tracing::warn!(grace = ?SHUTDOWN_GRACE, "in-flight work did not finish in time; stopping anyway");
            for task in &self.tasks {
                task.abort();
            }
        }
    }

    /// Resolves when the controller stops by itself (it should not) or after [`Running::stop`].
    pub async fn wait(&mut self) {
        for task in &mut self.tasks {
            let _ = task.await;
        }
    }
}

/// Connects to Kubernetes and AWS, serves the operations endpoint and runs every registered
/// reconciler until [`Running::stop`].
pub async fn start(config: Config, client: Client) -> anyhow::Result<Running> {
    let metrics = Arc::new(Metrics::default());
    let cloud = Cloud::new(
        AwsSettings {
            default_region: config.default_region.clone(),
            endpoint_url: config.aws_endpoint_url.clone(),
            static_credentials: None,
        },
        metrics.clone(),
    )
    .await;
    let reporter = Reporter {
        controller: "stackwright".into(),
        instance: std::env::var("POD_NAME").ok().or_else(|| std::env::var("HOSTNAME").ok()),
    };
    let ctx = Arc::new(Context::new(
        client.clone(),
        cloud,
        Settings { cluster_id: config.cluster_id.clone() },
        metrics.clone(),
        Recorder::new(client.clone(), reporter),
    ));
    let shutdown = CancellationToken::new();
    let ready = Arc::new(AtomicBool::new(false));

    let (metrics_addr, serve) = http::bind(config.metrics_addr, http::Health { metrics, ready: ready.clone() }).await?;
    let stop_http = shutdown.clone();
    let http_task = tokio::spawn(async move {
        tokio::select! {
            res = serve => if let Err(e) = res { tracing::error!(error = %e, "operations endpoint failed") },
            () = stop_http.cancelled() => {}
        }
    });

    let buckets: Api<Bucket> = match &config.namespace {
        Some(ns) => Api::namespaced(client.clone(), ns),
        None => Api::all(client.clone()),
    };
    let (reader, writer) = reflector::store();
    let stream = watcher(buckets.clone(), watcher::Config::default())
        .default_backoff()
        .reflect(writer)
        .applied_objects()
        .predicate_filter(meaningful_change::<Bucket>, Default::default());
    // Ready once the API server lists the kind for us: the CRD is installed and RBAC allows it.
    let ready_task = tokio::spawn(mark_ready_when_listable(buckets.clone(), ready, shutdown.clone()));
    let bucket_controller = Controller::for_stream(stream, reader)
        .with_config(controller::Config::default().concurrency(config.concurrency))
        .reconcile_all_on(every(config.resync_interval))
        .graceful_shutdown_on(shutdown.clone().cancelled_owned())
        .run(bucket::reconcile, bucket::error_policy, ctx)
        .for_each(log_result::<Bucket>);
    let controller_task = tokio::spawn(bucket_controller);

    tracing::info!(%metrics_addr, cluster_id = %config.cluster_id, region = %config.default_region, "stackwright controller started");
    Ok(Running { metrics_addr, shutdown, tasks: vec![controller_task, ready_task, http_task] })
}

async fn mark_ready_when_listable<K>(api: Api<K>, ready: Arc<AtomicBool>, shutdown: CancellationToken)
where
    K: Resource<DynamicType = ()> + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    let params = kube::api::ListParams::default().limit(1);
    loop {
        match api.list_metadata(&params).await {
            Ok(_) => {
                ready.store(true, Ordering::Relaxed);
                return;
            }
            Err(e) => tracing::warn!(error = %e, "cannot list {} yet", K::kind(&())),
        }
        tokio::select! {
            () = tokio::time::sleep(Duration::from_secs(2)) => {}
            () = shutdown.cancelled() => return,
        }
    }
}

/// A tick every `period`, starting one period from now: the resync sweep. Every object is
/// reconciled once per sweep, so drift is found, and an object whose watch event was somehow
/// missed is still reconciled, without relying on each object having scheduled its own requeue.
fn every(period: Duration) -> impl futures::Stream<Item = ()> + Send + 'static {
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    futures::stream::unfold(ticks, |mut ticks| async move {
        ticks.tick().await;
        Some(((), ticks))
    })
}

/// Which changes to an object deserve a reconcile: spec (generation), annotations (paused,
/// adopt, reconcile-requested-at), finalizers and deletion. Status writes — the controller's own —
/// do not, so writing status never triggers another round of AWS reads.
fn meaningful_change<K: Resource>(obj: &K) -> Option<u64> {
    use std::hash::{Hash, Hasher};
    let meta = obj.meta();
    let mut h = std::collections::hash_map::DefaultHasher::new();
    meta.generation.hash(&mut h);
    meta.annotations.hash(&mut h);
    meta.finalizers.hash(&mut h);
    meta.deletion_timestamp.as_ref().map(|t| t.0.as_second()).hash(&mut h);
    Some(h.finish())
}

async fn log_result<K: Resource>(
    result: Result<(ObjectRef<K>, controller::Action), controller::Error<error::Error, watcher::Error>>,
) {
    match result {
        Ok((obj, _)) => tracing::debug!(object = %obj, "reconciled"),
        Err(controller::Error::ReconcilerFailed(e, obj)) => {
            tracing::debug!(object = %obj, error = %e, "reconcile failed")
        }
        Err(e) => tracing::warn!(error = %e, "controller"),
    }
}
