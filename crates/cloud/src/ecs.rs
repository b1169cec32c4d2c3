//! ECS: the cluster, task definitions and services of an AppStack.
//!
//! Task definitions are immutable revisions: a revision's content never changes after
//! RegisterTaskDefinition, so what a revision holds may be remembered by its ARN.

use std::collections::BTreeMap;

use aws_sdk_ecs::Client;
use aws_sdk_ecs::types as t;

use crate::error::{CloudError, ErrorCategory, OptionalExt};
use crate::paging::all_pages;

/// The most services one DescribeServices call takes.
const SERVICES_PER_CALL: usize = 10;
/// How many of a service's event messages [`Service::events`] keeps: enough to still hold a
/// circuit breaker's rollback after the rollback deployment has started and completed.
const EVENTS_KEPT: usize = 20;

/// An ECS cluster.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cluster {
    pub arn: String,
    pub name: String,
    /// `ACTIVE`, `PROVISIONING`, `DEPROVISIONING`, `FAILED` or `INACTIVE` (deleted).
    pub status: String,
    pub tags: BTreeMap<String, String>,
}

/// The container health check of a task definition.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ContainerHealthCheck {
    pub command: Vec<String>,
    pub interval_seconds: i32,
    pub timeout_seconds: i32,
    pub retries: i32,
    pub start_period_seconds: i32,
}

/// Where a container's logs go (the `awslogs` driver).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct AwsLogs {
    pub group: String,
    pub region: String,
    pub stream_prefix: String,
}

/// The one container of a Stackwright task definition.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Container {
    pub name: String,
    pub image: String,
    /// The container's `command` (empty: the image's CMD).
    pub command: Vec<String>,
    /// The TCP port mapping (containerPort = hostPort, protocol tcp, with `port_name` as its name).
    pub port: Option<i32>,
    pub port_name: Option<String>,
    /// Plain environment, in this order.
    pub environment: Vec<(String, String)>,
    /// `secrets`: (variable name, valueFrom ARN or SSM parameter name), in this order.
    pub secrets: Vec<(String, String)>,
    pub health_check: Option<ContainerHealthCheck>,
    pub logs: AwsLogs,
    /// `essential` is always true.
    pub essential: bool,
    /// The task's volumes mounted in the container, in this order.
    pub mounts: Vec<MountPoint>,
}

/// A volume of the task mounted in the container.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct MountPoint {
    /// The name of the task definition's volume.
    pub volume: String,
    pub container_path: String,
    pub read_only: bool,
}

/// A task volume on EFS through an access point (transit encryption on, as ECS requires with an
/// access point; the access point decides the root directory).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct EfsVolume {
    pub name: String,
    pub file_system_id: String,
    pub access_point_id: String,
}

/// A RegisterTaskDefinition request: awsvpc network mode, Fargate compatibility.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NewTaskDefinition {
    pub family: String,
    /// Task CPU units and memory MiB (sent as strings, as ECS wants).
    pub cpu: i32,
    pub memory: i32,
    /// `X86_64` or `ARM64` (runtimePlatform.cpuArchitecture, operatingSystemFamily LINUX).
    pub cpu_architecture: String,
    pub execution_role_arn: Option<String>,
    pub task_role_arn: Option<String>,
    pub container: Container,
    pub volumes: Vec<EfsVolume>,
    pub tags: BTreeMap<String, String>,
}

/// A task definition revision as ECS reports it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TaskDefinition {
    pub arn: String,
    pub family: String,
    pub revision: i32,
    /// `ACTIVE` or `INACTIVE` (deregistered).
    pub status: String,
    pub tags: BTreeMap<String, String>,
}

/// How ECS replaces tasks in a rollout.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeploymentConfiguration {
    pub minimum_healthy_percent: i32,
    pub maximum_percent: i32,
    /// deploymentCircuitBreaker.enable
    pub circuit_breaker: bool,
    /// deploymentCircuitBreaker.rollback
    pub rollback: bool,
}

/// awsvpcConfiguration of a service.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NetworkConfiguration {
    pub subnet_ids: Vec<String>,
    pub security_group_ids: Vec<String>,
    pub assign_public_ip: bool,
}

/// A service's attachment to a load balancer target group.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LoadBalancerAttachment {
    pub target_group_arn: String,
    pub container_name: String,
    pub container_port: i32,
}

/// ECS Service Connect of a service: it joins the Cloud Map namespace `namespace` (an ARN) and
/// serves `services` there (none: a client only, which reaches the others by their aliases).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServiceConnect {
    /// false: Service Connect off (sent to turn it off; what a service without it reads as).
    pub enabled: bool,
    pub namespace: Option<String>,
    pub services: Vec<ConnectService>,
}

/// One port a service offers over Service Connect: the port mapping `port_name` is discovered
/// under that name and reached by clients as `dns_name:port`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConnectService {
    pub port_name: String,
    pub dns_name: String,
    pub port: i32,
}

/// One deployment of a service.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Deployment {
    pub id: String,
    /// `PRIMARY`, `ACTIVE` or `INACTIVE`.
    pub status: String,
    pub task_definition: String,
    /// `IN_PROGRESS`, `COMPLETED` or `FAILED`.
    pub rollout_state: Option<String>,
    pub rollout_state_reason: Option<String>,
    pub desired_count: i32,
    pub running_count: i32,
    pub pending_count: i32,
    pub failed_tasks: i32,
}

/// An ECS service as DescribeServices reports it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Service {
    pub arn: String,
    pub name: String,
    /// `ACTIVE`, `DRAINING` or `INACTIVE` (deleted).
    pub status: String,
    pub desired_count: i32,
    pub running_count: i32,
    pub pending_count: i32,
    /// The task definition of the PRIMARY deployment (an ARN).
    pub task_definition: String,
    /// The capacity provider of the service's strategy (`FARGATE`, `FARGATE_SPOT`), when it has one.
    pub capacity_provider: Option<String>,
    pub launch_type: Option<String>,
    pub deployment_configuration: DeploymentConfiguration,
    pub health_check_grace_period_seconds: Option<i32>,
    pub network: NetworkConfiguration,
    pub load_balancers: Vec<LoadBalancerAttachment>,
    /// The PRIMARY deployment's Service Connect configuration (disabled when it has none).
    pub service_connect: ServiceConnect,
    /// PRIMARY first.
    pub deployments: Vec<Deployment>,
    /// The newest twenty event messages, newest first.
    pub events: Vec<String>,
    pub tags: BTreeMap<String, String>,
}

impl Service {
    /// The PRIMARY deployment.
    pub fn primary(&self) -> Option<&Deployment> {
        self.deployments.iter().find(|d| d.status == "PRIMARY")
    }
}

/// A CreateService request (Fargate via a capacity provider strategy of one provider, awsvpc).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NewService {
    pub cluster: String,
    pub name: String,
    pub task_definition: String,
    pub desired_count: i32,
    /// `FARGATE` or `FARGATE_SPOT` (capacityProviderStrategy [{provider, weight 1}]).
    pub capacity_provider: String,
    pub network: NetworkConfiguration,
    pub load_balancers: Vec<LoadBalancerAttachment>,
    pub deployment_configuration: DeploymentConfiguration,
    /// Only with load balancers (ECS refuses it otherwise).
    pub health_check_grace_period_seconds: Option<i32>,
    /// Sent when enabled.
    pub service_connect: ServiceConnect,
    pub tags: BTreeMap<String, String>,
    /// ECS `clientToken` (up to 36 ASCII characters): the same token for the same name is the
    /// same service.
    pub client_token: String,
}

/// An UpdateService request: only the fields set are sent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServiceUpdate {
    pub task_definition: Option<String>,
    pub desired_count: Option<i32>,
    pub capacity_provider: Option<String>,
    pub network: Option<NetworkConfiguration>,
    pub load_balancers: Option<Vec<LoadBalancerAttachment>>,
    pub deployment_configuration: Option<DeploymentConfiguration>,
    pub health_check_grace_period_seconds: Option<i32>,
    pub service_connect: Option<ServiceConnect>,
}

impl ServiceUpdate {
    pub fn is_empty(&self) -> bool {
        *self == ServiceUpdate::default()
    }
}

/// The ECS client for one region.
#[derive(Clone, Debug)]
pub struct Ecs {
    client: Client,
}

macro_rules! call {
    ($op:literal, $fut:expr) => {
        $fut.await.map_err(|e| CloudError::from_sdk(concat!("ecs:", $op), e))
    };
}

/// A request the SDK refused to build (a required member missing): a value the caller must fix.
/// A `failures` entry of a Describe call other than MISSING (the resource is there, ECS could not
/// say more about it now).
fn failure(operation: &'static str, f: &t::Failure) -> CloudError {
    CloudError {
        category: ErrorCategory::Transient,
        operation,
        code: f.reason.clone().unwrap_or_else(|| "Failure".into()),
        message: format!("{}: {}", f.arn().unwrap_or_default(), f.detail().unwrap_or_default()),
    }
}

fn is_missing(f: &t::Failure) -> bool {
    f.reason.as_deref() == Some("MISSING")
}

/// DescribeTaskDefinition's answer for a revision that does not exist: a `ClientException`
/// ("Unable to describe task definition."), not a NotFound code.
fn is_unknown_task_definition(e: &CloudError) -> bool {
    e.code == "ClientException" && e.message.contains("Unable to describe task definition")
}

fn tags_of(list: Option<Vec<t::Tag>>) -> BTreeMap<String, String> {
    list.unwrap_or_default().into_iter().filter_map(|t| Some((t.key?, t.value.unwrap_or_default()))).collect()
}

fn tag_list(tags: &BTreeMap<String, String>) -> Vec<t::Tag> {
    tags.iter().map(|(k, v)| t::Tag::builder().key(k).value(v).build()).collect()
}

/// The family of a task definition ARN (`arn:...:task-definition/FAMILY:REVISION`).
fn family_of(arn: &str) -> &str {
    let name = arn.rsplit_once('/').map_or(arn, |(_, name)| name);
    name.rsplit_once(':').map_or(name, |(family, _)| family)
}

/// The revision of a task definition ARN (0 when it has none).
fn revision_of(arn: &str) -> i32 {
    arn.rsplit_once(':').and_then(|(_, rev)| rev.parse().ok()).unwrap_or(0)
}

fn cluster_of(c: t::Cluster) -> Cluster {
    Cluster {
        arn: c.cluster_arn.unwrap_or_default(),
        name: c.cluster_name.unwrap_or_default(),
        status: c.status.unwrap_or_default(),
        tags: tags_of(c.tags),
    }
}

fn strategy_item(operation: &'static str, provider: &str) -> Result<t::CapacityProviderStrategyItem, CloudError> {
    t::CapacityProviderStrategyItem::builder()
        .capacity_provider(provider)
        .weight(1)
        .build()
        .map_err(|e| CloudError::unbuildable(operation, e))
}

fn network_configuration(
    operation: &'static str,
    n: &NetworkConfiguration,
) -> Result<t::NetworkConfiguration, CloudError> {
    let vpc = t::AwsVpcConfiguration::builder()
        .set_subnets(Some(n.subnet_ids.clone()))
        .set_security_groups(Some(n.security_group_ids.clone()))
        .assign_public_ip(if n.assign_public_ip { t::AssignPublicIp::Enabled } else { t::AssignPublicIp::Disabled })
        .build()
        .map_err(|e| CloudError::unbuildable(operation, e))?;
    Ok(t::NetworkConfiguration::builder().awsvpc_configuration(vpc).build())
}

fn load_balancers(list: &[LoadBalancerAttachment]) -> Vec<t::LoadBalancer> {
    list.iter()
        .map(|l| {
            t::LoadBalancer::builder()
                .target_group_arn(&l.target_group_arn)
                .container_name(&l.container_name)
                .container_port(l.container_port)
                .build()
        })
        .collect()
}

fn deployment_configuration(d: &DeploymentConfiguration) -> t::DeploymentConfiguration {
    t::DeploymentConfiguration::builder()
        .minimum_healthy_percent(d.minimum_healthy_percent)
        .maximum_percent(d.maximum_percent)
        .deployment_circuit_breaker(
            t::DeploymentCircuitBreaker::builder().enable(d.circuit_breaker).rollback(d.rollback).build(),
        )
        .build()
}

fn service_connect_configuration(
    operation: &'static str,
    c: &ServiceConnect,
) -> Result<t::ServiceConnectConfiguration, CloudError> {
    let services = c
        .services
        .iter()
        .map(|s| {
            let alias = t::ServiceConnectClientAlias::builder()
                .port(s.port)
                .dns_name(&s.dns_name)
                .build()
                .map_err(|e| CloudError::unbuildable(operation, e))?;
            t::ServiceConnectService::builder()
                .port_name(&s.port_name)
                .discovery_name(&s.port_name)
                .client_aliases(alias)
                .build()
                .map_err(|e| CloudError::unbuildable(operation, e))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(t::ServiceConnectConfiguration::builder()
        .enabled(c.enabled)
        .set_namespace(c.namespace.clone())
        .set_services((!services.is_empty()).then_some(services))
        .build())
}

fn service_connect_of(c: Option<&t::ServiceConnectConfiguration>) -> ServiceConnect {
    let Some(c) = c.filter(|c| c.enabled) else { return ServiceConnect::default() };
    ServiceConnect {
        enabled: true,
        namespace: c.namespace.clone(),
        services: c
            .services()
            .iter()
            .map(|s| {
                let alias = s.client_aliases().first();
                ConnectService {
                    port_name: s.port_name.clone(),
                    dns_name: alias.and_then(|a| a.dns_name.clone()).unwrap_or_default(),
                    port: alias.map_or(0, |a| a.port),
                }
            })
            .collect(),
    }
}

fn container_definition(c: &Container) -> Result<t::ContainerDefinition, CloudError> {
    const OP: &str = "ecs:RegisterTaskDefinition";
    let port_mappings = c.port.map(|port| {
        vec![
            t::PortMapping::builder()
                .container_port(port)
                .host_port(port)
                .protocol(t::TransportProtocol::Tcp)
                .set_name(c.port_name.clone())
                .build(),
        ]
    });
    let environment: Vec<_> =
        c.environment.iter().map(|(k, v)| t::KeyValuePair::builder().name(k).value(v).build()).collect();
    let secrets = c
        .secrets
        .iter()
        .map(|(name, from)| t::Secret::builder().name(name).value_from(from).build())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| CloudError::unbuildable(OP, e))?;
    let health_check = c
        .health_check
        .as_ref()
        .map(|h| {
            t::HealthCheck::builder()
                .set_command(Some(h.command.clone()))
                .interval(h.interval_seconds)
                .timeout(h.timeout_seconds)
                .retries(h.retries)
                .start_period(h.start_period_seconds)
                .build()
        })
        .transpose()
        .map_err(|e| CloudError::unbuildable(OP, e))?;
    let logs = t::LogConfiguration::builder()
        .log_driver(t::LogDriver::Awslogs)
        .options("awslogs-group", &c.logs.group)
        .options("awslogs-region", &c.logs.region)
        .options("awslogs-stream-prefix", &c.logs.stream_prefix)
        .build()
        .map_err(|e| CloudError::unbuildable(OP, e))?;
    Ok(t::ContainerDefinition::builder()
        .name(&c.name)
        .image(&c.image)
        .set_command((!c.command.is_empty()).then(|| c.command.clone()))
        .set_port_mappings(port_mappings)
        .set_environment((!environment.is_empty()).then_some(environment))
        .set_secrets((!secrets.is_empty()).then_some(secrets))
        .set_health_check(health_check)
        .log_configuration(logs)
        .essential(c.essential)
        .set_mount_points((!c.mounts.is_empty()).then(|| {
            c.mounts
                .iter()
                .map(|m| {
                    t::MountPoint::builder()
                        .source_volume(&m.volume)
                        .container_path(&m.container_path)
                        .read_only(m.read_only)
                        .build()
                })
                .collect()
        }))
        .build())
}

fn volume(v: &EfsVolume) -> Result<t::Volume, CloudError> {
    const OP: &str = "ecs:RegisterTaskDefinition";
    let auth = t::EfsAuthorizationConfig::builder()
        .access_point_id(&v.access_point_id)
        .iam(t::EfsAuthorizationConfigIam::Disabled)
        .build();
    let efs = t::EfsVolumeConfiguration::builder()
        .file_system_id(&v.file_system_id)
        .transit_encryption(t::EfsTransitEncryption::Enabled)
        .authorization_config(auth)
        .build()
        .map_err(|e| CloudError::unbuildable(OP, e))?;
    Ok(t::Volume::builder().name(&v.name).efs_volume_configuration(efs).build())
}

fn volume_of(v: t::Volume) -> Option<EfsVolume> {
    let efs = v.efs_volume_configuration?;
    Some(EfsVolume {
        name: v.name.unwrap_or_default(),
        file_system_id: efs.file_system_id,
        access_point_id: efs.authorization_config.and_then(|a| a.access_point_id).unwrap_or_default(),
    })
}

/// A container definition as ECS reports it, back in the shape it was registered from.
fn container_of(c: t::ContainerDefinition) -> Container {
    let port = c.port_mappings.unwrap_or_default().into_iter().next();
    let mut options = c.log_configuration.and_then(|l| l.options).unwrap_or_default();
    let mut option = |key: &str| options.remove(key).unwrap_or_default();
    Container {
        name: c.name.unwrap_or_default(),
        image: c.image.unwrap_or_default(),
        command: c.command.unwrap_or_default(),
        port: port.as_ref().and_then(|p| p.container_port),
        port_name: port.and_then(|p| p.name),
        environment: c
            .environment
            .unwrap_or_default()
            .into_iter()
            .filter_map(|kv| Some((kv.name?, kv.value.unwrap_or_default())))
            .collect(),
        secrets: c.secrets.unwrap_or_default().into_iter().map(|s| (s.name, s.value_from)).collect(),
        health_check: c.health_check.map(|h| ContainerHealthCheck {
            command: h.command,
            interval_seconds: h.interval.unwrap_or_default(),
            timeout_seconds: h.timeout.unwrap_or_default(),
            retries: h.retries.unwrap_or_default(),
            start_period_seconds: h.start_period.unwrap_or_default(),
        }),
        logs: AwsLogs {
            group: option("awslogs-group"),
            region: option("awslogs-region"),
            stream_prefix: option("awslogs-stream-prefix"),
        },
        // ECS's default when the definition leaves it out.
        essential: c.essential.unwrap_or(true),
        mounts: c
            .mount_points
            .unwrap_or_default()
            .into_iter()
            .map(|m| MountPoint {
                volume: m.source_volume.unwrap_or_default(),
                container_path: m.container_path.unwrap_or_default(),
                read_only: m.read_only.unwrap_or(false),
            })
            .collect(),
    }
}

fn deployment_of(d: t::Deployment) -> Deployment {
    Deployment {
        id: d.id.unwrap_or_default(),
        status: d.status.unwrap_or_default(),
        task_definition: d.task_definition.unwrap_or_default(),
        rollout_state: d.rollout_state.map(|s| s.as_str().to_string()),
        rollout_state_reason: d.rollout_state_reason,
        desired_count: d.desired_count,
        running_count: d.running_count,
        pending_count: d.pending_count,
        failed_tasks: d.failed_tasks,
    }
}

fn service_of(s: t::Service) -> Service {
    let service_connect = service_connect_of(
        s.deployments()
            .iter()
            .find(|d| d.status.as_deref() == Some("PRIMARY"))
            .and_then(|d| d.service_connect_configuration.as_ref()),
    );
    let mut deployments: Vec<Deployment> = s.deployments.unwrap_or_default().into_iter().map(deployment_of).collect();
    // Stable: the others keep ECS's order (newest first).
    deployments.sort_by_key(|d| d.status != "PRIMARY");
    let primary_task_definition = deployments.iter().find(|d| d.status == "PRIMARY").map(|d| d.task_definition.clone());
    let config = s.deployment_configuration.unwrap_or_else(|| t::DeploymentConfiguration::builder().build());
    let breaker = config.deployment_circuit_breaker;
    let vpc = s.network_configuration.and_then(|n| n.awsvpc_configuration);
    Service {
        arn: s.service_arn.unwrap_or_default(),
        name: s.service_name.unwrap_or_default(),
        status: s.status.unwrap_or_default(),
        desired_count: s.desired_count,
        running_count: s.running_count,
        pending_count: s.pending_count,
        task_definition: primary_task_definition.or(s.task_definition).unwrap_or_default(),
        capacity_provider: s
            .capacity_provider_strategy
            .unwrap_or_default()
            .into_iter()
            .next()
            .map(|item| item.capacity_provider),
        launch_type: s.launch_type.map(|l| l.as_str().to_string()),
        deployment_configuration: DeploymentConfiguration {
            minimum_healthy_percent: config.minimum_healthy_percent.unwrap_or_default(),
            maximum_percent: config.maximum_percent.unwrap_or_default(),
            circuit_breaker: breaker.as_ref().is_some_and(|b| b.enable),
            rollback: breaker.as_ref().is_some_and(|b| b.rollback),
        },
        health_check_grace_period_seconds: s.health_check_grace_period_seconds,
        network: vpc
            .map(|v| NetworkConfiguration {
                subnet_ids: v.subnets,
                security_group_ids: v.security_groups.unwrap_or_default(),
                assign_public_ip: v.assign_public_ip == Some(t::AssignPublicIp::Enabled),
            })
            .unwrap_or_default(),
        load_balancers: s
            .load_balancers
            .unwrap_or_default()
            .into_iter()
            .map(|l| LoadBalancerAttachment {
                target_group_arn: l.target_group_arn.unwrap_or_default(),
                container_name: l.container_name.unwrap_or_default(),
                container_port: l.container_port.unwrap_or_default(),
            })
            .collect(),
        service_connect,
        deployments,
        // ECS lists events newest first.
        events: s.events.unwrap_or_default().into_iter().filter_map(|e| e.message).take(EVENTS_KEPT).collect(),
        tags: tags_of(s.tags),
    }
}

impl Ecs {
    pub(crate) fn new(client: Client) -> Self {
        Ecs { client }
    }

    /// A cluster with its tags, `None` if there is none of this name or it is deleted (`INACTIVE`).
    pub async fn cluster(&self, name: &str) -> Result<Option<Cluster>, CloudError> {
        const OP: &str = "ecs:DescribeClusters";
        let out = call!(
            "DescribeClusters",
            self.client.describe_clusters().clusters(name).include(t::ClusterField::Tags).send()
        )?;
        if let Some(f) = out.failures().iter().find(|f| !is_missing(f)) {
            return Err(failure(OP, f));
        }
        Ok(out.clusters.unwrap_or_default().into_iter().map(cluster_of).find(|c| c.status != "INACTIVE"))
    }

    /// Creates a cluster with its tags, with the Fargate capacity providers associated (a service's
    /// capacity provider strategy may only name providers of its cluster). For the name of an
    /// ACTIVE cluster ECS returns that cluster.
    pub async fn create_cluster(&self, name: &str, tags: &BTreeMap<String, String>) -> Result<Cluster, CloudError> {
        let req = self
            .client
            .create_cluster()
            .cluster_name(name)
            .capacity_providers("FARGATE")
            .capacity_providers("FARGATE_SPOT")
            .set_tags((!tags.is_empty()).then(|| tag_list(tags)));
        let out = call!("CreateCluster", req.send())?;
        Ok(out.cluster.map(cluster_of).unwrap_or_default())
    }

    /// Deletes a cluster (`Busy` while it has services or tasks); a missing one is success.
    pub async fn delete_cluster(&self, name: &str) -> Result<(), CloudError> {
        call!("DeleteCluster", self.client.delete_cluster().cluster(name).send()).optional().map(drop)
    }

    /// Registers a new revision of a Fargate task definition (awsvpc, Linux) with its one container.
    pub async fn register_task_definition(&self, def: &NewTaskDefinition) -> Result<TaskDefinition, CloudError> {
        let req = self
            .client
            .register_task_definition()
            .family(&def.family)
            .network_mode(t::NetworkMode::Awsvpc)
            .requires_compatibilities(t::Compatibility::Fargate)
            .cpu(def.cpu.to_string())
            .memory(def.memory.to_string())
            .runtime_platform(
                t::RuntimePlatform::builder()
                    .cpu_architecture(t::CpuArchitecture::from(def.cpu_architecture.as_str()))
                    .operating_system_family(t::OsFamily::Linux)
                    .build(),
            )
            .set_execution_role_arn(def.execution_role_arn.clone())
            .set_task_role_arn(def.task_role_arn.clone())
            .container_definitions(container_definition(&def.container)?)
            .set_volumes(if def.volumes.is_empty() {
                None
            } else {
                Some(def.volumes.iter().map(volume).collect::<Result<Vec<_>, _>>()?)
            })
            .set_tags((!def.tags.is_empty()).then(|| tag_list(&def.tags)));
        let out = call!("RegisterTaskDefinition", req.send())?;
        let td = out.task_definition.unwrap_or_else(|| t::TaskDefinition::builder().build());
        Ok(TaskDefinition {
            arn: td.task_definition_arn.unwrap_or_default(),
            family: td.family.unwrap_or_default(),
            revision: td.revision,
            status: td.status.map(|s| s.as_str().to_string()).unwrap_or_default(),
            // RegisterTaskDefinition answers with the tags it was given.
            tags: out.tags.map_or_else(|| def.tags.clone(), |tags| tags_of(Some(tags))),
        })
    }

    async fn describe_task_definition(
        &self,
        arn: &str,
    ) -> Result<Option<(t::TaskDefinition, BTreeMap<String, String>)>, CloudError> {
        let req = self.client.describe_task_definition().task_definition(arn).include(t::TaskDefinitionField::Tags);
        match call!("DescribeTaskDefinition", req.send()) {
            Ok(out) => Ok(out.task_definition.map(|td| (td, tags_of(out.tags)))),
            Err(e) if is_unknown_task_definition(&e) || e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// A task definition revision (by ARN or `family:revision`) with its tags, `None` if ECS does
    /// not know it. A deregistered revision is returned, `INACTIVE`.
    pub async fn task_definition(&self, arn: &str) -> Result<Option<TaskDefinition>, CloudError> {
        Ok(self.describe_task_definition(arn).await?.map(|(td, tags)| TaskDefinition {
            arn: td.task_definition_arn.unwrap_or_default(),
            family: td.family.unwrap_or_default(),
            revision: td.revision,
            status: td.status.map(|s| s.as_str().to_string()).unwrap_or_default(),
            tags,
        }))
    }

    /// What a task definition revision holds, in the shape it was registered from (its first
    /// container), `None` if ECS does not know it: for drift reports and tests.
    pub async fn task_definition_content(&self, arn: &str) -> Result<Option<NewTaskDefinition>, CloudError> {
        Ok(self.describe_task_definition(arn).await?.map(|(td, tags)| NewTaskDefinition {
            family: td.family.unwrap_or_default(),
            cpu: td.cpu.and_then(|c| c.parse().ok()).unwrap_or_default(),
            memory: td.memory.and_then(|m| m.parse().ok()).unwrap_or_default(),
            cpu_architecture: td
                .runtime_platform
                .and_then(|p| p.cpu_architecture)
                .map(|a| a.as_str().to_string())
                .unwrap_or_default(),
            execution_role_arn: td.execution_role_arn,
            task_role_arn: td.task_role_arn,
            container: td
                .container_definitions
                .unwrap_or_default()
                .into_iter()
                .next()
                .map(container_of)
                .unwrap_or_default(),
            volumes: td.volumes.unwrap_or_default().into_iter().filter_map(volume_of).collect(),
            tags,
        }))
    }

    /// The ARNs of the ACTIVE revisions of exactly `family`, newest first.
    pub async fn task_definition_arns(&self, family: &str) -> Result<Vec<String>, CloudError> {
        let mut arns = all_pages(|token| async move {
            let req = self
                .client
                .list_task_definitions()
                .family_prefix(family)
                .status(t::TaskDefinitionStatus::Active)
                .sort(t::SortOrder::Desc)
                .set_next_token(token);
            let page = call!("ListTaskDefinitions", req.send())?;
            Ok((page.task_definition_arns.unwrap_or_default(), page.next_token))
        })
        .await?;
        // familyPrefix matches every family that starts with it.
        arns.retain(|arn| family_of(arn) == family);
        // ECS's DESC order within one family is by revision; kept so whatever order pages came in.
        arns.sort_by_key(|arn| std::cmp::Reverse(revision_of(arn)));
        Ok(arns)
    }

    /// Deregisters a task definition revision (it becomes `INACTIVE`; services already running it
    /// keep it). A revision already deregistered, or unknown, is success.
    pub async fn deregister_task_definition(&self, arn: &str) -> Result<(), CloudError> {
        match call!("DeregisterTaskDefinition", self.client.deregister_task_definition().task_definition(arn).send()) {
            Ok(_) => Ok(()),
            Err(e) if e.is_not_found() => Ok(()),
            // ECS answers ClientException for a revision it does not know or that is inactive:
            // one look tells which, and anything else is the caller's error.
            Err(e) if e.code == "ClientException" => match self.task_definition(arn).await? {
                None => Ok(()),
                Some(td) if td.status != "ACTIVE" => Ok(()),
                Some(_) => Err(e),
            },
            Err(e) => Err(e),
        }
    }

    /// The named services of a cluster with their tags, ten per call. Names ECS does not know are
    /// left out; deleted services are returned (`INACTIVE`); a missing cluster has no services.
    pub async fn services(&self, cluster: &str, names: &[String]) -> Result<Vec<Service>, CloudError> {
        const OP: &str = "ecs:DescribeServices";
        let mut services = Vec::with_capacity(names.len());
        for batch in names.chunks(SERVICES_PER_CALL) {
            let req = self
                .client
                .describe_services()
                .cluster(cluster)
                .set_services(Some(batch.to_vec()))
                .include(t::ServiceField::Tags);
            let Some(out) = call!("DescribeServices", req.send()).optional()? else { return Ok(vec![]) };
            if let Some(f) = out.failures().iter().find(|f| !is_missing(f)) {
                return Err(failure(OP, f));
            }
            services.extend(out.services.unwrap_or_default().into_iter().map(service_of));
        }
        Ok(services)
    }

    /// Creates a Fargate service (a capacity provider strategy of one provider, platform LATEST,
    /// awsvpc) with its tags, which it propagates to its tasks. The same `client_token` for an
    /// existing service of the name returns that service; another token is `Invalid` ("Creation of
    /// service was not idempotent."): observe again.
    pub async fn create_service(&self, s: &NewService) -> Result<Service, CloudError> {
        const OP: &str = "ecs:CreateService";
        let req = self
            .client
            .create_service()
            .cluster(&s.cluster)
            .service_name(&s.name)
            .task_definition(&s.task_definition)
            .desired_count(s.desired_count)
            .capacity_provider_strategy(strategy_item(OP, &s.capacity_provider)?)
            .platform_version("LATEST")
            .network_configuration(network_configuration(OP, &s.network)?)
            .set_load_balancers((!s.load_balancers.is_empty()).then(|| load_balancers(&s.load_balancers)))
            .deployment_configuration(deployment_configuration(&s.deployment_configuration))
            .set_health_check_grace_period_seconds(s.health_check_grace_period_seconds)
            .set_service_connect_configuration(
                s.service_connect.enabled.then(|| service_connect_configuration(OP, &s.service_connect)).transpose()?,
            )
            .set_tags((!s.tags.is_empty()).then(|| tag_list(&s.tags)))
            .propagate_tags(t::PropagateTags::Service)
            .enable_ecs_managed_tags(true)
            .client_token(&s.client_token);
        let out = call!("CreateService", req.send())?;
        Ok(out.service.map(service_of).unwrap_or_default())
    }

    /// Changes the settings of a service that are set in `u`; ECS starts a new deployment when the
    /// task definition, network, load balancers, deployment configuration or capacity provider
    /// change.
    pub async fn update_service(&self, cluster: &str, name: &str, u: &ServiceUpdate) -> Result<Service, CloudError> {
        const OP: &str = "ecs:UpdateService";
        let mut req = self
            .client
            .update_service()
            .cluster(cluster)
            .service(name)
            .set_task_definition(u.task_definition.clone())
            .set_desired_count(u.desired_count)
            .set_network_configuration(u.network.as_ref().map(|n| network_configuration(OP, n)).transpose()?)
            .set_load_balancers(u.load_balancers.as_deref().map(load_balancers))
            .set_deployment_configuration(u.deployment_configuration.as_ref().map(deployment_configuration))
            .set_health_check_grace_period_seconds(u.health_check_grace_period_seconds)
            .set_service_connect_configuration(
                u.service_connect.as_ref().map(|c| service_connect_configuration(OP, c)).transpose()?,
            );
        if let Some(provider) = &u.capacity_provider {
            // ECS refuses a change of capacity provider strategy without a forced deployment
            // (InvalidParameterException "... making a change to a capacity provider strategy on a
            // service that is already using one, you must force a new deployment.").
            req = req.capacity_provider_strategy(strategy_item(OP, provider)?).force_new_deployment(true);
        }
        let out = call!("UpdateService", req.send())?;
        Ok(out.service.map(service_of).unwrap_or_default())
    }

    /// Deletes a service even if it still runs tasks (ECS scales it to zero first). A service that
    /// is missing or already deleted is success.
    pub async fn delete_service(&self, cluster: &str, name: &str) -> Result<(), CloudError> {
        call!("DeleteService", self.client.delete_service().cluster(cluster).service(name).force(true).send())
            .optional()
            .map(drop)
    }

    /// Adds (or overwrites) tags on a cluster, service or task definition by ARN (no call for none).
    pub async fn tag_resource(&self, arn: &str, tags: &BTreeMap<String, String>) -> Result<(), CloudError> {
        if tags.is_empty() {
            return Ok(());
        }
        call!("TagResource", self.client.tag_resource().resource_arn(arn).set_tags(Some(tag_list(tags))).send())
            .map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_and_revisions_of_task_definition_arns() {
        let arn = "arn:aws:ecs:us-east-1:123456789012:task-definition/shop-api:12";
        assert_eq!((family_of(arn), revision_of(arn)), ("shop-api", 12));
        assert_eq!(
            family_of("arn:aws:ecs:us-east-1:123456789012:task-definition/shop-api-worker:3"),
            "shop-api-worker"
        );
        assert_eq!((family_of("shop-api:7"), revision_of("shop-api:7")), ("shop-api", 7));
    }

    #[test]
    fn a_container_reads_back_as_it_was_registered() {
        let container = Container {
            name: "api".into(),
            image: "nginx:1.27".into(),
            command: vec!["nginx".into(), "-g".into(), "daemon off;".into()],
            port: Some(8080),
            port_name: Some("http".into()),
            environment: vec![("B".into(), "2".into()), ("A".into(), "1".into())],
            secrets: vec![("DB_PASSWORD".into(), "arn:aws:secretsmanager:us-east-1:1:secret:db".into())],
            health_check: Some(ContainerHealthCheck {
                command: vec!["CMD-SHELL".into(), "curl -f localhost:8080/ || exit 1".into()],
                interval_seconds: 30,
                timeout_seconds: 5,
                retries: 3,
                start_period_seconds: 10,
            }),
            logs: AwsLogs {
                group: "/stackwright/ns/shop/api".into(),
                region: "us-east-1".into(),
                stream_prefix: "api".into(),
            },
            essential: true,
            mounts: vec![MountPoint { volume: "data".into(), container_path: "/data".into(), read_only: true }],
        };
        let definition = container_definition(&container).unwrap();
        let port = &definition.port_mappings()[0];
        assert_eq!((port.container_port, port.host_port), (Some(8080), Some(8080)));
        assert_eq!(port.protocol, Some(t::TransportProtocol::Tcp));
        assert_eq!(definition.log_configuration().map(|l| &l.log_driver), Some(&t::LogDriver::Awslogs));
        assert_eq!(container_of(definition), container);

        let bare = Container { name: "worker".into(), image: "busybox".into(), essential: true, ..Default::default() };
        let definition = container_definition(&bare).unwrap();
        assert!(definition.port_mappings.is_none() && definition.command.is_none() && definition.secrets.is_none());
        assert_eq!(container_of(definition), bare);
    }

    #[test]
    fn a_service_reads_from_ecs_shapes() {
        let deployment = |id: &str, status: &str, rollout: t::DeploymentRolloutState| {
            t::Deployment::builder()
                .id(id)
                .status(status)
                .task_definition(format!("arn:aws:ecs:us-east-1:1:task-definition/api:{id}"))
                .rollout_state(rollout)
                .desired_count(2)
                .build()
        };
        let mut service = t::Service::builder()
            .service_name("api")
            .status("ACTIVE")
            .task_definition("arn:aws:ecs:us-east-1:1:task-definition/api:1")
            .deployments(deployment("1", "ACTIVE", t::DeploymentRolloutState::Completed))
            .deployments(deployment("2", "PRIMARY", t::DeploymentRolloutState::InProgress))
            .capacity_provider_strategy(
                t::CapacityProviderStrategyItem::builder().capacity_provider("FARGATE_SPOT").weight(1).build().unwrap(),
            )
            .network_configuration(
                t::NetworkConfiguration::builder()
                    .awsvpc_configuration(
                        t::AwsVpcConfiguration::builder()
                            .subnets("subnet-1")
                            .security_groups("sg-1")
                            .assign_public_ip(t::AssignPublicIp::Enabled)
                            .build()
                            .unwrap(),
                    )
                    .build(),
            )
            .tags(t::Tag::builder().key("owner").value("me").build());
        for i in (0..23).rev() {
            service = service.events(t::ServiceEvent::builder().message(format!("event {i}")).build());
        }
        let service = service_of(service.build());
        assert_eq!(service.deployments.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(), ["2", "1"], "PRIMARY first");
        assert_eq!(service.primary().unwrap().rollout_state.as_deref(), Some("IN_PROGRESS"));
        assert_eq!(service.task_definition, "arn:aws:ecs:us-east-1:1:task-definition/api:2", "the PRIMARY's");
        assert_eq!(service.capacity_provider.as_deref(), Some("FARGATE_SPOT"));
        assert_eq!(service.launch_type, None);
        assert!(service.network.assign_public_ip);
        assert_eq!(service.events.len(), 20, "the newest twenty");
        assert_eq!((service.events[0].as_str(), service.events[19].as_str()), ("event 22", "event 3"));
        assert_eq!(service.tags, BTreeMap::from([("owner".to_string(), "me".to_string())]));
    }
}
