//! The Bucket kind, one file per step of its pipeline:
//! `desired` (spec → the S3 bucket it asks for) → `observe` (what S3 has) → `plan` (the changes,
//! in a safe order, or why none can be made) → `assess` (write or report; the verdict after the
//! writes) → `apply` (one wave of S3 writes), driven by `reconcile`, which holds no decisions.

pub mod apply;
pub mod assess;
pub mod desired;
pub mod observe;
pub mod plan;
pub mod reconcile;

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
