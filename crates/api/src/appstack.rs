//! `AppStack`: ECS Fargate services behind an Application Load Balancer, in an existing or a
//! stack-owned VPC, with bindings that turn sibling Databases, Caches and Buckets into container
//! environment.

use std::collections::BTreeMap;

use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::common::CommonStatus;
use crate::network::{DNS_LABEL_PATTERN, IAM_ROLE_ARN_PATTERN, OBJECT_NAME_PATTERN, REGION_PATTERN};

/// ECS Fargate services behind an Application Load Balancer, owned by this object.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "stackwright.io",
    version = "v1alpha1",
    kind = "AppStack",
    namespaced,
    status = "AppStackStatus",
    shortname = "stack",
    category = "stackwright",
    doc = "ECS Fargate services behind an Application Load Balancer, in an existing VPC or one the stack creates, with the Databases, Caches and Buckets they bind to passed in as environment.",
    printcolumn(name = "Ready", type_ = "string", json_path = ".status.conditions[?(@.type==\"Ready\")].status"),
    printcolumn(name = "Status", type_ = "string", json_path = ".status.conditions[?(@.type==\"Ready\")].reason"),
    printcolumn(name = "URL", type_ = "string", json_path = ".status.url"),
    printcolumn(
        name = "Cost",
        type_ = "string",
        json_path = ".status.estimatedMonthlyCostUSD",
        description = "Estimated fixed monthly cost in USD, from the built-in price table"
    ),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp")
)]
#[serde(rename_all = "camelCase")]
#[x_kube(
    validation = Rule::new("!has(self.region) || !has(oldSelf.region) || self.region == oldSelf.region")
        .message("region is immutable: a stack cannot move between regions (create a new AppStack)"),
    validation = Rule::new("!has(self.bindings) || self.bindings.all(b, !has(b.services) || b.services.all(n, self.services.exists(s, s.name == n)))")
        .message("bindings[].services must name services of this stack (spec.services[].name)")
        .field_path(".bindings"),
    validation = Rule::new("!has(self.network.vpcId) || !self.services.exists(s, has(s.expose)) || (self.loadBalancer.scheme == 'internal' ? has(self.network.privateSubnetIds) && size(self.network.privateSubnetIds) >= 2 : has(self.network.publicSubnetIds) && size(self.network.publicSubnetIds) >= 2)")
        .message("a service with expose needs a load balancer in two availability zones: list two or more network.publicSubnetIds (network.privateSubnetIds with loadBalancer.scheme: internal)")
        .field_path(".network"),
)]
pub struct AppStackSpec {
    /// AWS region for this stack; defaults to the controller's region. Immutable once set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = REGION_PATTERN), length(max = 32))]
    pub region: Option<String>,

    /// Tags added to every AWS resource of this stack beside the stackwright.io ownership tags.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(extend("maxProperties" = 40))]
    pub tags: BTreeMap<String, String>,

    /// The VPC the stack runs in: an existing one (`vpcId` with subnets) or one the stack creates
    /// and owns (`managed`).
    pub network: AppStackNetwork,

    /// The containers to run, each as its own ECS service (1 to 20). Services of one stack reach
    /// each other by name through ECS Service Connect, e.g. `http://api:8000`.
    #[schemars(length(min = 1, max = 20))]
    #[x_kube(validation = Rule::new("self.all(s, self.exists_one(o, o.name == s.name))")
        .message("service names must be unique within the stack"))]
    pub services: Vec<Service>,

    /// The stack's Application Load Balancer; created when any service has `expose`.
    #[serde(default)]
    pub load_balancer: LoadBalancerSpec,

    /// Databases, Caches and Buckets of this namespace whose connection details become container
    /// environment of this stack's services; binding also opens their security groups to the
    /// stack's tasks and lets the task role use bound buckets.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 20))]
    #[x_kube(validation = Rule::new("self.all(b, self.exists_one(o, o.envPrefix == b.envPrefix))")
        .message("bindings must have distinct envPrefix values, or their variables would overwrite each other"))]
    pub bindings: Vec<Binding>,

    /// IAM role ECS uses to start tasks (pull images, write logs, read the secrets of secretEnv and
    /// bindings). Default: a role the stack creates, allowed exactly that.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = IAM_ROLE_ARN_PATTERN), length(max = 2048))]
    pub execution_role_arn: Option<String>,

    /// IAM role the containers run as. Default: a role the stack creates, allowed only the bound
    /// buckets (with their access).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = IAM_ROLE_ARN_PATTERN), length(max = 2048))]
    pub task_role_arn: Option<String>,

    /// What happens to the stack's AWS resources when this object is deleted: `Delete` (default)
    /// removes them all, `Retain` keeps them.
    #[serde(default)]
    pub deletion_policy: AppStackDeletionPolicy,

    /// What happens to the EFS file system that holds the services' `volumes` when this object is
    /// deleted: `Retain` (default) keeps the file system with its access points and data (its
    /// mount targets go with the stack); an AppStack of the same name in the same namespace finds
    /// it again and mounts the same data. `Delete` deletes it with the stack. The status and an
    /// Event name the file system that was kept.
    #[serde(default)]
    pub volume_deletion_policy: VolumeDeletionPolicy,
}

/// The VPC a stack runs in. Exactly one of: an existing VPC (`vpcId`, `privateSubnetIds`,
/// `publicSubnetIds`, `assignPublicIp`), or `managed`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, KubeSchema)]
#[serde(rename_all = "camelCase")]
#[x_kube(
    validation = Rule::new("has(self.managed) != has(self.vpcId)")
        .message("network needs exactly one of: managed (a VPC the stack creates), or vpcId with privateSubnetIds (an existing VPC)"),
    validation = Rule::new("!has(self.managed) || (!has(self.publicSubnetIds) && !has(self.privateSubnetIds))")
        .message("publicSubnetIds and privateSubnetIds describe an existing VPC (vpcId); a managed network creates its own subnets"),
    validation = Rule::new("!has(self.vpcId) || has(self.privateSubnetIds)")
        .message("with vpcId, privateSubnetIds (the subnets the tasks run in) is required"),
    validation = Rule::new("!has(self.managed) || !self.assignPublicIp")
        .message("assignPublicIp applies to an existing VPC only: tasks of a managed network run in its private subnets behind its NAT gateway"),
    validation = Rule::new("has(self.managed) == has(oldSelf.managed) && (!has(self.vpcId) || !has(oldSelf.vpcId) || self.vpcId == oldSelf.vpcId)")
        .message("the stack's VPC cannot change (between managed and an existing VPC, or to another vpcId): create a new AppStack instead"),
)]
pub struct AppStackNetwork {
    /// An existing VPC (`vpc-...`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^vpc-[0-9a-f]{8,17}$"), length(max = 21))]
    pub vpc_id: Option<String>,

    /// Subnets of vpcId for an internet-facing load balancer: two or more, in different
    /// availability zones, routed to an internet gateway.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(min = 1, max = 16), inner(regex(pattern = r"^subnet-[0-9a-f]{8,17}$"), length(max = 24)))]
    pub public_subnet_ids: Vec<String>,

    /// Subnets of vpcId the tasks run in (and an internal load balancer). Also where a Database or
    /// Cache that names this stack in `network.appStack` is placed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(min = 1, max = 16), inner(regex(pattern = r"^subnet-[0-9a-f]{8,17}$"), length(max = 24)))]
    pub private_subnet_ids: Vec<String>,

    /// Give tasks public IP addresses: needed when privateSubnetIds route to an internet gateway
    /// rather than a NAT gateway, or tasks could not pull images.
    #[serde(default)]
    pub assign_public_ip: bool,

    /// Create and own the network instead: a VPC with public, private and database subnet tiers
    /// (a /24 per tier and availability zone), an internet gateway, NAT gateway(s), route tables
    /// and optionally an S3 gateway endpoint. Write `managed: {}` for all defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed: Option<ManagedNetwork>,
}

/// A VPC the stack creates and owns.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, KubeSchema)]
#[serde(rename_all = "camelCase")]
#[x_kube(
    validation = Rule::new("self.natGateways <= self.availabilityZones")
        .message("managed.natGateways cannot exceed availabilityZones (at most one NAT gateway per zone)"),
    validation = Rule::new("!isCIDR(self.cidr) || cidr(self.cidr).masked() == cidr(self.cidr)")
        .message("managed.cidr must be a network address with no host bits set, e.g. 10.0.0.0/16"),
    validation = Rule::new("self.cidr == oldSelf.cidr && self.availabilityZones == oldSelf.availabilityZones")
        .message("managed.cidr and managed.availabilityZones are immutable: the subnets are laid out from them"),
)]
pub struct ManagedNetwork {
    /// IPv4 range of the VPC, /16 to /20 (room for three tiers of /24 subnets per zone).
    #[serde(default = "default_cidr")]
    #[schemars(
        regex(
            pattern = r"^(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])){3}/(1[6-9]|20)$"
        ),
        length(max = 18)
    )]
    pub cidr: String,

    /// Number of availability zones to spread subnets over (2 to 4), the first ones of the region.
    #[serde(default = "default_availability_zones")]
    #[schemars(range(min = 2, max = 4))]
    pub availability_zones: i32,

    /// NAT gateways for outbound traffic from private subnets: 1 (cheaper, shared) up to one per
    /// availability zone (survives the loss of a zone).
    #[serde(default = "default_nat_gateways")]
    #[schemars(range(min = 1, max = 4))]
    pub nat_gateways: i32,

    /// Add an S3 gateway endpoint, so S3 traffic bypasses the NAT gateway (and its charges).
    #[serde(default = "default_true")]
    pub s3_gateway_endpoint: bool,
}

fn default_cidr() -> String {
    "10.0.0.0/16".into()
}

fn default_availability_zones() -> i32 {
    2
}

fn default_nat_gateways() -> i32 {
    1
}

fn default_true() -> bool {
    true
}

impl Default for ManagedNetwork {
    fn default() -> Self {
        ManagedNetwork {
            cidr: default_cidr(),
            availability_zones: default_availability_zones(),
            nat_gateways: default_nat_gateways(),
            s3_gateway_endpoint: true,
        }
    }
}

/// One container, run as an ECS service on Fargate.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
#[x_kube(
    validation = crate::fargate::cpu_rule(),
    validation = crate::fargate::memory_rule(),
    validation = Rule::new("!has(self.expose) || has(self.port)")
        .message("expose needs port: the load balancer forwards to the container port"),
    validation = Rule::new("!has(self.autoscaling) || !has(self.autoscaling.requestsPerTarget) || has(self.expose)")
        .message("autoscaling.requestsPerTarget needs expose: it counts load balancer requests per task"),
    validation = Rule::new("!has(self.env) || !has(self.secretEnv) || self.env.all(e, !self.secretEnv.exists(s, s.name == e.name))")
        .message("a variable cannot be in both env and secretEnv"),
    validation = Rule::new("!(self.capacity == 'spot' && self.cpuArchitecture == 'ARM64')")
        .message("Fargate Spot does not run ARM64 tasks: use capacity onDemand or cpuArchitecture X86_64"),
    validation = Rule::new("!has(self.volumes) || self.volumes.all(v, size(self.name) + size(v.name) <= 98)")
        .message("a volume's root directory on EFS is /<service>/<volume>, at most 100 characters: shorten the service or the volume name"),
)]
pub struct Service {
    /// Name of the service: a DNS label (lowercase letters, digits, `-`), unique in the stack. Other
    /// services of the stack reach this one under this name.
    #[schemars(regex(pattern = DNS_LABEL_PATTERN), length(min = 1, max = 63))]
    pub name: String,

    /// Container image, e.g. `461962182774.dkr.ecr.us-east-1.amazonaws.com/accunode:prod-abc123`.
    /// A new image rolls the service.
    #[schemars(regex(pattern = r"^\S+$"), length(min = 1, max = 1024))]
    pub image: String,

    /// Fargate CPU units (1024 = 1 vCPU): 256, 512, 1024, 2048, 4096, 8192 or 16384.
    #[serde(default = "default_cpu")]
    pub cpu: i32,

    /// Memory in MiB. Fargate accepts only these sizes for each cpu (cpu: memory MiB):
    /// - 256: 512, 1024 or 2048
    /// - 512: 1024 to 4096 in steps of 1024
    /// - 1024: 2048 to 8192 in steps of 1024
    /// - 2048: 4096 to 16384 in steps of 1024
    /// - 4096: 8192 to 30720 in steps of 1024
    /// - 8192: 16384 to 61440 in steps of 4096
    /// - 16384: 32768 to 122880 in steps of 8192
    #[serde(default = "default_memory")]
    pub memory: i32,

    /// Command (with arguments) to run instead of the image's default `CMD`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 100), inner(length(max = 4096)))]
    pub command: Vec<String>,

    /// TCP port the container listens on. Workers have none. Needed for `expose`; other services of
    /// the stack reach this one at `http://<name>:<port>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 65535))]
    pub port: Option<i32>,

    /// Plain environment variables (names unique). Use secretEnv for anything secret.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 100))]
    #[x_kube(merge_strategy = ListMerge::Map(vec!["name".into()]))]
    pub env: Vec<EnvVar>,

    /// Environment variables (names unique, and not also in env) read from AWS Secrets Manager or
    /// SSM Parameter Store when a task starts; the values never pass through the controller or
    /// Kubernetes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 50))]
    #[x_kube(merge_strategy = ListMerge::Map(vec!["name".into()]))]
    pub secret_env: Vec<SecretEnvVar>,

    /// Number of tasks to run when there is no autoscaling (ignored with autoscaling).
    #[serde(default = "default_replicas")]
    #[schemars(range(min = 0, max = 1000))]
    pub replicas: i32,

    /// Route requests from the stack's load balancer to this service (needs port).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expose: Option<Expose>,

    /// Seconds after a task starts during which failing load balancer health checks do not count
    /// (exposed services only).
    #[serde(default = "default_grace_period")]
    #[schemars(range(min = 0, max = 7200))]
    pub health_check_grace_period_seconds: i32,

    /// A health check command run inside the container; ECS replaces tasks that fail it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_health_check: Option<ContainerHealthCheck>,

    /// Scale the number of tasks with load, between minReplicas and maxReplicas (replaces
    /// `replicas`). Application Auto Scaling target tracking keeps each metric that is set near its
    /// target: average CPU (targetCPUPercent), average memory (targetMemoryPercent) and load
    /// balancer requests per task (requestsPerTarget, exposed services only); at least one is
    /// required. It adds tasks when any metric is above its target and removes them when all are
    /// below, waiting the cooldowns between steps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoscaling: Option<Autoscaling>,

    /// `onDemand` (default, regular Fargate) or `spot` (Fargate Spot: up to 70% cheaper, but tasks
    /// may be stopped with two minutes' notice).
    #[serde(default)]
    pub capacity: Capacity,

    /// CPU architecture the image is built for: `X86_64` (default) or `ARM64` (Graviton, cheaper).
    #[serde(default)]
    pub cpu_architecture: CpuArchitecture,

    /// How a new version rolls out.
    #[serde(default)]
    pub deployment: Deployment,

    /// Days the service's CloudWatch log group keeps logs: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150,
    /// 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653.
    #[serde(default = "default_log_retention_days")]
    #[x_kube(validation = Rule::new("self in [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]")
        .message("logRetentionDays must be a CloudWatch Logs retention: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653"))]
    pub log_retention_days: i32,

    /// Name of the service's CloudWatch log group, e.g. `/ecs/dev-paperwurks-backend`. Default:
    /// `/stackwright/<cluster-id>/<namespace>/<stack>/<service>`. The stack creates and owns the
    /// group either way; a group renamed away from is deleted (with its logs) once nothing uses it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[.\-_/#A-Za-z0-9]+$"), length(min = 1, max = 512))]
    pub log_group_name: Option<String>,

    /// Persistent storage on an EFS file system the stack owns (one access point per volume),
    /// shared by all tasks of the service and kept across deployments.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 10))]
    #[x_kube(
        validation = Rule::new("self.all(v, self.exists_one(o, o.name == v.name))")
            .message("volume names must be unique within a service"),
        validation = Rule::new("self.all(v, self.exists_one(o, o.mountPath == v.mountPath))")
            .message("volume mountPaths must be unique within a service"),
    )]
    pub volumes: Vec<Volume>,
}

fn default_cpu() -> i32 {
    256
}

fn default_memory() -> i32 {
    512
}

fn default_replicas() -> i32 {
    1
}

fn default_grace_period() -> i32 {
    60
}

fn default_log_retention_days() -> i32 {
    7
}

/// A plain environment variable.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EnvVar {
    /// Variable name.
    #[schemars(regex(pattern = r"^[A-Za-z_][A-Za-z0-9_]*$"), length(min = 1, max = 128))]
    pub name: String,
    /// Value.
    #[serde(default)]
    #[schemars(length(max = 32768))]
    pub value: String,
}

/// An environment variable whose value comes from AWS Secrets Manager or SSM Parameter Store.
/// Exactly one of secretsManagerArn or ssmParameter.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, KubeSchema)]
#[serde(rename_all = "camelCase")]
#[x_kube(
    validation = Rule::new("has(self.secretsManagerArn) != has(self.ssmParameter)")
        .message("secretEnv needs exactly one of secretsManagerArn or ssmParameter"),
    validation = Rule::new("!has(self.key) || has(self.secretsManagerArn)")
        .message("secretEnv.key selects a field of a JSON secret in Secrets Manager; it needs secretsManagerArn"),
)]
pub struct SecretEnvVar {
    /// Variable name.
    #[schemars(regex(pattern = r"^[A-Za-z_][A-Za-z0-9_]*$"), length(min = 1, max = 128))]
    pub name: String,
    /// ARN of a Secrets Manager secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+$"), length(max = 2048))]
    pub secrets_manager_arn: Option<String>,
    /// With secretsManagerArn: the key of a JSON secret to use (default: the whole secret value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 256))]
    pub key: Option<String>,
    /// Name (e.g. `/accunode/secret-key`) or ARN of an SSM parameter (SecureString or String).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(
        regex(
            pattern = r"^(arn:aws[a-z-]*:ssm:[a-z0-9-]+:[0-9]{12}:parameter/.+|/?[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*)$"
        ),
        length(max = 2048)
    )]
    pub ssm_parameter: Option<String>,
}

/// How the load balancer routes to a service. A request goes to the service whose rule matches
/// its path (and host, when hosts are given). ALB evaluates at most three values per condition
/// and five per rule, so paths and hosts together are at most five.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, KubeSchema)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("size(self.paths) + (has(self.hosts) ? size(self.hosts) : 0) <= 5")
    .message("expose: paths and hosts together are at most 5 values (an ALB listener rule evaluates at most five)"))]
pub struct Expose {
    /// Listener rule path patterns (1 to 3), e.g. `/*` or `/api/*` (`*` matches any characters,
    /// `?` one).
    #[serde(default = "default_paths")]
    #[schemars(length(min = 1, max = 3), inner(regex(pattern = r"^/[A-Za-z0-9_\-.$/~'@:+&*?]*$"), length(max = 128)))]
    pub paths: Vec<String>,
    /// Host-header conditions (up to 3), e.g. `api.example.com` or `*.example.com`; any host when
    /// empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 3), inner(regex(pattern = r"^[A-Za-z0-9*?.-]+$"), length(max = 128)))]
    pub hosts: Vec<String>,
    /// The target group's health check.
    #[serde(default)]
    pub health_check: HealthCheck,
}

fn default_paths() -> Vec<String> {
    vec!["/*".into()]
}

/// The load balancer's health check of each task.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, KubeSchema)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("self.timeoutSeconds < self.intervalSeconds")
    .message("healthCheck.timeoutSeconds must be less than intervalSeconds"))]
pub struct HealthCheck {
    /// HTTP path requested on the container port, e.g. `/health`.
    #[serde(default = "default_health_path")]
    #[schemars(regex(pattern = r"^/\S*$"), length(min = 1, max = 1024))]
    pub path: String,
    /// Seconds between checks (5 to 300).
    #[serde(default = "default_health_interval")]
    #[schemars(range(min = 5, max = 300))]
    pub interval_seconds: i32,
    /// Seconds without a response that count as a failure (2 to 120).
    #[serde(default = "default_health_timeout")]
    #[schemars(range(min = 2, max = 120))]
    pub timeout_seconds: i32,
    /// Consecutive successes before a task receives traffic (2 to 10).
    #[serde(default = "default_healthy_threshold")]
    #[schemars(range(min = 2, max = 10))]
    pub healthy_threshold: i32,
    /// Consecutive failures before a task stops receiving traffic (2 to 10).
    #[serde(default = "default_unhealthy_threshold")]
    #[schemars(range(min = 2, max = 10))]
    pub unhealthy_threshold: i32,
    /// HTTP status codes that count as healthy, e.g. `200`, `200,204` or `200-399`.
    #[serde(default = "default_matcher")]
    #[schemars(regex(pattern = r"^[0-9]{3}(-[0-9]{3})?(,[0-9]{3}(-[0-9]{3})?)*$"), length(max = 100))]
    pub matcher: String,
}

fn default_health_path() -> String {
    "/".into()
}

fn default_health_interval() -> i32 {
    30
}

fn default_health_timeout() -> i32 {
    5
}

fn default_healthy_threshold() -> i32 {
    2
}

fn default_unhealthy_threshold() -> i32 {
    3
}

fn default_matcher() -> String {
    "200-399".into()
}

impl Default for HealthCheck {
    fn default() -> Self {
        HealthCheck {
            path: default_health_path(),
            interval_seconds: default_health_interval(),
            timeout_seconds: default_health_timeout(),
            healthy_threshold: default_healthy_threshold(),
            unhealthy_threshold: default_unhealthy_threshold(),
            matcher: default_matcher(),
        }
    }
}

/// A health check command run by ECS inside the container.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, KubeSchema)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("self.command[0] in ['CMD', 'CMD-SHELL']")
    .message("containerHealthCheck.command must start with CMD (then the executable and its arguments) or CMD-SHELL (then one shell command line)"))]
pub struct ContainerHealthCheck {
    /// The check, e.g. `["CMD-SHELL", "curl -f http://localhost:8000/health || exit 1"]`; exit code 0
    /// means healthy.
    #[schemars(length(min = 2, max = 20), inner(length(min = 1, max = 1024)))]
    pub command: Vec<String>,
    /// Seconds between checks (5 to 300).
    #[serde(default = "default_health_interval")]
    #[schemars(range(min = 5, max = 300))]
    pub interval_seconds: i32,
    /// Seconds a check may take before it counts as failed (2 to 60).
    #[serde(default = "default_health_timeout")]
    #[schemars(range(min = 2, max = 60))]
    pub timeout_seconds: i32,
    /// Consecutive failures before the container is unhealthy (1 to 10).
    #[serde(default = "default_container_retries")]
    #[schemars(range(min = 1, max = 10))]
    pub retries: i32,
    /// Seconds after start during which failures do not count (0 to 300).
    #[serde(default)]
    #[schemars(range(min = 0, max = 300))]
    pub start_period_seconds: i32,
}

fn default_container_retries() -> i32 {
    3
}

/// Target-tracking autoscaling of a service's task count. Application Auto Scaling keeps each
/// metric that is set near its target by adding tasks (scale out) or removing them (scale in),
/// staying between minReplicas and maxReplicas. At least one of targetCPUPercent,
/// targetMemoryPercent or requestsPerTarget is required.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, KubeSchema)]
#[serde(rename_all = "camelCase")]
#[x_kube(
    validation = Rule::new("self.minReplicas <= self.maxReplicas")
        .message("autoscaling.minReplicas must not exceed maxReplicas"),
    validation = Rule::new("has(self.targetCPUPercent) || has(self.targetMemoryPercent) || has(self.requestsPerTarget)")
        .message("autoscaling needs at least one target: targetCPUPercent, targetMemoryPercent or requestsPerTarget"),
)]
pub struct Autoscaling {
    /// Fewest tasks to run (0 to 1000).
    #[serde(default = "default_replicas")]
    #[schemars(range(min = 0, max = 1000))]
    pub min_replicas: i32,
    /// Most tasks to run (1 to 1000).
    #[schemars(range(min = 1, max = 1000))]
    pub max_replicas: i32,
    /// Keep average CPU utilization of the service's tasks near this percentage (1 to 100).
    #[serde(rename = "targetCPUPercent", default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 100))]
    pub target_cpu_percent: Option<i32>,
    /// Keep average memory utilization of the service's tasks near this percentage (1 to 100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 100))]
    pub target_memory_percent: Option<i32>,
    /// Keep load balancer requests per task per minute near this number (exposed services only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 1000000))]
    pub requests_per_target: Option<i32>,
    /// Seconds after a scale-out before another scale-out may start (0 to 3600).
    #[serde(default = "default_cooldown")]
    #[schemars(range(min = 0, max = 3600))]
    pub scale_out_cooldown_seconds: i32,
    /// Seconds after a scale-in before another scale-in may start (0 to 3600).
    #[serde(default = "default_cooldown")]
    #[schemars(range(min = 0, max = 3600))]
    pub scale_in_cooldown_seconds: i32,
}

fn default_cooldown() -> i32 {
    300
}

/// Fargate capacity for a service's tasks.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum Capacity {
    /// Regular Fargate (capacity provider `FARGATE`, default).
    #[default]
    OnDemand,
    /// Fargate Spot (capacity provider `FARGATE_SPOT`).
    Spot,
}

impl Capacity {
    /// The ECS capacity provider.
    pub fn capacity_provider(self) -> &'static str {
        match self {
            Capacity::OnDemand => "FARGATE",
            Capacity::Spot => "FARGATE_SPOT",
        }
    }
}

/// CPU architecture of a task.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum CpuArchitecture {
    /// Intel/AMD 64-bit (default).
    #[default]
    #[serde(rename = "X86_64")]
    X86_64,
    /// AWS Graviton (64-bit ARM).
    #[serde(rename = "ARM64")]
    Arm64,
}

impl CpuArchitecture {
    /// The ECS spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            CpuArchitecture::X86_64 => "X86_64",
            CpuArchitecture::Arm64 => "ARM64",
        }
    }
}

/// How ECS rolls out a new version of a service.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, KubeSchema)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("self.maximumPercent > self.minimumHealthyPercent")
    .message("deployment.maximumPercent must be greater than minimumHealthyPercent, or a rollout could neither start a new task nor stop an old one"))]
pub struct Deployment {
    /// Tasks that must stay running during a rollout, as a percentage of the desired count (0 to 100).
    #[serde(default = "default_minimum_healthy_percent")]
    #[schemars(range(min = 0, max = 100))]
    pub minimum_healthy_percent: i32,
    /// Most tasks allowed during a rollout, as a percentage of the desired count (100 to 200).
    #[serde(default = "default_maximum_percent")]
    #[schemars(range(min = 100, max = 200))]
    pub maximum_percent: i32,
    /// Stop a rollout whose tasks keep failing and roll back to the last working version (the
    /// stack then reports `Stalled`, reason `DeploymentFailed`).
    #[serde(default = "default_true")]
    pub circuit_breaker: bool,
}

fn default_minimum_healthy_percent() -> i32 {
    100
}

fn default_maximum_percent() -> i32 {
    200
}

impl Default for Deployment {
    fn default() -> Self {
        Deployment {
            minimum_healthy_percent: default_minimum_healthy_percent(),
            maximum_percent: default_maximum_percent(),
            circuit_breaker: true,
        }
    }
}

/// A persistent volume on the stack's EFS file system.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Volume {
    /// Name of the volume (its EFS access point); unique in the service.
    #[schemars(regex(pattern = DNS_LABEL_PATTERN), length(min = 1, max = 63))]
    pub name: String,
    /// Absolute path where the volume is mounted in the container, e.g. `/data/db`.
    #[schemars(regex(pattern = r"^/\S*$"), length(min = 1, max = 1024))]
    pub mount_path: String,
    /// Mount read-only.
    #[serde(default)]
    pub read_only: bool,
    /// The POSIX user and group every file operation through this volume runs as (its EFS access
    /// point imposes them; the volume's root directory is created owned by them, mode 0755). Set
    /// them to the user the image runs as where its entrypoint changes ownership (MongoDB: 999).
    /// Fixed once the volume exists.
    #[serde(default = "default_volume_id")]
    #[schemars(range(min = 0, max = 4294967295_i64))]
    pub uid: i64,
    /// The POSIX group of the volume's file operations (see `uid`).
    #[serde(default = "default_volume_id")]
    #[schemars(range(min = 0, max = 4294967295_i64))]
    pub gid: i64,
}

fn default_volume_id() -> i64 {
    1000
}

/// The stack's Application Load Balancer.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LoadBalancerSpec {
    /// `internet-facing` (default; in the public subnets) or `internal` (in the private subnets,
    /// reachable only from inside the VPC).
    #[serde(default)]
    pub scheme: Scheme,
    /// Certificate for HTTPS, from ACM (`arn:aws:acm:<region>:<account>:certificate/<id>`) or an
    /// IAM server certificate (`arn:aws:iam::<account>:server-certificate/<path/name>`), as ELB
    /// takes either: adds a :443 listener and redirects :80 to it. Without it the load balancer
    /// serves plain HTTP on :80.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(
        regex(
            pattern = r"^arn:aws[a-z-]*:(acm:[a-z0-9-]+:[0-9]{12}:certificate/[A-Za-z0-9-]+|iam::[0-9]{12}:server-certificate/[A-Za-z0-9+=,.@_/-]+)$"
        ),
        length(max = 2048)
    )]
    pub certificate_arn: Option<String>,
    /// Seconds a connection may stay idle (1 to 4000).
    #[serde(default = "default_idle_timeout")]
    #[schemars(range(min = 1, max = 4000))]
    pub idle_timeout_seconds: i32,
    /// Seconds a stopping task keeps serving in-flight requests after it stops receiving new ones (0 to 3600).
    #[serde(default = "default_deregistration_delay")]
    #[schemars(range(min = 0, max = 3600))]
    pub deregistration_delay_seconds: i32,
    /// IPv4 ranges allowed to reach the load balancer on :80 and :443.
    #[serde(default = "default_allowed_cidrs")]
    #[schemars(
        length(min = 1, max = 30),
        inner(
            regex(
                pattern = r"^(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])){3}/([0-9]|[12][0-9]|3[0-2])$"
            ),
            length(max = 18)
        )
    )]
    pub allowed_cidrs: Vec<String>,
}

fn default_idle_timeout() -> i32 {
    60
}

fn default_deregistration_delay() -> i32 {
    30
}

fn default_allowed_cidrs() -> Vec<String> {
    vec!["0.0.0.0/0".into()]
}

impl Default for LoadBalancerSpec {
    fn default() -> Self {
        LoadBalancerSpec {
            scheme: Scheme::default(),
            certificate_arn: None,
            idle_timeout_seconds: default_idle_timeout(),
            deregistration_delay_seconds: default_deregistration_delay(),
            allowed_cidrs: default_allowed_cidrs(),
        }
    }
}

/// Load balancer scheme.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Scheme {
    /// Reachable from the internet (default).
    #[default]
    InternetFacing,
    /// Reachable only from inside the VPC.
    Internal,
}

impl Scheme {
    /// The ELBv2 spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::InternetFacing => "internet-facing",
            Scheme::Internal => "internal",
        }
    }
}

/// Connection details of a Database, Cache or Bucket in this namespace, passed to services as
/// environment variables named `<envPrefix>_...`. Exactly one of database, cache or bucket.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, KubeSchema)]
#[serde(rename_all = "camelCase")]
#[x_kube(
    validation = Rule::new("(has(self.database) ? 1 : 0) + (has(self.cache) ? 1 : 0) + (has(self.bucket) ? 1 : 0) == 1")
        .message("a binding names exactly one of database, cache or bucket"),
    validation = Rule::new("!has(self.access) || has(self.bucket)")
        .message("binding access applies to buckets only"),
)]
pub struct Binding {
    /// A Database: sets `<P>_HOST`, `<P>_PORT`, `<P>_NAME`, `<P>_USER`, `<P>_PASSWORD` (an ECS
    /// secret read from Secrets Manager) and `<P>_URL`, and admits the stack's tasks to the
    /// database port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = OBJECT_NAME_PATTERN), length(min = 1, max = 253))]
    pub database: Option<String>,
    /// A Cache: sets `<P>_HOST`, `<P>_PORT`, `<P>_URL` and, with transit encryption,
    /// `<P>_AUTH_TOKEN` (an ECS secret), and admits the stack's tasks to the cache port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = OBJECT_NAME_PATTERN), length(min = 1, max = 253))]
    pub cache: Option<String>,
    /// A Bucket: sets `<P>_BUCKET` and lets the task role use the bucket (see access).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = OBJECT_NAME_PATTERN), length(min = 1, max = 253))]
    pub bucket: Option<String>,
    /// Prefix of the variable names, e.g. `DATABASE` gives `DATABASE_HOST`: upper case letters,
    /// digits and `_`, starting with a letter.
    #[schemars(regex(pattern = r"^[A-Z][A-Z0-9_]*$"), length(min = 1, max = 64))]
    pub env_prefix: String,
    /// Services that get the variables (default: all services of the stack).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 20), inner(regex(pattern = DNS_LABEL_PATTERN), length(min = 1, max = 63)))]
    #[x_kube(merge_strategy = ListMerge::Set)]
    pub services: Vec<String>,
    /// For a bucket: `ReadWrite` (default) or `ReadOnly`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access: Option<BucketAccess>,
}

impl Binding {
    /// The bucket access this binding grants (`ReadWrite` unless set).
    pub fn bucket_access(&self) -> BucketAccess {
        self.access.unwrap_or_default()
    }

    /// Whether `service` receives this binding's variables.
    pub fn applies_to(&self, service: &str) -> bool {
        self.services.is_empty() || self.services.iter().any(|s| s == service)
    }
}

/// What a bound bucket allows the task role to do.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum BucketAccess {
    /// List, read, write and delete objects (default).
    #[default]
    ReadWrite,
    /// List and read objects.
    ReadOnly,
}

/// What happens to the stack's AWS resources when its object is deleted.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum AppStackDeletionPolicy {
    /// Delete everything the stack owns (default).
    #[default]
    Delete,
    /// Keep everything; only the Kubernetes object goes away.
    Retain,
}

/// What happens to a stack's EFS file system (its volumes' data) when its object is deleted.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum VolumeDeletionPolicy {
    /// Keep the file system, its access points and the data (default).
    #[default]
    Retain,
    /// Delete the file system and its data with the stack.
    Delete,
}

/// Observed state of an AppStack.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AppStackStatus {
    /// Where the stack is reached: `http(s)://<load balancer DNS name>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The load balancer, when any service is exposed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_balancer: Option<LoadBalancerStatus>,
    /// The security group of the stack's tasks. Databases and Caches this stack binds to admit
    /// their port from this group only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_security_group_id: Option<String>,
    /// The EFS file system that holds the services' volumes (kept when the object is deleted,
    /// unless `volumeDeletionPolicy` is `Delete`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_system_id: Option<String>,
    /// The network the stack's services run in, for Databases and Caches that name this stack in
    /// `network.appStack`: its VPC and the subnets they use (the database tier of a managed
    /// network, else the private subnets).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<StackNetworkStatus>,
    /// Each ECS service and its rollout.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<ServiceStatus>,
    #[serde(flatten)]
    pub common: CommonStatus,
}

/// The network of an AppStack as its dependents see it.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StackNetworkStatus {
    /// The VPC id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vpc_id: Option<String>,
    /// Subnets for Databases and Caches placed with `network.appStack` (for a managed network,
    /// its database tier once every subnet of it exists).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub data_subnet_ids: Vec<String>,
    /// The VPC's IPv4 range (a managed network).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cidr: Option<String>,
    /// The subnets of a managed network: its layout, with each subnet's id once it exists.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subnets: Vec<SubnetStatus>,
}

/// One subnet of a managed network.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SubnetStatus {
    /// `public` (load balancer, NAT gateways), `private` (tasks) or `database` (Databases and
    /// Caches placed with `network.appStack`; no route out of the VPC).
    pub tier: String,
    /// The subnet's /24, carved from the VPC's range: the /24 with index `4 × tier + zone`.
    pub cidr: String,
    /// Availability zone, once the subnet exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub availability_zone: Option<String>,
    /// Subnet id, once it exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

/// The load balancer as AWS reports it.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LoadBalancerStatus {
    /// Load balancer ARN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    /// Load balancer DNS name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns_name: Option<String>,
}

/// One ECS service as AWS reports it.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceStatus {
    /// The service's name in the stack (`spec.services[].name`).
    pub name: String,
    /// Tasks ECS wants running.
    #[serde(default)]
    pub desired_count: i32,
    /// Tasks running.
    #[serde(default)]
    pub running_count: i32,
    /// Tasks starting.
    #[serde(default)]
    pub pending_count: i32,
    /// Rollout state of the primary deployment: `IN_PROGRESS`, `COMPLETED` or `FAILED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollout_state: Option<String>,
    /// Why the rollout is in that state, as ECS says it (e.g. the circuit breaker's message).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollout_state_reason: Option<String>,
    /// ARN of the task definition revision the primary deployment runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_definition_arn: Option<String>,
    /// ARN of the ECS service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_arn: Option<String>,
}

#[cfg(test)]
mod tests {
    use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::JSONSchemaProps;
    use kube::CustomResourceExt;

    use super::*;

    /// SYSTEMS.md 1: AccuNode in an existing VPC.
    const ACCUNODE: &str = r#"
apiVersion: stackwright.io/v1alpha1
kind: AppStack
metadata: {name: accunode, namespace: accunode}
spec:
  region: us-east-1
  network:
    vpcId: vpc-0cd7231cf6acb1d4f
    publicSubnetIds: [subnet-0a1b2c3d4e5f60718, subnet-0b1c2d3e4f5a60718]
    privateSubnetIds: [subnet-0c1d2e3f4a5b60718, subnet-0d1e2f3a4b5c60718]
  services:
  - name: api
    image: 461962182774.dkr.ecr.us-east-1.amazonaws.com/accunode:prod-abc123
    cpu: 256
    memory: 512
    command: ["uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "8000"]
    port: 8000
    env: [{name: LOG_LEVEL, value: info}]
    secretEnv:
    - {name: SECRET_KEY, secretsManagerArn: "arn:aws:secretsmanager:us-east-1:461962182774:secret:accunode/secret-key-AbCdEf"}
    expose:
      paths: ["/*"]
      healthCheck: {path: /health}
    autoscaling: {minReplicas: 1, maxReplicas: 2, targetCPUPercent: 70, scaleOutCooldownSeconds: 300, scaleInCooldownSeconds: 300}
  - name: worker
    image: 461962182774.dkr.ecr.us-east-1.amazonaws.com/accunode:prod-abc123
    command: ["python", "-m", "app.worker"]
    secretEnv:
    - {name: SECRET_KEY, ssmParameter: /accunode/secret-key}
    autoscaling: {minReplicas: 1, maxReplicas: 2, targetCPUPercent: 60, scaleOutCooldownSeconds: 180}
  bindings:
  - {database: accunode-db, envPrefix: DATABASE, services: [api, worker]}
  - {cache: accunode-redis, envPrefix: REDIS}
"#;

    /// SYSTEMS.md 2: Paperwurks dev, in a network the stack creates.
    const PAPERWURKS_DEV: &str = r#"
apiVersion: stackwright.io/v1alpha1
kind: AppStack
metadata: {name: paperwurks, namespace: paperwurks-dev}
spec:
  region: eu-west-2
  network:
    managed: {cidr: 10.0.0.0/16, availabilityZones: 2, natGateways: 1, s3GatewayEndpoint: true}
  services:
  - name: backend
    image: 123456789012.dkr.ecr.eu-west-2.amazonaws.com/paperwurks-backend:dev
    cpu: 512
    memory: 1024
    port: 8000
    expose: {paths: ["/*"], healthCheck: {path: /health/}}
    healthCheckGracePeriodSeconds: 60
    autoscaling: {minReplicas: 1, maxReplicas: 2, targetCPUPercent: 70}
    deployment: {minimumHealthyPercent: 100, maximumPercent: 200, circuitBreaker: true}
    logRetentionDays: 7
  - name: worker
    image: 123456789012.dkr.ecr.eu-west-2.amazonaws.com/paperwurks-backend:dev
    command: ["celery", "-A", "paperwurks", "worker"]
    replicas: 1
    logRetentionDays: 7
  loadBalancer: {deregistrationDelaySeconds: 30}
  bindings:
  - {database: paperwurks-db, envPrefix: DATABASE}
  - {bucket: documents, envPrefix: DOCUMENTS}
  - {bucket: uploads, envPrefix: UPLOADS, access: ReadWrite}
"#;

    /// SYSTEMS.md 4: the chat server and its companion containers, reached by name.
    const CHAT: &str = r#"
apiVersion: stackwright.io/v1alpha1
kind: AppStack
metadata: {name: chat, namespace: chat}
spec:
  network: {managed: {}}
  services:
  - name: server
    image: node:20-slim
    cpu: 512
    memory: 1024
    port: 3000
    env:
    - {name: NODE_ENV, value: production}
    - {name: PORT, value: "3000"}
    - {name: MONGO_URI, value: "mongodb://mongo:27017/chat"}
    - {name: QDRANT_URL, value: "http://qdrant:6333"}
    secretEnv: [{name: JWT_SECRET, secretsManagerArn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:chat/jwt-AbCdEf", key: secret}]
    expose: {paths: ["/*"], healthCheck: {path: /health}}
    autoscaling: {minReplicas: 2, maxReplicas: 6, requestsPerTarget: 500}
  - name: mongo
    image: mongo:7
    cpu: 1024
    memory: 2048
    port: 27017
    volumes: [{name: data, mountPath: /data/db}]
    containerHealthCheck: {command: ["CMD-SHELL", "mongosh --quiet --eval 'db.adminCommand(\"ping\")' || exit 1"]}
  - name: qdrant
    image: qdrant/qdrant:v1.16.0
    cpu: 1024
    memory: 2048
    port: 6333
    cpuArchitecture: ARM64
    volumes: [{name: storage, mountPath: /qdrant/storage}]
  loadBalancer:
    certificateArn: arn:aws:acm:us-east-1:123456789012:certificate/0f2d3c4b-aaaa-bbbb-cccc-0123456789ab
"#;

    fn parse(yaml: &str) -> AppStack {
        serde_yaml::from_str(yaml).expect("valid manifest")
    }

    #[test]
    fn accunode_round_trips_with_defaults() {
        let stack = parse(ACCUNODE);
        let s = &stack.spec;
        assert_eq!(s.network.private_subnet_ids.len(), 2);
        assert!(!s.network.assign_public_ip && s.network.managed.is_none());

        let api = &s.services[0];
        assert_eq!((api.cpu, api.memory, api.port), (256, 512, Some(8000)));
        let expose = api.expose.as_ref().expect("api is exposed");
        assert_eq!(expose.paths, ["/*"]);
        assert_eq!(expose.health_check, HealthCheck { path: "/health".into(), ..HealthCheck::default() });
        assert_eq!((expose.health_check.interval_seconds, expose.health_check.matcher.as_str()), (30, "200-399"));
        let scaling = api.autoscaling.as_ref().expect("autoscaling");
        assert_eq!((scaling.min_replicas, scaling.max_replicas, scaling.target_cpu_percent), (1, 2, Some(70)));
        assert_eq!(api.capacity, Capacity::OnDemand);
        assert_eq!(api.cpu_architecture, CpuArchitecture::X86_64);
        assert_eq!(api.deployment, Deployment::default());
        assert_eq!((api.replicas, api.health_check_grace_period_seconds, api.log_retention_days), (1, 60, 7));

        let worker = &s.services[1];
        assert_eq!((worker.cpu, worker.memory, worker.port), (256, 512, None), "defaults to the smallest Fargate size");
        let scaling = worker.autoscaling.as_ref().expect("autoscaling");
        assert_eq!((scaling.scale_out_cooldown_seconds, scaling.scale_in_cooldown_seconds), (180, 300));
        assert_eq!(worker.secret_env[0].ssm_parameter.as_deref(), Some("/accunode/secret-key"));

        assert_eq!(s.load_balancer, LoadBalancerSpec::default());
        assert_eq!(s.load_balancer.scheme, Scheme::InternetFacing);
        assert_eq!(s.load_balancer.allowed_cidrs, ["0.0.0.0/0"]);
        assert!(s.bindings[0].applies_to("worker") && s.bindings[1].applies_to("api"));
        assert_eq!(s.bindings[1].cache.as_deref(), Some("accunode-redis"));
        assert_eq!(s.deletion_policy, AppStackDeletionPolicy::Delete);

        let again = parse(&serde_yaml::to_string(&stack).expect("ser"));
        assert_eq!(again.spec, stack.spec);
    }

    #[test]
    fn paperwurks_managed_network_and_bucket_bindings() {
        let s = parse(PAPERWURKS_DEV).spec;
        assert_eq!(s.network.managed, Some(ManagedNetwork::default()));
        assert!(s.network.vpc_id.is_none());
        assert_eq!(s.bindings[1].bucket_access(), BucketAccess::ReadWrite);
        assert_eq!(s.bindings[2].access, Some(BucketAccess::ReadWrite));
        assert!(s.services[1].expose.is_none() && s.services[1].autoscaling.is_none());
    }

    #[test]
    fn chat_companions_volumes_and_https() {
        let s = parse(CHAT).spec;
        assert_eq!(s.network.managed, Some(ManagedNetwork::default()), "managed: {{}} takes every default");
        assert_eq!(s.services[0].env.len(), 4);
        assert_eq!(s.services[0].secret_env[0].key.as_deref(), Some("secret"));
        assert_eq!(
            s.services[1].volumes[0],
            Volume { name: "data".into(), mount_path: "/data/db".into(), read_only: false, uid: 1000, gid: 1000 }
        );
        assert_eq!(s.volume_deletion_policy, VolumeDeletionPolicy::Retain, "a careless delete keeps the data");
        let check = s.services[1].container_health_check.as_ref().expect("health check");
        assert_eq!(
            (check.interval_seconds, check.timeout_seconds, check.retries, check.start_period_seconds),
            (30, 5, 3, 0)
        );
        assert_eq!(s.services[2].cpu_architecture.as_str(), "ARM64");
        assert!(s.load_balancer.certificate_arn.is_some());
    }

    #[test]
    fn enum_spellings_match_the_api() {
        assert_eq!(serde_json::to_value(Capacity::Spot).expect("ser"), "spot");
        assert_eq!(serde_json::to_value(Capacity::OnDemand).expect("ser"), "onDemand");
        assert_eq!(Capacity::Spot.capacity_provider(), "FARGATE_SPOT");
        assert_eq!(serde_json::to_value(CpuArchitecture::Arm64).expect("ser"), "ARM64");
        assert_eq!(serde_json::to_value(Scheme::InternetFacing).expect("ser"), "internet-facing");
        assert_eq!(serde_json::to_value(BucketAccess::ReadOnly).expect("ser"), "ReadOnly");
    }

    #[test]
    fn struct_defaults_equal_their_field_defaults() {
        assert_eq!(serde_yaml::from_str::<LoadBalancerSpec>("{}").expect("de"), LoadBalancerSpec::default());
        assert_eq!(serde_yaml::from_str::<HealthCheck>("{}").expect("de"), HealthCheck::default());
        assert_eq!(serde_yaml::from_str::<Deployment>("{}").expect("de"), Deployment::default());
        assert_eq!(serde_yaml::from_str::<ManagedNetwork>("{}").expect("de"), ManagedNetwork::default());
    }

    #[test]
    fn status_uses_the_api_field_names() {
        let status = AppStackStatus {
            url: Some("http://lb.example".into()),
            load_balancer: Some(LoadBalancerStatus { arn: Some("arn".into()), dns_name: Some("lb.example".into()) }),
            services: vec![ServiceStatus {
                name: "api".into(),
                desired_count: 2,
                running_count: 1,
                pending_count: 1,
                rollout_state: Some("IN_PROGRESS".into()),
                ..ServiceStatus::default()
            }],
            task_security_group_id: Some("sg-0123".into()),
            file_system_id: Some("fs-0123".into()),
            network: Some(StackNetworkStatus {
                vpc_id: Some("vpc-0123".into()),
                data_subnet_ids: vec!["subnet-0a".into(), "subnet-0b".into()],
                ..Default::default()
            }),
            common: CommonStatus::default(),
        };
        let json = serde_json::to_value(&status).expect("ser");
        assert_eq!(json["taskSecurityGroupId"], "sg-0123");
        assert_eq!(json["fileSystemId"], "fs-0123");
        assert_eq!(json["network"]["dataSubnetIds"][1], "subnet-0b");
        assert_eq!(json["loadBalancer"]["dnsName"], "lb.example");
        assert_eq!(json["services"][0]["runningCount"], 1);
        assert_eq!(json["services"][0]["rolloutState"], "IN_PROGRESS");
    }

    fn spec_schema() -> JSONSchemaProps {
        let crd = AppStack::crd();
        let root = crd.spec.versions[0].schema.clone().and_then(|s| s.open_api_v3_schema).expect("schema");
        root.properties.expect("props")["spec"].clone()
    }

    fn prop(schema: &JSONSchemaProps, name: &str) -> JSONSchemaProps {
        schema.properties.as_ref().and_then(|p| p.get(name)).cloned().unwrap_or_else(|| panic!("no property {name}"))
    }

    fn items(schema: &JSONSchemaProps) -> JSONSchemaProps {
        match schema.items.as_ref() {
            Some(
                k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::JSONSchemaPropsOrArray::Schema(s),
            ) => (**s).clone(),
            other => panic!("not a list: {other:?}"),
        }
    }

    fn rules(schema: &JSONSchemaProps) -> Vec<String> {
        schema.x_kubernetes_validations.iter().flatten().map(|r| r.rule.clone()).collect()
    }

    #[test]
    fn crd_has_names_and_columns() {
        let crd = AppStack::crd();
        assert_eq!(crd.spec.names.short_names, Some(vec!["stack".to_string()]));
        assert_eq!(crd.spec.names.categories, Some(vec!["stackwright".to_string()]));
        let columns: Vec<(String, String)> = crd.spec.versions[0]
            .additional_printer_columns
            .iter()
            .flatten()
            .map(|c| (c.name.clone(), c.json_path.clone()))
            .collect();
        assert_eq!(columns.iter().map(|c| c.0.as_str()).collect::<Vec<_>>(), ["Ready", "Status", "URL", "Cost", "Age"]);
        assert_eq!(columns[2].1, ".status.url");
        assert_eq!(columns[3].1, ".status.estimatedMonthlyCostUSD");
    }

    #[test]
    fn crd_carries_the_service_rules() {
        let spec = spec_schema();
        let services = prop(&spec, "services");
        assert_eq!(services.max_items, Some(20));
        assert!(rules(&services).contains(&"self.all(s, self.exists_one(o, o.name == s.name))".to_string()));

        let service = items(&services);
        let service_rules = rules(&service);
        assert!(service_rules.contains(&crate::fargate::cpu_rule().rule));
        assert!(service_rules.contains(&crate::fargate::memory_rule().rule));
        assert!(service_rules.contains(&"!has(self.expose) || has(self.port)".to_string()));
        assert!(service_rules.iter().any(|r| r.contains("requestsPerTarget") && r.contains("has(self.expose)")));
        assert_eq!(prop(&service, "name").pattern.as_deref(), Some(DNS_LABEL_PATTERN));
        assert_eq!(prop(&service, "env").max_items, Some(100));
        for list in ["env", "secretEnv"] {
            let env = prop(&service, list);
            assert_eq!(env.x_kubernetes_list_type.as_deref(), Some("map"), "{list} names are unique");
            assert_eq!(env.x_kubernetes_list_map_keys, Some(vec!["name".to_string()]));
        }
        assert_eq!(prop(&service, "cpu").default.map(|d| d.0), Some(serde_json::json!(256)));

        let autoscaling = prop(&service, "autoscaling");
        assert!(rules(&autoscaling).contains(&"self.minReplicas <= self.maxReplicas".to_string()));
        assert!(
            autoscaling.description.as_deref().is_some_and(|d| d.starts_with("Scale the number of tasks with load"))
        );
        assert!(prop(&autoscaling, "targetCPUPercent").description.is_some());
        assert_eq!(prop(&autoscaling, "scaleInCooldownSeconds").default.map(|d| d.0), Some(serde_json::json!(300)));

        let memory_doc = prop(&service, "memory").description.expect("memory is documented");
        for (cpu, memory) in crate::fargate::TABLE {
            assert!(memory_doc.contains(&format!("{cpu}: {}", memory.describe())), "memory doc misses cpu {cpu}");
        }

        let expose = prop(&service, "expose");
        // ALB evaluates at most three values per condition and five per rule.
        assert_eq!(prop(&expose, "paths").max_items, Some(3));
        assert_eq!(prop(&expose, "hosts").max_items, Some(3));
        let rules = expose.x_kubernetes_validations.clone().unwrap_or_default();
        assert!(rules.iter().any(|r| r.rule.contains("size(self.paths)") && r.rule.contains("<= 5")), "{rules:?}");
        assert_eq!(prop(&expose, "paths").default.map(|d| d.0), Some(serde_json::json!(["/*"])));
    }

    #[test]
    fn crd_carries_network_binding_and_load_balancer_rules() {
        let spec = spec_schema();
        assert!(rules(&spec).iter().any(|r| r.contains("b.services.all(n, self.services.exists(s, s.name == n))")));
        let network = prop(&spec, "network");
        assert!(rules(&network).contains(&"has(self.managed) != has(self.vpcId)".to_string()));
        assert!(rules(&prop(&network, "managed")).contains(&"self.natGateways <= self.availabilityZones".to_string()));

        let bindings = prop(&spec, "bindings");
        assert_eq!(bindings.max_items, Some(20));
        let binding = items(&bindings);
        assert!(rules(&binding).iter().any(|r| r.ends_with("(has(self.bucket) ? 1 : 0) == 1")));
        assert_eq!(prop(&binding, "envPrefix").pattern.as_deref(), Some("^[A-Z][A-Z0-9_]*$"));
        assert_eq!(prop(&binding, "services").x_kubernetes_list_type.as_deref(), Some("set"));

        let lb = prop(&spec, "loadBalancer");
        let certificate = prop(&lb, "certificateArn").pattern.expect("certificateArn has a pattern");
        assert!(certificate.starts_with("^arn:aws[a-z-]*:(acm:"), "{certificate}");
        assert!(certificate.contains("|iam::[0-9]{12}:server-certificate/"), "{certificate}");
        assert_eq!(prop(&lb, "scheme").enum_.map(|e| e.len()), Some(2));
        assert_eq!(
            lb.default.map(|d| d.0),
            Some(
                serde_json::json!({"scheme": "internet-facing", "idleTimeoutSeconds": 60, "deregistrationDelaySeconds": 30, "allowedCidrs": ["0.0.0.0/0"]})
            )
        );
        assert_eq!(prop(&spec, "deletionPolicy").default.map(|d| d.0), Some(serde_json::json!("Delete")));
    }
}
