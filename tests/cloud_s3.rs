//! Tier 2: every S3 adapter call the Bucket reconciler uses, against moto, including how errors
//! map to categories. The adapter reads back what it wrote, so each setting round-trips.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod support;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use stackwright_cloud::s3::{
    CorsRule, Creation, Encryption, LifecycleRule, Presence, PublicAccessBlock, Retention, S3, Versioning, Website,
};
use stackwright_cloud::{CallOutcome, CallRecorder, Cloud, ErrorCategory};

#[derive(Debug, Default)]
struct Calls(Mutex<Vec<(String, String, CallOutcome)>>, Mutex<Vec<(String, String)>>);

impl CallRecorder for Calls {
    fn record(&self, service: &str, operation: &str, outcome: CallOutcome) {
        self.0.lock().unwrap().push((service.into(), operation.into(), outcome));
    }

    fn rate_limit_wait(&self, service: &str, region: &str, _waited: std::time::Duration) {
        self.1.lock().unwrap().push((service.into(), region.into()));
    }
}

impl Calls {
    fn of(&self, operation: &str) -> Vec<CallOutcome> {
        self.0.lock().unwrap().iter().filter(|c| c.1 == operation).map(|c| c.2).collect()
    }
}

async fn s3() -> (S3, Arc<Calls>) {
    s3_with(support::env().aws_settings()).await
}

async fn s3_with(settings: stackwright_cloud::AwsSettings) -> (S3, Arc<Calls>) {
    let calls = Arc::new(Calls::default());
    let cloud = Cloud::new(settings, calls.clone()).await;
    (cloud.s3(support::REGION), calls)
}

#[tokio::test]
async fn injected_faults_answer_in_s3s_own_format_and_never_reach_it() {
    let plan =
        "PutBucketVersioning:fail=2/SlowDown, PutBucketTagging:fail=1/InvalidArgument, GetBucketVersioning:latency=20";
    let settings = stackwright_cloud::AwsSettings {
        faults: Some(Arc::new(stackwright_cloud::FaultPlan::parse(plan).unwrap())),
        ..support::env().aws_settings()
    };
    let (s3, calls) = s3_with(settings).await;
    let name = unique("faults");
    s3.create(&name, false).await.unwrap();
    // Throttling is retried by the SDK like the real thing: two throttled attempts, then success.
    s3.put_versioning(&name, true).await.unwrap();
    assert_eq!(calls.of("PutBucketVersioning"), [CallOutcome::Throttled, CallOutcome::Throttled, CallOutcome::Success]);
    assert_eq!(s3.versioning(&name).await.unwrap(), Versioning::Enabled);
    // A refused value is not retried, is classified, and S3 never saw the call.
    let tags = BTreeMap::from([("team".to_string(), "docs".to_string())]);
    let err = s3.put_tags(&name, &tags).await.unwrap_err();
    assert_eq!((err.category, err.code.as_str()), (ErrorCategory::Invalid, "InvalidArgument"), "{err}");
    assert_eq!(calls.of("PutBucketTagging"), [CallOutcome::ClientError]);
    assert!(s3.tags(&name).await.unwrap().is_empty(), "the injected failure must not reach S3");
    s3.delete(&name).await.unwrap();
}

#[tokio::test]
async fn the_client_side_rate_limit_makes_calls_wait_and_says_so() {
    let settings = stackwright_cloud::AwsSettings {
        rate_limits: stackwright_cloud::RateLimits::parse("s3=1:1").unwrap(),
        ..support::env().aws_settings()
    };
    let (s3, calls) = s3_with(settings).await;
    let name = unique("rate");
    for _ in 0..4 {
        assert_eq!(s3.presence(&name).await.unwrap(), Presence::Absent);
    }
    // A burst of one at one call per second: every call after the first waited for a token (a
    // call would have to take over a second for its successor not to wait).
    let waits = calls.1.lock().unwrap().clone();
    assert_eq!(waits.len(), 3, "{waits:?}");
    assert!(waits.iter().all(|(service, region)| service == "s3" && region == support::REGION));
}

fn unique(name: &str) -> String {
    format!("adapter-{}-{name}", std::process::id())
}

#[tokio::test]
async fn every_bucket_setting_round_trips() {
    let (s3, calls) = s3().await;
    let name = unique("settings");
    assert_eq!(s3.presence(&name).await.unwrap(), Presence::Absent);
    s3.create(&name, false).await.unwrap();
    assert_eq!(s3.presence(&name).await.unwrap(), Presence::Accessible);

    let tags = BTreeMap::from([("team".to_string(), "docs".to_string()), ("env".to_string(), "dev".to_string())]);
    s3.put_tags(&name, &tags).await.unwrap();
    assert_eq!(s3.tags(&name).await.unwrap(), tags);

    assert_eq!(s3.versioning(&name).await.unwrap(), Versioning::Unversioned);
    s3.put_versioning(&name, true).await.unwrap();
    assert_eq!(s3.versioning(&name).await.unwrap(), Versioning::Enabled);
    s3.put_versioning(&name, false).await.unwrap();
    assert_eq!(s3.versioning(&name).await.unwrap(), Versioning::Suspended);

    s3.put_encryption(&name, &Encryption::SseKms { key_id: "alias/docs".into() }).await.unwrap();
    assert_eq!(s3.encryption(&name).await.unwrap(), Some(Encryption::SseKms { key_id: "alias/docs".into() }));
    s3.put_encryption(&name, &Encryption::SseS3).await.unwrap();
    assert_eq!(s3.encryption(&name).await.unwrap(), Some(Encryption::SseS3));

    let open = PublicAccessBlock::all(false);
    s3.put_public_access_block(&name, open).await.unwrap();
    assert_eq!(s3.public_access_block(&name).await.unwrap(), Some(open));

    let site = Website { index_document: "index.html".into(), error_document: Some("404.html".into()) };
    s3.put_website(&name, &site).await.unwrap();
    assert_eq!(s3.website(&name).await.unwrap(), Some(site));
    s3.delete_website(&name).await.unwrap();
    assert_eq!(s3.website(&name).await.unwrap(), None);

    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::{name}/*"}}]}}"#
    );
    s3.put_policy(&name, &policy).await.unwrap();
    let read: serde_json::Value = serde_json::from_str(&s3.policy(&name).await.unwrap().unwrap()).unwrap();
    assert_eq!(read, serde_json::from_str::<serde_json::Value>(&policy).unwrap());
    s3.delete_policy(&name).await.unwrap();
    assert_eq!(s3.policy(&name).await.unwrap(), None);

    let cors = vec![CorsRule {
        allowed_origins: vec!["https://app.example.com".into()],
        allowed_methods: vec!["GET".into(), "PUT".into()],
        allowed_headers: vec!["*".into()],
        expose_headers: vec!["ETag".into()],
        max_age_seconds: Some(3000),
    }];
    s3.put_cors(&name, &cors).await.unwrap();
    assert_eq!(s3.cors(&name).await.unwrap(), cors);
    s3.delete_cors(&name).await.unwrap();
    assert!(s3.cors(&name).await.unwrap().is_empty());

    let lifecycle = vec![
        LifecycleRule {
            id: "archive".into(),
            prefix: String::new(),
            transitions: vec![(90, "STANDARD_IA".into()), (365, "GLACIER".into())],
            expiration_days: Some(2555),
            noncurrent_version_expiration_days: Some(30),
        },
        LifecycleRule {
            id: "tmp".into(),
            prefix: "tmp/".into(),
            transitions: vec![],
            expiration_days: Some(7),
            noncurrent_version_expiration_days: None,
        },
    ];
    s3.put_lifecycle(&name, &lifecycle).await.unwrap();
    assert_eq!(s3.lifecycle(&name).await.unwrap(), lifecycle);
    s3.delete_lifecycle(&name).await.unwrap();
    assert!(s3.lifecycle(&name).await.unwrap().is_empty());

    // read() gathers the same settings in one go.
    let state = s3.read(&name).await.unwrap();
    assert_eq!(state.tags, tags);
    assert_eq!(state.versioning, Versioning::Suspended);
    assert!(!state.object_lock.enabled);

    // Every attempt was counted, by service and operation.
    let recorded = calls.0.lock().unwrap().clone();
    assert!(
        recorded.iter().any(|(svc, op, out)| svc == "S3"
            && op == "PutBucketLifecycleConfiguration"
            && *out == CallOutcome::Success)
    );
    assert!(recorded.iter().any(|(_, op, out)| op == "HeadBucket" && *out == CallOutcome::NotFound));

    s3.delete(&name).await.unwrap();
    assert_eq!(s3.presence(&name).await.unwrap(), Presence::Absent);
}

#[tokio::test]
async fn object_lock_is_set_at_creation_and_its_retention_changes() {
    let (s3, _) = s3().await;
    let name = unique("locked");
    s3.create(&name, true).await.unwrap();
    let lock = s3.object_lock(&name).await.unwrap();
    assert!(lock.enabled);
    let retention = Retention { mode: "GOVERNANCE".into(), days: 30 };
    s3.put_object_lock_retention(&name, Some(&retention)).await.unwrap();
    assert_eq!(s3.object_lock(&name).await.unwrap().retention, Some(retention));
    // S3 turns versioning on for object-locked buckets.
    assert_eq!(s3.versioning(&name).await.unwrap(), Versioning::Enabled);
}

#[tokio::test]
async fn emptying_removes_every_version_and_delete_marker() {
    let (s3, _) = s3().await;
    let raw = support::env().s3().await;
    let name = unique("versions");
    s3.create(&name, false).await.unwrap();
    s3.put_versioning(&name, true).await.unwrap();
    assert!(s3.is_empty(&name).await.unwrap());
    for i in 0..3 {
        raw.put_object().bucket(&name).key("a.txt").body(format!("v{i}").into_bytes().into()).send().await.unwrap();
    }
    raw.delete_object().bucket(&name).key("a.txt").send().await.unwrap(); // a delete marker
    assert!(!s3.is_empty(&name).await.unwrap());

    let err = s3.delete(&name).await.unwrap_err();
    assert_eq!(err.category, ErrorCategory::Conflict, "{err}");
    assert_eq!(err.code, "BucketNotEmpty");

    assert_eq!(s3.empty(&name).await.unwrap(), 4, "three versions and one delete marker");
    assert!(s3.is_empty(&name).await.unwrap());
    s3.delete(&name).await.unwrap();
}

#[tokio::test]
async fn errors_map_to_categories() {
    let (s3, _) = s3().await;
    let missing = unique("missing");
    let err = s3.versioning(&missing).await.unwrap_err();
    assert_eq!(err.category, ErrorCategory::NotFound, "{err}");
    assert_eq!(err.code, "NoSuchBucket");
    assert_eq!(err.operation, "s3:GetBucketVersioning");
    let err = s3.delete(&missing).await.unwrap_err();
    assert!(err.is_not_found(), "{err}");

    let name = unique("dup");
    s3.create(&name, false).await.unwrap();
    // Outside us-east-1, S3 (and moto) answer BucketAlreadyOwnedByYou for a bucket the caller owns:
    // an earlier create that went through.
    let other_region = Cloud::new(support::env().aws_settings(), Arc::new(Calls::default())).await.s3("eu-west-2");
    assert_eq!(other_region.create(&name, false).await.unwrap(), Creation::AlreadyOurs);

    // S3 names are global: a name another account holds cannot be created.
    let theirs = unique("theirs");
    support::env().s3_in_account("210987654321").await.create_bucket().bucket(&theirs).send().await.unwrap();
    assert_eq!(s3.create(&theirs, false).await.unwrap(), Creation::TakenByAnotherAccount);
}
