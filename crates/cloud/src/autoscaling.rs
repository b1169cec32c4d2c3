//! Application Auto Scaling: the scalable targets (an ECS service's desired count) and
//! target-tracking policies of an AppStack's services.

use std::collections::BTreeMap;

use aws_sdk_applicationautoscaling::Client;

use crate::error::CloudError;

/// The predefined metric a target-tracking policy follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Metric {
    /// `ECSServiceAverageCPUUtilization`
    Cpu,
    /// `ECSServiceAverageMemoryUtilization`
    Memory,
    /// `ALBRequestCountPerTarget` (needs a resource label).
    RequestsPerTarget,
}

/// A scalable target: `ecs:service:DesiredCount` of `service/<cluster>/<service>`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScalableTarget {
    /// `service/<cluster>/<service>`.
    pub resource_id: String,
    pub min_capacity: i32,
    pub max_capacity: i32,
    pub arn: Option<String>,
}

/// A target-tracking scaling policy on an ECS service.
#[derive(Clone, Debug, PartialEq)]
pub struct ScalingPolicy {
    pub name: String,
    pub resource_id: String,
    pub metric: Metric,
    /// For `RequestsPerTarget`: `app/<lb-name>/<id>/targetgroup/<tg-name>/<id>`.
    pub resource_label: Option<String>,
    pub target_value: f64,
    pub scale_out_cooldown_seconds: i32,
    pub scale_in_cooldown_seconds: i32,
    /// Set when read from AWS.
    pub arn: Option<String>,
}

/// The Application Auto Scaling client for one region.
#[derive(Clone, Debug)]
pub struct AutoScaling {
    client: Client,
}

impl AutoScaling {
    pub(crate) fn new(client: Client) -> Self {
        AutoScaling { client }
    }
}
