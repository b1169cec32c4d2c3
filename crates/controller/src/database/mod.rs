//! The Database kind (RDS PostgreSQL), one file per step of its pipeline. Built so far, all
//! pure: `desired` (spec → the RDS and EC2 resources it asks for), `plan` (desired + what AWS
//! has → one wave of writes, a wait, or why a person is needed) and `assess` (the verdict and the
//! connection Secret's contents). Not built yet: observe, apply and the driver. Where it is placed
//! and who may connect come from the AppStacks of its namespace (`crate::placement`).

pub mod assess;
pub mod desired;
pub mod plan;
