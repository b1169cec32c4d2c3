//! `make bench`: time of the pure decision path for one Bucket — `desired` (spec → S3 settings)
//! plus `plan` (settings + what S3 reports → changes) — for an in-sync bucket, the steady-state
//! case every resync pays for. Under `cargo test` it runs a few iterations as a smoke check.

use std::hint::black_box;
use std::time::Instant;

use stackwright_api::bucket::BucketSpec;
use stackwright_api::naming::ObjectIdentity;
use stackwright_cloud::s3::{BucketState, ObjectLock, Presence, Versioning};
use stackwright_controller::bucket::desired::desired;
use stackwright_controller::bucket::plan::{Plan, plan};

const SPEC: &str = r#"
versioning: true
tags: {team: docs, env: prod, cost-center: "42"}
publicAccessBlock: false
website: {indexDocument: index.html, errorDocument: error.html}
cors: [{allowedOrigins: ["https://app.example.com"], allowedMethods: [GET, PUT], allowedHeaders: ["*"], maxAgeSeconds: 3000}]
lifecycle:
- {id: archive, transitions: [{days: 90, storageClass: STANDARD_IA}, {days: 365, storageClass: GLACIER}], expirationDays: 2555}
- {id: uploads, prefix: uploads/, expirationDays: 7, noncurrentVersionExpirationDays: 30}
"#;

fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let iterations = if bench { 200_000 } else { 10 };
    let spec: BucketSpec = serde_yaml::from_str(SPEC).expect("valid spec");
    let id = ObjectIdentity {
        cluster_id: "prod".into(),
        kind: "Bucket".into(),
        namespace: "paperwurks".into(),
        name: "documents".into(),
        uid: "8f2a".into(),
    };
    let want = desired(&spec, &id, "eu-west-2");
    let observed = BucketState {
        region: want.region.clone(),
        tags: want.tags.clone(),
        versioning: Versioning::Enabled,
        encryption: Some(want.encryption.clone()),
        public_access_block: Some(want.public_access_block),
        website: want.website.clone(),
        cors: want.cors.clone(),
        lifecycle: want.lifecycle.clone(),
        object_lock: ObjectLock::default(),
        policy: want.policy.as_ref().map(ToString::to_string),
    };
    assert_eq!(plan(&want, &Presence::Accessible, Some(&observed), &id, false), Plan::Converge(vec![]));

    let start = Instant::now();
    for _ in 0..iterations {
        let d = desired(black_box(&spec), black_box(&id), "eu-west-2");
        black_box(plan(&d, &Presence::Accessible, Some(black_box(&observed)), &id, false));
    }
    let per = start.elapsed() / iterations;
    // Under `cargo test` this is a smoke check: the assert above is its test, the exit code its
    // result.
    if bench {
        println!("bucket desired+plan (in sync, full spec): {per:?} per object over {iterations} iterations");
    }
}
