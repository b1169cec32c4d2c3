//! Application Auto Scaling: the scalable targets (an ECS service's desired count) and
//! target-tracking policies of an AppStack's services.

use std::collections::BTreeMap;

use aws_sdk_applicationautoscaling::Client;
use aws_sdk_applicationautoscaling::types as t;

use crate::error::{CloudError, ErrorCategory, OptionalExt};
use crate::paging::all_pages;

/// The most resource ids (DescribeScalableTargets) or policy names (DescribeScalingPolicies) one
/// call takes.
const NAMES_PER_CALL: usize = 50;

/// The most scaling policies DescribeScalingPolicies returns per page (its `MaxResults` limit).
const POLICY_PAGE: i32 = 10;

/// The most scalable targets DescribeScalableTargets returns per page (its `MaxResults` limit).
const TARGET_PAGE: i32 = 50;

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

impl Metric {
    /// The `PredefinedMetricType` of the metric.
    fn metric_type(self) -> t::MetricType {
        match self {
            Metric::Cpu => t::MetricType::EcsServiceAverageCpuUtilization,
            Metric::Memory => t::MetricType::EcsServiceAverageMemoryUtilization,
            Metric::RequestsPerTarget => t::MetricType::AlbRequestCountPerTarget,
        }
    }

    fn of(metric_type: &t::MetricType) -> Option<Metric> {
        match metric_type {
            t::MetricType::EcsServiceAverageCpuUtilization => Some(Metric::Cpu),
            t::MetricType::EcsServiceAverageMemoryUtilization => Some(Metric::Memory),
            t::MetricType::AlbRequestCountPerTarget => Some(Metric::RequestsPerTarget),
            _ => None,
        }
    }
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

macro_rules! call {
    ($op:literal, $fut:expr) => {
        $fut.await.map_err(|e| CloudError::from_sdk(concat!("autoscaling:", $op), e))
    };
}

fn invalid(operation: &'static str, e: impl std::fmt::Display) -> CloudError {
    CloudError { category: ErrorCategory::Invalid, operation, code: "InvalidRequest".into(), message: e.to_string() }
}

/// `Ok(())` for a target or policy that is already gone (`ObjectNotFoundException`).
fn gone_is_ok<T>(result: Result<T, CloudError>) -> Result<(), CloudError> {
    result.optional().map(drop)
}

/// A target-tracking policy on one of the three predefined metrics; `None` for any other policy
/// (step scaling, a customized metric, ...), which Stackwright never puts.
fn policy_of(p: t::ScalingPolicy) -> Option<ScalingPolicy> {
    let conf = p.target_tracking_scaling_policy_configuration?;
    let spec = conf.predefined_metric_specification?;
    Some(ScalingPolicy {
        name: p.policy_name,
        resource_id: p.resource_id,
        metric: Metric::of(&spec.predefined_metric_type)?,
        resource_label: spec.resource_label,
        target_value: conf.target_value,
        scale_out_cooldown_seconds: conf.scale_out_cooldown.unwrap_or_default(),
        scale_in_cooldown_seconds: conf.scale_in_cooldown.unwrap_or_default(),
        arn: Some(p.policy_arn),
    })
}

impl AutoScaling {
    pub(crate) fn new(client: Client) -> Self {
        AutoScaling { client }
    }

    /// The scalable targets (`ecs:service:DesiredCount`) of these ECS services
    /// (`service/<cluster>/<service>`) that are registered: 50 resource ids a call, all pages;
    /// no ids, no call.
    pub async fn scalable_targets(&self, resource_ids: &[String]) -> Result<Vec<ScalableTarget>, CloudError> {
        let mut out = Vec::new();
        for chunk in resource_ids.chunks(NAMES_PER_CALL) {
            let targets = all_pages(|token| async move {
                let req = self
                    .client
                    .describe_scalable_targets()
                    .service_namespace(t::ServiceNamespace::Ecs)
                    .scalable_dimension(t::ScalableDimension::EcsServiceDesiredCount)
                    .set_resource_ids(Some(chunk.to_vec()))
                    .max_results(TARGET_PAGE)
                    .set_next_token(token);
                let page = call!("DescribeScalableTargets", req.send())?;
                let targets = page.scalable_targets.unwrap_or_default().into_iter().map(|st| ScalableTarget {
                    resource_id: st.resource_id,
                    min_capacity: st.min_capacity,
                    max_capacity: st.max_capacity,
                    arn: st.scalable_target_arn,
                });
                Ok((targets.collect(), page.next_token))
            })
            .await?;
            out.extend(targets);
        }
        Ok(out)
    }

    /// Registers an ECS service's desired count as a scalable target, or updates the bounds of
    /// one that is registered; returns its ARN.
    ///
    /// `tags` (sent only when there are any) tag the target when this call creates it. AWS
    /// documents `Tags` as "Use this parameter to tag the scalable target when it is created. To
    /// tag an existing scalable target, use the TagResource operation": a call that updates a
    /// registered target is not relied on to change its tags. Callers update with no tags and
    /// change the tags of a registered target with [`AutoScaling::tag_resource`].
    pub async fn register_scalable_target(
        &self,
        resource_id: &str,
        min: i32,
        max: i32,
        tags: &BTreeMap<String, String>,
    ) -> Result<Option<String>, CloudError> {
        let tags = (!tags.is_empty()).then(|| tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect());
        let req = self
            .client
            .register_scalable_target()
            .service_namespace(t::ServiceNamespace::Ecs)
            .scalable_dimension(t::ScalableDimension::EcsServiceDesiredCount)
            .resource_id(resource_id)
            .min_capacity(min)
            .max_capacity(max)
            .set_tags(tags);
        let out = call!("RegisterScalableTarget", req.send())?;
        Ok(out.scalable_target_arn)
    }

    /// Deregisters an ECS service's scalable target, which deletes its scaling policies too; one
    /// that is not registered is success.
    pub async fn deregister_scalable_target(&self, resource_id: &str) -> Result<(), CloudError> {
        let req = self
            .client
            .deregister_scalable_target()
            .service_namespace(t::ServiceNamespace::Ecs)
            .scalable_dimension(t::ScalableDimension::EcsServiceDesiredCount)
            .resource_id(resource_id);
        gone_is_ok(call!("DeregisterScalableTarget", req.send()))
    }

    /// The ECS target-tracking policies with these names, on any service (names are unique per
    /// scalable target only: the policies carry their resource id): 50 names a call, all pages;
    /// no names, no call. Policies that are not target tracking on one of the three predefined
    /// metrics are left out (Stackwright never puts one; a put of the same name replaces it).
    ///
    /// The names are matched here too: the result holds only policies of the names asked for,
    /// also from a service that ignores the `PolicyNames` filter (the emulator does).
    pub async fn scaling_policies(&self, policy_names: &[String]) -> Result<Vec<ScalingPolicy>, CloudError> {
        let mut out = Vec::new();
        for chunk in policy_names.chunks(NAMES_PER_CALL) {
            let policies = all_pages(|token| async move {
                let req = self
                    .client
                    .describe_scaling_policies()
                    .service_namespace(t::ServiceNamespace::Ecs)
                    .set_policy_names(Some(chunk.to_vec()))
                    .max_results(POLICY_PAGE)
                    .set_next_token(token);
                let page = call!("DescribeScalingPolicies", req.send())?;
                let policies = page
                    .scaling_policies
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|p| p.scalable_dimension == t::ScalableDimension::EcsServiceDesiredCount)
                    .filter(|p| chunk.contains(&p.policy_name))
                    .filter_map(policy_of);
                Ok((policies.collect(), page.next_token))
            })
            .await?;
            out.extend(policies);
        }
        Ok(out)
    }

    /// Creates or replaces a target-tracking scaling policy on an ECS service's desired count;
    /// returns its ARN. The service's scalable target must be registered (else `NotFound`,
    /// `ObjectNotFoundException`).
    pub async fn put_scaling_policy(&self, p: &ScalingPolicy) -> Result<String, CloudError> {
        const OP: &str = "autoscaling:PutScalingPolicy";
        let spec = t::PredefinedMetricSpecification::builder()
            .predefined_metric_type(p.metric.metric_type())
            .set_resource_label(p.resource_label.clone())
            .build()
            .map_err(|e| invalid(OP, e))?;
        let conf = t::TargetTrackingScalingPolicyConfiguration::builder()
            .target_value(p.target_value)
            .predefined_metric_specification(spec)
            .scale_out_cooldown(p.scale_out_cooldown_seconds)
            .scale_in_cooldown(p.scale_in_cooldown_seconds)
            .build()
            .map_err(|e| invalid(OP, e))?;
        let req = self
            .client
            .put_scaling_policy()
            .policy_name(&p.name)
            .service_namespace(t::ServiceNamespace::Ecs)
            .scalable_dimension(t::ScalableDimension::EcsServiceDesiredCount)
            .resource_id(&p.resource_id)
            .policy_type(t::PolicyType::TargetTrackingScaling)
            .target_tracking_scaling_policy_configuration(conf);
        let out = call!("PutScalingPolicy", req.send())?;
        Ok(out.policy_arn)
    }

    /// Deletes a scaling policy of an ECS service; one that is not there is success.
    pub async fn delete_scaling_policy(&self, name: &str, resource_id: &str) -> Result<(), CloudError> {
        let req = self
            .client
            .delete_scaling_policy()
            .policy_name(name)
            .service_namespace(t::ServiceNamespace::Ecs)
            .scalable_dimension(t::ScalableDimension::EcsServiceDesiredCount)
            .resource_id(resource_id);
        gone_is_ok(call!("DeleteScalingPolicy", req.send()))
    }

    /// The tags of a scalable target by ARN; an unknown ARN is `NotFound`
    /// (`ResourceNotFoundException`).
    pub async fn tags(&self, arn: &str) -> Result<BTreeMap<String, String>, CloudError> {
        let out = call!("ListTagsForResource", self.client.list_tags_for_resource().resource_arn(arn).send())?;
        Ok(out.tags.unwrap_or_default().into_iter().collect())
    }

    /// Adds (or overwrites) tags on a scalable target by ARN; no tags, no call.
    pub async fn tag_resource(&self, arn: &str, tags: &BTreeMap<String, String>) -> Result<(), CloudError> {
        if tags.is_empty() {
            return Ok(());
        }
        let tags = tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        call!("TagResource", self.client.tag_resource().resource_arn(arn).set_tags(Some(tags)).send()).map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(spec: Option<t::PredefinedMetricSpecification>) -> t::ScalingPolicy {
        let mut conf = t::TargetTrackingScalingPolicyConfiguration::builder().target_value(60.0).scale_in_cooldown(300);
        if let Some(spec) = spec {
            conf = conf.predefined_metric_specification(spec);
        }
        t::ScalingPolicy::builder()
            .policy_arn("arn:policy")
            .policy_name("cpu")
            .service_namespace(t::ServiceNamespace::Ecs)
            .resource_id("service/c/s")
            .scalable_dimension(t::ScalableDimension::EcsServiceDesiredCount)
            .policy_type(t::PolicyType::TargetTrackingScaling)
            .target_tracking_scaling_policy_configuration(conf.build().expect("target value set"))
            .creation_time(aws_smithy_types::DateTime::from_secs(0))
            .build()
            .expect("required fields set")
    }

    fn spec(metric: t::MetricType) -> t::PredefinedMetricSpecification {
        t::PredefinedMetricSpecification::builder().predefined_metric_type(metric).build().expect("type set")
    }

    #[test]
    fn target_tracking_policies_on_the_three_metrics_are_read() {
        let p = policy_of(policy(Some(spec(t::MetricType::EcsServiceAverageCpuUtilization)))).expect("a cpu policy");
        assert_eq!(
            p,
            ScalingPolicy {
                name: "cpu".into(),
                resource_id: "service/c/s".into(),
                metric: Metric::Cpu,
                resource_label: None,
                target_value: 60.0,
                scale_out_cooldown_seconds: 0,
                scale_in_cooldown_seconds: 300,
                arn: Some("arn:policy".into()),
            }
        );
        for metric in [Metric::Cpu, Metric::Memory, Metric::RequestsPerTarget] {
            assert_eq!(Metric::of(&metric.metric_type()), Some(metric));
        }
    }

    #[test]
    fn other_policies_are_left_out() {
        assert_eq!(policy_of(policy(Some(spec(t::MetricType::DynamoDbReadCapacityUtilization)))), None);
        assert_eq!(policy_of(policy(None)), None, "a customized metric");
    }
}
