//! Which URL each product is reached at: the public HTTPS hosts (facts §6) or one override URL
//! for everything (how agents reach the emulator). VPC hosts are not chosen automatically.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ids::RegionId;

/// An Alibaba Cloud product this client calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Product {
    /// Resource Access Management (global).
    Ram,
    /// Security Token Service.
    Sts,
    /// E-MapReduce.
    Emr,
    /// DataWorks.
    #[serde(rename = "dataworks")]
    DataWorks,
}

/// Where requests go.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoints {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    override_url: Option<String>,
}

// === impl Product ===

impl Product {
    /// The lower-case product code used in host names, e.g. `dataworks`.
    pub fn code(self) -> &'static str {
        match self {
            Product::Ram => "ram",
            Product::Sts => "sts",
            Product::Emr => "emr",
            Product::DataWorks => "dataworks",
        }
    }

    /// The public host of this product in `region`.
    pub fn public_host(self, region: &RegionId) -> String {
        match self {
            Product::Ram => "ram.aliyuncs.com".to_owned(),
            other => format!("{}.{region}.aliyuncs.com", other.code()),
        }
    }
}

impl fmt::Display for Product {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

// === impl Endpoints ===

impl Endpoints {
    /// The public endpoints.
    pub fn public() -> Self {
        Self::default()
    }

    /// Sends every product to `url` (e.g. `http://127.0.0.1:1234`).
    pub fn with_override(url: impl Into<String>) -> Self {
        Self {
            override_url: Some(url.into()),
        }
    }

    /// The override URL, if any.
    pub fn override_url(&self) -> Option<&str> {
        self.override_url.as_deref()
    }

    /// The URL (ending in `/`, the RPC path) for `product` in `region`.
    pub fn url(&self, product: Product, region: &RegionId) -> String {
        match &self.override_url {
            Some(url) if url.ends_with('/') => url.clone(),
            Some(url) => format!("{url}/"),
            None => format!("https://{}/", product.public_host(region)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_hosts_follow_the_documented_rules() {
        let region = RegionId::new("cn-hangzhou").unwrap();
        let e = Endpoints::public();
        assert_eq!(e.url(Product::Ram, &region), "https://ram.aliyuncs.com/");
        assert_eq!(
            e.url(Product::Sts, &region),
            "https://sts.cn-hangzhou.aliyuncs.com/"
        );
        assert_eq!(
            e.url(Product::Emr, &region),
            "https://emr.cn-hangzhou.aliyuncs.com/"
        );
        assert_eq!(
            e.url(Product::DataWorks, &region),
            "https://dataworks.cn-hangzhou.aliyuncs.com/"
        );
    }

    #[test]
    fn override_sends_everything_to_one_place() {
        let region = RegionId::new("cn-shanghai").unwrap();
        let e = Endpoints::with_override("http://127.0.0.1:1234");
        for p in [Product::Ram, Product::Sts, Product::Emr, Product::DataWorks] {
            assert_eq!(e.url(p, &region), "http://127.0.0.1:1234/");
        }
        assert_eq!(
            Endpoints::with_override("http://h/").url(Product::Ram, &region),
            "http://h/"
        );
        assert_eq!(e.override_url(), Some("http://127.0.0.1:1234"));
    }
}
