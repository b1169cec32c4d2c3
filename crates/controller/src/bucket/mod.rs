//! The Bucket reconciler: `desired` (spec → S3 settings), `plan` (desired + observed → changes),
//! `reconcile` (the driver that observes, plans, applies and reports).

pub mod desired;
pub mod plan;
pub mod reconcile;

pub use reconcile::{error_policy, reconcile};

/// The identity unit tests of this module reconcile under.
#[cfg(test)]
fn test_identity(name: &str) -> stackwright_api::naming::ObjectIdentity {
    stackwright_api::naming::ObjectIdentity {
        cluster_id: "dev".into(),
        kind: "Bucket".into(),
        namespace: "pw".into(),
        name: name.into(),
        uid: "u".into(),
    }
}
