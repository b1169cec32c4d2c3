//! The Cache kind (ElastiCache Redis/Valkey), one file per step of its pipeline:
//! `desired` (spec → the resources it asks for) → `observe` (what AWS has: by name, or from the
//! sweep's shared listings on a resync) → `plan` (one wave of writes, a wait, or why a person is
//! needed) → `assess` (write or report; the verdict; the connection Secret's contents) → `apply`
//! (the wave), driven by `reconcile`, which holds no decisions. Placement and admission rules are
//! shared with Database (`crate::placement`, `crate::supporting`, `crate::access`).

pub mod apply;
pub mod assess;
pub mod desired;
pub mod observe;
pub mod plan;
pub mod reconcile;
