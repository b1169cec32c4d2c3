//! Sends one wave of a stack's writes, in order. A create that finds its resource already there
//! (a retry after a crash) is success: the next reconcile observes it. Nothing here decides.

use std::collections::BTreeMap;

use stackwright_cloud::autoscaling::Metric;
use stackwright_cloud::ecs::{LoadBalancerAttachment, NetworkConfiguration, NewService, NewTaskDefinition};
use stackwright_cloud::efs::{NewAccessPoint, PosixUser};
use stackwright_cloud::elbv2::{Action, NewLoadBalancer, NewTargetGroup};
use stackwright_cloud::{CloudError, ErrorCategory};

use super::desired::{CONTENT_HASH_TAG, DesiredService, DesiredStack, ROLE_POLICY, ROLLED_OUT_TAG, VOLUME_PERMISSIONS};
use super::observe::{Clients, RevisionHashes};
use super::plan::{GroupKind, Observed, Owned, RoleKind, Step, resource_label};
use super::policies::trust_policy;

/// Everything a wave needs besides the clients.
#[derive(Debug)]
pub struct Wave<'a> {
    pub want: &'a DesiredStack,
    pub observed: &'a Observed,
    pub task_definitions: Option<&'a BTreeMap<String, NewTaskDefinition>>,
    pub hashes: &'a RevisionHashes,
}

/// A create that found its resource already there (a retry after a crash) is success.
pub(crate) fn created<T>(result: Result<T, CloudError>) -> Result<(), CloudError> {
    match result {
        Ok(_) => Ok(()),
        Err(e) if e.category == ErrorCategory::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

fn missing(what: &str) -> CloudError {
    CloudError {
        category: ErrorCategory::Transient,
        operation: "stackwright:apply",
        code: "NotObserved".into(),
        message: format!("{what} was not observed; looking again"),
    }
}

pub async fn apply(aws: &Clients, wave: &Wave<'_>, steps: &[Step]) -> Result<(), CloudError> {
    for step in steps {
        apply_step(aws, wave, step).await?;
    }
    Ok(())
}

async fn apply_step(aws: &Clients, wave: &Wave<'_>, step: &Step) -> Result<(), CloudError> {
    let want = wave.want;
    let o = wave.observed;
    let service = |name: &str| want.service(name).ok_or_else(|| missing(&format!("service {name}")));
    let lb = || want.load_balancer.as_ref().ok_or_else(|| missing("the load balancer's settings"));
    let lb_arn = || o.load_balancer.as_ref().map(|l| l.arn.clone()).ok_or_else(|| missing("the load balancer"));
    let group_id = |kind: GroupKind| {
        match kind {
            GroupKind::LoadBalancer => o.lb_group.as_ref(),
            GroupKind::Tasks => o.task_group.as_ref(),
        }
        .map(|g| g.id.clone())
        .ok_or_else(|| missing("the security group"))
    };
    let file_system =
        || o.storage.as_ref().map(|st| st.file_system.id.clone()).ok_or_else(|| missing("the EFS file system"));
    let target_group = |s: &DesiredService| {
        s.exposure
            .as_ref()
            .and_then(|e| o.target_groups.get(&e.target_group))
            .map(|t| t.group.arn.clone())
            .ok_or_else(|| missing(&format!("the target group of service {}", s.name)))
    };
    match step {
        Step::CreateCluster => created(aws.ecs.create_cluster(&want.cluster, &want.tags).await),
        Step::CreateNamespace => {
            let Some(ns) = &want.namespace else { return Ok(()) };
            created(aws.cloudmap.create_http_namespace(&ns.name, &ns.request_id, &want.tags).await)
        }
        Step::DeleteNamespace(id) => {
            // ECS leaves the Cloud Map services it made behind; the namespace goes after them.
            for service in aws.cloudmap.services(id).await? {
                aws.cloudmap.delete_service(&service.id).await?;
            }
            aws.cloudmap.delete_namespace(id).await
        }
        Step::CreateFileSystem => created(aws.efs.create_file_system(&want.storage.creation_token, &want.tags).await),
        Step::CreateMountTarget(subnet) => {
            let fs = file_system()?;
            created(aws.efs.create_mount_target(&fs, subnet, &[group_id(GroupKind::Tasks)?]).await)
        }
        Step::CreateAccessPoint { service, volume } => {
            let v = want.storage.volume(service, volume).ok_or_else(|| missing(&format!("volume {volume}")))?;
            let mut tags = want.tags.clone();
            tags.insert("Name".into(), format!("{service}/{volume}"));
            let new = NewAccessPoint {
                client_token: v.client_token.clone(),
                file_system_id: file_system()?,
                root_directory: v.root_directory.clone(),
                user: PosixUser { uid: v.uid, gid: v.gid },
                permissions: VOLUME_PERMISSIONS.into(),
                tags,
            };
            created(aws.efs.create_access_point(&new).await)
        }
        Step::DeleteMountTarget(id) => aws.efs.delete_mount_target(id).await,
        Step::DeleteAccessPoint(id) => aws.efs.delete_access_point(id).await,
        Step::DeleteFileSystem(id) => aws.efs.delete_file_system(id).await,
        Step::CreateRole(kind) => {
            let (name, what) = match kind {
                RoleKind::Execution => (&want.execution_role, "ECS task execution role"),
                RoleKind::Task => (&want.task_role, "ECS task role"),
            };
            let Some(name) = name else { return Ok(()) };
            let description = format!("Stackwright: {what} of AppStack {}", want.cluster);
            created(aws.iam.create_role(name, &trust_policy(), &description, &want.tags).await)
        }
        Step::PutRolePolicy(kind, doc) => match role_name(want, *kind) {
            Some(name) => aws.iam.put_role_policy(name, ROLE_POLICY, doc).await,
            None => Ok(()),
        },
        Step::DeleteRolePolicy(kind) => match role_name(want, *kind) {
            Some(name) => aws.iam.delete_role_policy(name, ROLE_POLICY).await,
            None => Ok(()),
        },
        Step::CreateSecurityGroup(kind) => {
            let (name, what) = match kind {
                GroupKind::LoadBalancer => (lb()?.security_group.as_str(), "load balancer"),
                GroupKind::Tasks => (want.task_security_group.as_str(), "tasks"),
            };
            let description = format!("Stackwright: {what} of AppStack {}", want.cluster);
            created(aws.ec2.create_security_group(&want.vpc_id, name, &description, &want.tags).await)
        }
        Step::AuthorizeIngress(kind, rules) => aws.ec2.authorize_ingress(&group_id(*kind)?, rules).await,
        Step::RevokeIngress(kind, rules) => aws.ec2.revoke_ingress(&group_id(*kind)?, rules).await,
        Step::CreateLogGroup(name) => {
            let s = service(name)?;
            created(aws.logs.create_log_group(&s.log_group, &want.tags).await)?;
            aws.logs.set_retention(&s.log_group, s.log_retention_days).await
        }
        Step::SetRetention(name, days) => aws.logs.set_retention(&service(name)?.log_group, *days).await,
        Step::CreateTargetGroup(name) => {
            let s = service(name)?;
            let Some(e) = &s.exposure else { return Ok(()) };
            let new = NewTargetGroup {
                name: e.target_group.clone(),
                port: e.port,
                vpc_id: want.vpc_id.clone(),
                health_check: e.health_check.clone(),
                tags: want.tags.clone(),
            };
            match aws.elbv2.create_target_group(&new).await {
                Ok(tg) => aws.elbv2.set_target_group_attributes(&tg.arn, &lb()?.target_group_attributes()).await,
                Err(e) if e.category == ErrorCategory::AlreadyExists => Ok(()),
                Err(e) => Err(e),
            }
        }
        Step::ModifyHealthCheck(name) => {
            let s = service(name)?;
            let Some(e) = &s.exposure else { return Ok(()) };
            aws.elbv2.modify_health_check(&target_group(s)?, &e.health_check).await
        }
        Step::SetTargetGroupAttributes(name) => {
            aws.elbv2
                .set_target_group_attributes(&target_group(service(name)?)?, &lb()?.target_group_attributes())
                .await
        }
        Step::CreateLoadBalancer => {
            let l = lb()?;
            let new = NewLoadBalancer {
                name: l.name.clone(),
                scheme: l.scheme.to_string(),
                subnet_ids: l.subnets.clone(),
                security_group_ids: vec![group_id(GroupKind::LoadBalancer)?],
                tags: want.tags.clone(),
            };
            match aws.elbv2.create_load_balancer(&new).await {
                Ok(created) => {
                    aws.elbv2.set_load_balancer_attributes(&created.arn, &l.load_balancer_attributes()).await
                }
                Err(e) if e.category == ErrorCategory::AlreadyExists => Ok(()),
                Err(e) => Err(e),
            }
        }
        Step::DeleteLoadBalancer(arn) => aws.elbv2.delete_load_balancer(arn).await,
        Step::DeleteSecurityGroup(id) => match aws.ec2.delete_security_group(id).await {
            Err(e) if e.is_not_found() => Ok(()),
            other => other,
        },
        Step::SetLoadBalancerAttributes => {
            aws.elbv2.set_load_balancer_attributes(&lb_arn()?, &lb()?.load_balancer_attributes()).await
        }
        Step::SetLoadBalancerSecurityGroups(ids) => aws.elbv2.set_security_groups(&lb_arn()?, ids).await,
        Step::CreateListener(settings) => created(aws.elbv2.create_listener(&lb_arn()?, settings, &want.tags).await),
        Step::ModifyListener(arn, settings) => aws.elbv2.modify_listener(arn, settings).await,
        Step::DeleteRule(arn) => aws.elbv2.delete_rule(arn).await,
        Step::SetRulePriorities(priorities) => aws.elbv2.set_rule_priorities(priorities).await,
        Step::ModifyRule(name, arn) => {
            let s = service(name)?;
            let Some(e) = &s.exposure else { return Ok(()) };
            let action = Action::Forward { target_group_arn: target_group(s)? };
            aws.elbv2.modify_rule(arn, &e.conditions, &action).await
        }
        Step::CreateRule(name) => {
            let s = service(name)?;
            let Some(e) = &s.exposure else { return Ok(()) };
            let port = lb()?.rules_port();
            let listener = o.listeners.iter().find(|l| l.port == port).ok_or_else(|| missing("the listener"))?;
            let action = Action::Forward { target_group_arn: target_group(s)? };
            created(aws.elbv2.create_rule(&listener.arn, e.priority, &e.conditions, &action, &want.tags).await)
        }
        Step::CreateService { service: name, reuse } => {
            let s = service(name)?;
            let task_definition = revision(aws, wave, name, reuse.as_deref()).await?;
            let new = NewService {
                cluster: want.cluster.clone(),
                name: s.name.clone(),
                task_definition,
                desired_count: s.initial_count,
                capacity_provider: s.capacity_provider.to_string(),
                network: network(want, o)?,
                load_balancers: attachment(s, o),
                deployment_configuration: s.deployment.clone(),
                health_check_grace_period_seconds: s.grace_period,
                service_connect: want
                    .service_connect(s, o.namespace.as_ref().map(|n| n.namespace.arn.as_str()))
                    .ok_or_else(|| missing("the Cloud Map namespace"))?,
                tags: with_rolled_out(&want.tags, wave, name),
                client_token: s.client_token.clone(),
            };
            aws.ecs.create_service(&new).await.map(|_| ())
        }
        Step::Roll { service: name, reuse, update } => {
            let task_definition = revision(aws, wave, name, reuse.as_deref()).await?;
            let mut update = (**update).clone();
            update.task_definition = Some(task_definition);
            let rolled = aws.ecs.update_service(&want.cluster, name, &update).await?;
            // After the update: a crash before this tag only costs a re-tag, never a second roll.
            aws.ecs.tag_resource(&rolled.arn, &with_rolled_out(&want.tags, wave, name)).await
        }
        Step::UpdateService(name, update) => aws.ecs.update_service(&want.cluster, name, update).await.map(|_| ()),
        Step::RegisterScalableTarget(name) => {
            let s = service(name)?;
            let Some(scaling) = &s.scaling else { return Ok(()) };
            aws.autoscaling
                .register_scalable_target(&s.resource_id, scaling.min, scaling.max, &want.tags)
                .await
                .map(|_| ())
        }
        Step::PutScalingPolicy(name, metric) => {
            let s = service(name)?;
            let Some((_, Some(policy))) = s.scaling.as_ref().and_then(|sc| sc.policies.get(metric)) else {
                return Ok(());
            };
            let mut policy = policy.clone();
            if *metric == Metric::RequestsPerTarget {
                policy.resource_label = resource_label(s, o);
            }
            aws.autoscaling.put_scaling_policy(&policy).await.map(|_| ())
        }
        Step::DeleteScalingPolicy { name, resource_id } => {
            aws.autoscaling.delete_scaling_policy(name, resource_id).await
        }
        Step::DeregisterScalableTarget(name) => {
            aws.autoscaling.deregister_scalable_target(&format!("service/{}/{name}", want.cluster)).await
        }
        Step::DeleteService(name) => {
            aws.autoscaling.deregister_scalable_target(&format!("service/{}/{name}", want.cluster)).await?;
            aws.ecs.delete_service(&want.cluster, name).await
        }
        Step::DeleteTargetGroup(arn) => aws.elbv2.delete_target_group(arn).await,
        Step::DeleteListener(arn) => aws.elbv2.delete_listener(arn).await,
        Step::DeleteLogGroup(name) => aws.logs.delete_log_group(name).await,
        Step::Tag(kind, handle) => tag(aws, wave, *kind, handle).await,
        Step::DeleteRole(kind) => match role_name(want, *kind) {
            Some(name) => delete_role(aws, name).await,
            None => Ok(()),
        },
        Step::DeregisterTaskDefinitions(family) => {
            for arn in aws.ecs.task_definition_arns(family).await? {
                aws.ecs.deregister_task_definition(&arn).await?;
            }
            Ok(())
        }
        Step::DeleteCluster => aws.ecs.delete_cluster(&want.cluster).await,
        Step::Network(step) => {
            super::network::apply::apply(&aws.ec2, want.network.as_ref(), std::slice::from_ref(step)).await
        }
    }
}

/// A role with its inline policies and whatever managed policies someone attached to it.
async fn delete_role(aws: &Clients, name: &str) -> Result<(), CloudError> {
    for policy in aws.iam.role_policy_names(name).await? {
        aws.iam.delete_role_policy(name, &policy).await?;
    }
    for arn in aws.iam.attached_policy_arns(name).await? {
        aws.iam.detach_role_policy(name, &arn).await?;
    }
    aws.iam.delete_role(name).await
}

fn role_name(want: &DesiredStack, kind: RoleKind) -> Option<&str> {
    match kind {
        RoleKind::Execution => want.execution_role.as_deref(),
        RoleKind::Task => want.task_role.as_deref(),
    }
}

fn network(want: &DesiredStack, o: &Observed) -> Result<NetworkConfiguration, CloudError> {
    Ok(NetworkConfiguration {
        subnet_ids: want.task_subnets.clone(),
        security_group_ids: vec![
            o.task_group.as_ref().map(|g| g.id.clone()).ok_or_else(|| missing("the task security group"))?,
        ],
        assign_public_ip: want.assign_public_ip,
    })
}

fn attachment(s: &DesiredService, o: &Observed) -> Vec<LoadBalancerAttachment> {
    let Some(e) = &s.exposure else { return vec![] };
    o.target_groups
        .get(&e.target_group)
        .map(|t| LoadBalancerAttachment {
            target_group_arn: t.group.arn.clone(),
            container_name: s.name.clone(),
            container_port: e.port,
        })
        .into_iter()
        .collect()
}

fn with_rolled_out(tags: &BTreeMap<String, String>, wave: &Wave<'_>, service: &str) -> BTreeMap<String, String> {
    let mut tags = tags.clone();
    if let Some(hash) = wave.task_definitions.and_then(|d| d.get(service)).and_then(|d| d.tags.get(CONTENT_HASH_TAG)) {
        tags.insert(ROLLED_OUT_TAG.into(), hash.clone());
    }
    tags
}

/// The revision to run: `reuse` (it carries the wanted content), or a new one registered now.
async fn revision(aws: &Clients, wave: &Wave<'_>, service: &str, reuse: Option<&str>) -> Result<String, CloudError> {
    if let Some(arn) = reuse {
        return Ok(arn.to_string());
    }
    let def = wave
        .task_definitions
        .and_then(|d| d.get(service))
        .ok_or_else(|| missing(&format!("the task definition of service {service}")))?;
    let registered = aws.ecs.register_task_definition(def).await?;
    wave.hashes.remember(&registered.arn, def.tags.get(CONTENT_HASH_TAG).cloned());
    tracing::info!(service, revision = %registered.arn, "registered a task definition revision");
    Ok(registered.arn)
}

async fn tag(aws: &Clients, wave: &Wave<'_>, kind: Owned, handle: &str) -> Result<(), CloudError> {
    let want = wave.want;
    let tags = &want.tags;
    match kind {
        Owned::Cluster => match &wave.observed.cluster {
            Some(c) => aws.ecs.tag_resource(&c.arn, tags).await,
            None => Ok(()),
        },
        Owned::Role => aws.iam.tag_role(handle, tags).await,
        Owned::SecurityGroup => aws.ec2.create_tags(&[handle.to_string()], tags).await,
        Owned::LogGroup => aws.logs.tag_log_group(handle, tags).await,
        Owned::LoadBalancer | Owned::TargetGroup | Owned::Listener | Owned::ListenerRule => {
            aws.elbv2.add_tags(&[handle.to_string()], tags).await
        }
        Owned::Namespace => aws.cloudmap.tag_resource(handle, tags).await,
        Owned::FileSystem | Owned::AccessPoint => aws.efs.tag_resource(handle, tags).await,
        Owned::Service => match wave.observed.services.get(handle) {
            Some(s) => aws.ecs.tag_resource(&s.arn, &with_rolled_out(tags, wave, handle)).await,
            None => Ok(()),
        },
        // The network is found by its tags: what is not tagged is not the stack's.
        Owned::TaskDefinition
        | Owned::ScalableTarget
        | Owned::ScalingPolicy
        | Owned::Vpc
        | Owned::Subnet
        | Owned::InternetGateway
        | Owned::NatGateway
        | Owned::ElasticIp
        | Owned::RouteTable
        | Owned::VpcEndpoint
        | Owned::MountTarget => Ok(()),
    }
}
