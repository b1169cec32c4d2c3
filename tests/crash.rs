//! The crash matrix: the real controller is aborted (by fault injection, never at random) right
//! after each AWS write of a Bucket's create, update and delete paths in turn, then a fresh
//! controller takes over. Each crash point is its own test. After every one the object must be
//! Ready (or gone, after a delete) with exactly one bucket, ours and configured as the spec
//! says, and no status along the way may have called our own bucket a conflict.
//!
//! Database and Cache have their own matrices (`crash_database.rs`, `crash_cache.rs`).

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_s3::types::{BucketVersioningStatus, ServerSideEncryption};
use kube::Api;
use kube::api::DeleteParams;
use stackwright_api::Bucket;
use support::{Controller, Env, env, eventually};

const WITHIN: Duration = Duration::from_secs(90);

/// A public static website with versioning, CORS, lifecycle and tags: every create-path write.
const FULL: &str = r#"  versioning: true
  publicAccessBlock: false
  website: {indexDocument: index.html, errorDocument: error.html}
  cors: [{allowedOrigins: ["https://app.example.com"], allowedMethods: [GET], maxAgeSeconds: 600}]
  lifecycle: [{id: tmp, prefix: tmp/, expirationDays: 7}]
  tags: {team: docs}
  deletionPolicy: Delete
  emptyOnDelete: true
"#;

/// What FULL becomes in the update path: every setting changes or goes.
const PRIVATE: &str = r#"  versioning: false
  encryption: {type: SSE-KMS, kmsKeyId: alias/docs}
  tags: {team: records}
  deletionPolicy: Delete
  emptyOnDelete: true
"#;

const LOCKED: &str = r#"  versioning: true
  objectLock: {mode: GOVERNANCE, days: 1}
"#;

fn manifest(name: &str, spec: &str) -> String {
    format!("apiVersion: stackwright.io/v1alpha1\nkind: Bucket\nmetadata:\n  name: {name}\nspec:\n{spec}")
}

struct Case {
    env: &'static Env,
    ns: String,
    api: Api<Bucket>,
    s3: aws_sdk_s3::Client,
    bucket: String,
    /// Every (Ready status, reason) and Stalled reason the object's status ever showed.
    seen: Arc<Mutex<Vec<String>>>,
}

impl Case {
    async fn new(point: &str) -> Self {
        let env = env();
        let ns = env.namespace(&format!("crash-{}", point.to_lowercase())).await;
        let api: Api<Bucket> = Api::namespaced(env.client().await, &ns);
        let seen = Arc::new(Mutex::new(Vec::new()));
        {
            let seen = seen.clone();
            support::watch_from_now(api.clone(), move |b: &Bucket| {
                for c in b.status.iter().flat_map(|s| s.common.conditions.iter()) {
                    seen.lock().unwrap().push(format!("{}={}:{}", c.type_, c.status, c.reason));
                }
            })
            .await;
        }
        let bucket = format!("{ns}-docs");
        Case { env, s3: env.s3().await, ns, api, bucket, seen }
    }

    fn apply(&self, spec: &str) {
        self.env.apply(&self.ns, &manifest("docs", &format!("  bucketName: {}\n{spec}", self.bucket)));
    }

    fn controller(&self, faults: Option<&str>) -> Controller {
        let mut args = vec!["--leader-elect=false"];
        if let Some(f) = faults {
            args.extend(["--inject-faults", f]);
        }
        // A far resync: whatever the survivor does, it does because the object needs it.
        self.env.controller_with(&self.ns, "crash", "1h", &args)
    }

    /// Runs a controller that aborts right after `op` succeeds, and waits for the abort.
    async fn crash_after(&self, op: &str) {
        let mut doomed = self.controller(Some(&format!("{op}:crash-after")));
        let status = doomed.exited(WITHIN).await;
        assert!(
            status.is_some_and(|s| !s.success()),
            "the controller should have aborted right after {op}: {status:?}\n{}",
            doomed.log_tail()
        );
    }

    async fn ready(&self) -> Bucket {
        eventually("Ready for the current generation", WITHIN, || async {
            let b = self.api.get("docs").await.ok()?;
            let status = b.status.as_ref()?;
            let ready = status.common.conditions.iter().any(|c| c.type_ == "Ready" && c.status == "True");
            (ready && status.common.observed_generation == b.metadata.generation).then_some(b)
        })
        .await
    }

    /// The buckets in the account tagged as owned by this test's object.
    async fn owned(&self) -> Vec<String> {
        let owner = format!("Bucket/{}/docs", self.ns);
        let mut out = Vec::new();
        for b in self.s3.list_buckets().send().await.unwrap().buckets() {
            let name = b.name().unwrap();
            if let Ok(t) = self.s3.get_bucket_tagging().bucket(name).send().await
                && t.tag_set.iter().any(|t| t.key == "stackwright.io/owner" && t.value == owner)
            {
                out.push(name.to_string());
            }
        }
        out
    }

    async fn assert_one_owned_bucket(&self) {
        assert_eq!(self.owned().await, vec![self.bucket.clone()], "exactly one bucket, ours");
    }

    fn assert_never_a_conflict(&self) {
        let seen = self.seen.lock().unwrap().clone();
        assert!(!seen.iter().any(|s| s.starts_with("Stalled=True")), "no status may stall on our own bucket: {seen:?}");
    }

    async fn assert_full(&self) {
        let (s3, name) = (&self.s3, self.bucket.as_str());
        let v = s3.get_bucket_versioning().bucket(name).send().await.unwrap();
        assert_eq!(v.status, Some(BucketVersioningStatus::Enabled));
        let tags = s3.get_bucket_tagging().bucket(name).send().await.unwrap().tag_set;
        assert!(tags.iter().any(|t| t.key == "team" && t.value == "docs"), "{tags:?}");
        let website = s3.get_bucket_website().bucket(name).send().await.unwrap();
        assert_eq!(website.index_document.unwrap().suffix, "index.html");
        let policy = s3.get_bucket_policy().bucket(name).send().await.unwrap().policy.unwrap();
        assert!(policy.contains("s3:GetObject"), "{policy}");
        let cors = s3.get_bucket_cors().bucket(name).send().await.unwrap().cors_rules.unwrap();
        assert_eq!(cors[0].allowed_origins, ["https://app.example.com"]);
        let rules = s3.get_bucket_lifecycle_configuration().bucket(name).send().await.unwrap().rules.unwrap();
        assert_eq!(rules[0].id.as_deref(), Some("tmp"));
        let pab = s3.get_public_access_block().bucket(name).send().await.unwrap();
        assert_eq!(pab.public_access_block_configuration.unwrap().block_public_policy, Some(false));
        let enc = s3.get_bucket_encryption().bucket(name).send().await.unwrap();
        let rule = &enc.server_side_encryption_configuration.unwrap().rules[0];
        let sse = &rule.apply_server_side_encryption_by_default.as_ref().unwrap().sse_algorithm;
        assert_eq!(*sse, ServerSideEncryption::Aes256);
    }

    async fn assert_private(&self) {
        let (s3, name) = (&self.s3, self.bucket.as_str());
        let v = s3.get_bucket_versioning().bucket(name).send().await.unwrap();
        assert_eq!(v.status, Some(BucketVersioningStatus::Suspended));
        let tags = s3.get_bucket_tagging().bucket(name).send().await.unwrap().tag_set;
        assert!(tags.iter().any(|t| t.key == "team" && t.value == "records"), "{tags:?}");
        assert!(s3.get_bucket_website().bucket(name).send().await.is_err(), "website removed");
        assert!(s3.get_bucket_policy().bucket(name).send().await.is_err(), "policy removed");
        assert!(s3.get_bucket_cors().bucket(name).send().await.is_err(), "cors removed");
        assert!(s3.get_bucket_lifecycle_configuration().bucket(name).send().await.is_err(), "lifecycle removed");
        let pab = s3.get_public_access_block().bucket(name).send().await.unwrap();
        assert_eq!(pab.public_access_block_configuration.unwrap().block_public_policy, Some(true));
        let enc = s3.get_bucket_encryption().bucket(name).send().await.unwrap();
        let rule = &enc.server_side_encryption_configuration.unwrap().rules[0];
        let by_default = rule.apply_server_side_encryption_by_default.as_ref().unwrap();
        assert_eq!(by_default.sse_algorithm, ServerSideEncryption::AwsKms);
    }
}

/// Create path: the controller dies right after `op` while creating FULL (or LOCKED).
async fn create_path(op: &str, spec: &str) {
    let case = Case::new(op).await;
    case.apply(spec);
    case.crash_after(op).await;
    let _survivor = case.controller(None);
    case.ready().await;
    case.assert_one_owned_bucket().await;
    case.assert_never_a_conflict();
    if spec == FULL {
        case.assert_full().await;
    } else {
        let lock = case.s3.get_object_lock_configuration().bucket(&case.bucket).send().await.unwrap();
        let rule = lock.object_lock_configuration.unwrap().rule.unwrap().default_retention.unwrap();
        assert_eq!(rule.days, Some(1));
    }
}

/// Update path: FULL converged, then the controller dies right after `op` while making it PRIVATE.
async fn update_path(op: &str) {
    let case = Case::new(op).await;
    case.apply(FULL);
    {
        let _first = case.controller(None);
        case.ready().await;
    }
    case.apply(PRIVATE);
    case.crash_after(op).await;
    let _survivor = case.controller(None);
    case.ready().await;
    case.assert_one_owned_bucket().await;
    case.assert_never_a_conflict();
    case.assert_private().await;
}

/// Delete path: FULL with objects in it, deleted; the controller dies right after `op`.
async fn delete_path(op: &str) {
    let case = Case::new(op).await;
    case.apply(FULL);
    {
        let _first = case.controller(None);
        case.ready().await;
    }
    for key in ["a.txt", "tmp/b.txt"] {
        case.s3.put_object().bucket(&case.bucket).key(key).body(b"x".to_vec().into()).send().await.unwrap();
    }
    case.api.delete("docs", &DeleteParams::default()).await.unwrap();
    case.crash_after(op).await;
    let _survivor = case.controller(None);
    eventually("the Bucket is gone", WITHIN, || async {
        matches!(case.api.get_opt("docs").await, Ok(None)).then_some(())
    })
    .await;
    assert!(case.s3.head_bucket().bucket(&case.bucket).send().await.is_err(), "the bucket is deleted");
    assert!(case.owned().await.is_empty(), "no orphan");
    case.assert_never_a_conflict();
}

crash_points! { create_path:
    create_after_create_bucket => "CreateBucket", FULL;
    create_after_put_bucket_tagging => "PutBucketTagging", FULL;
    create_after_put_bucket_versioning => "PutBucketVersioning", FULL;
    create_after_put_bucket_encryption => "PutBucketEncryption", FULL;
    create_after_put_public_access_block => "PutPublicAccessBlock", FULL;
    create_after_put_bucket_website => "PutBucketWebsite", FULL;
    create_after_put_bucket_policy => "PutBucketPolicy", FULL;
    create_after_put_bucket_cors => "PutBucketCors", FULL;
    create_after_put_bucket_lifecycle => "PutBucketLifecycleConfiguration", FULL;
    create_after_put_object_lock_configuration => "PutObjectLockConfiguration", LOCKED;
}

crash_points! { update_path:
    update_after_put_bucket_tagging => "PutBucketTagging";
    update_after_put_bucket_versioning => "PutBucketVersioning";
    update_after_put_bucket_encryption => "PutBucketEncryption";
    update_after_delete_bucket_website => "DeleteBucketWebsite";
    update_after_delete_bucket_policy => "DeleteBucketPolicy";
    update_after_delete_bucket_cors => "DeleteBucketCors";
    update_after_delete_bucket_lifecycle => "DeleteBucketLifecycle";
    update_after_put_public_access_block => "PutPublicAccessBlock";
}

crash_points! { delete_path:
    delete_after_delete_objects => "DeleteObjects";
    delete_after_delete_bucket => "DeleteBucket";
}
