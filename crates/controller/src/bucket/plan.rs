//! What to do about a Bucket, given what it wants and what S3 has: pure, no I/O.

use stackwright_api::bucket::BucketDeletionPolicy;
use stackwright_api::conditions::reason;
use stackwright_api::naming::ObjectIdentity;
use stackwright_cloud::s3::{
    BucketState, CorsRule, Encryption, LifecycleRule, Presence, PublicAccessBlock, Retention, Versioning, Website,
};

use super::desired::{DesiredBucket, public_read_policy};

/// One write to an existing bucket. The variants are in the order they must be applied: public
/// access must be unblocked before a public policy can be put, and blocked only after it is gone.
#[derive(Clone, Debug, PartialEq)]
pub enum Change {
    Tags(std::collections::BTreeMap<String, String>),
    Versioning(bool),
    Encryption(Encryption),
    ObjectLockRetention(Option<Retention>),
    /// Unblock public access (before a public policy is put).
    UnblockPublicAccess(PublicAccessBlock),
    Website(Option<Website>),
    Policy(Option<serde_json::Value>),
    Cors(Vec<CorsRule>),
    Lifecycle(Vec<LifecycleRule>),
    /// Block public access (after a public policy is removed).
    BlockPublicAccess(PublicAccessBlock),
}

impl Change {
    /// The spec field this change brings back in line, for messages.
    pub fn field(&self) -> &'static str {
        match self {
            Change::Tags(_) => "tags",
            Change::Versioning(_) => "versioning",
            Change::Encryption(_) => "encryption",
            Change::ObjectLockRetention(_) => "objectLock",
            Change::UnblockPublicAccess(_) | Change::BlockPublicAccess(_) => "publicAccessBlock",
            Change::Website(_) => "website",
            Change::Policy(_) => "bucket policy",
            Change::Cors(_) => "cors",
            Change::Lifecycle(_) => "lifecycle",
        }
    }
}

/// The verdict on one Bucket.
#[derive(Clone, Debug, PartialEq)]
pub enum Plan {
    /// No bucket by that name: create it (with object lock when asked), then make these changes
    /// to it — known without reading it back, since a new bucket has nothing configured.
    Create { object_lock: bool, changes: Vec<Change> },
    /// The bucket is ours: these changes (possibly none) make it match the spec.
    Converge(Vec<Change>),
    /// Progress needs a person.
    Blocked { reason: &'static str, message: String },
}

/// Why a name another AWS account holds cannot be used.
pub fn foreign_bucket_message(name: &str) -> String {
    format!("S3 bucket {name} belongs to another AWS account (bucket names are global); set another spec.bucketName")
}

/// Decides what to do with the bucket named in `desired`.
pub fn plan(
    desired: &DesiredBucket,
    presence: &Presence,
    observed: Option<&BucketState>,
    id: &ObjectIdentity,
    adopt: bool,
) -> Plan {
    let observed = match (presence, observed) {
        (Presence::Absent, _) => {
            let changes = changes(desired, &new_bucket(desired));
            return Plan::Create { object_lock: desired.retention.is_some(), changes };
        }
        (Presence::Foreign, _) => {
            return Plan::Blocked { reason: reason::NAME_CONFLICT, message: foreign_bucket_message(&desired.name) };
        }
        (Presence::Accessible, Some(observed)) => observed,
        (Presence::Accessible, None) => return Plan::Converge(Vec::new()),
    };
    if !adopt && !id.owns(&observed.tags) {
        return Plan::Blocked {
            reason: reason::NAME_CONFLICT,
            message: format!(
                "S3 bucket {} already exists and is not managed by this object; annotate it with stackwright.io/adopt: \"true\" to take it over, or set another spec.bucketName",
                desired.name
            ),
        };
    }
    if observed.region != desired.region {
        return Plan::Blocked {
            reason: reason::INVALID_SPEC,
            message: format!(
                "S3 bucket {} is in region {}, not {}; buckets cannot move between regions",
                desired.name, observed.region, desired.region
            ),
        };
    }
    if desired.retention.is_some() && !observed.object_lock.enabled {
        return Plan::Blocked {
            reason: reason::INVALID_SPEC,
            message: format!(
                "S3 bucket {} was created without object lock, which S3 can only switch on at creation; remove spec.objectLock or use a new bucket",
                desired.name
            ),
        };
    }
    Plan::Converge(changes(desired, observed))
}

/// What a bucket looks like right after CreateBucket, as far as this controller relies on it:
/// nothing configured. S3 now gives new buckets SSE-S3 and a full public access block by
/// default, but both are security settings, so they are written explicitly rather than trusted.
fn new_bucket(desired: &DesiredBucket) -> BucketState {
    BucketState {
        region: desired.region.clone(),
        tags: Default::default(),
        versioning: Versioning::Unversioned,
        encryption: None,
        public_access_block: None,
        website: None,
        cors: Vec::new(),
        lifecycle: Vec::new(),
        object_lock: stackwright_cloud::s3::ObjectLock { enabled: desired.retention.is_some(), retention: None },
        policy: None,
    }
}

fn changes(desired: &DesiredBucket, observed: &BucketState) -> Vec<Change> {
    let mut out = Vec::new();
    if desired.tags != observed.tags {
        out.push(Change::Tags(desired.tags.clone()));
    }
    match (desired.versioning, observed.versioning) {
        (true, Versioning::Enabled) | (false, Versioning::Unversioned | Versioning::Suspended) => {}
        (on, _) => out.push(Change::Versioning(on)),
    }
    if observed.encryption.as_ref() != Some(&desired.encryption) {
        out.push(Change::Encryption(desired.encryption.clone()));
    }
    if observed.object_lock.enabled && observed.object_lock.retention != desired.retention {
        out.push(Change::ObjectLockRetention(desired.retention.clone()));
    }
    // No configuration at all is not the same as "nothing blocked": S3 may apply account-level
    // or default blocks, so the wanted switches are always written explicitly.
    let pab_drift = observed.public_access_block != Some(desired.public_access_block);
    let blocking = desired.public_access_block == PublicAccessBlock::all(true);
    if pab_drift && !blocking {
        out.push(Change::UnblockPublicAccess(desired.public_access_block));
    }
    if observed.website != desired.website {
        out.push(Change::Website(desired.website.clone()));
    }
    let observed_policy = observed.policy.as_deref().and_then(|p| serde_json::from_str::<serde_json::Value>(p).ok());
    match (&desired.policy, &observed_policy) {
        (Some(want), have) if have.as_ref() != Some(want) => out.push(Change::Policy(Some(want.clone()))),
        // Only the policy this controller puts is taken away again; another policy on an owned
        // bucket (e.g. one for CloudFront) is not part of the spec and is left alone.
        (None, Some(have)) if *have == public_read_policy(&desired.name) => out.push(Change::Policy(None)),
        _ => {}
    }
    if observed.cors != desired.cors {
        out.push(Change::Cors(desired.cors.clone()));
    }
    if observed.lifecycle != desired.lifecycle {
        out.push(Change::Lifecycle(desired.lifecycle.clone()));
    }
    if pab_drift && blocking {
        out.push(Change::BlockPublicAccess(desired.public_access_block));
    }
    out
}

/// One step of cleaning up after a deleted Bucket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cleanup {
    /// Nothing (more) to do in AWS: release the finalizer.
    Release,
    /// Delete every object version, then the bucket.
    EmptyThenDelete,
    /// Delete the (empty) bucket.
    Delete,
    /// Hold the finalizer until a person acts.
    Blocked { reason: &'static str, message: String },
}

/// Decides how to clean up. `owned` and `empty` are only consulted when they matter.
pub fn cleanup(
    name: &str,
    policy: BucketDeletionPolicy,
    empty_on_delete: bool,
    paused: bool,
    presence: &Presence,
    owned: bool,
    empty: Option<bool>,
) -> Cleanup {
    if policy == BucketDeletionPolicy::Retain || *presence != Presence::Accessible || !owned {
        // Retained, already gone, or never ours to delete.
        return Cleanup::Release;
    }
    if paused {
        return Cleanup::Blocked {
            reason: reason::PAUSED,
            message: format!(
                "deletion of S3 bucket {name} waits: the object is paused (remove the stackwright.io/paused annotation)"
            ),
        };
    }
    match (empty, empty_on_delete) {
        (Some(true), _) => Cleanup::Delete,
        (_, true) => Cleanup::EmptyThenDelete,
        _ => Cleanup::Blocked {
            reason: reason::BUCKET_NOT_EMPTY,
            message: format!(
                "S3 bucket {name} still holds objects; empty it, set spec.emptyOnDelete: true, or set spec.deletionPolicy: Retain"
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use stackwright_api::bucket::BucketSpec;
    use stackwright_cloud::s3::ObjectLock;

    use super::super::desired::desired;
    use super::*;

    fn id() -> ObjectIdentity {
        super::super::test_identity("docs")
    }

    fn want(yaml: &str) -> DesiredBucket {
        let spec: BucketSpec = serde_yaml::from_str(yaml).expect("valid spec");
        desired(&spec, &id(), "us-east-1")
    }

    /// What S3 reports for a bucket that exactly matches `d`.
    fn matching(d: &DesiredBucket) -> BucketState {
        BucketState {
            region: d.region.clone(),
            tags: d.tags.clone(),
            versioning: if d.versioning { Versioning::Enabled } else { Versioning::Unversioned },
            encryption: Some(d.encryption.clone()),
            public_access_block: Some(d.public_access_block),
            website: d.website.clone(),
            cors: d.cors.clone(),
            lifecycle: d.lifecycle.clone(),
            object_lock: ObjectLock { enabled: d.retention.is_some(), retention: d.retention.clone() },
            policy: d.policy.as_ref().map(|p| p.to_string()),
        }
    }

    const FULL: &str = r#"
versioning: true
publicAccessBlock: false
website: {indexDocument: index.html, errorDocument: error.html}
cors: [{allowedOrigins: ["*"], allowedMethods: [GET]}]
lifecycle: [{id: tmp, prefix: tmp/, expirationDays: 7}]
tags: {team: docs}
"#;

    #[test]
    fn absent_bucket_is_created_with_object_lock_when_asked_and_configured_without_a_read() {
        let d = want("{}");
        let Plan::Create { object_lock, changes } = plan(&d, &Presence::Absent, None, &id(), false) else {
            panic!("create")
        };
        assert!(!object_lock);
        // Tags first (they make the bucket recognisably ours); security settings always written.
        assert_eq!(
            changes,
            vec![
                Change::Tags(d.tags.clone()),
                Change::Encryption(Encryption::SseS3),
                Change::BlockPublicAccess(PublicAccessBlock::all(true))
            ]
        );
        let locked = want("{versioning: true, objectLock: {mode: GOVERNANCE, days: 1}}");
        let Plan::Create { object_lock, changes } = plan(&locked, &Presence::Absent, None, &id(), false) else {
            panic!("create")
        };
        assert!(object_lock);
        assert!(changes.contains(&Change::ObjectLockRetention(locked.retention.clone())));
        assert!(changes.contains(&Change::Versioning(true)));
    }

    #[test]
    fn matching_bucket_needs_no_writes() {
        for yaml in ["{}", FULL] {
            let d = want(yaml);
            assert_eq!(
                plan(&d, &Presence::Accessible, Some(&matching(&d)), &id(), false),
                Plan::Converge(vec![]),
                "{yaml}"
            );
        }
    }

    #[test]
    fn a_fresh_bucket_converges_every_field_in_a_safe_order() {
        let d = want(FULL);
        let fresh = BucketState {
            region: "us-east-1".into(),
            tags: BTreeMap::new(),
            versioning: Versioning::Unversioned,
            encryption: None,
            public_access_block: Some(PublicAccessBlock::all(true)),
            website: None,
            cors: vec![],
            lifecycle: vec![],
            object_lock: ObjectLock::default(),
            policy: None,
        };
        // Creating the bucket leaves it without our tags; the plan right after creation is
        // computed with adopt semantics by the driver (it just made the bucket).
        let Plan::Converge(changes) = plan(&d, &Presence::Accessible, Some(&fresh), &id(), true) else {
            panic!("converge")
        };
        let fields: Vec<_> = changes.iter().map(Change::field).collect();
        assert_eq!(
            fields,
            ["tags", "versioning", "encryption", "publicAccessBlock", "website", "bucket policy", "cors", "lifecycle"]
        );
        assert!(matches!(changes[3], Change::UnblockPublicAccess(_)), "unblock comes before the public policy");
    }

    #[test]
    fn a_public_website_unblocks_public_access_explicitly_on_a_new_bucket() {
        let d = want(FULL);
        let Plan::Create { changes, .. } = plan(&d, &Presence::Absent, None, &id(), false) else { panic!("create") };
        let unblock = changes.iter().position(|c| matches!(c, Change::UnblockPublicAccess(_)));
        let policy = changes.iter().position(|c| matches!(c, Change::Policy(Some(_))));
        assert!(unblock.is_some() && unblock < policy, "{changes:?}");
    }

    #[test]
    fn each_drifted_field_is_corrected_alone() {
        let d = want(FULL);
        let mut s = matching(&d);
        s.versioning = Versioning::Suspended;
        s.cors.clear();
        assert_eq!(
            plan(&d, &Presence::Accessible, Some(&s), &id(), false),
            Plan::Converge(vec![Change::Versioning(true), Change::Cors(d.cors.clone())])
        );
    }

    #[test]
    fn turning_versioning_off_suspends_and_never_versioned_stays_alone() {
        let d = want("{}");
        let mut s = matching(&d);
        s.versioning = Versioning::Enabled;
        assert_eq!(
            plan(&d, &Presence::Accessible, Some(&s), &id(), false),
            Plan::Converge(vec![Change::Versioning(false)])
        );
        s.versioning = Versioning::Suspended;
        assert_eq!(plan(&d, &Presence::Accessible, Some(&s), &id(), false), Plan::Converge(vec![]));
    }

    #[test]
    fn making_a_website_private_removes_our_policy_before_blocking() {
        let public = want(FULL);
        let private = want(
            "{versioning: true, website: {indexDocument: index.html, errorDocument: error.html}, cors: [{allowedOrigins: [\"*\"], allowedMethods: [GET]}], lifecycle: [{id: tmp, prefix: tmp/, expirationDays: 7}], tags: {team: docs}}",
        );
        let s = matching(&public);
        let Plan::Converge(changes) = plan(&private, &Presence::Accessible, Some(&s), &id(), false) else {
            panic!("converge")
        };
        assert_eq!(changes, vec![Change::Policy(None), Change::BlockPublicAccess(PublicAccessBlock::all(true))]);
    }

    #[test]
    fn a_foreign_policy_is_left_alone() {
        let d = want("{}");
        let mut s = matching(&d);
        s.policy = Some(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"cloudfront.amazonaws.com"},"Action":"s3:GetObject","Resource":"*"}]}"#.into());
        assert_eq!(plan(&d, &Presence::Accessible, Some(&s), &id(), false), Plan::Converge(vec![]));
    }

    #[test]
    fn someone_elses_bucket_is_a_name_conflict_unless_adopted() {
        let d = want("{}");
        let mut s = matching(&d);
        s.tags = BTreeMap::from([("owner".to_string(), "someone".to_string())]);
        let Plan::Blocked { reason, message } = plan(&d, &Presence::Accessible, Some(&s), &id(), false) else {
            panic!("blocked")
        };
        assert_eq!(reason, "NameConflict");
        assert!(message.contains("stackwright.io/adopt"), "{message}");
        assert_eq!(
            plan(&d, &Presence::Accessible, Some(&s), &id(), true),
            Plan::Converge(vec![Change::Tags(d.tags.clone())])
        );
        let Plan::Blocked { reason, .. } = plan(&d, &Presence::Foreign, None, &id(), true) else { panic!("blocked") };
        assert_eq!(reason, "NameConflict", "another account's bucket cannot be adopted");
    }

    #[test]
    fn object_lock_on_an_existing_unlocked_bucket_is_invalid() {
        let d = want("{versioning: true, objectLock: {mode: COMPLIANCE, days: 30}}");
        let mut s = matching(&d);
        s.object_lock = ObjectLock::default();
        let Plan::Blocked { reason, .. } = plan(&d, &Presence::Accessible, Some(&s), &id(), false) else {
            panic!("blocked")
        };
        assert_eq!(reason, "InvalidSpec");
    }

    #[test]
    fn wrong_region_is_invalid() {
        let d = want("{}");
        let mut s = matching(&d);
        s.region = "eu-west-2".into();
        let Plan::Blocked { reason, .. } = plan(&d, &Presence::Accessible, Some(&s), &id(), false) else {
            panic!("blocked")
        };
        assert_eq!(reason, "InvalidSpec");
    }

    #[test]
    fn cleanup_follows_deletion_policy() {
        use BucketDeletionPolicy::{Delete, Retain};
        let here = Presence::Accessible;
        assert_eq!(cleanup("b", Retain, true, false, &here, true, Some(false)), Cleanup::Release);
        assert_eq!(cleanup("b", Delete, false, false, &Presence::Absent, true, None), Cleanup::Release);
        assert_eq!(
            cleanup("b", Delete, false, false, &here, false, Some(true)),
            Cleanup::Release,
            "never delete what is not ours"
        );
        assert_eq!(cleanup("b", Delete, false, false, &here, true, Some(true)), Cleanup::Delete);
        assert_eq!(cleanup("b", Delete, true, false, &here, true, Some(false)), Cleanup::EmptyThenDelete);
        let Cleanup::Blocked { reason, .. } = cleanup("b", Delete, false, false, &here, true, Some(false)) else {
            panic!("blocked")
        };
        assert_eq!(reason, "BucketNotEmpty");
        let Cleanup::Blocked { reason, .. } = cleanup("b", Delete, true, true, &here, true, Some(false)) else {
            panic!("blocked")
        };
        assert_eq!(reason, "Paused");
    }
}
