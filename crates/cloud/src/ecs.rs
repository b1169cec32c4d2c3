//! ECS: the cluster, task definitions and services of an AppStack.
//!
//! Task definitions are immutable revisions: a revision's content never changes after
//! RegisterTaskDefinition, so what a revision holds may be remembered by its ARN.

use std::collections::BTreeMap;

use aws_sdk_ecs::Client;

use crate::error::CloudError;

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
    /// PRIMARY first.
    pub deployments: Vec<Deployment>,
    /// The newest few event messages, newest first.
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

impl Ecs {
    pub(crate) fn new(client: Client) -> Self {
        Ecs { client }
    }
}
