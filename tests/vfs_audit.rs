//! The session VFS, snapshots and the audit trail through the JSON API and the C ABI:
//! governed writes (traversal, ring 3, quarantine, kill, breaker, rate, permissions, causal
//! conflicts), automatic audit deltas and their Merkle root computed here from first
//! principles, proofs verified offline, commitments, retention GC, snapshot/restore.

mod common;

#[path = "vfs_audit/audit.rs"]
mod audit;
#[path = "vfs_audit/merkle.rs"]
mod merkle;
#[path = "vfs_audit/snapshots.rs"]
mod snapshots;
#[path = "vfs_audit/vfs.rs"]
mod vfs;

use agent_hypervisor::Hypervisor;
use common::*;
use serde_json::{json, Value};

/// Creates session `sid` with `config`, joins `agents` as (did, σ) and activates it.
/// σ > 0.6 gives ring 2 (may write); σ ≤ 0.6 gives ring 3 (read-only).
pub fn session_cfg(hv: &Hypervisor, sid: &str, config: Value, agents: &[(&str, f64)]) {
    ok(
        hv,
        "session.create",
        json!({"creator_did": "did:t:creator", "session_id": sid, "config": config}),
    );
    for (did, sigma) in agents {
        ok(
            hv,
            "session.join",
            json!({"session_id": sid, "agent_did": did, "sigma_raw": sigma}),
        );
    }
    ok(hv, "session.activate", json!({"session_id": sid}));
}

/// `vfs.write` that must succeed.
pub fn write(hv: &Hypervisor, sid: &str, agent: &str, path: &str, content: &str) -> Value {
    ok(
        hv,
        "vfs.write",
        json!({"session_id": sid, "agent_did": agent, "path": path, "content": content}),
    )
}

/// `vfs.write` that must fail; the error code.
pub fn write_fails(hv: &Hypervisor, sid: &str, agent: &str, path: &str, content: &str) -> String {
    fail(
        hv,
        "vfs.write",
        json!({"session_id": sid, "agent_did": agent, "path": path, "content": content}),
    )
}

/// `vfs.read` by an agent.
pub fn read(hv: &Hypervisor, sid: &str, agent: &str, path: &str) -> Value {
    ok(
        hv,
        "vfs.read",
        json!({"session_id": sid, "agent_did": agent, "path": path}),
    )
}

/// All retained deltas of a session.
pub fn deltas(hv: &Hypervisor, sid: &str) -> Vec<Value> {
    ok(
        hv,
        "audit.deltas",
        json!({"session_id": sid, "limit": 10000}),
    )["deltas"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// Events of one type for one session.
pub fn session_events(hv: &Hypervisor, sid: &str, ty: &str) -> Vec<Value> {
    events_of(hv, ty)
        .into_iter()
        .filter(|e| e["session_id"] == sid)
        .collect()
}

/// Lowercase hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(bytes))
}
