//! Runs the language-neutral conformance vectors in `tests/vectors/` through the C ABI
//! (`hv_call`), exactly as each wrapper's suite does.

use std::ffi::{CStr, CString};
use std::ptr;

use agent_hypervisor::ffi::{
    hv_call, hv_create, hv_destroy, hv_string_free, HvHypervisor, HvStatus,
};
use serde_json::Value;

fn status_name(s: HvStatus) -> String {
    format!("{s:?}").trim_start_matches("HV_").to_owned()
}

/// Subset match: see tests/vectors/README.md.
fn matches(expected: &Value, actual: &Value, path: &str) -> Result<(), String> {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (k, v) in e {
                let av = a.get(k).ok_or_else(|| format!("{path}.{k}: missing"))?;
                matches(v, av, &format!("{path}.{k}"))?;
            }
            Ok(())
        }
        (Value::Array(e), Value::Array(a)) => {
            if e.len() != a.len() {
                return Err(format!("{path}: length {} != {}", a.len(), e.len()));
            }
            for (i, (ev, av)) in e.iter().zip(a).enumerate() {
                matches(ev, av, &format!("{path}[{i}]"))?;
            }
            Ok(())
        }
        (Value::Number(e), Value::Number(a)) => {
            let (e, a) = (
                e.as_f64().unwrap_or(f64::NAN),
                a.as_f64().unwrap_or(f64::NAN),
            );
            if (e - a).abs() <= 1e-9 {
                Ok(())
            } else {
                Err(format!("{path}: {a} != {e}"))
            }
        }
        (e, a) if e == a => Ok(()),
        (e, a) => Err(format!("{path}: {a} != {e}")),
    }
}

fn call(hv: *mut HvHypervisor, method: &str, req: &Value) -> (HvStatus, Value) {
    let m = CString::new(method).unwrap();
    let r = CString::new(req.to_string()).unwrap();
    let mut out = ptr::null_mut();
    // SAFETY: live handle, NUL-terminated strings, valid out-pointer.
    let st = unsafe { hv_call(hv, m.as_ptr(), r.as_ptr(), &mut out) };
    // SAFETY: `out` was returned by the library.
    let text = unsafe { CStr::from_ptr(out) }.to_str().unwrap().to_owned();
    // SAFETY: freed once.
    unsafe { hv_string_free(out) };
    (st, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[test]
fn conformance_vectors() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    let mut failures = Vec::new();
    let mut steps = 0;
    for f in files {
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(&f).unwrap()).unwrap();
        let cfg = CString::new(doc.get("config").map_or(String::new(), |c| c.to_string())).unwrap();
        let mut hv = ptr::null_mut();
        // SAFETY: valid pointers.
        assert_eq!(
            unsafe { hv_create(cfg.as_ptr(), &mut hv, ptr::null_mut()) },
            HvStatus::HV_OK
        );
        for (i, step) in doc["steps"].as_array().unwrap().iter().enumerate() {
            steps += 1;
            let (st, resp) = call(hv, step["method"].as_str().unwrap(), &step["request"]);
            let where_ = format!("{}: step {i} ({})", f.display(), step["method"]);
            if status_name(st) != step["status"].as_str().unwrap() {
                failures.push(format!(
                    "{where_}: status {st:?}, wanted {}: {resp}",
                    step["status"]
                ));
                continue;
            }
            if let Some(e) = step.get("expect") {
                if let Err(m) = matches(e, &resp, "") {
                    failures.push(format!("{where_}: {m}: {resp}"));
                }
            }
        }
        // SAFETY: destroyed once.
        unsafe { hv_destroy(hv) };
    }
    assert!(
        failures.is_empty(),
        "{} of {steps} steps failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
