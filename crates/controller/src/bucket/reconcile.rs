//! The Bucket driver, with no decisions of its own: observe S3, plan, decide whether to write
//! (assess), apply one wave of writes, assess the result, write status once it changed.

use kube::Resource;
use kube::core::error_boundary::DeserializeGuard;
use kube::runtime::controller::Action;
use kube::runtime::reflector::Store;
use stackwright_api::annotations;
use stackwright_api::bucket::{Bucket, BucketStatus};
use stackwright_api::common::{CommonStatus, OwnedResource};
use stackwright_api::conditions::{self, Outcome, reason};
use stackwright_cloud::CloudError;
use stackwright_cloud::s3::{Presence, S3};

use super::apply::{Applied, apply};
use super::assess::{Step, after_writes, cleanup_failed, drift, resource_state, step};
use super::desired::{DesiredBucket, desired};
use super::observe::{observe, observe_for_cleanup};
use super::plan::{Cleanup, cleanup, plan};
use crate::context::Context;
use crate::driver::{Kind, Next, OnFailure, POLL, on_failure};
use crate::error::{Error, Result};
use crate::status::{self, StatusWriter};

impl Kind for Bucket {
    type Status = BucketStatus;

    fn status(&self) -> Option<&BucketStatus> {
        self.status.as_ref()
    }

    fn store(ctx: &Context) -> Option<&Store<DeserializeGuard<Self>>> {
        ctx.stores.buckets.get()
    }

    async fn apply(&self, ctx: &Context) -> Result<Next> {
        converge(self, ctx).await
    }

    async fn cleanup(&self, ctx: &Context) -> Result<Action> {
        clean_up(self, ctx).await
    }
}

/// The claim that records, before CreateBucket, that this object is creating the bucket: S3
/// cannot take tags in the create call, so until PutBucketTagging the claim is the only mark.
fn claim(name: &str) -> String {
    format!("s3:Bucket/{name}")
}

async fn converge(bucket: &Bucket, ctx: &Context) -> Result<Next> {
    let id = ctx.identity(bucket);
    let want = desired(&bucket.spec, &id, ctx.cloud.default_region());
    let s3 = ctx.cloud.s3(&want.region);
    let mut report = Report::new(&want);
    let mut status = StatusWriter::new(bucket, bucket.status.clone());
    if status.is_first_sight() {
        // kstatus: Ready is False from the very first reconcile, before any AWS call.
        let first = Outcome::progressing(reason::PENDING, format!("looking up S3 bucket {}", want.name));
        write_status(&mut status, ctx, &report, &first, None).await?;
    }

    let observed = match observe(&s3, &want.name).await {
        Ok(observed) => observed,
        Err(e) => return failed(&mut status, ctx, &report, e, false).await,
    };
    report.exists = Some(observed.presence == Presence::Accessible);
    let claim = claim(&want.name);
    let adopt = annotations::is_true(bucket.meta(), annotations::ADOPT) || status.has_claim(&claim);
    let plan = plan(&want, &observed.presence, observed.state.as_ref(), &id, adopt);
    report.drift = drift(&plan);
    let paused = annotations::is_true(bucket.meta(), annotations::PAUSED);
    let (announce, create, changes) = match step(plan, paused, &want.name) {
        Step::Report(outcome) => {
            write_status(&mut status, ctx, &report, &outcome, None).await?;
            return Ok(Next::after(&outcome));
        }
        Step::Write { announce, create, changes } => (announce, create, changes),
    };
    if create.is_some() {
        // Must be confirmed before CreateBucket: if it is not, nothing is created.
        write_status(&mut status, ctx, &report, &announce, Some(&claim)).await?;
    } else if let Err(e) = write_status(&mut status, ctx, &report, &announce, None).await {
        // Only an announcement: the final write reports the result either way.
        tracing::warn!(error = %e, "could not write progress status");
    }

    match apply(&s3, &want.name, create, &changes).await {
        Ok(applied) => {
            if applied == Applied::NameTaken {
                status.release_claim(ctx, &claim).await?;
            } else {
                report.exists = Some(true);
                report.drift.clear();
                tracing::info!(bucket = %want.name, created = create.is_some(), changed = ?changes.iter().map(|c| c.field()).collect::<Vec<_>>(), "S3 bucket converged");
            }
            let outcome = after_writes(applied, &want.name);
            write_status(&mut status, ctx, &report, &outcome, None).await?;
            Ok(Next::after(&outcome))
        }
        Err(e) => failed(&mut status, ctx, &report, e, true).await,
    }
}

/// Reports a failed AWS call as the shared rules say, and hands retries to the backoff.
async fn failed(status: &mut Writer<'_>, ctx: &Context, report: &Report, e: CloudError, wrote: bool) -> Result<Next> {
    let was_ready = conditions::find(status.conditions(), conditions::READY).is_some_and(|c| c.status == "True");
    match on_failure(&e, wrote, was_ready, ctx.consecutive_failures(status.object())) {
        OnFailure::Stall(outcome) => {
            write_status(status, ctx, report, &outcome, None).await?;
            Ok(Next::Settled)
        }
        OnFailure::Wait(outcome) => {
            write_status(status, ctx, report, &outcome, None).await?;
            Ok(Next::Poll(POLL))
        }
        OnFailure::Retry(outcome) => {
            if let Some(outcome) = outcome {
                write_status(status, ctx, report, &outcome, None).await?;
            }
            Err(e.into())
        }
    }
}

/// What the status reports besides conditions.
struct Report {
    name: String,
    region: String,
    website: bool,
    /// Whether the bucket exists; None until S3 has been asked.
    exists: Option<bool>,
    drift: Vec<&'static str>,
}

impl Report {
    fn new(want: &DesiredBucket) -> Self {
        Report {
            name: want.name.clone(),
            region: want.region.clone(),
            website: want.website.is_some(),
            exists: None,
            drift: vec![],
        }
    }
}

type Writer<'a> = StatusWriter<'a, Bucket, BucketStatus>;

async fn write_status(
    status: &mut Writer<'_>,
    ctx: &Context,
    report: &Report,
    outcome: &Outcome,
    claim: Option<&str>,
) -> Result<()> {
    let bucket = status.object();
    let conditions = status::conditions_for(outcome, bucket.meta().generation, status.conditions());
    let next = BucketStatus {
        bucket_name: Some(report.name.clone()),
        arn: Some(S3::arn(&report.name)),
        region: Some(report.region.clone()),
        website_url: report.website.then(|| S3::website_url(&report.name, &report.region)),
        common: CommonStatus {
            observed_generation: bucket.meta().generation,
            conditions,
            resources: vec![OwnedResource {
                kind: "s3:Bucket".into(),
                id: report.name.clone(),
                state: resource_state(report.exists, &report.drift).into(),
            }],
            estimated_monthly_cost_usd: Some(crate::cost::bucket()),
            claims: claim.map(str::to_string).into_iter().collect(),
        },
    };
    status.write(ctx, next).await?;
    Ok(())
}

/// Handles a deleted Bucket per its deletion policy; returning Ok releases the finalizer.
async fn clean_up(bucket: &Bucket, ctx: &Context) -> Result<Action> {
    let id = ctx.identity(bucket);
    let want = desired(&bucket.spec, &id, ctx.cloud.default_region());
    let s3 = ctx.cloud.s3(&want.region);
    let mut report = Report::new(&want);
    let mut status = StatusWriter::new(bucket, bucket.status.clone());
    let observed = match observe_for_cleanup(&s3, &want.name, &id).await {
        Ok(observed) => observed,
        Err(e) => return cleanup_error(&mut status, ctx, &report, bucket, e).await,
    };
    report.exists = Some(observed.presence == Presence::Accessible);
    let paused = annotations::is_true(bucket.meta(), annotations::PAUSED);
    let policy = bucket.spec.deletion_policy;
    let empty_first = match cleanup(
        &want.name,
        policy,
        bucket.spec.empty_on_delete,
        paused,
        &observed.presence,
        observed.owned,
        observed.empty,
    ) {
        Cleanup::Release => {
            tracing::info!(bucket = %want.name, ?policy, "releasing Bucket");
            return Ok(Action::await_change());
        }
        Cleanup::Blocked { reason, message } => {
            write_status(&mut status, ctx, &report, &Outcome::stalled(reason, message.clone()), None).await?;
            return Err(Error::CleanupBlocked(message));
        }
        Cleanup::EmptyThenDelete => true,
        Cleanup::Delete => false,
    };
    let what = if empty_first { "emptying and deleting" } else { "deleting" };
    let announce = Outcome::progressing(reason::DELETING, format!("{what} S3 bucket {}", want.name));
    if let Err(e) = write_status(&mut status, ctx, &report, &announce, None).await {
        tracing::warn!(error = %e, "could not write progress status");
    }
    let result = async {
        if empty_first {
            let n = s3.empty(&want.name).await?;
            tracing::info!(bucket = %want.name, objects = n, "emptied S3 bucket");
        }
        s3.delete(&want.name).await
    }
    .await;
    match result {
        Ok(()) => {}
        Err(e) if e.is_not_found() => {}
        Err(e) => return cleanup_error(&mut status, ctx, &report, bucket, e).await,
    }
    tracing::info!(bucket = %want.name, "deleted S3 bucket");
    Ok(Action::await_change())
}

/// Cleanup keeps the finalizer on every failure: the error goes back to the backoff.
async fn cleanup_error(
    status: &mut Writer<'_>,
    ctx: &Context,
    report: &Report,
    bucket: &Bucket,
    e: CloudError,
) -> Result<Action> {
    let outcome = match cleanup_failed(&e, bucket.spec.empty_on_delete, ctx.consecutive_failures(bucket)) {
        OnFailure::Stall(outcome) | OnFailure::Wait(outcome) | OnFailure::Retry(Some(outcome)) => outcome,
        OnFailure::Retry(None) => return Err(e.into()),
    };
    write_status(status, ctx, report, &outcome, None).await?;
    Err(match outcome {
        Outcome::Stalled { message, .. } => Error::CleanupBlocked(message),
        _ => e.into(),
    })
}
