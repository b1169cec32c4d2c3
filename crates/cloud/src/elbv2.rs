//! Elastic Load Balancing v2: an AppStack's Application Load Balancer, its listeners, target
//! groups and listener rules.

use std::collections::BTreeMap;

use aws_sdk_elasticloadbalancingv2::Client;

use crate::error::CloudError;

/// An Application Load Balancer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LoadBalancer {
    pub arn: String,
    pub name: String,
    pub dns_name: String,
    /// `internet-facing` or `internal`.
    pub scheme: String,
    /// `provisioning`, `active`, `active_impaired` or `failed`.
    pub state: String,
    pub vpc_id: String,
    pub subnet_ids: Vec<String>,
    pub security_group_ids: Vec<String>,
}

/// A CreateLoadBalancer request (type application, IPv4).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NewLoadBalancer {
    pub name: String,
    pub scheme: String,
    pub subnet_ids: Vec<String>,
    pub security_group_ids: Vec<String>,
    pub tags: BTreeMap<String, String>,
}

/// A target group's HTTP health check.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HealthCheck {
    pub path: String,
    pub interval_seconds: i32,
    pub timeout_seconds: i32,
    pub healthy_threshold: i32,
    pub unhealthy_threshold: i32,
    /// HTTP codes, e.g. `200-399`.
    pub matcher: String,
}

/// A target group (target type `ip`, protocol HTTP).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TargetGroup {
    pub arn: String,
    pub name: String,
    pub port: i32,
    pub protocol: String,
    pub target_type: String,
    pub vpc_id: String,
    pub health_check: HealthCheck,
    pub load_balancer_arns: Vec<String>,
}

/// A CreateTargetGroup request: protocol HTTP, target type ip, health check over HTTP on the
/// traffic port.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NewTargetGroup {
    pub name: String,
    pub port: i32,
    pub vpc_id: String,
    pub health_check: HealthCheck,
    pub tags: BTreeMap<String, String>,
}

/// What a listener or rule does with a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Forward to one target group.
    Forward { target_group_arn: String },
    /// Answer without a target (e.g. 404 `text/plain`).
    FixedResponse { status_code: String, content_type: String, body: String },
    /// Redirect to another protocol and port (e.g. HTTP → HTTPS 443, `HTTP_301`), keeping host,
    /// path and query.
    Redirect { protocol: String, port: String, status_code: String },
}

/// A listener.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listener {
    pub arn: String,
    pub port: i32,
    /// `HTTP` or `HTTPS`.
    pub protocol: String,
    pub certificate_arn: Option<String>,
    pub ssl_policy: Option<String>,
    pub default_action: Option<Action>,
}

/// A CreateListener / ModifyListener request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListenerSettings {
    pub port: i32,
    pub protocol: String,
    pub certificate_arn: Option<String>,
    pub ssl_policy: Option<String>,
    pub default_action: Action,
}

/// The conditions of a listener rule: all must match. Empty lists are left out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RuleConditions {
    pub paths: Vec<String>,
    pub hosts: Vec<String>,
}

/// A listener rule (not the default rule).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    pub arn: String,
    pub priority: i32,
    pub conditions: RuleConditions,
    pub action: Option<Action>,
}

/// The Elastic Load Balancing v2 client for one region.
#[derive(Clone, Debug)]
pub struct Elbv2 {
    client: Client,
}

impl Elbv2 {
    pub(crate) fn new(client: Client) -> Self {
        Elbv2 { client }
    }
}
