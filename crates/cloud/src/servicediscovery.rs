//! AWS Cloud Map: the HTTP namespace in which an AppStack's services find each other through ECS
//! Service Connect, and the Cloud Map services ECS creates in it.
//!
//! ECS creates a Cloud Map service per name a service offers and leaves it behind when the ECS
//! service is deleted; a namespace with services cannot be deleted (`ResourceInUse`), so the
//! stack deletes them first.

use std::collections::BTreeMap;

use aws_sdk_servicediscovery::Client;
use aws_sdk_servicediscovery::types as t;

use crate::error::{CloudError, OptionalExt};
use crate::paging::all_pages;

/// A namespace as ListNamespaces reports it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Namespace {
    pub id: String,
    pub arn: String,
    pub name: String,
}

/// A Cloud Map service in a namespace.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DiscoveryService {
    pub id: String,
    pub name: String,
}

/// The Cloud Map client for one region.
#[derive(Clone, Debug)]
pub struct CloudMap {
    client: Client,
}

macro_rules! call {
    ($op:literal, $fut:expr) => {
        $fut.await.map_err(|e| CloudError::from_sdk(concat!("servicediscovery:", $op), e))
    };
}

impl CloudMap {
    pub(crate) fn new(client: Client) -> Self {
        CloudMap { client }
    }

    /// The HTTP namespace of exactly this name, `None` if there is none (one ListNamespaces).
    pub async fn http_namespace(&self, name: &str) -> Result<Option<Namespace>, CloudError> {
        const OP: &str = "servicediscovery:ListNamespaces";
        let by_name = t::NamespaceFilter::builder()
            .name(t::NamespaceFilterName::Name)
            .values(name)
            .condition(t::FilterCondition::Eq)
            .build()
            .map_err(|e| CloudError::unbuildable(OP, e))?;
        let http = t::NamespaceFilter::builder()
            .name(t::NamespaceFilterName::Type)
            .values("HTTP")
            .condition(t::FilterCondition::Eq)
            .build()
            .map_err(|e| CloudError::unbuildable(OP, e))?;
        let found = all_pages(|token| {
            let req =
                self.client.list_namespaces().filters(by_name.clone()).filters(http.clone()).set_next_token(token);
            async move {
                let page = call!("ListNamespaces", req.send())?;
                let namespaces = page
                    .namespaces
                    .unwrap_or_default()
                    .into_iter()
                    .map(|n| Namespace {
                        id: n.id.unwrap_or_default(),
                        arn: n.arn.unwrap_or_default(),
                        name: n.name.unwrap_or_default(),
                    })
                    .collect();
                Ok((namespaces, page.next_token))
            }
        })
        .await?;
        Ok(found.into_iter().find(|n| n.name == name))
    }

    /// The tags of a namespace by ARN, `None` if it is gone.
    pub async fn tags(&self, arn: &str) -> Result<Option<BTreeMap<String, String>>, CloudError> {
        let out =
            call!("ListTagsForResource", self.client.list_tags_for_resource().resource_arn(arn).send()).optional()?;
        Ok(out.map(|o| o.tags.unwrap_or_default().into_iter().map(|t| (t.key, t.value)).collect()))
    }

    /// Starts creating an HTTP namespace with its tags; returns the operation's id. The same
    /// `creator_request_id` again is the same request (nothing new is created); a name in use
    /// otherwise is `AlreadyExists`. The namespace is listed once the operation succeeded.
    pub async fn create_http_namespace(
        &self,
        name: &str,
        creator_request_id: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<String, CloudError> {
        let tags = tag_list("servicediscovery:CreateHttpNamespace", tags)?;
        let req = self
            .client
            .create_http_namespace()
            .name(name)
            .creator_request_id(creator_request_id)
            .description("Stackwright: the services of one AppStack (ECS Service Connect)")
            .set_tags((!tags.is_empty()).then_some(tags));
        Ok(call!("CreateHttpNamespace", req.send())?.operation_id.unwrap_or_default())
    }

    /// Adds (or overwrites) tags on a namespace by ARN (no call for none).
    pub async fn tag_resource(&self, arn: &str, tags: &BTreeMap<String, String>) -> Result<(), CloudError> {
        if tags.is_empty() {
            return Ok(());
        }
        let tags = tag_list("servicediscovery:TagResource", tags)?;
        call!("TagResource", self.client.tag_resource().resource_arn(arn).set_tags(Some(tags)).send()).map(drop)
    }

    /// The Cloud Map services in a namespace.
    pub async fn services(&self, namespace_id: &str) -> Result<Vec<DiscoveryService>, CloudError> {
        const OP: &str = "servicediscovery:ListServices";
        let in_namespace = t::ServiceFilter::builder()
            .name(t::ServiceFilterName::NamespaceId)
            .values(namespace_id)
            .condition(t::FilterCondition::Eq)
            .build()
            .map_err(|e| CloudError::unbuildable(OP, e))?;
        all_pages(|token| {
            let req = self.client.list_services().filters(in_namespace.clone()).set_next_token(token);
            async move {
                let page = call!("ListServices", req.send())?;
                let services = page
                    .services
                    .unwrap_or_default()
                    .into_iter()
                    .map(|s| DiscoveryService { id: s.id.unwrap_or_default(), name: s.name.unwrap_or_default() })
                    .collect();
                Ok((services, page.next_token))
            }
        })
        .await
    }

    /// Deletes a Cloud Map service; a missing one is success, one with instances still
    /// registered is `Busy`.
    pub async fn delete_service(&self, id: &str) -> Result<(), CloudError> {
        call!("DeleteService", self.client.delete_service().id(id).send()).optional().map(drop)
    }

    /// Starts deleting a namespace; a missing one is success, one that still has services is
    /// `Busy` (`ResourceInUse`).
    pub async fn delete_namespace(&self, id: &str) -> Result<(), CloudError> {
        call!("DeleteNamespace", self.client.delete_namespace().id(id).send()).optional().map(drop)
    }
}

fn tag_list(operation: &'static str, tags: &BTreeMap<String, String>) -> Result<Vec<t::Tag>, CloudError> {
    tags.iter()
        .map(|(k, v)| t::Tag::builder().key(k).value(v).build().map_err(|e| CloudError::unbuildable(operation, e)))
        .collect()
}
