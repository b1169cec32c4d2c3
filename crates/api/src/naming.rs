//! Deterministic AWS names and ownership tags.
//!
//! The same object always maps to the same physical names, so a retried or restarted reconcile
//! finds what it created instead of creating it twice. Names are readable (cluster, namespace and
//! object name) and end in a short hash of the exact (cluster, namespace, name, purpose) tuple: the
//! readable part alone is not unique (`a-b`/`c` and `a`/`b-c` join to the same text) and may have to
//! be cut to fit an AWS length limit.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

/// Tag key: the controller instance (`--cluster-id`) that owns the resource.
pub const TAG_CLUSTER: &str = "stackwright.io/cluster";
/// Tag key: the owning object as `<Kind>/<namespace>/<name>`.
pub const TAG_OWNER: &str = "stackwright.io/owner";
/// Tag key: the owning object's uid (informational; refreshed when an object re-takes a retained resource).
pub const TAG_UID: &str = "stackwright.io/uid";

/// Identifies one Kubernetes object and the controller instance reconciling it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectIdentity {
    pub cluster_id: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub uid: String,
}

impl ObjectIdentity {
    /// The `stackwright.io/owner` tag value.
    pub fn owner(&self) -> String {
        format!("{}/{}/{}", self.kind, self.namespace, self.name)
    }

    /// Ownership tags followed by the user's `spec.tags`. Ownership keys win over user keys of the
    /// same name, so a user cannot accidentally give a resource away.
    pub fn tags(&self, user: &BTreeMap<String, String>) -> BTreeMap<String, String> {
        let mut tags = user.clone();
        tags.insert(TAG_CLUSTER.into(), self.cluster_id.clone());
        tags.insert(TAG_OWNER.into(), self.owner());
        tags.insert(TAG_UID.into(), self.uid.clone());
        tags
    }

    /// Whether tags found on an AWS resource say this object owns it. The uid is not compared: an
    /// object deleted with `deletionPolicy: Retain` and created again under the same name takes
    /// its resources back.
    pub fn owns(&self, tags: &BTreeMap<String, String>) -> bool {
        tags.get(TAG_CLUSTER) == Some(&self.cluster_id) && tags.get(TAG_OWNER) == Some(&self.owner())
    }

    /// [`physical_name`](Self::physical_name) for AWS names that must start with a letter (RDS
    /// identifiers, ElastiCache replication groups): when the name would start with a digit (a
    /// cluster id such as `42`), `<prefix>-` goes in front, within `max_len`.
    pub fn physical_name_letter_first(&self, purpose: &str, max_len: usize, prefix: char) -> String {
        let name = self.physical_name(purpose, max_len.saturating_sub(2));
        if name.starts_with(|c: char| c.is_ascii_lowercase()) { name } else { format!("{prefix}-{name}") }
    }

    /// The first eight letters and digits of the uid, lowercase: tells this object apart from an
    /// earlier one of the same name (e.g. in the name of a final snapshot, which outlives both).
    pub fn short_uid(&self) -> String {
        self.uid.chars().filter(char::is_ascii_alphanumeric).take(8).collect::<String>().to_lowercase()
    }

    /// A physical name for one of this object's AWS resources: lowercase letters, digits and
    /// hyphens, at most `max_len` characters, unique per `(cluster, namespace, name, purpose)`.
    /// `purpose` distinguishes several resources of one object ("" for the main one).
    pub fn physical_name(&self, purpose: &str, max_len: usize) -> String {
        let mut hasher = Sha256::new();
        for part in [&self.cluster_id, &self.namespace, &self.name, purpose] {
            hasher.update(part.as_bytes());
            hasher.update([0u8]);
        }
        let digest = hasher.finalize();
        let hash: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();

        let readable = sanitize(&[&self.cluster_id, &self.namespace, &self.name, purpose].join("-"));
        let room = max_len.saturating_sub(hash.len() + 1);
        let mut prefix: String = readable.chars().take(room).collect();
        while prefix.ends_with('-') {
            prefix.pop();
        }
        if prefix.is_empty() { hash } else { format!("{prefix}-{hash}") }
    }
}

/// Lowercase, map anything but `[a-z0-9]` to `-`, collapse runs of `-`, trim them from both ends.
fn sanitize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().flat_map(char::to_lowercase) {
        let c = if c.is_ascii_lowercase() || c.is_ascii_digit() { c } else { '-' };
        if c == '-' && (out.is_empty() || out.ends_with('-')) {
            continue;
        }
        out.push(c);
    }
    while out.ends_with('-') {
        out.pop();
    }
    out
}

/// S3 bucket names: 3–63 characters.
pub const S3_BUCKET_MAX: usize = 63;
/// Load balancer and target group names: 32 characters.
pub const ELB_NAME_MAX: usize = 32;

#[cfg(test)]
mod tests {
    use super::*;

    fn id(ns: &str, name: &str) -> ObjectIdentity {
        ObjectIdentity {
            cluster_id: "dev".into(),
            kind: "Bucket".into(),
            namespace: ns.into(),
            name: name.into(),
            uid: "u-1".into(),
        }
    }

    #[test]
    fn names_are_stable_readable_and_bounded() {
        let a = id("paperwurks", "documents").physical_name("", S3_BUCKET_MAX);
        assert_eq!(a, id("paperwurks", "documents").physical_name("", S3_BUCKET_MAX));
        assert!(a.starts_with("dev-paperwurks-documents-"), "{a}");
        assert_eq!(a.len(), "dev-paperwurks-documents-".len() + 8);

        let long = id(&"n".repeat(63), &"x".repeat(200)).physical_name("tg-api", ELB_NAME_MAX);
        assert!(long.len() <= ELB_NAME_MAX, "{long}");
        assert!(!long.contains("--") && !long.starts_with('-'), "{long}");
    }

    #[test]
    fn joined_text_collisions_still_get_distinct_names() {
        let a = id("a-b", "c").physical_name("", 63);
        let b = id("a", "b-c").physical_name("", 63);
        assert_ne!(a, b);
        assert_ne!(id("a", "b").physical_name("x", 63), id("a", "b").physical_name("y", 63));
    }

    #[test]
    fn letter_first_names_fit_and_start_with_a_letter() {
        let mut digits = id("ns", "db");
        digits.cluster_id = "42".into();
        let name = digits.physical_name_letter_first("", 40, 'd');
        assert!(name.starts_with("d-42-ns-db-") && name.len() <= 40, "{name}");
        assert_eq!(id("ns", "db").physical_name_letter_first("", 40, 'd'), id("ns", "db").physical_name("", 38));
    }

    #[test]
    fn short_uids_tell_incarnations_apart() {
        let mut a = id("ns", "db");
        a.uid = "3F1C9E2A-77b1-4c1e".into();
        assert_eq!(a.short_uid(), "3f1c9e2a");
    }

    #[test]
    fn sanitize_keeps_only_name_safe_characters() {
        assert_eq!(sanitize("My_App.Prod--x-"), "my-app-prod-x");
        assert_eq!(sanitize("--"), "");
    }

    #[test]
    fn ownership_needs_cluster_and_owner_but_not_uid() {
        let me = id("ns", "docs");
        let mut tags = me.tags(&BTreeMap::from([("team".into(), "core".into())]));
        assert_eq!(tags["team"], "core");
        assert!(me.owns(&tags));
        tags.insert(TAG_UID.into(), "an-earlier-incarnation".into());
        assert!(me.owns(&tags), "a retained resource is taken back by the re-created object");
        tags.insert(TAG_CLUSTER.into(), "other".into());
        assert!(!me.owns(&tags));
        assert!(!me.owns(&BTreeMap::new()));
    }

    #[test]
    fn user_tags_cannot_override_ownership() {
        let me = id("ns", "docs");
        let tags = me.tags(&BTreeMap::from([(TAG_OWNER.to_string(), "Bucket/x/y".to_string())]));
        assert_eq!(tags[TAG_OWNER], "Bucket/ns/docs");
    }
}
