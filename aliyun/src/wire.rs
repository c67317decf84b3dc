//! Lenient serde helpers for response fields whose JSON type varies between products and
//! API generations (numbers sent as strings, empty strings meaning "absent").
//! Not public: the typed models are the interface.

use serde::Deserialize;
use serde::de::{self, Deserializer};
use serde_json::Value;

/// An optional string where `""` and `null` mean absent.
pub(crate) fn non_empty_string<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<String>, D::Error> {
    let value = Option::<String>::deserialize(d)?;
    Ok(value.filter(|s| !s.is_empty()))
}

/// An integer sent as a JSON number or a decimal string; `null`/`""` are absent.
pub(crate) fn opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        Value::Number(n) => n
            .as_i64()
            .map(Some)
            .ok_or_else(|| de::Error::custom("expected an integer")),
        Value::String(s) if s.is_empty() => Ok(None),
        Value::String(s) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| de::Error::custom("expected an integer in a string")),
        _ => Err(de::Error::custom("expected an integer")),
    }
}

/// An integer sent as a JSON number or a decimal string.
pub(crate) fn i64_lenient<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    opt_i64(d)?.ok_or_else(|| de::Error::custom("expected an integer, found nothing"))
}

/// An integer sent as a number or a string; absent is 0.
pub(crate) fn i64_or_zero<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    Ok(opt_i64(d)?.unwrap_or(0))
}

/// A non-negative count sent as a number or a string; absent is 0.
pub(crate) fn u64_lenient<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let n = opt_i64(d)?.unwrap_or(0);
    u64::try_from(n).map_err(|_| de::Error::custom("expected a non-negative integer"))
}

/// A small non-negative number sent as a number or a string; absent is 0.
pub(crate) fn u32_lenient<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    let n = opt_i64(d)?.unwrap_or(0);
    u32::try_from(n).map_err(|_| de::Error::custom("expected a small non-negative integer"))
}

/// An optional `u32` sent as a number or a string.
pub(crate) fn opt_u32<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    opt_i64(d)?
        .map(|n| u32::try_from(n).map_err(|_| de::Error::custom("expected a small integer")))
        .transpose()
}

/// An optional boolean sent as `true`/`false` or as the strings `"true"`/`"false"`.
pub(crate) fn opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        Value::Bool(b) => Ok(Some(b)),
        Value::String(s) if s.is_empty() => Ok(None),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(Some(true)),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(Some(false)),
        _ => Err(de::Error::custom("expected a boolean")),
    }
}

/// A boolean as in [`opt_bool`]; absent is `false`.
pub(crate) fn bool_lenient<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(opt_bool(d)?.unwrap_or(false))
}

/// A JSON value that may arrive as an object or as a string holding JSON; a string is decoded
/// (and kept as a string when it is not JSON).
pub(crate) fn json_object_or_string<'de, D: Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => serde_json::from_str(&s).unwrap_or(Value::String(s)),
        other => other,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct T {
        #[serde(default, deserialize_with = "opt_i64")]
        n: Option<i64>,
        #[serde(default, deserialize_with = "opt_bool")]
        b: Option<bool>,
        #[serde(default, deserialize_with = "json_object_or_string")]
        j: Value,
    }

    #[test]
    fn lenient_fields_accept_both_forms() {
        let t: T = serde_json::from_str(r#"{"n":"42","b":"TRUE","j":"{\"a\":1}"}"#).unwrap();
        assert_eq!(t.n, Some(42));
        assert_eq!(t.b, Some(true));
        assert_eq!(t.j, serde_json::json!({"a":1}));
        let t: T = serde_json::from_str(r#"{"n":7,"b":false,"j":{"a":2}}"#).unwrap();
        assert_eq!((t.n, t.b), (Some(7), Some(false)));
        assert_eq!(t.j, serde_json::json!({"a":2}));
        let t: T = serde_json::from_str(r#"{"n":"","j":"not json"}"#).unwrap();
        assert_eq!((t.n, t.b), (None, None));
        assert_eq!(t.j, Value::String("not json".into()));
        assert!(serde_json::from_str::<T>(r#"{"n":"x"}"#).is_err());
        assert!(serde_json::from_str::<T>(r#"{"b":3}"#).is_err());
    }
}
