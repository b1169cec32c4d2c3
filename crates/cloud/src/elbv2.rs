//! Elastic Load Balancing v2: an AppStack's Application Load Balancer, its listeners, target
//! groups and listener rules.

use std::collections::BTreeMap;

use aws_sdk_elasticloadbalancingv2::Client;
use aws_sdk_elasticloadbalancingv2::types as t;

use crate::error::{CloudError, ErrorCategory, OptionalExt};
use crate::paging::all_pages;

/// The most ARNs one DescribeTags call takes.
const TAGS_PER_CALL: usize = 20;

/// The page size of DescribeListeners and DescribeRules (their `PageSize` limit).
const PAGE: i32 = 400;

/// An Application Load Balancer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LoadBalancer {
    pub arn: String,
    pub name: String,
    pub dns_name: String,
    /// `internet-facing` or `internal`.
    pub scheme: String,
    /// `provisioning`, `active`, `active_impaired` or `failed`.
    pub state: String,
    pub vpc_id: String,
    pub subnet_ids: Vec<String>,
    pub security_group_ids: Vec<String>,
}

/// A CreateLoadBalancer request (type application, IPv4).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NewLoadBalancer {
    pub name: String,
    pub scheme: String,
    pub subnet_ids: Vec<String>,
    pub security_group_ids: Vec<String>,
    pub tags: BTreeMap<String, String>,
}

/// A target group's HTTP health check.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HealthCheck {
    pub path: String,
    pub interval_seconds: i32,
    pub timeout_seconds: i32,
    pub healthy_threshold: i32,
    pub unhealthy_threshold: i32,
    /// HTTP codes, e.g. `200-399`.
    pub matcher: String,
}

/// A target group (target type `ip`, protocol HTTP).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TargetGroup {
    pub arn: String,
    pub name: String,
    pub port: i32,
    pub protocol: String,
    pub target_type: String,
    pub vpc_id: String,
    pub health_check: HealthCheck,
    pub load_balancer_arns: Vec<String>,
}

/// A CreateTargetGroup request: protocol HTTP, target type ip, health check over HTTP on the
/// traffic port.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NewTargetGroup {
    pub name: String,
    pub port: i32,
    pub vpc_id: String,
    pub health_check: HealthCheck,
    pub tags: BTreeMap<String, String>,
}

/// What a listener or rule does with a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Forward to one target group.
    Forward { target_group_arn: String },
    /// Answer without a target (e.g. 404 `text/plain`).
    FixedResponse { status_code: String, content_type: String, body: String },
    /// Redirect to another protocol and port (e.g. HTTP → HTTPS 443, `HTTP_301`), keeping host,
    /// path and query.
    Redirect { protocol: String, port: String, status_code: String },
}

/// A listener.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listener {
    pub arn: String,
    pub port: i32,
    /// `HTTP` or `HTTPS`.
    pub protocol: String,
    pub certificate_arn: Option<String>,
    pub ssl_policy: Option<String>,
    pub default_action: Option<Action>,
}

/// A CreateListener / ModifyListener request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListenerSettings {
    pub port: i32,
    pub protocol: String,
    pub certificate_arn: Option<String>,
    pub ssl_policy: Option<String>,
    pub default_action: Action,
}

/// The conditions of a listener rule: all must match. Empty lists are left out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RuleConditions {
    pub paths: Vec<String>,
    pub hosts: Vec<String>,
}

/// A listener rule (not the default rule).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    pub arn: String,
    pub priority: i32,
    pub conditions: RuleConditions,
    pub action: Option<Action>,
}

/// The Elastic Load Balancing v2 client for one region.
#[derive(Clone, Debug)]
pub struct Elbv2 {
    client: Client,
}

macro_rules! call {
    ($op:literal, $fut:expr) => {
        $fut.await.map_err(|e| CloudError::from_sdk(concat!("elbv2:", $op), e))
    };
}

fn tags_of(list: Option<Vec<t::Tag>>) -> BTreeMap<String, String> {
    list.unwrap_or_default().into_iter().filter_map(|t| Some((t.key?, t.value.unwrap_or_default()))).collect()
}

/// The tags of a create call: `None` when there are none (ELBv2 refuses an empty `Tags` list).
fn tag_list(tags: &BTreeMap<String, String>) -> Option<Vec<t::Tag>> {
    (!tags.is_empty()).then(|| tags.iter().map(|(k, v)| t::Tag::builder().key(k).value(v).build()).collect())
}

fn load_balancer_of(lb: t::LoadBalancer) -> LoadBalancer {
    LoadBalancer {
        arn: lb.load_balancer_arn.unwrap_or_default(),
        name: lb.load_balancer_name.unwrap_or_default(),
        dns_name: lb.dns_name.unwrap_or_default(),
        scheme: lb.scheme.map(|s| s.as_str().to_string()).unwrap_or_default(),
        state: lb.state.and_then(|s| s.code).map(|c| c.as_str().to_string()).unwrap_or_default(),
        vpc_id: lb.vpc_id.unwrap_or_default(),
        subnet_ids: lb.availability_zones.unwrap_or_default().into_iter().filter_map(|z| z.subnet_id).collect(),
        security_group_ids: lb.security_groups.unwrap_or_default(),
    }
}

fn target_group_of(tg: t::TargetGroup) -> TargetGroup {
    TargetGroup {
        arn: tg.target_group_arn.unwrap_or_default(),
        name: tg.target_group_name.unwrap_or_default(),
        port: tg.port.unwrap_or_default(),
        protocol: tg.protocol.map(|p| p.as_str().to_string()).unwrap_or_default(),
        target_type: tg.target_type.map(|p| p.as_str().to_string()).unwrap_or_default(),
        vpc_id: tg.vpc_id.unwrap_or_default(),
        health_check: HealthCheck {
            path: tg.health_check_path.unwrap_or_default(),
            interval_seconds: tg.health_check_interval_seconds.unwrap_or_default(),
            timeout_seconds: tg.health_check_timeout_seconds.unwrap_or_default(),
            healthy_threshold: tg.healthy_threshold_count.unwrap_or_default(),
            unhealthy_threshold: tg.unhealthy_threshold_count.unwrap_or_default(),
            matcher: tg.matcher.and_then(|m| m.http_code).unwrap_or_default(),
        },
        load_balancer_arns: tg.load_balancer_arns.unwrap_or_default(),
    }
}

/// The action Stackwright would have set, from the actions of a listener or rule: the first in
/// order. `None` when it is of a kind Stackwright never sets (authentication, a weighted forward
/// to several target groups, ...): then it differs from any wanted action.
fn action_of(actions: Option<Vec<t::Action>>) -> Option<Action> {
    let mut actions = actions.unwrap_or_default();
    actions.sort_by_key(|a| a.order.unwrap_or(i32::MAX));
    let action = actions.into_iter().next()?;
    match action.r#type? {
        t::ActionTypeEnum::Forward => {
            // AWS answers a forward to one target group with both forms; a ForwardConfig alone
            // stands for the same when it names exactly one target group.
            let target_group_arn = action.target_group_arn.or_else(|| {
                let mut groups = action.forward_config?.target_groups.unwrap_or_default();
                if groups.len() == 1 { groups.pop()?.target_group_arn } else { None }
            })?;
            Some(Action::Forward { target_group_arn })
        }
        t::ActionTypeEnum::FixedResponse => {
            let c = action.fixed_response_config?;
            Some(Action::FixedResponse {
                status_code: c.status_code.unwrap_or_default(),
                content_type: c.content_type.unwrap_or_default(),
                body: c.message_body.unwrap_or_default(),
            })
        }
        t::ActionTypeEnum::Redirect => {
            let c = action.redirect_config?;
            Some(Action::Redirect {
                protocol: c.protocol.unwrap_or_default(),
                port: c.port.unwrap_or_default(),
                status_code: c.status_code.map(|s| s.as_str().to_string()).unwrap_or_default(),
            })
        }
        _ => None,
    }
}

/// The SDK form of an action. A redirect keeps host, path and query (AWS's defaults when they
/// are left out); a fixed response without a body sends none.
fn sdk_action(action: &Action) -> t::Action {
    match action {
        Action::Forward { target_group_arn } => {
            t::Action::builder().r#type(t::ActionTypeEnum::Forward).target_group_arn(target_group_arn).build()
        }
        Action::FixedResponse { status_code, content_type, body } => t::Action::builder()
            .r#type(t::ActionTypeEnum::FixedResponse)
            .fixed_response_config(
                t::FixedResponseActionConfig::builder()
                    .status_code(status_code)
                    .content_type(content_type)
                    .set_message_body((!body.is_empty()).then(|| body.clone()))
                    .build(),
            )
            .build(),
        Action::Redirect { protocol, port, status_code } => t::Action::builder()
            .r#type(t::ActionTypeEnum::Redirect)
            .redirect_config(
                t::RedirectActionConfig::builder()
                    .protocol(protocol)
                    .port(port)
                    .status_code(t::RedirectActionStatusCodeEnum::from(status_code.as_str()))
                    .build(),
            )
            .build(),
    }
}

fn listener_of(l: t::Listener) -> Listener {
    let certificates = l.certificates.unwrap_or_default();
    let certificate_arn = certificates
        .iter()
        .find(|c| c.is_default == Some(true))
        .or_else(|| certificates.first())
        .and_then(|c| c.certificate_arn.clone());
    Listener {
        arn: l.listener_arn.unwrap_or_default(),
        port: l.port.unwrap_or_default(),
        protocol: l.protocol.map(|p| p.as_str().to_string()).unwrap_or_default(),
        certificate_arn,
        ssl_policy: l.ssl_policy,
        default_action: action_of(l.default_actions),
    }
}

/// The path and host conditions of a rule, read from either form AWS answers with: the
/// `PathPatternConfig` / `HostHeaderConfig` values, or the older `Values`.
fn conditions_of(conditions: Option<Vec<t::RuleCondition>>) -> RuleConditions {
    let mut out = RuleConditions::default();
    for c in conditions.unwrap_or_default() {
        match c.field.as_deref() {
            Some("path-pattern") => {
                let values = c.path_pattern_config.and_then(|p| p.values).or(c.values).unwrap_or_default();
                out.paths.extend(values);
            }
            Some("host-header") => {
                let values = c.host_header_config.and_then(|h| h.values).or(c.values).unwrap_or_default();
                out.hosts.extend(values);
            }
            _ => {}
        }
    }
    out
}

/// The SDK form of rule conditions: one `path-pattern` and one `host-header` condition, each left
/// out when it has no values.
fn sdk_conditions(conditions: &RuleConditions) -> Vec<t::RuleCondition> {
    let mut out = Vec::new();
    if !conditions.paths.is_empty() {
        out.push(
            t::RuleCondition::builder()
                .field("path-pattern")
                .path_pattern_config(
                    t::PathPatternConditionConfig::builder().set_values(Some(conditions.paths.clone())).build(),
                )
                .build(),
        );
    }
    if !conditions.hosts.is_empty() {
        out.push(
            t::RuleCondition::builder()
                .field("host-header")
                .host_header_config(
                    t::HostHeaderConditionConfig::builder().set_values(Some(conditions.hosts.clone())).build(),
                )
                .build(),
        );
    }
    out
}

/// A listener rule, `None` for the default rule (which has no priority of its own).
fn rule_of(r: t::Rule) -> Option<Rule> {
    if r.is_default == Some(true) {
        return None;
    }
    Some(Rule {
        arn: r.rule_arn.unwrap_or_default(),
        priority: r.priority.as_deref().and_then(|p| p.parse().ok())?,
        conditions: conditions_of(r.conditions),
        action: action_of(r.actions),
    })
}

fn certificates(certificate_arn: Option<&String>) -> Option<Vec<t::Certificate>> {
    certificate_arn.map(|arn| vec![t::Certificate::builder().certificate_arn(arn).build()])
}

/// A create call answered without the resource it created.
fn incomplete(operation: &'static str, what: &str) -> CloudError {
    CloudError {
        category: ErrorCategory::Transient,
        operation,
        code: "IncompleteResponse".into(),
        message: format!("the response has no {what}"),
    }
}

/// `Ok(())` for a resource that is already gone.
fn gone_is_ok<T>(result: Result<T, CloudError>) -> Result<(), CloudError> {
    result.optional().map(drop)
}

impl Elbv2 {
    pub(crate) fn new(client: Client) -> Self {
        Elbv2 { client }
    }

    /// The load balancer of this name, `None` if there is none.
    pub async fn load_balancer(&self, name: &str) -> Result<Option<LoadBalancer>, CloudError> {
        let out =
            call!("DescribeLoadBalancers", self.client.describe_load_balancers().names(name).send()).optional()?;
        Ok(out.and_then(|o| o.load_balancers.unwrap_or_default().into_iter().next()).map(load_balancer_of))
    }

    /// Creates an Application Load Balancer (IPv4) with its tags. AWS makes this idempotent by
    /// name: the same settings again return the existing load balancer; other settings under a
    /// name in use are `AlreadyExists` (`DuplicateLoadBalancerName`).
    pub async fn create_load_balancer(&self, lb: &NewLoadBalancer) -> Result<LoadBalancer, CloudError> {
        let req = self
            .client
            .create_load_balancer()
            .name(&lb.name)
            .r#type(t::LoadBalancerTypeEnum::Application)
            .ip_address_type(t::IpAddressType::Ipv4)
            .scheme(t::LoadBalancerSchemeEnum::from(lb.scheme.as_str()))
            .set_subnets(Some(lb.subnet_ids.clone()))
            .set_security_groups(Some(lb.security_group_ids.clone()))
            .set_tags(tag_list(&lb.tags));
        let out = call!("CreateLoadBalancer", req.send())?;
        let lb = out.load_balancers.unwrap_or_default().into_iter().next();
        lb.map(load_balancer_of).ok_or_else(|| incomplete("elbv2:CreateLoadBalancer", "load balancer"))
    }

    /// Every attribute of a load balancer (e.g. `idle_timeout.timeout_seconds`), as AWS reports them.
    pub async fn load_balancer_attributes(&self, arn: &str) -> Result<BTreeMap<String, String>, CloudError> {
        let out = call!(
            "DescribeLoadBalancerAttributes",
            self.client.describe_load_balancer_attributes().load_balancer_arn(arn).send()
        )?;
        Ok(out
            .attributes
            .unwrap_or_default()
            .into_iter()
            .filter_map(|a| Some((a.key?, a.value.unwrap_or_default())))
            .collect())
    }

    /// Sets the given load balancer attributes (the others keep their values); none, no call.
    pub async fn set_load_balancer_attributes(
        &self,
        arn: &str,
        attrs: &BTreeMap<String, String>,
    ) -> Result<(), CloudError> {
        if attrs.is_empty() {
            return Ok(());
        }
        let attributes = attrs.iter().map(|(k, v)| t::LoadBalancerAttribute::builder().key(k).value(v).build());
        let req = self
            .client
            .modify_load_balancer_attributes()
            .load_balancer_arn(arn)
            .set_attributes(Some(attributes.collect()));
        call!("ModifyLoadBalancerAttributes", req.send()).map(drop)
    }

    /// Replaces the subnets of a load balancer.
    pub async fn set_subnets(&self, arn: &str, subnet_ids: &[String]) -> Result<(), CloudError> {
        let req = self.client.set_subnets().load_balancer_arn(arn).set_subnets(Some(subnet_ids.to_vec()));
        call!("SetSubnets", req.send()).map(drop)
    }

    /// Replaces the security groups of a load balancer.
    pub async fn set_security_groups(&self, arn: &str, ids: &[String]) -> Result<(), CloudError> {
        let req = self.client.set_security_groups().load_balancer_arn(arn).set_security_groups(Some(ids.to_vec()));
        call!("SetSecurityGroups", req.send()).map(drop)
    }

    /// Deletes a load balancer and its listeners; one already gone is success.
    pub async fn delete_load_balancer(&self, arn: &str) -> Result<(), CloudError> {
        gone_is_ok(call!("DeleteLoadBalancer", self.client.delete_load_balancer().load_balancer_arn(arn).send()))
    }

    /// The target groups of these names that exist (one call; none for no names). AWS refuses
    /// the whole call (`TargetGroupNotFound`) when any name is missing: then each name is read
    /// on its own and the missing ones are left out.
    pub async fn target_groups(&self, names: &[String]) -> Result<Vec<TargetGroup>, CloudError> {
        if names.is_empty() {
            return Ok(vec![]);
        }
        match self.describe_target_groups(names).await {
            Err(e) if e.is_not_found() && names.len() > 1 => {
                let mut found = Vec::new();
                for name in names {
                    if let Some(groups) = self.describe_target_groups(std::slice::from_ref(name)).await.optional()? {
                        found.extend(groups);
                    }
                }
                Ok(found)
            }
            Err(e) if e.is_not_found() => Ok(vec![]),
            other => other,
        }
    }

    async fn describe_target_groups(&self, names: &[String]) -> Result<Vec<TargetGroup>, CloudError> {
        all_pages(|marker| async move {
            let req =
                self.client.describe_target_groups().set_names(Some(names.to_vec())).page_size(PAGE).set_marker(marker);
            let page = call!("DescribeTargetGroups", req.send())?;
            Ok((page.target_groups.unwrap_or_default().into_iter().map(target_group_of).collect(), page.next_marker))
        })
        .await
    }

    /// Creates a target group (HTTP/1.1, target type ip, health check over HTTP on the traffic
    /// port) with its tags. Idempotent by name like load balancers: other settings under a name
    /// in use are `AlreadyExists` (`DuplicateTargetGroupName`).
    pub async fn create_target_group(&self, tg: &NewTargetGroup) -> Result<TargetGroup, CloudError> {
        let hc = &tg.health_check;
        let req = self
            .client
            .create_target_group()
            .name(&tg.name)
            .protocol(t::ProtocolEnum::Http)
            .protocol_version("HTTP1")
            .port(tg.port)
            .vpc_id(&tg.vpc_id)
            .target_type(t::TargetTypeEnum::Ip)
            .health_check_enabled(true)
            .health_check_protocol(t::ProtocolEnum::Http)
            .health_check_port("traffic-port")
            .health_check_path(&hc.path)
            .health_check_interval_seconds(hc.interval_seconds)
            .health_check_timeout_seconds(hc.timeout_seconds)
            .healthy_threshold_count(hc.healthy_threshold)
            .unhealthy_threshold_count(hc.unhealthy_threshold)
            .matcher(t::Matcher::builder().http_code(&hc.matcher).build())
            .set_tags(tag_list(&tg.tags));
        let out = call!("CreateTargetGroup", req.send())?;
        let tg = out.target_groups.unwrap_or_default().into_iter().next();
        tg.map(target_group_of).ok_or_else(|| incomplete("elbv2:CreateTargetGroup", "target group"))
    }

    /// Sets the whole health check of a target group (HTTP on the traffic port).
    pub async fn modify_health_check(&self, arn: &str, hc: &HealthCheck) -> Result<(), CloudError> {
        let req = self
            .client
            .modify_target_group()
            .target_group_arn(arn)
            .health_check_enabled(true)
            .health_check_protocol(t::ProtocolEnum::Http)
            .health_check_port("traffic-port")
            .health_check_path(&hc.path)
            .health_check_interval_seconds(hc.interval_seconds)
            .health_check_timeout_seconds(hc.timeout_seconds)
            .healthy_threshold_count(hc.healthy_threshold)
            .unhealthy_threshold_count(hc.unhealthy_threshold)
            .matcher(t::Matcher::builder().http_code(&hc.matcher).build());
        call!("ModifyTargetGroup", req.send()).map(drop)
    }

    /// Every attribute of a target group (e.g. `deregistration_delay.timeout_seconds`).
    pub async fn target_group_attributes(&self, arn: &str) -> Result<BTreeMap<String, String>, CloudError> {
        let out = call!(
            "DescribeTargetGroupAttributes",
            self.client.describe_target_group_attributes().target_group_arn(arn).send()
        )?;
        Ok(out
            .attributes
            .unwrap_or_default()
            .into_iter()
            .filter_map(|a| Some((a.key?, a.value.unwrap_or_default())))
            .collect())
    }

    /// Sets the given target group attributes (the others keep their values); none, no call.
    pub async fn set_target_group_attributes(
        &self,
        arn: &str,
        attrs: &BTreeMap<String, String>,
    ) -> Result<(), CloudError> {
        if attrs.is_empty() {
            return Ok(());
        }
        let attributes = attrs.iter().map(|(k, v)| t::TargetGroupAttribute::builder().key(k).value(v).build());
        let req = self
            .client
            .modify_target_group_attributes()
            .target_group_arn(arn)
            .set_attributes(Some(attributes.collect()));
        call!("ModifyTargetGroupAttributes", req.send()).map(drop)
    }

    /// Deletes a target group; one already gone is success, one a listener or rule still
    /// forwards to is `Busy` (`ResourceInUse`).
    pub async fn delete_target_group(&self, arn: &str) -> Result<(), CloudError> {
        gone_is_ok(call!("DeleteTargetGroup", self.client.delete_target_group().target_group_arn(arn).send()))
    }

    /// Every listener of a load balancer (all pages).
    pub async fn listeners(&self, load_balancer_arn: &str) -> Result<Vec<Listener>, CloudError> {
        all_pages(|marker| async move {
            let req = self
                .client
                .describe_listeners()
                .load_balancer_arn(load_balancer_arn)
                .page_size(PAGE)
                .set_marker(marker);
            let page = call!("DescribeListeners", req.send())?;
            Ok((page.listeners.unwrap_or_default().into_iter().map(listener_of).collect(), page.next_marker))
        })
        .await
    }

    /// Creates a listener with its tags (HTTPS: the certificate as its default certificate and
    /// the SSL policy).
    pub async fn create_listener(
        &self,
        load_balancer_arn: &str,
        l: &ListenerSettings,
        tags: &BTreeMap<String, String>,
    ) -> Result<Listener, CloudError> {
        let req = self
            .client
            .create_listener()
            .load_balancer_arn(load_balancer_arn)
            .port(l.port)
            .protocol(t::ProtocolEnum::from(l.protocol.as_str()))
            .set_certificates(certificates(l.certificate_arn.as_ref()))
            .set_ssl_policy(l.ssl_policy.clone())
            .default_actions(sdk_action(&l.default_action))
            .set_tags(tag_list(tags));
        let out = call!("CreateListener", req.send())?;
        let listener = out.listeners.unwrap_or_default().into_iter().next();
        listener.map(listener_of).ok_or_else(|| incomplete("elbv2:CreateListener", "listener"))
    }

    /// Sets port, protocol, certificate, SSL policy and default action of a listener.
    pub async fn modify_listener(&self, arn: &str, l: &ListenerSettings) -> Result<(), CloudError> {
        let req = self
            .client
            .modify_listener()
            .listener_arn(arn)
            .port(l.port)
            .protocol(t::ProtocolEnum::from(l.protocol.as_str()))
            .set_certificates(certificates(l.certificate_arn.as_ref()))
            .set_ssl_policy(l.ssl_policy.clone())
            .default_actions(sdk_action(&l.default_action));
        call!("ModifyListener", req.send()).map(drop)
    }

    /// Deletes a listener and its rules; one already gone is success.
    pub async fn delete_listener(&self, arn: &str) -> Result<(), CloudError> {
        gone_is_ok(call!("DeleteListener", self.client.delete_listener().listener_arn(arn).send()))
    }

    /// The rules of a listener (all pages), without its default rule (that is the listener's
    /// default action).
    pub async fn rules(&self, listener_arn: &str) -> Result<Vec<Rule>, CloudError> {
        all_pages(|marker| async move {
            let req = self.client.describe_rules().listener_arn(listener_arn).page_size(PAGE).set_marker(marker);
            let page = call!("DescribeRules", req.send())?;
            Ok((page.rules.unwrap_or_default().into_iter().filter_map(rule_of).collect(), page.next_marker))
        })
        .await
    }

    /// Creates a listener rule with its tags. A priority in use on the listener is `Busy`
    /// (`PriorityInUse`).
    pub async fn create_rule(
        &self,
        listener_arn: &str,
        priority: i32,
        conditions: &RuleConditions,
        action: &Action,
        tags: &BTreeMap<String, String>,
    ) -> Result<Rule, CloudError> {
        let req = self
            .client
            .create_rule()
            .listener_arn(listener_arn)
            .priority(priority)
            .set_conditions(Some(sdk_conditions(conditions)))
            .actions(sdk_action(action))
            .set_tags(tag_list(tags));
        let out = call!("CreateRule", req.send())?;
        let rule = out.rules.unwrap_or_default().into_iter().find_map(rule_of);
        rule.ok_or_else(|| incomplete("elbv2:CreateRule", "rule"))
    }

    /// Replaces the conditions and the action of a rule.
    pub async fn modify_rule(&self, arn: &str, conditions: &RuleConditions, action: &Action) -> Result<(), CloudError> {
        let req = self
            .client
            .modify_rule()
            .rule_arn(arn)
            .set_conditions(Some(sdk_conditions(conditions)))
            .actions(sdk_action(action));
        call!("ModifyRule", req.send()).map(drop)
    }

    /// Gives rules new priorities in one call (AWS checks the new order as a whole, so rules
    /// can swap priorities); none, no call.
    pub async fn set_rule_priorities(&self, priorities: &[(String, i32)]) -> Result<(), CloudError> {
        if priorities.is_empty() {
            return Ok(());
        }
        let pairs = priorities.iter().map(|(arn, p)| t::RulePriorityPair::builder().rule_arn(arn).priority(*p).build());
        let req = self.client.set_rule_priorities().set_rule_priorities(Some(pairs.collect()));
        call!("SetRulePriorities", req.send()).map(drop)
    }

    /// Deletes a listener rule; one already gone is success.
    pub async fn delete_rule(&self, arn: &str) -> Result<(), CloudError> {
        gone_is_ok(call!("DeleteRule", self.client.delete_rule().rule_arn(arn).send()))
    }

    /// The tags of load balancers, target groups, listeners and rules, by ARN, 20 ARNs a call.
    /// An ARN that names nothing is left out: AWS refuses a whole call for it (`*NotFound`), so
    /// then the ARNs of that call are read one by one.
    pub async fn tags(&self, arns: &[String]) -> Result<BTreeMap<String, BTreeMap<String, String>>, CloudError> {
        let mut out = BTreeMap::new();
        for chunk in arns.chunks(TAGS_PER_CALL) {
            match self.describe_tags(chunk).await {
                Ok(tags) => out.extend(tags),
                Err(e) if e.is_not_found() => {
                    for arn in chunk {
                        if let Some(tags) = self.describe_tags(std::slice::from_ref(arn)).await.optional()? {
                            out.extend(tags);
                        }
                    }
                }
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    async fn describe_tags(&self, arns: &[String]) -> Result<Vec<(String, BTreeMap<String, String>)>, CloudError> {
        let out = call!("DescribeTags", self.client.describe_tags().set_resource_arns(Some(arns.to_vec())).send())?;
        let descriptions = out.tag_descriptions.unwrap_or_default().into_iter();
        Ok(descriptions.filter_map(|d| Some((d.resource_arn?, tags_of(d.tags)))).collect())
    }

    /// Adds (or overwrites) tags on ELBv2 resources by ARN, 20 ARNs a call; no tags, no call.
    pub async fn add_tags(&self, arns: &[String], tags: &BTreeMap<String, String>) -> Result<(), CloudError> {
        let Some(list) = tag_list(tags) else { return Ok(()) };
        for chunk in arns.chunks(TAGS_PER_CALL) {
            let req = self.client.add_tags().set_resource_arns(Some(chunk.to_vec())).set_tags(Some(list.clone()));
            call!("AddTags", req.send())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forward_config(arns: &[&str]) -> t::ForwardActionConfig {
        let groups = arns.iter().map(|a| t::TargetGroupTuple::builder().target_group_arn(*a).weight(1).build());
        t::ForwardActionConfig::builder().set_target_groups(Some(groups.collect())).build()
    }

    #[test]
    fn a_forward_reads_from_either_form_and_only_to_one_target_group() {
        let arn_only = t::Action::builder().r#type(t::ActionTypeEnum::Forward).target_group_arn("tg-a").build();
        let config_only =
            t::Action::builder().r#type(t::ActionTypeEnum::Forward).forward_config(forward_config(&["tg-b"])).build();
        let weighted = t::Action::builder()
            .r#type(t::ActionTypeEnum::Forward)
            .forward_config(forward_config(&["tg-a", "tg-b"]))
            .build();
        assert_eq!(action_of(Some(vec![arn_only])), Some(Action::Forward { target_group_arn: "tg-a".into() }));
        assert_eq!(action_of(Some(vec![config_only])), Some(Action::Forward { target_group_arn: "tg-b".into() }));
        assert_eq!(action_of(Some(vec![weighted])), None, "a weighted forward is not one Stackwright sets");
        assert_eq!(action_of(None), None);
    }

    #[test]
    fn the_first_action_in_order_is_the_one_read() {
        let auth = t::Action::builder().r#type(t::ActionTypeEnum::AuthenticateOidc).order(1).build();
        let forward = t::Action::builder().r#type(t::ActionTypeEnum::Forward).target_group_arn("tg").order(2).build();
        assert_eq!(action_of(Some(vec![forward.clone(), auth])), None, "authentication comes first");
        let fixed = t::Action::builder()
            .r#type(t::ActionTypeEnum::FixedResponse)
            .order(1)
            .fixed_response_config(
                t::FixedResponseActionConfig::builder().status_code("404").content_type("text/plain").build(),
            )
            .build();
        assert_eq!(
            action_of(Some(vec![forward, fixed])),
            Some(Action::FixedResponse {
                status_code: "404".into(),
                content_type: "text/plain".into(),
                body: String::new()
            })
        );
    }

    #[test]
    fn actions_survive_the_round_trip() {
        for action in [
            Action::Forward { target_group_arn: "arn:tg".into() },
            Action::FixedResponse { status_code: "404".into(), content_type: "text/plain".into(), body: "no".into() },
            Action::FixedResponse { status_code: "503".into(), content_type: "text/plain".into(), body: String::new() },
            Action::Redirect { protocol: "HTTPS".into(), port: "443".into(), status_code: "HTTP_301".into() },
        ] {
            assert_eq!(action_of(Some(vec![sdk_action(&action)])), Some(action.clone()));
        }
    }

    #[test]
    fn conditions_read_from_values_and_from_configs() {
        let old = vec![
            t::RuleCondition::builder().field("path-pattern").values("/api/*").build(),
            t::RuleCondition::builder().field("host-header").values("a.example.com").build(),
        ];
        let new = sdk_conditions(&RuleConditions {
            paths: vec!["/api/*".into(), "/v2/*".into()],
            hosts: vec!["a.example.com".into()],
        });
        assert_eq!(
            conditions_of(Some(old)),
            RuleConditions { paths: vec!["/api/*".into()], hosts: vec!["a.example.com".into()] }
        );
        assert_eq!(
            conditions_of(Some(new)),
            RuleConditions { paths: vec!["/api/*".into(), "/v2/*".into()], hosts: vec!["a.example.com".into()] }
        );
        let only_hosts = sdk_conditions(&RuleConditions { paths: vec![], hosts: vec!["b.example.com".into()] });
        assert_eq!(only_hosts.len(), 1, "an empty list is left out");
        assert_eq!(only_hosts[0].field.as_deref(), Some("host-header"));
        assert!(only_hosts[0].values.is_none(), "values go in HostHeaderConfig");
    }

    #[test]
    fn the_default_rule_is_not_a_rule() {
        let default = t::Rule::builder().rule_arn("r0").priority("default").is_default(true).build();
        let rule = t::Rule::builder().rule_arn("r1").priority("10").is_default(false).build();
        assert_eq!(rule_of(default), None);
        let rule = rule_of(rule).unwrap_or_else(|| panic!("a numbered rule is a rule"));
        assert_eq!((rule.arn.as_str(), rule.priority), ("r1", 10));
    }
}
