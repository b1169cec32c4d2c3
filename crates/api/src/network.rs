//! Pieces shared by Database, Cache and AppStack: the network placement of a Database or Cache
//! (`spec.network`), the host/port endpoint they report, and the name, region and ARN patterns.

use kube::KubeSchema;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Regex: an AWS region name such as `us-east-1` or `eu-west-2` (same as Bucket's `region`).
pub const REGION_PATTERN: &str = r"^[a-z]{2}(-[a-z]+)+-[0-9]$";
/// Regex: a Kubernetes object name (RFC 1123 subdomain), for references to objects in the namespace.
pub const OBJECT_NAME_PATTERN: &str = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";
/// Regex: an RFC 1123 DNS label (lowercase letters, digits and `-`), e.g. a service name.
pub const DNS_LABEL_PATTERN: &str = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";
/// Regex: an IAM role ARN.
pub const IAM_ROLE_ARN_PATTERN: &str = r"^arn:aws[a-z-]*:iam::[0-9]{12}:role/[\w+=,.@/-]+$";

/// Where a Database or Cache is placed: in the network of an AppStack of this namespace, or in
/// explicitly named subnets of an existing VPC. Exactly one of `appStack` or `vpcId` + `subnetIds`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, KubeSchema)]
#[serde(rename_all = "camelCase")]
#[x_kube(
    validation = Rule::new("has(self.appStack) ? !has(self.vpcId) && !has(self.subnetIds) : has(self.vpcId) && has(self.subnetIds)")
        .message("network needs exactly one of: appStack (an AppStack in this namespace), or vpcId together with subnetIds"),
)]
pub struct NetworkRef {
    /// Name of an AppStack in the same namespace whose network to use: its database subnet tier
    /// when the stack manages its network (`network.managed`), otherwise its `privateSubnetIds`.
    /// Placement only: connections are admitted from the task security groups of the AppStacks
    /// that bind to this object (`spec.bindings`), and from nothing else.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = OBJECT_NAME_PATTERN), length(min = 1, max = 253))]
    pub app_stack: Option<String>,

    /// An existing VPC (`vpc-...`), together with subnetIds, instead of appStack.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^vpc-[0-9a-f]{8,17}$"), length(max = 21))]
    pub vpc_id: Option<String>,

    /// Subnets of vpcId (`subnet-...`) to place the instances in, with vpcId.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(min = 1, max = 16), inner(regex(pattern = r"^subnet-[0-9a-f]{8,17}$"), length(max = 24)))]
    pub subnet_ids: Vec<String>,
}

/// A network endpoint: DNS name and TCP port.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Endpoint {
    /// DNS name to connect to.
    pub address: String,
    /// TCP port.
    pub port: i32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_stack_or_explicit_subnets() {
        let by_stack: NetworkRef = serde_yaml::from_str("appStack: accunode").expect("valid");
        assert_eq!(by_stack.app_stack.as_deref(), Some("accunode"));
        assert!(by_stack.subnet_ids.is_empty());

        let explicit: NetworkRef =
            serde_yaml::from_str("vpcId: vpc-0cd7231cf6acb1d4f\nsubnetIds: [subnet-0a1b2c3d, subnet-0e1f2a3b]")
                .expect("valid");
        assert_eq!(explicit.vpc_id.as_deref(), Some("vpc-0cd7231cf6acb1d4f"));
        assert_eq!(explicit.subnet_ids.len(), 2);
        assert_eq!(
            serde_yaml::from_str::<NetworkRef>(&serde_yaml::to_string(&explicit).expect("ser")).expect("de"),
            explicit
        );
    }

    #[test]
    fn schema_carries_the_exactly_one_rule() {
        let schema = serde_json::to_string(&schemars::schema_for!(NetworkRef)).expect("schema");
        assert!(schema.contains("has(self.appStack) ? !has(self.vpcId) && !has(self.subnetIds)"), "{schema}");
        assert!(schema.contains(OBJECT_NAME_PATTERN.replace('\\', r"\\").as_str()), "{schema}");
    }
}
