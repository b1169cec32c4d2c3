//! The Stackwright controller: one module per kind, each a pipeline of pure steps around one
//! observation and one wave of writes, run by a shared driver; plus what the kinds share
//! (context, scheduling, status writing, metrics, leader election, the operations endpoint) and
//! [`start`], which runs them all.

pub mod access;
pub mod appstack;
pub mod bucket;
pub mod cache;
pub mod connection;
pub mod context;
pub mod cost;
pub mod database;
pub mod dependents;
pub mod driver;
pub mod error;
pub mod http;
pub mod leader;
pub mod metrics;
pub mod placement;
pub mod schedule;
pub mod stacks;
pub mod status;
pub mod supporting;
pub mod sweep;
pub mod telemetry;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use kube::core::error_boundary::DeserializeGuard;
use kube::runtime::events::{Recorder, Reporter};
use kube::runtime::reflector::{self, ObjectRef};
use kube::runtime::{Controller, WatchStreamExt, controller, watcher};
use kube::{Api, Client, Resource};
use stackwright_api::{AppStack, Bucket, Cache, Database};
use stackwright_cloud::{AwsSettings, Cloud, FaultPlan, RateLimits};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::context::{Context, Settings};
use crate::driver::Kind;
use crate::leader::Election;
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
    /// Reconciles of one kind running at the same time (each kind has its own places, so a kind
    /// waiting on a slow AWS service never holds another's); one place is always kept for new
    /// and changed objects, so at least 2.
    #[arg(long, env = "STACKWRIGHT_CONCURRENCY", default_value_t = 8, value_parser = clap::value_parser!(u16).range(2..))]
    pub concurrency: u16,
    /// Address of the /metrics, /healthz and /readyz endpoint.
    #[arg(long, env = "STACKWRIGHT_METRICS_ADDR", default_value = "0.0.0.0:8080")]
    pub metrics_addr: SocketAddr,
    /// Watch only this namespace (default: all namespaces).
    #[arg(long, env = "STACKWRIGHT_NAMESPACE")]
    pub namespace: Option<String>,
    /// Run only while holding the leader lease, so several replicas can run with one writer.
    #[arg(long, env = "STACKWRIGHT_LEADER_ELECT", default_value_t = true, action = clap::ArgAction::Set)]
    pub leader_elect: bool,
    /// Namespace of the leader lease (default: the pod's namespace, else --namespace, else default).
    #[arg(long, env = "POD_NAMESPACE")]
    pub leader_election_namespace: Option<String>,
    /// How long a leader's lease lasts without renewal: a standby takes over within it.
    #[arg(long, env = "STACKWRIGHT_LEADER_LEASE_DURATION", default_value = "15s", value_parser = humantime::parse_duration)]
    pub leader_lease_duration: Duration,
    /// Client-side AWS request rates, SERVICE=RPS[:BURST] separated by commas (e.g.
    /// ec2=10:50,rds=5); services not named keep their defaults, near AWS's published rates.
    #[arg(long, env = "STACKWRIGHT_AWS_RATE_LIMIT", default_value = "", value_parser = RateLimits::parse)]
    pub aws_rate_limit: RateLimits,
    /// Faults to inject into AWS calls, for tests only (see the cloud crate's faults module).
    #[arg(long, env = "STACKWRIGHT_INJECT_FAULTS", hide = true)]
    pub inject_faults: Option<String>,
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

/// Connects to Kubernetes and AWS, serves the operations endpoint and runs every kind's
/// controller (once this replica leads, with leader election) until [`Running::stop`].
pub async fn start(config: Config, client: Client) -> anyhow::Result<Running> {
    let faults = match config.inject_faults.as_deref().filter(|f| !f.trim().is_empty()) {
        Some(text) => {
            let plan = FaultPlan::parse(text).map_err(|e| anyhow::anyhow!("--inject-faults: {e}"))?;
            tracing::warn!(
                plan = text,
                "FAULT INJECTION IS ON: AWS calls will fail or the process will abort on purpose"
            );
            Some(Arc::new(plan))
        }
        None => None,
    };
    let metrics = Arc::new(Metrics::default());
    let cloud = Cloud::new(
        AwsSettings {
            default_region: config.default_region.clone(),
            endpoint_url: config.aws_endpoint_url.clone(),
            static_credentials: None,
            rate_limits: config.aws_rate_limit.clone(),
            faults,
        },
        metrics.clone(),
    )
    .await;
    let identity = instance_identity();
    let reporter = Reporter { controller: "stackwright".into(), instance: Some(identity.clone()) };
    let ctx = Arc::new(Context::new(
        client.clone(),
        cloud,
        Settings { cluster_id: config.cluster_id.clone(), resync_interval: config.resync_interval },
        metrics.clone(),
        Recorder::new(client.clone(), reporter),
        usize::from(config.concurrency),
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

    // Ready once the API server lists the kinds for us (the CRDs are installed and RBAC allows
    // it): a standby is ready too, ready to take over.
    let ready_task =
        tokio::spawn(mark_ready_when_listable(scoped::<Bucket>(&client, &config), ready, shutdown.clone()));
    let lead_task = tokio::spawn(lead(identity.clone(), ctx, config.clone(), client, shutdown.clone()));

    tracing::info!(%metrics_addr, cluster_id = %config.cluster_id, region = %config.default_region, %identity, leader_election = config.leader_elect, "stackwright controller started");
    Ok(Running { metrics_addr, shutdown, tasks: vec![lead_task, ready_task, http_task] })
}

/// This replica's name in the lease and in Events: the pod name where there is one.
fn instance_identity() -> String {
    let host =
        std::env::var("POD_NAME").or_else(|_| std::env::var("HOSTNAME")).unwrap_or_else(|_| "stackwright".into());
    format!("{host}-{:08x}", rand::random::<u32>())
}

/// Waits for leadership (when elected), runs the controllers until shutdown, and gives the lease
/// back. A replica that loses the lease stops reconciling at once and exits with an error, so
/// that two replicas never write at the same time.
async fn lead(identity: String, ctx: Arc<Context>, config: Config, client: Client, shutdown: CancellationToken) {
    let mut election = None;
    if config.leader_elect {
        let namespace = config
            .leader_election_namespace
            .clone()
            .or_else(|| config.namespace.clone())
            .unwrap_or_else(|| "default".into());
        // The API server may not answer yet: keep trying until it does or we are stopped.
        loop {
            match Election::enter(client.clone(), &namespace, &identity, config.leader_lease_duration).await {
                Ok(e) => {
                    election = Some(e);
                    break;
                }
                Err(e) => tracing::warn!(error = %e, "cannot enter the leader election yet"),
            }
            tokio::select! {
                () = tokio::time::sleep(Duration::from_secs(2)) => {}
                () = shutdown.cancelled() => return,
            }
        }
    }
    if let Some(e) = election.as_mut() {
        tracing::info!("standing by for the leader lease");
        tokio::select! {
            won = e.won() => if !won { tracing::error!("leader election ended"); return },
            () = shutdown.cancelled() => {
                if let Some(e) = election { e.resign(Duration::from_secs(5)).await }
                return;
            }
        }
        tracing::info!("leading: starting the controllers");
    }
    ctx.metrics.leader.set(1);
    let mut controllers = tokio::spawn(run_controllers(ctx.clone(), config, client, shutdown.clone()));
    let lost = async {
        match election.as_mut() {
            Some(e) => e.lost().await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        () = lost => {
            ctx.metrics.leader.set(0);
            controllers.abort();
            tracing::error!("lost the leader lease: stopping at once so that two replicas never write together");
            std::process::exit(1);
        }
        _ = &mut controllers => {}
    }
    ctx.metrics.leader.set(0);
    if let Some(e) = election {
        e.resign(Duration::from_secs(5)).await;
    }
}

/// The Api of a kind, across all namespaces or the one --namespace names.
fn scoped<K: Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope>>(
    client: &Client,
    config: &Config,
) -> Api<K> {
    match &config.namespace {
        Some(ns) => Api::namespaced(client.clone(), ns),
        None => Api::all(client.clone()),
    }
}

/// Every kind's controller, until shutdown.
async fn run_controllers(ctx: Arc<Context>, config: Config, client: Client, shutdown: CancellationToken) {
    // The AppStack watch feeds the store Databases and Caches read, and wakes them.
    let (stacks, stacks_writer) = reflector::store();
    if ctx.stores.stacks.set(stacks).is_err() {
        tracing::warn!("the AppStack store was set twice");
    }
    let (wake_databases, databases_woken) = futures::channel::mpsc::unbounded();
    let (wake_caches, caches_woken) = futures::channel::mpsc::unbounded();
    let wakers = stacks::Wakers { databases: wake_databases, caches: wake_caches };
    let stack_watch =
        stacks::run(scoped::<DeserializeGuard<AppStack>>(&client, &config), stacks_writer, ctx.clone(), wakers);

    // Databases, Caches and Buckets wake the AppStacks that bind them when what those take
    // from them changes.
    let (wake_stacks, stacks_woken) = futures::channel::mpsc::unbounded();
    let bound = Arc::new(dependents::BoundWatch::new(wake_stacks));

    let (b, c) = (bound.clone(), ctx.clone());
    let buckets = controller_for::<Bucket>(
        &ctx,
        scoped(&client, &config),
        futures::stream::empty(),
        &shutdown,
        |store| {
            if ctx.stores.buckets.set(store).is_err() {
                tracing::warn!("the Bucket store was set twice");
            }
        },
        move |bucket| b.saw_bucket(&c, bucket),
    );
    let (b, c) = (bound.clone(), ctx.clone());
    let databases = controller_for::<Database>(
        &ctx,
        scoped(&client, &config),
        databases_woken,
        &shutdown,
        |store| {
            if ctx.stores.databases.set(store).is_err() {
                tracing::warn!("the Database store was set twice");
            }
        },
        move |db| b.saw_database(&c, db),
    );
    let (b, c) = (bound.clone(), ctx.clone());
    let caches = controller_for::<Cache>(
        &ctx,
        scoped(&client, &config),
        caches_woken,
        &shutdown,
        |store| {
            if ctx.stores.caches.set(store).is_err() {
                tracing::warn!("the Cache store was set twice");
            }
        },
        move |cache| b.saw_cache(&c, cache),
    );
    // A second watch of the stacks: the driver compares each queued stack with the latest one of
    // the same watch (the one above may lag it by an event).
    let appstacks = controller_for::<AppStack>(
        &ctx,
        scoped(&client, &config),
        stacks_woken,
        &shutdown,
        |store| {
            if ctx.stores.appstacks.set(store).is_err() {
                tracing::warn!("the AppStack controller's store was set twice");
            }
        },
        |_| {},
    );
    tokio::select! {
        () = async { tokio::join!(buckets, databases, caches, appstacks); } => {}
        () = stack_watch => tracing::warn!("the AppStack watch ended"),
    }
}

/// The controller of one kind: a guarded watch (an object that cannot be deserialized is
/// reported by the driver, not allowed to stop the watch), filtered to meaningful changes, plus
/// the objects `woken` names (a dependency changed), reconciled by the shared driver with
/// unbounded concurrency (the context's gate limits it). `saw` sees every object the watch
/// delivers, status changes included (the bound kinds wake their AppStacks from it).
fn controller_for<K: Kind>(
    ctx: &Arc<Context>,
    guarded: Api<DeserializeGuard<K>>,
    woken: impl futures::Stream<Item = ObjectRef<DeserializeGuard<K>>> + Send + 'static,
    shutdown: &CancellationToken,
    keep_store: impl FnOnce(reflector::Store<DeserializeGuard<K>>),
    saw: impl Fn(&K) + Send + Sync + 'static,
) -> impl std::future::Future<Output = ()> + Send + 'static {
    let (reader, writer) = reflector::store();
    keep_store(reader.clone());
    let stream = watcher(guarded, watcher::Config::default())
        .default_backoff()
        .reflect(writer)
        .applied_objects()
        .inspect_ok(move |obj: &DeserializeGuard<K>| {
            if let Ok(obj) = &obj.0 {
                saw(obj);
            }
        })
        .predicate_filter(|obj: &DeserializeGuard<K>| Some(driver::fingerprint(obj.meta())), Default::default());
    Controller::for_stream(stream, reader)
        .reconcile_on(woken)
        .with_config(controller::Config::default().concurrency(0))
        .graceful_shutdown_on(shutdown.clone().cancelled_owned())
        .run(driver::reconcile::<K>, driver::error_policy::<K>, ctx.clone())
        .for_each(log_result::<K>)
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

/// What kube-runtime's controller yields after each reconcile of a `K`.
type ReconcileResult<K> =
    Result<(ObjectRef<DeserializeGuard<K>>, controller::Action), controller::Error<error::Error, watcher::Error>>;

async fn log_result<K: Resource>(result: ReconcileResult<K>) {
    match result {
        Ok((obj, _)) => tracing::debug!(object = %obj, "reconciled"),
        Err(controller::Error::ReconcilerFailed(e, obj)) => {
            tracing::debug!(object = %obj, error = %e, "reconcile failed")
        }
        Err(e) => tracing::warn!(error = %e, "controller"),
    }
}
