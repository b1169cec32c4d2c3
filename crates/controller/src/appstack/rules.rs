//! Listener rule priorities (pure). ALB evaluates rules from the lowest priority up, so a more
//! specific rule must come first: host conditions before none, longer literal path prefixes
//! before shorter ones, the catch-all `/*` last. Each service's priority is computed from its
//! own rule and name only, never from its place in the spec, so reordering services or adding
//! one leaves the others where they are.

use std::collections::{BTreeMap, BTreeSet};

use sha2::{Digest, Sha256};

/// What decides a rule's place: its host and path conditions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleShape<'a> {
    pub service: &'a str,
    pub paths: &'a [String],
    pub hosts: &'a [String],
}

/// Slots per (specificity) band: services whose rules are equally specific share a band and
/// take distinct slots in it.
const SLOTS: u32 = 100;
/// Literal prefix lengths told apart (longer ones count as this).
const PREFIX_LEVELS: u32 = 100;

/// The band of a rule: 0 is evaluated first. Host-specific rules (0, 1) precede host-less ones
/// (2, 3); within each, rules whose paths are all catch-alls come after the others.
fn band(shape: &RuleShape<'_>) -> u32 {
    let catch_all = shape.paths.iter().all(|p| p == "/*" || p == "*");
    match (shape.hosts.is_empty(), catch_all) {
        (false, false) => 0,
        (false, true) => 1,
        (true, false) => 2,
        (true, true) => 3,
    }
}

/// The shortest literal prefix (up to the first wildcard) among the rule's paths: a rule is only
/// as specific as its least specific path.
fn literal_prefix(shape: &RuleShape<'_>) -> u32 {
    let len = shape.paths.iter().map(|p| p.find(['*', '?']).unwrap_or(p.len())).min().unwrap_or(0);
    u32::try_from(len).unwrap_or(u32::MAX).min(PREFIX_LEVELS - 1)
}

fn preferred_slot(service: &str) -> u32 {
    let digest = Sha256::digest(service.as_bytes());
    u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]) % SLOTS
}

/// The priority of each service's rule (1 to 40 000, within ALB's 1 to 50 000). Services are
/// placed in name order, each in its preferred slot or the next free one of its level.
pub fn priorities(shapes: &[RuleShape<'_>]) -> BTreeMap<String, i32> {
    let mut sorted: Vec<&RuleShape<'_>> = shapes.iter().collect();
    sorted.sort_by_key(|s| s.service);
    let mut taken = BTreeSet::new();
    let mut out = BTreeMap::new();
    for shape in sorted {
        let level = band(shape) * PREFIX_LEVELS + (PREFIX_LEVELS - 1 - literal_prefix(shape));
        let first = preferred_slot(shape.service);
        let slot = (0..SLOTS).map(|i| (first + i) % SLOTS).find(|s| !taken.contains(&(level, *s))).unwrap_or(first);
        taken.insert((level, slot));
        let priority = 1 + level * SLOTS + slot;
        out.insert(shape.service.to_string(), i32::try_from(priority).unwrap_or(i32::MAX));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn specific_rules_come_before_catch_alls_whatever_the_order() {
        let (api, web, admin, v1) = (v(&["/api/*"]), v(&["/*"]), v(&["/*"]), v(&["/api/v1/*"]));
        let hosts = v(&["admin.example.com"]);
        let shapes = vec![
            RuleShape { service: "web", paths: &web, hosts: &[] },
            RuleShape { service: "api", paths: &api, hosts: &[] },
            RuleShape { service: "admin", paths: &admin, hosts: &hosts },
            RuleShape { service: "apiv1", paths: &v1, hosts: &[] },
        ];
        let p = priorities(&shapes);
        assert!(p["admin"] < p["apiv1"], "{p:?}");
        assert!(p["apiv1"] < p["api"], "longer prefix first: {p:?}");
        assert!(p["api"] < p["web"], "catch-all last: {p:?}");
        assert!(p.values().all(|&x| (1..=50_000).contains(&x)), "{p:?}");

        let mut reordered = shapes.clone();
        reordered.reverse();
        assert_eq!(priorities(&reordered), p, "the order of services does not matter");
    }

    #[test]
    fn adding_a_service_leaves_the_others_where_they_are() {
        let (a, b, c) = (v(&["/a/*"]), v(&["/*"]), v(&["/c/*"]));
        let before = priorities(&[
            RuleShape { service: "alpha", paths: &a, hosts: &[] },
            RuleShape { service: "beta", paths: &b, hosts: &[] },
        ]);
        let after = priorities(&[
            RuleShape { service: "alpha", paths: &a, hosts: &[] },
            RuleShape { service: "beta", paths: &b, hosts: &[] },
            RuleShape { service: "gamma", paths: &c, hosts: &[] },
        ]);
        assert_eq!(before["alpha"], after["alpha"]);
        assert_eq!(before["beta"], after["beta"]);
    }

    #[test]
    fn equally_specific_services_get_distinct_priorities() {
        let paths = v(&["/*"]);
        let names: Vec<String> = (0..150).map(|i| format!("svc{i}")).collect();
        let shapes: Vec<RuleShape<'_>> =
            names.iter().map(|n| RuleShape { service: n, paths: &paths, hosts: &[] }).collect();
        let p = priorities(&shapes[..100]);
        let distinct: BTreeSet<i32> = p.values().copied().collect();
        assert_eq!(distinct.len(), 100);
    }
}
