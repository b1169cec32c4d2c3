//! Listings paged by a marker (RDS, ElastiCache and IAM `Marker`, ECS and CloudWatch Logs
//! `nextToken`): one loop for every listing call that pages.

use std::future::Future;

use crate::CloudError;

/// Calls `page` with the marker of each next page (`None` first) until a page has no marker, and
/// returns the items of every page in order. `page` answers one page: its items and its marker.
pub(crate) async fn all_pages<T, F, Fut>(mut page: F) -> Result<Vec<T>, CloudError>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<(Vec<T>, Option<String>), CloudError>>,
{
    let mut out = Vec::new();
    let mut marker = None;
    loop {
        let (items, next) = page(marker).await?;
        out.extend(items);
        match next {
            Some(next) if !next.is_empty() => marker = Some(next),
            _ => return Ok(out),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn pages_are_followed_until_one_has_no_marker() {
        let asked = std::cell::RefCell::new(Vec::new());
        let items = all_pages(|marker: Option<String>| {
            asked.borrow_mut().push(marker.clone());
            std::future::ready(Ok(match marker.as_deref() {
                None => (vec![1, 2], Some("b".to_string())),
                Some("b") => (vec![3], Some(String::new())),
                _ => (vec![99], None),
            }))
        })
        .await
        .unwrap();
        assert_eq!(items, [1, 2, 3], "an empty marker ends the listing too");
        assert_eq!(asked.into_inner(), [None, Some("b".to_string())]);
    }
}
