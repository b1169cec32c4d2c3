//! kstatus conditions: `Ready`, `Reconciling`, `Stalled`.
//!
//! One pure function turns "where this reconcile ended up" into the condition list, following the
//! conventions Flux, Argo CD and `kubectl wait` rely on: `Ready` is always present (False on first
//! sight, True only when converged); `Reconciling` and `Stalled` appear only while True; each
//! condition carries the generation it describes; `lastTransitionTime` moves only when `status`
//! flips, so an unchanged outcome produces an identical list and no status write.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};

pub const READY: &str = "Ready";
pub const RECONCILING: &str = "Reconciling";
pub const STALLED: &str = "Stalled";

/// Condition reasons: short CamelCase words; the human text goes in the message.
pub mod reason {
    pub const READY: &str = "Ready";
    /// Seen, not yet looked up in AWS (the very first status of an object).
    pub const PENDING: &str = "Pending";
    pub const CREATING: &str = "Creating";
    pub const UPDATING: &str = "Updating";
    pub const DELETING: &str = "Deleting";
    pub const WAITING_FOR_DEPENDENCY: &str = "WaitingForDependency";
    pub const PAUSED: &str = "Paused";
    pub const RETRYING: &str = "Retrying";
    /// AWS is busy with the resource (still creating, modifying, or held by a dependent).
    pub const WAITING: &str = "Waiting";
    pub const INVALID_SPEC: &str = "InvalidSpec";
    pub const NAME_CONFLICT: &str = "NameConflict";
    /// AWS reports a state of the resource that only a person can resolve.
    pub const CONFLICT: &str = "Conflict";
    pub const ACCESS_DENIED: &str = "AccessDenied";
    pub const DEPENDENCY_NOT_FOUND: &str = "DependencyNotFound";
    pub const QUOTA_EXCEEDED: &str = "QuotaExceeded";
    pub const DEPLOYMENT_FAILED: &str = "DeploymentFailed";
    pub const BUCKET_NOT_EMPTY: &str = "BucketNotEmpty";
    /// Deletion refused because the object asks for deletion protection.
    pub const DELETION_PROTECTED: &str = "DeletionProtected";
}

/// Where a reconcile ended up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Everything exists, matches the spec and is healthy.
    Ready { message: String },
    /// Changes are in flight (or will be retried); no person is needed.
    Progressing { reason: String, message: String },
    /// Writes are suspended by the `paused` annotation; `message` says what has drifted, if anything.
    Paused { in_sync: bool, message: String },
    /// Progress needs a person.
    Stalled { reason: String, message: String },
}

impl Outcome {
    pub fn progressing(reason: &str, message: impl Into<String>) -> Self {
        Outcome::Progressing { reason: reason.into(), message: message.into() }
    }

    pub fn stalled(reason: &str, message: impl Into<String>) -> Self {
        Outcome::Stalled { reason: reason.into(), message: message.into() }
    }

    pub fn is_ready(&self) -> bool {
        matches!(self, Outcome::Ready { .. } | Outcome::Paused { in_sync: true, .. })
    }
}

/// The condition list for `outcome`, reusing `lastTransitionTime` from `previous` wherever a
/// condition keeps its status.
pub fn conditions(outcome: &Outcome, generation: Option<i64>, previous: &[Condition], now: &Time) -> Vec<Condition> {
    let (ready, reason, message) = match outcome {
        Outcome::Ready { message } => (true, reason::READY, message.as_str()),
        Outcome::Paused { in_sync, message } => (*in_sync, reason::PAUSED, message.as_str()),
        Outcome::Progressing { reason, message } | Outcome::Stalled { reason, message } => {
            (false, reason.as_str(), message.as_str())
        }
    };
    let make = |type_: &str, status: bool| {
        let status = if status { "True" } else { "False" };
        let since = previous
            .iter()
            .find(|c| c.type_ == type_ && c.status == status)
            .map_or_else(|| now.clone(), |c| c.last_transition_time.clone());
        Condition {
            type_: type_.into(),
            status: status.into(),
            reason: reason.into(),
            message: message.into(),
            observed_generation: generation,
            last_transition_time: since,
        }
    };
    let mut out = vec![make(READY, ready)];
    match outcome {
        Outcome::Progressing { .. } => out.push(make(RECONCILING, true)),
        Outcome::Stalled { .. } => out.push(make(STALLED, true)),
        Outcome::Ready { .. } | Outcome::Paused { .. } => {}
    }
    out
}

/// The condition of `type_` in a list, if present.
pub fn find<'a>(conditions: &'a [Condition], type_: &str) -> Option<&'a Condition> {
    conditions.iter().find(|c| c.type_ == type_)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> Time {
        Time(k8s_openapi::jiff::Timestamp::from_second(secs).expect("valid timestamp"))
    }

    #[test]
    fn first_sight_is_ready_false_and_reconciling() {
        let c = conditions(&Outcome::progressing(reason::CREATING, "creating bucket"), Some(1), &[], &at(10));
        assert_eq!(c.len(), 2);
        assert_eq!((c[0].type_.as_str(), c[0].status.as_str()), (READY, "False"));
        assert_eq!((c[1].type_.as_str(), c[1].status.as_str()), (RECONCILING, "True"));
        assert!(c.iter().all(|c| c.observed_generation == Some(1) && c.reason == "Creating"));
    }

    #[test]
    fn ready_drops_reconciling_and_stalled() {
        let c = conditions(&Outcome::Ready { message: "ok".into() }, Some(2), &[], &at(10));
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].status, "True");
    }

    #[test]
    fn stalled_is_ready_false_plus_stalled_true() {
        let c = conditions(&Outcome::stalled(reason::NAME_CONFLICT, "taken"), Some(1), &[], &at(0));
        assert_eq!(
            c.iter().map(|c| (c.type_.as_str(), c.status.as_str())).collect::<Vec<_>>(),
            vec![(READY, "False"), (STALLED, "True")]
        );
        assert!(find(&c, RECONCILING).is_none());
    }

    #[test]
    fn transition_time_moves_only_when_status_flips() {
        let first = conditions(&Outcome::progressing(reason::CREATING, "a"), Some(1), &[], &at(10));
        let again = conditions(&Outcome::progressing(reason::UPDATING, "b"), Some(2), &first, &at(20));
        assert_eq!(again[0].last_transition_time, at(10), "Ready stayed False");
        let ready = conditions(&Outcome::Ready { message: "ok".into() }, Some(2), &again, &at(30));
        assert_eq!(ready[0].last_transition_time, at(30), "Ready flipped to True");
        let still = conditions(&Outcome::Ready { message: "ok".into() }, Some(2), &ready, &at(40));
        assert_eq!(still, ready, "an unchanged outcome yields an identical list");
    }

    #[test]
    fn paused_reports_ready_only_when_in_sync() {
        let c = conditions(&Outcome::Paused { in_sync: false, message: "drift: versioning".into() }, None, &[], &at(0));
        assert_eq!((c[0].status.as_str(), c[0].reason.as_str()), ("False", reason::PAUSED));
        assert_eq!(c.len(), 1);
        assert!(Outcome::Paused { in_sync: true, message: String::new() }.is_ready());
    }
}
