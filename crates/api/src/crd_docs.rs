//! Tidies the descriptions of generated CRDs so `kubectl explain` reads like documentation: the
//! hard line wraps of Rust doc comments become spaces (kubectl wraps text itself), while blank-line
//! paragraph breaks and `- ` list items keep their own lines.

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::{
    CustomResourceDefinition, JSONSchemaProps, JSONSchemaPropsOrArray, JSONSchemaPropsOrBool,
};

/// `crd` with every description in its schemas reflowed.
pub fn reflow_crd(mut crd: CustomResourceDefinition) -> CustomResourceDefinition {
    for version in &mut crd.spec.versions {
        if let Some(schema) = version.schema.as_mut().and_then(|s| s.open_api_v3_schema.as_mut()) {
            reflow_schema(schema);
        }
    }
    crd
}

fn reflow_schema(schema: &mut JSONSchemaProps) {
    if let Some(description) = schema.description.as_mut() {
        *description = reflow(description);
    }
    for property in schema.properties.iter_mut().flat_map(|p| p.values_mut()) {
        reflow_schema(property);
    }
    match schema.items.as_mut() {
        Some(JSONSchemaPropsOrArray::Schema(item)) => reflow_schema(item),
        Some(JSONSchemaPropsOrArray::Schemas(items)) => items.iter_mut().for_each(reflow_schema),
        None => {}
    }
    if let Some(JSONSchemaPropsOrBool::Schema(value)) = schema.additional_properties.as_mut() {
        reflow_schema(value);
    }
}

/// Joins wrapped lines with spaces; keeps paragraph breaks (blank lines) and lines starting `- `.
pub fn reflow(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, paragraph) in text.trim().split("\n\n").enumerate() {
        if i > 0 {
            out.push_str("\n\n");
        }
        for (j, line) in paragraph.lines().map(str::trim).filter(|l| !l.is_empty()).enumerate() {
            if j > 0 {
                out.push(if line.starts_with("- ") { '\n' } else { ' ' });
            }
            out.push_str(line);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapped_lines_join_but_paragraphs_and_lists_stay() {
        assert_eq!(reflow("one\ntwo\n\nthree"), "one two\n\nthree");
        assert_eq!(reflow("sizes:\n- 256: 512\n- 512: 1024\nto 4096"), "sizes:\n- 256: 512\n- 512: 1024 to 4096");
        assert_eq!(reflow("single"), "single");
    }

    #[test]
    fn every_description_of_the_shipped_crds_is_reflowed() {
        fn check(path: &str, s: &JSONSchemaProps) {
            for paragraph in s.description.iter().flat_map(|d| d.split("\n\n")) {
                for line in paragraph.split('\n').skip(1) {
                    assert!(line.starts_with("- "), "{path}: a wrapped line survived: {paragraph:?}");
                }
            }
            for (name, p) in s.properties.iter().flatten() {
                check(&format!("{path}.{name}"), p);
            }
            if let Some(JSONSchemaPropsOrArray::Schema(i)) = &s.items {
                check(&format!("{path}[]"), i);
            }
        }
        for crd in crate::crds() {
            let schema = crd.spec.versions[0].schema.clone().and_then(|s| s.open_api_v3_schema).expect("schema");
            check(&crd.spec.names.kind, &schema);
        }
    }
}
