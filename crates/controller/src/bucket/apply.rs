//! The writes of a Bucket's plan: one wave, in the plan's order (I/O).

use stackwright_cloud::CloudError;
use stackwright_cloud::s3::{Creation, S3};

use super::plan::Change;

/// What the writes did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applied {
    /// Every write went through.
    Done,
    /// CreateBucket found the name held by another AWS account; nothing was created.
    NameTaken,
}

/// Creates the bucket (when `create` says so: `Some(object_lock)`), then makes `changes`.
pub async fn apply(s3: &S3, name: &str, create: Option<bool>, changes: &[Change]) -> Result<Applied, CloudError> {
    if let Some(object_lock) = create
        && s3.create(name, object_lock).await? == Creation::TakenByAnotherAccount
    {
        return Ok(Applied::NameTaken);
    }
    for change in changes {
        apply_change(s3, name, change).await?;
    }
    Ok(Applied::Done)
}

async fn apply_change(s3: &S3, name: &str, change: &Change) -> Result<(), CloudError> {
    match change {
        Change::Tags(tags) => s3.put_tags(name, tags).await,
        Change::Versioning(on) => s3.put_versioning(name, *on).await,
        Change::Encryption(e) => s3.put_encryption(name, e).await,
        Change::ObjectLockRetention(r) => s3.put_object_lock_retention(name, r.as_ref()).await,
        Change::UnblockPublicAccess(p) | Change::BlockPublicAccess(p) => s3.put_public_access_block(name, *p).await,
        Change::Website(Some(w)) => s3.put_website(name, w).await,
        Change::Website(None) => s3.delete_website(name).await,
        Change::Policy(Some(p)) => s3.put_policy(name, &p.to_string()).await,
        Change::Policy(None) => s3.delete_policy(name).await,
        Change::Cors(rules) if rules.is_empty() => s3.delete_cors(name).await,
        Change::Cors(rules) => s3.put_cors(name, rules).await,
        Change::Lifecycle(rules) if rules.is_empty() => s3.delete_lifecycle(name).await,
        Change::Lifecycle(rules) => s3.put_lifecycle(name, rules).await,
    }
}
