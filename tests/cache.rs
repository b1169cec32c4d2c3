//! Cache end to end: the real `stackwright` binary against a real kube-apiserver and the
//! project's AWS emulator (moto with ElastiCache lifecycles, parameter groups, replica counts and
//! final snapshots). AWS state is read with plain SDK clients that share no code with the
//! controller.
//!
//! Where a test needs a stack's network or task security group, it applies a real AppStack,
//! which the same controller reconciles.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::api::core::v1::Secret;
use kube::Api;
use kube::api::DeleteParams;
use stackwright_api::Cache;
use support::{Env, aws_calls, env, eventually};

const CONVERGE: Duration = Duration::from_secs(120);

fn condition(c: &Cache, type_: &str) -> Option<(String, String, String)> {
    support::condition(&c.status.as_ref()?.common.conditions, type_)
}

fn ready(c: &Cache) -> bool {
    condition(c, "Ready").is_some_and(|(s, _, _)| s == "True")
        && c.status.as_ref().and_then(|s| s.common.observed_generation) == c.metadata.generation
}

async fn wait_cache(api: &Api<Cache>, name: &str, what: &str, pred: impl Fn(&Cache) -> bool) -> Cache {
    eventually(what, CONVERGE, || async { api.get_opt(name).await.ok().flatten().filter(|c| pred(c)) }).await
}

fn manifest(name: &str, spec: &str) -> String {
    format!("apiVersion: stackwright.io/v1alpha1\nkind: Cache\nmetadata:\n  name: {name}\nspec:\n{spec}")
}

fn resource(c: &Cache, kind: &str) -> String {
    c.status.as_ref().unwrap().common.resources.iter().find(|r| r.kind == kind).unwrap().id.clone()
}

struct Fixture {
    env: &'static Env,
    ns: String,
    api: Api<Cache>,
    ec: aws_sdk_elasticache::Client,
    ec2: aws_sdk_ec2::Client,
    sm: aws_sdk_secretsmanager::Client,
}

async fn setup(prefix: &str) -> Fixture {
    let env = env();
    let ns = env.namespace(prefix).await;
    let config = env.sdk_config().await;
    Fixture {
        api: Api::namespaced(env.client().await, &ns),
        ec: aws_sdk_elasticache::Client::new(&config),
        ec2: aws_sdk_ec2::Client::new(&config),
        sm: aws_sdk_secretsmanager::Client::new(&config),
        env,
        ns,
    }
}

async fn group(ec: &aws_sdk_elasticache::Client, id: &str) -> Option<aws_sdk_elasticache::types::ReplicationGroup> {
    ec.describe_replication_groups().replication_group_id(id).send().await.ok()?.replication_groups?.into_iter().next()
}

async fn user_parameters(ec: &aws_sdk_elasticache::Client, name: &str) -> BTreeMap<String, String> {
    let out = ec.describe_cache_parameters().cache_parameter_group_name(name).source("user").send().await.unwrap();
    out.parameters()
        .iter()
        .filter_map(|p| Some((p.parameter_name()?.to_string(), p.parameter_value()?.to_string())))
        .collect()
}

#[tokio::test]
async fn creates_with_a_stored_token_scales_reverts_drift_and_keeps_quiet() {
    let f = setup("cache-life").await;
    let (vpc, subnets) = support::network(&f.ec2, 50).await;
    let ctl = f.env.controller(&f.ns, "cachelife");
    support::put_stack(f.env, &f.ns, "web", "[{cache: redis, envPrefix: REDIS}]", &vpc, &subnets);
    let spec = "  engine: redis\n  version: \"7.1\"\n  nodeType: cache.t3.micro\n  evictionPolicy: volatile-lru\n  snapshotRetentionDays: 3\n  tags: {team: web}\n  network: {appStack: web}\n";
    f.env.apply(&f.ns, &manifest("redis", spec));
    let tasks = support::stack_tasks(f.env, &f.ns, "web").await;
    let cache = wait_cache(&f.api, "redis", "the cache is Ready", ready).await;

    // ElastiCache holds what the spec asks, and what Stackwright always asks.
    let id = resource(&cache, "elasticache:ReplicationGroup");
    let g = group(&f.ec, &id).await.unwrap();
    assert_eq!(g.status(), Some("available"));
    assert_eq!(g.cache_node_type(), Some("cache.t3.micro"));
    assert_eq!((g.at_rest_encryption_enabled(), g.transit_encryption_enabled()), (Some(true), Some(true)));
    assert_eq!(g.auth_token_enabled(), Some(true));
    assert_eq!(g.snapshot_retention_limit(), Some(3));
    assert_eq!(g.member_clusters().len(), 1, "a single primary");
    let params = resource(&cache, "elasticache:CacheParameterGroup");
    assert_eq!(user_parameters(&f.ec, &params).await.get("maxmemory-policy").map(String::as_str), Some("volatile-lru"));
    let db_group = resource(&cache, "ec2:SecurityGroup");
    support::admits(&f.ec2, &db_group, &[format!("6379:{tasks}")]).await;

    // The token lives in Secrets Manager; the connection Secret points at it.
    let s = cache.status.clone().unwrap();
    let token_arn = s.auth_token_secret_arn.clone().expect("the token's secret");
    let token = f.sm.get_secret_value().secret_id(&token_arn).send().await.unwrap().secret_string.unwrap();
    assert!(token.len() >= 16, "a generated token");
    let secrets: Api<Secret> = Api::namespaced(f.env.client().await, &f.ns);
    let conn = secrets.get("redis-connection").await.unwrap();
    let data: BTreeMap<String, String> =
        conn.data.unwrap().into_iter().map(|(k, v)| (k, String::from_utf8(v.0).unwrap())).collect();
    let primary = s.primary_endpoint.clone().unwrap();
    assert_eq!(data["host"], primary.address);
    assert_eq!(data["port"], "6379");
    assert_eq!(data["tls"], "true");
    assert_eq!(data["authTokenSecretArn"], token_arn);
    assert!(s.common.estimated_monthly_cost_usd.is_some());

    // The token is in no Kubernetes object, Event or log line.
    let dump = f.env.kubectl(&["get", "secrets,events,caches,appstacks", "-n", &f.ns, "-o", "yaml"], None);
    let everything = String::from_utf8_lossy(&dump.stdout).to_string();
    assert!(everything.contains("authTokenSecretArn"));
    assert!(!everything.contains(&token) && !everything.contains(&support::base64_of(&token)), "the token leaked");
    assert!(!ctl.log_tail().contains(&token), "the token is in the controller's log");

    // Scale: a larger node, one replica (failover and Multi-AZ follow), another eviction policy.
    let scaled =
        spec.replace("cache.t3.micro", "cache.t3.small").replace("volatile-lru", "allkeys-lfu") + "  replicas: 1\n";
    f.env.apply(&f.ns, &manifest("redis", &scaled));
    wait_cache(&f.api, "redis", "the scaled cache is Ready", ready).await;
    let g = group(&f.ec, &id).await.unwrap();
    assert_eq!(g.cache_node_type(), Some("cache.t3.small"));
    assert_eq!(g.member_clusters().len(), 2, "a primary and a replica");
    assert_eq!(g.automatic_failover().map(|a| a.as_str()), Some("enabled"));
    assert_eq!(g.multi_az().map(|m| m.as_str()), Some("enabled"));
    assert_eq!(user_parameters(&f.ec, &params).await.get("maxmemory-policy").map(String::as_str), Some("allkeys-lfu"));

    // Drift by hand: snapshot retention changed; the resync puts it back.
    f.ec.modify_replication_group()
        .replication_group_id(&id)
        .snapshot_retention_limit(0)
        .apply_immediately(true)
        .send()
        .await
        .unwrap();
    eventually("drift is reverted within the resync", CONVERGE, || async {
        let g = group(&f.ec, &id).await?;
        (g.snapshot_retention_limit() == Some(3) && g.status() == Some("available")).then_some(())
    })
    .await;
    wait_cache(&f.api, "redis", "Ready after the drift", ready).await;

    // Steady state (the bound stack's rollout done too): resyncs read and write nothing.
    let stacks: kube::Api<stackwright_api::AppStack> = kube::Api::namespaced(f.env.client().await, &f.ns);
    eventually("the bound stack is Ready", CONVERGE, || async {
        let stack = stacks.get_opt("web").await.ok()??;
        support::condition(&stack.status?.common.conditions, "Ready").filter(|(s, _, _)| s == "True")
    })
    .await;
    let writes = |m: &str| aws_calls(m, stackwright_cloud::calls::is_write);
    let before = ctl.metrics().await;
    let reads_before = aws_calls(&before, |op| op == "DescribeCacheParameters");
    let after = eventually("three more resyncs", CONVERGE, || async {
        let m = ctl.metrics().await;
        (aws_calls(&m, |op| op == "DescribeCacheParameters") >= reads_before + 3).then_some(m)
    })
    .await;
    assert_eq!(writes(&after), writes(&before), "no AWS write in steady state");
    assert_eq!(
        support::metric(&after, "stackwright_status_writes_total{kind=\"Cache\"}"),
        support::metric(&before, "stackwright_status_writes_total{kind=\"Cache\"}"),
        "no status write in steady state"
    );
}

#[tokio::test]
async fn deletion_follows_the_policy() {
    let f = setup("cache-delete").await;
    let (vpc, subnets) = support::network(&f.ec2, 51).await;
    let _ctl = f.env.controller(&f.ns, "cachedelete");
    let base = format!(
        "  engine: valkey\n  version: \"8.0\"\n  nodeType: cache.t4g.micro\n  network: {{vpcId: {vpc}, subnetIds: [{}]}}\n",
        subnets.join(", ")
    );
    f.env.apply(&f.ns, &manifest("drop", &base));
    f.env.apply(&f.ns, &manifest("snap", &format!("{base}  deletionPolicy: Snapshot\n")));
    f.env.apply(&f.ns, &manifest("keep", &format!("{base}  deletionPolicy: Retain\n")));
    let mut made = BTreeMap::new();
    for name in ["drop", "snap", "keep"] {
        let c = wait_cache(&f.api, name, "Ready", ready).await;
        let token = c.status.as_ref().unwrap().auth_token_secret_arn.clone().unwrap();
        made.insert(name, (resource(&c, "elasticache:ReplicationGroup"), resource(&c, "ec2:SecurityGroup"), token));
    }
    for name in ["drop", "snap", "keep"] {
        f.api.delete(name, &DeleteParams::default()).await.unwrap();
    }
    let snap = wait_cache(&f.api, "snap", "the final snapshot is recorded", |c| {
        c.status.as_ref().is_some_and(|s| s.final_snapshot_id.is_some())
    })
    .await;
    let final_snapshot = snap.status.unwrap().final_snapshot_id.unwrap();
    for name in ["drop", "snap", "keep"] {
        eventually("the Cache is gone", CONVERGE, || async {
            f.api.get_opt(name).await.unwrap().is_none().then_some(())
        })
        .await;
    }
    for name in ["drop", "snap"] {
        let (id, sg, token) = &made[name];
        assert!(group(&f.ec, id).await.is_none(), "{name}: replication group deleted");
        let groups = f.ec2.describe_security_groups().group_ids(sg).send().await;
        assert!(groups.is_err() || groups.unwrap().security_groups().is_empty(), "{name}: security group deleted");
        let secret = f.sm.describe_secret().secret_id(token).send().await;
        assert!(secret.is_err() || secret.unwrap().deleted_date().is_some(), "{name}: token secret deleted");
    }
    let snapshots = f.ec.describe_snapshots().send().await.unwrap();
    let of = |group: &str| {
        snapshots
            .snapshots()
            .iter()
            .filter(|s| s.replication_group_id() == Some(group))
            .map(|s| s.snapshot_name().unwrap_or_default().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(of(&made["snap"].0), [final_snapshot], "Snapshot leaves the final snapshot named in status");
    assert!(of(&made["drop"].0).is_empty(), "Delete leaves none");
    assert_eq!(group(&f.ec, &made["keep"].0).await.unwrap().status(), Some("available"), "Retain keeps it");
}
