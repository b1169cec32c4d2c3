//! The Database kind (RDS PostgreSQL), one file per step of its pipeline. Built so far:
//! `desired` (spec → the RDS and EC2 resources it asks for). Where it is placed and who may
//! connect come from the AppStacks of its namespace (`crate::placement`).

pub mod desired;
