//! Tier 2: every Secrets Manager adapter call the Cache reconciler uses for its AUTH token,
//! against the emulator, including how errors map to categories and that the token never shows
//! in what the adapter reports.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod support;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use stackwright_cloud::secretsmanager::{Redacted, SecretsManager, generate_auth_token};
use stackwright_cloud::{CallOutcome, CallRecorder, Cloud, ErrorCategory};

#[derive(Debug, Default)]
struct Calls(Mutex<Vec<(String, String)>>);

impl CallRecorder for Calls {
    fn record(&self, _service: &str, _operation: &str, _outcome: CallOutcome) {}

    fn rate_limit_wait(&self, service: &str, region: &str, _waited: Duration) {
        self.0.lock().unwrap().push((service.into(), region.into()));
    }
}

async fn secrets_with(settings: stackwright_cloud::AwsSettings) -> (SecretsManager, Arc<Calls>) {
    let calls = Arc::new(Calls::default());
    let cloud = Cloud::new(settings, calls.clone()).await;
    (cloud.secretsmanager(support::REGION), calls)
}

async fn secrets() -> SecretsManager {
    secrets_with(support::env().aws_settings()).await.0
}

fn unique(name: &str) -> String {
    format!("stackwright/adapter-{}/{name}", std::process::id())
}

/// A ClientRequestToken (32 to 64 characters), as the controller derives one from an object's UID.
fn request_token(name: &str) -> String {
    format!("{:0>36}", format!("{}-{name}", std::process::id()))
}

fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[tokio::test]
async fn a_secret_is_created_once_per_request_token_and_read_back() {
    let sm = secrets().await;
    let name = unique("create");
    let token = generate_auth_token();
    let owner = tags(&[("stackwright.io/owner", "ns/cache")]);
    let request = request_token("create");
    let arn = sm.create_secret(&name, &token, &owner, &request).await.unwrap();
    assert!(arn.starts_with("arn:aws:secretsmanager:"), "{arn}");

    // A retry of the same request (a reconcile killed after the call went through) is the same secret.
    assert_eq!(sm.create_secret(&name, &token, &owner, &request).await.unwrap(), arn);
    // An attempt that generated another token, or used another request token: observe again.
    for (value, request) in [(generate_auth_token(), request.clone()), (token.clone(), request_token("other"))] {
        let err = sm.create_secret(&name, &value, &owner, &request).await.unwrap_err();
        assert_eq!((err.category, err.code.as_str()), (ErrorCategory::AlreadyExists, "ResourceExistsException"));
        assert!(!err.to_string().contains(value.expose()), "the value leaked into the error: {err}");
    }

    let secret = sm.describe(&name).await.unwrap().unwrap();
    assert_eq!((secret.arn.as_str(), secret.name.as_str()), (arn.as_str(), name.as_str()));
    assert_eq!(secret.tags, owner);
    assert!(!secret.scheduled_for_deletion);
    assert_eq!(sm.describe(&arn).await.unwrap(), Some(secret.clone()), "by ARN as by name");
    assert!(!format!("{secret:?}").contains(token.expose()));

    let value = sm.secret_value(&arn).await.unwrap();
    assert_eq!(value, token);
    assert_eq!(format!("{value:?}"), "<redacted>");

    sm.tag(&arn, &tags(&[("team", "payments")])).await.unwrap();
    let secret = sm.describe(&arn).await.unwrap().unwrap();
    assert_eq!(secret.tags, tags(&[("stackwright.io/owner", "ns/cache"), ("team", "payments")]));

    sm.delete_secret(&arn, true).await.unwrap();
}

#[tokio::test]
async fn a_secret_is_deleted_with_a_recovery_window_or_at_once() {
    let sm = secrets().await;
    let name = unique("delete");
    let arn = sm
        .create_secret(&name, &Redacted::new("x".repeat(32)), &BTreeMap::new(), &request_token("delete"))
        .await
        .unwrap();

    sm.delete_secret(&arn, false).await.unwrap();
    let secret = sm.describe(&arn).await.unwrap().unwrap();
    assert!(secret.scheduled_for_deletion, "kept through the recovery window");
    // Its name stays taken meanwhile: AWS refuses a new secret of that name until it is restored.
    let err = sm
        .create_secret(&name, &Redacted::new("y".repeat(32)), &BTreeMap::new(), &request_token("again"))
        .await
        .unwrap_err();
    assert_eq!((err.category, err.code.as_str()), (ErrorCategory::Invalid, "InvalidRequestException"), "{err}");
    assert!(err.message.contains("scheduled for deletion"), "{err}");
    // A second deletion is refused unless forced: describe first.
    let err = sm.delete_secret(&arn, false).await.unwrap_err();
    assert_eq!((err.category, err.code.as_str()), (ErrorCategory::Invalid, "InvalidRequestException"), "{err}");

    sm.restore_secret(&arn).await.unwrap();
    assert!(!sm.describe(&arn).await.unwrap().unwrap().scheduled_for_deletion);

    sm.delete_secret(&arn, true).await.unwrap();
    assert_eq!(sm.describe(&arn).await.unwrap(), None);
    assert_eq!(sm.describe(&name).await.unwrap(), None);
    // Forced deletion of a secret that is gone succeeds, as AWS documents, so a retry converges.
    sm.delete_secret(&arn, true).await.unwrap();
}

#[tokio::test]
async fn missing_secrets_read_as_none_and_write_as_not_found() {
    let sm = secrets().await;
    let name = unique("missing");
    assert_eq!(sm.describe(&name).await.unwrap(), None);
    for err in [
        sm.secret_value(&name).await.unwrap_err(),
        sm.delete_secret(&name, false).await.unwrap_err(),
        sm.restore_secret(&name).await.unwrap_err(),
        sm.tag(&name, &tags(&[("a", "b")])).await.unwrap_err(),
    ] {
        assert_eq!((err.category, err.code.as_str()), (ErrorCategory::NotFound, "ResourceNotFoundException"), "{err}");
        assert!(err.operation.starts_with("secretsmanager:"), "{err}");
    }
}

#[tokio::test]
async fn secrets_manager_calls_wait_under_their_own_rate_limit() {
    let settings = stackwright_cloud::AwsSettings {
        rate_limits: stackwright_cloud::RateLimits::parse("secretsmanager=0.5:1").unwrap(),
        ..support::env().aws_settings()
    };
    let (sm, calls) = secrets_with(settings).await;
    for _ in 0..3 {
        assert_eq!(sm.describe(&unique("rate")).await.unwrap(), None);
    }
    let waits = calls.0.lock().unwrap().clone();
    // A burst of one and a call per two seconds: every call after the first waited, however
    // slowly a busy emulator answers.
    assert_eq!(waits.len(), 2, "{waits:?}");
    assert!(waits.iter().all(|(service, region)| service == "secretsmanager" && region == support::REGION));
}
