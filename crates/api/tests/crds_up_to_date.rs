//! `crds/` holds the generated CRDs (what users and the deploy/ manifests install); it must be
//! exactly what `stackwright crds` prints, so a schema change cannot ship without them.

#[test]
fn committed_crds_match_the_generated_ones() {
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../crds/stackwright.yaml"))
        .expect("crds/stackwright.yaml exists");
    let generated = stackwright_api::crds_yaml().expect("CRDs serialize");
    assert!(committed == generated, "crds/stackwright.yaml is stale: run `make crds` and commit the result");
}
