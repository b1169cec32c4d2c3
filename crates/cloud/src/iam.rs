//! IAM: the task execution role and task role an AppStack owns, each with one inline policy.
//! IAM is global; policy documents are JSON text (IAM returns them URL-encoded, this module
//! decodes them).

use std::collections::BTreeMap;

use aws_sdk_iam::Client;

use crate::error::CloudError;

/// An IAM role.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Role {
    pub name: String,
    pub arn: String,
    /// The trust policy document (JSON text, decoded).
    pub assume_role_policy: String,
    pub tags: BTreeMap<String, String>,
}

/// The IAM client.
#[derive(Clone, Debug)]
pub struct Iam {
    client: Client,
}

impl Iam {
    pub(crate) fn new(client: Client) -> Self {
        Iam { client }
    }
}
