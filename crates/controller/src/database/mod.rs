//! The Database kind (RDS PostgreSQL), one file per step of its pipeline. Built so far:
//! `desired` (spec → the RDS and EC2 resources it asks for) and `plan` (desired + what AWS has
//! → one wave of writes, a wait, or why a person is needed). Not built yet: observe, apply, assess
//! and the driver. Where it is placed and who may connect come from the AppStacks of its
//! namespace (`crate::placement`).

pub mod desired;
pub mod plan;
