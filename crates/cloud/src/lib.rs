//! The AWS seam: every AWS call Stackwright makes goes through this crate. One module per AWS
//! service turns SDK calls into small domain types, and SDK errors into one [`CloudError`] with a
//! bounded [`ErrorCategory`]. Reconcilers never see an SDK type.

pub mod autoscaling;
pub mod calls;
pub mod config;
pub mod ec2;
pub mod ecs;
pub mod efs;
pub mod elasticache;
pub mod elbv2;
pub mod error;
pub mod faults;
pub mod iam;
pub mod logs;
mod paging;
pub mod rds;
pub mod s3;
pub mod secretsmanager;
pub mod servicediscovery;
pub mod transport;

pub use calls::{CallOutcome, CallRecorder};
pub use config::{AwsSettings, Cloud};
pub use error::{CloudError, ErrorCategory};
pub use faults::{FaultPlan, for_kind};
pub use transport::{Rate, RateLimits, in_background, is_background};
