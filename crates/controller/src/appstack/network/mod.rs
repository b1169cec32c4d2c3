//! The network an AppStack creates and owns (`network.managed`), a pipeline of its own that runs
//! before the rest of the stack: `desired` (the layout, from the spec alone) → `observe` →
//! `plan` (one wave of creation or repair; `teardown` for deletion) → `apply`. The stack's
//! other resources are placed in it once its VPC and subnets exist; its services start once it
//! is whole (NAT gateways available).

pub mod apply;
pub mod desired;
pub mod observe;
pub mod plan;
