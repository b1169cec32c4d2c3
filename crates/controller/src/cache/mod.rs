//! The Cache kind (ElastiCache Redis/Valkey), one file per step of its pipeline. Built so far,
//! all pure: `desired` (spec → the resources it asks for), `plan` (desired + what AWS has → one
//! wave of writes, a wait, or why a person is needed) and `assess` (the verdict and the connection
//! Secret's contents). Not built yet: observe, apply and the driver. Placement and admission rules
//! are shared with Database (`crate::placement`, `crate::supporting`).

pub mod assess;
pub mod desired;
pub mod plan;
