//! Deterministic fault injection for tests: fail chosen AWS operations with a chosen error code,
//! slow them down, or abort the process right after one succeeds. Off unless a plan is given
//! (`stackwright run --inject-faults`, which only tests use); then every AWS call passes through
//! it, because it sits where every call is counted.
//!
//! A plan is a comma-separated list of `OPERATION:ACTION`, where OPERATION is an AWS operation
//! name (`CreateBucket`), one of a given service (`servicediscovery.DeleteService`, with the SDK's
//! service name, where two services share an operation name) or `*`, optionally preceded by the kind whose reconciles it applies to
//! (`Cache/CreateSecurityGroup`: only the calls a Cache's reconcile makes, see [`for_kind`];
//! several kinds call the same operations), and ACTION is one of
//! - `crash-after`: abort the process right after the first successful call of the operation
//!   (the crash a restarted controller must recover from);
//! - `fail=N/CODE`: the next N attempts fail with the AWS error CODE;
//! - `fail%=P/CODE|CODE...`: each attempt fails with probability P percent, with one of the codes;
//! - `latency=MS`: each attempt waits MS milliseconds first.
//!
//! An injected failure never reaches AWS: the attempt is answered locally with the error in the
//! service's own wire format, so the SDK parses, classifies and retries it exactly like a real one.

use std::sync::Mutex;
use std::time::Duration;

/// What to do to one attempt of an operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Injection {
    /// Answer with this AWS error code instead of sending the request.
    Fail { code: String },
    /// Wait this long, then send the request.
    Delay(Duration),
}

#[derive(Debug)]
enum Action {
    CrashAfter,
    FailTimes { left: Mutex<u32>, code: String },
    FailPercent { percent: f64, codes: Vec<String> },
    Latency(Duration),
}

#[derive(Debug)]
struct Rule {
    /// Only calls made while reconciling this kind, when set.
    kind: Option<String>,
    operation: String,
    action: Action,
}

impl Rule {
    fn matches(&self, service: &str, operation: &str) -> bool {
        let kind_matches = self.kind.as_deref().is_none_or(|k| current_kind() == Some(k));
        let operation_matches = match self.operation.split_once('.') {
            Some((s, op)) => s.eq_ignore_ascii_case(service) && op == operation,
            None => self.operation == "*" || self.operation == operation,
        };
        kind_matches && operation_matches
    }
}

tokio::task_local! {
    static KIND: &'static str;
}

/// Runs `work` (a reconcile) as work of `kind`, so that fault rules for that kind apply to its
/// AWS calls.
pub async fn for_kind<F: std::future::Future>(kind: &'static str, work: F) -> F::Output {
    KIND.scope(kind, work).await
}

/// The kind whose reconcile the current task runs, if any.
fn current_kind() -> Option<&'static str> {
    KIND.try_with(|k| *k).ok()
}

/// A parsed fault plan.
#[derive(Debug, Default)]
pub struct FaultPlan {
    rules: Vec<Rule>,
}

impl FaultPlan {
    /// Parses a plan; the error says which part is wrong and what was expected.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut rules = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (operation, action) = part
                .split_once(':')
                .ok_or_else(|| format!("fault {part:?}: expected OPERATION:ACTION, e.g. CreateBucket:crash-after"))?;
            let bad = |why: &str| format!("fault {part:?}: {why}");
            let action = match action.split_once('=') {
                None if action == "crash-after" => Action::CrashAfter,
                Some(("fail", rest)) => {
                    let (n, code) = rest.split_once('/').ok_or_else(|| bad("expected fail=N/CODE"))?;
                    let n = n.parse().map_err(|_| bad("N in fail=N/CODE must be a whole number"))?;
                    Action::FailTimes { left: Mutex::new(n), code: nonempty(code).ok_or_else(|| bad("no CODE"))? }
                }
                Some(("fail%", rest)) => {
                    let (p, codes) = rest.split_once('/').ok_or_else(|| bad("expected fail%=P/CODE|CODE"))?;
                    let percent: f64 = p.parse().map_err(|_| bad("P in fail%=P/CODES must be a number"))?;
                    if !(0.0..=100.0).contains(&percent) {
                        return Err(bad("P must be between 0 and 100"));
                    }
                    let codes: Vec<String> = codes.split('|').filter_map(nonempty).collect();
                    if codes.is_empty() {
                        return Err(bad("no CODE"));
                    }
                    Action::FailPercent { percent, codes }
                }
                Some(("latency", ms)) => Action::Latency(Duration::from_millis(
                    ms.parse().map_err(|_| bad("latency=MS takes whole milliseconds"))?,
                )),
                _ => return Err(bad("ACTION must be crash-after, fail=N/CODE, fail%=P/CODES or latency=MS")),
            };
            let (kind, operation) = match operation.split_once('/') {
                Some((kind, operation)) => (nonempty(kind), operation),
                None => (None, operation),
            };
            if operation.is_empty() {
                return Err(bad("no OPERATION (use * for every operation)"));
            }
            rules.push(Rule { kind, operation: operation.to_string(), action });
        }
        Ok(FaultPlan { rules })
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// What to do to the attempt about to be sent for `operation` of `service`: the first
    /// failure that applies, else the first delay, else nothing.
    pub fn before_attempt(&self, service: &str, operation: &str) -> Option<Injection> {
        let mut delay = None;
        for rule in self.rules.iter().filter(|r| r.matches(service, operation)) {
            match &rule.action {
                Action::FailTimes { left, code } => {
                    let mut left = left.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                    if *left > 0 {
                        *left -= 1;
                        return Some(Injection::Fail { code: code.clone() });
                    }
                }
                Action::FailPercent { percent, codes } => {
                    if rand::random_range(0.0..100.0) < *percent {
                        let code = &codes[rand::random_range(0..codes.len())];
                        return Some(Injection::Fail { code: code.clone() });
                    }
                }
                Action::Latency(d) => delay = delay.or(Some(Injection::Delay(*d))),
                Action::CrashAfter => {}
            }
        }
        delay
    }

    /// Whether the process must end now that `operation` of `service` has succeeded.
    pub fn crash_after(&self, service: &str, operation: &str) -> bool {
        self.rules.iter().any(|r| r.matches(service, operation) && matches!(r.action, Action::CrashAfter))
    }
}

fn nonempty(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

/// How a service encodes errors on the wire (the AWS protocols Stackwright's services use).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    RestXml,
    AwsQuery,
    Ec2Query,
    Json,
}

impl Protocol {
    /// The protocol of a service, by the short name this crate gives it (`s3`, `elbv2`, ...:
    /// the prefix of its operations in [`crate::CloudError`]).
    pub fn of(service: &str) -> Self {
        match service {
            "s3" => Protocol::RestXml,
            "ec2" => Protocol::Ec2Query,
            "rds" | "elasticache" | "elbv2" | "iam" | "sts" => Protocol::AwsQuery,
            // ecs, autoscaling (Application Auto Scaling), logs, secretsmanager, servicediscovery:
            // awsJson; efs: restJson, which reads the same error type header.
            _ => Protocol::Json,
        }
    }
}

/// The HTTP status AWS answers an error code with.
pub fn status_for(code: &str) -> u16 {
    match code {
        "InternalError" | "InternalFailure" | "ServerException" | "InternalServerError" => 500,
        "ServiceUnavailable" | "SlowDown" | "RequestLimitExceeded" => 503,
        "TooManyRequestsException" => 429,
        _ => 400,
    }
}

/// The error body (and its content type) a service of `protocol` sends for `code`.
pub fn error_body(protocol: Protocol, code: &str, message: &str) -> (&'static str, String) {
    let request_id = "stackwright-injected-fault";
    match protocol {
        Protocol::RestXml => (
            "application/xml",
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message><RequestId>{request_id}</RequestId></Error>"
            ),
        ),
        Protocol::AwsQuery => (
            "text/xml",
            format!(
                "<ErrorResponse><Error><Type>{}</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>",
                if status_for(code) >= 500 { "Receiver" } else { "Sender" }
            ),
        ),
        Protocol::Ec2Query => (
            "text/xml",
            format!(
                "<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors><RequestID>{request_id}</RequestID></Response>"
            ),
        ),
        Protocol::Json => {
            ("application/x-amz-json-1.1", serde_json::json!({"__type": code, "message": message}).to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_rule_for_a_kind_applies_only_to_that_kind_s_calls() {
        let plan = FaultPlan::parse("Cache/CreateSecurityGroup:crash-after").unwrap_or_default();
        assert!(!plan.crash_after("ec2", "CreateSecurityGroup"), "outside any reconcile");
        assert!(!for_kind("AppStack", async { plan.crash_after("ec2", "CreateSecurityGroup") }).await);
        assert!(for_kind("Cache", async { plan.crash_after("ec2", "CreateSecurityGroup") }).await);
        assert!(!for_kind("Cache", async { plan.crash_after("ec2", "CreateTags") }).await);
    }

    #[test]
    fn an_operation_may_name_its_service_where_two_services_share_the_name() {
        let plan = FaultPlan::parse("servicediscovery.DeleteService:crash-after").unwrap_or_default();
        assert!(plan.crash_after("servicediscovery", "DeleteService"));
        assert!(plan.crash_after("ServiceDiscovery", "DeleteService"));
        assert!(!plan.crash_after("ecs", "DeleteService"));
        let bare = FaultPlan::parse("DeleteService:crash-after").unwrap_or_default();
        assert!(bare.crash_after("ecs", "DeleteService") && bare.crash_after("servicediscovery", "DeleteService"));
    }

    #[test]
    fn parses_every_action() {
        let plan =
            FaultPlan::parse("CreateBucket:crash-after, PutBucketTagging:fail=2/SlowDown, *:fail%=0/Throttling|InternalError, *:latency=15")
                .expect("valid plan");
        assert!(plan.crash_after("s3", "CreateBucket"));
        assert!(!plan.crash_after("s3", "PutBucketTagging"));
        assert_eq!(plan.before_attempt("s3", "PutBucketTagging"), Some(Injection::Fail { code: "SlowDown".into() }));
        assert_eq!(plan.before_attempt("s3", "PutBucketTagging"), Some(Injection::Fail { code: "SlowDown".into() }));
        // Two failures used up: now only the latency applies.
        assert_eq!(plan.before_attempt("s3", "PutBucketTagging"), Some(Injection::Delay(Duration::from_millis(15))));
        assert_eq!(plan.before_attempt("s3", "HeadBucket"), Some(Injection::Delay(Duration::from_millis(15))));
    }

    #[test]
    fn a_certain_failure_always_fires() {
        let plan = FaultPlan::parse("*:fail%=100/InternalError").expect("valid plan");
        for _ in 0..20 {
            assert_eq!(
                plan.before_attempt("s3", "GetBucketTagging"),
                Some(Injection::Fail { code: "InternalError".into() })
            );
        }
    }

    #[test]
    fn bad_plans_say_what_is_wrong() {
        for (text, says) in [
            ("CreateBucket", "expected OPERATION:ACTION"),
            ("CreateBucket:explode", "ACTION must be"),
            ("CreateBucket:fail=x/SlowDown", "whole number"),
            ("CreateBucket:fail=1", "expected fail=N/CODE"),
            ("*:fail%=130/SlowDown", "between 0 and 100"),
            (":crash-after", "no OPERATION"),
        ] {
            let err = FaultPlan::parse(text).expect_err(text);
            assert!(err.contains(says), "{text}: {err}");
        }
        assert!(FaultPlan::parse("").expect("empty plan").is_empty());
    }

    #[test]
    fn errors_are_shaped_per_protocol() {
        assert_eq!(Protocol::of("s3"), Protocol::RestXml);
        assert_eq!(Protocol::of("ec2"), Protocol::Ec2Query);
        assert_eq!(Protocol::of("rds"), Protocol::AwsQuery);
        assert_eq!(Protocol::of("elbv2"), Protocol::AwsQuery);
        assert_eq!(Protocol::of("ecs"), Protocol::Json);
        let (ct, body) = error_body(Protocol::RestXml, "SlowDown", "slow");
        assert_eq!(ct, "application/xml");
        assert!(body.contains("<Code>SlowDown</Code>"));
        let (_, body) = error_body(Protocol::Json, "ThrottlingException", "slow");
        assert_eq!(serde_json::from_str::<serde_json::Value>(&body).expect("json")["__type"], "ThrottlingException");
        assert_eq!(status_for("SlowDown"), 503);
        assert_eq!(status_for("InvalidParameterValue"), 400);
    }
}
