//! What `deploy/` ships, checked without a cluster: the Argo CD health scripts run in Lua 5.1
//! (the language of Argo CD's gopher-lua) on sample objects; the alerting rules checked and
//! unit-tested by promtool; the copies of the rules and the dashboard kept identical; and the
//! kustomize bases rendered by the built kubectl, with the RBAC and availability they promise.
//!
//! promtool and kubectl are the ones `make envtest` (`scripts/localenv.sh install`) builds into the
//! cache; the tests that need them run the install first, which returns at once when it is done.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use serde_json::{Value, json};

const KINDS: [&str; 4] = ["AppStack", "Database", "Cache", "Bucket"];

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

fn read(path: &str) -> String {
    std::fs::read_to_string(repo_root().join(path)).unwrap_or_else(|e| panic!("reading {path}: {e}"))
}

fn yaml(path: &str) -> serde_yaml::Value {
    serde_yaml::from_str(&read(path)).unwrap_or_else(|e| panic!("parsing {path}: {e}"))
}

fn run(program: &Path, args: &[&str], dir: &Path) -> Output {
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", program.display()));
    assert!(
        out.status.success(),
        "{} {} failed:\n{}{}",
        program.display(),
        args.join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A tool from the cache: installs everything first if needed (under localenv's lock, as the
/// other test binaries do), then asks the build script for its bin directory, which it answers
/// at once from the cache.
fn tool(build_script: &str, name: &str) -> PathBuf {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    let root = repo_root();
    INSTALLED.get_or_init(|| {
        run(&root.join("scripts/localenv.sh"), &["install"], &root);
    });
    let out = run(&root.join(build_script), &[], &root);
    let path = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()).join(name);
    assert!(path.is_file(), "{build_script} did not provide {}", path.display());
    path
}

// ------------------------------------------------------------------------------------ Argo CD

/// The four health scripts of deploy/argocd/argocd-cm-patch.yaml, by kind.
fn health_scripts() -> Vec<(String, String)> {
    let cm = yaml("deploy/argocd/argocd-cm-patch.yaml");
    let data = cm["data"].as_mapping().unwrap();
    let scripts: Vec<(String, String)> = data
        .iter()
        .filter_map(|(k, v)| {
            let kind = k.as_str()?.strip_prefix("resource.customizations.health.stackwright.io_")?;
            Some((kind.to_string(), v.as_str().unwrap().to_string()))
        })
        .collect();
    let kinds: BTreeSet<&str> = scripts.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(kinds, KINDS.into_iter().collect(), "one health check per kind");
    scripts
}

/// JSON to Lua as Argo CD hands objects to its scripts: objects and arrays as tables (arrays
/// 1-based), numbers as Lua 5.1 numbers, null as nil.
fn to_lua(lua: &mlua::Lua, v: &Value) -> mlua::Value {
    match v {
        Value::Null => mlua::Value::Nil,
        Value::Bool(b) => mlua::Value::Boolean(*b),
        Value::Number(n) => mlua::Value::Number(n.as_f64().unwrap()),
        Value::String(s) => mlua::Value::String(lua.create_string(s).unwrap()),
        Value::Array(items) => {
            let t = lua.create_table().unwrap();
            for (i, item) in items.iter().enumerate() {
                t.raw_set(i + 1, to_lua(lua, item)).unwrap();
            }
            mlua::Value::Table(t)
        }
        Value::Object(fields) => {
            let t = lua.create_table().unwrap();
            for (k, item) in fields {
                t.raw_set(k.as_str(), to_lua(lua, item)).unwrap();
            }
            mlua::Value::Table(t)
        }
    }
}

/// Runs a health script on `obj` and returns (status, message).
fn health(script: &str, obj: &Value) -> (String, String) {
    let lua = mlua::Lua::new();
    lua.globals().set("obj", to_lua(&lua, obj)).unwrap();
    let hs: mlua::Table = lua.load(script).set_name("health").eval().unwrap();
    (hs.get("status").unwrap(), hs.get("message").unwrap())
}

fn condition(type_: &str, status: &str, reason: &str, message: &str, generation: i64) -> Value {
    json!({"type": type_, "status": status, "reason": reason, "message": message,
           "observedGeneration": generation, "lastTransitionTime": "2025-01-01T00:00:00Z"})
}

fn object(generation: i64, paused: Option<&str>, status: Option<(i64, Vec<Value>)>) -> Value {
    let mut obj = json!({
        "apiVersion": "stackwright.io/v1alpha1",
        "kind": "Bucket",
        "metadata": {"name": "documents", "namespace": "paperwurks", "generation": generation},
        "spec": {"versioning": true},
    });
    if let Some(value) = paused {
        obj["metadata"]["annotations"] = json!({"stackwright.io/paused": value});
    }
    if let Some((observed, conditions)) = status {
        obj["status"] = json!({"observedGeneration": observed, "conditions": conditions});
    }
    obj
}

#[test]
fn argocd_health_scripts_are_identical_and_follow_kstatus_with_paused_suspended() {
    let scripts = health_scripts();
    for (kind, script) in &scripts {
        assert_eq!(script, &scripts[0].1, "the {kind} health script differs from the {} one", scripts[0].0);
    }
    let script = &scripts[0].1;

    let paused = "Paused by stackwright.io/paused: no AWS writes";
    let cases = [
        (
            "no status yet",
            object(1, None, None),
            "Progressing",
            "Waiting for the controller to report status".to_string(),
        ),
        (
            "an older generation observed (even if it was Ready)",
            object(3, None, Some((2, vec![condition("Ready", "True", "Ready", "bucket is ready", 2)]))),
            "Progressing",
            "Waiting for the controller to observe generation 3".to_string(),
        ),
        (
            "Reconciling",
            object(
                1,
                None,
                Some((
                    1,
                    vec![
                        condition("Ready", "False", "Creating", "creating bucket", 1),
                        condition("Reconciling", "True", "Creating", "creating bucket", 1),
                    ],
                )),
            ),
            "Progressing",
            "Creating: creating bucket".to_string(),
        ),
        (
            "first sight: Ready False, nothing else yet",
            object(1, None, Some((1, vec![condition("Ready", "False", "Pending", "", 1)]))),
            "Progressing",
            "Pending".to_string(),
        ),
        (
            "Stalled",
            object(
                2,
                None,
                Some((
                    2,
                    vec![
                        condition("Ready", "False", "NameConflict", "bucket documents belongs to someone else", 2),
                        condition("Stalled", "True", "NameConflict", "bucket documents belongs to someone else", 2),
                    ],
                )),
            ),
            "Degraded",
            "NameConflict: bucket documents belongs to someone else".to_string(),
        ),
        (
            "Stalled for an older generation: the new spec may fix it",
            object(
                3,
                None,
                Some((
                    2,
                    vec![
                        condition("Ready", "False", "InvalidSpec", "objectLock cannot change", 2),
                        condition("Stalled", "True", "InvalidSpec", "objectLock cannot change", 2),
                    ],
                )),
            ),
            "Progressing",
            "Waiting for the controller to observe generation 3".to_string(),
        ),
        (
            "Ready",
            object(2, None, Some((2, vec![condition("Ready", "True", "Ready", "bucket is ready", 2)]))),
            "Healthy",
            "Ready: bucket is ready".to_string(),
        ),
        (
            "paused and in sync",
            object(2, Some("true"), Some((2, vec![condition("Ready", "True", "Paused", "", 2)]))),
            "Suspended",
            format!("{paused}; AWS matches the spec"),
        ),
        (
            "paused and drifted",
            object(2, Some("true"), Some((2, vec![condition("Ready", "False", "Paused", "drift: versioning", 2)]))),
            "Suspended",
            format!("{paused}; AWS differs from the spec (drift: versioning)"),
        ),
        (
            "paused, the spec changed since the last status",
            object(3, Some("true"), Some((2, vec![condition("Ready", "False", "Paused", "drift: versioning", 2)]))),
            "Suspended",
            format!("{paused}; AWS differs from the spec (drift: versioning)"),
        ),
        (
            "paused before the controller reported (an earlier Stalled is not Degraded)",
            object(
                2,
                Some("true"),
                Some((
                    2,
                    vec![
                        condition("Ready", "False", "AccessDenied", "s3:PutBucketVersioning denied", 2),
                        condition("Stalled", "True", "AccessDenied", "s3:PutBucketVersioning denied", 2),
                    ],
                )),
            ),
            "Suspended",
            format!("{paused}; the controller has not reported drift yet"),
        ),
        (
            "paused with no status yet",
            object(1, Some("true"), None),
            "Suspended",
            format!("{paused}; the controller has not reported drift yet"),
        ),
        (
            "Ready reason Paused, the annotation just removed: Suspended until the controller reports again",
            object(2, None, Some((2, vec![condition("Ready", "True", "Paused", "", 2)]))),
            "Suspended",
            format!("{paused}; AWS matches the spec"),
        ),
        (
            "paused annotation other than \"true\" is not a pause",
            object(2, Some("false"), Some((2, vec![condition("Ready", "True", "Ready", "bucket is ready", 2)]))),
            "Healthy",
            "Ready: bucket is ready".to_string(),
        ),
    ];
    for (what, obj, status, message) in &cases {
        assert_eq!(health(script, obj), (status.to_string(), message.clone()), "{what}");
    }
}

// ------------------------------------------------------------------------- Prometheus, Grafana

const RULES: &str = "deploy/prometheus/stackwright-rules.yaml";
const DASHBOARD: &str = "deploy/grafana/stackwright-dashboard.json";

#[test]
fn alerting_rules_pass_promtool_check_and_unit_tests() {
    let promtool = tool("tests/envtest/build-promtool.sh", "promtool");
    let dir = repo_root().join("deploy/prometheus");
    run(&promtool, &["check", "rules", "stackwright-rules.yaml"], &dir);
    let out = run(&promtool, &["test", "rules", "stackwright-rules.test.yaml"], &dir);
    assert!(String::from_utf8_lossy(&out.stdout).contains("SUCCESS"), "{}", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn the_rules_and_the_dashboard_ship_as_identical_copies() {
    let sync = "deploy/prometheus and deploy/grafana are the originals; copy them into \
                deploy/helm/stackwright/files/, and the groups into the spec of \
                deploy/kustomize/monitoring/prometheusrule.yaml \
                (sed -n '/^groups:/,$p' deploy/prometheus/stackwright-rules.yaml | sed 's/^./  &/')";
    assert_eq!(read("deploy/helm/stackwright/files/stackwright-rules.yaml"), read(RULES), "{sync}");
    assert_eq!(read("deploy/helm/stackwright/files/stackwright-dashboard.json"), read(DASHBOARD), "{sync}");
    let rule = yaml("deploy/kustomize/monitoring/prometheusrule.yaml");
    assert_eq!(rule["kind"].as_str(), Some("PrometheusRule"));
    assert_eq!(rule["spec"], yaml(RULES), "{sync}");
}

#[test]
fn the_rules_and_the_dashboard_use_only_metrics_the_controller_exposes() {
    const EXPOSED: [&str; 10] = [
        "stackwright_objects",
        "stackwright_invalid_objects",
        "stackwright_leader",
        "stackwright_reconciles_total",
        "stackwright_reconcile_errors_total",
        "stackwright_reconcile_duration_seconds",
        "stackwright_status_writes_total",
        "stackwright_aws_calls_total",
        "stackwright_aws_rate_limit_wait_seconds_total",
        "stackwright_aws_rate_limit_waits_total",
    ];
    let used = |text: &str| -> BTreeSet<String> {
        text.match_indices("stackwright_")
            .map(|(at, _)| {
                let name: String = text[at..]
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
                    .collect();
                let histogram = ["_bucket", "_sum", "_count"]
                    .iter()
                    .find_map(|s| name.strip_suffix(s).filter(|base| base.ends_with("_seconds")));
                histogram.map_or(name.clone(), str::to_string)
            })
            .collect()
    };
    for (path, text) in [(RULES, read(RULES)), (DASHBOARD, read(DASHBOARD))] {
        let unknown: Vec<String> = used(&text).into_iter().filter(|m| !EXPOSED.contains(&m.as_str())).collect();
        assert!(unknown.is_empty(), "{path} uses metrics the controller does not expose: {unknown:?}");
    }
    // The alerts cover what the controller's operators asked for.
    let rules = yaml(RULES);
    let alerts: BTreeSet<&str> =
        rules["groups"][0]["rules"].as_sequence().unwrap().iter().map(|r| r["alert"].as_str().unwrap()).collect();
    for alert in [
        "StackwrightObjectsStalled",
        "StackwrightReconcileErrors",
        "StackwrightAWSThrottling",
        "StackwrightRateLimitWaitsSustained",
        "StackwrightNoLeader",
        "StackwrightControllerDown",
    ] {
        assert!(alerts.contains(alert), "{alert} missing from {RULES}");
    }
    for rule in rules["groups"][0]["rules"].as_sequence().unwrap() {
        for annotation in ["summary", "description"] {
            assert!(
                rule["annotations"][annotation].as_str().is_some_and(|s| !s.is_empty()),
                "{rule:?} has no {annotation}"
            );
        }
    }
    // The dashboard: valid JSON, distinct panel ids, a query in every panel.
    let dashboard: Value = serde_json::from_str(&read(DASHBOARD)).unwrap();
    let panels = dashboard["panels"].as_array().unwrap();
    let ids: BTreeSet<u64> = panels.iter().map(|p| p["id"].as_u64().unwrap()).collect();
    assert_eq!(ids.len(), panels.len(), "panel ids repeat");
    for panel in panels.iter().filter(|p| p["type"] != "row") {
        let targets = panel["targets"].as_array().unwrap();
        assert!(
            !targets.is_empty() && targets.iter().all(|t| t["expr"].as_str().is_some_and(|e| !e.is_empty())),
            "panel {} has no query",
            panel["title"]
        );
    }
}

// --------------------------------------------------------------------------------- kustomize

/// The objects `kubectl kustomize DIR` renders.
fn kustomize(dir: &str) -> Vec<serde_yaml::Value> {
    let kubectl = tool("tests/envtest/build.sh", "kubectl");
    let root = repo_root();
    let out = run(&kubectl, &["kustomize", &root.join(dir).to_string_lossy()], &root);
    String::from_utf8_lossy(&out.stdout).split("\n---\n").map(|doc| serde_yaml::from_str(doc).unwrap()).collect()
}

fn only<'a>(objects: &'a [serde_yaml::Value], kind: &str) -> &'a serde_yaml::Value {
    let found: Vec<&serde_yaml::Value> = objects.iter().filter(|o| o["kind"].as_str() == Some(kind)).collect();
    assert_eq!(found.len(), 1, "expected one {kind}");
    found[0]
}

fn strings(v: &serde_yaml::Value) -> BTreeSet<&str> {
    v.as_sequence().map(|s| s.iter().filter_map(|x| x.as_str()).collect()).unwrap_or_default()
}

#[test]
fn kustomize_base_renders_two_replicas_with_least_privilege() {
    let objects = kustomize("deploy/kustomize/base");
    assert_eq!(objects.iter().filter(|o| o["kind"].as_str() == Some("CustomResourceDefinition")).count(), 4);

    let deployment = only(&objects, "Deployment");
    assert_eq!(deployment["spec"]["replicas"].as_u64(), Some(2));
    assert_eq!(deployment["spec"]["strategy"]["type"].as_str(), Some("RollingUpdate"));
    let pod = &deployment["spec"]["template"]["spec"];
    let container = &pod["containers"][0];
    for (name, field) in [("POD_NAMESPACE", "metadata.namespace"), ("POD_NAME", "metadata.name")] {
        let env = container["env"].as_sequence().unwrap().iter().find(|e| e["name"].as_str() == Some(name));
        assert_eq!(
            env.and_then(|e| e["valueFrom"]["fieldRef"]["fieldPath"].as_str()),
            Some(field),
            "{name} from the downward API"
        );
    }
    assert_eq!(container["readinessProbe"]["httpGet"]["path"].as_str(), Some("/readyz"));
    assert_eq!(container["livenessProbe"]["httpGet"]["path"].as_str(), Some("/healthz"));
    let anti = &pod["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"][0];
    assert_eq!(anti["podAffinityTerm"]["topologyKey"].as_str(), Some("kubernetes.io/hostname"));

    let pdb = only(&objects, "PodDisruptionBudget");
    assert!(pdb["spec"]["maxUnavailable"].as_u64() == Some(1) || pdb["spec"]["minAvailable"].as_u64() == Some(1));
    assert_eq!(pdb["spec"]["selector"], deployment["spec"]["selector"]);

    // Secrets: written by server-side apply, collected through ownerReferences; never read.
    let cluster_role = only(&objects, "ClusterRole");
    for rule in cluster_role["rules"].as_sequence().unwrap() {
        let verbs = strings(&rule["verbs"]);
        assert!(!verbs.contains("*"), "no wildcard verbs: {rule:?}");
        assert!(!strings(&rule["resources"]).contains("leases"), "leases belong in the namespaced Role");
        if strings(&rule["resources"]).contains("secrets") {
            assert_eq!(verbs, ["create", "patch"].into_iter().collect(), "secrets: create and patch only");
        }
    }
    let events =
        cluster_role["rules"].as_sequence().unwrap().iter().find(|r| strings(&r["resources"]).contains("events"));
    assert_eq!(events.map(|r| strings(&r["verbs"])), Some(["create", "patch"].into_iter().collect()));

    // Leader election: a Role in the controller's namespace for the lease.
    let role = only(&objects, "Role");
    assert_eq!(role["metadata"]["namespace"].as_str(), Some("stackwright-system"));
    let mut lease_verbs = BTreeSet::new();
    for rule in role["rules"].as_sequence().unwrap() {
        assert_eq!(strings(&rule["apiGroups"]), ["coordination.k8s.io"].into_iter().collect());
        assert_eq!(strings(&rule["resources"]), ["leases"].into_iter().collect());
        let names = strings(&rule["resourceNames"]);
        assert!(names.is_empty() || names == ["stackwright-controller"].into_iter().collect(), "{rule:?}");
        lease_verbs.extend(strings(&rule["verbs"]));
    }
    assert_eq!(lease_verbs, ["create", "get", "patch", "update"].into_iter().collect());
    let binding = only(&objects, "RoleBinding");
    assert_eq!(binding["metadata"]["namespace"].as_str(), Some("stackwright-system"));
    assert_eq!(binding["roleRef"]["name"], role["metadata"]["name"]);
    assert_eq!(binding["subjects"][0]["name"].as_str(), Some("stackwright"));
    assert_eq!(binding["subjects"][0]["namespace"].as_str(), Some("stackwright-system"));
}

#[test]
fn kustomize_monitoring_renders_the_servicemonitor_rules_and_dashboard() {
    let objects = kustomize("deploy/kustomize/monitoring");
    let monitor = only(&objects, "ServiceMonitor");
    assert_eq!(
        monitor["spec"]["jobLabel"].as_str(),
        Some("app.kubernetes.io/name"),
        "the rules select job=\"stackwright\""
    );
    let rule = only(&objects, "PrometheusRule");
    assert_eq!(rule["spec"], yaml(RULES));
    let dashboard = only(&objects, "ConfigMap");
    assert_eq!(dashboard["metadata"]["labels"]["grafana_dashboard"].as_str(), Some("1"));
    assert_eq!(dashboard["metadata"]["namespace"].as_str(), Some("stackwright-system"));
    assert_eq!(dashboard["data"]["stackwright-dashboard.json"].as_str(), Some(read(DASHBOARD).as_str()));
}

/// Every operation the RDS, ElastiCache, EC2 and Secrets Manager adapters call (`call!("Op", ...)`)
/// is an action of the IAM policy (for these services IAM's action names are the operations').
#[test]
fn the_iam_policy_grants_every_operation_the_adapters_call() {
    let policy: serde_json::Value = serde_json::from_str(&read("deploy/iam-policy.json")).unwrap();
    let granted: std::collections::BTreeSet<String> = policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| match &s["Action"] {
            serde_json::Value::String(a) => vec![a.clone()],
            serde_json::Value::Array(a) => a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect(),
            _ => vec![],
        })
        .collect();
    for (module, prefix) in [
        ("rds", "rds"),
        ("elasticache", "elasticache"),
        ("ec2", "ec2"),
        ("secretsmanager", "secretsmanager"),
        ("ecs", "ecs"),
        ("elbv2", "elasticloadbalancing"),
        ("autoscaling", "application-autoscaling"),
        ("iam", "iam"),
        ("logs", "logs"),
        ("servicediscovery", "servicediscovery"),
        ("efs", "elasticfilesystem"),
    ] {
        // The module is a file, or a folder of files (`ec2/`).
        let folder = repo_root().join("crates/cloud/src").join(module);
        let source = if folder.is_dir() {
            let mut files: Vec<PathBuf> =
                std::fs::read_dir(&folder).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_file()).collect();
            files.sort();
            files.iter().map(|f| std::fs::read_to_string(f).unwrap()).collect::<Vec<_>>().join("\n")
        } else {
            read(&format!("crates/cloud/src/{module}.rs"))
        };
        // `call!("Operation", ...)`, also where rustfmt put the operation on the next line.
        let operations: Vec<&str> = source
            .split("call!(")
            .skip(1)
            .filter_map(|rest| rest.trim_start().strip_prefix('"')?.split('"').next())
            .collect();
        assert!(operations.len() >= 5, "{module}: adapter calls found: {operations:?}");
        for op in operations {
            assert!(granted.contains(&format!("{prefix}:{op}")), "deploy/iam-policy.json lacks {prefix}:{op}");
        }
    }
    // Deleting with a final snapshot takes the snapshot under the caller's permissions.
    assert!(granted.contains("rds:CreateDBSnapshot") && granted.contains("elasticache:CreateSnapshot"));
    // ECS Service Connect makes the Cloud Map service of each name a service offers.
    assert!(granted.contains("servicediscovery:CreateService") && granted.contains("servicediscovery:GetNamespace"));
    // CreateMountTarget makes the mount target's network interface under the caller's permissions.
    assert!(granted.contains("ec2:CreateNetworkInterface") && granted.contains("ec2:DescribeSubnets"));
}
