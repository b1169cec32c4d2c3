//! Estimated fixed monthly cost of what an object owns, from a built-in price table.
//!
//! Only charges that accrue whether or not the resource is used are counted (instance hours,
//! provisioned storage, load balancer hours). Usage-based charges are left out.

/// S3 has no fixed charge for a bucket: storage, requests and transfer are all usage-based.
pub fn bucket() -> String {
    usd(0.0)
}

/// Formats dollars the way status reports them: a string with two decimals.
pub fn usd(amount: f64) -> String {
    format!("{amount:.2}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats_two_decimals() {
        assert_eq!(super::usd(58.2), "58.20");
        assert_eq!(super::bucket(), "0.00");
    }
}
