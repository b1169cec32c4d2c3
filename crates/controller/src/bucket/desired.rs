//! What a Bucket spec means in S3: pure, no I/O.

use std::collections::BTreeMap;

use stackwright_api::bucket::{BucketSpec, EncryptionType, StorageClass};
use stackwright_api::naming::{ObjectIdentity, S3_BUCKET_MAX};
use stackwright_cloud::s3::{CorsRule, Encryption, LifecycleRule, PublicAccessBlock, Retention, Website};

/// The S3 bucket a Bucket object asks for.
#[derive(Clone, Debug, PartialEq)]
pub struct DesiredBucket {
    pub name: String,
    pub region: String,
    pub tags: BTreeMap<String, String>,
    pub versioning: bool,
    pub encryption: Encryption,
    pub public_access_block: PublicAccessBlock,
    pub website: Option<Website>,
    /// The managed public-read policy, present only for a public website.
    pub policy: Option<serde_json::Value>,
    pub cors: Vec<CorsRule>,
    pub lifecycle: Vec<LifecycleRule>,
    /// Default object lock retention; `Some` also means the bucket must be created with object lock.
    pub retention: Option<Retention>,
}

/// The bucket name: `spec.bucketName`, or one derived from cluster id, namespace and name.
pub fn bucket_name(spec: &BucketSpec, id: &ObjectIdentity) -> String {
    spec.bucket_name.clone().unwrap_or_else(|| id.physical_name("", S3_BUCKET_MAX))
}

pub fn desired(spec: &BucketSpec, id: &ObjectIdentity, default_region: &str) -> DesiredBucket {
    let name = bucket_name(spec, id);
    let public_website = spec.website.is_some() && !spec.public_access_block;
    DesiredBucket {
        region: spec.region.clone().unwrap_or_else(|| default_region.to_string()),
        tags: id.tags(&spec.tags),
        versioning: spec.versioning,
        encryption: match spec.encryption.type_ {
            EncryptionType::SseS3 => Encryption::SseS3,
            EncryptionType::SseKms => {
                Encryption::SseKms { key_id: spec.encryption.kms_key_id.clone().unwrap_or_default() }
            }
        },
        public_access_block: PublicAccessBlock::all(spec.public_access_block),
        website: spec
            .website
            .as_ref()
            .map(|w| Website { index_document: w.index_document.clone(), error_document: w.error_document.clone() }),
        policy: public_website.then(|| public_read_policy(&name)),
        cors: spec
            .cors
            .iter()
            .map(|c| CorsRule {
                allowed_origins: c.allowed_origins.clone(),
                allowed_methods: c.allowed_methods.iter().map(serde_plain).collect(),
                allowed_headers: c.allowed_headers.clone(),
                expose_headers: c.expose_headers.clone(),
                max_age_seconds: c.max_age_seconds,
            })
            .collect(),
        lifecycle: spec
            .lifecycle
            .iter()
            .map(|r| LifecycleRule {
                id: r.id.clone(),
                prefix: r.prefix.clone().unwrap_or_default(),
                transitions: r
                    .transitions
                    .iter()
                    .map(|t| (t.days, StorageClass::as_str(t.storage_class).to_string()))
                    .collect(),
                expiration_days: r.expiration_days,
                noncurrent_version_expiration_days: r.noncurrent_version_expiration_days,
            })
            .collect(),
        retention: spec.object_lock.as_ref().map(|l| Retention { mode: serde_plain(&l.mode), days: l.days }),
        name,
    }
}

/// The policy that lets anyone read the objects of a public static website.
pub fn public_read_policy(bucket: &str) -> serde_json::Value {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "StackwrightPublicWebsite",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": format!("arn:aws:s3:::{bucket}/*"),
        }],
    })
}

/// The wire spelling of a unit enum (its serde name), e.g. `GET`, `COMPLIANCE`.
fn serde_plain<T: serde::Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use stackwright_api::naming::TAG_OWNER;

    fn id() -> ObjectIdentity {
        super::super::test_identity("documents")
    }

    fn spec(yaml: &str) -> BucketSpec {
        serde_yaml::from_str(yaml).expect("valid spec")
    }

    #[test]
    fn defaults_are_private_sse_s3_unversioned() {
        let d = desired(&spec("{}"), &id(), "eu-west-2");
        assert_eq!(d.region, "eu-west-2");
        assert!(d.name.starts_with("dev-pw-documents-"));
        assert_eq!(d.encryption, Encryption::SseS3);
        assert_eq!(d.public_access_block, PublicAccessBlock::all(true));
        assert!(!d.versioning && d.website.is_none() && d.policy.is_none() && d.retention.is_none());
        assert_eq!(d.tags[TAG_OWNER], "Bucket/pw/documents");
    }

    #[test]
    fn paperwurks_prod_documents() {
        let d = desired(
            &spec(
                r#"
bucketName: paperwurks-prod-documents
region: eu-west-2
versioning: true
tags: {env: prod}
lifecycle:
- id: archive
  transitions: [{days: 90, storageClass: STANDARD_IA}, {days: 365, storageClass: GLACIER}]
  expirationDays: 2555
"#,
            ),
            &id(),
            "us-east-1",
        );
        assert_eq!(d.name, "paperwurks-prod-documents");
        assert_eq!(d.region, "eu-west-2");
        assert!(d.versioning);
        assert_eq!(d.tags["env"], "prod");
        assert_eq!(
            d.lifecycle,
            vec![LifecycleRule {
                id: "archive".into(),
                prefix: String::new(),
                transitions: vec![(90, "STANDARD_IA".into()), (365, "GLACIER".into())],
                expiration_days: Some(2555),
                noncurrent_version_expiration_days: None,
            }]
        );
    }

    #[test]
    fn public_website_gets_read_policy_and_no_block() {
        let d = desired(&spec("{publicAccessBlock: false, website: {errorDocument: error.html}}"), &id(), "us-east-1");
        assert_eq!(d.public_access_block, PublicAccessBlock::all(false));
        assert_eq!(
            d.website,
            Some(Website { index_document: "index.html".into(), error_document: Some("error.html".into()) })
        );
        let policy = d.policy.expect("public read policy");
        assert_eq!(policy["Statement"][0]["Resource"], format!("arn:aws:s3:::{}/*", d.name));
    }

    #[test]
    fn private_website_has_no_policy() {
        let d = desired(&spec("{website: {}}"), &id(), "us-east-1");
        assert!(d.policy.is_none());
        assert_eq!(d.public_access_block, PublicAccessBlock::all(true));
    }

    #[test]
    fn kms_cors_and_object_lock_translate() {
        let d = desired(
            &spec(
                r#"
versioning: true
encryption: {type: SSE-KMS, kmsKeyId: alias/docs}
cors: [{allowedOrigins: ["https://app.example.com"], allowedMethods: [GET, PUT], maxAgeSeconds: 3000}]
objectLock: {mode: COMPLIANCE, days: 2555}
"#,
            ),
            &id(),
            "us-east-1",
        );
        assert_eq!(d.encryption, Encryption::SseKms { key_id: "alias/docs".into() });
        assert_eq!(d.cors[0].allowed_methods, vec!["GET", "PUT"]);
        assert_eq!(d.cors[0].max_age_seconds, Some(3000));
        assert_eq!(d.retention, Some(Retention { mode: "COMPLIANCE".into(), days: 2555 }));
    }
}
