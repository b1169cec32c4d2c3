//! One error type for every AWS call, with a bounded category for metrics and condition reasons.

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// What kind of failure an AWS call had: decides retry versus stall, and labels metrics.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCategory {
    /// The resource does not exist.
    NotFound,
    /// A create found the resource already there: observe again, never a stall.
    AlreadyExists,
    /// The resource is in a state that refuses the call for now (still creating, modifying,
    /// deleting, or held by a dependent): try later, never a stall.
    Busy,
    /// The resource exists in a state only a person can change (a bucket that is not empty, a
    /// global name held by another account).
    Conflict,
    /// AWS asked us to slow down; retried with backoff.
    Throttled,
    /// Credentials or IAM policy do not allow the call.
    AccessDenied,
    /// An account quota or service limit is reached: a person must raise it or free capacity.
    QuotaExceeded,
    /// AWS refused a value: a person has to change the spec.
    Invalid,
    /// Network, timeouts, 5xx: retried with backoff.
    Transient,
}

impl ErrorCategory {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCategory::NotFound => "not_found",
            ErrorCategory::AlreadyExists => "already_exists",
            ErrorCategory::Busy => "busy",
            ErrorCategory::Conflict => "conflict",
            ErrorCategory::Throttled => "throttled",
            ErrorCategory::AccessDenied => "access_denied",
            ErrorCategory::QuotaExceeded => "quota_exceeded",
            ErrorCategory::Invalid => "invalid",
            ErrorCategory::Transient => "transient",
        }
    }

    /// Whether a person has to act before a retry can succeed.
    pub fn needs_a_person(self) -> bool {
        matches!(
            self,
            ErrorCategory::AccessDenied
                | ErrorCategory::QuotaExceeded
                | ErrorCategory::Invalid
                | ErrorCategory::Conflict
        )
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
    /// A request the SDK refused to build (a required field missing): the caller's bug, so
    /// `Invalid`, never retried.
    pub(crate) fn unbuildable(operation: &'static str, err: impl std::fmt::Display) -> Self {
        CloudError { category: ErrorCategory::Invalid, operation, code: "Request".into(), message: err.to_string() }
    }

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
                let service = operation.split_once(':').map_or("", |(service, _)| service);
                let category = categorize(service, &code, status);
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

/// Classifies an AWS error code: first by the exact codes of the calling service (`service` is
/// the prefix of the operation, e.g. `rds` in `rds:ModifyDBInstance`), then by the codes every
/// service shares, then by the code's form, and last by the HTTP status.
///
/// Exact codes come first because forms mislead: `InvalidDBInstanceState` means "busy, try
/// later", `InvalidGroup.Duplicate` means "already exists", neither is a spec error.
pub fn categorize(service: &str, code: &str, status: Option<u16>) -> ErrorCategory {
    use ErrorCategory::*;
    let exact = match (service, code) {
        ("s3", "BucketAlreadyOwnedByYou") => Some(AlreadyExists),
        // Global names: the bucket is another account's.
        ("s3", "BucketAlreadyExists" | "BucketNotEmpty" | "InvalidObjectState") => Some(Conflict),
        ("s3", "OperationAborted" | "InvalidBucketState") => Some(Busy),
        ("s3", "TooManyBuckets") => Some(QuotaExceeded),
        ("ec2", "InvalidGroup.Duplicate" | "InvalidPermission.Duplicate" | "RouteAlreadyExists") => Some(AlreadyExists),
        // A subnet that already has a route table, a gateway attached to a VPC, an address
        // already associated: what an earlier call did; observe again.
        ("ec2", "Resource.AlreadyAssociated") => Some(AlreadyExists),
        // A CIDR block overlapping a subnet already in the VPC: a create of ours whose answer was
        // lost is found by listing the VPC's subnets before creating, so this one is someone
        // else's, and only a person can move it.
        ("ec2", "InvalidSubnet.Conflict") => Some(Conflict),
        ("ec2", "IncorrectState" | "IncorrectInstanceState" | "InvalidState") => Some(Busy),
        ("ec2", "DependencyViolation" | "InvalidGroup.InUse" | "ResourceInUse") => Some(Busy),
        // An Elastic IP address still associated (a NAT gateway not yet deleted holds it).
        ("ec2", "InvalidIPAddress.InUse") => Some(Busy),
        // Detaching an internet gateway that is not attached to that VPC: the attachment is not there.
        ("ec2", "Gateway.NotAttached") => Some(NotFound),
        // A client token reused for another request: a bug to fix, not a state to wait out.
        ("ec2", "IdempotentParameterMismatch") => Some(Invalid),
        ("ec2", c) if c.ends_with("LimitExceeded") && c != "RequestLimitExceeded" => Some(QuotaExceeded),
        ("rds", "DBInstanceAlreadyExists" | "DBSnapshotAlreadyExists" | "DBSubnetGroupAlreadyExists")
        | ("rds", "DBParameterGroupAlreadyExists") => Some(AlreadyExists),
        ("rds", "InvalidDBInstanceState" | "InvalidDBSubnetGroupStateFault" | "InvalidDBParameterGroupState")
        | ("rds", "InvalidDBSnapshotState" | "InvalidDBSubnetGroupState") => Some(Busy),
        ("rds", "InsufficientDBInstanceCapacity") => Some(Transient),
        ("elasticache", "ReplicationGroupAlreadyExists" | "CacheSubnetGroupAlreadyExists")
        | ("elasticache", "CacheParameterGroupAlreadyExists" | "SnapshotAlreadyExistsFault") => Some(AlreadyExists),
        ("elasticache", "InvalidReplicationGroupState" | "InvalidCacheClusterState" | "CacheSubnetGroupInUse")
        | ("elasticache", "InvalidCacheParameterGroupState" | "InvalidSnapshotState") => Some(Busy),
        ("elasticache", "InsufficientCacheClusterCapacity") => Some(Transient),
        ("ecs", "ServiceNotActiveException" | "ServiceNotFoundException" | "ClusterNotFoundException") => {
            Some(NotFound)
        }
        ("ecs", "UpdateInProgressException" | "ResourceInUseException" | "ClusterContainsServicesException")
        | ("ecs", "ClusterContainsTasksException") => Some(Busy),
        ("ecs", "ServerException") => Some(Transient),
        ("elbv2", "DuplicateLoadBalancerName" | "DuplicateTargetGroupName" | "DuplicateListener") => {
            Some(AlreadyExists)
        }
        ("elbv2", "ResourceInUse" | "PriorityInUse") => Some(Busy),
        ("elbv2", c) if c.starts_with("TooMany") => Some(QuotaExceeded),
        ("autoscaling", "ObjectNotFoundException") => Some(NotFound),
        ("autoscaling", "ConcurrentUpdateException") => Some(Busy),
        ("iam", "EntityAlreadyExists") => Some(AlreadyExists),
        ("iam", "NoSuchEntity") => Some(NotFound),
        ("iam", "DeleteConflict" | "ConcurrentModification") => Some(Busy),
        ("logs", "ResourceAlreadyExistsException") => Some(AlreadyExists),
        ("logs", "OperationAbortedException") => Some(Busy),
        ("secretsmanager", "ResourceExistsException") => Some(AlreadyExists),
        ("efs", "FileSystemAlreadyExists" | "AccessPointAlreadyExists" | "MountTargetConflict") => Some(AlreadyExists),
        ("efs", "FileSystemInUse" | "IncorrectFileSystemLifeCycleState" | "IncorrectMountTargetState") => Some(Busy),
        ("servicediscovery", "NamespaceAlreadyExists" | "ServiceAlreadyExists") => Some(AlreadyExists),
        ("servicediscovery", "ResourceInUse") => Some(Busy),
        _ => None,
    };
    if let Some(category) = exact {
        return category;
    }
    const THROTTLED: &[&str] = &[
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "SlowDown",
        "RequestThrottled",
        "RequestThrottledException",
        "PriorRequestNotComplete",
        "EC2ThrottledException",
    ];
    const ACCESS: &[&str] = &[
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "Forbidden",
        "InvalidClientTokenId",
        "SignatureDoesNotMatch",
        "ExpiredToken",
        "ExpiredTokenException",
        "UnrecognizedClientException",
        "AuthFailure",
    ];
    const BUSY: &[&str] = &[
        "OperationAborted",
        "ConflictException",
        "ConcurrentModificationException",
        "ResourceInUse",
        "ResourceInUseException",
        "DependencyViolation",
        "IncorrectState",
    ];
    const TRANSIENT: &[&str] = &[
        "InternalError",
        "InternalFailure",
        "InternalServerError",
        "InternalServiceError",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "RequestTimeout",
        "RequestTimeoutException",
    ];
    const QUOTA: &[&str] = &["LimitExceeded", "LimitExceededException", "ServiceQuotaExceededException"];
    const INVALID: &[&str] = &[
        "InvalidParameter",
        "InvalidParameterValue",
        "InvalidParameterCombination",
        "InvalidParameterException",
        "InvalidArgument",
        "InvalidRequest",
        "InvalidRequestException",
        "ValidationError",
        "ValidationException",
        "MalformedXML",
        "MalformedPolicyDocument",
        "MissingParameter",
        "ClientException",
    ];
    let quota_form = |c: &str| {
        let c = c.trim_end_matches("Fault");
        (c.contains("Quota") && c.ends_with("Exceeded")) || (c.ends_with("LimitExceeded") && !THROTTLED.contains(&c))
    };
    if THROTTLED.contains(&code) {
        Throttled
    } else if ACCESS.contains(&code) {
        AccessDenied
    } else if BUSY.contains(&code) {
        Busy
    } else if TRANSIENT.contains(&code) {
        Transient
    } else if QUOTA.contains(&code) || quota_form(code) {
        QuotaExceeded
    } else if INVALID.contains(&code) {
        Invalid
    } else if code.contains("AlreadyExists") || code.ends_with(".Duplicate") {
        AlreadyExists
    } else if code == "NotFound" || code.starts_with("NoSuch") || code.contains("NotFound") {
        NotFound
    } else if code.contains("State") {
        // Invalid...State, Incorrect...State: the resource is mid-transition.
        Busy
    } else if !code.is_empty() && (code.starts_with("Invalid") || code.starts_with("Malformed")) {
        Invalid
    } else {
        match status {
            Some(403) => AccessDenied,
            Some(404) => NotFound,
            Some(409) => Busy,
            Some(429) | Some(503) => Throttled,
            Some(s) if (400..500).contains(&s) && !code.is_empty() => Invalid,
            _ => Transient,
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
        use ErrorCategory::*;
        for (service, code, status, want) in [
            ("s3", "NoSuchBucket", 404, NotFound),
            ("s3", "NoSuchLifecycleConfiguration", 404, NotFound),
            ("s3", "ServerSideEncryptionConfigurationNotFoundError", 404, NotFound),
            ("s3", "SlowDown", 503, Throttled),
            ("s3", "AccessDenied", 403, AccessDenied),
            ("s3", "BucketAlreadyExists", 409, Conflict),
            ("s3", "BucketAlreadyOwnedByYou", 409, AlreadyExists),
            ("s3", "BucketNotEmpty", 409, Conflict),
            ("s3", "OperationAborted", 409, Busy),
            ("s3", "TooManyBuckets", 400, QuotaExceeded),
            ("s3", "InvalidArgument", 400, Invalid),
            ("s3", "MalformedXML", 400, Invalid),
            ("s3", "InternalError", 500, Transient),
            // The codes whose form would mislead.
            ("rds", "InvalidDBInstanceState", 400, Busy),
            ("rds", "DBInstanceAlreadyExists", 400, AlreadyExists),
            ("rds", "DBInstanceNotFound", 404, NotFound),
            ("rds", "InstanceQuotaExceeded", 400, QuotaExceeded),
            ("rds", "StorageQuotaExceeded", 400, QuotaExceeded),
            ("rds", "InvalidParameterCombination", 400, Invalid),
            ("ec2", "InvalidGroup.Duplicate", 400, AlreadyExists),
            ("ec2", "InvalidPermission.Duplicate", 400, AlreadyExists),
            ("ec2", "InvalidGroup.NotFound", 400, NotFound),
            ("ec2", "InvalidPermission.NotFound", 400, NotFound),
            ("ec2", "DependencyViolation", 400, Busy),
            ("ec2", "RulesPerSecurityGroupLimitExceeded", 400, QuotaExceeded),
            ("ec2", "RequestLimitExceeded", 503, Throttled),
            ("ec2", "InvalidParameterValue", 400, Invalid),
            // The VPC network: deletes of what is gone, what still depends, what was done before.
            ("ec2", "InvalidVpcID.NotFound", 400, NotFound),
            ("ec2", "InvalidSubnetID.NotFound", 400, NotFound),
            ("ec2", "InvalidInternetGatewayID.NotFound", 400, NotFound),
            ("ec2", "Gateway.NotAttached", 400, NotFound),
            ("ec2", "InvalidAllocationID.NotFound", 400, NotFound),
            ("ec2", "InvalidAddress.NotFound", 400, NotFound),
            ("ec2", "NatGatewayNotFound", 400, NotFound),
            ("ec2", "InvalidNatGatewayID.NotFound", 400, NotFound),
            ("ec2", "InvalidRouteTableID.NotFound", 400, NotFound),
            ("ec2", "InvalidAssociationID.NotFound", 400, NotFound),
            ("ec2", "InvalidRoute.NotFound", 400, NotFound),
            ("ec2", "InvalidVpcEndpointId.NotFound", 400, NotFound),
            ("ec2", "InvalidVpcEndpoint.NotFound", 400, NotFound),
            ("ec2", "Resource.AlreadyAssociated", 400, AlreadyExists),
            ("ec2", "RouteAlreadyExists", 400, AlreadyExists),
            ("ec2", "InvalidSubnet.Conflict", 400, Conflict),
            ("ec2", "InvalidIPAddress.InUse", 400, Busy),
            ("ec2", "IdempotentParameterMismatch", 400, Invalid),
            ("ec2", "InvalidSubnet.Range", 400, Invalid),
            ("ec2", "VpcLimitExceeded", 400, QuotaExceeded),
            ("ec2", "AddressLimitExceeded", 400, QuotaExceeded),
            ("ec2", "NatGatewayLimitExceeded", 400, QuotaExceeded),
            ("elasticache", "InvalidReplicationGroupState", 400, Busy),
            ("elasticache", "InvalidCacheParameterGroupState", 400, Busy),
            ("elasticache", "NodeQuotaForCustomerExceeded", 400, QuotaExceeded),
            ("elasticache", "ReplicationGroupAlreadyExists", 400, AlreadyExists),
            ("ecs", "ServiceNotActiveException", 400, NotFound),
            ("ecs", "InvalidParameterException", 400, Invalid),
            ("ecs", "LimitExceededException", 400, QuotaExceeded),
            ("elbv2", "DuplicateTargetGroupName", 400, AlreadyExists),
            ("elbv2", "TooManyTargetGroups", 400, QuotaExceeded),
            ("elbv2", "ResourceInUse", 400, Busy),
            ("autoscaling", "ObjectNotFoundException", 400, NotFound),
            ("iam", "EntityAlreadyExists", 409, AlreadyExists),
            ("iam", "DeleteConflict", 409, Busy),
            ("logs", "ResourceAlreadyExistsException", 400, AlreadyExists),
            ("efs", "IncorrectFileSystemLifeCycleState", 409, Busy),
        ] {
            assert_eq!(categorize(service, code, Some(status)), want, "{service} {code}");
        }
    }

    #[test]
    fn unknown_codes_fall_back_to_form_then_http_status() {
        use ErrorCategory::*;
        assert_eq!(categorize("x", "SomethingInvalidStateFault", Some(400)), Busy);
        assert_eq!(categorize("x", "ThingAlreadyExistsFault", Some(400)), AlreadyExists);
        assert_eq!(categorize("x", "", Some(404)), NotFound);
        assert_eq!(categorize("x", "", Some(403)), AccessDenied);
        assert_eq!(categorize("x", "", Some(409)), Busy);
        assert_eq!(categorize("x", "Weird", Some(400)), Invalid);
        assert_eq!(categorize("x", "Weird", Some(502)), Transient);
        assert_eq!(categorize("x", "", None), Transient);
    }

    #[test]
    fn only_what_a_person_must_fix_stalls() {
        use ErrorCategory::*;
        for c in [AccessDenied, QuotaExceeded, Invalid, Conflict] {
            assert!(c.needs_a_person(), "{c:?}");
        }
        for c in [NotFound, AlreadyExists, Busy, Throttled, Transient] {
            assert!(!c.needs_a_person(), "{c:?}");
        }
    }
}
