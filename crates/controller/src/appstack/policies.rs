//! The IAM documents of the roles a stack owns (pure): who may assume them (ECS tasks), and what
//! they allow — the execution role exactly the images, log groups, secrets and parameters the
//! services use; the task role exactly the bound buckets with their access. Resources are named
//! by ARN; `*` appears only where AWS accepts nothing else (`ecr:GetAuthorizationToken`).

use std::collections::BTreeSet;

use serde_json::{Value, json};
use stackwright_api::appstack::BucketAccess;

/// The trust policy of both roles: ECS tasks of this account may assume them.
pub fn trust_policy() -> String {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "ecs-tasks.amazonaws.com"},
            "Action": "sts:AssumeRole"
        }]
    })
    .to_string()
}

/// What the execution role needs to start the stack's tasks.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExecutionNeeds {
    /// Container images (ECR ones get pull permissions on their repository).
    pub images: BTreeSet<String>,
    /// Log group ARNs (without `:*`).
    pub log_groups: BTreeSet<String>,
    /// Secrets Manager secret ARNs (without a JSON key suffix).
    pub secrets: BTreeSet<String>,
    /// SSM parameter ARNs.
    pub parameters: BTreeSet<String>,
}

/// The ECR repository ARN of an image in a private ECR registry
/// (`<account>.dkr.ecr.<region>.amazonaws.com/<repository>[:tag|@digest]`), else None.
pub fn ecr_repository_arn(image: &str) -> Option<String> {
    let (registry, rest) = image.split_once('/')?;
    let mut parts = registry.split('.');
    let account = parts.next()?;
    if parts.next()? != "dkr" || parts.next()? != "ecr" {
        return None;
    }
    let region = parts.next()?;
    let repository = rest.split(['@', ':']).next()?;
    (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()))
        .then(|| format!("arn:aws:ecr:{region}:{account}:repository/{repository}"))
}

/// The execution role's inline policy.
pub fn execution_policy(needs: &ExecutionNeeds) -> String {
    let mut statements: Vec<Value> = Vec::new();
    let repositories: BTreeSet<String> = needs.images.iter().filter_map(|i| ecr_repository_arn(i)).collect();
    if !repositories.is_empty() {
        statements.push(json!({
            "Sid": "PullImages",
            "Effect": "Allow",
            "Action": ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
            "Resource": repositories
        }));
        statements.push(json!({
            "Sid": "RegistryLogin",
            "Effect": "Allow",
            "Action": "ecr:GetAuthorizationToken",
            "Resource": "*"
        }));
    }
    if !needs.log_groups.is_empty() {
        let streams: Vec<String> = needs.log_groups.iter().map(|g| format!("{g}:log-stream:*")).collect();
        statements.push(json!({
            "Sid": "WriteLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": streams
        }));
    }
    if !needs.secrets.is_empty() {
        statements.push(json!({
            "Sid": "ReadSecrets",
            "Effect": "Allow",
            "Action": "secretsmanager:GetSecretValue",
            "Resource": needs.secrets
        }));
    }
    if !needs.parameters.is_empty() {
        statements.push(json!({
            "Sid": "ReadParameters",
            "Effect": "Allow",
            "Action": "ssm:GetParameters",
            "Resource": needs.parameters
        }));
    }
    json!({"Version": "2012-10-17", "Statement": statements}).to_string()
}

/// The task role's inline policy: each bound bucket with its access. None when no bucket is
/// bound (the role then has no permissions at all).
pub fn task_policy(buckets: &[(String, BucketAccess)]) -> Option<String> {
    if buckets.is_empty() {
        return None;
    }
    let arns: BTreeSet<&String> = buckets.iter().map(|(arn, _)| arn).collect();
    let objects = |access: BucketAccess| -> Vec<String> {
        buckets.iter().filter(|(_, a)| *a == access).map(|(arn, _)| format!("{arn}/*")).collect()
    };
    let mut statements = vec![json!({
        "Sid": "ListBoundBuckets",
        "Effect": "Allow",
        "Action": ["s3:GetBucketLocation", "s3:ListBucket"],
        "Resource": arns
    })];
    let read_write = objects(BucketAccess::ReadWrite);
    if !read_write.is_empty() {
        statements.push(json!({
            "Sid": "ReadWriteObjects",
            "Effect": "Allow",
            "Action": ["s3:AbortMultipartUpload", "s3:DeleteObject", "s3:GetObject", "s3:PutObject"],
            "Resource": read_write
        }));
    }
    let read_only = objects(BucketAccess::ReadOnly);
    if !read_only.is_empty() {
        statements.push(json!({
            "Sid": "ReadObjects",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": read_only
        }));
    }
    Some(json!({"Version": "2012-10-17", "Statement": statements}).to_string())
}

/// Whether two policy documents say the same (IAM reformats what it stores).
pub fn same_document(a: &str, b: &str) -> bool {
    match (serde_json::from_str::<Value>(a), serde_json::from_str::<Value>(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_execution_role_reads_exactly_what_the_services_reference() {
        let needs = ExecutionNeeds {
            images: ["461962182774.dkr.ecr.us-east-1.amazonaws.com/accunode:prod-abc123".to_string(), "nginx:1".into()]
                .into(),
            log_groups: ["arn:aws:logs:us-east-1:123456789012:log-group:/stackwright/c/prod/accunode/api".to_string()]
                .into(),
            secrets: ["arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-1-AbCdEf".to_string()].into(),
            parameters: ["arn:aws:ssm:us-east-1:123456789012:parameter/accunode/secret-key".to_string()].into(),
        };
        let doc: Value = serde_json::from_str(&execution_policy(&needs)).unwrap_or_default();
        let expected = json!({
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "PullImages", "Effect": "Allow",
                 "Action": ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                 "Resource": ["arn:aws:ecr:us-east-1:461962182774:repository/accunode"]},
                {"Sid": "RegistryLogin", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
                {"Sid": "WriteLogs", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                 "Resource": ["arn:aws:logs:us-east-1:123456789012:log-group:/stackwright/c/prod/accunode/api:log-stream:*"]},
                {"Sid": "ReadSecrets", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                 "Resource": ["arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-1-AbCdEf"]},
                {"Sid": "ReadParameters", "Effect": "Allow", "Action": "ssm:GetParameters",
                 "Resource": ["arn:aws:ssm:us-east-1:123456789012:parameter/accunode/secret-key"]}
            ]
        });
        assert_eq!(doc, expected);
    }

    #[test]
    fn the_task_role_reaches_exactly_the_bound_buckets_with_their_access() {
        let doc = task_policy(&[
            ("arn:aws:s3:::pw-documents".into(), BucketAccess::ReadWrite),
            ("arn:aws:s3:::pw-reference".into(), BucketAccess::ReadOnly),
        ]);
        let doc: Value = serde_json::from_str(&doc.unwrap_or_default()).unwrap_or_default();
        let expected = json!({
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "ListBoundBuckets", "Effect": "Allow", "Action": ["s3:GetBucketLocation", "s3:ListBucket"],
                 "Resource": ["arn:aws:s3:::pw-documents", "arn:aws:s3:::pw-reference"]},
                {"Sid": "ReadWriteObjects", "Effect": "Allow",
                 "Action": ["s3:AbortMultipartUpload", "s3:DeleteObject", "s3:GetObject", "s3:PutObject"],
                 "Resource": ["arn:aws:s3:::pw-documents/*"]},
                {"Sid": "ReadObjects", "Effect": "Allow", "Action": "s3:GetObject",
                 "Resource": ["arn:aws:s3:::pw-reference/*"]}
            ]
        });
        assert_eq!(doc, expected);
        assert_eq!(task_policy(&[]), None, "no bucket bound: no permissions");
    }

    #[test]
    fn trust_is_for_ecs_tasks_and_documents_compare_by_meaning() {
        assert!(trust_policy().contains("ecs-tasks.amazonaws.com"));
        assert!(same_document(r#"{"a": [1, 2]}"#, r#"{"a":[1,2]}"#));
        assert!(!same_document(r#"{"a": [1]}"#, r#"{"a":[2]}"#));
        assert_eq!(ecr_repository_arn("public.ecr.aws/nginx/nginx:1"), None);
        assert_eq!(ecr_repository_arn("mongo:7"), None);
    }
}
