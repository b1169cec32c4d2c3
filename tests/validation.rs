//! Bad input is refused by the API server itself, with the CRD's own messages, before any
//! controller sees it; valid manifests (every example system) are accepted.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod support;

use serde_json::{Value, json};
use support::env;

const ACCUNODE: &str = r#"
apiVersion: stackwright.io/v1alpha1
kind: AppStack
metadata: {name: accunode}
spec:
  network:
    vpcId: vpc-0cd7231cf6acb1d4f
    publicSubnetIds: [subnet-0a1b2c3d4e5f60718, subnet-0b1c2d3e4f5a60718]
    privateSubnetIds: [subnet-0c1d2e3f4a5b60718, subnet-0d1e2f3a4b5c60718]
  services:
  - name: api
    image: 461962182774.dkr.ecr.us-east-1.amazonaws.com/accunode:prod-abc123
    cpu: 256
    memory: 512
    port: 8000
    env: [{name: LOG_LEVEL, value: info}]
    secretEnv: [{name: SECRET_KEY, secretsManagerArn: "arn:aws:secretsmanager:us-east-1:461962182774:secret:accunode/key"}]
    expose: {paths: ["/*"], healthCheck: {path: /health}}
    autoscaling: {minReplicas: 1, maxReplicas: 2, targetCPUPercent: 70}
  - name: worker
    image: 461962182774.dkr.ecr.us-east-1.amazonaws.com/accunode:prod-abc123
    autoscaling: {minReplicas: 1, maxReplicas: 2, targetCPUPercent: 60}
  bindings:
  - {database: accunode-db, envPrefix: DATABASE}
  - {cache: accunode-redis, envPrefix: REDIS}
"#;

const DATABASE: &str = r#"
apiVersion: stackwright.io/v1alpha1
kind: Database
metadata: {name: accunode-db}
spec:
  engine: postgres
  version: "15.7"
  instanceClass: db.t3.small
  storage: {sizeGiB: 20, type: gp3}
  network: {appStack: accunode}
"#;

const CACHE: &str = r#"
apiVersion: stackwright.io/v1alpha1
kind: Cache
metadata: {name: accunode-redis}
spec:
  version: "7.1"
  nodeType: cache.t3.micro
  network: {appStack: accunode}
"#;

const BUCKET: &str = r#"
apiVersion: stackwright.io/v1alpha1
kind: Bucket
metadata: {name: documents}
spec:
  versioning: true
"#;

fn parse(yaml: &str) -> Value {
    serde_yaml::from_str(yaml).unwrap()
}

/// `base` with `edit` applied, under a fresh object name.
fn variant(base: &str, name: &str, edit: impl FnOnce(&mut Value)) -> String {
    let mut v = parse(base);
    v["metadata"]["name"] = json!(name);
    edit(&mut v);
    serde_yaml::to_string(&v).unwrap()
}

/// Asserts that creating `yaml` is refused with a message containing `expected`.
fn refused(ns: &str, case: &str, yaml: &str, expected: &str) {
    let out = env().try_apply(ns, yaml);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{case}: accepted, but should be refused");
    assert!(stderr.contains(expected), "{case}: refused, but not with {expected:?}:\n{stderr}");
}

#[tokio::test]
async fn valid_manifests_of_every_kind_are_accepted_with_defaults() {
    let env = env();
    let ns = env.namespace("valid").await;
    for yaml in [ACCUNODE, DATABASE, CACHE, BUCKET] {
        env.apply(&ns, yaml);
    }
    let out = env.kubectl(&["get", "bucket", "documents", "-n", &ns, "-o", "json"], None);
    let bucket: Value = serde_json::from_slice(&out.stdout).unwrap();
    // Defaults are filled in by the API server from the schema.
    assert_eq!(bucket["spec"]["publicAccessBlock"], json!(true));
    assert_eq!(bucket["spec"]["deletionPolicy"], json!("Retain"));
    assert_eq!(bucket["spec"]["encryption"]["type"], json!("SSE-S3"));
    let out = env.kubectl(&["get", "stackwright", "-n", &ns, "-o", "name"], None);
    let names = String::from_utf8_lossy(&out.stdout);
    for kind in ["appstack", "database", "cache", "bucket"] {
        assert!(names.contains(&format!("{kind}.stackwright.io/")), "kubectl get stackwright lists {kind}: {names}");
    }
    let out = env.kubectl(&["get", "sbucket", "-n", &ns], None);
    let table = String::from_utf8_lossy(&out.stdout);
    let header: Vec<&str> = table.lines().next().unwrap_or_default().split_whitespace().collect();
    assert_eq!(header, ["NAME", "READY", "STATUS", "BUCKET", "COST", "AGE"], "{table}");
    for (short, column) in [("sdb", "ENDPOINT"), ("scache", "ENDPOINT")] {
        let out = env.kubectl(&["get", short, "-n", &ns], None);
        let table = String::from_utf8_lossy(&out.stdout);
        let header: Vec<&str> = table.lines().next().unwrap_or_default().split_whitespace().collect();
        assert_eq!(header, ["NAME", "READY", "STATUS", column, "COST", "AGE"], "{short}: {table}");
    }
    let out = env.kubectl(&["explain", "bucket.spec.lifecycle"], None);
    let explain = String::from_utf8_lossy(&out.stdout);
    assert!(explain.contains("Lifecycle rules") && explain.contains("transitions"), "{explain}");
}

#[tokio::test]
async fn invalid_manifests_are_refused_with_the_crds_messages() {
    let env = env();
    let ns = env.namespace("invalid").await;
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "Fargate pair",
            variant(ACCUNODE, "s1", |v| v["spec"]["services"][0]["cpu"] = json!(512)),
            "with cpu 512, memory must be 1024 to 4096 in steps of 1024 MiB",
        ),
        (
            "Fargate cpu",
            variant(ACCUNODE, "s2", |v| v["spec"]["services"][0]["cpu"] = json!(300)),
            "cpu must be a Fargate CPU size",
        ),
        (
            "duplicate service names",
            variant(ACCUNODE, "s3", |v| v["spec"]["services"][1]["name"] = json!("api")),
            "service names must be unique",
        ),
        (
            "expose without port",
            variant(ACCUNODE, "s4", |v| {
                v["spec"]["services"][0].as_object_mut().unwrap().remove("port").map(drop).unwrap_or(())
            }),
            "expose needs port",
        ),
        (
            "volume user out of range",
            variant(ACCUNODE, "v1", |v| {
                v["spec"]["services"][0]["volumes"] = json!([{"name": "data", "mountPath": "/data", "uid": -1}])
            }),
            "should be greater than or equal to 0",
        ),
        (
            "volume deletion policy",
            variant(ACCUNODE, "v2", |v| v["spec"]["volumeDeletionPolicy"] = json!("Keep")),
            "Unsupported value: \"Keep\"",
        ),
        (
            "volume mount path",
            variant(ACCUNODE, "v3", |v| {
                v["spec"]["services"][0]["volumes"] = json!([{"name": "data", "mountPath": "data"}])
            }),
            "should match",
        ),
        (
            "volume root directory too long",
            variant(ACCUNODE, "v4", |v| {
                v["spec"]["services"][0]["name"] = json!("a".repeat(50));
                v["spec"]["services"][0]["volumes"] = json!([{"name": "b".repeat(50), "mountPath": "/data"}]);
            }),
            "at most 100 characters",
        ),
        (
            "autoscaling min > max",
            variant(ACCUNODE, "s5", |v| v["spec"]["services"][0]["autoscaling"]["minReplicas"] = json!(3)),
            "minReplicas must not exceed maxReplicas",
        ),
        (
            "managed network with host bits",
            variant(ACCUNODE, "n1", |v| v["spec"]["network"] = json!({"managed": {"cidr": "10.0.0.5/16"}})),
            "managed.cidr must be a network address with no host bits set",
        ),
        (
            "managed network beyond a /20",
            variant(ACCUNODE, "n2", |v| v["spec"]["network"] = json!({"managed": {"cidr": "10.0.0.0/22"}})),
            "spec.network.managed.cidr",
        ),
        (
            "more NAT gateways than zones",
            variant(ACCUNODE, "n3", |v| {
                v["spec"]["network"] = json!({"managed": {"availabilityZones": 2, "natGateways": 3}})
            }),
            "managed.natGateways cannot exceed availabilityZones",
        ),
        (
            "certificate that is not ACM's or IAM's",
            variant(ACCUNODE, "c1", |v| v["spec"]["loadBalancer"] = json!({"certificateArn": "arn:aws:s3:::bucket"})),
            "spec.loadBalancer.certificateArn in body should match",
        ),
        (
            "binding with two targets",
            variant(ACCUNODE, "s6", |v| v["spec"]["bindings"][0]["cache"] = json!("accunode-redis")),
            "a binding names exactly one of database, cache or bucket",
        ),
        (
            "database network with both",
            variant(DATABASE, "d1", |v| v["spec"]["network"]["vpcId"] = json!("vpc-0cd7231cf6acb1d4f")),
            "network needs exactly one of: appStack (an AppStack in this namespace), or vpcId together with subnetIds",
        ),
        (
            "cache replicas",
            variant(CACHE, "c1", |v| v["spec"]["replicas"] = json!(6)),
            "spec.replicas in body should be less than or equal to 5",
        ),
        (
            "public bucket without website",
            variant(BUCKET, "b1", |v| v["spec"]["publicAccessBlock"] = json!(false)),
            "publicAccessBlock: false is allowed only together with website",
        ),
        (
            "object lock without versioning",
            variant(BUCKET, "b2", |v| {
                v["spec"]["versioning"] = json!(false);
                v["spec"]["objectLock"] = json!({"mode": "COMPLIANCE", "days": 30});
            }),
            "objectLock requires versioning: true",
        ),
        (
            "KMS without a key",
            variant(BUCKET, "b3", |v| v["spec"]["encryption"] = json!({"type": "SSE-KMS"})),
            "kmsKeyId is required with type SSE-KMS",
        ),
        (
            "duplicate lifecycle ids",
            variant(BUCKET, "b4", |v| {
                v["spec"]["lifecycle"] = json!([{"id": "a", "expirationDays": 1}, {"id": "a", "expirationDays": 2}]);
            }),
            "lifecycle rule ids must be unique",
        ),
        (
            "empty lifecycle rule",
            variant(BUCKET, "b5", |v| v["spec"]["lifecycle"] = json!([{"id": "a"}])),
            "a lifecycle rule needs at least one of",
        ),
        (
            "bad storage class",
            variant(BUCKET, "b6", |v| {
                v["spec"]["lifecycle"] = json!([{"id": "a", "transitions": [{"days": 1, "storageClass": "COLD"}]}]);
            }),
            "Unsupported value: \"COLD\"",
        ),
        (
            "bad bucket name",
            variant(BUCKET, "b7", |v| v["spec"]["bucketName"] = json!("Not_A_Bucket")),
            "spec.bucketName in body should match",
        ),
    ];
    for (case, yaml, expected) in &cases {
        refused(&ns, case, yaml, expected);
    }
    // Nothing of it was stored.
    let out = env.kubectl(&["get", "stackwright", "-n", &ns, "-o", "name"], None);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "", "refused objects are not stored");
}

#[tokio::test]
async fn immutable_fields_cannot_change_after_creation() {
    let env = env();
    let ns = env.namespace("immutable").await;
    let locked = variant(BUCKET, "locked", |v| {
        v["spec"]["bucketName"] = json!(format!("{}-locked", std::process::id()));
        v["spec"]["objectLock"] = json!({"mode": "GOVERNANCE", "days": 30});
    });
    env.apply(&ns, &locked);
    let changed = variant(&locked, "locked", |v| v["spec"]["objectLock"]["days"] = json!(1));
    refused(&ns, "objectLock change", &changed, "objectLock can only be set when the bucket is created");
    let renamed = variant(&locked, "locked", |v| v["spec"]["bucketName"] = json!("another-name"));
    refused(&ns, "bucketName change", &renamed, "bucketName is immutable");

    env.apply(&ns, DATABASE);
    let shrunk = variant(DATABASE, "accunode-db", |v| v["spec"]["storage"]["sizeGiB"] = json!(10));
    refused(&ns, "storage shrink", &shrunk, "cannot shrink");
    let grown = variant(DATABASE, "accunode-db", |v| v["spec"]["storage"]["sizeGiB"] = json!(50));
    env.apply(&ns, &grown);
    let renamed = variant(DATABASE, "accunode-db", |v| v["spec"]["masterUsername"] = json!("someone_else"));
    refused(&ns, "master user change", &renamed, "masterUsername is immutable");

    env.apply(&ns, CACHE);
    let plain = variant(CACHE, "accunode-redis", |v| v["spec"]["transitEncryption"] = json!(false));
    refused(&ns, "transit encryption change", &plain, "transitEncryption is immutable");
    let valkey = variant(CACHE, "accunode-redis", |v| v["spec"]["engine"] = json!("valkey"));
    refused(&ns, "engine change", &valkey, "engine is immutable");

    let owned = variant(ACCUNODE, "owned-network", |v| v["spec"]["network"] = json!({"managed": {}}));
    env.apply(&ns, &owned);
    let moved = variant(&owned, "owned-network", |v| v["spec"]["network"]["managed"]["cidr"] = json!("10.1.0.0/16"));
    refused(&ns, "managed cidr change", &moved, "managed.cidr and managed.availabilityZones are immutable");
    let shrunk = variant(&owned, "owned-network", |v| {
        v["spec"]["network"]["managed"]["availabilityZones"] = json!(3);
    });
    refused(&ns, "managed zones change", &shrunk, "managed.cidr and managed.availabilityZones are immutable");
    let existing = variant(&owned, "owned-network", |v| {
        v["spec"]["network"] =
            json!({"vpcId": "vpc-0cd7231cf6acb1d4f", "privateSubnetIds": ["subnet-0c1d2e3f4a5b60718"]});
    });
    refused(&ns, "managed to existing", &existing, "the stack's VPC cannot change");
    let more_nat = variant(&owned, "owned-network", |v| v["spec"]["network"]["managed"]["natGateways"] = json!(2));
    env.apply(&ns, &more_nat);
}
