//! Tier 4: the systems of SYSTEMS.md as written under examples/. Every example is accepted by the
//! API server as it stands; the parts whose controllers exist (Buckets) converge and leave AWS in
//! exactly the described shape, checked attribute by attribute with an independent S3 client.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::types::BucketVersioningStatus;
use kube::Api;
use stackwright_api::Bucket;
use support::{env, eventually, repo_root};

/// Every folder under examples/ with a kustomization.yaml.
fn example_dirs() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        if dir.join("kustomization.yaml").exists() {
            out.push(dir.to_path_buf());
        }
        let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().map(|e| e.path()).collect();
        entries.sort();
        for path in entries.into_iter().filter(|p| p.is_dir()) {
            walk(&path, out);
        }
    }
    let mut out = Vec::new();
    walk(&repo_root().join("examples"), &mut out);
    out
}

#[tokio::test]
async fn every_example_is_accepted_by_the_api_server() {
    let env = env();
    let dirs = example_dirs();
    assert!(dirs.len() >= 8, "five systems (three Paperwurks environments) and the demo's buckets: {dirs:?}");
    for dir in dirs {
        let kustomization = std::fs::read_to_string(dir.join("kustomization.yaml")).unwrap();
        let ns = kustomization.lines().find_map(|l| l.strip_prefix("namespace: ")).unwrap().trim().to_string();
        // The folder creates its namespace, so `kubectl apply -k` works on an empty cluster.
        assert_eq!(env.kustomize(&dir, "Namespace").len(), 1, "{}: a Namespace", dir.display());
        assert!(env.kustomize(&dir, "Namespace")[0].contains(&format!("name: {ns}")), "{}", dir.display());
        let _ = env.kubectl(&["create", "namespace", &ns], None);
        let out = env.kubectl(&["apply", "--server-side", "--dry-run=server", "-k", &dir.to_string_lossy()], None);
        assert!(out.status.success(), "{}: {}", dir.display(), String::from_utf8_lossy(&out.stderr));
    }
}

/// (days, storage class) transitions and expiration days of a bucket's one lifecycle rule.
type Lifecycle = (Vec<(i32, &'static str)>, Option<i32>);

struct Expected {
    /// The Bucket object's name.
    object: &'static str,
    /// The S3 name SYSTEMS.md gives, if it gives one (otherwise derived; read from status).
    bucket: Option<&'static str>,
    region: &'static str,
    versioning: bool,
    lifecycle: Option<Lifecycle>,
    website: bool,
}

/// Applies the Buckets of an example folder into a fresh namespace, waits until they are Ready
/// and checks each S3 bucket against what SYSTEMS.md says.
async fn converge_buckets(example: &str, expected: &[Expected]) {
    let env = env();
    let ns = env.namespace("system").await;
    let _controller = env.controller(&ns, "systems");
    let docs = env.kustomize(&repo_root().join("examples").join(example), "Bucket");
    assert_eq!(docs.len(), expected.len(), "{example}: Bucket objects");
    env.apply(&ns, &docs.join("\n---\n"));
    let api: Api<Bucket> = Api::namespaced(env.client().await, &ns);
    eventually(&format!("{example}: every Bucket is Ready"), Duration::from_secs(90), || async {
        let list = api.list(&Default::default()).await.ok()?;
        list.items
            .iter()
            .all(|b| {
                b.status.as_ref().is_some_and(|s| {
                    s.common.conditions.iter().any(|c| c.type_ == "Ready" && c.status == "True")
                        && s.common.observed_generation == b.metadata.generation
                })
            })
            .then_some(())
    })
    .await;

    for want in expected {
        let s3 = env.s3_in(want.region).await;
        let object = api.get(want.object).await.unwrap();
        let name = object.status.unwrap().bucket_name.unwrap();
        if let Some(bucket) = want.bucket {
            assert_eq!(name, bucket, "{}: S3 name", want.object);
        }
        let name = name.as_str();
        let location = s3.get_bucket_location().bucket(name).send().await.unwrap();
        assert_eq!(
            location.location_constraint.map(|l| l.as_str().to_string()).unwrap_or_default(),
            match want.region {
                "us-east-1" => String::new(),
                r => r.to_string(),
            },
            "{name}: region"
        );
        let v = s3.get_bucket_versioning().bucket(name).send().await.unwrap().status;
        assert_eq!(v == Some(BucketVersioningStatus::Enabled), want.versioning, "{name}: versioning {v:?}");
        let enc = s3.get_bucket_encryption().bucket(name).send().await.unwrap();
        let algo = enc.server_side_encryption_configuration.unwrap().rules[0]
            .apply_server_side_encryption_by_default
            .as_ref()
            .unwrap()
            .sse_algorithm
            .as_str()
            .to_string();
        assert_eq!(algo, "AES256", "{name}: SSE-S3");
        // No public access block configuration at all means nothing is blocked, as in S3.
        let blocked = match s3.get_public_access_block().bucket(name).send().await {
            Ok(o) => {
                let c = o.public_access_block_configuration.unwrap();
                [c.block_public_acls, c.ignore_public_acls, c.block_public_policy, c.restrict_public_buckets]
                    .map(|b| b.unwrap_or(false))
            }
            Err(e) if e.as_service_error().and_then(|e| e.code()) == Some("NoSuchPublicAccessBlockConfiguration") => {
                [false; 4]
            }
            Err(e) => panic!("{name}: GetPublicAccessBlock: {e:?}"),
        };
        assert_eq!(blocked, [!want.website; 4], "{name}: public access block");
        if want.website {
            let policy = s3.get_bucket_policy().bucket(name).send().await.unwrap().policy.unwrap();
            assert!(
                policy.contains("s3:GetObject") && policy.contains(&format!("arn:aws:s3:::{name}/*")),
                "{name}: {policy}"
            );
        }
        let lc = s3.get_bucket_lifecycle_configuration().bucket(name).send().await.ok().and_then(|o| o.rules);
        match (&want.lifecycle, lc) {
            (None, None) => {}
            (Some((transitions, expiration)), Some(rules)) => {
                assert_eq!(rules.len(), 1, "{name}: one lifecycle rule");
                let got: Vec<(i32, String)> = rules[0]
                    .transitions()
                    .iter()
                    .map(|t| (t.days.unwrap_or_default(), t.storage_class.clone().unwrap().as_str().to_string()))
                    .collect();
                let want_t: Vec<(i32, String)> = transitions.iter().map(|(d, c)| (*d, c.to_string())).collect();
                assert_eq!(got, want_t, "{name}: transitions");
                assert_eq!(rules[0].expiration.as_ref().and_then(|e| e.days), *expiration, "{name}: expiration");
            }
            (want_lc, got) => panic!("{name}: lifecycle {want_lc:?} expected, S3 has {got:?}"),
        }
        let site = s3.get_bucket_website().bucket(name).send().await.ok();
        assert_eq!(site.is_some(), want.website, "{name}: website hosting");
    }
}

#[tokio::test]
async fn paperwurks_buckets_converge_as_described() {
    // SYSTEMS.md 2: documents versioned in staging/prod, prod archived 90 d -> STANDARD_IA,
    // 365 d -> GLACIER, kept 7 years; uploads unversioned and expire after 7 days; SSE-S3,
    // private, eu-west-2.
    let documents = || Expected {
        object: "documents",
        bucket: None,
        region: "eu-west-2",
        versioning: false,
        lifecycle: None,
        website: false,
    };
    let uploads = |bucket: &'static str| Expected {
        object: "uploads",
        bucket: Some(bucket),
        region: "eu-west-2",
        versioning: false,
        lifecycle: Some((vec![], Some(7))),
        website: false,
    };
    converge_buckets(
        "paperwurks/dev",
        &[
            Expected { object: "documents", bucket: Some("paperwurks-dev-documents"), ..documents() },
            uploads("paperwurks-dev-uploads"),
        ],
    )
    .await;
    converge_buckets(
        "paperwurks/staging",
        &[
            Expected { bucket: Some("paperwurks-staging-documents"), versioning: true, ..documents() },
            uploads("paperwurks-staging-uploads"),
        ],
    )
    .await;
    converge_buckets(
        "paperwurks/prod",
        &[
            Expected {
                bucket: Some("paperwurks-prod-documents"),
                versioning: true,
                lifecycle: Some((vec![(90, "STANDARD_IA"), (365, "GLACIER")], Some(2555))),
                ..documents()
            },
            uploads("paperwurks-prod-uploads"),
        ],
    )
    .await;
}

#[tokio::test]
async fn mcmillan_buckets_converge_as_described() {
    // SYSTEMS.md 3: a private document-data bucket and two buckets hosting static frontends.
    let site = |object| Expected {
        object,
        bucket: None,
        region: "us-east-1",
        versioning: false,
        lifecycle: None,
        website: true,
    };
    converge_buckets(
        "mcmillan",
        &[
            Expected {
                object: "documents",
                bucket: None,
                region: "us-east-1",
                versioning: false,
                lifecycle: None,
                website: false,
            },
            site("app-frontend"),
            site("invoiceai-frontend"),
        ],
    )
    .await;
}
