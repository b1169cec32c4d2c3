//! CloudWatch Logs: the log group of each AppStack service, with its retention.

use std::collections::BTreeMap;

use aws_sdk_cloudwatchlogs::Client;

use crate::error::{CloudError, OptionalExt};
use crate::paging::all_pages;

/// A log group.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogGroup {
    pub name: String,
    /// The ARN without the trailing `:*` (the form tagging calls take).
    pub arn: String,
    pub retention_days: Option<i32>,
    /// `None` when read by a listing (DescribeLogGroups returns no tags).
    pub tags: Option<BTreeMap<String, String>>,
}

/// The CloudWatch Logs client for one region.
#[derive(Clone, Debug)]
pub struct Logs {
    client: Client,
}

macro_rules! call {
    ($op:literal, $fut:expr) => {
        $fut.await.map_err(|e| CloudError::from_sdk(concat!("logs:", $op), e))
    };
}

fn log_group_of(g: aws_sdk_cloudwatchlogs::types::LogGroup) -> LogGroup {
    // `logGroupArn` is the ARN without `:*`; older answers only have `arn`, which ends in it.
    let arn = g.log_group_arn.or_else(|| g.arn.map(|a| a.strip_suffix(":*").map_or(a.clone(), str::to_string)));
    LogGroup {
        name: g.log_group_name.unwrap_or_default(),
        arn: arn.unwrap_or_default(),
        retention_days: g.retention_in_days,
        tags: None,
    }
}

impl Logs {
    pub(crate) fn new(client: Client) -> Self {
        Logs { client }
    }

    /// Every log group whose name starts with `prefix`, all pages, without tags.
    pub async fn log_groups(&self, prefix: &str) -> Result<Vec<LogGroup>, CloudError> {
        all_pages(|token| async move {
            let req = self.client.describe_log_groups().log_group_name_prefix(prefix).set_next_token(token);
            let page = call!("DescribeLogGroups", req.send())?;
            Ok((page.log_groups.unwrap_or_default().into_iter().map(log_group_of).collect(), page.next_token))
        })
        .await
    }

    /// The log group of exactly this name with its tags (two calls), `None` if there is none.
    pub async fn log_group(&self, name: &str) -> Result<Option<LogGroup>, CloudError> {
        let Some(mut group) = self.log_groups(name).await?.into_iter().find(|g| g.name == name) else {
            return Ok(None);
        };
        let Some(tags) = self.tags(&group.arn).await? else { return Ok(None) };
        group.tags = Some(tags);
        Ok(Some(group))
    }

    /// The tags of the log group with this ARN (without `:*`), `None` if it is gone.
    pub async fn tags(&self, arn: &str) -> Result<Option<BTreeMap<String, String>>, CloudError> {
        let out =
            call!("ListTagsForResource", self.client.list_tags_for_resource().resource_arn(arn).send()).optional()?;
        Ok(out.map(|o| o.tags.unwrap_or_default().into_iter().collect()))
    }

    /// Creates a log group with its tags (no retention: see [`Logs::set_retention`]). A name in
    /// use is `AlreadyExists`.
    pub async fn create_log_group(&self, name: &str, tags: &BTreeMap<String, String>) -> Result<(), CloudError> {
        let tags = (!tags.is_empty()).then(|| tags.clone().into_iter().collect());
        call!("CreateLogGroup", self.client.create_log_group().log_group_name(name).set_tags(tags).send()).map(drop)
    }

    /// Sets how many days the group keeps events (CloudWatch Logs allows 1, 3, 5, 7, 14, 30, ...).
    pub async fn set_retention(&self, name: &str, days: i32) -> Result<(), CloudError> {
        call!(
            "PutRetentionPolicy",
            self.client.put_retention_policy().log_group_name(name).retention_in_days(days).send()
        )
        .map(drop)
    }

    /// Deletes a log group with its events; a missing one is success.
    pub async fn delete_log_group(&self, name: &str) -> Result<(), CloudError> {
        call!("DeleteLogGroup", self.client.delete_log_group().log_group_name(name).send()).optional().map(drop)
    }

    /// Adds (or overwrites) tags on a log group by its ARN (without `:*`; no call for none).
    pub async fn tag_log_group(&self, arn: &str, tags: &BTreeMap<String, String>) -> Result<(), CloudError> {
        if tags.is_empty() {
            return Ok(());
        }
        let tags = tags.clone().into_iter().collect();
        call!("TagResource", self.client.tag_resource().resource_arn(arn).set_tags(Some(tags)).send()).map(drop)
    }
}
