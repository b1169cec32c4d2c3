//! `make bench`: time of the pure decision path for one Bucket — `desired` (spec → S3 settings)
//! plus `plan` (settings + what S3 reports → changes) — for an in-sync bucket, the steady-state
//! case every resync pays for; and the same for an in-sync AppStack of 2 and of 20 services
//! (`desired`, the task definitions with their hashes, `plan`), per service. Under `cargo test` it
//! runs a few iterations as a smoke check.

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
    for services in [2, 20] {
        appstack(services, if bench { 20_000 } else { 5 });
    }
}

/// An AccuNode-shaped stack of `services` exposed, autoscaled services, in sync.
fn appstack(services: usize, iterations: u32) {
    use stackwright_api::appstack::AppStackSpec;
    use stackwright_controller::appstack::{desired, plan as stack_plan, simulate, taskdef};

    let service = |i: usize| {
        format!(
            "- {{name: svc{i}, image: \"123456789012.dkr.ecr.us-east-1.amazonaws.com/app:v1\", port: 8000, env: [{{name: LOG_LEVEL, value: info}}], expose: {{paths: [\"/svc{i}/*\"], healthCheck: {{path: /health}}}}, autoscaling: {{minReplicas: 1, maxReplicas: 4, targetCPUPercent: 70}}}}"
        )
    };
    let yaml = format!(
        "network: {{vpcId: vpc-0123456789abcdef0, publicSubnetIds: [subnet-0000000a, subnet-0000000b], privateSubnetIds: [subnet-0000000c]}}\nservices:\n{}\n",
        (0..services).map(service).collect::<Vec<_>>().join("\n")
    );
    let spec: AppStackSpec = serde_yaml::from_str(&yaml).expect("valid spec");
    let id = ObjectIdentity {
        cluster_id: "prod".into(),
        kind: "AppStack".into(),
        namespace: "shop".into(),
        name: "web".into(),
        uid: "5f0c6b0e-1111-2222-3333-444455556666".into(),
    };
    let roles = taskdef::Roles {
        execution: Some("arn:aws:iam::123456789012:role/stackwright/exec".into()),
        task: Some("arn:aws:iam::123456789012:role/stackwright/task".into()),
    };
    let render = |want: &desired::DesiredStack| stack_plan::Rendered {
        task_definitions: Some(
            want.services.iter().map(|s| (s.name.clone(), taskdef::render(want, s, &[], &roles, &[]))).collect(),
        ),
        execution_policy: Some("{}".into()),
        task_policy: None,
    };
    let want = desired::desired(&spec, &id, "us-east-1");
    let observed = simulate::converge(&want, &render(&want), &id, 20);
    assert!(stack_plan::plan(&want, &render(&want), &observed, &[], &id, false).steps.is_empty(), "in sync");

    let start = Instant::now();
    for _ in 0..iterations {
        let want = desired::desired(black_box(&spec), black_box(&id), "us-east-1");
        let rendered = render(&want);
        black_box(stack_plan::plan(&want, &rendered, black_box(&observed), &[], &id, false));
    }
    let per = start.elapsed() / iterations;
    if iterations > 100 {
        println!(
            "appstack desired+task definitions+plan (in sync, {services} services): {per:?} per stack, {:?} per service",
            per / u32::try_from(services).unwrap_or(1)
        );
    }
}
