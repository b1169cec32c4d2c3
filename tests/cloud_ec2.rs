//! Tier 2: every EC2 adapter call the Database and Cache reconcilers use (security groups and their
//! ingress rules, subnet and VPC lookups), against the emulator, including how errors map to
//! categories. Each test makes its own VPC with a plain EC2 client and names everything after the
//! process and the test, so tests run in parallel in one emulator.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;

use stackwright_cloud::ec2::{Ec2, IngressRule, Source};
use stackwright_cloud::{CallOutcome, CallRecorder, Cloud, ErrorCategory};

#[derive(Debug)]
struct Quiet;

impl CallRecorder for Quiet {
    fn record(&self, _service: &str, _operation: &str, _outcome: CallOutcome) {}
    fn rate_limit_wait(&self, _service: &str, _region: &str, _waited: std::time::Duration) {}
}

async fn ec2() -> Ec2 {
    Cloud::new(support::env().aws_settings(), Arc::new(Quiet)).await.ec2(support::REGION)
}

async fn raw() -> aws_sdk_ec2::Client {
    aws_sdk_ec2::Client::new(&support::env().sdk_config().await)
}

fn unique(name: &str) -> String {
    format!("adapter-{}-{name}", std::process::id())
}

fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

async fn vpc(cidr: &str) -> String {
    raw().await.create_vpc().cidr_block(cidr).send().await.unwrap().vpc.unwrap().vpc_id.unwrap()
}

fn sorted(mut rules: Vec<IngressRule>) -> Vec<IngressRule> {
    rules.sort();
    rules
}

#[tokio::test]
async fn security_groups_are_created_with_tags_and_found_by_name_id_and_tag() {
    let ec2 = ec2().await;
    let name = unique("find");
    let vpc = vpc("10.30.0.0/16").await;
    let owned = tags(&[("stackwright.io/owner", &name), ("stackwright.io/kind", "Database")]);

    assert_eq!(ec2.security_group_by_name(&vpc, &name).await.unwrap(), None);
    let id = ec2.create_security_group(&vpc, &name, "Stackwright database ns/db", &owned).await.unwrap();
    assert!(id.starts_with("sg-"), "{id}");

    let group = ec2.security_group_by_name(&vpc, &name).await.unwrap().unwrap();
    assert_eq!(group.id, id);
    assert_eq!(group.name, name);
    assert_eq!(group.vpc_id, vpc);
    assert_eq!(group.description, "Stackwright database ns/db");
    assert_eq!(group.tags, owned);
    assert!(group.ingress.is_empty(), "a new group admits nothing: {:?}", group.ingress);
    assert_eq!(ec2.security_group(&id).await.unwrap(), Some(group.clone()));

    // The same name in the same VPC: an earlier create went through, observe again.
    let err = ec2.create_security_group(&vpc, &name, "again", &owned).await.unwrap_err();
    assert_eq!((err.category, err.code.as_str()), (ErrorCategory::AlreadyExists, "InvalidGroup.Duplicate"), "{err}");
    // Names are unique per VPC only.
    let other_vpc = vpc_of_its_own().await;
    let elsewhere = ec2.create_security_group(&other_vpc, &name, "elsewhere", &owned).await.unwrap();
    assert_ne!(elsewhere, id);

    // One call finds every group with the tag.
    let mut by_tag: Vec<String> =
        ec2.security_groups_by_tag("stackwright.io/owner", &name).await.unwrap().into_iter().map(|g| g.id).collect();
    by_tag.sort();
    let mut want = vec![id.clone(), elsewhere.clone()];
    want.sort();
    assert_eq!(by_tag, want);
    assert!(ec2.security_groups_by_tag("stackwright.io/owner", &unique("nobody")).await.unwrap().is_empty());

    ec2.create_tags(std::slice::from_ref(&id), &tags(&[("team", "data")])).await.unwrap();
    let group = ec2.security_group(&id).await.unwrap().unwrap();
    assert_eq!(group.tags.get("team").map(String::as_str), Some("data"));
    assert_eq!(group.tags.get("stackwright.io/kind").map(String::as_str), Some("Database"));

    ec2.delete_security_group(&id).await.unwrap();
    ec2.delete_security_group(&elsewhere).await.unwrap();
    assert_eq!(ec2.security_group(&id).await.unwrap(), None);
    assert_eq!(ec2.security_group_by_name(&vpc, &name).await.unwrap(), None);
    let err = ec2.delete_security_group(&id).await.unwrap_err();
    assert_eq!((err.category, err.code.as_str()), (ErrorCategory::NotFound, "InvalidGroup.NotFound"), "{err}");
    assert_eq!(err.operation, "ec2:DeleteSecurityGroup");
}

async fn vpc_of_its_own() -> String {
    vpc("10.31.0.0/16").await
}

#[tokio::test]
async fn ingress_rules_are_authorized_and_revoked_idempotently() {
    let ec2 = ec2().await;
    let name = unique("rules");
    let vpc = vpc("10.32.0.0/16").await;
    let db = ec2.create_security_group(&vpc, &name, "database", &BTreeMap::new()).await.unwrap();
    let app = ec2.create_security_group(&vpc, &format!("{name}-app"), "app tasks", &BTreeMap::new()).await.unwrap();
    let worker =
        ec2.create_security_group(&vpc, &format!("{name}-worker"), "worker tasks", &BTreeMap::new()).await.unwrap();

    let from_app = IngressRule::tcp_from_group(5432, &app, Some("AppStack ns/app"));
    let from_worker = IngressRule::tcp_from_group(5432, &worker, Some("AppStack ns/worker"));
    let from_office = IngressRule {
        protocol: "tcp".into(),
        from_port: 5432,
        to_port: 5432,
        source: Source::Cidr("192.0.2.0/24".into()),
        description: None,
    };
    ec2.authorize_ingress(&db, &[from_app.clone(), from_office.clone()]).await.unwrap();
    let group = ec2.security_group(&db).await.unwrap().unwrap();
    assert_eq!(sorted(group.ingress), sorted(vec![from_app.clone(), from_office.clone()]));

    // Already there: success, whether alone or beside a new rule (which is added).
    ec2.authorize_ingress(&db, std::slice::from_ref(&from_app)).await.unwrap();
    ec2.authorize_ingress(&db, &[from_app.clone(), from_worker.clone()]).await.unwrap();
    let group = ec2.security_group(&db).await.unwrap().unwrap();
    assert_eq!(sorted(group.ingress), sorted(vec![from_app.clone(), from_worker.clone(), from_office.clone()]));

    // Revoked as read; a rule that is not there is success, also beside one that is (which is
    // removed).
    ec2.revoke_ingress(&db, std::slice::from_ref(&from_office)).await.unwrap();
    ec2.revoke_ingress(&db, std::slice::from_ref(&from_office)).await.unwrap();
    ec2.revoke_ingress(&db, &[from_office.clone(), from_worker.clone()]).await.unwrap();
    let group = ec2.security_group(&db).await.unwrap().unwrap();
    assert_eq!(group.ingress, std::slice::from_ref(&from_app));

    // Referenced by another group's rule, the app group cannot go: DependencyViolation is Busy.
    let err = ec2.delete_security_group(&app).await.unwrap_err();
    assert_eq!((err.category, err.code.as_str()), (ErrorCategory::Busy, "DependencyViolation"), "{err}");
    ec2.revoke_ingress(&db, &[from_app]).await.unwrap();
    ec2.delete_security_group(&app).await.unwrap();

    // A missing group is NotFound for authorize and revoke alike.
    let err = ec2.authorize_ingress(&app, std::slice::from_ref(&from_office)).await.unwrap_err();
    assert!(err.is_not_found(), "{err}");
    let err = ec2.revoke_ingress(&app, &[from_office]).await.unwrap_err();
    assert!(err.is_not_found(), "{err}");

    for id in [&db, &worker] {
        ec2.delete_security_group(id).await.unwrap();
    }
}

#[tokio::test]
async fn subnets_and_vpcs_are_looked_up() {
    let ec2 = ec2().await;
    let raw = raw().await;
    let vpc = vpc("10.33.0.0/16").await;
    let mut ids = Vec::new();
    for (i, az) in ["a", "b"].into_iter().enumerate() {
        let subnet = raw
            .create_subnet()
            .vpc_id(&vpc)
            .cidr_block(format!("10.33.{i}.0/24"))
            .availability_zone(format!("{}{az}", support::REGION))
            .tag_specifications(
                aws_sdk_ec2::types::TagSpecification::builder()
                    .resource_type(aws_sdk_ec2::types::ResourceType::Subnet)
                    .tags(aws_sdk_ec2::types::Tag::builder().key("tier").value("database").build())
                    .build(),
            )
            .send()
            .await
            .unwrap();
        ids.push(subnet.subnet.unwrap().subnet_id.unwrap());
    }

    let missing = "subnet-0123456789abcdef0".to_string();
    let mut found = ec2.subnets(&[ids[1].clone(), missing, ids[0].clone()]).await.unwrap();
    found.sort_by(|a, b| a.id.cmp(&b.id));
    let mut want = ids.clone();
    want.sort();
    assert_eq!(found.iter().map(|s| s.id.clone()).collect::<Vec<_>>(), want, "the missing subnet is left out");
    for s in &found {
        assert_eq!(s.vpc_id, vpc);
        assert!(s.cidr.starts_with("10.33."), "{}", s.cidr);
        assert_eq!(s.tags, tags(&[("tier", "database")]));
    }
    let zones: Vec<_> = found.iter().map(|s| s.availability_zone.clone()).collect();
    assert!(zones.contains(&"us-east-1a".to_string()) && zones.contains(&"us-east-1b".to_string()), "{zones:?}");
    assert!(ec2.subnets(&[]).await.unwrap().is_empty());

    let v = ec2.vpc(&vpc).await.unwrap().unwrap();
    assert_eq!((v.id.as_str(), v.cidr.as_str()), (vpc.as_str(), "10.33.0.0/16"));
    assert_eq!(ec2.vpc("vpc-0123456789abcdef0").await.unwrap(), None);
}
