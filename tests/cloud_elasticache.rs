//! Tier 2: every ElastiCache adapter call the Cache reconciler uses, against the emulator,
//! including how errors map to categories. Each test makes its own VPC (with a plain EC2 client),
//! subnet group and parameter group, named after the process id, so the tests run in parallel.
//!
//! Replication groups pass through `creating` and `modifying` for STACKWRIGHT_EMULATOR_DELAY
//! (2 s unless set). The tests wait by polling, never through the emulator's
//! `lifecycles/finish`: that ends every lifecycle of the process, and would end the `creating`
//! another test is asserting Busy against.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod support;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use stackwright_cloud::elasticache::{
    ElastiCache, Endpoint, Modification, NewReplicationGroup, ReplicationGroup, family,
};
use stackwright_cloud::secretsmanager::generate_auth_token;
use stackwright_cloud::{CallOutcome, CallRecorder, Cloud, ErrorCategory};

#[derive(Debug, Default)]
struct Calls(Mutex<Vec<(String, String, CallOutcome)>>, Mutex<Vec<(String, String)>>);

impl CallRecorder for Calls {
    fn record(&self, service: &str, operation: &str, outcome: CallOutcome) {
        self.0.lock().unwrap().push((service.into(), operation.into(), outcome));
    }

    fn rate_limit_wait(&self, service: &str, region: &str, _waited: Duration) {
        self.1.lock().unwrap().push((service.into(), region.into()));
    }
}

impl Calls {
    fn operations(&self) -> Vec<String> {
        self.0.lock().unwrap().iter().map(|c| c.1.clone()).collect()
    }

    fn clear(&self) {
        self.0.lock().unwrap().clear();
    }
}

async fn elasticache() -> (ElastiCache, Arc<Calls>) {
    elasticache_with(support::env().aws_settings()).await
}

async fn elasticache_with(settings: stackwright_cloud::AwsSettings) -> (ElastiCache, Arc<Calls>) {
    let calls = Arc::new(Calls::default());
    let cloud = Cloud::new(settings, calls.clone()).await;
    (cloud.elasticache(support::REGION), calls)
}

/// A name unique to this process and test: ElastiCache ids are lower-case letters, digits and
/// single hyphens, starting with a letter, at most 40 characters.
fn unique(name: &str) -> String {
    format!("sw{}-{name}", std::process::id())
}

fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// Whether the emulator walks resources through transitional states (a delay of 0 turns that
/// off; the emulator reads the same variable, inherited from this process).
fn lifecycles_on() -> bool {
    std::env::var("STACKWRIGHT_EMULATOR_DELAY").ok().and_then(|v| v.trim().parse::<f64>().ok()).is_none_or(|d| d > 0.0)
}

/// What every replication group test needs around the group.
struct Fixture {
    security_groups: Vec<String>,
    subnet_group: String,
    parameter_group: String,
}

async fn ec2() -> aws_sdk_ec2::Client {
    aws_sdk_ec2::Client::new(&support::env().sdk_config().await)
}

/// A VPC with two subnets in two zones and two security groups, made with a plain EC2 client.
async fn network(name: &str) -> (String, Vec<String>, Vec<String>) {
    let ec2 = ec2().await;
    let vpc = ec2.create_vpc().cidr_block("10.40.0.0/16").send().await.unwrap().vpc.unwrap().vpc_id.unwrap();
    let mut subnets = Vec::new();
    for (cidr, zone) in [("10.40.1.0/24", "us-east-1a"), ("10.40.2.0/24", "us-east-1b")] {
        let subnet = ec2.create_subnet().vpc_id(&vpc).cidr_block(cidr).availability_zone(zone).send().await.unwrap();
        subnets.push(subnet.subnet.unwrap().subnet_id.unwrap());
    }
    let mut groups = Vec::new();
    for suffix in ["a", "b"] {
        let sg = ec2
            .create_security_group()
            .group_name(format!("{name}-{suffix}"))
            .description("cache adapter test")
            .vpc_id(&vpc)
            .send()
            .await
            .unwrap();
        groups.push(sg.group_id.unwrap());
    }
    subnets.sort();
    (vpc, subnets, groups)
}

async fn fixture(ec: &ElastiCache, name: &str, family: &str) -> Fixture {
    let (_vpc_id, subnet_ids, security_groups) = network(name).await;
    let subnet_group = unique(&format!("{name}-subnets"));
    ec.create_subnet_group(&subnet_group, "cache adapter test", &subnet_ids, &tags(&[("test", name)])).await.unwrap();
    let parameter_group = unique(&format!("{name}-params"));
    ec.create_parameter_group(&parameter_group, family, "cache adapter test", &tags(&[("test", name)])).await.unwrap();
    Fixture { security_groups, subnet_group, parameter_group }
}

fn new_group(id: &str, fx: &Fixture, replicas: u32, transit: bool) -> NewReplicationGroup {
    NewReplicationGroup {
        id: id.to_string(),
        description: "cache adapter test".into(),
        engine: "valkey".into(),
        engine_version: "8.0".into(),
        node_type: "cache.t3.micro".into(),
        replicas,
        parameter_group: fx.parameter_group.clone(),
        subnet_group: fx.subnet_group.clone(),
        security_group_ids: vec![fx.security_groups[0].clone()],
        snapshot_retention_limit: 1,
        transit_encryption: transit,
        auth_token: transit.then(generate_auth_token),
        tags: tags(&[("stackwright.io/owner", "ns/cache"), ("team", "payments")]),
    }
}

/// Polls until the group is `available` with nothing pending, and returns it.
async fn settled(ec: &ElastiCache, id: &str) -> ReplicationGroup {
    support::eventually(&format!("replication group {id} is available"), Duration::from_secs(60), || async {
        ec.replication_group(id).await.unwrap().filter(|g| g.status == "available")
    })
    .await
}

#[tokio::test]
async fn a_replication_group_is_created_as_asked_and_read_alike_one_by_one_and_in_bulk() {
    let (ec, calls) = elasticache().await;
    let fx = fixture(&ec, "create", "valkey8").await;
    let id = unique("create");
    let new = new_group(&id, &fx, 1, true);
    ec.create_replication_group(&new).await.unwrap();

    if lifecycles_on() {
        // While it is created, AWS refuses changes: try later, never a stall.
        let group = ec.replication_group(&id).await.unwrap().unwrap();
        assert_eq!(group.status, "creating");
        // The light read for polling: one call, the group's state, no tags.
        calls.clear();
        let state = ec.replication_group_state(&id).await.unwrap().unwrap();
        assert_eq!(
            (state.status.as_str(), state.arn.as_str(), state.tags.as_ref()),
            ("creating", group.arn.as_str(), None)
        );
        assert_eq!(calls.operations(), ["DescribeReplicationGroups"], "one call");
        let change = Modification { snapshot_retention_limit: Some(2), apply_immediately: true, ..Default::default() };
        let err = ec.modify_replication_group(&id, &change).await.unwrap_err();
        assert_eq!((err.category, err.code.as_str()), (ErrorCategory::Busy, "InvalidReplicationGroupState"), "{err}");
        let err = ec.add_tags(&group.arn, &tags(&[("more", "tags")])).await.unwrap_err();
        assert_eq!(err.category, ErrorCategory::Busy, "{err}");
        let err = ec.delete_replication_group(&id, None).await.unwrap_err();
        assert_eq!(err.category, ErrorCategory::Busy, "{err}");
    }
    // A second create of the same id: observe again.
    let err = ec.create_replication_group(&new).await.unwrap_err();
    assert_eq!(err.category, ErrorCategory::AlreadyExists, "{err}");
    // Groups that a cluster uses cannot go.
    let err = ec.delete_parameter_group(&fx.parameter_group).await.unwrap_err();
    assert_eq!((err.category, err.code.as_str()), (ErrorCategory::Busy, "InvalidCacheParameterGroupState"), "{err}");
    let err = ec.delete_subnet_group(&fx.subnet_group).await.unwrap_err();
    assert_eq!((err.category, err.code.as_str()), (ErrorCategory::Busy, "CacheSubnetGroupInUse"), "{err}");

    let group = settled(&ec, &id).await;
    assert_eq!(group.id, id);
    assert!(group.arn.ends_with(&format!(":replicationgroup:{id}")), "{}", group.arn);
    assert_eq!(group.engine, "valkey");
    assert_eq!(group.engine_version.as_deref(), Some("8.0.1"), "the patch release 8.0 runs as");
    assert_eq!(group.node_type, "cache.t3.micro");
    assert_eq!(group.member_clusters, [format!("{id}-001"), format!("{id}-002")]);
    assert_eq!((group.num_cache_clusters(), group.replicas()), (2, 1));
    assert!(group.automatic_failover, "a replica turns on automatic failover");
    assert!(group.multi_az, "and Multi-AZ");
    assert!(group.at_rest_encryption, "always");
    assert!(group.transit_encryption);
    assert!(group.auth_token_enabled);
    assert_eq!(group.snapshot_retention_limit, 1);
    assert_eq!(group.parameter_group.as_deref(), Some(fx.parameter_group.as_str()));
    assert_eq!(group.security_group_ids, [fx.security_groups[0].clone()]);
    assert_eq!(group.subnet_group.as_deref(), Some(fx.subnet_group.as_str()));
    let primary = group.primary_endpoint.clone().unwrap();
    assert_eq!(primary.port, 6379);
    assert!(!primary.address.is_empty());
    assert!(matches!(&group.reader_endpoint, Some(Endpoint { port: 6379, .. })), "{:?}", group.reader_endpoint);
    assert!(group.pending.is_empty(), "{:?}", group.pending);
    assert_eq!(group.tags.as_ref(), Some(&new.tags), "tags given in the create call");

    // The bulk read: the same group, without tags, from two calls whatever the number of groups.
    calls.clear();
    let all = ec.replication_groups().await.unwrap();
    let mut operations = calls.operations();
    operations.sort();
    assert_eq!(operations, ["DescribeCacheClusters", "DescribeReplicationGroups"]);
    let bulk = all.into_iter().find(|g| g.id == id).unwrap();
    assert_eq!(bulk, ReplicationGroup { tags: None, ..group.clone() });

    ec.add_tags(&group.arn, &tags(&[("team", "billing"), ("more", "tags")])).await.unwrap();
    let now = ec.tags(&group.arn).await.unwrap();
    assert_eq!(now, tags(&[("stackwright.io/owner", "ns/cache"), ("team", "billing"), ("more", "tags")]));

    ec.delete_replication_group(&id, None).await.unwrap();
    support::eventually("the group is gone", Duration::from_secs(60), || async {
        ec.replication_group(&id).await.unwrap().is_none().then_some(())
    })
    .await;
    ec.delete_parameter_group(&fx.parameter_group).await.unwrap();
    ec.delete_subnet_group(&fx.subnet_group).await.unwrap();
}

#[tokio::test]
async fn a_replication_group_is_modified_in_place_and_its_replicas_follow_the_count() {
    let (ec, _calls) = elasticache().await;
    let fx = fixture(&ec, "modify", "valkey8").await;
    let other_params = unique("modify-params2");
    ec.create_parameter_group(&other_params, "valkey8", "second", &BTreeMap::new()).await.unwrap();
    let id = unique("modify");
    // A single primary without transit encryption: no failover, no Multi-AZ, no token.
    ec.create_replication_group(&new_group(&id, &fx, 0, false)).await.unwrap();
    let group = settled(&ec, &id).await;
    assert_eq!(group.member_clusters, [format!("{id}-001")]);
    assert!(!group.automatic_failover && !group.multi_az && !group.transit_encryption && !group.auth_token_enabled);
    assert!(group.at_rest_encryption);

    // A replica, then failover and Multi-AZ (which need one).
    ec.increase_replica_count(&id, 1).await.unwrap();
    let group = settled(&ec, &id).await;
    assert_eq!(group.replicas(), 1);
    let on = Modification { automatic_failover: Some(true), multi_az: Some(true), ..Default::default() };
    ec.modify_replication_group(&id, &on).await.unwrap();
    let group = settled(&ec, &id).await;
    assert!(group.automatic_failover && group.multi_az);

    // A node type not applied immediately waits for the maintenance window, shown as pending.
    let resize = Modification { node_type: Some("cache.t3.small".into()), ..Default::default() };
    ec.modify_replication_group(&id, &resize).await.unwrap();
    let group = ec.replication_group(&id).await.unwrap().unwrap();
    assert_eq!(group.node_type, "cache.t3.micro");
    assert_eq!(group.pending.node_type.as_deref(), Some("cache.t3.small"));
    let bulk = ec.replication_groups().await.unwrap().into_iter().find(|g| g.id == id).unwrap();
    assert_eq!(bulk.pending.node_type.as_deref(), Some("cache.t3.small"), "the bulk read sees it too");

    // Everything else, applied now (the pending node type with it).
    let mut security_groups = fx.security_groups.clone();
    security_groups.sort();
    let change = Modification {
        parameter_group: Some(other_params.clone()),
        security_group_ids: Some(security_groups.clone()),
        snapshot_retention_limit: Some(5),
        apply_immediately: true,
        ..Default::default()
    };
    ec.modify_replication_group(&id, &change).await.unwrap();
    let group = settled(&ec, &id).await;
    assert_eq!(group.node_type, "cache.t3.small");
    assert_eq!(group.parameter_group.as_deref(), Some(other_params.as_str()));
    assert_eq!(group.security_group_ids, security_groups);
    assert_eq!(group.snapshot_retention_limit, 5);
    assert!(group.pending.is_empty(), "{:?}", group.pending);

    let upgrade = Modification { engine_version: Some("8.1".into()), apply_immediately: true, ..Default::default() };
    ec.modify_replication_group(&id, &upgrade).await.unwrap();
    assert_eq!(settled(&ec, &id).await.engine_version.as_deref(), Some("8.1.0"));

    // Back to a single primary: failover and Multi-AZ off first, then the replica goes.
    let err = ec.decrease_replica_count(&id, 0).await.unwrap_err();
    assert_eq!(err.category, ErrorCategory::Invalid, "the last replica while failover is on: {err}");
    let off = Modification { automatic_failover: Some(false), multi_az: Some(false), ..Default::default() };
    ec.modify_replication_group(&id, &off).await.unwrap();
    settled(&ec, &id).await;
    ec.decrease_replica_count(&id, 0).await.unwrap();
    let group = settled(&ec, &id).await;
    assert_eq!(group.member_clusters, [format!("{id}-001")]);
    assert!(!group.automatic_failover && !group.multi_az);

    // A modification that changes nothing makes no call (and so cannot fail).
    ec.modify_replication_group("no-such-group", &Modification { apply_immediately: true, ..Default::default() })
        .await
        .unwrap();

    ec.delete_replication_group(&id, None).await.unwrap();
    support::eventually("the group is gone", Duration::from_secs(60), || async {
        ec.replication_group(&id).await.unwrap().is_none().then_some(())
    })
    .await;
    ec.delete_parameter_group(&fx.parameter_group).await.unwrap();
    ec.delete_parameter_group(&other_params).await.unwrap();
    ec.delete_subnet_group(&fx.subnet_group).await.unwrap();
}

#[tokio::test]
async fn a_deleted_replication_group_leaves_its_final_snapshot() {
    let (ec, _calls) = elasticache().await;
    let fx = fixture(&ec, "final", "valkey8").await;
    let id = unique("final");
    ec.create_replication_group(&new_group(&id, &fx, 0, true)).await.unwrap();
    settled(&ec, &id).await;

    let snapshot = unique("final-snapshot");
    assert_eq!(ec.snapshot(&snapshot).await.unwrap(), None);
    ec.delete_replication_group(&id, Some(&snapshot)).await.unwrap();
    let taken = ec.snapshot(&snapshot).await.unwrap().unwrap();
    assert_eq!(taken.name, snapshot);
    assert_eq!(taken.replication_group_id.as_deref(), Some(id.as_str()));
    assert!(["creating", "available"].contains(&taken.status.as_str()), "{}", taken.status);
    // Deleting again while it is deleting: not an error a person must fix.
    if lifecycles_on() {
        let err = ec.delete_replication_group(&id, Some(&snapshot)).await.unwrap_err();
        assert!(!err.category.needs_a_person(), "{err}");
    }

    support::eventually("the group is gone", Duration::from_secs(60), || async {
        ec.replication_group(&id).await.unwrap().is_none().then_some(())
    })
    .await;
    let kept = support::eventually("the snapshot is available", Duration::from_secs(60), || async {
        ec.snapshot(&snapshot).await.unwrap().filter(|s| s.status == "available")
    })
    .await;
    // A final snapshot cannot be tagged in the delete call: tagged afterwards.
    ec.add_tags(&kept.arn, &tags(&[("stackwright.io/owner", "ns/cache")])).await.unwrap();
    assert_eq!(ec.snapshot(&snapshot).await.unwrap().unwrap().tags, tags(&[("stackwright.io/owner", "ns/cache")]));

    ec.delete_parameter_group(&fx.parameter_group).await.unwrap();
    ec.delete_subnet_group(&fx.subnet_group).await.unwrap();
    ec.delete_snapshot(&snapshot).await.unwrap();
    assert_eq!(ec.snapshot(&snapshot).await.unwrap(), None);
}

#[tokio::test]
async fn missing_resources_read_as_none_and_write_as_not_found() {
    let (ec, _calls) = elasticache().await;
    let id = unique("missing");
    assert_eq!(ec.replication_group(&id).await.unwrap(), None);
    assert_eq!(ec.subnet_group(&id).await.unwrap(), None);
    assert_eq!(ec.parameter_group(&id).await.unwrap(), None);
    assert_eq!(ec.snapshot(&id).await.unwrap(), None);
    let change = Modification { snapshot_retention_limit: Some(1), apply_immediately: true, ..Default::default() };
    for err in [
        ec.modify_replication_group(&id, &change).await.unwrap_err(),
        ec.increase_replica_count(&id, 1).await.unwrap_err(),
        ec.decrease_replica_count(&id, 0).await.unwrap_err(),
        ec.delete_replication_group(&id, None).await.unwrap_err(),
        ec.delete_subnet_group(&id).await.unwrap_err(),
        ec.delete_parameter_group(&id).await.unwrap_err(),
        ec.modify_parameters(&id, &tags(&[("timeout", "30")])).await.unwrap_err(),
        ec.reset_all_parameters(&id).await.unwrap_err(),
        ec.parameters(&id).await.unwrap_err(),
        ec.delete_snapshot(&id).await.unwrap_err(),
    ] {
        assert_eq!(err.category, ErrorCategory::NotFound, "{err}");
        assert!(err.operation.starts_with("elasticache:"), "{err}");
    }
}

#[tokio::test]
async fn subnet_groups_round_trip() {
    let (ec, _calls) = elasticache().await;
    let (vpc_id, subnet_ids, _groups) = network("subnets").await;
    let name = unique("subnets");
    let owner = tags(&[("stackwright.io/owner", "ns/cache")]);
    ec.create_subnet_group(&name, "cache subnets", &subnet_ids[..1], &owner).await.unwrap();
    let err = ec.create_subnet_group(&name, "cache subnets", &subnet_ids[..1], &owner).await.unwrap_err();
    assert_eq!(err.category, ErrorCategory::AlreadyExists, "{err}");

    let group = ec.subnet_group(&name).await.unwrap().unwrap();
    assert_eq!(group.name, name);
    assert!(group.arn.ends_with(&format!(":subnetgroup:{name}")), "{}", group.arn);
    assert_eq!(group.description, "cache subnets");
    assert_eq!(group.vpc_id, vpc_id);
    assert_eq!(group.subnet_ids, subnet_ids[..1]);
    assert_eq!(group.tags, owner);
    let listed = ec.subnet_groups().await.unwrap();
    let found = listed.iter().find(|g| g.name == name).expect("listed in bulk");
    assert_eq!((&found.arn, &found.vpc_id, &found.subnet_ids), (&group.arn, &vpc_id, &group.subnet_ids));
    assert!(found.tags.is_empty(), "the bulk listing carries no tags");

    ec.delete_subnet_group(&name).await.unwrap();
    assert_eq!(ec.subnet_group(&name).await.unwrap(), None);
}

#[tokio::test]
async fn a_subnet_group_takes_new_subnets() {
    let (ec, _calls) = elasticache().await;
    let (_vpc_id, subnet_ids, _groups) = network("resubnet").await;
    let name = unique("resubnet");
    ec.create_subnet_group(&name, "cache subnets", &subnet_ids[..1], &BTreeMap::new()).await.unwrap();
    ec.modify_subnet_group(&name, &subnet_ids).await.unwrap();
    assert_eq!(ec.subnet_group(&name).await.unwrap().unwrap().subnet_ids, subnet_ids);
    ec.delete_subnet_group(&name).await.unwrap();
}

#[tokio::test]
async fn parameter_groups_round_trip() {
    let (ec, _calls) = elasticache().await;
    let name = unique("params");
    let owner = tags(&[("stackwright.io/owner", "ns/cache")]);
    ec.create_parameter_group(&name, &family("redis", "7.1"), "cache parameters", &owner).await.unwrap();
    let err = ec.create_parameter_group(&name, "redis7", "cache parameters", &owner).await.unwrap_err();
    assert_eq!(err.category, ErrorCategory::AlreadyExists, "{err}");

    let group = ec.parameter_group(&name).await.unwrap().unwrap();
    assert_eq!(group.name, name);
    assert_eq!(group.family, "redis7");
    assert_eq!(group.description, "cache parameters");
    assert!(group.arn.ends_with(&format!(":parametergroup:{name}")), "{}", group.arn);
    assert_eq!(group.tags, owner);
    let listed = ec.parameter_groups().await.unwrap();
    let found = listed.iter().find(|g| g.name == name).expect("listed in bulk");
    assert_eq!((found.family.as_str(), found.arn.as_str()), ("redis7", group.arn.as_str()));
    assert!(ec.parameters(&name).await.unwrap().is_empty(), "the engine's defaults are not 'set'");

    let wanted = tags(&[("maxmemory-policy", "allkeys-lru"), ("timeout", "300"), ("appendonly", "yes")]);
    ec.modify_parameters(&name, &wanted).await.unwrap();
    assert_eq!(ec.parameters(&name).await.unwrap(), wanted);
    ec.reset_parameters(&name, &["appendonly".to_string()]).await.unwrap();
    assert_eq!(ec.parameters(&name).await.unwrap(), tags(&[("maxmemory-policy", "allkeys-lru"), ("timeout", "300")]));
    ec.reset_all_parameters(&name).await.unwrap();
    assert!(ec.parameters(&name).await.unwrap().is_empty());

    // A value the engine does not take is a spec error, named by AWS.
    let err = ec.modify_parameters(&name, &tags(&[("maxmemory-policy", "sometimes")])).await.unwrap_err();
    assert_eq!(err.category, ErrorCategory::Invalid, "{err}");
    assert!(err.message.contains("maxmemory-policy"), "{err}");

    ec.delete_parameter_group(&name).await.unwrap();
    assert_eq!(ec.parameter_group(&name).await.unwrap(), None);
}

#[tokio::test]
async fn elasticache_calls_wait_under_their_own_rate_limit() {
    let settings = stackwright_cloud::AwsSettings {
        rate_limits: stackwright_cloud::RateLimits::parse("elasticache=0.5:1").unwrap(),
        ..support::env().aws_settings()
    };
    let (ec, calls) = elasticache_with(settings).await;
    let id = unique("rate");
    for _ in 0..3 {
        assert_eq!(ec.replication_group(&id).await.unwrap(), None);
    }
    let waits = calls.1.lock().unwrap().clone();
    // A burst of one and a call per two seconds: every call after the first waited, however
    // slowly a busy emulator answers.
    assert_eq!(waits.len(), 2, "{waits:?}");
    assert!(waits.iter().all(|(service, region)| service == "elasticache" && region == support::REGION));
}
