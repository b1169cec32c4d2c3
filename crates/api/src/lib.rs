//! The Stackwright API, `stackwright.io/v1alpha1`: the four custom resources users write, the
//! status conditions the controller reports, and the rules that turn an object into AWS names and
//! ownership tags. No I/O and no AWS crates live here, so everything in it is a plain unit test away.

// kube's `printcolumn(...)` attributes repeat keys (`type_`, `json_path`) by design.
#![allow(clippy::duplicated_attributes)]

pub mod annotations;
pub mod appstack;
pub mod bucket;
pub mod cache;
pub mod common;
pub mod conditions;
pub mod crd_docs;
pub mod database;
pub mod fargate;
pub mod naming;
pub mod network;

pub use appstack::{AppStack, AppStackSpec, AppStackStatus};
pub use bucket::{Bucket, BucketSpec, BucketStatus};
pub use cache::{Cache, CacheSpec, CacheStatus};
pub use common::{CommonStatus, HasCommonStatus, OwnedResource};

has_common_status!(AppStackStatus, BucketStatus, CacheStatus, DatabaseStatus);
pub use database::{Database, DatabaseSpec, DatabaseStatus};
pub use network::{Endpoint, NetworkRef};

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::CustomResourceExt;

/// The API group of every Stackwright kind.
pub const GROUP: &str = "stackwright.io";
/// The one served version.
pub const VERSION: &str = "v1alpha1";
/// The category all kinds share, so `kubectl get stackwright` lists them together.
pub const CATEGORY: &str = "stackwright";

/// Every CustomResourceDefinition the project ships, in the order `stackwright crds` prints them,
/// with descriptions reflowed for `kubectl explain`.
pub fn crds() -> Vec<CustomResourceDefinition> {
    [AppStack::crd(), Database::crd(), Cache::crd(), Bucket::crd()].into_iter().map(crd_docs::reflow_crd).collect()
}

/// The CRDs as one multi-document YAML stream: what `stackwright crds` prints and `crds/` holds.
pub fn crds_yaml() -> Result<String, serde_yaml::Error> {
    let mut out = String::new();
    for crd in crds() {
        out.push_str("---\n");
        out.push_str(&serde_yaml::to_string(&crd)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crds_cover_all_four_kinds_in_one_group_and_category() {
        let crds = crds();
        let kinds: Vec<&str> = crds.iter().map(|c| c.spec.names.kind.as_str()).collect();
        assert_eq!(kinds, ["AppStack", "Database", "Cache", "Bucket"]);
        for crd in &crds {
            assert_eq!(crd.spec.group, GROUP);
            assert_eq!(crd.spec.scope, "Namespaced");
            assert_eq!(crd.spec.names.categories.as_deref(), Some(&[CATEGORY.to_string()][..]));
            assert_eq!(crd.spec.versions.len(), 1);
            assert_eq!(crd.spec.versions[0].name, VERSION);
            assert!(crd.spec.versions[0].subresources.as_ref().is_some_and(|s| s.status.is_some()));
        }
        let short: Vec<String> =
            crds.iter().flat_map(|c| c.spec.names.short_names.clone().unwrap_or_default()).collect();
        assert_eq!(short, ["stack", "sdb", "scache", "sbucket"]);
    }

    #[test]
    fn every_list_and_string_in_every_spec_is_bounded() {
        // The apiserver estimates the cost of every CEL rule from these bounds and refuses a CRD
        // whose rules could cost too much; unbounded lists and strings are how that happens.
        use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::{
            JSONSchemaProps, JSONSchemaPropsOrArray,
        };
        fn walk(path: &str, s: &JSONSchemaProps, unbounded: &mut Vec<String>) {
            match s.type_.as_deref() {
                Some("array") if s.max_items.is_none() => unbounded.push(path.to_string()),
                Some("string") if s.max_length.is_none() && s.enum_.is_none() => unbounded.push(path.to_string()),
                Some("object") if s.properties.is_none() && s.max_properties.is_none() => {
                    unbounded.push(path.to_string())
                }
                _ => {}
            }
            for (name, p) in s.properties.iter().flatten() {
                walk(&format!("{path}.{name}"), p, unbounded);
            }
            if let Some(JSONSchemaPropsOrArray::Schema(i)) = &s.items {
                walk(&format!("{path}[]"), i, unbounded);
            }
        }
        let mut unbounded = Vec::new();
        for crd in crds() {
            let root = crd.spec.versions[0].schema.clone().and_then(|s| s.open_api_v3_schema).expect("schema");
            let spec = &root.properties.as_ref().expect("properties")["spec"];
            walk(&format!("{}.spec", crd.spec.names.kind), spec, &mut unbounded);
        }
        assert!(unbounded.is_empty(), "unbounded: {unbounded:?}");
    }
}
