//! Counts every AWS call attempt by service, operation and outcome, through an SDK interceptor,
//! so no adapter can forget to.

use std::sync::Arc;

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeTransmitInterceptorContextMut, FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

use crate::faults::{FaultPlan, Injection};
use crate::transport::{DELAY_HEADER, FAULT_HEADER};

/// How an attempt ended, from its HTTP status: a small fixed set, fit for a metric label.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CallOutcome {
    Success,
    NotFound,
    AccessDenied,
    Throttled,
    ClientError,
    ServerError,
    TransportError,
}

impl CallOutcome {
    pub fn from_status(status: Option<u16>) -> Self {
        match status {
            None => CallOutcome::TransportError,
            Some(s) if s < 400 => CallOutcome::Success,
            Some(404) => CallOutcome::NotFound,
            Some(403) => CallOutcome::AccessDenied,
            Some(429) | Some(503) => CallOutcome::Throttled,
            Some(s) if s < 500 => CallOutcome::ClientError,
            Some(_) => CallOutcome::ServerError,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CallOutcome::Success => "success",
            CallOutcome::NotFound => "not_found",
            CallOutcome::AccessDenied => "access_denied",
            CallOutcome::Throttled => "throttled",
            CallOutcome::ClientError => "client_error",
            CallOutcome::ServerError => "server_error",
            CallOutcome::TransportError => "transport_error",
        }
    }
}

/// Receives one record per AWS call attempt. Implemented by the controller's metrics.
pub trait CallRecorder: std::fmt::Debug + Send + Sync {
    fn record(&self, service: &str, operation: &str, outcome: CallOutcome);
    /// An attempt waited `waited` for the client-side rate limit of (service, region).
    fn rate_limit_wait(&self, service: &str, region: &str, waited: std::time::Duration);
}

/// Whether an AWS operation changes anything (used to tell writes from reads in metrics and tests).
pub fn is_write(operation: &str) -> bool {
    !["Get", "Head", "List", "Describe"].iter().any(|p| operation.starts_with(p))
}

/// Counts every attempt, and applies the fault plan when there is one: the one place every AWS
/// call passes, so no adapter can escape either.
#[derive(Debug)]
pub(crate) struct CountingInterceptor {
    pub(crate) recorder: Arc<dyn CallRecorder>,
    pub(crate) faults: Option<Arc<FaultPlan>>,
}

fn operation_of(cfg: &ConfigBag) -> (&str, &str) {
    cfg.load::<Metadata>().map_or(("unknown", "unknown"), |m| (m.service(), m.name()))
}

impl Intercept for CountingInterceptor {
    fn name(&self) -> &'static str {
        "stackwright-call-counter"
    }

    fn modify_before_transmit(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(faults) = &self.faults else { return Ok(()) };
        let headers = context.request_mut().headers_mut();
        let (service, operation) = operation_of(cfg);
        match faults.before_attempt(service, operation) {
            Some(Injection::Fail { code }) => {
                headers.insert(FAULT_HEADER, code);
            }
            Some(Injection::Delay(d)) => {
                headers.insert(DELAY_HEADER, d.as_millis().to_string());
            }
            None => {}
        }
        Ok(())
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let (service, operation) = operation_of(cfg);
        let status = context.response().map(|r| r.status().as_u16());
        let outcome = CallOutcome::from_status(status);
        self.recorder.record(service, operation, outcome);
        if outcome == CallOutcome::Success && self.faults.as_ref().is_some_and(|f| f.crash_after(service, operation)) {
            eprintln!("stackwright: injected fault: aborting right after {service} {operation} succeeded");
            std::process::abort();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_from_status() {
        assert_eq!(CallOutcome::from_status(Some(200)), CallOutcome::Success);
        assert_eq!(CallOutcome::from_status(Some(204)), CallOutcome::Success);
        assert_eq!(CallOutcome::from_status(Some(404)), CallOutcome::NotFound);
        assert_eq!(CallOutcome::from_status(Some(503)), CallOutcome::Throttled);
        assert_eq!(CallOutcome::from_status(Some(409)), CallOutcome::ClientError);
        assert_eq!(CallOutcome::from_status(Some(500)), CallOutcome::ServerError);
        assert_eq!(CallOutcome::from_status(None), CallOutcome::TransportError);
    }

    #[test]
    fn reads_and_writes() {
        assert!(!is_write("GetBucketVersioning"));
        assert!(!is_write("HeadBucket"));
        assert!(!is_write("ListObjectVersions"));
        assert!(is_write("PutBucketVersioning"));
        assert!(is_write("CreateBucket"));
        assert!(is_write("DeleteObjects"));
    }
}
