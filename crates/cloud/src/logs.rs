//! CloudWatch Logs: the log group of each AppStack service, with its retention.

use std::collections::BTreeMap;

use aws_sdk_cloudwatchlogs::Client;

use crate::error::CloudError;

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

impl Logs {
    pub(crate) fn new(client: Client) -> Self {
        Logs { client }
    }
}
