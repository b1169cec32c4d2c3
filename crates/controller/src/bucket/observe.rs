//! What S3 has for a Bucket: the only reads of its pipeline (I/O).

use stackwright_cloud::CloudError;
use stackwright_cloud::s3::{BucketState, Presence, S3};

/// The bucket as S3 reports it.
#[derive(Clone, Debug, PartialEq)]
pub struct Observed {
    pub presence: Presence,
    /// Every managed setting, when the bucket is ours to read.
    pub state: Option<BucketState>,
}

/// Reads the bucket: existence first, then (when it is readable) every managed setting at once.
pub async fn observe(s3: &S3, name: &str) -> Result<Observed, CloudError> {
    let presence = s3.presence(name).await?;
    let state = match presence {
        Presence::Accessible => Some(s3.read(name).await?),
        Presence::Absent | Presence::Foreign => None,
    };
    Ok(Observed { presence, state })
}

/// What cleanup needs to know about a deleted Bucket's bucket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObservedForCleanup {
    pub presence: Presence,
    /// Whether it carries this object's ownership tags (only asked when it exists).
    pub owned: bool,
    /// Whether it holds no object version (only asked when it is ours).
    pub empty: Option<bool>,
}

pub async fn observe_for_cleanup(
    s3: &S3,
    name: &str,
    id: &stackwright_api::naming::ObjectIdentity,
) -> Result<ObservedForCleanup, CloudError> {
    let presence = s3.presence(name).await?;
    if presence != Presence::Accessible {
        return Ok(ObservedForCleanup { presence, owned: false, empty: None });
    }
    let owned = id.owns(&s3.tags(name).await?);
    let empty = if owned { Some(s3.is_empty(name).await?) } else { None };
    Ok(ObservedForCleanup { presence, owned, empty })
}
