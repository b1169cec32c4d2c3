//! The `<name>-connection` Secret of a Database or Cache: where to connect and the ARN of the
//! Secrets Manager secret that holds the password or token — never the password or token itself.
//! Written by server-side apply, owned by the object, so Kubernetes deletes it with the object.

use std::collections::BTreeMap;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use kube::api::{Api, Patch, PatchParams};
use kube::{Resource, ResourceExt};

use crate::context::Context;
use crate::error::Result;
use crate::status::FIELD_MANAGER;

/// The Secret for `owner` named `name` holding `data`.
pub fn secret<K: Resource<DynamicType = ()>>(owner: &K, name: &str, data: &BTreeMap<String, String>) -> Secret {
    let meta = owner.meta();
    Secret {
        metadata: ObjectMeta {
            name: Some(name.to_string()),
            namespace: meta.namespace.clone(),
            labels: Some(BTreeMap::from([
                ("app.kubernetes.io/managed-by".to_string(), "stackwright".to_string()),
                (format!("stackwright.io/{}", K::kind(&()).to_lowercase()), meta.name.clone().unwrap_or_default()),
            ])),
            owner_references: Some(vec![OwnerReference {
                api_version: K::api_version(&()).into_owned(),
                kind: K::kind(&()).into_owned(),
                name: meta.name.clone().unwrap_or_default(),
                uid: meta.uid.clone().unwrap_or_default(),
                controller: Some(true),
                block_owner_deletion: None,
            }]),
            ..ObjectMeta::default()
        },
        type_: Some("Opaque".into()),
        data: Some(data.iter().map(|(k, v)| (k.clone(), ByteString(v.clone().into_bytes()))).collect()),
        ..Secret::default()
    }
}

/// Applies the Secret (one request; the API server stores nothing when nothing changed).
pub async fn publish<K: Resource<DynamicType = ()>>(
    ctx: &Context,
    owner: &K,
    name: &str,
    data: &BTreeMap<String, String>,
) -> Result<()> {
    let api: Api<Secret> = Api::namespaced(ctx.client.clone(), &owner.namespace().unwrap_or_default());
    let mut body = serde_json::to_value(secret(owner, name, data))?;
    body["apiVersion"] = "v1".into();
    body["kind"] = "Secret".into();
    api.patch(name, &PatchParams::apply(FIELD_MANAGER).force(), &Patch::Apply(body)).await?;
    ctx.metrics.secret_written(crate::status::kind_label::<K>());
    Ok(())
}

/// Applies the Secret unless the status already records exactly what it holds (`recorded`) and
/// this is a plain resync: a changed or woken object always applies it, so a Secret deleted by
/// hand comes back at the next change of the object or a `reconcile-requested-at`.
pub async fn publish_unless_recorded<K: Resource<DynamicType = ()>>(
    ctx: &Context,
    owner: &K,
    name: &str,
    data: &BTreeMap<String, String>,
    recorded: bool,
) -> Result<()> {
    if recorded && stackwright_cloud::is_background() {
        return Ok(());
    }
    publish(ctx, owner, name, data).await
}

#[cfg(test)]
mod tests {
    use stackwright_api::Database;

    use super::*;

    #[test]
    fn the_secret_is_owned_by_its_object_and_holds_exactly_the_data() {
        let mut db = Database::new(
            "db",
            serde_yaml::from_str("{version: '15.7', instanceClass: db.t3.small, network: {appStack: web}}")
                .expect("spec"),
        );
        db.metadata.namespace = Some("acc".into());
        db.metadata.uid = Some("uid-1".into());
        let data = BTreeMap::from([("host".to_string(), "db.example".to_string())]);
        let s = secret(&db, "db-connection", &data);
        let owner = &s.metadata.owner_references.as_ref().expect("owner")[0];
        assert_eq!((owner.kind.as_str(), owner.name.as_str(), owner.uid.as_str()), ("Database", "db", "uid-1"));
        assert_eq!(owner.controller, Some(true));
        assert_eq!(s.metadata.namespace.as_deref(), Some("acc"));
        assert_eq!(s.data.expect("data")["host"].0, b"db.example");
    }
}
