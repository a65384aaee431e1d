//! String crossing: borrowed NUL-terminated UTF-8 in, caller-owned `CString`s out.

use std::ffi::{c_char, CStr, CString};

use crate::error::{Code, Error, Result};

/// Borrows a required C string as `&str`; NULL → `NULL_POINTER`, bad UTF-8 → `INVALID_UTF8`,
/// both naming `field`.
pub(crate) fn read_str<'a>(p: *const c_char, field: &str) -> Result<&'a str> {
    read_str_opt(p, field)?
        .ok_or_else(|| Error::field(Code::NULL_POINTER, field, "pointer is NULL"))
}

/// Borrows an optional C string (NULL → `None`).
pub(crate) fn read_str_opt<'a>(p: *const c_char, field: &str) -> Result<Option<&'a str>> {
    if p.is_null() {
        return Ok(None);
    }
    // SAFETY: the caller passes a NUL-terminated string that outlives this call.
    let c = unsafe { CStr::from_ptr(p) };
    c.to_str()
        .map(Some)
        .map_err(|e| Error::field(Code::INVALID_UTF8, field, format!("not valid UTF-8 ({e})")))
}

/// Hands `s` to the caller as a NUL-terminated string, reusing its buffer.
pub(crate) fn to_c(s: String) -> *mut c_char {
    match CString::new(s) {
        Ok(c) => c.into_raw(),
        // JSON never contains raw NUL bytes; keep the contract anyway.
        Err(e) => {
            let s = String::from_utf8_lossy(&e.into_vec()).replace('\0', "\\u0000");
            CString::new(s)
                .map(CString::into_raw)
                .unwrap_or(std::ptr::null_mut())
        }
    }
}

/// Writes `s` to `*out` as a caller-owned string when `out` is not NULL.
pub(crate) fn write_out(out: *mut *mut c_char, s: String) {
    if out.is_null() {
        return;
    }
    // SAFETY: `out` is non-NULL and, per the contract, points to writable storage.
    unsafe { *out = to_c(s) };
}

/// Frees a string made by [`to_c`].
pub(crate) fn free(s: *mut c_char) {
    if s.is_null() {
        return;
    }
    // SAFETY: `s` came from `CString::into_raw` in this module and is freed once.
    drop(unsafe { CString::from_raw(s) });
}
