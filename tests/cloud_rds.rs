//! Tier 2: every RDS adapter call the Database reconciler uses, against the emulator, including
//! how errors map to categories. Each test makes its own VPC and subnets with a plain EC2 client
//! and names everything after the process and the test, so tests run in parallel in one emulator.
//! Nothing here ends a lifecycle early (the emulator's `lifecycles/finish` would end every test's):
//! the tests wait for RDS states with a deadline instead.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod support;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use stackwright_cloud::rds::{DbInstance, DbModification, NewDbInstance, Rds, default_family, major_version};
use stackwright_cloud::{CallOutcome, CallRecorder, Cloud, ErrorCategory};

#[derive(Debug, Default)]
struct Calls(Mutex<Vec<(String, CallOutcome)>>);

impl CallRecorder for Calls {
    fn record(&self, _service: &str, operation: &str, outcome: CallOutcome) {
        self.0.lock().unwrap().push((operation.into(), outcome));
    }

    fn rate_limit_wait(&self, _service: &str, _region: &str, _waited: Duration) {}
}

impl Calls {
    fn count(&self, operation: &str) -> usize {
        self.0.lock().unwrap().iter().filter(|c| c.0 == operation).count()
    }
}

async fn rds() -> (Rds, Arc<Calls>) {
    let calls = Arc::new(Calls::default());
    let cloud = Cloud::new(support::env().aws_settings(), calls.clone()).await;
    (cloud.rds(support::REGION), calls)
}

fn unique(name: &str) -> String {
    format!("adapter-{}-{name}", std::process::id())
}

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// A VPC of this test's own, with a subnet in each of two availability zones (RDS wants two),
/// and a security group: (vpc id, subnet ids, security group id).
async fn network(name: &str) -> (String, Vec<String>, String) {
    let ec2 = aws_sdk_ec2::Client::new(&support::env().sdk_config().await);
    let vpc = ec2.create_vpc().cidr_block("10.20.0.0/16").send().await.unwrap().vpc.unwrap().vpc_id.unwrap();
    let mut subnets = Vec::new();
    for (i, az) in ["a", "b"].into_iter().enumerate() {
        let subnet = ec2
            .create_subnet()
            .vpc_id(&vpc)
            .cidr_block(format!("10.20.{i}.0/24"))
            .availability_zone(format!("{}{az}", support::REGION))
            .send()
            .await
            .unwrap();
        subnets.push(subnet.subnet.unwrap().subnet_id.unwrap());
    }
    let sg = ec2
        .create_security_group()
        .vpc_id(&vpc)
        .group_name(name)
        .description("database")
        .send()
        .await
        .unwrap()
        .group_id
        .unwrap();
    (vpc, subnets, sg)
}

fn new_instance(id: &str, subnet_group: &str, parameter_group: Option<&str>, sg: &str) -> NewDbInstance {
    NewDbInstance {
        identifier: id.into(),
        engine: "postgres".into(),
        engine_version: "15.7".into(),
        class: "db.t3.small".into(),
        allocated_storage_gib: 20,
        max_allocated_storage_gib: Some(100),
        storage_type: "gp3".into(),
        iops: None,
        multi_az: false,
        db_name: Some("app".into()),
        master_username: "app_admin".into(),
        backup_retention_days: 7,
        backup_window: Some("03:00-04:00".into()),
        maintenance_window: Some("sun:04:30-sun:05:30".into()),
        parameter_group: parameter_group.map(str::to_string),
        subnet_group: subnet_group.into(),
        security_group_ids: vec![sg.into()],
        performance_insights: true,
        log_exports: vec!["postgresql".into()],
        deletion_protection: false,
        copy_tags_to_snapshot: true,
        tags: tags(&[("stackwright.io/owner", id), ("team", "data")]),
    }
}

/// Waits (bounded) until the instance satisfies `pred`, and returns it.
async fn wait_for(rds: &Rds, id: &str, what: &str, pred: impl Fn(&DbInstance) -> bool) -> DbInstance {
    support::eventually(what, Duration::from_secs(90), || async {
        rds.instance(id).await.unwrap().filter(|db| pred(db))
    })
    .await
}

/// Waits (bounded) until RDS no longer knows the instance.
async fn wait_gone(rds: &Rds, id: &str) {
    support::eventually("the instance is gone", Duration::from_secs(90), || async {
        rds.instance(id).await.unwrap().is_none().then_some(())
    })
    .await
}

#[tokio::test]
async fn an_instance_is_created_with_every_setting_waited_for_and_read_back() {
    let (rds, _) = rds().await;
    let id = unique("create");
    let (_vpc, subnets, sg) = network(&id).await;
    rds.create_subnet_group(&id, "test", &subnets, &BTreeMap::new()).await.unwrap();
    rds.create_parameter_group(&id, "postgres15", "test", &BTreeMap::new()).await.unwrap();
    let wanted = new_instance(&id, &id, Some(&id), &sg);

    let created = rds.create_instance(&wanted).await.unwrap();
    assert_eq!(created.identifier, id);
    assert_eq!(created.status, "creating");

    // Still creating: RDS refuses a modify, which is Busy (try later), not a spec error.
    let err = rds
        .modify_instance(&id, &DbModification { backup_retention_days: Some(3), ..Default::default() })
        .await
        .unwrap_err();
    assert_eq!((err.category, err.code.as_str()), (ErrorCategory::Busy, "InvalidDBInstanceState"), "{err}");
    assert_eq!(err.operation, "rds:ModifyDBInstance");

    // A second create of the same identifier: the first went through, observe again.
    let err = rds.create_instance(&wanted).await.unwrap_err();
    assert_eq!((err.category, err.code.as_str()), (ErrorCategory::AlreadyExists, "DBInstanceAlreadyExists"), "{err}");

    let creating = rds.instance(&id).await.unwrap().unwrap();
    assert_eq!(creating.endpoint, None, "no endpoint while creating");

    let db = wait_for(&rds, &id, "the instance is available", |db| db.status == "available").await;
    assert!(db.arn.starts_with("arn:aws:rds:") && db.arn.ends_with(&format!(":db:{id}")), "{}", db.arn);
    assert!(db.resource_id.starts_with("db-"), "{}", db.resource_id);
    assert_eq!((db.engine.as_str(), db.engine_version.as_str()), ("postgres", "15.7"));
    assert_eq!(db.class, "db.t3.small");
    assert_eq!((db.allocated_storage_gib, db.max_allocated_storage_gib), (20, Some(100)));
    assert_eq!(db.storage_type, "gp3");
    assert!(!db.multi_az);
    assert_eq!(db.db_name.as_deref(), Some("app"));
    assert_eq!(db.master_username, "app_admin");
    assert_eq!(db.backup_retention_days, 7);
    assert_eq!(db.backup_window.as_deref(), Some("03:00-04:00"));
    assert_eq!(db.maintenance_window.as_deref(), Some("sun:04:30-sun:05:30"));
    assert_eq!(db.parameter_group.as_ref().map(|g| g.name.as_str()), Some(id.as_str()));
    assert_eq!(db.subnet_group.as_deref(), Some(id.as_str()));
    assert_eq!(db.security_group_ids, std::slice::from_ref(&sg));
    assert!(db.performance_insights);
    assert_eq!(db.log_exports, ["postgresql"]);
    assert!(!db.deletion_protection);
    assert!(db.copy_tags_to_snapshot);
    // Always encrypted, never public, the password managed by RDS.
    assert!(db.storage_encrypted);
    assert!(!db.publicly_accessible);
    assert!(db.master_user_secret_arn.as_deref().is_some_and(|a| a.starts_with("arn:aws:secretsmanager:")));
    let endpoint = db.endpoint.clone().unwrap();
    assert!(!endpoint.address.is_empty());
    assert_eq!(endpoint.port, 5432);
    assert!(db.pending.is_empty(), "{:?}", db.pending);
    assert_eq!(db.tags, wanted.tags);

    // The account-wide listing holds the same instance, tags included.
    let listed = rds.instances().await.unwrap().into_iter().find(|d| d.identifier == id).unwrap();
    assert_eq!(listed, db);

    // More tags, by ARN.
    rds.add_tags(&db.arn, &tags(&[("cost-centre", "42")])).await.unwrap();
    let db = rds.instance(&id).await.unwrap().unwrap();
    assert_eq!(db.tags.get("cost-centre").map(String::as_str), Some("42"));
    assert_eq!(db.tags.get("team").map(String::as_str), Some("data"));

    // In use by the instance, its security group cannot go: DependencyViolation is Busy.
    let ec2 = Cloud::new(support::env().aws_settings(), Arc::new(Calls::default())).await.ec2(support::REGION);
    let err = ec2.delete_security_group(&sg).await.unwrap_err();
    assert_eq!((err.category, err.code.as_str()), (ErrorCategory::Busy, "DependencyViolation"), "{err}");

    rds.delete_instance(&id, None).await.unwrap();
    wait_gone(&rds, &id).await;
    ec2.delete_security_group(&sg).await.unwrap();
    rds.delete_subnet_group(&id).await.unwrap();
    rds.delete_parameter_group(&id).await.unwrap();
}

#[tokio::test]
async fn modifications_wait_for_the_window_unless_applied_immediately() {
    let (rds, _) = rds().await;
    let id = unique("modify");
    let (vpc, subnets, sg) = network(&id).await;
    let ec2 = aws_sdk_ec2::Client::new(&support::env().sdk_config().await);
    let sg2 = ec2
        .create_security_group()
        .vpc_id(&vpc)
        .group_name(format!("{id}-2"))
        .description("second")
        .send()
        .await
        .unwrap()
        .group_id
        .unwrap();
    rds.create_subnet_group(&id, "test", &subnets, &BTreeMap::new()).await.unwrap();
    rds.create_parameter_group(&id, "postgres15", "test", &BTreeMap::new()).await.unwrap();
    rds.create_instance(&new_instance(&id, &id, None, &sg)).await.unwrap();
    wait_for(&rds, &id, "the instance is available", |db| db.status == "available").await;

    // A deferred setting without ApplyImmediately waits, shown as pending; the others apply at once.
    let m = DbModification {
        class: Some("db.t3.medium".into()),
        backup_window: Some("05:00-06:00".into()),
        maintenance_window: Some("mon:01:00-mon:02:00".into()),
        parameter_group: Some(id.clone()),
        security_group_ids: Some(vec![sg.clone(), sg2.clone()]),
        performance_insights: Some(false),
        enable_log_exports: vec!["upgrade".into()],
        disable_log_exports: vec!["postgresql".into()],
        deletion_protection: Some(true),
        copy_tags_to_snapshot: Some(false),
        max_allocated_storage_gib: Some(200),
        apply_immediately: false,
        ..Default::default()
    };
    rds.modify_instance(&id, &m).await.unwrap();
    let db = rds.instance(&id).await.unwrap().unwrap();
    assert_eq!(db.status, "available");
    assert_eq!(db.class, "db.t3.small");
    assert_eq!(db.pending.class.as_deref(), Some("db.t3.medium"));
    assert_eq!(db.backup_window.as_deref(), Some("05:00-06:00"));
    assert_eq!(db.maintenance_window.as_deref(), Some("mon:01:00-mon:02:00"));
    assert_eq!(db.parameter_group.as_ref().map(|g| g.name.as_str()), Some(id.as_str()));
    assert_eq!(sorted(db.security_group_ids.clone()), sorted(vec![sg.clone(), sg2.clone()]));
    assert!(!db.performance_insights);
    assert_eq!(db.log_exports, ["upgrade"]);
    assert!(db.deletion_protection);
    assert!(!db.copy_tags_to_snapshot);
    assert_eq!(db.max_allocated_storage_gib, Some(200));

    // Deletion protection holds: the delete is refused, and a person must act.
    let err = rds.delete_instance(&id, None).await.unwrap_err();
    assert_eq!(err.category, ErrorCategory::Invalid, "{err}");
    assert!(rds.instance(&id).await.unwrap().is_some());

    // With ApplyImmediately the request and what was pending are applied: modifying, then the
    // new values. Backup retention from one non-zero value to another applies at once.
    let m = DbModification {
        allocated_storage_gib: Some(30),
        multi_az: Some(true),
        backup_retention_days: Some(14),
        deletion_protection: Some(false),
        apply_immediately: true,
        ..Default::default()
    };
    let answered = rds.modify_instance(&id, &m).await.unwrap();
    assert_eq!(answered.pending.allocated_storage_gib, Some(30));
    let modifying = rds.instance(&id).await.unwrap().unwrap();
    assert_eq!(modifying.status, "modifying", "{modifying:?}");
    assert_eq!(modifying.pending.multi_az, Some(true));
    let err = rds.modify_instance(&id, &DbModification { iops: Some(3000), ..Default::default() }).await.unwrap_err();
    assert_eq!(err.category, ErrorCategory::Busy, "{err}");

    let db = wait_for(&rds, &id, "the modification is applied", |db| db.status == "available").await;
    assert_eq!(db.class, "db.t3.medium");
    assert_eq!(db.allocated_storage_gib, 30);
    assert!(db.multi_az);
    assert_eq!(db.backup_retention_days, 14);
    assert!(!db.deletion_protection);
    assert!(db.pending.is_empty(), "{:?}", db.pending);

    // A major version upgrade is allowed explicitly, and waits like any deferred change.
    // RDS wants a parameter group of the new major's family with it.
    let pg16 = format!("{id}-16");
    rds.create_parameter_group(&pg16, &default_family("postgres", "16.3"), "test", &BTreeMap::new()).await.unwrap();
    let m = DbModification {
        engine_version: Some("16.3".into()),
        allow_major_version_upgrade: major_version("postgres", "16.3") != major_version("postgres", &db.engine_version),
        parameter_group: Some(pg16.clone()),
        ..Default::default()
    };
    assert!(m.allow_major_version_upgrade);
    rds.modify_instance(&id, &m).await.unwrap();
    let db = rds.instance(&id).await.unwrap().unwrap();
    assert_eq!(db.pending.engine_version.as_deref(), Some("16.3"));
    assert_eq!(db.engine_version, "15.7");

    rds.delete_instance(&id, None).await.unwrap();
    wait_gone(&rds, &id).await;
    rds.delete_subnet_group(&id).await.unwrap();
    rds.delete_parameter_group(&id).await.unwrap();
    rds.delete_parameter_group(&pg16).await.unwrap();
}

#[tokio::test]
async fn a_deleted_instance_leaves_its_final_snapshot() {
    let (rds, _) = rds().await;
    let id = unique("final");
    let (_vpc, subnets, sg) = network(&id).await;
    rds.create_subnet_group(&id, "test", &subnets, &BTreeMap::new()).await.unwrap();
    let wanted = new_instance(&id, &id, None, &sg);
    rds.create_instance(&wanted).await.unwrap();
    let snapshot = format!("{id}-final");
    // While creating, no final snapshot can be taken: Busy, try later.
    let err = rds.delete_instance(&id, Some(&snapshot)).await.unwrap_err();
    assert_eq!(err.category, ErrorCategory::Busy, "{err}");
    wait_for(&rds, &id, "the instance is available", |db| db.status == "available").await;

    assert_eq!(rds.snapshot(&snapshot).await.unwrap(), None);
    rds.delete_instance(&id, Some(&snapshot)).await.unwrap();
    let deleting = rds.instance(&id).await.unwrap().unwrap();
    assert_eq!(deleting.status, "deleting");
    // A second delete while deleting is Busy (the first is under way), not an error to report.
    let err = rds.delete_instance(&id, Some(&snapshot)).await.unwrap_err();
    assert_eq!((err.category, err.code.as_str()), (ErrorCategory::Busy, "InvalidDBInstanceState"), "{err}");

    wait_gone(&rds, &id).await;
    let snap = support::eventually("the final snapshot is available", Duration::from_secs(90), || async {
        rds.snapshot(&snapshot).await.unwrap().filter(|s| s.status == "available")
    })
    .await;
    assert_eq!(snap.id, snapshot);
    assert_eq!(snap.instance_id, id);
    // CopyTagsToSnapshot: the instance's tags (its ownership) travel with the snapshot.
    assert_eq!(snap.tags, wanted.tags);

    rds.delete_subnet_group(&id).await.unwrap();
}

#[tokio::test]
async fn missing_instances_and_snapshots_are_none_or_not_found() {
    let (rds, _) = rds().await;
    let id = unique("missing");
    assert_eq!(rds.instance(&id).await.unwrap(), None);
    assert_eq!(rds.snapshot(&id).await.unwrap(), None);
    let err = rds
        .modify_instance(&id, &DbModification { class: Some("db.t3.large".into()), ..Default::default() })
        .await
        .unwrap_err();
    assert_eq!((err.category, err.code.as_str()), (ErrorCategory::NotFound, "DBInstanceNotFound"), "{err}");
    let err = rds.delete_instance(&id, None).await.unwrap_err();
    assert!(err.is_not_found(), "{err}");
    assert_eq!(err.operation, "rds:DeleteDBInstance");
    assert_eq!(rds.subnet_group(&id).await.unwrap(), None);
    assert_eq!(rds.parameter_group(&id).await.unwrap(), None);
    assert!(rds.delete_subnet_group(&id).await.unwrap_err().is_not_found());
    assert!(rds.delete_parameter_group(&id).await.unwrap_err().is_not_found());
}

#[tokio::test]
async fn the_account_wide_listing_reads_a_hundred_instances_per_call() {
    let (rds, calls) = rds().await;
    let prefix = unique("page");
    // Made with a plain client: the adapter's rate limit would only slow the setup down.
    let raw = aws_sdk_rds::Client::new(&support::env().sdk_config().await);
    let ids: Vec<String> = (0..105).map(|i| format!("{prefix}-{i}")).collect();
    futures::future::try_join_all(ids.iter().map(|id| {
        raw.create_db_instance()
            .db_instance_identifier(id)
            .engine("postgres")
            .db_instance_class("db.t3.micro")
            .allocated_storage(20)
            .master_username("app_admin")
            .manage_master_user_password(true)
            .send()
    }))
    .await
    .unwrap();

    let before = calls.count("DescribeDBInstances");
    let all = rds.instances().await.unwrap();
    let pages = calls.count("DescribeDBInstances") - before;
    let mine = all.iter().filter(|db| db.identifier.starts_with(&format!("{prefix}-"))).count();
    assert_eq!(mine, 105, "every instance listed once");
    assert_eq!(pages, all.len().div_ceil(100), "{} instances in {pages} calls", all.len());

    support::eventually("every instance is available", Duration::from_secs(90), || async {
        let all = rds.instances().await.unwrap();
        all.iter()
            .filter(|db| db.identifier.starts_with(&format!("{prefix}-")) && db.status == "available")
            .count()
            .eq(&105)
            .then_some(())
    })
    .await;
    futures::future::try_join_all(
        ids.iter().map(|id| raw.delete_db_instance().db_instance_identifier(id).skip_final_snapshot(true).send()),
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn subnet_groups_round_trip() {
    let (rds, _) = rds().await;
    let name = unique("subnets");
    let (vpc, subnets, _sg) = network(&name).await;
    let owned = tags(&[("stackwright.io/owner", "ns/db")]);
    rds.create_subnet_group(&name, "Stackwright database ns/db", &subnets, &owned).await.unwrap();
    let group = rds.subnet_group(&name).await.unwrap().unwrap();
    assert_eq!(group.name, name);
    assert_eq!(group.vpc_id, vpc);
    assert_eq!(sorted(group.subnet_ids.clone()), sorted(subnets.clone()));
    assert_eq!(group.tags.as_ref(), Some(&owned));
    assert!(group.arn.ends_with(&format!(":subgrp:{name}")), "{}", group.arn);

    rds.add_tags(&group.arn, &tags(&[("team", "data")])).await.unwrap();
    assert_eq!(rds.tags(&group.arn).await.unwrap().get("team").map(String::as_str), Some("data"));

    let untagged = rds.subnet_group_untagged(&name).await.unwrap().unwrap();
    assert_eq!(untagged, stackwright_cloud::rds::DbSubnetGroup { tags: None, ..group.clone() });
    // The bulk listing holds it too, without tags (DescribeDBSubnetGroups carries none).
    let listed = rds.subnet_groups().await.unwrap();
    let found = listed.iter().find(|g| g.name == name).expect("listed");
    assert_eq!(
        (found.arn.as_str(), found.vpc_id.as_str(), found.tags.as_ref()),
        (group.arn.as_str(), vpc.as_str(), None)
    );

    rds.delete_subnet_group(&name).await.unwrap();
    assert_eq!(rds.subnet_group(&name).await.unwrap(), None);
}

#[tokio::test]
async fn a_subnet_group_is_created_once_and_its_subnets_change() {
    let (rds, _) = rds().await;
    let name = unique("subnets-change");
    let (vpc, subnets, _sg) = network(&name).await;
    let third = aws_sdk_ec2::Client::new(&support::env().sdk_config().await)
        .create_subnet()
        .vpc_id(&vpc)
        .cidr_block("10.20.2.0/24")
        .availability_zone(format!("{}c", support::REGION))
        .send()
        .await
        .unwrap()
        .subnet
        .unwrap()
        .subnet_id
        .unwrap();
    let owned = tags(&[("stackwright.io/owner", "ns/db")]);
    rds.create_subnet_group(&name, "test", &subnets, &owned).await.unwrap();

    let err = rds.create_subnet_group(&name, "again", &subnets, &owned).await.unwrap_err();
    assert_eq!(
        (err.category, err.code.as_str()),
        (ErrorCategory::AlreadyExists, "DBSubnetGroupAlreadyExists"),
        "{err}"
    );

    let changed = vec![subnets[1].clone(), third];
    rds.modify_subnet_group(&name, &changed).await.unwrap();
    let group = rds.subnet_group(&name).await.unwrap().unwrap();
    assert_eq!(sorted(group.subnet_ids), sorted(changed));
    assert_eq!(group.tags.as_ref(), Some(&owned));
    rds.delete_subnet_group(&name).await.unwrap();
}

#[tokio::test]
async fn groups_in_use_by_an_instance_are_busy() {
    let (rds, _) = rds().await;
    let id = unique("in-use");
    let (_vpc, subnets, sg) = network(&id).await;
    rds.create_subnet_group(&id, "test", &subnets, &BTreeMap::new()).await.unwrap();
    rds.create_parameter_group(&id, "postgres15", "test", &BTreeMap::new()).await.unwrap();
    rds.create_instance(&new_instance(&id, &id, Some(&id), &sg)).await.unwrap();
    wait_for(&rds, &id, "the instance is available", |db| db.status == "available").await;

    let err = rds.delete_subnet_group(&id).await.unwrap_err();
    assert_eq!(err.category, ErrorCategory::Busy, "{err}");
    let err = rds.delete_parameter_group(&id).await.unwrap_err();
    assert_eq!(err.category, ErrorCategory::Busy, "{err}");

    rds.delete_instance(&id, None).await.unwrap();
    wait_gone(&rds, &id).await;
    rds.delete_subnet_group(&id).await.unwrap();
    rds.delete_parameter_group(&id).await.unwrap();
}

#[tokio::test]
async fn parameter_groups_round_trip() {
    let (rds, _) = rds().await;
    let name = unique("params");
    let family = default_family("postgres", "15.7");
    let owned = tags(&[("stackwright.io/owner", "ns/db")]);
    rds.create_parameter_group(&name, &family, "Stackwright database ns/db", &owned).await.unwrap();
    let group = rds.parameter_group(&name).await.unwrap().unwrap();
    assert_eq!((group.name.as_str(), group.family.as_str()), (name.as_str(), "postgres15"));
    assert_eq!(group.description, "Stackwright database ns/db");
    assert_eq!(group.tags.as_ref(), Some(&owned));
    let untagged = rds.parameter_group_untagged(&name).await.unwrap().unwrap();
    assert_eq!(untagged, stackwright_cloud::rds::DbParameterGroup { tags: None, ..group.clone() });
    let listed = rds.parameter_groups().await.unwrap();
    let found = listed.iter().find(|g| g.name == name).expect("listed");
    assert_eq!(
        (found.family.as_str(), found.arn.as_str(), found.tags.as_ref()),
        ("postgres15", group.arn.as_str(), None)
    );

    let err = rds.create_parameter_group(&name, &family, "again", &owned).await.unwrap_err();
    assert_eq!(
        (err.category, err.code.as_str()),
        (ErrorCategory::AlreadyExists, "DBParameterGroupAlreadyExists"),
        "{err}"
    );

    assert!(rds.user_parameters(&name).await.unwrap().is_empty(), "a new group holds the engine defaults only");
    let values = tags(&[("max_connections", "200"), ("log_min_duration_statement", "500")]);
    rds.modify_parameters(&name, &values).await.unwrap();
    assert_eq!(rds.user_parameters(&name).await.unwrap(), values);
    rds.modify_parameters(&name, &tags(&[("max_connections", "300")])).await.unwrap();
    assert_eq!(rds.user_parameters(&name).await.unwrap()["max_connections"], "300");

    rds.delete_parameter_group(&name).await.unwrap();
    assert_eq!(rds.parameter_group(&name).await.unwrap(), None);
}

#[tokio::test]
async fn reset_parameters_return_to_the_engine_defaults() {
    let (rds, _) = rds().await;
    let name = unique("reset");
    rds.create_parameter_group(&name, "postgres15", "test", &BTreeMap::new()).await.unwrap();
    let values = tags(&[("max_connections", "200"), ("log_min_duration_statement", "500")]);
    rds.modify_parameters(&name, &values).await.unwrap();
    rds.reset_parameters(&name, &["max_connections".to_string()]).await.unwrap();
    assert_eq!(rds.user_parameters(&name).await.unwrap(), tags(&[("log_min_duration_statement", "500")]));
    rds.delete_parameter_group(&name).await.unwrap();
}
