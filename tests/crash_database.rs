//! The crash matrix of Database: the real controller is aborted (by fault injection) right after
//! each AWS write of a Database's create, update and delete paths in turn, then a fresh
//! controller takes over. After every crash point the object must converge (Ready, or gone after
//! a delete) with exactly one of each owned resource, configured as the spec says, no orphan, and
//! no status along the way may have called our own resources a conflict.
//!
//! AppStack has no controller yet: the stack the database is placed in and bound from is written,
//! status included, by the test itself.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod support;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kube::Api;
use kube::api::{DeleteParams, Patch, PatchParams};
use stackwright_api::{AppStack, Database};
use support::{Controller, Env, env, eventually};

const WITHIN: Duration = Duration::from_secs(120);

struct Case {
    env: &'static Env,
    ns: String,
    api: Api<Database>,
    rds: aws_sdk_rds::Client,
    ec2: aws_sdk_ec2::Client,
    vpc: String,
    subnets: Vec<String>,
    tasks: String,
    seen: Arc<Mutex<Vec<String>>>,
}

const SPEC: &str = "  version: \"15.7\"\n  instanceClass: db.t3.micro\n  parameters: {max_connections: \"150\", work_mem: \"8192\"}\n  tags: {team: data}\n  network: {appStack: web}\n  deletionPolicy: Delete\n";

impl Case {
    async fn new(point: &str) -> Self {
        let env = env();
        let ns = env.namespace(&format!("crashdb-{}", point.to_lowercase())).await;
        let api: Api<Database> = Api::namespaced(env.client().await, &ns);
        let seen = Arc::new(Mutex::new(Vec::new()));
        {
            let seen = seen.clone();
            support::watch_from_now(api.clone(), move |d: &Database| {
                for c in d.status.iter().flat_map(|s| s.common.conditions.iter()) {
                    seen.lock().unwrap().push(format!("{}={}:{}", c.type_, c.status, c.reason));
                }
            })
            .await;
        }
        let config = env.sdk_config().await;
        let ec2 = aws_sdk_ec2::Client::new(&config);
        let vpc = ec2.create_vpc().cidr_block("10.40.0.0/16").send().await.unwrap().vpc.unwrap().vpc_id.unwrap();
        let mut subnets = Vec::new();
        for (i, az) in ["a", "b", "c"].into_iter().enumerate() {
            let s = ec2
                .create_subnet()
                .vpc_id(&vpc)
                .cidr_block(format!("10.40.{i}.0/24"))
                .availability_zone(format!("{}{az}", support::REGION))
                .send()
                .await
                .unwrap();
            subnets.push(s.subnet.unwrap().subnet_id.unwrap());
        }
        let tasks = ec2
            .create_security_group()
            .vpc_id(&vpc)
            .group_name("tasks")
            .description("tasks")
            .send()
            .await
            .unwrap()
            .group_id
            .unwrap();
        let case = Case { env, ns, api, rds: aws_sdk_rds::Client::new(&config), ec2, vpc, subnets, tasks, seen };
        case.stack(true, 2).await;
        case
    }

    /// The AppStack `web`, binding the database or not, reporting the first `subnets` subnets.
    async fn stack(&self, bound: bool, subnets: usize) {
        let bindings = if bound { "[{database: db, envPrefix: DATABASE}]" } else { "[]" };
        self.env.apply(
            &self.ns,
            &format!(
                "apiVersion: stackwright.io/v1alpha1\nkind: AppStack\nmetadata:\n  name: web\nspec:\n  network: {{vpcId: {}, publicSubnetIds: [{a}, {b}], privateSubnetIds: [{a}, {b}]}}\n  services: [{{name: api, image: \"nginx:1\", cpu: 256, memory: 512}}]\n  bindings: {bindings}\n",
                self.vpc,
                a = self.subnets[0],
                b = self.subnets[1]
            ),
        );
        let stacks: Api<AppStack> = Api::namespaced(self.env.client().await, &self.ns);
        let status = serde_json::json!({"status": {
            "network": {"vpcId": self.vpc, "dataSubnetIds": self.subnets[..subnets]},
            "taskSecurityGroupId": self.tasks,
        }});
        stacks.patch_status("web", &PatchParams::default(), &Patch::Merge(status)).await.unwrap();
    }

    fn apply(&self, spec: &str) {
        self.env.apply(
            &self.ns,
            &format!("apiVersion: stackwright.io/v1alpha1\nkind: Database\nmetadata:\n  name: db\nspec:\n{spec}"),
        );
    }

    fn controller(&self, faults: Option<&str>) -> Controller {
        let mut args = vec!["--leader-elect=false"];
        if let Some(f) = faults {
            args.extend(["--inject-faults", f]);
        }
        // A far resync: whatever the survivor does, it does because the object needs it.
        self.env.controller_with(&self.ns, "crashdb", "1h", &args)
    }

    async fn crash_after(&self, op: &str) {
        let mut doomed = self.controller(Some(&format!("{op}:crash-after")));
        let status = doomed.exited(WITHIN).await;
        assert!(
            status.is_some_and(|s| !s.success()),
            "the controller should have aborted right after {op}: {status:?}\n{}",
            doomed.log_tail()
        );
    }

    async fn ready(&self) -> Database {
        eventually("Ready for the current generation", WITHIN, || async {
            let d = self.api.get("db").await.ok()?;
            let s = d.status.as_ref()?;
            let ready = s.common.conditions.iter().any(|c| c.type_ == "Ready" && c.status == "True");
            (ready && s.common.observed_generation == d.metadata.generation).then_some(d)
        })
        .await
    }

    fn owner(&self) -> String {
        format!("Database/{}/db", self.ns)
    }

    /// The DB instances, subnet groups and parameter groups of this account that carry our owner
    /// tag, and the security groups: one line each.
    async fn owned(&self) -> Vec<String> {
        let owner = self.owner();
        let owned = |tags: Option<&[aws_sdk_rds::types::Tag]>| {
            tags.unwrap_or_default()
                .iter()
                .any(|t| t.key() == Some("stackwright.io/owner") && t.value() == Some(owner.as_str()))
        };
        let mut out = Vec::new();
        for i in self.rds.describe_db_instances().send().await.unwrap().db_instances() {
            if owned(Some(i.tag_list())) && i.db_instance_status() != Some("deleting") {
                out.push(format!("instance {}", i.db_instance_class().unwrap_or_default()));
            }
        }
        for g in self.rds.describe_db_subnet_groups().send().await.unwrap().db_subnet_groups() {
            let tags =
                self.rds.list_tags_for_resource().resource_name(g.db_subnet_group_arn().unwrap()).send().await.unwrap();
            if owned(Some(tags.tag_list())) {
                out.push("subnet group".into());
            }
        }
        for g in self.rds.describe_db_parameter_groups().send().await.unwrap().db_parameter_groups() {
            let tags = self
                .rds
                .list_tags_for_resource()
                .resource_name(g.db_parameter_group_arn().unwrap())
                .send()
                .await
                .unwrap();
            if owned(Some(tags.tag_list())) {
                out.push("parameter group".into());
            }
        }
        let groups = self
            .ec2
            .describe_security_groups()
            .filters(aws_sdk_ec2::types::Filter::builder().name("tag:stackwright.io/owner").values(&owner).build())
            .send()
            .await
            .unwrap();
        out.extend(groups.security_groups().iter().map(|_| "security group".to_string()));
        out.sort();
        out
    }

    async fn assert_one_of_each(&self, class: &str) {
        assert_eq!(
            self.owned().await,
            [format!("instance {class}").as_str(), "parameter group", "security group", "subnet group"],
            "exactly one of each, ours"
        );
    }

    fn assert_never_a_conflict(&self) {
        let seen = self.seen.lock().unwrap().clone();
        assert!(
            !seen.iter().any(|s| s.starts_with("Stalled=True")),
            "no status may stall on our own resources: {seen:?}"
        );
    }

    /// The instance's parameter values set by the user, and the sources its group admits.
    async fn parameters_and_admitted(&self, db: &Database) -> (BTreeMap<String, String>, Vec<String>) {
        let resources = &db.status.as_ref().unwrap().common.resources;
        let id = |kind: &str| resources.iter().find(|r| r.kind == kind).unwrap().id.clone();
        let params = self
            .rds
            .describe_db_parameters()
            .db_parameter_group_name(id("rds:DBParameterGroup"))
            .source("user")
            .send()
            .await
            .unwrap();
        let values = params
            .parameters()
            .iter()
            .filter_map(|p| Some((p.parameter_name()?.to_string(), p.parameter_value()?.to_string())))
            .collect();
        let groups = self.ec2.describe_security_groups().group_ids(id("ec2:SecurityGroup")).send().await.unwrap();
        let admitted = groups.security_groups()[0]
            .ip_permissions()
            .iter()
            .flat_map(|p| p.user_id_group_pairs().iter().filter_map(|u| u.group_id().map(str::to_string)))
            .collect();
        (values, admitted)
    }
}

/// Create path: the controller dies right after `op` while creating the database.
async fn create_path(op: &str) {
    let case = Case::new(op).await;
    case.apply(SPEC);
    case.crash_after(op).await;
    let _survivor = case.controller(None);
    let db = case.ready().await;
    case.assert_one_of_each("db.t3.micro").await;
    case.assert_never_a_conflict();
    let (params, admitted) = case.parameters_and_admitted(&db).await;
    assert_eq!(params.get("max_connections").map(String::as_str), Some("150"));
    assert_eq!(admitted, [case.tasks.clone()]);
}

/// Update path: converged, then the controller dies right after `op` while it changes the
/// class, drops a parameter, takes a third subnet, retags, and the stack unbinds.
async fn update_path(op: &str) {
    let case = Case::new(op).await;
    case.apply(SPEC);
    {
        let _first = case.controller(None);
        case.ready().await;
    }
    case.stack(false, 3).await;
    case.apply(
        &SPEC
            .replace("db.t3.micro", "db.t3.small")
            .replace(", work_mem: \"8192\"", "")
            .replace("team: data", "team: platform"),
    );
    case.crash_after(op).await;
    let _survivor = case.controller(None);
    let db = case.ready().await;
    case.assert_one_of_each("db.t3.small").await;
    case.assert_never_a_conflict();
    let (params, admitted) = case.parameters_and_admitted(&db).await;
    assert!(!params.contains_key("work_mem"), "{params:?}");
    assert!(admitted.is_empty(), "the unbound stack is no longer admitted: {admitted:?}");
}

/// Delete path: converged, deleted; the controller dies right after `op`.
async fn delete_path(op: &str, protected: bool) {
    let case = Case::new(op).await;
    let spec = if protected { format!("{SPEC}  deletionProtection: true\n") } else { SPEC.to_string() };
    case.apply(&spec);
    {
        let _first = case.controller(None);
        case.ready().await;
    }
    case.api.delete("db", &DeleteParams::default()).await.unwrap();
    if protected {
        // Lifting protection in the spec lets the deletion go on: the first write lifts it in RDS.
        case.api
            .patch(
                "db",
                &PatchParams::default(),
                &Patch::Merge(serde_json::json!({"spec": {"deletionProtection": false}})),
            )
            .await
            .unwrap();
    }
    case.crash_after(op).await;
    let _survivor = case.controller(None);
    eventually("the Database is gone", WITHIN, || async {
        matches!(case.api.get_opt("db").await, Ok(None)).then_some(())
    })
    .await;
    assert!(case.owned().await.is_empty(), "no orphan: {:?}", case.owned().await);
}

macro_rules! crash_points {
    ($path:ident: $($test:ident => $op:literal $(, $arg:expr)?;)+) => {$(
        #[tokio::test]
        async fn $test() {
            $path($op $(, $arg)?).await;
        }
    )+};
}

crash_points! { create_path:
    create_after_create_security_group => "CreateSecurityGroup";
    create_after_create_db_subnet_group => "CreateDBSubnetGroup";
    create_after_create_db_parameter_group => "CreateDBParameterGroup";
    create_after_modify_db_parameter_group => "ModifyDBParameterGroup";
    create_after_authorize_security_group_ingress => "AuthorizeSecurityGroupIngress";
    create_after_create_db_instance => "CreateDBInstance";
}

crash_points! { update_path:
    update_after_modify_db_instance => "ModifyDBInstance";
    update_after_reset_db_parameter_group => "ResetDBParameterGroup";
    update_after_modify_db_subnet_group => "ModifyDBSubnetGroup";
    update_after_revoke_security_group_ingress => "RevokeSecurityGroupIngress";
    update_after_add_tags_to_resource => "AddTagsToResource";
    update_after_create_tags => "CreateTags";
}

crash_points! { delete_path:
    delete_after_delete_db_instance => "DeleteDBInstance", false;
    delete_after_delete_db_parameter_group => "DeleteDBParameterGroup", false;
    delete_after_delete_db_subnet_group => "DeleteDBSubnetGroup", false;
    delete_after_delete_security_group => "DeleteSecurityGroup", false;
    delete_after_lifting_deletion_protection => "ModifyDBInstance", true;
}
