//! Status fields and spec pieces that every kind shares.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The part of `status` that every Stackwright kind reports (flattened into each kind's status).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CommonStatus {
    /// The `metadata.generation` this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// kstatus conditions: `Ready` (always present), `Reconciling` and `Stalled` (present only while True).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    /// Inventory of the AWS resources this object owns.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<OwnedResource>,
    /// Fixed monthly cost of what this object owns, in US dollars, from the built-in price table
    /// for its region. Usage-based charges (storage used, requests, data transfer) are not included.
    #[serde(default, rename = "estimatedMonthlyCostUSD", skip_serializing_if = "Option::is_none")]
    pub estimated_monthly_cost_usd: Option<String>,
    /// AWS resources this object began to create where AWS cannot take ownership tags in the
    /// create call itself (`<service>:<Type>/<name>`, e.g. `s3:Bucket/docs-1a2b3c`). Recorded, and
    /// confirmed by the API server, before the create is sent and kept while the object lives, so
    /// a controller restarted between the create and the tagging still knows the resource is ours.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub claims: Vec<String>,
}

/// The status of a Stackwright kind, which embeds [`CommonStatus`].
pub trait HasCommonStatus {
    fn common(&self) -> &CommonStatus;
    fn common_mut(&mut self) -> &mut CommonStatus;
}

/// Implements [`HasCommonStatus`] for a status struct with a flattened `common` field.
#[macro_export]
macro_rules! has_common_status {
    ($($status:ty),+) => {$(
        impl $crate::common::HasCommonStatus for $status {
            fn common(&self) -> &$crate::common::CommonStatus {
                &self.common
            }
            fn common_mut(&mut self) -> &mut $crate::common::CommonStatus {
                &mut self.common
            }
        }
    )+};
}

/// One AWS resource in an object's inventory.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OwnedResource {
    /// `<service>:<Type>`, for example `s3:Bucket` or `elbv2:TargetGroup`.
    pub kind: String,
    /// Name, id or ARN of the resource.
    pub id: String,
    /// What AWS reports about it (`Available`, `Creating`, ...), or `InSync`/`Drifted` where AWS has no state.
    pub state: String,
}
