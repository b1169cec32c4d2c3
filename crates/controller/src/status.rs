//! Writing status: server-side apply under one field manager, only when something changed, and
//! an Event only when the outcome changes. The writer also keeps the object's ownership claims:
//! once recorded they are part of every later write, so no status write can lose one.

use std::fmt::Debug;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use kube::api::{Api, Patch, PatchParams};
use kube::runtime::events::{Event, EventType};
use kube::{Resource, ResourceExt};
use serde::Serialize;
use serde::de::DeserializeOwned;
use stackwright_api::HasCommonStatus;
use stackwright_api::conditions::{self, Outcome};

use crate::context::Context;
use crate::error::Result;

/// The field manager for everything the controller writes.
pub const FIELD_MANAGER: &str = "stackwright";

/// Now, at the one-second precision the API server stores, so a round trip compares equal.
pub fn now() -> Time {
    let ts = k8s_openapi::jiff::Timestamp::now();
    Time(k8s_openapi::jiff::Timestamp::from_second(ts.as_second()).unwrap_or(ts))
}

/// Conditions for `outcome` given the object's current ones.
pub fn conditions_for(outcome: &Outcome, generation: Option<i64>, current: &[Condition]) -> Vec<Condition> {
    conditions::conditions(outcome, generation, current, &now())
}

/// An object's status as last written (or read), so that the writes of one reconcile compare
/// against each other rather than against the object as it was when the reconcile started.
#[derive(Debug)]
pub struct StatusWriter<'a, K, S> {
    obj: &'a K,
    last: Option<S>,
}

impl<'a, K, S> StatusWriter<'a, K, S>
where
    K: Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + DeserializeOwned
        + Serialize
        + Debug,
    S: Serialize + PartialEq + Clone + Default + HasCommonStatus,
{
    pub fn new(obj: &'a K, current: Option<S>) -> Self {
        StatusWriter { obj, last: current }
    }

    pub fn object(&self) -> &'a K {
        self.obj
    }

    /// The status as last written (or read).
    pub fn last(&self) -> Option<&S> {
        self.last.as_ref()
    }

    /// The conditions as last written.
    pub fn conditions(&self) -> &[Condition] {
        self.last.as_ref().map(|s| s.common().conditions.as_slice()).unwrap_or_default()
    }

    /// Whether any status has been written (or read) yet.
    pub fn is_first_sight(&self) -> bool {
        self.conditions().is_empty()
    }

    /// Whether `claim` (`<service>:<Type>/<name>`) is recorded.
    pub fn has_claim(&self, claim: &str) -> bool {
        self.last.as_ref().is_some_and(|s| s.common().claims.iter().any(|c| c == claim))
    }

    /// Drops `claim` (the create it covered did not happen, e.g. the name is another account's).
    pub async fn release_claim(&mut self, ctx: &Context, claim: &str) -> Result<()> {
        let Some(mut next) = self.last.clone().filter(|s| s.common().claims.iter().any(|c| c == claim)) else {
            return Ok(());
        };
        next.common_mut().claims.retain(|c| c != claim);
        self.put(ctx, next).await.map(drop)
    }

    /// Applies `next` (with every claim recorded so far) when it differs from the last status;
    /// publishes an Event when the Ready/Stalled picture changes. Returns whether anything was
    /// written.
    pub async fn write(&mut self, ctx: &Context, mut next: S) -> Result<bool> {
        let recorded = self.last.as_ref().map(|s| s.common().claims.as_slice()).unwrap_or_default();
        next.common_mut().claims = keep_claims(recorded, &next.common().claims);
        self.put(ctx, next).await
    }

    async fn put(&mut self, ctx: &Context, next: S) -> Result<bool> {
        if self.last.as_ref() == Some(&next) {
            return Ok(false);
        }
        let api: Api<K> = Api::namespaced(ctx.client.clone(), &self.obj.namespace().unwrap_or_default());
        let patch = serde_json::json!({
            "apiVersion": K::api_version(&()),
            "kind": K::kind(&()),
            "status": serde_json::to_value(&next)?,
        });
        api.patch_status(&self.obj.name_any(), &PatchParams::apply(FIELD_MANAGER).force(), &Patch::Apply(patch))
            .await?;
        ctx.metrics.status_written(kind_label::<K>());
        ctx.metrics.objects.observe(
            kind_label::<K>(),
            &crate::context::object_key(self.obj),
            &next.common().conditions,
        );
        publish_transition(ctx, self.obj, self.conditions(), &next.common().conditions).await;
        self.last = Some(next);
        Ok(true)
    }
}

/// The claims a status write carries: every one recorded before, plus the new ones, once each.
fn keep_claims(recorded: &[String], new: &[String]) -> Vec<String> {
    let mut claims: Vec<String> = recorded.iter().chain(new).cloned().collect();
    claims.sort();
    claims.dedup();
    claims
}

/// The `kind` metrics label for a Stackwright kind (a static string, so labels stay bounded).
pub fn kind_label<K: Resource<DynamicType = ()>>() -> &'static str {
    match K::kind(&()).as_ref() {
        "AppStack" => "AppStack",
        "Database" => "Database",
        "Cache" => "Cache",
        "Bucket" => "Bucket",
        _ => "Other",
    }
}

async fn publish_transition<K: Resource<DynamicType = ()>>(
    ctx: &Context,
    obj: &K,
    previous: &[Condition],
    next: &[Condition],
) {
    let summary = |c: &[Condition]| {
        let ready = conditions::find(c, conditions::READY).map(|c| (c.status.clone(), c.reason.clone()));
        let stalled = conditions::find(c, conditions::STALLED).is_some();
        (ready, stalled)
    };
    if summary(previous) == summary(next) {
        return;
    }
    let Some(ready) = conditions::find(next, conditions::READY) else { return };
    let stalled = conditions::find(next, conditions::STALLED).is_some();
    let event = Event {
        type_: if stalled { EventType::Warning } else { EventType::Normal },
        reason: ready.reason.clone(),
        note: Some(ready.message.chars().take(1000).collect()),
        action: "Reconcile".into(),
        secondary: None,
    };
    if let Err(e) = ctx.recorder.publish(&event, &obj.object_ref(&())).await {
        tracing::warn!(error = %e, "could not publish event");
    }
}

/// Publishes a Normal Event about `obj` (logged, not fatal, when it cannot be published).
pub async fn record_event<K: Resource<DynamicType = ()>>(
    ctx: &Context,
    obj: &K,
    reason: &str,
    action: &str,
    note: String,
) {
    let event = Event {
        type_: EventType::Normal,
        reason: reason.into(),
        note: Some(note.chars().take(1000).collect()),
        action: action.into(),
        secondary: None,
    };
    if let Err(e) = ctx.recorder.publish(&event, &obj.object_ref(&())).await {
        tracing::warn!(error = %e, "could not publish event");
    }
}

#[cfg(test)]
mod tests {
    use super::keep_claims;

    #[test]
    fn a_write_never_drops_a_recorded_claim() {
        let recorded = vec!["s3:Bucket/a".to_string()];
        assert_eq!(keep_claims(&recorded, &[]), recorded, "a later write without claims keeps it");
        assert_eq!(
            keep_claims(&recorded, &["s3:Bucket/b".to_string(), "s3:Bucket/a".to_string()]),
            vec!["s3:Bucket/a".to_string(), "s3:Bucket/b".to_string()]
        );
    }
}
