//! S3: bucket existence, every bucket setting Stackwright manages, emptying and deletion.

use std::collections::BTreeMap;

use aws_sdk_s3::Client;
use aws_sdk_s3::types as t;

use crate::error::{CloudError, ErrorCategory, OptionalExt};

/// Whether a bucket name is taken, and by whom.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Presence {
    /// No bucket has this name.
    Absent,
    /// The bucket exists and our credentials can read it.
    Accessible,
    /// The bucket exists but belongs to another account (S3 names are global).
    Foreign,
}

/// What CreateBucket did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Creation {
    Created,
    /// The bucket already exists in this account (an earlier attempt went through).
    AlreadyOurs,
    /// S3 names are global: another account holds this one.
    TakenByAnotherAccount,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Versioning {
    /// Never enabled.
    Unversioned,
    Enabled,
    Suspended,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Encryption {
    /// SSE-S3 (AES256).
    SseS3,
    SseKms {
        key_id: String,
    },
}

/// The four S3 public access block switches.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PublicAccessBlock {
    pub block_public_acls: bool,
    pub ignore_public_acls: bool,
    pub block_public_policy: bool,
    pub restrict_public_buckets: bool,
}

impl PublicAccessBlock {
    pub fn all(on: bool) -> Self {
        PublicAccessBlock {
            block_public_acls: on,
            ignore_public_acls: on,
            block_public_policy: on,
            restrict_public_buckets: on,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Website {
    pub index_document: String,
    pub error_document: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CorsRule {
    pub allowed_origins: Vec<String>,
    pub allowed_methods: Vec<String>,
    pub allowed_headers: Vec<String>,
    pub expose_headers: Vec<String>,
    pub max_age_seconds: Option<i32>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LifecycleRule {
    pub id: String,
    pub prefix: String,
    /// (days, storage class as S3 spells it)
    pub transitions: Vec<(i32, String)>,
    pub expiration_days: Option<i32>,
    pub noncurrent_version_expiration_days: Option<i32>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Retention {
    /// `COMPLIANCE` or `GOVERNANCE`.
    pub mode: String,
    pub days: i32,
}

/// Object lock: whether the bucket was created with it, and its default retention.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObjectLock {
    pub enabled: bool,
    pub retention: Option<Retention>,
}

/// Everything Stackwright manages about an existing bucket, as S3 reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BucketState {
    pub region: String,
    pub tags: BTreeMap<String, String>,
    pub versioning: Versioning,
    pub encryption: Option<Encryption>,
    pub public_access_block: Option<PublicAccessBlock>,
    pub website: Option<Website>,
    pub cors: Vec<CorsRule>,
    pub lifecycle: Vec<LifecycleRule>,
    pub object_lock: ObjectLock,
    pub policy: Option<String>,
}

/// The S3 client for one region.
#[derive(Clone, Debug)]
pub struct S3 {
    client: Client,
    region: String,
}

fn invalid(operation: &'static str, e: impl std::fmt::Display) -> CloudError {
    CloudError { category: ErrorCategory::Invalid, operation, code: "InvalidRequest".into(), message: e.to_string() }
}

macro_rules! call {
    ($op:literal, $fut:expr) => {
        $fut.await.map_err(|e| CloudError::from_sdk(concat!("s3:", $op), e))
    };
}

impl S3 {
    pub(crate) fn new(client: Client, region: &str) -> Self {
        S3 { client, region: region.to_string() }
    }

    /// The bucket's ARN (S3 ARNs carry neither region nor account).
    pub fn arn(name: &str) -> String {
        format!("arn:aws:s3:::{name}")
    }

    /// The website endpoint S3 serves a bucket's static site from.
    pub fn website_url(name: &str, region: &str) -> String {
        format!("http://{name}.s3-website-{region}.amazonaws.com")
    }

    /// Whether `name` exists and is ours to read. S3 answers HeadBucket with 403 both for another
    /// account's bucket and for one of ours that our credentials may not read; only the account's
    /// own bucket list tells them apart, so it is asked in that (rare) case.
    pub async fn presence(&self, name: &str) -> Result<Presence, CloudError> {
        match call!("HeadBucket", self.client.head_bucket().bucket(name).send()) {
            Ok(_) => Ok(Presence::Accessible),
            Err(e) if e.is_not_found() => Ok(Presence::Absent),
            Err(e) if e.category == ErrorCategory::AccessDenied => {
                if self.is_listed(name).await? {
                    Err(CloudError {
                        message: format!(
                            "S3 bucket {name} is in this account, but HeadBucket is denied: {}",
                            e.message
                        ),
                        ..e
                    })
                } else {
                    Ok(Presence::Foreign)
                }
            }
            Err(e) => Err(e),
        }
    }

    /// Whether this account's bucket list holds `name`.
    async fn is_listed(&self, name: &str) -> Result<bool, CloudError> {
        let mut token = None;
        loop {
            let page = call!(
                "ListBuckets",
                self.client.list_buckets().prefix(name).max_buckets(1000).set_continuation_token(token).send()
            )?;
            if page.buckets().iter().any(|b| b.name() == Some(name)) {
                return Ok(true);
            }
            match page.continuation_token {
                Some(next) if !next.is_empty() => token = Some(next),
                _ => return Ok(false),
            }
        }
    }

    /// Creates the bucket (object lock can only be switched on here). A name that another account
    /// holds, or that our own earlier attempt already created, is a result, not an error.
    pub async fn create(&self, name: &str, object_lock: bool) -> Result<Creation, CloudError> {
        let mut req = self.client.create_bucket().bucket(name);
        // us-east-1 is the one region that refuses an explicit location constraint.
        if self.region != "us-east-1" {
            req = req.create_bucket_configuration(
                t::CreateBucketConfiguration::builder()
                    .location_constraint(t::BucketLocationConstraint::from(self.region.as_str()))
                    .build(),
            );
        }
        if object_lock {
            req = req.object_lock_enabled_for_bucket(true);
        }
        match call!("CreateBucket", req.send()) {
            Ok(_) => Ok(Creation::Created),
            Err(e) if e.code == "BucketAlreadyOwnedByYou" => Ok(Creation::AlreadyOurs),
            Err(e) if e.code == "BucketAlreadyExists" => Ok(Creation::TakenByAnotherAccount),
            Err(e) => Err(e),
        }
    }

    /// Reads every managed setting (concurrently; S3 has no call that returns them together).
    pub async fn read(&self, name: &str) -> Result<BucketState, CloudError> {
        let (tags, versioning, encryption, pab, website, cors, lifecycle, object_lock, policy) = futures::try_join!(
            self.tags(name),
            self.versioning(name),
            self.encryption(name),
            self.public_access_block(name),
            self.website(name),
            self.cors(name),
            self.lifecycle(name),
            self.object_lock(name),
            self.policy(name),
        )?;
        Ok(BucketState {
            region: self.region.clone(),
            tags,
            versioning,
            encryption,
            public_access_block: pab,
            website,
            cors,
            lifecycle,
            object_lock,
            policy,
        })
    }

    pub async fn tags(&self, name: &str) -> Result<BTreeMap<String, String>, CloudError> {
        let out = call!("GetBucketTagging", self.client.get_bucket_tagging().bucket(name).send()).optional()?;
        Ok(out.map(|o| o.tag_set.into_iter().map(|t| (t.key, t.value)).collect()).unwrap_or_default())
    }

    pub async fn put_tags(&self, name: &str, tags: &BTreeMap<String, String>) -> Result<(), CloudError> {
        const OP: &str = "s3:PutBucketTagging";
        let tag_set = tags
            .iter()
            .map(|(k, v)| t::Tag::builder().key(k).value(v).build().map_err(|e| invalid(OP, e)))
            .collect::<Result<Vec<_>, _>>()?;
        let tagging = t::Tagging::builder().set_tag_set(Some(tag_set)).build().map_err(|e| invalid(OP, e))?;
        call!("PutBucketTagging", self.client.put_bucket_tagging().bucket(name).tagging(tagging).send()).map(drop)
    }

    pub async fn versioning(&self, name: &str) -> Result<Versioning, CloudError> {
        let out = call!("GetBucketVersioning", self.client.get_bucket_versioning().bucket(name).send())?;
        Ok(match out.status {
            Some(t::BucketVersioningStatus::Enabled) => Versioning::Enabled,
            Some(t::BucketVersioningStatus::Suspended) => Versioning::Suspended,
            _ => Versioning::Unversioned,
        })
    }

    pub async fn put_versioning(&self, name: &str, enabled: bool) -> Result<(), CloudError> {
        let status = if enabled { t::BucketVersioningStatus::Enabled } else { t::BucketVersioningStatus::Suspended };
        let conf = t::VersioningConfiguration::builder().status(status).build();
        call!(
            "PutBucketVersioning",
            self.client.put_bucket_versioning().bucket(name).versioning_configuration(conf).send()
        )
        .map(drop)
    }

    pub async fn encryption(&self, name: &str) -> Result<Option<Encryption>, CloudError> {
        let out = call!("GetBucketEncryption", self.client.get_bucket_encryption().bucket(name).send()).optional()?;
        let rule = out
            .and_then(|o| o.server_side_encryption_configuration)
            .and_then(|c| c.rules.into_iter().next())
            .and_then(|r| r.apply_server_side_encryption_by_default);
        Ok(rule.map(|d| match d.sse_algorithm {
            t::ServerSideEncryption::AwsKms | t::ServerSideEncryption::AwsKmsDsse => {
                Encryption::SseKms { key_id: d.kms_master_key_id.unwrap_or_default() }
            }
            _ => Encryption::SseS3,
        }))
    }

    pub async fn put_encryption(&self, name: &str, encryption: &Encryption) -> Result<(), CloudError> {
        const OP: &str = "s3:PutBucketEncryption";
        let by_default = match encryption {
            Encryption::SseS3 => {
                t::ServerSideEncryptionByDefault::builder().sse_algorithm(t::ServerSideEncryption::Aes256)
            }
            Encryption::SseKms { key_id } => t::ServerSideEncryptionByDefault::builder()
                .sse_algorithm(t::ServerSideEncryption::AwsKms)
                .kms_master_key_id(key_id),
        }
        .build()
        .map_err(|e| invalid(OP, e))?;
        let rule = t::ServerSideEncryptionRule::builder()
            .apply_server_side_encryption_by_default(by_default)
            .bucket_key_enabled(matches!(encryption, Encryption::SseKms { .. }))
            .build();
        let conf = t::ServerSideEncryptionConfiguration::builder().rules(rule).build().map_err(|e| invalid(OP, e))?;
        call!(
            "PutBucketEncryption",
            self.client.put_bucket_encryption().bucket(name).server_side_encryption_configuration(conf).send()
        )
        .map(drop)
    }

    pub async fn public_access_block(&self, name: &str) -> Result<Option<PublicAccessBlock>, CloudError> {
        let out =
            call!("GetPublicAccessBlock", self.client.get_public_access_block().bucket(name).send()).optional()?;
        Ok(out.and_then(|o| o.public_access_block_configuration).map(|c| PublicAccessBlock {
            block_public_acls: c.block_public_acls.unwrap_or(false),
            ignore_public_acls: c.ignore_public_acls.unwrap_or(false),
            block_public_policy: c.block_public_policy.unwrap_or(false),
            restrict_public_buckets: c.restrict_public_buckets.unwrap_or(false),
        }))
    }

    pub async fn put_public_access_block(&self, name: &str, pab: PublicAccessBlock) -> Result<(), CloudError> {
        let conf = t::PublicAccessBlockConfiguration::builder()
            .block_public_acls(pab.block_public_acls)
            .ignore_public_acls(pab.ignore_public_acls)
            .block_public_policy(pab.block_public_policy)
            .restrict_public_buckets(pab.restrict_public_buckets)
            .build();
        call!(
            "PutPublicAccessBlock",
            self.client.put_public_access_block().bucket(name).public_access_block_configuration(conf).send()
        )
        .map(drop)
    }

    pub async fn website(&self, name: &str) -> Result<Option<Website>, CloudError> {
        let out = call!("GetBucketWebsite", self.client.get_bucket_website().bucket(name).send()).optional()?;
        Ok(out.and_then(|o| {
            o.index_document
                .map(|i| Website { index_document: i.suffix, error_document: o.error_document.map(|e| e.key) })
        }))
    }

    pub async fn put_website(&self, name: &str, website: &Website) -> Result<(), CloudError> {
        const OP: &str = "s3:PutBucketWebsite";
        let mut conf = t::WebsiteConfiguration::builder().index_document(
            t::IndexDocument::builder().suffix(&website.index_document).build().map_err(|e| invalid(OP, e))?,
        );
        if let Some(err) = &website.error_document {
            conf = conf.error_document(t::ErrorDocument::builder().key(err).build().map_err(|e| invalid(OP, e))?);
        }
        call!(
            "PutBucketWebsite",
            self.client.put_bucket_website().bucket(name).website_configuration(conf.build()).send()
        )
        .map(drop)
    }

    pub async fn delete_website(&self, name: &str) -> Result<(), CloudError> {
        call!("DeleteBucketWebsite", self.client.delete_bucket_website().bucket(name).send()).map(drop)
    }

    pub async fn cors(&self, name: &str) -> Result<Vec<CorsRule>, CloudError> {
        let out = call!("GetBucketCors", self.client.get_bucket_cors().bucket(name).send()).optional()?;
        Ok(out
            .map(|o| {
                o.cors_rules
                    .unwrap_or_default()
                    .into_iter()
                    .map(|r| CorsRule {
                        allowed_origins: r.allowed_origins,
                        allowed_methods: r.allowed_methods,
                        allowed_headers: r.allowed_headers.unwrap_or_default(),
                        expose_headers: r.expose_headers.unwrap_or_default(),
                        max_age_seconds: r.max_age_seconds,
                    })
                    .collect()
            })
            .unwrap_or_default())
    }

    pub async fn put_cors(&self, name: &str, rules: &[CorsRule]) -> Result<(), CloudError> {
        const OP: &str = "s3:PutBucketCors";
        let rules = rules
            .iter()
            .map(|r| {
                t::CorsRule::builder()
                    .set_allowed_origins(Some(r.allowed_origins.clone()))
                    .set_allowed_methods(Some(r.allowed_methods.clone()))
                    .set_allowed_headers((!r.allowed_headers.is_empty()).then(|| r.allowed_headers.clone()))
                    .set_expose_headers((!r.expose_headers.is_empty()).then(|| r.expose_headers.clone()))
                    .set_max_age_seconds(r.max_age_seconds)
                    .build()
                    .map_err(|e| invalid(OP, e))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let conf = t::CorsConfiguration::builder().set_cors_rules(Some(rules)).build().map_err(|e| invalid(OP, e))?;
        call!("PutBucketCors", self.client.put_bucket_cors().bucket(name).cors_configuration(conf).send()).map(drop)
    }

    pub async fn delete_cors(&self, name: &str) -> Result<(), CloudError> {
        call!("DeleteBucketCors", self.client.delete_bucket_cors().bucket(name).send()).map(drop)
    }

    pub async fn lifecycle(&self, name: &str) -> Result<Vec<LifecycleRule>, CloudError> {
        let out = call!(
            "GetBucketLifecycleConfiguration",
            self.client.get_bucket_lifecycle_configuration().bucket(name).send()
        )
        .optional()?;
        Ok(out
            .map(|o| {
                o.rules
                    .unwrap_or_default()
                    .into_iter()
                    .map(|r| {
                        #[allow(deprecated)] // the legacy top-level prefix is still what some rules carry
                        let legacy_prefix = r.prefix.clone();
                        LifecycleRule {
                            id: r.id.unwrap_or_default(),
                            prefix: r.filter.and_then(|f| f.prefix).or(legacy_prefix).unwrap_or_default(),
                            transitions: r
                                .transitions
                                .unwrap_or_default()
                                .into_iter()
                                .map(|t| {
                                    (
                                        t.days.unwrap_or(0),
                                        t.storage_class.map(|c| c.as_str().to_string()).unwrap_or_default(),
                                    )
                                })
                                .collect(),
                            expiration_days: r.expiration.and_then(|e| e.days),
                            noncurrent_version_expiration_days: r
                                .noncurrent_version_expiration
                                .and_then(|e| e.noncurrent_days),
                        }
                    })
                    .collect()
            })
            .unwrap_or_default())
    }

    pub async fn put_lifecycle(&self, name: &str, rules: &[LifecycleRule]) -> Result<(), CloudError> {
        const OP: &str = "s3:PutBucketLifecycleConfiguration";
        let rules = rules
            .iter()
            .map(|r| {
                let mut b = t::LifecycleRule::builder()
                    .id(&r.id)
                    .status(t::ExpirationStatus::Enabled)
                    .filter(t::LifecycleRuleFilter::builder().prefix(&r.prefix).build());
                for (days, class) in &r.transitions {
                    b = b.transitions(
                        t::Transition::builder()
                            .days(*days)
                            .storage_class(t::TransitionStorageClass::from(class.as_str()))
                            .build(),
                    );
                }
                if let Some(days) = r.expiration_days {
                    b = b.expiration(t::LifecycleExpiration::builder().days(days).build());
                }
                if let Some(days) = r.noncurrent_version_expiration_days {
                    b = b.noncurrent_version_expiration(
                        t::NoncurrentVersionExpiration::builder().noncurrent_days(days).build(),
                    );
                }
                b.build().map_err(|e| invalid(OP, e))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let conf =
            t::BucketLifecycleConfiguration::builder().set_rules(Some(rules)).build().map_err(|e| invalid(OP, e))?;
        call!(
            "PutBucketLifecycleConfiguration",
            self.client.put_bucket_lifecycle_configuration().bucket(name).lifecycle_configuration(conf).send()
        )
        .map(drop)
    }

    pub async fn delete_lifecycle(&self, name: &str) -> Result<(), CloudError> {
        call!("DeleteBucketLifecycle", self.client.delete_bucket_lifecycle().bucket(name).send()).map(drop)
    }

    pub async fn object_lock(&self, name: &str) -> Result<ObjectLock, CloudError> {
        let out = call!("GetObjectLockConfiguration", self.client.get_object_lock_configuration().bucket(name).send())
            .optional()?;
        let Some(conf) = out.and_then(|o| o.object_lock_configuration) else {
            return Ok(ObjectLock::default());
        };
        let retention = conf.rule.and_then(|r| r.default_retention).and_then(|d| {
            Some(Retention { mode: d.mode?.as_str().to_string(), days: d.days.or_else(|| d.years.map(|y| y * 365))? })
        });
        Ok(ObjectLock { enabled: conf.object_lock_enabled == Some(t::ObjectLockEnabled::Enabled), retention })
    }

    /// Sets (or, with `None`, clears) the default retention of a bucket created with object lock.
    pub async fn put_object_lock_retention(&self, name: &str, retention: Option<&Retention>) -> Result<(), CloudError> {
        let mut conf = t::ObjectLockConfiguration::builder().object_lock_enabled(t::ObjectLockEnabled::Enabled);
        if let Some(retention) = retention {
            conf = conf.rule(
                t::ObjectLockRule::builder()
                    .default_retention(
                        t::DefaultRetention::builder()
                            .mode(t::ObjectLockRetentionMode::from(retention.mode.as_str()))
                            .days(retention.days)
                            .build(),
                    )
                    .build(),
            );
        }
        call!(
            "PutObjectLockConfiguration",
            self.client.put_object_lock_configuration().bucket(name).object_lock_configuration(conf.build()).send()
        )
        .map(drop)
    }

    pub async fn policy(&self, name: &str) -> Result<Option<String>, CloudError> {
        let out = call!("GetBucketPolicy", self.client.get_bucket_policy().bucket(name).send()).optional()?;
        Ok(out.and_then(|o| o.policy))
    }

    pub async fn put_policy(&self, name: &str, policy: &str) -> Result<(), CloudError> {
        call!("PutBucketPolicy", self.client.put_bucket_policy().bucket(name).policy(policy).send()).map(drop)
    }

    pub async fn delete_policy(&self, name: &str) -> Result<(), CloudError> {
        call!("DeleteBucketPolicy", self.client.delete_bucket_policy().bucket(name).send()).map(drop)
    }

    /// Whether the bucket holds no object, object version or delete marker.
    pub async fn is_empty(&self, name: &str) -> Result<bool, CloudError> {
        let out = call!("ListObjectVersions", self.client.list_object_versions().bucket(name).max_keys(1).send())?;
        Ok(out.versions.unwrap_or_default().is_empty() && out.delete_markers.unwrap_or_default().is_empty())
    }

    /// Deletes every object version and delete marker, a page (up to 1,000) at a time. Object lock
    /// retention is respected: locked versions make this fail with a Conflict naming them.
    pub async fn empty(&self, name: &str) -> Result<u64, CloudError> {
        const OP: &str = "s3:DeleteObjects";
        let mut deleted = 0u64;
        loop {
            let page =
                call!("ListObjectVersions", self.client.list_object_versions().bucket(name).max_keys(1000).send())?;
            let ids = page
                .versions
                .unwrap_or_default()
                .into_iter()
                .map(|v| (v.key, v.version_id))
                .chain(page.delete_markers.unwrap_or_default().into_iter().map(|m| (m.key, m.version_id)))
                .filter_map(|(key, version)| {
                    Some(
                        t::ObjectIdentifier::builder()
                            .key(key?)
                            .set_version_id(version)
                            .build()
                            .map_err(|e| invalid(OP, e)),
                    )
                })
                .collect::<Result<Vec<_>, _>>()?;
            if ids.is_empty() {
                return Ok(deleted);
            }
            let count = ids.len() as u64;
            let delete = t::Delete::builder().set_objects(Some(ids)).quiet(true).build().map_err(|e| invalid(OP, e))?;
            let out = call!("DeleteObjects", self.client.delete_objects().bucket(name).delete(delete).send())?;
            if let Some(err) = out.errors.unwrap_or_default().into_iter().next() {
                return Err(CloudError {
                    category: ErrorCategory::Conflict,
                    operation: OP,
                    code: err.code.unwrap_or_else(|| "DeleteFailed".into()),
                    message: format!(
                        "could not delete {}: {}",
                        err.key.unwrap_or_default(),
                        err.message.unwrap_or_default()
                    ),
                });
            }
            deleted += count;
        }
    }

    pub async fn delete(&self, name: &str) -> Result<(), CloudError> {
        call!("DeleteBucket", self.client.delete_bucket().bucket(name).send()).map(drop)
    }
}
