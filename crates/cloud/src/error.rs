//! One error type for every AWS call, with a bounded category for metrics and condition reasons.

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// What kind of failure an AWS call had: decides retry versus stall, and labels metrics.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCategory {
    /// The resource does not exist.
    NotFound,
    /// The resource exists in a state that refuses the call (already exists, not empty, in use).
    Conflict,
    /// AWS asked us to slow down; retried with backoff.
    Throttled,
    /// Credentials or IAM policy do not allow the call.
    AccessDenied,
    /// AWS refused a value: a person has to change the spec.
    Invalid,
    /// Network, timeouts, 5xx: retried with backoff.
    Transient,
}

impl ErrorCategory {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCategory::NotFound => "not_found",
            ErrorCategory::Conflict => "conflict",
            ErrorCategory::Throttled => "throttled",
            ErrorCategory::AccessDenied => "access_denied",
            ErrorCategory::Invalid => "invalid",
            ErrorCategory::Transient => "transient",
        }
    }
}

/// A failed AWS call.
#[derive(Clone, Debug, thiserror::Error)]
#[error("{operation}: {code}: {message}")]
pub struct CloudError {
    pub category: ErrorCategory,
    /// The AWS operation, e.g. `s3:PutBucketVersioning`.
    pub operation: &'static str,
    /// The AWS error code (`NoSuchBucket`, `AccessDenied`, ...) or a short description.
    pub code: String,
    pub message: String,
}

impl CloudError {
    pub fn is_not_found(&self) -> bool {
        self.category == ErrorCategory::NotFound
    }

    /// Builds the error from any SDK error, classifying it by AWS error code, then by HTTP status.
    pub fn from_sdk<E, R>(operation: &'static str, err: SdkError<E, R>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug + HttpStatus,
    {
        let status = err.raw_response().map(HttpStatus::status_code);
        match &err {
            SdkError::ServiceError(service) => {
                let e = service.err();
                let code = e.code().unwrap_or_default().to_string();
                let message = e.message().map_or_else(|| e.to_string(), str::to_string);
                let category = categorize(&code, status);
                let code = if code.is_empty() {
                    status.map_or_else(|| "Unknown".into(), |s| format!("HTTP {s}"))
                } else {
                    code
                };
                CloudError { category, operation, code, message }
            }
            SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => CloudError {
                category: ErrorCategory::Transient,
                operation,
                code: "Transport".into(),
                message: error_chain(&err),
            },
            _ => CloudError {
                category: ErrorCategory::Invalid,
                operation,
                code: "Request".into(),
                message: error_chain(&err),
            },
        }
    }
}

/// The status code of a raw HTTP response (kept as a trait so error mapping stays testable).
pub trait HttpStatus {
    fn status_code(&self) -> u16;
}

impl HttpStatus for aws_smithy_runtime_api::http::Response {
    fn status_code(&self) -> u16 {
        self.status().as_u16()
    }
}

fn error_chain(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// Classifies an AWS error code, falling back to the HTTP status for codes we do not know.
pub fn categorize(code: &str, status: Option<u16>) -> ErrorCategory {
    const THROTTLED: &[&str] = &[
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "SlowDown",
        "RequestThrottled",
        "PriorRequestNotComplete",
    ];
    const ACCESS: &[&str] = &[
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "Forbidden",
        "InvalidClientTokenId",
        "SignatureDoesNotMatch",
        "ExpiredToken",
    ];
    const CONFLICT: &[&str] = &[
        "BucketAlreadyExists",
        "BucketAlreadyOwnedByYou",
        "BucketNotEmpty",
        "OperationAborted",
        "Conflict",
        "ConflictException",
        "ResourceInUse",
        "ResourceInUseException",
        "DependencyViolation",
        "InvalidObjectState",
    ];
    const TRANSIENT: &[&str] =
        &["InternalError", "InternalFailure", "ServiceUnavailable", "RequestTimeout", "RequestTimeoutException"];
    if THROTTLED.contains(&code) {
        ErrorCategory::Throttled
    } else if ACCESS.contains(&code) {
        ErrorCategory::AccessDenied
    } else if CONFLICT.contains(&code) || code.ends_with("AlreadyExists") || code.ends_with("AlreadyExistsFault") {
        ErrorCategory::Conflict
    } else if TRANSIENT.contains(&code) {
        ErrorCategory::Transient
    } else if code == "NotFound" || code.starts_with("NoSuch") || code.contains("NotFound") {
        ErrorCategory::NotFound
    } else if !code.is_empty()
        && (code.starts_with("Invalid") || code.starts_with("Malformed") || code.contains("Validation"))
    {
        ErrorCategory::Invalid
    } else {
        match status {
            Some(403) => ErrorCategory::AccessDenied,
            Some(404) => ErrorCategory::NotFound,
            Some(409) => ErrorCategory::Conflict,
            Some(429) | Some(503) => ErrorCategory::Throttled,
            Some(s) if (400..500).contains(&s) => ErrorCategory::Invalid,
            _ => ErrorCategory::Transient,
        }
    }
}

/// Turns `NotFound` into `Ok(None)`, for reads of optional configuration.
pub trait OptionalExt<T> {
    fn optional(self) -> Result<Option<T>, CloudError>;
}

impl<T> OptionalExt<T> for Result<T, CloudError> {
    fn optional(self) -> Result<Option<T>, CloudError> {
        match self {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_categories() {
        assert_eq!(categorize("NoSuchBucket", Some(404)), ErrorCategory::NotFound);
        assert_eq!(categorize("NoSuchLifecycleConfiguration", Some(404)), ErrorCategory::NotFound);
        assert_eq!(categorize("ServerSideEncryptionConfigurationNotFoundError", Some(404)), ErrorCategory::NotFound);
        assert_eq!(categorize("SlowDown", Some(503)), ErrorCategory::Throttled);
        assert_eq!(categorize("AccessDenied", Some(403)), ErrorCategory::AccessDenied);
        assert_eq!(categorize("BucketAlreadyExists", Some(409)), ErrorCategory::Conflict);
        assert_eq!(categorize("BucketNotEmpty", Some(409)), ErrorCategory::Conflict);
        assert_eq!(categorize("InvalidArgument", Some(400)), ErrorCategory::Invalid);
        assert_eq!(categorize("MalformedXML", Some(400)), ErrorCategory::Invalid);
        assert_eq!(categorize("InternalError", Some(500)), ErrorCategory::Transient);
    }

    #[test]
    fn unknown_codes_fall_back_to_http_status() {
        assert_eq!(categorize("", Some(404)), ErrorCategory::NotFound);
        assert_eq!(categorize("", Some(403)), ErrorCategory::AccessDenied);
        assert_eq!(categorize("Weird", Some(400)), ErrorCategory::Invalid);
        assert_eq!(categorize("Weird", Some(502)), ErrorCategory::Transient);
        assert_eq!(categorize("", None), ErrorCategory::Transient);
    }
}
