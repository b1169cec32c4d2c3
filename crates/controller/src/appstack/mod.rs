//! The AppStack kind (ECS Fargate services behind an Application Load Balancer), one file per
//! step of its pipeline: `resolve` (the bindings, from the reflector stores) → `desired` (spec →
//! the closed set of AWS resources the stack owns) with `taskdef` (container definitions, their
//! content hash and the decision to register a revision), `rules` (listener rule priorities) and
//! `policies` (the roles' IAM documents) → `observe` (batched describes) → `plan` (one dependency
//! wave of writes; `teardown` for deletion) → `apply` → `assess` (status and outcome), driven by
//! `reconcile`. A network the stack owns has its own pipeline under `network`.

pub mod apply;
pub mod assess;
pub mod desired;
pub mod network;
pub mod observe;
pub mod plan;
pub mod policies;
pub mod reconcile;
pub mod resolve;
pub mod rules;
pub mod simulate;
pub mod storage;
pub mod taskdef;
pub mod teardown;
