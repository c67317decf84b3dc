//! An incoming API call as the emulator sees it: method, decoded query and form parameters,
//! headers and raw body, plus typed accessors for business parameters. It does not verify
//! signatures (see `auth`).

use std::collections::BTreeMap;

use axum::http::{HeaderMap, Method};
use serde_json::Value;

use crate::reply::ApiError;

/// One HTTP request to `/`.
#[derive(Debug, Clone)]
pub(crate) struct ApiRequest {
    /// `GET` or `POST` (any other method is kept as sent and still signed as sent).
    pub(crate) method: String,
    /// URL query parameters, form-decoded (`+` is a space), in order.
    pub(crate) query: Vec<(String, String)>,
    /// `application/x-www-form-urlencoded` body parameters, form-decoded, in order.
    pub(crate) form: Vec<(String, String)>,
    /// Request headers.
    pub(crate) headers: HeaderMap,
    /// The raw body, for the V3 content hash.
    pub(crate) body: Vec<u8>,
}

/// The merged business and common parameters: query first, then form body (which wins).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Params(BTreeMap<String, String>);

// === impl ApiRequest ===

impl ApiRequest {
    /// Decodes the query string and, for a form content type, the body.
    pub(crate) fn parse(
        method: &Method,
        query: Option<&str>,
        headers: HeaderMap,
        body: Vec<u8>,
    ) -> Result<Self, ApiError> {
        let query = match query {
            Some(q) => serde_urlencoded::from_str::<Vec<(String, String)>>(q).map_err(|_| {
                ApiError::invalid("QueryString", "It is not form-urlencoded UTF-8.")
            })?,
            None => Vec::new(),
        };
        let is_form = headers
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.split(';').next().is_some_and(|t| {
                    t.trim()
                        .eq_ignore_ascii_case("application/x-www-form-urlencoded")
                })
            });
        let form = if is_form && !body.is_empty() {
            serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body)
                .map_err(|_| ApiError::invalid("Body", "It is not form-urlencoded UTF-8."))?
        } else {
            Vec::new()
        };
        Ok(Self {
            method: method.as_str().to_owned(),
            query,
            form,
            headers,
            body,
        })
    }

    /// All parameters, query and form merged.
    pub(crate) fn params(&self) -> Params {
        let mut map = BTreeMap::new();
        for (k, v) in self.query.iter().chain(self.form.iter()) {
            map.insert(k.clone(), v.clone());
        }
        Params(map)
    }

    /// The query parameters alone (V3 signs only these).
    pub(crate) fn query_map(&self) -> BTreeMap<String, String> {
        self.query.iter().cloned().collect()
    }

    /// The value of a header as text, if present and visible ASCII.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The `Host` header, or empty.
    pub(crate) fn host(&self) -> &str {
        self.header("host").unwrap_or("")
    }
}

// === impl Params ===

impl Params {
    /// The signed set: every parameter except `Signature`.
    pub(crate) fn without_signature(&self) -> BTreeMap<String, String> {
        let mut map = self.0.clone();
        map.remove("Signature");
        map
    }

    /// The value, if present (an empty value counts as present).
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// The value, if present and not empty.
    pub(crate) fn opt(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.is_empty())
    }

    /// A required business parameter.
    pub(crate) fn required(&self, name: &str) -> Result<&str, ApiError> {
        self.opt(name).ok_or_else(|| ApiError::missing(name))
    }

    /// An optional integer within `range`.
    pub(crate) fn int_in(
        &self,
        name: &str,
        range: std::ops::RangeInclusive<i64>,
    ) -> Result<Option<i64>, ApiError> {
        let Some(raw) = self.opt(name) else {
            return Ok(None);
        };
        match raw.parse::<i64>() {
            Ok(n) if range.contains(&n) => Ok(Some(n)),
            _ => Err(ApiError::invalid(
                name,
                format!(
                    "It must be an integer from {} to {}.",
                    range.start(),
                    range.end()
                ),
            )),
        }
    }

    /// An optional boolean, `true` or `false` (RAM's spelling; case is ignored).
    pub(crate) fn bool(&self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.opt(name) {
            None => Ok(None),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(_) => Err(ApiError::invalid(name, "It must be true or false.")),
        }
    }

    /// A required integer (an ID).
    pub(crate) fn required_id(&self, name: &str) -> Result<i64, ApiError> {
        let raw = self.required(name)?;
        raw.parse::<i64>()
            .map_err(|_| ApiError::invalid(name, "It must be an integer."))
    }

    /// A list sent JSON-style, as one parameter holding a JSON array (facts §5.9).
    pub(crate) fn json_list(&self, name: &str) -> Result<Option<Vec<Value>>, ApiError> {
        let Some(raw) = self.opt(name) else {
            return Ok(None);
        };
        match serde_json::from_str::<Value>(raw) {
            Ok(Value::Array(items)) => Ok(Some(items)),
            _ => Err(ApiError::invalid(name, "It must be a JSON array.")),
        }
    }

    /// A repeat list sent flattened as `Name.1`, `Name.2`, ... in index order.
    pub(crate) fn repeat_list(&self, name: &str) -> Vec<&str> {
        let prefix = format!("{name}.");
        let mut items: Vec<(u64, &str)> = self
            .0
            .iter()
            .filter_map(|(k, v)| {
                let n = k.strip_prefix(&prefix)?.parse::<u64>().ok()?;
                Some((n, v.as_str()))
            })
            .collect();
        items.sort_by_key(|(n, _)| *n);
        items.into_iter().map(|(_, v)| v).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(query: &str, form: &str) -> ApiRequest {
        let mut headers = HeaderMap::new();
        headers.insert(
            "content-type",
            "application/x-www-form-urlencoded; charset=utf-8"
                .parse()
                .unwrap(),
        );
        ApiRequest::parse(
            &Method::POST,
            Some(query),
            headers,
            form.as_bytes().to_vec(),
        )
        .unwrap()
    }

    #[test]
    fn plus_is_a_space_and_the_body_wins() {
        let req = request("Description=a+b&Name=q", "Name=f&Note=x%2By");
        let params = req.params();
        assert_eq!(params.get("Description"), Some("a b"));
        assert_eq!(params.get("Name"), Some("f"));
        assert_eq!(params.get("Note"), Some("x+y"));
        assert_eq!(req.query_map().get("Name").map(String::as_str), Some("q"));
    }

    #[test]
    fn repeat_lists_follow_the_index_not_the_text_order() {
        let req = request("T.10=ten&T.2=two&T.1=one&Tx.1=no", "");
        assert_eq!(req.params().repeat_list("T"), vec!["one", "two", "ten"]);
    }

    #[test]
    fn typed_accessors_name_the_parameter() {
        let req = request("Size=500&Empty=&Id=x", "");
        let params = req.params();
        let err = params.int_in("Size", 1..=100).unwrap_err();
        assert!(err.message.contains("\"Size\""), "{}", err.message);
        assert_eq!(params.required("Empty").unwrap_err().code, "MissingEmpty");
        assert_eq!(params.get("Empty"), Some(""));
        assert_eq!(
            params.required_id("Id").unwrap_err().code,
            "InvalidParameter"
        );
        assert_eq!(params.int_in("Absent", 1..=2).unwrap(), None);
    }

    #[test]
    fn json_lists_are_one_parameter() {
        let req = request("Ids=%5B1%2C2%5D&Bad=%7B%7D", "Names=%5B%22a+b%22%5D");
        let params = req.params();
        assert_eq!(
            params.json_list("Ids").unwrap(),
            Some(vec![Value::from(1), Value::from(2)])
        );
        assert_eq!(
            params.json_list("Names").unwrap(),
            Some(vec![Value::from("a b")])
        );
        assert_eq!(params.json_list("Absent").unwrap(), None);
        assert!(
            params
                .json_list("Bad")
                .unwrap_err()
                .message
                .contains("\"Bad\"")
        );
    }

    #[test]
    fn booleans_are_true_or_false() {
        let req = request("A=true&B=FALSE&C=yes", "");
        let params = req.params();
        assert_eq!(params.bool("A").unwrap(), Some(true));
        assert_eq!(params.bool("B").unwrap(), Some(false));
        assert_eq!(params.bool("Absent").unwrap(), None);
        assert_eq!(params.bool("C").unwrap_err().code, "InvalidParameter");
    }
}
