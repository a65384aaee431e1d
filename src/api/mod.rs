//! The JSON boundary: request parsing and the method table (API.md §4).
//!
//! Every method is a [`Handler`] taking the engine and the request JSON and returning the
//! response JSON. Requests are parsed straight into typed structs (`deny_unknown_fields`);
//! every parse error names the dotted path of the offending field. Each area contributes its
//! own slice of `(name, handler)` pairs; [`table`] joins them once.

mod audit;
mod core;
pub mod json;
mod liability;
mod sagas;
mod security;
mod vfs;

pub use self::core::parse_config;
pub(crate) use self::sagas::{parse_request, SagaIdReq};

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::engine::Hypervisor;
use crate::error::{Code, Error, Result};

/// A method handler: request JSON in, response JSON out.
pub type Handler = fn(&Hypervisor, &str) -> Result<String>;

/// Requests that may carry a causal `trace_id`.
pub trait Traced {
    /// The request's trace id, if any.
    fn trace_id(&self) -> Option<&str>;
}

/// The method table: every method of API.md §4, by name.
pub fn table() -> &'static HashMap<&'static str, Handler> {
    static TABLE: OnceLock<HashMap<&'static str, Handler>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut m = HashMap::new();
        for slice in [
            core::METHODS,
            liability::METHODS,
            security::METHODS,
            vfs::METHODS,
            audit::METHODS,
            sagas::METHODS,
        ] {
            for (name, h) in slice {
                m.insert(*name, *h);
            }
        }
        m
    })
}

/// All method names, sorted.
pub fn method_names() -> Vec<&'static str> {
    let mut v: Vec<&'static str> = table().keys().copied().collect();
    v.sort_unstable();
    v
}

/// Dispatches one call. Unknown methods are `UNKNOWN_METHOD` (status NOT_FOUND).
pub fn call(hv: &Hypervisor, method: &str, request: &str) -> Result<String> {
    let h = table().get(method).ok_or_else(|| {
        Error::new(Code::UNKNOWN_METHOD, format!("unknown method '{method}'"))
            .with_detail("method", method)
    })?;
    if request.len() > hv.config().limits.max_request_bytes {
        return Err(Error::new(
            Code::REQUEST_TOO_LARGE,
            format!(
                "request is {} bytes, limits.max_request_bytes is {}",
                request.len(),
                hv.config().limits.max_request_bytes
            ),
        ));
    }
    h(hv, request)
}

/// Parses a request: empty means `{}`; errors name the field path.
pub fn parse<T: DeserializeOwned + Traced>(json: &str) -> Result<T> {
    let v: T = parse_value(json)?;
    if let Some(t) = v.trace_id() {
        crate::observability::trace::parse(t, "trace_id")?;
    }
    Ok(v)
}

/// Parses any JSON document into `T` with field-path errors (no trace handling).
///
/// The well-formed case is parsed once, without path tracking; only a failing document is
/// parsed again through `serde_path_to_error` to name the field (that tracking allocates a path
/// segment per key, which every successful request would otherwise pay).
pub fn parse_value<T: DeserializeOwned>(json: &str) -> Result<T> {
    let json = if json.trim().is_empty() { "{}" } else { json };
    if let Ok(v) = serde_json::from_str(json) {
        return Ok(v);
    }
    let mut de = serde_json::Deserializer::from_str(json);
    let v = serde_path_to_error::deserialize(&mut de).map_err(map_serde_error)?;
    de.end().map_err(|e| {
        Error::new(
            Code::MALFORMED_JSON,
            format!("malformed JSON: {}", strip_position(&e.to_string())),
        )
    })?;
    Ok(v)
}

fn strip_position(msg: &str) -> &str {
    match msg.rfind(" at line ") {
        Some(i) => &msg[..i],
        None => msg,
    }
}

fn map_serde_error(e: serde_path_to_error::Error<serde_json::Error>) -> Error {
    use serde_json::error::Category;
    let path = e.path().to_string();
    let inner = e.inner();
    let msg = strip_position(&inner.to_string()).to_owned();
    match inner.classify() {
        Category::Syntax | Category::Eof | Category::Io => {
            Error::new(Code::MALFORMED_JSON, format!("malformed JSON: {msg}"))
        }
        Category::Data => {
            let join = |base: &str, leaf: &str| {
                if base.is_empty() || base == "." {
                    leaf.to_owned()
                } else {
                    format!("{base}.{leaf}")
                }
            };
            let quoted = |m: &str| m.split('`').nth(1).map(str::to_owned);
            if msg.starts_with("unknown field") {
                let leaf = quoted(&msg).unwrap_or_default();
                // serde_path_to_error already appends the unknown key to the path.
                let field = if path.ends_with(&leaf) && !leaf.is_empty() {
                    path.clone()
                } else {
                    join(&path, &leaf)
                };
                Error::field(Code::UNKNOWN_FIELD, field, "unknown field")
            } else if msg.starts_with("missing field") {
                let leaf = quoted(&msg).unwrap_or_default();
                Error::field(
                    Code::MISSING_FIELD,
                    join(&path, &leaf),
                    "required field is missing",
                )
            } else {
                let field = if path.is_empty() || path == "." {
                    "request".to_owned()
                } else {
                    path
                };
                let code = if msg.contains("must be") || msg.contains("out of range") {
                    Code::OUT_OF_RANGE
                } else {
                    Code::INVALID_TYPE
                };
                Error::field(code, field, msg)
            }
        }
    }
}

/// Serialises a response.
///
/// Written by [`json::to_vec`] (byte-identical to serde_json, faster) into a 512-byte buffer,
/// which most responses fit, so it is not regrown several times.
pub fn respond<T: Serialize + ?Sized>(v: &T) -> Result<String> {
    let fail = |e: &dyn std::fmt::Display| {
        Error::new(
            Code::INTERNAL,
            format!("response serialisation failed: {e}"),
        )
    };
    let buf = json::to_vec(v, 512).map_err(|e| fail(&e))?;
    let s = String::from_utf8(buf).map_err(|e| fail(&e))?;
    // Every response of every debug-build test is checked against serde_json.
    #[cfg(debug_assertions)]
    if let Ok(expected) = serde_json::to_string(v) {
        assert_eq!(s, expected, "api::json diverged from serde_json");
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    crate::request! {
        /// test
        pub struct T {
            /// a
            pub a: u32,
            /// b
            pub b: Option<Inner>,
        }
    }

    /// inner
    #[derive(Debug, Clone, serde::Deserialize, Default)]
    #[serde(deny_unknown_fields)]
    pub struct Inner {
        /// x
        pub x: Option<f64>,
    }

    #[test]
    fn errors_name_fields() {
        let e = parse::<T>(r#"{"a":1,"b":{"y":2}}"#).unwrap_err();
        assert_eq!(e.code(), Code::UNKNOWN_FIELD);
        assert_eq!(e.details().unwrap()["field"], "b.y");
        let e = parse::<T>(r#"{"b":null}"#).unwrap_err();
        assert_eq!(e.code(), Code::MISSING_FIELD);
        assert_eq!(e.details().unwrap()["field"], "a");
        let e = parse::<T>(r#"{"a":"x"}"#).unwrap_err();
        assert_eq!(e.code(), Code::INVALID_TYPE);
        assert_eq!(e.details().unwrap()["field"], "a");
        let e = parse::<T>(r#"{"a":-1}"#).unwrap_err();
        assert_eq!(e.details().unwrap()["field"], "a");
        assert_eq!(
            parse::<T>(r#"{"a":1"#).unwrap_err().code(),
            Code::MALFORMED_JSON
        );
        assert_eq!(
            parse::<T>(r#"{"a":1} x"#).unwrap_err().code(),
            Code::MALFORMED_JSON
        );
        let e = parse::<T>(r#"{"a":1,"trace_id":"bad"}"#).unwrap_err();
        assert_eq!(e.details().unwrap()["field"], "trace_id");
        let ok = parse::<T>(r#"{"a":1,"b":null,"trace_id":"t/s"}"#).unwrap();
        assert_eq!(ok.a, 1);
        assert!(ok.b.is_none());
        let ok = parse::<T>(r#"{"a":1,"b":{"x":0.5}}"#).unwrap();
        assert_eq!(ok.b.and_then(|b| b.x), Some(0.5));
        let deep = "[".repeat(200) + &"]".repeat(200);
        assert_eq!(
            parse_value::<serde_json::Value>(&deep).unwrap_err().code(),
            Code::MALFORMED_JSON
        );
    }
}
