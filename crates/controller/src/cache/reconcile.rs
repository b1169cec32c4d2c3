//! The Cache driver, with no decisions of its own: resolve the network and who may connect from
//! the AppStacks, observe AWS, plan, decide whether to write (assess), apply one wave, publish the
//! connection Secret, write status once it changed; and cleanup per deletion policy.

use kube::Resource;
use kube::core::error_boundary::DeserializeGuard;
use kube::runtime::controller::Action;
use kube::runtime::reflector::Store;
use stackwright_api::annotations;
use stackwright_api::cache::{Cache, CacheDeletionPolicy, CacheStatus};
use stackwright_api::common::{CommonStatus, OwnedResource};
use stackwright_api::conditions::{self, Outcome, reason};
use stackwright_api::naming::ObjectIdentity;
use stackwright_api::network::Endpoint;
use stackwright_cloud::CloudError;

use super::apply::apply;
use super::assess::{Verdict, after_writes, connection_data, describe, look_again_after, verdict};
use super::desired::{DesiredCache, desired};
use super::observe::{Clients, observe, observe_shared};
use super::plan::{Observed, Plan, Resource as Owned, pending, plan};
use crate::access::{Resolved, Target, resolve, while_unplaced};
use crate::context::Context;
use crate::driver::{Kind, Next, POLL, finish_cleanup, report_failure};
use crate::error::{Error, Result};
use crate::placement::{Bound, Placement, before_placement};
use crate::status::{self, StatusWriter};

impl Kind for Cache {
    type Status = CacheStatus;

    fn status(&self) -> Option<&CacheStatus> {
        self.status.as_ref()
    }

    fn store(ctx: &Context) -> Option<&Store<DeserializeGuard<Self>>> {
        ctx.stores.caches.get()
    }

    async fn apply(&self, ctx: &Context) -> Result<Next> {
        converge(self, ctx).await
    }

    async fn cleanup(&self, ctx: &Context) -> Result<Action> {
        clean_up(self, ctx).await
    }
}

fn clients(ctx: &Context, region: &str) -> Clients {
    Clients {
        elasticache: ctx.cloud.elasticache(region),
        ec2: ctx.cloud.ec2(region),
        secrets: ctx.cloud.secretsmanager(region),
    }
}

async fn converge(cache: &Cache, ctx: &Context) -> Result<Next> {
    let id = ctx.identity(cache);
    let want = desired(&cache.spec, &id, ctx.cloud.default_region());
    let aws = clients(ctx, &want.region);
    let mut report = Report::new(&want, cache.status.as_ref());
    let mut status = StatusWriter::new(cache, cache.status.clone());
    if status.is_first_sight() {
        // kstatus: Ready is False from the very first reconcile, before any AWS call.
        let first =
            Outcome::progressing(reason::PENDING, format!("looking up replication group {}", want.replication_group));
        write_status(&mut status, ctx, &report, &first).await?;
    }

    let Resolved { placement, admitted } = resolve(ctx, &id, &cache.spec.network, Bound::Cache).await?;
    let paused = annotations::is_true(cache.meta(), annotations::PAUSED);
    if let Some(outcome) = before_placement(&placement) {
        if !paused
            && let Err(e) = while_unplaced(&aws.ec2, &report.next.common.resources, want.port, &admitted, &id).await
        {
            return failed(&mut status, ctx, &report, e, true).await;
        }
        write_status(&mut status, ctx, &report, &outcome).await?;
        // The AppStack watch wakes this object when the stack appears or reports its network.
        return Ok(Next::Settled);
    }
    let Placement::In { vpc_id, subnet_ids } = placement else { return Ok(Next::Settled) };

    let observed = if stackwright_cloud::is_background() {
        observe_shared(&aws, &ctx.listings, &ctx.settings.cluster_id, &want, &vpc_id).await
    } else {
        observe(&aws, &want, &vpc_id).await
    };
    let observed = match observed {
        Ok(observed) => observed,
        Err(e) => return failed(&mut status, ctx, &report, e, false).await,
    };
    report.saw(&observed);
    let adopt = annotations::is_true(cache.meta(), annotations::ADOPT);
    let plan = plan(&want, &vpc_id, &subnet_ids, &admitted, &observed, &id, adopt);
    let steps = match verdict(&plan, paused, &want.replication_group) {
        Verdict::Report(outcome) => {
            if matches!(plan, Plan::InSync { .. }) {
                publish_connection(ctx, cache, &want, &observed, &mut report).await?;
            }
            write_status(&mut status, ctx, &report, &outcome).await?;
            return Ok(Next::after(&outcome));
        }
        Verdict::Write(announce) => {
            if let Err(e) = write_status(&mut status, ctx, &report, &announce).await {
                // Only an announcement: the final write reports the result either way.
                tracing::warn!(error = %e, "could not write progress status");
            }
            let Plan::Write(steps) = plan else { return Ok(Next::Poll(POLL)) };
            steps
        }
    };
    let target = Target {
        vpc_id: &vpc_id,
        subnet_ids: &subnet_ids,
        security_group_id: observed.security_group.as_ref().map(|g| g.id.as_str()),
    };
    match apply(&aws, &want, &target, &id.uid, &steps).await {
        Ok(()) => {
            tracing::info!(cache = %want.replication_group, steps = %describe(&steps), "ElastiCache writes sent");
            let outcome = after_writes(&steps, &want.replication_group);
            write_status(&mut status, ctx, &report, &outcome).await?;
            Ok(Next::Poll(look_again_after(&steps)))
        }
        Err(e) => failed(&mut status, ctx, &report, e, true).await,
    }
}

/// Applies the connection Secret when what it holds is new to the status, or the object was
/// changed or woken.
async fn publish_connection(
    ctx: &Context,
    cache: &Cache,
    want: &DesiredCache,
    observed: &Observed,
    report: &mut Report,
) -> Result<()> {
    let Some(group) = &observed.replication_group else { return Ok(()) };
    let secret_arn = observed.auth_secret.as_ref().map(|s| s.arn.as_str());
    let Some(data) = connection_data(want, group, secret_arn) else { return Ok(()) };
    let next = &report.next;
    let recorded = cache.status.as_ref().is_some_and(|s| {
        s.connection_secret.as_deref() == Some(want.connection_secret.as_str())
            && s.primary_endpoint == next.primary_endpoint
            && s.reader_endpoint == next.reader_endpoint
            && s.auth_token_secret_arn == next.auth_token_secret_arn
    });
    crate::connection::publish_unless_recorded(ctx, cache, &want.connection_secret, &data, recorded).await?;
    report.next.connection_secret = Some(want.connection_secret.clone());
    Ok(())
}

/// Reports a failed AWS call as the shared rules say, and hands retries to the backoff.
async fn failed(status: &mut Writer<'_>, ctx: &Context, report: &Report, e: CloudError, wrote: bool) -> Result<Next> {
    let was_ready = conditions::find(status.conditions(), conditions::READY).is_some_and(|c| c.status == "True");
    let failures = ctx.consecutive_failures(status.object());
    report_failure(e, wrote, was_ready, failures, async |o: &Outcome| write_status(status, ctx, report, o).await).await
}

/// What the status reports besides conditions: the last status, updated by what was seen.
#[derive(Clone, Debug)]
struct Report {
    want: DesiredCache,
    next: CacheStatus,
}

impl Report {
    fn new(want: &DesiredCache, last: Option<&CacheStatus>) -> Self {
        Report { want: want.clone(), next: last.cloned().unwrap_or_default() }
    }

    fn saw(&mut self, observed: &Observed) {
        let g = observed.replication_group.as_ref();
        let endpoint =
            |e: &stackwright_cloud::elasticache::Endpoint| Endpoint { address: e.address.clone(), port: e.port };
        let skipped = observed.groups_skipped;
        let next = &mut self.next;
        next.primary_endpoint = g.and_then(|g| g.primary_endpoint.as_ref()).map(endpoint);
        next.reader_endpoint = g.and_then(|g| g.reader_endpoint.as_ref()).map(endpoint);
        next.cache_status = g.map(|g| g.status.clone());
        if !skipped {
            next.auth_token_secret_arn = observed.auth_secret.as_ref().map(|s| s.arn.clone());
        }
        next.pending_modifications = g.map(pending).unwrap_or_default();
        let want = &self.want;
        let entry = |kind: Owned, id: String, state: Option<&str>| OwnedResource {
            kind: kind.kind().into(),
            id,
            state: state.unwrap_or("Missing").into(),
        };
        let available = |present: bool| present.then_some("Available");
        // What was not read this time (the group is busy) keeps what was last seen of it.
        let last = |kind: Owned, fresh: OwnedResource| {
            let kept = next.common.resources.iter().find(|r| skipped && r.kind == kind.kind()).cloned();
            kept.unwrap_or(fresh)
        };
        let mut resources = vec![
            entry(
                Owned::SecurityGroup,
                observed.security_group.as_ref().map_or(want.security_group.clone(), |g| g.id.clone()),
                available(observed.security_group.is_some()),
            ),
            last(
                Owned::SubnetGroup,
                entry(Owned::SubnetGroup, want.subnet_group.clone(), available(observed.subnet_group.is_some())),
            ),
            last(
                Owned::ParameterGroup,
                entry(
                    Owned::ParameterGroup,
                    want.parameter_group.clone(),
                    available(observed.parameter_group.is_some()),
                ),
            ),
            entry(Owned::ReplicationGroup, want.replication_group.clone(), g.map(|g| g.status.as_str())),
        ];
        if let Some(name) = &want.auth_token_secret {
            let secret = observed.auth_secret.as_ref();
            let state = secret.map(|s| if s.scheduled_for_deletion { "ScheduledForDeletion" } else { "Available" });
            resources.push(last(
                Owned::AuthSecret,
                entry(Owned::AuthSecret, secret.map_or(name.clone(), |s| s.arn.clone()), state),
            ));
        }
        next.common.resources = resources;
    }
}

type Writer<'a> = StatusWriter<'a, Cache, CacheStatus>;

async fn write_status(status: &mut Writer<'_>, ctx: &Context, report: &Report, outcome: &Outcome) -> Result<()> {
    let cache = status.object();
    let w = &report.want;
    let next = CacheStatus {
        common: CommonStatus {
            observed_generation: cache.meta().generation,
            conditions: status::conditions_for(outcome, cache.meta().generation, status.conditions()),
            resources: report.next.common.resources.clone(),
            estimated_monthly_cost_usd: crate::cost::cache(&w.region, w.engine, &w.node_type, w.replicas + 1),
            claims: vec![],
        },
        ..report.next.clone()
    };
    status.write(ctx, next).await?;
    Ok(())
}

/// Handles a deleted Cache per its deletion policy; returning Ok releases the finalizer. The
/// replication group goes first (after its final snapshot is on record, with Snapshot), then the
/// groups and the token secret it used.
async fn clean_up(cache: &Cache, ctx: &Context) -> Result<Action> {
    let id = ctx.identity(cache);
    let want = desired(&cache.spec, &id, ctx.cloud.default_region());
    let mut report = Report::new(&want, cache.status.as_ref());
    let mut status = StatusWriter::new(cache, cache.status.clone());
    if want.deletion_policy == CacheDeletionPolicy::Retain {
        tracing::info!(cache = %want.replication_group, "deletionPolicy Retain: leaving the replication group and its groups");
        return Ok(Action::await_change());
    }
    if annotations::is_true(cache.meta(), annotations::PAUSED) {
        let message = format!(
            "deletion of replication group {} waits: the object is paused (remove the stackwright.io/paused annotation)",
            want.replication_group
        );
        write_status(&mut status, ctx, &report, &Outcome::Paused { in_sync: false, message: message.clone() }).await?;
        return Err(Error::CleanupBlocked(message));
    }
    let aws = clients(ctx, &want.region);
    let adopt = annotations::is_true(cache.meta(), annotations::ADOPT);
    let step = delete_in_order(ctx, cache, &aws, &want, &id, adopt, &mut status, &mut report).await;
    if matches!(step, Ok(None)) {
        tracing::info!(cache = %want.replication_group, policy = ?want.deletion_policy, "deleted the Cache's AWS resources");
    }
    let failures = ctx.consecutive_failures(cache);
    finish_cleanup(step, failures, async |o: &Outcome| write_status(&mut status, ctx, &report, o).await).await
}

/// One step of cleanup: `Ok(Some(progress))` while AWS works, `Ok(None)` once all is gone.
#[allow(clippy::too_many_arguments)]
async fn delete_in_order(
    ctx: &Context,
    cache: &Cache,
    aws: &Clients,
    want: &DesiredCache,
    id: &ObjectIdentity,
    adopt: bool,
    status: &mut Writer<'_>,
    report: &mut Report,
) -> Result<Option<String>> {
    let owns = |tags: &std::collections::BTreeMap<String, String>| adopt || id.owns(tags);
    let ec = &aws.elasticache;
    let group = ec.replication_group(&want.replication_group).await?;
    if let Some(group) = group.filter(|g| g.tags.as_ref().is_some_and(&owns)) {
        report.next.cache_status = Some(group.status.clone());
        if group.status == "deleting" {
            return Ok(Some(format!("replication group {} is deleting", want.replication_group)));
        }
        let snapshot = match want.deletion_policy {
            CacheDeletionPolicy::Snapshot => {
                record_final_snapshot(ctx, cache, want, status, report).await?;
                Some(want.final_snapshot.as_str())
            }
            _ => None,
        };
        ec.delete_replication_group(&want.replication_group, snapshot).await?;
        tracing::info!(cache = %want.replication_group, final_snapshot = ?snapshot, "deleting replication group");
        return Ok(Some(match snapshot {
            Some(s) => format!("deleting replication group {} after its final snapshot {s}", want.replication_group),
            None => format!("deleting replication group {}", want.replication_group),
        }));
    }
    if let Some(g) = ec.parameter_group(&want.parameter_group).await?
        && owns(&g.tags)
    {
        ec.delete_parameter_group(&g.name).await?;
    }
    if let Some(g) = ec.subnet_group(&want.subnet_group).await?
        && owns(&g.tags)
    {
        ec.delete_subnet_group(&g.name).await?;
    }
    crate::access::delete_security_group(&aws.ec2, &want.security_group, id).await?;
    if let Some(name) = &want.auth_token_secret
        && let Some(secret) = aws.secrets.describe(name).await?
        && !secret.scheduled_for_deletion
        && owns(&secret.tags)
    {
        // With Secrets Manager's recovery window: nothing uses the token any more, but a person
        // who needs it (say, for a client still configured with it) can restore it for a while.
        aws.secrets.delete_secret(&secret.arn, false).await?;
    }
    Ok(None)
}

/// Puts the final snapshot's name in status and an Event before the delete is sent.
async fn record_final_snapshot(
    ctx: &Context,
    cache: &Cache,
    want: &DesiredCache,
    status: &mut Writer<'_>,
    report: &mut Report,
) -> Result<()> {
    if report.next.final_snapshot_id.as_deref() == Some(want.final_snapshot.as_str()) {
        return Ok(());
    }
    report.next.final_snapshot_id = Some(want.final_snapshot.clone());
    let message = format!(
        "taking final snapshot {} of replication group {}, then deleting the group",
        want.final_snapshot, want.replication_group
    );
    // Must be confirmed before the delete: if it is not, nothing is deleted.
    write_status(status, ctx, report, &Outcome::progressing(reason::DELETING, message.clone())).await?;
    status::record_event(ctx, cache, "FinalSnapshot", "Delete", message).await;
    Ok(())
}
