//! Tier 4: the databases and caches of the systems of SYSTEMS.md, exactly as written under
//! examples/, converge against the local environment, and RDS and ElastiCache hold what
//! SYSTEMS.md describes, checked attribute by attribute with independent SDK clients.
//!
//! Each example's AppStack is applied too, reconciled by the same controller, on an existing
//! network the test makes in the system's region (the test puts its VPC and subnets in the
//! stack's `network` and leaves the rest of the manifest as written): the Databases and Caches
//! are placed through it. The stacks in their own networks are run by `systems_stacks.rs`.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod support;

use std::time::Duration;

use kube::Api;
use kube::api::DeleteParams;
use stackwright_api::{Cache, Database};
use support::{Env, env, eventually, repo_root};

const CONVERGE: Duration = Duration::from_secs(150);

/// What SYSTEMS.md says of a system's database.
#[derive(Debug)]
struct Db {
    object: &'static str,
    version_prefix: &'static str,
    class: &'static str,
    storage_gib: i32,
    multi_az: bool,
    retention_days: i32,
    db_name: &'static str,
    parameters: &'static [(&'static str, &'static str)],
    log_exports: &'static [&'static str],
}

/// What SYSTEMS.md says of a system's cache.
#[derive(Debug)]
struct Redis {
    object: &'static str,
    node_type: &'static str,
    members: usize,
    eviction: &'static str,
    snapshot_days: i32,
}

struct System {
    example: &'static str,
    region: &'static str,
    stack: &'static str,
    octet: u8,
    db: Db,
    cache: Option<Redis>,
}

fn ready<K: k8s_openapi::serde::Serialize>(obj: &K) -> bool {
    let v = serde_json::to_value(obj).unwrap();
    let ready = v["status"]["conditions"]
        .as_array()
        .is_some_and(|cs| cs.iter().any(|c| c["type"] == "Ready" && c["status"] == "True"));
    ready && v["status"]["observedGeneration"] == v["metadata"]["generation"]
}

/// The system's stack reporting a fresh network of its region, then its Databases and Caches.
async fn converge(env: &'static Env, system: &System) -> (String, support::Controller) {
    let ns = env.namespace("data").await;
    let controller = env.controller(&ns, "systems");
    let config = env.sdk_config().await.into_builder().region(aws_config::Region::new(system.region)).build();
    let ec2 = aws_sdk_ec2::Client::new(&config);
    let (vpc, public, private) = support::stack_network_in(&ec2, system.octet, system.region).await;
    let dir = repo_root().join("examples").join(system.example);
    let stacks: Vec<String> = env
        .kustomize(&dir, "AppStack")
        .iter()
        .map(|doc| support::on_existing_network(doc, &vpc, &public, &private))
        .collect();
    assert!(stacks.iter().any(|s| s.contains(&format!("name: {}", system.stack))), "{stacks:?}");
    env.apply(&ns, &stacks.join("\n---\n"));
    let mut docs = env.kustomize(&dir, "Database");
    docs.extend(env.kustomize(&dir, "Cache"));
    env.apply(&ns, &docs.join("\n---\n"));
    let dbs: Api<Database> = Api::namespaced(env.client().await, &ns);
    let caches: Api<Cache> = Api::namespaced(env.client().await, &ns);
    eventually(&format!("{}: every Database and Cache is Ready", system.example), CONVERGE, || async {
        let d = dbs.list(&Default::default()).await.ok()?;
        let c = caches.list(&Default::default()).await.ok()?;
        (d.items.iter().all(ready) && c.items.iter().all(ready) && !d.items.is_empty()).then_some(())
    })
    .await;
    (ns, controller)
}

async fn check(system: System) {
    let env = env();
    let (ns, _controller) = converge(env, &system).await;
    let config = env.sdk_config().await.into_builder().region(aws_config::Region::new(system.region)).build();
    let rds = aws_sdk_rds::Client::new(&config);
    let dbs: Api<Database> = Api::namespaced(env.client().await, &ns);
    let want = &system.db;
    let db = dbs.get(want.object).await.unwrap();
    let id =
        db.status.as_ref().unwrap().common.resources.iter().find(|r| r.kind == "rds:DBInstance").unwrap().id.clone();
    let out = rds.describe_db_instances().db_instance_identifier(&id).send().await.unwrap();
    let i = &out.db_instances()[0];
    let name = system.example;
    assert_eq!(i.engine(), Some("postgres"), "{name}");
    assert!(i.engine_version().unwrap().starts_with(want.version_prefix), "{name}: {:?}", i.engine_version());
    assert_eq!(i.db_instance_class(), Some(want.class), "{name}");
    assert_eq!(i.allocated_storage(), Some(want.storage_gib), "{name}");
    assert_eq!(i.storage_type(), Some("gp3"), "{name}");
    assert_eq!(i.multi_az(), Some(want.multi_az), "{name}");
    assert_eq!(i.backup_retention_period(), Some(want.retention_days), "{name}");
    assert_eq!((i.storage_encrypted(), i.publicly_accessible()), (Some(true), Some(false)), "{name}");
    assert_eq!(i.db_name(), Some(want.db_name), "{name}");
    assert!(i.master_user_secret().is_some(), "{name}: the password is managed by RDS");
    assert_eq!(i.enabled_cloudwatch_logs_exports(), want.log_exports, "{name}: logs kept");
    assert!(i.availability_zone().unwrap_or_default().starts_with(system.region), "{name}: region");
    let group = i.db_parameter_groups()[0].db_parameter_group_name().unwrap();
    let params = rds.describe_db_parameters().db_parameter_group_name(group).source("user").send().await.unwrap();
    for (k, v) in want.parameters {
        assert!(
            params.parameters().iter().any(|p| p.parameter_name() == Some(k) && p.parameter_value() == Some(v)),
            "{name}: parameter {k}={v}"
        );
    }

    if let Some(want) = &system.cache {
        let ec = aws_sdk_elasticache::Client::new(&config);
        let caches: Api<Cache> = Api::namespaced(env.client().await, &ns);
        let cache = caches.get(want.object).await.unwrap();
        let resources = &cache.status.as_ref().unwrap().common.resources;
        let id = |kind: &str| resources.iter().find(|r| r.kind == kind).unwrap().id.clone();
        let out = ec
            .describe_replication_groups()
            .replication_group_id(id("elasticache:ReplicationGroup"))
            .send()
            .await
            .unwrap();
        let g = &out.replication_groups()[0];
        assert_eq!(g.cache_node_type(), Some(want.node_type), "{name}");
        assert_eq!(g.member_clusters().len(), want.members, "{name}: nodes");
        assert_eq!(g.at_rest_encryption_enabled(), Some(true), "{name}");
        assert_eq!(g.transit_encryption_enabled(), Some(true), "{name}");
        assert_eq!(g.snapshot_retention_limit(), Some(want.snapshot_days), "{name}");
        let failover = if want.members > 1 { "enabled" } else { "disabled" };
        assert_eq!(g.automatic_failover().map(|a| a.as_str()), Some(failover), "{name}");
        let params = ec
            .describe_cache_parameters()
            .cache_parameter_group_name(id("elasticache:CacheParameterGroup"))
            .source("user")
            .send()
            .await
            .unwrap();
        let policy = params.parameters().iter().find(|p| p.parameter_name() == Some("maxmemory-policy"));
        assert_eq!(policy.and_then(|p| p.parameter_value()), Some(want.eviction), "{name}");
    }
}

#[tokio::test]
async fn accunode_data_converges_as_described() {
    // SYSTEMS.md 1: PostgreSQL 15.7 db.t3.small, 20 GB gp3, 7-day backups, single-AZ; Redis
    // cache.t3.micro, one node.
    check(System {
        example: "accunode",
        region: "us-east-1",
        stack: "accunode",
        octet: 70,
        db: Db {
            object: "accunode-db",
            version_prefix: "15.7",
            class: "db.t3.small",
            storage_gib: 20,
            multi_az: false,
            retention_days: 7,
            db_name: "accunode",
            parameters: &[],
            log_exports: &[],
        },
        cache: Some(Redis {
            object: "accunode-redis",
            node_type: "cache.t3.micro",
            members: 1,
            eviction: "allkeys-lru",
            snapshot_days: 0,
        }),
    })
    .await;
}

#[tokio::test]
async fn paperwurks_dev_data_converges_as_described() {
    // SYSTEMS.md 2, dev: PostgreSQL 15.8 db.t3.small, 20 GB, single-AZ, 7-day backups, TLS only.
    check(System {
        example: "paperwurks/dev",
        region: "eu-west-2",
        stack: "paperwurks",
        octet: 71,
        db: Db {
            object: "paperwurks-db",
            version_prefix: "15.8",
            class: "db.t3.small",
            storage_gib: 20,
            multi_az: false,
            retention_days: 7,
            db_name: "paperwurks",
            parameters: &[("rds.force_ssl", "1")],
            log_exports: &[],
        },
        cache: None,
    })
    .await;
}

#[tokio::test]
async fn paperwurks_prod_data_converges_and_its_deletion_leaves_a_final_snapshot() {
    // SYSTEMS.md 2, prod: PostgreSQL 15.8 db.t3.medium, 100 GB, Multi-AZ, 30-day backups, TLS only.
    let system = System {
        example: "paperwurks/prod",
        region: "eu-west-2",
        stack: "paperwurks",
        octet: 72,
        db: Db {
            object: "paperwurks-db",
            version_prefix: "15.8",
            class: "db.t3.medium",
            storage_gib: 100,
            multi_az: true,
            retention_days: 30,
            db_name: "paperwurks",
            parameters: &[("rds.force_ssl", "1")],
            log_exports: &[],
        },
        cache: None,
    };
    let env = env();
    let (ns, _controller) = converge(env, &system).await;
    let dbs: Api<Database> = Api::namespaced(env.client().await, &ns);
    dbs.delete("paperwurks-db", &DeleteParams::default()).await.unwrap();
    let snapshot = eventually("the final snapshot is recorded", CONVERGE, || async {
        dbs.get_opt("paperwurks-db").await.ok()??.status?.final_snapshot_id
    })
    .await;
    eventually("the Database is gone", CONVERGE, || async {
        dbs.get_opt("paperwurks-db").await.unwrap().is_none().then_some(())
    })
    .await;
    let config = env.sdk_config().await.into_builder().region(aws_config::Region::new("eu-west-2")).build();
    let rds = aws_sdk_rds::Client::new(&config);
    let out = rds.describe_db_snapshots().db_snapshot_identifier(&snapshot).send().await.unwrap();
    assert_eq!(out.db_snapshots()[0].status(), Some("available"), "the final snapshot {snapshot} is kept");
}

#[tokio::test]
async fn mcmillan_data_converges_as_described() {
    // SYSTEMS.md 3: PostgreSQL 15 with its logs kept.
    check(System {
        example: "mcmillan",
        region: "us-east-1",
        stack: "mcmillan",
        octet: 73,
        db: Db {
            object: "mcmillan-db",
            version_prefix: "15",
            class: "db.t3.micro",
            storage_gib: 20,
            multi_az: false,
            retention_days: 7,
            db_name: "mcmillan",
            parameters: &[],
            log_exports: &["postgresql"],
        },
        cache: None,
    })
    .await;
}

#[tokio::test]
async fn ai_force_data_converges_as_described() {
    // SYSTEMS.md 5: PostgreSQL 16; Redis 7 with allkeys-lru, durable (a replica with failover and
    // daily snapshots in place of AOF).
    check(System {
        example: "ai-force",
        region: "us-east-1",
        stack: "ai-force",
        octet: 74,
        db: Db {
            object: "ai-force-db",
            version_prefix: "16",
            class: "db.t3.small",
            storage_gib: 20,
            multi_az: false,
            retention_days: 7,
            db_name: "aiforce",
            parameters: &[],
            log_exports: &[],
        },
        cache: Some(Redis {
            object: "ai-force-redis",
            node_type: "cache.t3.micro",
            members: 2,
            eviction: "allkeys-lru",
            snapshot_days: 7,
        }),
    })
    .await;
}
