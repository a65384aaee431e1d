//! Causal trace ids: `trace/span[/parent]`, each component 16 lowercase hex digits.
//!
//! `trace.new` mints a root (`trace/span`); `trace.child` keeps the trace component, mints a
//! new span and records the given span as its parent. A request's optional `trace_id` makes the
//! events it causes carry one child span of it.

use crate::error::{Error, Result};

fn hex16() -> String {
    let v = uuid::Uuid::new_v4().as_u64_pair().0;
    format!("{v:016x}")
}

/// A fresh root trace id `trace/span`.
pub fn new_trace() -> String {
    format!("{}/{}", hex16(), hex16())
}

/// Splits and validates a trace id, returning `(trace, span)`.
pub fn parse<'a>(trace_id: &'a str, field: &str) -> Result<(&'a str, &'a str)> {
    let mut parts = trace_id.split('/');
    let ok = |s: &str| {
        !s.is_empty()
            && s.len() <= 64
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(t), Some(s), parent, None) if ok(t) && ok(s) && parent.is_none_or(ok) => Ok((t, s)),
        _ => Err(Error::invalid(
            field,
            "trace id must be 'trace/span[/parent]' with 1..=64 alphanumeric, '-' or '_' characters each",
        )),
    }
}

/// A child span of `trace_id`: `trace/newspan/span`.
pub fn child(trace_id: &str, field: &str) -> Result<String> {
    let (t, s) = parse(trace_id, field)?;
    Ok(format!("{t}/{}/{s}", hex16()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn child_keeps_trace_and_links_parent() {
        let root = new_trace();
        let (t, s) = parse(&root, "t").unwrap();
        let c = child(&root, "t").unwrap();
        let parts: Vec<&str> = c.split('/').collect();
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[0], t);
        assert_eq!(parts[2], s);
        assert_ne!(parts[1], s);
        let grandchild = child(&c, "t").unwrap();
        assert!(grandchild.ends_with(parts[1]));
    }

    #[test]
    fn rejects_malformed() {
        for bad in ["", "a", "a//b", "a/b/c/d", "a b/c", "/a"] {
            assert!(parse(bad, "trace_id").is_err(), "{bad}");
        }
    }
}
