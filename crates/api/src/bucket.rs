//! `Bucket`: an S3 bucket with versioning, encryption, public access block, website hosting, CORS,
//! lifecycle rules and object lock.

use std::collections::BTreeMap;

use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::common::CommonStatus;

/// An S3 bucket owned by this object.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "stackwright.io",
    version = "v1alpha1",
    kind = "Bucket",
    namespaced,
    status = "BucketStatus",
    shortname = "sbucket",
    category = "stackwright",
    doc = "An S3 bucket: versioning, encryption, public access block, website hosting, CORS, lifecycle rules and object lock.",
    printcolumn(name = "Ready", type_ = "string", json_path = ".status.conditions[?(@.type==\"Ready\")].status"),
    printcolumn(name = "Status", type_ = "string", json_path = ".status.conditions[?(@.type==\"Ready\")].reason"),
    printcolumn(name = "Bucket", type_ = "string", json_path = ".status.bucketName"),
    printcolumn(
        name = "Cost",
        type_ = "string",
        json_path = ".status.estimatedMonthlyCostUSD",
        description = "Estimated fixed monthly cost in USD, from the built-in price table"
    ),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp")
)]
#[serde(rename_all = "camelCase")]
#[x_kube(
    validation = Rule::new("self.publicAccessBlock || has(self.website)")
        .message("publicAccessBlock: false is allowed only together with website (a public static site)"),
    validation = Rule::new("!has(self.objectLock) || self.versioning")
        .message("objectLock requires versioning: true (S3 keeps object versions under a lock)"),
    validation = Rule::new("has(self.bucketName) == has(oldSelf.bucketName) && (!has(self.bucketName) || self.bucketName == oldSelf.bucketName)")
        .message("bucketName is immutable: S3 buckets cannot be renamed"),
    validation = Rule::new("has(self.objectLock) == has(oldSelf.objectLock) && (!has(self.objectLock) || self.objectLock == oldSelf.objectLock)")
        .message("objectLock can only be set when the bucket is created and cannot be changed afterwards"),
    validation = Rule::new("!has(self.region) || !has(oldSelf.region) || self.region == oldSelf.region")
        .message("region is immutable: a bucket cannot move between regions"),
)]
pub struct BucketSpec {
    /// AWS region for this bucket; defaults to the controller's region. Immutable once set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[a-z]{2}(-[a-z]+)+-[0-9]$"), length(max = 32))]
    pub region: Option<String>,

    /// Tags added to the bucket beside the stackwright.io ownership tags.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(extend("maxProperties" = 40))]
    pub tags: BTreeMap<String, String>,

    /// The S3 bucket name. Optional: by default a name is derived from the controller's cluster id,
    /// the namespace and the object name. S3 names are global across all AWS accounts, so a name
    /// set here may already be taken by someone else. Immutable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"), length(min = 3, max = 63))]
    pub bucket_name: Option<String>,

    /// Keep every version of every object. Turning it off later suspends versioning (S3 cannot
    /// un-version a bucket); existing versions stay.
    #[serde(default)]
    pub versioning: bool,

    /// Default server-side encryption of new objects.
    #[serde(default)]
    pub encryption: BucketEncryption,

    /// Block all public access (the four S3 public access block settings). `false` is allowed only
    /// together with `website`.
    #[serde(default = "default_true")]
    pub public_access_block: bool,

    /// Static website hosting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub website: Option<Website>,

    /// Cross-origin resource sharing rules.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 100))]
    pub cors: Vec<CorsRule>,

    /// Lifecycle rules: storage class transitions and expiry.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 100))]
    #[x_kube(validation = Rule::new("self.all(r, self.exists_one(o, o.id == r.id))").message("lifecycle rule ids must be unique"))]
    pub lifecycle: Vec<LifecycleRule>,

    /// Object lock retention applied to every new object. Only at creation: S3 cannot add object
    /// lock to an existing bucket, and this controller does not change it later.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_lock: Option<ObjectLock>,

    /// What happens to the bucket when this object is deleted: `Retain` (default) keeps it,
    /// `Delete` removes it (and stalls with BucketNotEmpty while it holds objects, unless emptyOnDelete).
    #[serde(default)]
    pub deletion_policy: BucketDeletionPolicy,

    /// With `deletionPolicy: Delete`, delete every object and object version first.
    #[serde(default)]
    pub empty_on_delete: bool,
}

fn default_true() -> bool {
    true
}

/// Server-side encryption.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("(self.type == 'SSE-KMS') == has(self.kmsKeyId)").message("kmsKeyId is required with type SSE-KMS and not allowed with SSE-S3"))]
pub struct BucketEncryption {
    /// `SSE-S3` (S3-managed keys, the default) or `SSE-KMS` (a KMS key, see kmsKeyId).
    #[serde(rename = "type", default)]
    pub type_: EncryptionType,
    /// KMS key id or ARN, with `SSE-KMS`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 2048))]
    pub kms_key_id: Option<String>,
}

/// Encryption type.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum EncryptionType {
    #[default]
    #[serde(rename = "SSE-S3")]
    SseS3,
    #[serde(rename = "SSE-KMS")]
    SseKms,
}

/// Static website hosting.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Website {
    /// Served for requests to a directory.
    #[serde(default = "default_index")]
    #[schemars(length(min = 1, max = 1024))]
    pub index_document: String,
    /// Served for 4xx errors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 1024))]
    pub error_document: Option<String>,
}

fn default_index() -> String {
    "index.html".into()
}

/// One CORS rule.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CorsRule {
    /// Origins allowed to make cross-origin requests, e.g. `https://app.example.com` or `*`.
    #[schemars(length(min = 1, max = 100), inner(length(min = 1, max = 512)))]
    pub allowed_origins: Vec<String>,
    /// HTTP methods allowed.
    #[schemars(length(min = 1, max = 5))]
    pub allowed_methods: Vec<CorsMethod>,
    /// Request headers allowed in a preflight request.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 100), inner(length(min = 1, max = 256)))]
    pub allowed_headers: Vec<String>,
    /// Response headers the browser may read.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 100), inner(length(min = 1, max = 256)))]
    pub expose_headers: Vec<String>,
    /// How long a browser may cache the preflight response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 86400))]
    pub max_age_seconds: Option<i32>,
}

/// An HTTP method for CORS.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum CorsMethod {
    Get,
    Put,
    Post,
    Delete,
    Head,
}

/// A lifecycle rule.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("size(self.transitions) > 0 || has(self.expirationDays) || has(self.noncurrentVersionExpirationDays)")
    .message("a lifecycle rule needs at least one of transitions, expirationDays, noncurrentVersionExpirationDays"))]
pub struct LifecycleRule {
    /// Unique name of the rule.
    #[schemars(length(min = 1, max = 255))]
    pub id: String,
    /// Apply only to keys starting with this prefix (all objects when empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 1024))]
    pub prefix: Option<String>,
    /// Move objects to cheaper storage classes as they age.
    #[serde(default)]
    #[schemars(length(max = 10))]
    pub transitions: Vec<Transition>,
    /// Delete (or, in a versioned bucket, mark deleted) objects this many days after creation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 36500))]
    pub expiration_days: Option<i32>,
    /// Delete non-current object versions this many days after they stop being current.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 36500))]
    pub noncurrent_version_expiration_days: Option<i32>,
}

/// A storage class transition.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Transition {
    /// Days after object creation.
    #[schemars(range(min = 0, max = 36500))]
    pub days: i32,
    /// Target storage class.
    pub storage_class: StorageClass,
}

/// S3 storage classes a lifecycle rule can move objects to.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum StorageClass {
    StandardIa,
    OnezoneIa,
    IntelligentTiering,
    GlacierIr,
    Glacier,
    DeepArchive,
}

impl StorageClass {
    /// The S3 API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            StorageClass::StandardIa => "STANDARD_IA",
            StorageClass::OnezoneIa => "ONEZONE_IA",
            StorageClass::IntelligentTiering => "INTELLIGENT_TIERING",
            StorageClass::GlacierIr => "GLACIER_IR",
            StorageClass::Glacier => "GLACIER",
            StorageClass::DeepArchive => "DEEP_ARCHIVE",
        }
    }
}

/// Default object lock retention.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ObjectLock {
    /// `COMPLIANCE`: nobody can shorten or remove the retention. `GOVERNANCE`: privileged users can.
    pub mode: ObjectLockMode,
    /// Retention period in days.
    #[schemars(range(min = 1, max = 36500))]
    pub days: i32,
}

/// Object lock mode.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum ObjectLockMode {
    Compliance,
    Governance,
}

/// What happens to the bucket when its object is deleted.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum BucketDeletionPolicy {
    /// Keep the bucket and its contents (default).
    #[default]
    Retain,
    /// Delete the bucket.
    Delete,
}

/// Observed state of a Bucket.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BucketStatus {
    /// The S3 bucket name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bucket_name: Option<String>,
    /// The bucket ARN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    /// The region the bucket lives in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The website endpoint, with `website`.
    #[serde(default, rename = "websiteURL", skip_serializing_if = "Option::is_none")]
    pub website_url: Option<String>,
    #[serde(flatten)]
    pub common: CommonStatus,
}
