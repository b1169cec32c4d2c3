//! The Database driver, with no decisions of its own: resolve the network and who may connect
//! from the AppStacks, observe AWS, plan, decide whether to write (assess), apply one wave,
//! publish the connection Secret, write status once it changed; and cleanup per deletion policy.

use std::collections::BTreeMap;

use kube::Resource;
use kube::core::error_boundary::DeserializeGuard;
use kube::runtime::controller::Action;
use kube::runtime::reflector::Store;
use stackwright_api::annotations;
use stackwright_api::common::{CommonStatus, OwnedResource};
use stackwright_api::conditions::{self, Outcome, reason};
use stackwright_api::database::{Database, DatabaseDeletionPolicy, DatabaseStatus};
use stackwright_api::naming::ObjectIdentity;
use stackwright_api::network::Endpoint;
use stackwright_cloud::CloudError;
use stackwright_cloud::rds::DbInstance;

use super::apply::apply;
use super::assess::{RETIRING, Verdict, after_writes, connection_data, look_again_after, retiring, verdict};
use super::desired::{DesiredDatabase, desired};
use super::observe::{Clients, made_key, observe, observe_shared};
use super::plan::{Observed, Plan, Resource as Owned, Step, pending, plan};
use crate::access::{Resolved, Target, resolve, while_unplaced};
use crate::context::Context;
use crate::driver::{Kind, Next, POLL, finish_cleanup, report_failure};
use crate::error::{Error, Result};
use crate::placement::{Bound, Placement, before_placement};
use crate::status::{self, StatusWriter};

impl Kind for Database {
    type Status = DatabaseStatus;

    fn status(&self) -> Option<&DatabaseStatus> {
        self.status.as_ref()
    }

    fn store(ctx: &Context) -> Option<&Store<DeserializeGuard<Self>>> {
        ctx.stores.databases.get()
    }

    async fn apply(&self, ctx: &Context) -> Result<Next> {
        converge(self, ctx).await
    }

    async fn cleanup(&self, ctx: &Context) -> Result<Action> {
        clean_up(self, ctx).await
    }
}

fn clients(ctx: &Context, region: &str) -> Clients {
    Clients { rds: ctx.cloud.rds(region), ec2: ctx.cloud.ec2(region) }
}

async fn converge(db: &Database, ctx: &Context) -> Result<Next> {
    let id = ctx.identity(db);
    let want = desired(&db.spec, &id, ctx.cloud.default_region());
    let aws = clients(ctx, &want.region);
    let mut report = Report::new(&want, db.status.as_ref());
    let mut status = StatusWriter::new(db, db.status.clone());
    if status.is_first_sight() {
        // kstatus: Ready is False from the very first reconcile, before any AWS call.
        let first = Outcome::progressing(reason::PENDING, format!("looking up RDS instance {}", want.identifier));
        write_status(&mut status, ctx, &report, &first).await?;
    }

    let Resolved { placement, admitted } = resolve(ctx, &id, &db.spec.network, Bound::Database).await?;
    if let Some(outcome) = before_placement(&placement) {
        if !annotations::is_true(db.meta(), annotations::PAUSED)
            && let Err(e) = while_unplaced(&aws.ec2, &report.resources, want.port, &admitted, &id).await
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
        observe(&aws, &want, &vpc_id, &ctx.made).await
    };
    let observed = match observed {
        Ok(observed) => observed,
        Err(e) => return failed(&mut status, ctx, &report, e, false).await,
    };
    report.saw(&observed);
    let adopt = annotations::is_true(db.meta(), annotations::ADOPT);
    let plan = plan(&want, &vpc_id, &subnet_ids, &admitted, &observed, &id, adopt);
    let paused = annotations::is_true(db.meta(), annotations::PAUSED);
    let steps = match verdict(&plan, paused, &want.identifier) {
        Verdict::Report(outcome) => {
            if matches!(plan, Plan::InSync { .. })
                && let Some(instance) = &observed.instance
            {
                publish_connection(ctx, db, &want, instance, &mut report).await?;
                if !paused && let Err(e) = retire_parameter_groups(&aws, &id, false, &mut report).await {
                    return failed(&mut status, ctx, &report, e, true).await;
                }
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
    match apply(&aws, &want, &target, &steps).await {
        Ok(()) => {
            tracing::info!(database = %want.identifier, steps = %super::assess::describe(&steps), "RDS writes sent");
            for step in &steps {
                match step {
                    Step::CreateSubnetGroup => ctx.made.remember(made_key("subnetgroup", &want, &want.subnet_group)),
                    Step::CreateParameterGroup => {
                        ctx.made.remember(made_key("parametergroup", &want, &want.parameter_group))
                    }
                    _ => {}
                }
            }
            let outcome = after_writes(&steps, &want.identifier);
            write_status(&mut status, ctx, &report, &outcome).await?;
            Ok(Next::Poll(look_again_after(&steps)))
        }
        Err(e) => failed(&mut status, ctx, &report, e, true).await,
    }
}

/// Applies the connection Secret when what it holds is new to the status, or the object was
/// changed or woken (not on a plain resync: a resync that finds the status unchanged has nothing
/// new to write).
async fn publish_connection(
    ctx: &Context,
    db: &Database,
    want: &DesiredDatabase,
    instance: &DbInstance,
    report: &mut Report,
) -> Result<()> {
    let Some(data) = connection_data(want, instance) else { return Ok(()) };
    let recorded = db.status.as_ref().is_some_and(|s| {
        s.connection_secret.as_deref() == Some(want.connection_secret.as_str())
            && s.endpoint == report.endpoint
            && s.master_user_secret_arn == report.master_user_secret_arn
    });
    crate::connection::publish_unless_recorded(ctx, db, &want.connection_secret, &data, recorded).await?;
    report.connection_secret = Some(want.connection_secret.clone());
    Ok(())
}

/// Deletes the parameter groups an upgrade left behind (listed as `Retiring` in the inventory),
/// once the instance runs with the current one; each leaves the inventory when it is gone. A
/// group RDS still holds for the instance stays listed for the next time.
async fn retire_parameter_groups(
    aws: &Clients,
    id: &ObjectIdentity,
    adopt: bool,
    report: &mut Report,
) -> Result<(), CloudError> {
    let names: Vec<String> = report.resources.iter().filter(|r| r.state == RETIRING).map(|r| r.id.clone()).collect();
    for name in names {
        let gone = match aws.rds.parameter_group(&name).await? {
            None => true,
            Some(g) if !(adopt || g.tags.as_ref().is_some_and(|t| id.owns(t))) => true,
            Some(g) => match aws.rds.delete_parameter_group(&g.name).await {
                Ok(()) => {
                    tracing::info!(group = %g.name, "deleted the parameter group of an earlier major version");
                    true
                }
                Err(e) if e.is_not_found() => true,
                Err(e) if e.category == stackwright_cloud::ErrorCategory::Busy => false,
                Err(e) => return Err(e),
            },
        };
        if gone {
            report.resources.retain(|r| !(r.state == RETIRING && r.id == name));
        }
    }
    Ok(())
}

/// Reports a failed AWS call as the shared rules say, and hands retries to the backoff.
async fn failed(status: &mut Writer<'_>, ctx: &Context, report: &Report, e: CloudError, wrote: bool) -> Result<Next> {
    let was_ready = conditions::find(status.conditions(), conditions::READY).is_some_and(|c| c.status == "True");
    let failures = ctx.consecutive_failures(status.object());
    report_failure(e, wrote, was_ready, failures, async |o: &Outcome| write_status(status, ctx, report, o).await).await
}

/// What the status reports besides conditions.
#[derive(Clone, Debug, Default)]
struct Report {
    want: Option<DesiredDatabase>,
    endpoint: Option<Endpoint>,
    instance_status: Option<String>,
    engine_version: Option<String>,
    master_user_secret_arn: Option<String>,
    connection_secret: Option<String>,
    final_snapshot_id: Option<String>,
    pending: BTreeMap<String, String>,
    resources: Vec<OwnedResource>,
}

impl Report {
    /// Starts from what the status holds, so a reconcile that cannot read AWS keeps reporting it.
    fn new(want: &DesiredDatabase, last: Option<&DatabaseStatus>) -> Self {
        let last = last.cloned().unwrap_or_default();
        Report {
            want: Some(want.clone()),
            endpoint: last.endpoint,
            instance_status: last.instance_status,
            engine_version: last.engine_version,
            master_user_secret_arn: last.master_user_secret_arn,
            connection_secret: last.connection_secret,
            final_snapshot_id: last.final_snapshot_id,
            pending: last.pending_modifications,
            resources: last.common.resources,
        }
    }

    fn saw(&mut self, observed: &Observed) {
        let i = observed.instance.as_ref();
        self.endpoint =
            i.and_then(|i| i.endpoint.as_ref()).map(|e| Endpoint { address: e.address.clone(), port: e.port });
        self.instance_status = i.map(|i| i.status.clone());
        self.engine_version = i.map(|i| i.engine_version.clone());
        self.master_user_secret_arn = i.and_then(|i| i.master_user_secret_arn.clone());
        self.pending = i.map(pending).unwrap_or_default();
        let Some(want) = &self.want else { return };
        let entry = |kind: Owned, id: String, state: Option<&str>| OwnedResource {
            kind: kind.kind().into(),
            id,
            state: state.unwrap_or("Missing").into(),
        };
        let available = |present: bool| present.then_some("Available");
        // Groups not read this time (the instance is busy) keep what was last seen of them.
        let last = |kind: Owned, name: &str, present: bool| {
            let kept = self
                .resources
                .iter()
                .find(|r| observed.groups_skipped && r.kind == kind.kind() && r.id == name)
                .cloned();
            kept.unwrap_or_else(|| entry(kind, name.to_string(), available(present)))
        };
        let retiring = retiring(&self.resources, &want.parameter_group);
        self.resources = vec![
            entry(
                Owned::SecurityGroup,
                observed.security_group.as_ref().map_or(want.security_group.clone(), |g| g.id.clone()),
                available(observed.security_group.is_some()),
            ),
            last(Owned::SubnetGroup, &want.subnet_group, observed.subnet_group.is_some()),
            last(Owned::ParameterGroup, &want.parameter_group, observed.parameter_group.is_some()),
            entry(Owned::Instance, want.identifier.clone(), i.map(|i| i.status.as_str())),
        ];
        self.resources.extend(retiring);
    }
}

type Writer<'a> = StatusWriter<'a, Database, DatabaseStatus>;

async fn write_status(status: &mut Writer<'_>, ctx: &Context, report: &Report, outcome: &Outcome) -> Result<()> {
    let db = status.object();
    let conditions = status::conditions_for(outcome, db.meta().generation, status.conditions());
    let cost = report.want.as_ref().and_then(|w| {
        let i = &w.instance;
        crate::cost::database(&w.region, &i.class, i.allocated_storage_gib, i.storage_type, i.multi_az)
    });
    let next = DatabaseStatus {
        endpoint: report.endpoint.clone(),
        instance_status: report.instance_status.clone(),
        engine_version: report.engine_version.clone(),
        master_user_secret_arn: report.master_user_secret_arn.clone(),
        connection_secret: report.connection_secret.clone(),
        final_snapshot_id: report.final_snapshot_id.clone(),
        pending_modifications: report.pending.clone(),
        common: CommonStatus {
            observed_generation: db.meta().generation,
            conditions,
            resources: report.resources.clone(),
            estimated_monthly_cost_usd: cost,
            claims: vec![],
        },
    };
    status.write(ctx, next).await?;
    Ok(())
}

/// Handles a deleted Database per its deletion policy; returning Ok releases the finalizer.
/// The instance goes first (after its final snapshot is on record), then the groups it used.
async fn clean_up(db: &Database, ctx: &Context) -> Result<Action> {
    let id = ctx.identity(db);
    let want = desired(&db.spec, &id, ctx.cloud.default_region());
    let mut report = Report::new(&want, db.status.as_ref());
    let mut status = StatusWriter::new(db, db.status.clone());
    if want.deletion_policy == DatabaseDeletionPolicy::Retain {
        tracing::info!(database = %want.identifier, "deletionPolicy Retain: leaving the RDS instance and its groups");
        return Ok(Action::await_change());
    }
    if db.spec.deletion_protection {
        let message = format!(
            "deletion of RDS instance {} is blocked: spec.deletionProtection is true. To delete the database, set spec.deletionProtection to false (kubectl patch database {} --type merge -p '{{\"spec\":{{\"deletionProtection\":false}}}}'); to keep it and let this object go, set spec.deletionPolicy to Retain instead",
            want.identifier, id.name
        );
        write_status(&mut status, ctx, &report, &Outcome::stalled(reason::DELETION_PROTECTED, message.clone())).await?;
        return Err(Error::CleanupBlocked(message));
    }
    if annotations::is_true(db.meta(), annotations::PAUSED) {
        let message = format!(
            "deletion of RDS instance {} waits: the object is paused (remove the stackwright.io/paused annotation)",
            want.identifier
        );
        write_status(&mut status, ctx, &report, &Outcome::Paused { in_sync: false, message: message.clone() }).await?;
        return Err(Error::CleanupBlocked(message));
    }
    let aws = clients(ctx, &want.region);
    let adopt = annotations::is_true(db.meta(), annotations::ADOPT);
    let step = delete_in_order(ctx, db, &aws, &want, &id, adopt, &mut status, &mut report).await;
    if matches!(step, Ok(None)) {
        tracing::info!(database = %want.identifier, policy = ?want.deletion_policy, "deleted the Database's AWS resources");
    }
    let failures = ctx.consecutive_failures(db);
    finish_cleanup(step, failures, async |o: &Outcome| write_status(&mut status, ctx, &report, o).await).await
}

/// One step of cleanup: `Ok(Some(progress))` while AWS works, `Ok(None)` once all is gone.
#[allow(clippy::too_many_arguments)]
async fn delete_in_order(
    ctx: &Context,
    db: &Database,
    aws: &Clients,
    want: &DesiredDatabase,
    id: &ObjectIdentity,
    adopt: bool,
    status: &mut Writer<'_>,
    report: &mut Report,
) -> Result<Option<String>> {
    let owns = |tags: &BTreeMap<String, String>| adopt || id.owns(tags);
    if let Some(instance) = aws.rds.instance(&want.identifier).await?.filter(|i| owns(&i.tags)) {
        report.instance_status = Some(instance.status.clone());
        if instance.status == "deleting" {
            return Ok(Some(format!("RDS instance {} is deleting", want.identifier)));
        }
        if instance.deletion_protection {
            // The spec no longer asks for protection (checked before): lift it in AWS first.
            let lift = stackwright_cloud::rds::DbModification {
                deletion_protection: Some(false),
                apply_immediately: true,
                ..Default::default()
            };
            aws.rds.modify_instance(&want.identifier, &lift).await?;
            return Ok(Some(format!("lifting deletion protection of RDS instance {}", want.identifier)));
        }
        let snapshot = match want.deletion_policy {
            DatabaseDeletionPolicy::Snapshot => {
                record_final_snapshot(ctx, db, want, status, report).await?;
                Some(want.final_snapshot.as_str())
            }
            _ => None,
        };
        aws.rds.delete_instance(&want.identifier, snapshot).await?;
        tracing::info!(database = %want.identifier, final_snapshot = ?snapshot, "deleting RDS instance");
        return Ok(Some(match snapshot {
            Some(s) => format!("deleting RDS instance {} after its final snapshot {s}", want.identifier),
            None => {
                format!("deleting RDS instance {} without a final snapshot (deletionPolicy Delete)", want.identifier)
            }
        }));
    }
    retire_parameter_groups(aws, id, adopt, report).await?;
    if let Some(g) = aws.rds.parameter_group(&want.parameter_group).await?
        && g.tags.as_ref().is_some_and(&owns)
    {
        aws.rds.delete_parameter_group(&g.name).await?;
    }
    if let Some(g) = aws.rds.subnet_group(&want.subnet_group).await?
        && g.tags.as_ref().is_some_and(&owns)
    {
        aws.rds.delete_subnet_group(&g.name).await?;
    }
    crate::access::delete_security_group(&aws.ec2, &want.security_group, id).await?;
    Ok(None)
}

/// Puts the final snapshot's name in status and an Event before the delete is sent, so that
/// neither a crash nor the object's disappearance loses track of where the data went.
async fn record_final_snapshot(
    ctx: &Context,
    db: &Database,
    want: &DesiredDatabase,
    status: &mut Writer<'_>,
    report: &mut Report,
) -> Result<()> {
    if report.final_snapshot_id.as_deref() == Some(want.final_snapshot.as_str()) {
        return Ok(());
    }
    report.final_snapshot_id = Some(want.final_snapshot.clone());
    let message = format!(
        "taking final snapshot {} of RDS instance {}, then deleting the instance",
        want.final_snapshot, want.identifier
    );
    // Must be confirmed before the delete: if it is not, nothing is deleted.
    write_status(status, ctx, report, &Outcome::progressing(reason::DELETING, message.clone())).await?;
    status::record_event(ctx, db, "FinalSnapshot", "Delete", message).await;
    Ok(())
}
