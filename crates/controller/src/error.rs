//! The controller's error type: every failure a reconcile can return, with a bounded category.

use stackwright_cloud::CloudError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("kubernetes API: {0}")]
    Kube(#[from] kube::Error),
    #[error("{0}")]
    Cloud(#[from] CloudError),
    #[error("finalizer: {0}")]
    Finalizer(#[source] Box<kube::runtime::finalizer::Error<Error>>),
    #[error("serializing status: {0}")]
    Serialization(#[from] serde_json::Error),
    /// Cleanup cannot finish until a person acts (reported in a Stalled condition). An error, so
    /// that the finalizer stays: returning Ok from cleanup would release the object.
    #[error("cleanup waits: {0}")]
    CleanupBlocked(String),
    /// Cleanup is under way in AWS (a DB instance deleting, a security group still in use): look
    /// again soon, without backing off. An error for the same reason as `CleanupBlocked`.
    #[error("cleanup in progress: {0}")]
    CleanupInProgress(String),
    /// Something the reconcile reads is not available yet (a watch still listing).
    #[error("not ready: {0}")]
    NotReady(String),
}

impl Error {
    /// A fixed word for metrics labels and logs.
    pub fn category(&self) -> &'static str {
        match self {
            Error::Kube(_) => "kubernetes",
            Error::Cloud(e) => e.category.as_str(),
            Error::Finalizer(inner) => match inner.as_ref() {
                kube::runtime::finalizer::Error::ApplyFailed(e) | kube::runtime::finalizer::Error::CleanupFailed(e) => {
                    e.category()
                }
                _ => "kubernetes",
            },
            Error::Serialization(_) => "serialization",
            Error::CleanupBlocked(_) => "cleanup_blocked",
            Error::CleanupInProgress(_) => "cleanup_in_progress",
            Error::NotReady(_) => "not_ready",
        }
    }

    /// Whether this is cleanup waiting for AWS, not a failure.
    pub fn is_cleanup_in_progress(&self) -> bool {
        match self {
            Error::CleanupInProgress(_) => true,
            Error::Finalizer(inner) => {
                matches!(inner.as_ref(), kube::runtime::finalizer::Error::CleanupFailed(e) if e.is_cleanup_in_progress())
            }
            _ => false,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
