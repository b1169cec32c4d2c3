//! What a Bucket's plan and its writes mean for the object's status: pure, no I/O.

use stackwright_api::conditions::{Outcome, reason};
use stackwright_cloud::CloudError;

use super::apply::Applied;
use super::plan::{Change, Plan, foreign_bucket_message};
use crate::driver::{OnFailure, on_failure};

/// What the reconcile does with a plan.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// No writes (nothing to change, paused, or blocked): report this verdict.
    Report(Outcome),
    /// Announce `announce`, then create the bucket (`Some(object_lock)`) and make `changes`.
    Write { announce: Outcome, create: Option<bool>, changes: Vec<Change> },
}

/// The fields a plan would change, for status and messages.
pub fn drift(plan: &Plan) -> Vec<&'static str> {
    match plan {
        Plan::Converge(changes) => changes.iter().map(Change::field).collect(),
        Plan::Create { .. } | Plan::Blocked { .. } => Vec::new(),
    }
}

/// Decides between writing and reporting. While paused nothing is written; the verdict says
/// whether the bucket still matches the spec and what differs.
pub fn step(plan: Plan, paused: bool, name: &str) -> Step {
    let drift = drift(&plan).join(", ");
    match plan {
        Plan::Blocked { reason, message } => Step::Report(Outcome::stalled(reason, message)),
        Plan::Converge(changes) if changes.is_empty() => Step::Report(if paused {
            Outcome::Paused { in_sync: true, message: format!("paused; S3 bucket {name} matches the spec") }
        } else {
            matches_spec(name)
        }),
        Plan::Converge(_) if paused => Step::Report(Outcome::Paused {
            in_sync: false,
            message: format!("paused; S3 bucket {name} differs from the spec in: {drift}"),
        }),
        Plan::Create { .. } if paused => Step::Report(Outcome::Paused {
            in_sync: false,
            message: format!("paused; S3 bucket {name} does not exist yet"),
        }),
        Plan::Converge(changes) => Step::Write {
            announce: Outcome::progressing(reason::UPDATING, format!("updating S3 bucket {name}: {drift}")),
            create: None,
            changes,
        },
        Plan::Create { object_lock, changes } => Step::Write {
            announce: Outcome::progressing(reason::CREATING, format!("creating S3 bucket {name}")),
            create: Some(object_lock),
            changes,
        },
    }
}

/// The verdict once the writes are through. S3 acknowledged every one of them, so the bucket
/// matches the spec; reading it all back is left to the next resync, which corrects any drift.
pub fn after_writes(applied: Applied, name: &str) -> Outcome {
    match applied {
        Applied::Done => matches_spec(name),
        Applied::NameTaken => Outcome::stalled(reason::NAME_CONFLICT, foreign_bucket_message(name)),
    }
}

fn matches_spec(name: &str) -> Outcome {
    Outcome::Ready { message: format!("S3 bucket {name} matches the spec") }
}

/// How a failed cleanup call is reported. Only S3's own BucketNotEmpty means objects are in the
/// way; any other refusal is reported as what it is.
pub fn cleanup_failed(e: &CloudError, empty_on_delete: bool, failures_before: u32) -> OnFailure {
    if e.code != "BucketNotEmpty" {
        return on_failure(e, true, false, failures_before);
    }
    if empty_on_delete {
        OnFailure::Retry(Some(Outcome::progressing(
            reason::DELETING,
            format!("objects arrived while the bucket was being emptied; emptying it again ({e})"),
        )))
    } else {
        OnFailure::Stall(Outcome::stalled(
            reason::BUCKET_NOT_EMPTY,
            format!("{e}; empty the bucket, set spec.emptyOnDelete: true, or set spec.deletionPolicy: Retain"),
        ))
    }
}

/// The inventory state of the bucket: `Unknown` until S3 was asked.
pub fn resource_state(exists: Option<bool>, drift: &[&str]) -> &'static str {
    match (exists, drift.is_empty()) {
        (None, _) => "Unknown",
        (Some(false), _) => "Missing",
        (Some(true), true) => "InSync",
        (Some(true), false) => "Drifted",
    }
}

#[cfg(test)]
mod tests {
    use stackwright_cloud::ErrorCategory;
    use stackwright_cloud::s3::PublicAccessBlock;

    use super::*;

    fn create() -> Plan {
        Plan::Create { object_lock: false, changes: vec![Change::Versioning(true)] }
    }

    #[test]
    fn in_sync_is_ready_or_paused_in_sync() {
        assert!(matches!(step(Plan::Converge(vec![]), false, "b"), Step::Report(Outcome::Ready { .. })));
        assert!(matches!(step(Plan::Converge(vec![]), true, "b"), Step::Report(Outcome::Paused { in_sync: true, .. })));
    }

    #[test]
    fn paused_writes_nothing_and_says_what_differs() {
        let plan = Plan::Converge(vec![Change::Versioning(true), Change::Cors(vec![])]);
        let Step::Report(Outcome::Paused { in_sync: false, message }) = step(plan, true, "b") else { panic!() };
        assert!(message.contains("versioning, cors"), "{message}");
        assert!(matches!(step(create(), true, "b"), Step::Report(Outcome::Paused { in_sync: false, .. })));
    }

    #[test]
    fn writes_are_announced_as_creating_or_updating() {
        let Step::Write { announce, create: Some(false), changes } = step(create(), false, "b") else { panic!() };
        assert!(matches!(announce, Outcome::Progressing { ref reason, .. } if reason == "Creating"));
        assert_eq!(changes, vec![Change::Versioning(true)]);
        let update = Plan::Converge(vec![Change::BlockPublicAccess(PublicAccessBlock::all(true))]);
        let Step::Write { announce, create: None, .. } = step(update, false, "b") else { panic!() };
        assert!(
            matches!(announce, Outcome::Progressing { ref reason, ref message } if reason == "Updating" && message.contains("publicAccessBlock"))
        );
    }

    #[test]
    fn blocked_is_stalled() {
        let plan = Plan::Blocked { reason: "NameConflict", message: "taken".into() };
        assert_eq!(step(plan, false, "b"), Step::Report(Outcome::stalled("NameConflict", "taken")));
        assert!(
            matches!(after_writes(Applied::NameTaken, "b"), Outcome::Stalled { ref reason, .. } if reason == "NameConflict")
        );
        assert!(matches!(after_writes(Applied::Done, "b"), Outcome::Ready { .. }));
    }

    #[test]
    fn only_bucket_not_empty_is_reported_as_such() {
        let e = |category, code: &str| CloudError {
            category,
            operation: "s3:DeleteBucket",
            code: code.into(),
            message: "m".into(),
        };
        let OnFailure::Stall(Outcome::Stalled { reason, .. }) =
            cleanup_failed(&e(ErrorCategory::Conflict, "BucketNotEmpty"), false, 0)
        else {
            panic!()
        };
        assert_eq!(reason, "BucketNotEmpty");
        assert!(matches!(
            cleanup_failed(&e(ErrorCategory::Conflict, "BucketNotEmpty"), true, 0),
            OnFailure::Retry(Some(_))
        ));
        // A locked object version that could not be deleted is a conflict, not "not empty".
        let OnFailure::Stall(Outcome::Stalled { reason, .. }) =
            cleanup_failed(&e(ErrorCategory::Conflict, "AccessDenied"), true, 0)
        else {
            panic!()
        };
        assert_eq!(reason, "Conflict");
        assert!(matches!(cleanup_failed(&e(ErrorCategory::Busy, "OperationAborted"), true, 0), OnFailure::Wait(_)));
        assert!(matches!(
            cleanup_failed(&e(ErrorCategory::Transient, "InternalError"), true, 0),
            OnFailure::Retry(Some(_))
        ));
    }

    #[test]
    fn inventory_state() {
        assert_eq!(resource_state(None, &[]), "Unknown");
        assert_eq!(resource_state(Some(false), &[]), "Missing");
        assert_eq!(resource_state(Some(true), &[]), "InSync");
        assert_eq!(resource_state(Some(true), &["versioning"]), "Drifted");
    }
}
