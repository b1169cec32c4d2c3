//! IAM: the task execution role and task role an AppStack owns, each with one inline policy.
//! IAM is global; policy documents are JSON text (IAM returns them URL-encoded, this module
//! decodes them).

use std::collections::BTreeMap;

use aws_sdk_iam::Client;
use aws_sdk_iam::types as t;

use crate::error::{CloudError, OptionalExt};
use crate::paging::all_pages;

/// The path of every role Stackwright creates: `arn:aws:iam::<account>:role/stackwright/<name>`.
pub const ROLE_PATH: &str = "/stackwright/";

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

macro_rules! call {
    ($op:literal, $fut:expr) => {
        $fut.await.map_err(|e| CloudError::from_sdk(concat!("iam:", $op), e))
    };
}

fn tags_of(list: Option<Vec<t::Tag>>) -> BTreeMap<String, String> {
    list.unwrap_or_default().into_iter().map(|t| (t.key, t.value)).collect()
}

fn tag_list(operation: &'static str, tags: &BTreeMap<String, String>) -> Result<Vec<t::Tag>, CloudError> {
    tags.iter()
        .map(|(k, v)| t::Tag::builder().key(k).value(v).build())
        .collect::<Result<_, _>>()
        .map_err(|e| CloudError::unbuildable(operation, e))
}

fn role_of(r: t::Role) -> Role {
    Role {
        name: r.role_name,
        arn: r.arn,
        assume_role_policy: r.assume_role_policy_document.as_deref().map(decode_policy).unwrap_or_default(),
        tags: tags_of(r.tags),
    }
}

/// A policy document as IAM returns it: URL-encoded (RFC 3986), decoded to its JSON text. A
/// document that is JSON text already (it starts with `{`, which an encoded one cannot) is left
/// as it is, so that a literal `%` in it is never taken for an escape.
fn decode_policy(document: &str) -> String {
    if document.trim_start().starts_with('{') { document.to_string() } else { percent_decode(document) }
}

/// Percent-decoding (RFC 3986 section 2.1; `+` is a plain character there, not a space). A `%`
/// not followed by two hex digits stays as it is; bytes that are not UTF-8 once decoded leave
/// the text as it was.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: Option<&u8>| b.and_then(|b| char::from(*b).to_digit(16));
        match (bytes[i], hex(bytes.get(i + 1)), hex(bytes.get(i + 2))) {
            (b'%', Some(high), Some(low)) => {
                // Two hex digits make a value below 256.
                out.push(u8::try_from(high * 16 + low).unwrap_or(b'%'));
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| text.to_string())
}

impl Iam {
    pub(crate) fn new(client: Client) -> Self {
        Iam { client }
    }

    /// A role with its tags and decoded trust policy, `None` if there is none of this name.
    pub async fn role(&self, name: &str) -> Result<Option<Role>, CloudError> {
        let out = call!("GetRole", self.client.get_role().role_name(name).send()).optional()?;
        Ok(out.and_then(|o| o.role).map(role_of))
    }

    /// Creates a role under the path [`ROLE_PATH`] with its trust policy, description and tags
    /// (the path lets the controller's own IAM policy reach only the roles it creates). A name in
    /// use is `AlreadyExists` (role names are unique whatever the path).
    pub async fn create_role(
        &self,
        name: &str,
        assume_role_policy: &str,
        description: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<Role, CloudError> {
        let req = self
            .client
            .create_role()
            .path(ROLE_PATH)
            .role_name(name)
            .assume_role_policy_document(assume_role_policy)
            .description(description)
            .set_tags((!tags.is_empty()).then(|| tag_list("iam:CreateRole", tags)).transpose()?);
        let out = call!("CreateRole", req.send())?;
        Ok(out.role.map(role_of).unwrap_or_default())
    }

    /// Replaces a role's trust policy.
    pub async fn update_assume_role_policy(&self, name: &str, policy: &str) -> Result<(), CloudError> {
        call!(
            "UpdateAssumeRolePolicy",
            self.client.update_assume_role_policy().role_name(name).policy_document(policy).send()
        )
        .map(drop)
    }

    /// The decoded document of a role's inline policy, `None` if the role has no policy of this
    /// name (or there is no such role).
    pub async fn role_policy(&self, role: &str, policy_name: &str) -> Result<Option<String>, CloudError> {
        let out = call!("GetRolePolicy", self.client.get_role_policy().role_name(role).policy_name(policy_name).send())
            .optional()?;
        Ok(out.map(|o| decode_policy(&o.policy_document)))
    }

    /// Creates or replaces a role's inline policy.
    pub async fn put_role_policy(&self, role: &str, policy_name: &str, document: &str) -> Result<(), CloudError> {
        let req = self.client.put_role_policy().role_name(role).policy_name(policy_name).policy_document(document);
        call!("PutRolePolicy", req.send()).map(drop)
    }

    /// The names of a role's inline policies, all pages.
    pub async fn role_policy_names(&self, role: &str) -> Result<Vec<String>, CloudError> {
        all_pages(|marker| async move {
            let page =
                call!("ListRolePolicies", self.client.list_role_policies().role_name(role).set_marker(marker).send())?;
            let next = if page.is_truncated { page.marker } else { None };
            Ok((page.policy_names, next))
        })
        .await
    }

    /// Deletes a role's inline policy; one that is missing is success.
    pub async fn delete_role_policy(&self, role: &str, policy_name: &str) -> Result<(), CloudError> {
        call!("DeleteRolePolicy", self.client.delete_role_policy().role_name(role).policy_name(policy_name).send())
            .optional()
            .map(drop)
    }

    /// The ARNs of the managed policies attached to a role, all pages (Stackwright attaches none;
    /// a role must be rid of them before IAM deletes it).
    pub async fn attached_policy_arns(&self, role: &str) -> Result<Vec<String>, CloudError> {
        all_pages(|marker| async move {
            let req = self.client.list_attached_role_policies().role_name(role).set_marker(marker);
            let page = call!("ListAttachedRolePolicies", req.send())?;
            let arns = page.attached_policies.unwrap_or_default().into_iter().filter_map(|p| p.policy_arn).collect();
            Ok((arns, if page.is_truncated { page.marker } else { None }))
        })
        .await
    }

    /// Detaches a managed policy from a role; one that is not attached is success.
    pub async fn detach_role_policy(&self, role: &str, arn: &str) -> Result<(), CloudError> {
        call!("DetachRolePolicy", self.client.detach_role_policy().role_name(role).policy_arn(arn).send())
            .optional()
            .map(drop)
    }

    /// Deletes a role (`Busy` while it still has inline or attached policies, or an instance
    /// profile); a missing one is success.
    pub async fn delete_role(&self, name: &str) -> Result<(), CloudError> {
        call!("DeleteRole", self.client.delete_role().role_name(name).send()).optional().map(drop)
    }

    /// Adds (or overwrites) tags on a role (no call for none).
    pub async fn tag_role(&self, name: &str, tags: &BTreeMap<String, String>) -> Result<(), CloudError> {
        if tags.is_empty() {
            return Ok(());
        }
        let tags = tag_list("iam:TagRole", tags)?;
        call!("TagRole", self.client.tag_role().role_name(name).set_tags(Some(tags)).send()).map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_documents_are_percent_decoded() {
        let json = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
        // As IAM sends it (Python's quote, as moto, and AWS alike keep `/` and `-` `.` `_` `~`).
        let encoded = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22Service%22%3A%22ecs-tasks.amazonaws.com%22%7D%2C%22Action%22%3A%22sts%3AAssumeRole%22%7D%5D%7D";
        assert_eq!(decode_policy(encoded), json);
        assert_eq!(decode_policy(json), json, "plain JSON is left as it is");
        assert_eq!(decode_policy("%7B%22a%22%3A%20%22b%2Bc%22%7D"), r#"{"a": "b+c"}"#);
        assert_eq!(decode_policy("%7b%22%c3%a9%22%7d"), "{\"é\"}", "lower-case hex, UTF-8 sequences");
    }

    #[test]
    fn what_is_no_escape_stays_as_it_is() {
        assert_eq!(percent_decode("a+b"), "a+b", "+ is no space in RFC 3986");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%4"), "%4");
        assert_eq!(percent_decode("%zz%41"), "%zzA");
        assert_eq!(percent_decode("%FF"), "%FF", "not UTF-8 once decoded: the text as it was");
        assert_eq!(decode_policy(r#"  {"Sid":"100%41"}"#), r#"  {"Sid":"100%41"}"#);
    }
}
