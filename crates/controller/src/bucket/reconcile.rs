//! The thin Bucket driver: observe S3, ask `plan`, apply, write status.

use std::sync::Arc;
use std::time::Duration;

use kube::api::Api;
use kube::runtime::controller::Action;
use kube::runtime::finalizer::{Event as FinalizerEvent, finalizer};
use kube::{Resource, ResourceExt};
use stackwright_api::annotations::{self, FINALIZER};
use stackwright_api::bucket::{Bucket, BucketStatus};
use stackwright_api::common::{CommonStatus, OwnedResource};
use stackwright_api::conditions::{self, Outcome, reason};
use stackwright_cloud::s3::{Creation, Presence, S3};
use stackwright_cloud::{CloudError, ErrorCategory};

use super::desired::{DesiredBucket, desired};
use super::plan::{Change, Cleanup, Plan, cleanup, foreign_bucket_message, plan};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::status::{self, StatusWriter};

/// How soon to look again while something is in flight or waits for a person's change elsewhere.
const SOON: Duration = Duration::from_secs(5);

pub async fn reconcile(bucket: Arc<Bucket>, ctx: Arc<Context>) -> Result<Action> {
    let started = std::time::Instant::now();
    let api: Api<Bucket> = Api::namespaced(ctx.client.clone(), &bucket.namespace().unwrap_or_default());
    let result = finalizer(&api, FINALIZER, bucket.clone(), |event| async {
        match event {
            FinalizerEvent::Apply(b) => apply(&b, &ctx).await,
            FinalizerEvent::Cleanup(b) => clean_up(&b, &ctx).await,
        }
    })
    .await
    .map_err(|e| Error::Finalizer(Box::new(e)));
    let category = result.as_ref().err().map(Error::category);
    ctx.metrics.reconciled("Bucket", started.elapsed(), category);
    if result.is_ok() {
        ctx.reset_backoff(bucket.as_ref());
    }
    result
}

pub fn error_policy(bucket: Arc<Bucket>, error: &Error, ctx: Arc<Context>) -> Action {
    let wait = ctx.next_backoff(bucket.as_ref());
    tracing::warn!(bucket = %format!("{}/{}", bucket.namespace().unwrap_or_default(), bucket.name_any()), category = error.category(), error = %error, retry_in = ?wait, "reconcile failed");
    Action::requeue(wait)
}

/// Converges one Bucket and reports how that went.
async fn apply(bucket: &Bucket, ctx: &Context) -> Result<Action> {
    let id = ctx.identity(bucket);
    let want = desired(&bucket.spec, &id, ctx.cloud.default_region());
    let s3 = ctx.cloud.s3(&want.region);
    let paused = annotations::is_true(bucket.meta(), annotations::PAUSED);
    let adopt = annotations::is_true(bucket.meta(), annotations::ADOPT) || creation_interrupted(bucket, &want.name);

    let mut report = Report::new(&want);
    let mut status = writer(bucket);
    if status.is_first_sight() {
        // kstatus: Ready is False from the very first reconcile, before anything else happens.
        // Not reason Creating: that one claims the name (see creation_interrupted), and nothing
        // is known about the name yet.
        let first = Outcome::progressing(reason::PENDING, format!("looking up S3 bucket {}", want.name));
        write_status(&mut status, ctx, &report, &first).await?;
    }
    let outcome = match converge(&mut status, ctx, &s3, &want, &id, paused, adopt, &mut report).await {
        Ok(outcome) => outcome,
        Err(e) => match stall_reason(&e) {
            Some(reason) => Outcome::stalled(reason, e.to_string()),
            None => {
                // Transient: say so, then let error_policy back off.
                write_status(&mut status, ctx, &report, &Outcome::progressing(reason::RETRYING, e.to_string())).await?;
                return Err(e.into());
            }
        },
    };
    write_status(&mut status, ctx, &report, &outcome).await?;
    Ok(match outcome {
        // The resync sweep (every --resync-interval) re-checks these for drift or a way forward;
        // a change to the object itself reconciles it at once.
        Outcome::Ready { .. } | Outcome::Paused { .. } | Outcome::Stalled { .. } => Action::await_change(),
        Outcome::Progressing { .. } => Action::requeue(SOON),
    })
}

/// Errors a person has to fix (AWS refused a value or our permissions); the rest are retried.
fn stall_reason(e: &CloudError) -> Option<&'static str> {
    match e.category {
        ErrorCategory::AccessDenied => Some(reason::ACCESS_DENIED),
        ErrorCategory::Invalid => Some(reason::INVALID_SPEC),
        _ => None,
    }
}

/// Whether an earlier reconcile was interrupted between creating the bucket and tagging it: it
/// had recorded the name with reason Creating — written only after HeadBucket found the name
/// free, right before CreateBucket. Without this, a crash at that line would leave a bucket nobody claims.
fn creation_interrupted(bucket: &Bucket, name: &str) -> bool {
    let Some(status) = &bucket.status else { return false };
    status.bucket_name.as_deref() == Some(name)
        && conditions::find(&status.common.conditions, conditions::READY).is_some_and(|c| c.reason == reason::CREATING)
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

#[allow(clippy::too_many_arguments)]
async fn converge(
    status: &mut Writer<'_>,
    ctx: &Context,
    s3: &S3,
    want: &DesiredBucket,
    id: &stackwright_api::naming::ObjectIdentity,
    paused: bool,
    adopt: bool,
    report: &mut Report,
) -> Result<Outcome, CloudError> {
    let presence = s3.presence(&want.name).await?;
    let observed = match presence {
        Presence::Accessible => Some(s3.read(&want.name).await?),
        _ => None,
    };
    report.exists = Some(presence == Presence::Accessible);
    let changes = match plan(want, &presence, observed.as_ref(), id, adopt) {
        Plan::Blocked { reason, message } => return Ok(Outcome::stalled(reason, message)),
        Plan::Converge(changes) if changes.is_empty() => {
            return Ok(if paused {
                Outcome::Paused { in_sync: true, message: format!("paused; S3 bucket {} matches the spec", want.name) }
            } else {
                Outcome::Ready { message: format!("S3 bucket {} matches the spec", want.name) }
            });
        }
        Plan::Converge(changes) => {
            report.drift = changes.iter().map(Change::field).collect();
            if paused {
                return Ok(Outcome::Paused {
                    in_sync: false,
                    message: format!(
                        "paused; S3 bucket {} differs from the spec in: {}",
                        want.name,
                        report.drift.join(", ")
                    ),
                });
            }
            announce(
                status,
                ctx,
                report,
                reason::UPDATING,
                format!("updating S3 bucket {}: {}", want.name, report.drift.join(", ")),
            )
            .await;
            changes
        }
        Plan::Create { object_lock } => {
            if paused {
                return Ok(Outcome::Paused {
                    in_sync: false,
                    message: format!("paused; S3 bucket {} does not exist yet", want.name),
                });
            }
            announce(status, ctx, report, reason::CREATING, format!("creating S3 bucket {}", want.name)).await;
            if s3.create(&want.name, object_lock).await? == Creation::TakenByAnotherAccount {
                return Ok(Outcome::stalled(reason::NAME_CONFLICT, foreign_bucket_message(&want.name)));
            }
            report.exists = Some(true);
            let fresh = s3.read(&want.name).await?;
            // We just created it: it is ours although our tags are not on it yet.
            match plan(want, &Presence::Accessible, Some(&fresh), id, true) {
                Plan::Converge(changes) => changes,
                Plan::Blocked { reason, message } => return Ok(Outcome::stalled(reason, message)),
                Plan::Create { .. } => Vec::new(),
            }
        }
    };
    for change in &changes {
        apply_change(s3, &want.name, change).await?;
    }
    // Verify: S3 must now report exactly the spec. A difference here means AWS normalised a value
    // differently from how we compare it; say so instead of rewriting it on every resync.
    let after = s3.read(&want.name).await?;
    match plan(want, &Presence::Accessible, Some(&after), id, true) {
        Plan::Converge(rest) if rest.is_empty() => {
            report.drift.clear();
            tracing::info!(bucket = %want.name, changed = ?changes.iter().map(Change::field).collect::<Vec<_>>(), "S3 bucket converged");
            Ok(Outcome::Ready { message: format!("S3 bucket {} matches the spec", want.name) })
        }
        Plan::Converge(rest) => {
            report.drift = rest.iter().map(Change::field).collect();
            Ok(Outcome::progressing(
                reason::UPDATING,
                format!("S3 does not yet report the new {}", report.drift.join(", ")),
            ))
        }
        Plan::Blocked { reason, message } => Ok(Outcome::stalled(reason, message)),
        Plan::Create { .. } => {
            Ok(Outcome::progressing(reason::CREATING, format!("S3 bucket {} is not visible yet", want.name)))
        }
    }
}

async fn apply_change(s3: &S3, name: &str, change: &Change) -> Result<(), CloudError> {
    match change {
        Change::Tags(tags) => s3.put_tags(name, tags).await,
        Change::Versioning(on) => s3.put_versioning(name, *on).await,
        Change::Encryption(e) => s3.put_encryption(name, e).await,
        Change::ObjectLockRetention(r) => s3.put_object_lock_retention(name, r.as_ref()).await,
        Change::UnblockPublicAccess(p) | Change::BlockPublicAccess(p) => s3.put_public_access_block(name, *p).await,
        Change::Website(Some(w)) => s3.put_website(name, w).await,
        Change::Website(None) => s3.delete_website(name).await,
        Change::Policy(Some(p)) => s3.put_policy(name, &p.to_string()).await,
        Change::Policy(None) => s3.delete_policy(name).await,
        Change::Cors(rules) if rules.is_empty() => s3.delete_cors(name).await,
        Change::Cors(rules) => s3.put_cors(name, rules).await,
        Change::Lifecycle(rules) if rules.is_empty() => s3.delete_lifecycle(name).await,
        Change::Lifecycle(rules) => s3.put_lifecycle(name, rules).await,
    }
}

/// Reports that writes are about to start (Ready False, Reconciling True). Best effort: the
/// final status write reports the result either way.
async fn announce(status: &mut Writer<'_>, ctx: &Context, report: &Report, why: &str, message: String) {
    if let Err(e) = write_status(status, ctx, report, &Outcome::progressing(why, message)).await {
        tracing::warn!(error = %e, "could not write progress status");
    }
}

type Writer<'a> = StatusWriter<'a, Bucket, BucketStatus>;

fn writer(bucket: &Bucket) -> Writer<'_> {
    StatusWriter::new(bucket, bucket.status.clone(), |s| &s.common.conditions)
}

async fn write_status(status: &mut Writer<'_>, ctx: &Context, report: &Report, outcome: &Outcome) -> Result<()> {
    let bucket = status.object();
    let conditions = status::conditions_for(outcome, bucket.meta().generation, status.conditions());
    let state = match (report.exists, report.drift.is_empty()) {
        (None, _) => "Unknown",
        (Some(false), _) => "Missing",
        (Some(true), true) => "InSync",
        (Some(true), false) => "Drifted",
    };
    let next = BucketStatus {
        bucket_name: Some(report.name.clone()),
        arn: Some(S3::arn(&report.name)),
        region: Some(report.region.clone()),
        website_url: report.website.then(|| S3::website_url(&report.name, &report.region)),
        common: CommonStatus {
            observed_generation: bucket.meta().generation,
            conditions,
            resources: vec![OwnedResource { kind: "s3:Bucket".into(), id: report.name.clone(), state: state.into() }],
            estimated_monthly_cost_usd: Some(crate::cost::bucket()),
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
    let paused = annotations::is_true(bucket.meta(), annotations::PAUSED);
    let presence = s3.presence(&want.name).await?;
    let (owned, empty) = if presence == Presence::Accessible {
        let owned = id.owns(&s3.tags(&want.name).await?);
        (owned, if owned { Some(s3.is_empty(&want.name).await?) } else { None })
    } else {
        (false, None)
    };
    let mut report = Report::new(&want);
    report.exists = Some(presence == Presence::Accessible);
    let mut status = writer(bucket);
    let step =
        cleanup(&want.name, bucket.spec.deletion_policy, bucket.spec.empty_on_delete, paused, &presence, owned, empty);
    let result = match step {
        Cleanup::Release => {
            tracing::info!(bucket = %want.name, policy = ?bucket.spec.deletion_policy, "releasing Bucket");
            return Ok(Action::await_change());
        }
        Cleanup::Blocked { reason, message } => {
            write_status(&mut status, ctx, &report, &Outcome::stalled(reason, message.clone())).await?;
            return Err(Error::CleanupBlocked(message));
        }
        Cleanup::EmptyThenDelete => {
            announce(
                &mut status,
                ctx,
                &report,
                reason::DELETING,
                format!("emptying and deleting S3 bucket {}", want.name),
            )
            .await;
            match s3.empty(&want.name).await {
                Ok(n) => {
                    tracing::info!(bucket = %want.name, objects = n, "emptied S3 bucket");
                    s3.delete(&want.name).await
                }
                Err(e) => Err(e),
            }
        }
        Cleanup::Delete => {
            announce(&mut status, ctx, &report, reason::DELETING, format!("deleting S3 bucket {}", want.name)).await;
            s3.delete(&want.name).await
        }
    };
    match result {
        Ok(()) | Err(CloudError { category: ErrorCategory::NotFound, .. }) => {
            tracing::info!(bucket = %want.name, "deleted S3 bucket");
            Ok(Action::await_change())
        }
        Err(e) => {
            let outcome = match stall_reason(&e) {
                Some(reason) => Outcome::stalled(reason, e.to_string()),
                // BucketNotEmpty (objects arrived after the emptiness check) or objects that could
                // not be deleted: the bucket still holds data.
                None if e.category == ErrorCategory::Conflict => {
                    Outcome::stalled(reason::BUCKET_NOT_EMPTY, e.to_string())
                }
                None => Outcome::progressing(reason::RETRYING, e.to_string()),
            };
            write_status(&mut status, ctx, &report, &outcome).await?;
            Err(e.into())
        }
    }
}

#[cfg(test)]
mod tests {
    use stackwright_api::bucket::{Bucket, BucketSpec, BucketStatus};
    use stackwright_api::common::CommonStatus;
    use stackwright_api::conditions::{Outcome, conditions, reason};

    use super::creation_interrupted;

    fn bucket_with(name: &str, why: &str) -> Bucket {
        let spec: BucketSpec = serde_yaml::from_str("{}").expect("valid spec");
        let mut b = Bucket::new("docs", spec);
        let now = crate::status::now();
        b.status = Some(BucketStatus {
            bucket_name: Some(name.into()),
            common: CommonStatus {
                conditions: conditions(&Outcome::progressing(why, "m"), Some(1), &[], &now),
                ..CommonStatus::default()
            },
            ..BucketStatus::default()
        });
        b
    }

    #[test]
    fn only_an_announced_creation_of_this_name_claims_an_untagged_bucket() {
        assert!(creation_interrupted(&bucket_with("b", reason::CREATING), "b"));
        assert!(!creation_interrupted(&bucket_with("b", reason::CREATING), "other"));
        // The first-sight status knows nothing about the name yet: it must not claim it.
        assert!(!creation_interrupted(&bucket_with("b", reason::PENDING), "b"));
        assert!(!creation_interrupted(&bucket_with("b", reason::NAME_CONFLICT), "b"));
        assert!(!creation_interrupted(&Bucket::new("docs", serde_yaml::from_str("{}").expect("valid spec")), "b"));
    }
}
