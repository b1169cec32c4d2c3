//! The Bucket reconciler: `desired` (spec → S3 settings), `plan` (desired + observed → changes),
//! `reconcile` (the driver that observes, plans, applies and reports).

pub mod desired;
pub mod plan;
pub mod reconcile;

pub use reconcile::{error_policy, reconcile};
