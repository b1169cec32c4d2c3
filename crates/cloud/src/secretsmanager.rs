//! Secrets Manager: the secrets Stackwright generates and owns (a Cache's AUTH token), and the
//! [`Redacted`] type that keeps secret values out of logs, errors and debug output.

use std::collections::BTreeMap;

use aws_sdk_secretsmanager::Client;
use aws_sdk_secretsmanager::types as t;
use rand::Rng;

use crate::error::{CloudError, ErrorCategory, OptionalExt};

/// A secret value. Its `Debug` prints `<redacted>`, it has no `Display`, and only
/// [`Redacted::expose`] gives the text: a log line, an Event or an error message that formats a
/// struct holding one cannot carry the secret by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Redacted(String);

impl Redacted {
    pub fn new(value: impl Into<String>) -> Self {
        Redacted(value.into())
    }

    /// The secret itself, for the one call that must send it to AWS.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Redacted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// What ElastiCache allows in an AUTH token besides letters and digits (CreateReplicationGroup,
/// `AuthToken`: "The only permitted printable special characters are !, &, #, $, ^, <, >, and -").
const AUTH_TOKEN_SPECIALS: &[u8] = b"!&#$^<>-";
/// The length of a generated AUTH token (ElastiCache takes 16 to 128 characters).
pub const AUTH_TOKEN_LENGTH: usize = 64;

/// A new ElastiCache AUTH token: 64 characters drawn uniformly from the alphabet ElastiCache
/// allows, by a cryptographically secure generator (the thread-local ChaCha generator seeded from
/// the operating system), with at least one upper-case letter, lower-case letter, digit and
/// special character each, as AWS recommends (a draw that lacks one is drawn again).
pub fn generate_auth_token() -> Redacted {
    let alphabet: Vec<u8> =
        (b'A'..=b'Z').chain(b'a'..=b'z').chain(b'0'..=b'9').chain(AUTH_TOKEN_SPECIALS.iter().copied()).collect();
    let mut rng = rand::rng();
    loop {
        let token: String =
            (0..AUTH_TOKEN_LENGTH).map(|_| char::from(alphabet[rng.random_range(0..alphabet.len())])).collect();
        let has = |f: fn(&u8) -> bool| token.as_bytes().iter().any(f);
        if has(u8::is_ascii_uppercase)
            && has(u8::is_ascii_lowercase)
            && has(u8::is_ascii_digit)
            && has(|c| AUTH_TOKEN_SPECIALS.contains(c))
        {
            return Redacted(token);
        }
    }
}

/// A secret's metadata (never its value).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Secret {
    pub arn: String,
    pub name: String,
    pub tags: BTreeMap<String, String>,
    /// Deleted with a recovery window: it still holds its name until the window ends, and
    /// RestoreSecret brings it back.
    pub scheduled_for_deletion: bool,
}

/// The Secrets Manager client for one region.
#[derive(Clone, Debug)]
pub struct SecretsManager {
    client: Client,
}

macro_rules! call {
    ($op:literal, $fut:expr) => {
        $fut.await.map_err(|e| CloudError::from_sdk(concat!("secretsmanager:", $op), e))
    };
}

fn tag_list(tags: &BTreeMap<String, String>) -> Vec<t::Tag> {
    tags.iter().map(|(k, v)| t::Tag::builder().key(k).value(v).build()).collect()
}

impl SecretsManager {
    pub(crate) fn new(client: Client) -> Self {
        SecretsManager { client }
    }

    /// Creates a secret holding `value`, with its tags, and returns its ARN.
    ///
    /// `client_request_token` (32 to 64 characters, e.g. the owning object's UID) becomes the
    /// secret's first version id and makes the call idempotent: the same name, token and value
    /// again return the same secret. AlreadyExists (ResourceExistsException) means the name is
    /// taken by a secret created with another token or value, e.g. by an earlier attempt that
    /// generated another token before a crash: observe again ([`SecretsManager::describe`]) and
    /// use the stored value.
    pub async fn create_secret(
        &self,
        name: &str,
        value: &Redacted,
        tags: &BTreeMap<String, String>,
        client_request_token: &str,
    ) -> Result<String, CloudError> {
        const OP: &str = "secretsmanager:CreateSecret";
        let req = self
            .client
            .create_secret()
            .name(name)
            .secret_string(value.expose())
            .client_request_token(client_request_token)
            .set_tags(Some(tag_list(tags)));
        let out = call!("CreateSecret", req.send())?;
        out.arn.ok_or_else(|| CloudError {
            category: ErrorCategory::Transient,
            operation: OP,
            code: "IncompleteResponse".into(),
            message: "the response has no ARN".into(),
        })
    }

    /// A secret's metadata by name or ARN, or `None` (also once a deletion has completed).
    pub async fn describe(&self, id: &str) -> Result<Option<Secret>, CloudError> {
        let Some(out) = call!("DescribeSecret", self.client.describe_secret().secret_id(id).send()).optional()? else {
            return Ok(None);
        };
        Ok(Some(Secret {
            arn: out.arn.unwrap_or_default(),
            name: out.name.unwrap_or_default(),
            tags: out
                .tags
                .unwrap_or_default()
                .into_iter()
                .filter_map(|t| Some((t.key?, t.value.unwrap_or_default())))
                .collect(),
            scheduled_for_deletion: out.deleted_date.is_some(),
        }))
    }

    /// The current value of a string secret. Only for handing it straight to the AWS call that
    /// needs it (CreateReplicationGroup's AUTH token); it is never stored or logged.
    pub async fn secret_value(&self, id: &str) -> Result<Redacted, CloudError> {
        let out = call!("GetSecretValue", self.client.get_secret_value().secret_id(id).send())?;
        out.secret_string.map(Redacted).ok_or_else(|| CloudError {
            category: ErrorCategory::Invalid,
            operation: "secretsmanager:GetSecretValue",
            code: "NoSecretString".into(),
            message: format!("secret {id} holds binary data, not a string"),
        })
    }

    /// Deletes a secret: at once with `force_without_recovery`, otherwise after AWS's default
    /// recovery window of 30 days, during which it keeps its name. A secret already scheduled for
    /// deletion is refused (Invalid) unless forced: check [`Secret::scheduled_for_deletion`] first.
    pub async fn delete_secret(&self, id: &str, force_without_recovery: bool) -> Result<(), CloudError> {
        let mut req = self.client.delete_secret().secret_id(id);
        if force_without_recovery {
            req = req.force_delete_without_recovery(true);
        }
        call!("DeleteSecret", req.send()).map(drop)
    }

    /// Cancels a scheduled deletion.
    pub async fn restore_secret(&self, id: &str) -> Result<(), CloudError> {
        call!("RestoreSecret", self.client.restore_secret().secret_id(id).send()).map(drop)
    }

    /// Adds (or overwrites) tags.
    pub async fn tag(&self, id: &str, tags: &BTreeMap<String, String>) -> Result<(), CloudError> {
        call!("TagResource", self.client.tag_resource().secret_id(id).set_tags(Some(tag_list(tags))).send()).map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_tokens_have_the_length_and_alphabet_elasticache_allows() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..200 {
            let token = generate_auth_token();
            let text = token.expose();
            assert_eq!(text.len(), AUTH_TOKEN_LENGTH);
            assert!(
                text.bytes().all(|c| c.is_ascii_alphanumeric() || b"!&#$^<>-".contains(&c)),
                "a character ElastiCache refuses"
            );
            assert!(text.bytes().any(|c| c.is_ascii_uppercase()));
            assert!(text.bytes().any(|c| c.is_ascii_lowercase()));
            assert!(text.bytes().any(|c| c.is_ascii_digit()));
            assert!(text.bytes().any(|c| b"!&#$^<>-".contains(&c)));
            assert!(seen.insert(text.to_string()), "a token repeated");
        }
    }

    #[test]
    fn a_redacted_value_never_shows_in_debug_output() {
        let token = Redacted::new("s3cret-value");
        assert_eq!(format!("{token:?}"), "<redacted>");
        assert_eq!(format!("{:?}", Some(&token)), "Some(<redacted>)");
        assert_eq!(token.expose(), "s3cret-value");
    }
}
