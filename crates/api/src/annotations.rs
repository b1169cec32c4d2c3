//! Annotations and the finalizer through which users (and the controller) steer an object.

/// `"true"`: take over an AWS resource that exists under the computed name without our tags.
pub const ADOPT: &str = "stackwright.io/adopt";
/// `"true"`: make no AWS writes for this object; reads and status reporting continue.
pub const PAUSED: &str = "stackwright.io/paused";
/// Any new value forces an immediate reconcile.
pub const RECONCILE_REQUESTED_AT: &str = "stackwright.io/reconcile-requested-at";
/// Holds a deleted object until its AWS resources are handled per `deletionPolicy`.
pub const FINALIZER: &str = "stackwright.io/cleanup";

/// Whether `key` is set to exactly `"true"` on an object.
pub fn is_true(meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta, key: &str) -> bool {
    meta.annotations.as_ref().and_then(|a| a.get(key)).is_some_and(|v| v == "true")
}
