//! The AppStack driver, with no decisions of its own: resolve the bindings from the stores,
//! observe AWS, render the task definitions and role policies, plan one wave, apply it, write
//! status once it changed; and the cleanup of a deleted stack in reverse dependency order.

use std::collections::BTreeMap;

use kube::Resource;
use kube::core::error_boundary::DeserializeGuard;
use kube::runtime::controller::Action;
use kube::runtime::reflector::Store;
use stackwright_api::annotations;
use stackwright_api::appstack::{AppStack, AppStackDeletionPolicy, AppStackStatus, VolumeDeletionPolicy};
use stackwright_api::common::CommonStatus;
use stackwright_api::conditions::{self, Outcome, reason};
use stackwright_api::naming::ObjectIdentity;
use stackwright_cloud::CloudError;

use super::apply::{Wave, apply};
use super::assess::{describe, inventory, load_balancer, network, network_inventory, outcome, service_statuses};
use super::desired::{DesiredStack, desired};
use super::network;
use super::network::desired::DesiredNetwork;
use super::network::plan::ObservedNetwork;
use super::observe::{Clients, Known, ReadOnce, observe, observe_revisions};
use super::plan::{Observed, Owned, Planned, Rendered, Step, plan};
use super::policies::{execution_policy, task_policy};
use super::resolve::{Bindings, resolve};
use super::taskdef::{Roles, bound_buckets, execution_needs, render};
use crate::context::Context;
use crate::driver::{Kind, NEXT_WAVE, Next, POLL, finish_cleanup, report_failure};
use crate::error::Result;
use crate::status::StatusWriter;

impl Kind for AppStack {
    type Status = AppStackStatus;

    fn status(&self) -> Option<&AppStackStatus> {
        self.status.as_ref()
    }

    fn store(ctx: &Context) -> Option<&Store<DeserializeGuard<Self>>> {
        ctx.stores.appstacks.get()
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
        ecs: ctx.cloud.ecs(region),
        elbv2: ctx.cloud.elbv2(region),
        autoscaling: ctx.cloud.autoscaling(region),
        iam: ctx.cloud.iam(region),
        logs: ctx.cloud.logs(region),
        ec2: ctx.cloud.ec2(region),
        cloudmap: ctx.cloud.cloudmap(region),
        efs: ctx.cloud.efs(region),
    }
}

/// What to look for in AWS besides the spec, from the status, and the services the spec no
/// longer has. The target groups are the exposed services' and those the inventory lists; a
/// deletion (`everything`) also looks for the group of every service the stack has or had.
fn known(stack: &AppStack, want: &DesiredStack, id: &ObjectIdentity, everything: bool) -> (Known, Vec<String>) {
    let mut services: Vec<String> = stack.spec.services.iter().map(|s| s.name.clone()).collect();
    let status = stack.status.as_ref();
    let removed: Vec<String> = status
        .iter()
        .flat_map(|s| s.services.iter().map(|s| s.name.clone()))
        .filter(|n| !services.contains(n))
        .collect();
    services.extend(removed.iter().cloned());
    let listed = |kind: Owned| {
        let resources = status.into_iter().flat_map(|s| s.common.resources.iter());
        resources.filter(move |r| r.kind == kind.kind()).map(|r| r.id.clone())
    };
    let mut target_groups: Vec<String> = if everything {
        services.iter().map(|name| super::desired::target_group_name(id, name)).collect()
    } else {
        want.services.iter().filter_map(|s| s.exposure.as_ref().map(|e| e.target_group.clone())).collect()
    };
    for name in listed(Owned::TargetGroup).map(|id| target_group_of_arn(&id).to_string()) {
        if !target_groups.contains(&name) {
            target_groups.push(name);
        }
    }
    let namespace = listed(Owned::Namespace).next();
    let file_system = everything || listed(Owned::FileSystem).next().is_some();
    (Known { services, target_groups, log_groups: listed(Owned::LogGroup).collect(), namespace, file_system }, removed)
}

/// The name in a target group ARN (`arn:…:targetgroup/<name>/<id>`); a name stays a name.
fn target_group_of_arn(id: &str) -> &str {
    id.split_once(":targetgroup/").map_or(id, |(_, rest)| rest.split('/').next().unwrap_or(rest))
}

async fn converge(stack: &AppStack, ctx: &Context) -> Result<Next> {
    let id = ctx.identity(stack);
    let mut want = desired(&stack.spec, &id, ctx.cloud.default_region());
    let aws = clients(ctx, &want.region);
    let mut report = Report::new(&want, stack.status.as_ref());
    let mut status = StatusWriter::new(stack, stack.status.clone());
    if status.is_first_sight() {
        let first = Outcome::progressing(reason::PENDING, format!("looking up ECS cluster {}", want.cluster));
        write_status(&mut status, ctx, &report, &first).await?;
    }
    let (databases, caches, buckets) = ctx.bound_in(&id.namespace).await?;
    let bindings = resolve(&stack.spec.bindings, &databases, &caches, &buckets);
    let (known, removed) = known(stack, &want, &id, false);
    let thorough = (!stackwright_cloud::is_background())
        .then(|| ctx.settings_read.of(&id.uid, stack.meta().generation.unwrap_or_default()));
    let network = match &want.network {
        None => None,
        Some(net) => match network::observe::observe(&aws.ec2, Some(net), &id, thorough.as_deref()).await {
            Ok(have) => {
                let planned = network::plan::plan(net, &have, &id);
                report.saw_network(&want, net, &have, &id);
                Some((planned, have))
            }
            Err(e) => return failed(&mut status, ctx, &report, e, false).await,
        },
    };
    if let Some((placement, whole)) =
        network.as_ref().and_then(|(p, _)| p.placement.as_ref().map(|placement| (placement, p.complete())))
    {
        want.place(placement, whole);
    }
    // Nothing else of a stack can be placed before the VPC and subnets it owns exist.
    let unplaced = want.network.is_some() && want.vpc_id.is_empty();
    let mut observed = Observed::default();
    let mut rendered = Rendered::default();
    let mut planned = Planned::default();
    let paused = annotations::is_true(stack.meta(), annotations::PAUSED);
    let adopt = annotations::is_true(stack.meta(), annotations::ADOPT);
    if !unplaced {
        observed = match observe(&aws, &want, &known, thorough.as_deref()).await {
            Ok(o) => o,
            Err(e) => return failed(&mut status, ctx, &report, e, false).await,
        };
        rendered = render_all(&want, &bindings, &observed);
        if let Some(defs) = &rendered.task_definitions
            && let Err(e) = observe_revisions(&aws, &mut observed, defs, &ctx.revisions).await
        {
            return failed(&mut status, ctx, &report, e, false).await;
        }
        report.saw(&want, &observed, &removed, &id);
        planned = plan(&want, &rendered, &observed, &removed, &id, adopt);
    }
    if let Some((network, _)) = network {
        planned = planned.with_network(network);
    }
    let verdict = outcome(&want, &planned, &bindings, &observed, paused);
    if planned.steps.is_empty() || paused || matches!(verdict, Outcome::Stalled { .. }) {
        write_status(&mut status, ctx, &report, &verdict).await?;
        return Ok(match &verdict {
            // The driver looks again less often the longer the stack has been Reconciling.
            Outcome::Progressing { .. } => Next::Poll(POLL),
            _ => Next::Settled,
        });
    }
    let wave = Wave {
        want: &want,
        observed: &observed,
        task_definitions: rendered.task_definitions.as_ref(),
        hashes: &ctx.revisions,
    };
    if planned.steps.iter().any(Step::writes_settings) {
        ctx.settings_read.forget(&id.uid);
    }
    match apply(&aws, &wave, &planned.steps).await {
        Ok(()) => {
            tracing::info!(stack = %id.name, steps = %describe(&planned.steps), "AppStack writes sent");
            write_status(&mut status, ctx, &report, &verdict).await?;
            Ok(Next::Poll(NEXT_WAVE))
        }
        Err(e) => failed(&mut status, ctx, &report, e, true).await,
    }
}

/// The task definitions (once the bindings are Ready and the roles exist) and the roles'
/// policies (once the account is known from a role's ARN).
fn render_all(want: &DesiredStack, bindings: &Bindings, observed: &Observed) -> Rendered {
    let execution =
        want.execution_role_arn.clone().or_else(|| observed.execution_role.as_ref().map(|r| r.role.arn.clone()));
    let task = want.task_role_arn.clone().or_else(|| observed.task_role.as_ref().map(|r| r.role.arn.clone()));
    let Bindings::Ready(resolved) = bindings else { return Rendered::default() };
    let task_policy = task_policy(&bound_buckets(resolved));
    let Some(execution) = execution else { return Rendered { task_policy, ..Default::default() } };
    if want.task_role.is_some() && task.is_none() {
        return Rendered { task_policy, ..Default::default() };
    }
    let roles = Roles { execution: Some(execution.clone()), task };
    // A service whose volumes are not all available yet has no definition (it waits); the
    // execution role's policy covers every service all the same (volumes do not change it).
    let mut defs = BTreeMap::new();
    let mut list = Vec::new();
    for s in &want.services {
        match super::storage::volumes(want, s, observed.storage.as_ref()) {
            Some(volumes) => {
                let def = render(want, s, resolved, &roles, &volumes);
                list.push(def.clone());
                defs.insert(s.name.clone(), def);
            }
            None => list.push(render(want, s, resolved, &roles, &[])),
        }
    }
    let account = execution.split(':').nth(4).unwrap_or_default().to_string();
    let log_groups: Vec<String> = want
        .services
        .iter()
        .map(|s| format!("arn:aws:logs:{}:{account}:log-group:{}", want.region, s.log_group))
        .collect();
    let execution_policy = Some(execution_policy(&execution_needs(&list, &log_groups, &want.region, &account)));
    Rendered { task_definitions: Some(defs), execution_policy, task_policy }
}

type Writer<'a> = StatusWriter<'a, AppStack, AppStackStatus>;

/// Reports a failed AWS call as the shared rules say, and hands retries to the backoff.
async fn failed(status: &mut Writer<'_>, ctx: &Context, report: &Report, e: CloudError, wrote: bool) -> Result<Next> {
    let was_ready = conditions::find(status.conditions(), conditions::READY).is_some_and(|c| c.status == "True");
    let failures = ctx.consecutive_failures(status.object());
    report_failure(e, wrote, was_ready, failures, async |o: &Outcome| write_status(status, ctx, report, o).await).await
}

/// What the status reports besides conditions; starts from the last status, so a reconcile that
/// cannot read AWS keeps reporting it.
#[derive(Clone, Debug, Default)]
struct Report {
    status: AppStackStatus,
    /// The network's part of the inventory (a network the stack owns).
    network_resources: Vec<stackwright_api::common::OwnedResource>,
}

impl Report {
    fn new(want: &DesiredStack, last: Option<&AppStackStatus>) -> Self {
        let mut status = last.cloned().unwrap_or_default();
        if want.network.is_none() {
            status.network = network(want, None);
        }
        status.common.estimated_monthly_cost_usd = crate::cost::stack(want);
        Report { status, network_resources: Vec::new() }
    }

    fn saw_network(&mut self, want: &DesiredStack, net: &DesiredNetwork, have: &ObservedNetwork, id: &ObjectIdentity) {
        self.status.network = network(want, Some((net, have)));
        self.network_resources = network_inventory(have, id);
        self.status.common.resources.clone_from(&self.network_resources);
    }

    fn saw(&mut self, want: &DesiredStack, observed: &Observed, removed: &[String], id: &ObjectIdentity) {
        let s = &mut self.status;
        (s.load_balancer, s.url) = load_balancer(want, observed);
        s.task_security_group_id = observed.task_group.as_ref().map(|g| g.id.clone());
        s.file_system_id = observed.storage.as_ref().map(|st| st.file_system.id.clone());
        s.services = service_statuses(want, observed, removed, id);
        s.common.resources = inventory(want, observed);
        s.common.resources.extend(self.network_resources.iter().cloned());
    }
}

async fn write_status(status: &mut Writer<'_>, ctx: &Context, report: &Report, outcome: &Outcome) -> Result<()> {
    let stack = status.object();
    let conditions = crate::status::conditions_for(outcome, stack.meta().generation, status.conditions());
    let next = AppStackStatus {
        common: CommonStatus {
            observed_generation: stack.meta().generation,
            conditions,
            claims: vec![],
            ..report.status.common.clone()
        },
        ..report.status.clone()
    };
    status.write(ctx, next).await?;
    Ok(())
}

/// Handles a deleted AppStack per its deletion policy; returning Ok releases the finalizer.
async fn clean_up(stack: &AppStack, ctx: &Context) -> Result<Action> {
    let id = ctx.identity(stack);
    let want = desired(&stack.spec, &id, ctx.cloud.default_region());
    let report = Report::new(&want, stack.status.as_ref());
    let mut status = StatusWriter::new(stack, stack.status.clone());
    if want.deletion_policy == AppStackDeletionPolicy::Retain {
        tracing::info!(stack = %id.name, "deletionPolicy Retain: leaving the stack's AWS resources");
        return Ok(Action::await_change());
    }
    if annotations::is_true(stack.meta(), annotations::PAUSED) {
        let message = format!(
            "deletion of AppStack {} waits: the object is paused (remove the stackwright.io/paused annotation)",
            id.name
        );
        write_status(&mut status, ctx, &report, &Outcome::Paused { in_sync: false, message: message.clone() }).await?;
        return Err(crate::error::Error::CleanupBlocked(message));
    }
    let aws = clients(ctx, &want.region);
    ctx.settings_read.forget(&id.uid);
    let adopt = annotations::is_true(stack.meta(), annotations::ADOPT);
    let (known, _) = known(stack, &want, &id, true);
    let step = match delete_in_order(&aws, &want, &id, &known, adopt, &ctx.revisions).await {
        Ok(Cleanup::Progress(progress)) => Ok(Some(progress)),
        Ok(Cleanup::Done { kept }) => {
            tracing::info!(stack = %id.name, "deleted the AppStack's AWS resources");
            if let Some(fs) = kept {
                let message = format!(
                    "kept EFS file system {fs} with its access points and the volumes' data (volumeDeletionPolicy: Retain); an AppStack named {} in namespace {} mounts it again",
                    id.name, id.namespace
                );
                tracing::info!(stack = %id.name, file_system = %fs, "kept the stack's EFS file system");
                crate::status::record_event(ctx, stack, "Kept", "Delete", message.clone()).await;
                write_status(&mut status, ctx, &report, &Outcome::progressing(reason::DELETING, message)).await?;
            }
            Ok(None)
        }
        Err(e) => Err(e),
    };
    let failures = ctx.consecutive_failures(stack);
    finish_cleanup(step, failures, async |o: &Outcome| write_status(&mut status, ctx, &report, o).await).await
}

/// How far a stack's deletion is.
enum Cleanup {
    /// Something of the stack is still there.
    Progress(String),
    /// All is gone but what the policies keep: the file system, with `volumeDeletionPolicy: Retain`.
    Done { kept: Option<String> },
}

/// One wave of cleanup. What to delete is `teardown`'s decision, over a full observation
/// (tags included) of everything the stack may own: also the roles and the load balancer a
/// later spec no longer asked for.
async fn delete_in_order(
    aws: &Clients,
    want: &DesiredStack,
    id: &ObjectIdentity,
    known: &Known,
    adopt: bool,
    hashes: &super::observe::RevisionHashes,
) -> Result<Cleanup> {
    let mut all = want.clone();
    all.execution_role = Some(id.physical_name("exec", 64));
    all.task_role = Some(id.physical_name("task", 64));
    // A network the stack owns goes last; the stack's security groups are found in its VPC.
    let owned_network = match &want.network {
        Some(net) => Some(network::observe::observe(&aws.ec2, Some(net), id, Some(&ReadOnce::default())).await?),
        None => None,
    };
    if let Some(vpc) = owned_network.as_ref().and_then(|n| n.vpc.as_ref()) {
        all.vpc_id.clone_from(&vpc.id);
    }
    let observed = observe(aws, &all, known, Some(&ReadOnce::default())).await?;
    let kept = (want.storage.deletion_policy == VolumeDeletionPolicy::Retain)
        .then(|| observed.storage.as_ref().map(|st| st.file_system.id.clone()))
        .flatten();
    let Some((steps, progress)) =
        super::teardown::teardown(&observed, &known.services, id, adopt, want.storage.deletion_policy)
    else {
        let Some((steps, progress)) = owned_network.and_then(|have| network::plan::teardown(&have, id)) else {
            return Ok(Cleanup::Done { kept });
        };
        network::apply::apply(&aws.ec2, None, &steps).await?;
        let ops: Vec<&str> = steps.iter().map(network::plan::NetStep::operation).collect();
        tracing::info!(stack = %id.name, steps = %ops.join(", "), "AppStack network deletion writes sent");
        return Ok(Cleanup::Progress(progress));
    };
    let wave = Wave { want: &all, observed: &observed, task_definitions: None, hashes };
    apply(aws, &wave, &steps).await?;
    tracing::info!(stack = %id.name, steps = %describe(&steps), "AppStack deletion writes sent");
    Ok(Cleanup::Progress(progress))
}

#[cfg(test)]
mod tests {
    use stackwright_api::appstack::ServiceStatus;
    use stackwright_api::common::OwnedResource;

    use super::super::desired::target_group_name;
    use super::super::desired::tests::{accunode, id};
    use super::*;

    fn stack_with(services: &[&str], resources: Vec<OwnedResource>) -> AppStack {
        let mut stack = AppStack::new("accunode", accunode());
        let services = services.iter().map(|n| ServiceStatus { name: (*n).into(), ..Default::default() }).collect();
        let common = CommonStatus { resources, ..Default::default() };
        stack.status = Some(AppStackStatus { services, common, ..Default::default() });
        stack
    }

    fn listed(kind: Owned, id: &str) -> OwnedResource {
        OwnedResource { kind: kind.kind().into(), id: id.into(), state: "Available".into() }
    }

    #[test]
    fn a_resync_looks_for_the_exposed_services_groups_and_those_the_inventory_lists() {
        let want = desired(&accunode(), &id(), "us-east-1");
        let old = target_group_name(&id(), "admin");
        let arn = format!("arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/{old}/50dc6c495c0c9188");
        let stack = stack_with(
            &["api", "worker", "admin"],
            vec![listed(Owned::TargetGroup, &arn), listed(Owned::LogGroup, "/old/admin")],
        );
        let (resync, removed) = known(&stack, &want, &id(), false);
        assert_eq!(resync.services, ["api", "worker", "admin"]);
        assert_eq!(removed, ["admin"]);
        // The worker is not exposed: no lookup of a group that cannot exist.
        assert_eq!(resync.target_groups, [target_group_name(&id(), "api"), old.clone()]);
        assert_eq!(resync.log_groups, ["/old/admin"]);

        let (everything, _) = known(&stack, &want, &id(), true);
        let every_service = ["api", "worker", "admin"].map(|n| target_group_name(&id(), n));
        assert_eq!(everything.target_groups, every_service);
    }

    #[test]
    fn a_target_group_is_named_by_its_arn_or_by_its_name() {
        assert_eq!(target_group_of_arn("arn:aws:elasticloadbalancing:r:1:targetgroup/tg-a/0123"), "tg-a");
        assert_eq!(target_group_of_arn("tg-a"), "tg-a");
    }
}
