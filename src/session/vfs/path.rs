//! VFS path normalisation.

use crate::config::VFS_MAX_PATH_BYTES;
use crate::error::{Code, Error, Result};

fn invalid(reason: impl std::fmt::Display) -> Error {
    Error::field(Code::INVALID_PATH, "path", reason)
}

/// Normalises a caller-supplied path into the session namespace.
///
/// Accepts `a/b`, `/a/b`, `./a//b/`; resolves `.` and `..`; the canonical form is `/a/b`
/// (leading slash, no empty, `.` or `..` segments, no trailing slash). Fails with
/// `INVALID_PATH` naming `path` when the input is empty, longer than
/// [`VFS_MAX_PATH_BYTES`] (before or after normalisation), contains NUL or another control
/// character, names the namespace root itself, or has a `..` that would climb above the root.
pub fn normalize_path(raw: &str) -> Result<String> {
    if raw.is_empty() {
        return Err(invalid("must not be empty"));
    }
    if raw.len() > VFS_MAX_PATH_BYTES {
        return Err(invalid(format!(
            "is {} bytes, at most {VFS_MAX_PATH_BYTES}",
            raw.len()
        )));
    }
    if raw.chars().any(char::is_control) {
        return Err(invalid("must not contain NUL or control characters"));
    }
    let mut segments: Vec<&str> = Vec::new();
    for seg in raw.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if segments.pop().is_none() {
                    return Err(invalid(format!("'{raw}' escapes the session namespace")));
                }
            }
            s => segments.push(s),
        }
    }
    if segments.is_empty() {
        return Err(invalid(format!(
            "'{raw}' names the namespace root, not a file"
        )));
    }
    let len = segments.iter().map(|s| s.len() + 1).sum::<usize>();
    if len > VFS_MAX_PATH_BYTES {
        return Err(invalid(format!(
            "normalised path is {len} bytes, at most {VFS_MAX_PATH_BYTES}"
        )));
    }
    let mut out = String::with_capacity(len);
    for s in segments {
        out.push('/');
        out.push_str(s);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Status;

    #[test]
    fn accepted_spellings_normalise_alike() {
        for p in [
            "a/b", "/a/b", "./a//b/", "a/./b", "a/c/../b", "//a/b//", "x/../a/b",
        ] {
            assert_eq!(normalize_path(p).unwrap(), "/a/b", "{p}");
        }
        assert_eq!(normalize_path("notes.txt").unwrap(), "/notes.txt");
        assert_eq!(normalize_path("a/..b/c").unwrap(), "/a/..b/c");
        assert_eq!(normalize_path("did:web:x/f").unwrap(), "/did:web:x/f");
    }

    #[test]
    fn traversal_and_junk_are_rejected_naming_path() {
        for p in [
            "",
            "..",
            "../a",
            "/../a",
            "a/../../b",
            "./..",
            "/",
            ".",
            "a/..",
            "a\0b",
            "a\nb",
            "a\u{7f}b",
        ] {
            let e = normalize_path(p).unwrap_err();
            assert_eq!(e.code(), Code::INVALID_PATH, "{p:?}");
            assert_eq!(e.status(), Status::InvalidArgument);
            assert_eq!(e.details().unwrap()["field"], "path");
            assert!(e.message().starts_with("path:"));
        }
    }

    #[test]
    fn length_limit() {
        let ok = "a".repeat(VFS_MAX_PATH_BYTES - 1);
        assert_eq!(normalize_path(&ok).unwrap().len(), VFS_MAX_PATH_BYTES);
        // Within the raw limit but one byte too long once the leading slash is added.
        let edge = "a".repeat(VFS_MAX_PATH_BYTES);
        assert_eq!(
            normalize_path(&edge).unwrap_err().code(),
            Code::INVALID_PATH
        );
        let long = "a".repeat(VFS_MAX_PATH_BYTES + 1);
        assert_eq!(
            normalize_path(&long).unwrap_err().code(),
            Code::INVALID_PATH
        );
    }
}
