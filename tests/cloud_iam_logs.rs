//! Tier 2: every IAM and CloudWatch Logs adapter call the AppStack reconciler uses (its task
//! execution and task roles with their inline policies, its services' log groups), against the
//! emulator, including how errors map to categories. Names carry the process id and the test, so
//! the tests run in parallel in one emulator (IAM is global: a name is unique in the account).

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;

use stackwright_cloud::iam::Iam;
use stackwright_cloud::logs::Logs;
use stackwright_cloud::{CallOutcome, CallRecorder, Cloud, ErrorCategory};

#[derive(Debug)]
struct Quiet;

impl CallRecorder for Quiet {
    fn record(&self, _service: &str, _operation: &str, _outcome: CallOutcome) {}
    fn rate_limit_wait(&self, _service: &str, _region: &str, _waited: std::time::Duration) {}
}

async fn cloud() -> Cloud {
    Cloud::new(support::env().aws_settings(), Arc::new(Quiet)).await
}

async fn iam() -> Iam {
    cloud().await.iam(support::REGION)
}

async fn logs() -> Logs {
    cloud().await.logs(support::REGION)
}

/// A plain IAM client, for what no adapter does (managed policies someone else attached).
async fn raw_iam() -> aws_sdk_iam::Client {
    aws_sdk_iam::Client::new(&support::env().sdk_config().await)
}

fn unique(name: &str) -> String {
    format!("adapter-{}-{name}", std::process::id())
}

fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// A trust policy for ECS tasks, as an AppStack's roles have (the condition's `/` and `:` are
/// characters IAM's URL encoding treats differently).
fn trust(service: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Service":"{service}"}},"Action":"sts:AssumeRole","Condition":{{"ArnLike":{{"aws:SourceArn":"arn:aws:ecs:us-east-1:123456789012:*"}}}}}}]}}"#
    )
}

fn policy(action: &str, resource: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"Stackwright","Effect":"Allow","Action":["{action}"],"Resource":"{resource}"}}]}}"#
    )
}

#[tokio::test]
async fn a_role_is_created_read_back_decoded_updated_and_tagged() {
    let iam = iam().await;
    let name = unique("execution");
    let owner = tags(&[("stackwright.io/owner", "ns/shop"), ("stackwright.io/kind", "AppStack")]);
    assert_eq!(iam.role(&name).await.unwrap(), None);

    let created =
        iam.create_role(&name, &trust("ecs-tasks.amazonaws.com"), "Stackwright ns/shop", &owner).await.unwrap();
    assert_eq!(created.name, name);
    assert!(
        created.arn.starts_with("arn:aws:iam::") && created.arn.ends_with(&format!(":role/stackwright/{name}")),
        "{}",
        created.arn
    );
    assert_eq!(json(&created.assume_role_policy), json(&trust("ecs-tasks.amazonaws.com")));
    assert_eq!(created.tags, owner);

    let read = iam.role(&name).await.unwrap().unwrap();
    assert_eq!(read, created);
    // The decoded text, not the URL-encoded form IAM sends.
    assert!(read.assume_role_policy.starts_with('{'), "{}", read.assume_role_policy);

    let err = iam.create_role(&name, &trust("ecs-tasks.amazonaws.com"), "again", &owner).await.unwrap_err();
    assert_eq!((err.category, err.code.as_str()), (ErrorCategory::AlreadyExists, "EntityAlreadyExists"), "{err}");
    assert_eq!(err.operation, "iam:CreateRole");

    iam.update_assume_role_policy(&name, &trust("ecs.amazonaws.com")).await.unwrap();
    let read = iam.role(&name).await.unwrap().unwrap();
    assert_eq!(json(&read.assume_role_policy), json(&trust("ecs.amazonaws.com")));

    iam.tag_role(&name, &tags(&[("team", "payments"), ("stackwright.io/kind", "AppStack")])).await.unwrap();
    let read = iam.role(&name).await.unwrap().unwrap();
    assert_eq!(
        read.tags,
        tags(&[("stackwright.io/owner", "ns/shop"), ("stackwright.io/kind", "AppStack"), ("team", "payments")])
    );

    iam.delete_role(&name).await.unwrap();
    assert_eq!(iam.role(&name).await.unwrap(), None);
}

#[tokio::test]
async fn inline_policies_are_put_read_listed_and_deleted() {
    let iam = iam().await;
    let role = unique("task");
    iam.create_role(&role, &trust("ecs-tasks.amazonaws.com"), "Stackwright ns/shop", &BTreeMap::new()).await.unwrap();
    assert_eq!(iam.role_policy_names(&role).await.unwrap(), Vec::<String>::new());
    assert_eq!(iam.role_policy(&role, "stackwright").await.unwrap(), None);

    let secrets = policy("secretsmanager:GetSecretValue", "arn:aws:secretsmanager:us-east-1:123456789012:secret:db/*");
    let logs = policy("logs:PutLogEvents", "arn:aws:logs:us-east-1:123456789012:log-group:/stackwright/ns/shop/*:*");
    iam.put_role_policy(&role, "stackwright", &secrets).await.unwrap();
    iam.put_role_policy(&role, "other", &logs).await.unwrap();
    assert_eq!(json(&iam.role_policy(&role, "stackwright").await.unwrap().unwrap()), json(&secrets));
    assert_eq!(json(&iam.role_policy(&role, "other").await.unwrap().unwrap()), json(&logs));
    let mut names = iam.role_policy_names(&role).await.unwrap();
    names.sort();
    assert_eq!(names, ["other", "stackwright"]);

    // A put replaces the document.
    iam.put_role_policy(&role, "stackwright", &logs).await.unwrap();
    assert_eq!(json(&iam.role_policy(&role, "stackwright").await.unwrap().unwrap()), json(&logs));

    // IAM deletes no role that still has inline policies: busy until they are gone.
    let err = iam.delete_role(&role).await.unwrap_err();
    assert_eq!((err.category, err.code.as_str()), (ErrorCategory::Busy, "DeleteConflict"), "{err}");

    iam.delete_role_policy(&role, "other").await.unwrap();
    iam.delete_role_policy(&role, "other").await.unwrap(); // gone already: success
    assert_eq!(iam.role_policy(&role, "other").await.unwrap(), None);
    assert_eq!(iam.role_policy_names(&role).await.unwrap(), ["stackwright"]);
    iam.delete_role_policy(&role, "stackwright").await.unwrap();
    iam.delete_role(&role).await.unwrap();
    assert_eq!(iam.role(&role).await.unwrap(), None);
}

#[tokio::test]
async fn a_role_with_managed_policies_someone_attached_is_cleaned_and_deleted() {
    let iam = iam().await;
    let raw = raw_iam().await;
    let role = unique("attached");
    iam.create_role(&role, &trust("ecs-tasks.amazonaws.com"), "Stackwright ns/shop", &BTreeMap::new()).await.unwrap();
    assert_eq!(iam.attached_policy_arns(&role).await.unwrap(), Vec::<String>::new());

    let mut arns = Vec::new();
    for which in ["a", "b"] {
        let out = raw
            .create_policy()
            .policy_name(unique(&format!("attached-{which}")))
            .policy_document(policy("s3:GetObject", "*"))
            .send()
            .await
            .unwrap();
        let arn = out.policy.unwrap().arn.unwrap();
        raw.attach_role_policy().role_name(&role).policy_arn(&arn).send().await.unwrap();
        arns.push(arn);
    }
    let mut attached = iam.attached_policy_arns(&role).await.unwrap();
    attached.sort();
    arns.sort();
    assert_eq!(attached, arns);

    let err = iam.delete_role(&role).await.unwrap_err();
    assert_eq!((err.category, err.code.as_str()), (ErrorCategory::Busy, "DeleteConflict"), "{err}");

    for arn in &arns {
        iam.detach_role_policy(&role, arn).await.unwrap();
        iam.detach_role_policy(&role, arn).await.unwrap(); // not attached any more: success
    }
    assert_eq!(iam.attached_policy_arns(&role).await.unwrap(), Vec::<String>::new());
    iam.delete_role(&role).await.unwrap();
    iam.delete_role(&role).await.unwrap(); // gone already: success
    for arn in &arns {
        raw.delete_policy().policy_arn(arn).send().await.unwrap();
    }
}

#[tokio::test]
async fn missing_roles_read_as_none_delete_as_success_and_refuse_writes_as_not_found() {
    let iam = iam().await;
    let role = unique("missing");
    assert_eq!(iam.role(&role).await.unwrap(), None);
    assert_eq!(iam.role_policy(&role, "stackwright").await.unwrap(), None);
    iam.delete_role(&role).await.unwrap();
    iam.delete_role_policy(&role, "stackwright").await.unwrap();
    for err in [
        iam.put_role_policy(&role, "stackwright", &policy("s3:GetObject", "*")).await.unwrap_err(),
        iam.update_assume_role_policy(&role, &trust("ecs-tasks.amazonaws.com")).await.unwrap_err(),
        iam.tag_role(&role, &tags(&[("a", "b")])).await.unwrap_err(),
        iam.role_policy_names(&role).await.unwrap_err(),
        iam.attached_policy_arns(&role).await.unwrap_err(),
    ] {
        assert_eq!((err.category, err.code.as_str()), (ErrorCategory::NotFound, "NoSuchEntity"), "{err}");
        assert!(err.operation.starts_with("iam:"), "{err}");
    }
}

#[tokio::test]
async fn a_log_group_is_created_with_tags_found_by_its_exact_name_and_given_a_retention() {
    let logs = logs().await;
    let prefix = format!("/stackwright/{}", unique("logs"));
    let api = format!("{prefix}/api");
    // A group whose name starts with the other's: a prefix listing finds both.
    let worker = format!("{prefix}/api-worker");
    let owner = tags(&[("stackwright.io/owner", "ns/shop"), ("stackwright.io/service", "api")]);
    assert_eq!(logs.log_group(&api).await.unwrap(), None);

    logs.create_log_group(&worker, &BTreeMap::new()).await.unwrap();
    assert_eq!(logs.log_group(&api).await.unwrap(), None, "not the group whose name only starts with it");
    logs.create_log_group(&api, &owner).await.unwrap();
    let err = logs.create_log_group(&api, &owner).await.unwrap_err();
    assert_eq!(
        (err.category, err.code.as_str(), err.operation),
        (ErrorCategory::AlreadyExists, "ResourceAlreadyExistsException", "logs:CreateLogGroup"),
        "{err}"
    );

    let group = logs.log_group(&api).await.unwrap().unwrap();
    assert_eq!(group.name, api);
    assert!(group.arn.starts_with("arn:aws:logs:us-east-1:"), "{}", group.arn);
    assert!(group.arn.ends_with(&format!(":log-group:{api}")), "no trailing :*: {}", group.arn);
    assert_eq!(group.retention_days, None, "never expire until a retention is set");
    assert_eq!(group.tags, Some(owner.clone()));

    logs.set_retention(&api, 14).await.unwrap();
    assert_eq!(logs.log_group(&api).await.unwrap().unwrap().retention_days, Some(14));

    logs.tag_log_group(&group.arn, &tags(&[("team", "payments")])).await.unwrap();
    let mut want = owner.clone();
    want.insert("team".into(), "payments".into());
    assert_eq!(logs.log_group(&api).await.unwrap().unwrap().tags, Some(want));

    let listed = logs.log_groups(&prefix).await.unwrap();
    assert_eq!(listed.iter().map(|g| g.name.as_str()).collect::<Vec<_>>(), [api.as_str(), worker.as_str()]);
    assert!(listed.iter().all(|g| g.tags.is_none()), "a listing carries no tags");
    assert_eq!(listed[0].arn, group.arn);
    assert_eq!(listed[0].retention_days, Some(14));

    logs.delete_log_group(&api).await.unwrap();
    logs.delete_log_group(&api).await.unwrap(); // gone already: success
    assert_eq!(logs.log_group(&api).await.unwrap(), None);
    logs.delete_log_group(&worker).await.unwrap();
    assert_eq!(logs.log_groups(&prefix).await.unwrap(), vec![]);

    let err = logs.set_retention(&api, 7).await.unwrap_err();
    assert_eq!((err.category, err.code.as_str()), (ErrorCategory::NotFound, "ResourceNotFoundException"), "{err}");
}

#[tokio::test]
async fn a_listing_of_log_groups_follows_every_page() {
    let logs = logs().await;
    let prefix = format!("/stackwright/{}", unique("pages"));
    // DescribeLogGroups answers 50 groups per page.
    let names: Vec<String> = (0..57).map(|i| format!("{prefix}/svc-{i:02}")).collect();
    for name in &names {
        logs.create_log_group(name, &BTreeMap::new()).await.unwrap();
    }
    let mut listed: Vec<String> = logs.log_groups(&prefix).await.unwrap().into_iter().map(|g| g.name).collect();
    listed.sort();
    assert_eq!(listed, names);
    for name in &names {
        logs.delete_log_group(name).await.unwrap();
    }
}
