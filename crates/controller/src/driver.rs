//! The skeleton every kind's reconcile runs in, so that a kind's own code is only its pipeline:
//! an object that cannot be read is reported and skipped (the others carry on), the gate admits
//! the reconcile (new and changed objects first), the finalizer chooses apply or cleanup, and the
//! result becomes metrics, backoff and the next resync. Plus the rules every kind shares and that
//! hold no I/O: how a failed AWS call is reported, and when an object counts as converged.

use std::fmt::Debug;
use std::future::Future;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::time::{Duration, Instant};

use k8s_openapi::NamespaceResourceScope;
use k8s_openapi::api::core::v1::ObjectReference;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::Api;
use kube::core::error_boundary::{DeserializeGuard, InvalidObject};
use kube::runtime::controller::Action;
use kube::runtime::events::{Event, EventType};
use kube::runtime::finalizer::{Event as FinalizerEvent, finalizer};
use kube::runtime::reflector::{ObjectRef, Store};
use kube::{Resource, ResourceExt};
use serde::Serialize;
use serde::de::DeserializeOwned;
use stackwright_api::HasCommonStatus;
use stackwright_api::annotations::{self, FINALIZER};
use stackwright_api::conditions::{self, Outcome, reason};
use stackwright_cloud::{CloudError, ErrorCategory};

use crate::context::{Context, object_key};
use crate::error::{Error, Result};
use crate::schedule::{Class, Settled, classify, jittered, spread};
use crate::status::kind_label;

/// How soon an object with work in flight is looked at again, at first.
pub const POLL: Duration = Duration::from_secs(5);

/// How soon the next wave follows writes AWS completes at once (groups, rules, parameters, tags,
/// secrets): nothing to wait for but the reconcile itself.
pub const NEXT_WAVE: Duration = Duration::from_millis(500);

/// The longest wait between looks at work in flight.
pub const MAX_POLL: Duration = Duration::from_secs(60);

/// How soon to look again at work in flight that has been going on for `waiting_for`: `asked`
/// at first, then a quarter of the time waited so far, up to [`MAX_POLL`]. AWS operations take
/// seconds to tens of minutes (an RDS Multi-AZ conversion): a look every five seconds would spend
/// the rate limit on nothing, a fixed minute would slow every quick one.
pub fn poll_after(asked: Duration, waiting_for: Duration) -> Duration {
    asked.max((waiting_for / 4).min(MAX_POLL))
}

/// When to look again after a reconcile that asked for `asked`: the next wave of writes AWS
/// completed at once ([`NEXT_WAVE`]) follows at once however long the object has been
/// Reconciling (an AppStack builds in seven such waves); waiting for AWS slows with time
/// ([`poll_after`]).
pub fn next_look(asked: Duration, reconciling_for: Duration) -> Duration {
    if asked <= NEXT_WAVE { asked } else { poll_after(asked, reconciling_for) }
}

/// How long `conditions` say the object has been Reconciling (zero when it is not).
fn reconciling_for(conditions: &[k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition]) -> Duration {
    conditions::find(conditions, conditions::RECONCILING)
        .filter(|c| c.status == "True")
        .and_then(|c| {
            let since = k8s_openapi::jiff::Timestamp::now().duration_since(c.last_transition_time.0);
            Duration::try_from(since).ok()
        })
        .unwrap_or_default()
}

/// After how many failed reconciles in a row a failing read is reported although the object was
/// Ready: one blip must not flip Ready (two status writes, two Events, Argo CD "Progressing").
pub const FAILURES_BEFORE_REPORTING: u32 = 3;

/// A Stackwright kind: what the driver needs to run its pipeline.
pub trait Kind:
    Resource<DynamicType = (), Scope = NamespaceResourceScope>
    + Clone
    + Debug
    + DeserializeOwned
    + Serialize
    + Send
    + Sync
    + 'static
{
    type Status: HasCommonStatus + Serialize + PartialEq + Clone + Default + Debug + Send + Sync;

    fn status(&self) -> Option<&Self::Status>;

    /// The reflector store of this kind, once its watch runs.
    fn store(ctx: &Context) -> Option<&Store<DeserializeGuard<Self>>>;

    /// Converges AWS toward the object (at most one wave of writes) and writes its status.
    fn apply(&self, ctx: &Context) -> impl Future<Output = Result<Next>> + Send;

    /// Handles the deleted object per its deletion policy; `Ok` releases the finalizer.
    fn cleanup(&self, ctx: &Context) -> impl Future<Output = Result<Action>> + Send;
}

/// What an apply leaves to the scheduler.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// Nothing in flight (Ready, Paused, or Stalled on a person): look again at the resync.
    Settled,
    /// Work in flight: look again after this long.
    Poll(Duration),
}

impl Next {
    /// The usual follow-up of an outcome: in-flight work polls, everything else settles.
    pub fn after(outcome: &Outcome) -> Self {
        match outcome {
            Outcome::Progressing { .. } => Next::Poll(POLL),
            Outcome::Ready { .. } | Outcome::Paused { .. } | Outcome::Stalled { .. } => Next::Settled,
        }
    }
}

/// Runs one reconcile of a kind: the function kube-runtime's controller calls.
pub async fn reconcile<K: Kind>(guard: Arc<DeserializeGuard<K>>, ctx: Arc<Context>) -> Result<Action> {
    let obj = match &guard.0 {
        Ok(obj) => obj,
        Err(invalid) => {
            report_invalid::<K>(invalid, &ctx).await;
            return Ok(Action::await_change());
        }
    };
    let key = object_key(obj);
    let print = fingerprint(obj.meta());
    let converged = obj.status().is_some_and(|s| converged_for(s.common(), obj.meta()));
    let remembered = ctx.memory.get(&key);
    let class = classify(remembered, print, converged, Instant::now());
    if let Some(status) = obj.status() {
        ctx.metrics.objects.observe(kind_label::<K>(), &key, &status.common().conditions);
    }
    if class == Class::Resync && remembered.is_none() {
        // Converged when first seen (a restart, a new leader): its first look is spread over one
        // resync interval instead of every object being read in the same minute.
        let delay = ctx.settings.resync_interval.mul_f64(rand::random_range(0.0..1.0));
        ctx.memory.settle(&key, Settled { fingerprint: print, resync_due: Instant::now() + delay });
        return Ok(Action::requeue(delay));
    }
    let latest_differs = || {
        K::store(&ctx)
            .and_then(|store| store.get(&ObjectRef::from_obj(guard.as_ref())))
            .is_some_and(|latest| fingerprint(latest.meta()) != print)
    };
    let (_permit, class) = ctx.gate::<K>().admit(class, latest_differs).await;
    if latest_differs() {
        // Changed while it waited for a place: the watch has already queued the new version,
        // which runs right after this returns (as urgent work); reconciling the old one is moot.
        return Ok(Action::await_change());
    }

    let started = Instant::now();
    let api: Api<K> = Api::namespaced(ctx.client.clone(), &obj.namespace().unwrap_or_default());
    // On the heap: the AWS SDK's futures are large, and a reconcile nests many of them.
    let work = Box::pin(finalizer(&api, FINALIZER, Arc::new(obj.clone()), |event| async {
        match event {
            FinalizerEvent::Apply(obj) => {
                let next = obj.apply(&ctx).await?;
                Ok(match next {
                    Next::Settled => {
                        let wait = match class {
                            Class::Resync => jittered(ctx.settings.resync_interval),
                            Class::Urgent => spread(ctx.settings.resync_interval),
                        };
                        ctx.memory.settle(&key, Settled { fingerprint: print, resync_due: Instant::now() + wait });
                        Action::requeue(wait)
                    }
                    Next::Poll(wait) => {
                        ctx.memory.forget(&key);
                        let conditions = obj.status().map(|s| s.common().conditions.as_slice()).unwrap_or_default();
                        Action::requeue(next_look(wait, reconciling_for(conditions)))
                    }
                })
            }
            FinalizerEvent::Cleanup(obj) => {
                ctx.memory.forget(&key);
                let action = obj.cleanup(&ctx).await?;
                ctx.metrics.objects.forget(&key);
                Ok(action)
            }
        }
    }));
    // A resync's AWS calls leave part of each service's rate to new and changed objects.
    let work = stackwright_cloud::for_kind(kind_label::<K>(), work);
    let result = match class {
        Class::Resync => stackwright_cloud::in_background(work).await,
        Class::Urgent => work.await,
    }
    .map_err(|e| Error::Finalizer(Box::new(e)));
    // Cleanup waiting for AWS is progress, not a failure.
    let failed = result.as_ref().err().filter(|e| !e.is_cleanup_in_progress());
    ctx.metrics.reconciled(kind_label::<K>(), started.elapsed(), failed.map(Error::category));
    if failed.is_none() {
        ctx.reset_backoff(obj);
    } else {
        // Retried after the backoff as resync work: not deferred like an object first seen
        // converged, and not ahead of new objects either.
        ctx.memory.settle(&key, Settled { fingerprint: print, resync_due: Instant::now() });
    }
    result
}

/// What the controller does after a failed reconcile: back off per object (2 s doubling to 5 min).
pub fn error_policy<K: Kind>(guard: Arc<DeserializeGuard<K>>, error: &Error, ctx: Arc<Context>) -> Action {
    if error.is_cleanup_in_progress() {
        // Not a failure: AWS is deleting; poll without growing the backoff.
        tracing::debug!(object = %object_key(guard.as_ref()), %error, "cleanup in progress");
        return Action::requeue(POLL);
    }
    let wait = ctx.next_backoff(guard.as_ref());
    tracing::warn!(
        object = %object_key(guard.as_ref()),
        category = error.category(),
        error = %error,
        retry_in = ?wait,
        "reconcile failed"
    );
    Action::requeue(wait)
}

/// The parts of an object whose change deserves a reconcile: spec (generation), annotations
/// (paused, adopt, reconcile-requested-at), finalizers and deletion. Status writes — the
/// controller's own — are not among them, so writing status never triggers another round of reads.
pub fn fingerprint(meta: &ObjectMeta) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    meta.generation.hash(&mut h);
    meta.annotations.hash(&mut h);
    meta.finalizers.hash(&mut h);
    meta.deletion_timestamp.as_ref().map(|t| t.0.as_second()).hash(&mut h);
    h.finish()
}

/// Whether a status says the object is converged for what it asks now: Ready True for the
/// current generation, carries our finalizer, is not being deleted, and paused exactly when the
/// annotation says so.
pub fn converged_for(status: &stackwright_api::CommonStatus, meta: &ObjectMeta) -> bool {
    let paused = annotations::is_true(meta, annotations::PAUSED);
    let finalized = meta.finalizers.iter().flatten().any(|f| f == FINALIZER);
    status.observed_generation == meta.generation
        && finalized
        && meta.deletion_timestamp.is_none()
        && conditions::find(&status.conditions, conditions::READY)
            .is_some_and(|c| c.status == "True" && (c.reason == reason::PAUSED) == paused)
}

/// How a failed AWS call is reported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OnFailure {
    /// A person must act: report this (Stalled) and look again at the resync.
    Stall(Outcome),
    /// AWS is busy with the resource: report this (Reconciling) and poll, without backing off.
    Wait(Outcome),
    /// Try again with backoff; report this first, or nothing (keep the last verdict) when only a
    /// read failed on an object that was Ready, until it has failed repeatedly.
    Retry(Option<Outcome>),
}

/// Decides how to report `error`. `wrote` says whether this reconcile had started writing;
/// `was_ready` whether the last verdict was Ready; `failures_before` how many reconciles of the
/// object failed in a row before this one.
pub fn on_failure(error: &CloudError, wrote: bool, was_ready: bool, failures_before: u32) -> OnFailure {
    let message = error.to_string();
    match error.category {
        ErrorCategory::AccessDenied => OnFailure::Stall(Outcome::stalled(reason::ACCESS_DENIED, message)),
        ErrorCategory::QuotaExceeded => OnFailure::Stall(Outcome::stalled(reason::QUOTA_EXCEEDED, message)),
        ErrorCategory::Invalid => OnFailure::Stall(Outcome::stalled(reason::INVALID_SPEC, message)),
        ErrorCategory::Conflict => OnFailure::Stall(Outcome::stalled(reason::CONFLICT, message)),
        ErrorCategory::Busy => {
            OnFailure::Wait(Outcome::progressing(reason::WAITING, format!("AWS is busy with the resource: {message}")))
        }
        ErrorCategory::NotFound
        | ErrorCategory::AlreadyExists
        | ErrorCategory::Throttled
        | ErrorCategory::Transient => {
            let blip = !wrote && was_ready && failures_before + 1 < FAILURES_BEFORE_REPORTING;
            OnFailure::Retry((!blip).then(|| Outcome::progressing(reason::RETRYING, message)))
        }
    }
}

/// Reports a failed AWS call of a converging object as [`on_failure`] decides, through `write`
/// (the kind's status write), and tells the driver what comes next: a stall settles, a busy
/// resource polls, anything else goes back to the backoff.
pub async fn report_failure(
    e: CloudError,
    wrote: bool,
    was_ready: bool,
    failures_before: u32,
    write: impl AsyncFnOnce(&Outcome) -> Result<()>,
) -> Result<Next> {
    match on_failure(&e, wrote, was_ready, failures_before) {
        OnFailure::Stall(outcome) => {
            write(&outcome).await?;
            Ok(Next::Settled)
        }
        OnFailure::Wait(outcome) => {
            write(&outcome).await?;
            Ok(Next::Poll(POLL))
        }
        OnFailure::Retry(outcome) => {
            if let Some(outcome) = outcome {
                write(&outcome).await?;
            }
            Err(e.into())
        }
    }
}

/// Where a cleanup step leaves a deleted object: gone (`Ok(None)`: release the finalizer), AWS
/// still deleting (`Ok(Some(progress))`), or a failure. Progress and a busy resource keep the
/// finalizer and poll without backing off; a failure is reported through `write` and retried.
pub async fn finish_cleanup(
    step: Result<Option<String>>,
    failures_before: u32,
    write: impl AsyncFnOnce(&Outcome) -> Result<()>,
) -> Result<Action> {
    let progress = match step {
        Ok(None) => return Ok(Action::await_change()),
        Ok(Some(progress)) => progress,
        Err(Error::Cloud(e)) if e.category == ErrorCategory::Busy => format!("waiting for AWS: {e}"),
        Err(Error::Cloud(e)) => {
            if let OnFailure::Stall(outcome) | OnFailure::Wait(outcome) | OnFailure::Retry(Some(outcome)) =
                on_failure(&e, true, false, failures_before)
            {
                write(&outcome).await?;
            }
            return Err(e.into());
        }
        Err(e) => return Err(e),
    };
    if let Err(e) = write(&Outcome::progressing(reason::DELETING, progress.clone())).await {
        tracing::warn!(error = %e, "could not write progress status");
    }
    Err(Error::CleanupInProgress(progress))
}

/// Reports an object that cannot be read (once per version of it: a relist delivers it again)
/// and counts it; the watch and every other object carry on.
async fn report_invalid<K: Kind>(invalid: &InvalidObject, ctx: &Context) {
    let meta = &invalid.metadata;
    let key = format!(
        "{}/{}/{}",
        K::kind(&()),
        meta.namespace.as_deref().unwrap_or_default(),
        meta.name.as_deref().unwrap_or_default()
    );
    ctx.memory.forget(&key);
    if !ctx.metrics.objects.invalid(kind_label::<K>(), &key, meta.resource_version.as_deref()) {
        return;
    }
    let problem = locate_problem::<K>(ctx, meta).await.unwrap_or_else(|| invalid.error.clone());
    tracing::warn!(object = %key, error = %problem, "cannot read object; skipping it until it is fixed");
    let event = Event {
        type_: EventType::Warning,
        reason: "InvalidObject".into(),
        note: Some(
            format!(
                "stackwright cannot read this {}: {problem}. Fix it (kubectl edit or apply a corrected manifest); until then its AWS resources are left as they are",
                K::kind(&()),
            )
            .chars()
            .take(1000)
            .collect(),
        ),
        action: "Reconcile".into(),
        secondary: None,
    };
    let reference = ObjectReference {
        api_version: Some(K::api_version(&()).into_owned()),
        kind: Some(K::kind(&()).into_owned()),
        name: meta.name.clone(),
        namespace: meta.namespace.clone(),
        uid: meta.uid.clone(),
        resource_version: meta.resource_version.clone(),
        ..ObjectReference::default()
    };
    if let Err(e) = ctx.recorder.publish(&event, &reference).await {
        tracing::warn!(error = %e, "could not publish event");
    }
}

/// Where in an unreadable object the problem is (`spec.versioning: invalid type ...`): the watch
/// only says what went wrong, so the object is read once more, raw, and decoded field by field.
async fn locate_problem<K: Kind>(ctx: &Context, meta: &ObjectMeta) -> Option<String> {
    let api: Api<kube::api::DynamicObject> =
        Api::namespaced_with(ctx.client.clone(), meta.namespace.as_deref()?, &kube::api::ApiResource::erase::<K>(&()));
    let raw = serde_json::to_value(api.get(meta.name.as_deref()?).await.ok()?).ok()?;
    describe_problem::<K>(raw)
}

/// Decodes `raw` as a `K`, naming the path of the first field that does not fit.
fn describe_problem<K: Kind>(raw: serde_json::Value) -> Option<String> {
    match serde_path_to_error::deserialize::<_, K>(raw) {
        Ok(_) => None,
        Err(e) => Some(format!("{}: {}", e.path(), e.inner())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreadable_object_is_described_with_the_path_of_the_problem() {
        let raw = serde_json::json!({
            "apiVersion": "stackwright.io/v1alpha1", "kind": "Bucket",
            "metadata": {"name": "b", "namespace": "n"},
            "spec": {"versioning": "yes please"}
        });
        let problem = describe_problem::<stackwright_api::Bucket>(raw).expect("a problem");
        assert!(problem.starts_with("spec.versioning: invalid type"), "{problem}");
    }

    fn err(category: ErrorCategory) -> CloudError {
        CloudError { category, operation: "s3:GetBucketTagging", code: "X".into(), message: "m".into() }
    }

    #[test]
    fn a_read_blip_on_a_ready_object_keeps_the_verdict_until_it_repeats() {
        let e = err(ErrorCategory::Transient);
        assert_eq!(on_failure(&e, false, true, 0), OnFailure::Retry(None));
        assert_eq!(on_failure(&e, false, true, 1), OnFailure::Retry(None));
        assert!(matches!(on_failure(&e, false, true, 2), OnFailure::Retry(Some(Outcome::Progressing { .. }))));
        // Once a write was attempted, or when the object was not Ready, it is reported at once.
        assert!(matches!(on_failure(&e, true, true, 0), OnFailure::Retry(Some(_))));
        assert!(matches!(on_failure(&e, false, false, 0), OnFailure::Retry(Some(_))));
    }

    #[test]
    fn people_problems_stall_and_busy_waits() {
        let reason_of = |o: OnFailure| match o {
            OnFailure::Stall(Outcome::Stalled { reason, .. }) => reason,
            other => panic!("{other:?}"),
        };
        assert_eq!(reason_of(on_failure(&err(ErrorCategory::AccessDenied), false, true, 0)), "AccessDenied");
        assert_eq!(reason_of(on_failure(&err(ErrorCategory::QuotaExceeded), true, false, 0)), "QuotaExceeded");
        assert_eq!(reason_of(on_failure(&err(ErrorCategory::Invalid), true, false, 0)), "InvalidSpec");
        assert!(matches!(
            on_failure(&err(ErrorCategory::Busy), true, false, 0),
            OnFailure::Wait(Outcome::Progressing { .. })
        ));
    }

    fn meta(generation: i64, paused: bool, finalized: bool) -> ObjectMeta {
        ObjectMeta {
            generation: Some(generation),
            annotations: paused.then(|| [(annotations::PAUSED.to_string(), "true".to_string())].into()),
            finalizers: finalized.then(|| vec![FINALIZER.to_string()]),
            ..ObjectMeta::default()
        }
    }

    fn status(generation: i64, outcome: &Outcome) -> stackwright_api::CommonStatus {
        stackwright_api::CommonStatus {
            observed_generation: Some(generation),
            conditions: conditions::conditions(outcome, Some(generation), &[], &crate::status::now()),
            ..Default::default()
        }
    }

    #[test]
    fn converged_means_ready_for_this_generation_as_paused_as_asked() {
        let ready = Outcome::Ready { message: "ok".into() };
        let paused = Outcome::Paused { in_sync: true, message: "paused".into() };
        assert!(converged_for(&status(2, &ready), &meta(2, false, true)));
        assert!(!converged_for(&status(1, &ready), &meta(2, false, true)), "older generation");
        assert!(!converged_for(&status(2, &ready), &meta(2, false, false)), "no finalizer yet");
        assert!(!converged_for(&status(2, &ready), &meta(2, true, true)), "paused since");
        assert!(converged_for(&status(2, &paused), &meta(2, true, true)));
        assert!(!converged_for(&status(2, &paused), &meta(2, false, true)), "unpaused since");
        let creating = Outcome::progressing(reason::CREATING, "c");
        assert!(!converged_for(&status(2, &creating), &meta(2, false, true)));
    }

    #[test]
    fn long_operations_are_looked_at_less_often() {
        let s = Duration::from_secs;
        assert_eq!(poll_after(POLL, s(0)), POLL);
        assert_eq!(poll_after(POLL, s(12)), POLL);
        assert_eq!(poll_after(POLL, s(80)), s(20));
        assert_eq!(poll_after(POLL, s(3600)), MAX_POLL);
        assert_eq!(poll_after(s(90), s(0)), s(90), "a longer wait asked for stays");
        assert_eq!(next_look(NEXT_WAVE, s(3600)), NEXT_WAVE, "the next wave of writes is not stretched");
        assert_eq!(next_look(POLL, s(3600)), MAX_POLL);
    }

    #[test]
    fn status_alone_does_not_change_the_fingerprint() {
        let a = meta(3, false, true);
        let mut b = a.clone();
        b.resource_version = Some("999".into());
        b.managed_fields = Some(vec![]);
        assert_eq!(fingerprint(&a), fingerprint(&b));
        let mut c = a.clone();
        c.annotations = Some([(annotations::RECONCILE_REQUESTED_AT.to_string(), "now".to_string())].into());
        assert_ne!(fingerprint(&a), fingerprint(&c));
    }
}
