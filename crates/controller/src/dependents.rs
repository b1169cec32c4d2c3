//! Wakes the AppStacks that bind a Database, Cache or Bucket when what the stacks take from it
//! changes: it appears, becomes Ready, or its endpoint or secret changes. The bound kinds' own
//! watches report every object they see here; the rest of their status churn (pending
//! modifications, inventory) wakes nobody.

use std::collections::HashMap;
use std::sync::Mutex;

use futures::channel::mpsc::UnboundedSender;
use kube::ResourceExt;
use kube::core::error_boundary::DeserializeGuard;
use kube::runtime::reflector::ObjectRef;
use stackwright_api::{AppStack, Bucket, Cache, Database};

use crate::appstack::resolve::{contribution_bucket, contribution_cache, contribution_database};
use crate::context::Context;

/// (kind, namespace, name) of a bound object.
type Key = (&'static str, String, String);

/// What each bound object last contributed, and where stacks are woken.
#[derive(Debug)]
pub struct BoundWatch {
    last: Mutex<HashMap<Key, Option<String>>>,
    wake: UnboundedSender<ObjectRef<DeserializeGuard<AppStack>>>,
}

/// Which binding field names an object of a kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BoundKind {
    Database,
    Cache,
    Bucket,
}

impl BoundWatch {
    pub fn new(wake: UnboundedSender<ObjectRef<DeserializeGuard<AppStack>>>) -> Self {
        BoundWatch { last: Mutex::new(HashMap::new()), wake }
    }

    pub fn saw_database(&self, ctx: &Context, d: &Database) {
        self.saw(ctx, BoundKind::Database, d, contribution_database(d));
    }

    pub fn saw_cache(&self, ctx: &Context, c: &Cache) {
        self.saw(ctx, BoundKind::Cache, c, contribution_cache(c));
    }

    pub fn saw_bucket(&self, ctx: &Context, b: &Bucket) {
        self.saw(ctx, BoundKind::Bucket, b, contribution_bucket(b));
    }

    fn saw<K: ResourceExt>(&self, ctx: &Context, kind: BoundKind, obj: &K, contribution: Option<String>) {
        let namespace = obj.namespace().unwrap_or_default();
        let name = obj.name_any();
        let label = match kind {
            BoundKind::Database => "Database",
            BoundKind::Cache => "Cache",
            BoundKind::Bucket => "Bucket",
        };
        let key = (label, namespace.clone(), name.clone());
        let changed = {
            let mut last = self.last.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            last.insert(key, contribution.clone()).is_none_or(|before| before != contribution)
        };
        if !changed {
            return;
        }
        let Some(store) = ctx.stores.stacks.get() else { return };
        for guard in store.state() {
            let Ok(stack) = &guard.0 else { continue };
            if stack.namespace().as_deref() == Some(namespace.as_str()) && binds(stack, kind, &name) {
                tracing::debug!(stack = %stack.name_any(), bound = %name, "a bound object changed: waking the AppStack");
                let _ = self.wake.unbounded_send(ObjectRef::new(&stack.name_any()).within(&namespace));
            }
        }
    }
}

/// Whether `stack` binds the object `name` of `kind`.
pub fn binds(stack: &AppStack, kind: BoundKind, name: &str) -> bool {
    stack.spec.bindings.iter().any(|b| {
        let bound = match kind {
            BoundKind::Database => &b.database,
            BoundKind::Cache => &b.cache,
            BoundKind::Bucket => &b.bucket,
        };
        bound.as_deref() == Some(name)
    })
}
