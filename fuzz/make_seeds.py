#!/usr/bin/env python3
"""Regenerates the checked-in seed corpus (fuzz/corpus/<target>/). Small files only."""
import json, os, shutil

HERE = os.path.dirname(os.path.abspath(__file__))

def rec(method, body):
    """A named-method record of the hv_call target: 0xFF, method, '\\n', body."""
    if not isinstance(body, str):
        body = json.dumps(body, separators=(",", ":"))
    return b"\xff" + method.encode() + b"\n" + body.encode()

def seq(*records):
    return b"\x00".join(records)

HV_CALL = {
    "health": seq(rec("health", {}), rec("stats", "")),
    "join_vouch_release": seq(
        rec("session.join", {"session_id": "s", "agent_did": "d", "sigma_raw": 0.95, "has_consensus": True}),
        rec("liability.vouch", {"session_id": "s", "voucher_did": "a", "vouchee_did": "c", "bond_pct": 0.5}),
        rec("liability.sigma_eff", {"session_id": "s", "agent_did": "c", "risk_weight": 0.5}),
        rec("liability.exposure", {"session_id": "s", "agent_did": "a"}),
        rec("liability.matrix", {"session_id": "s"})),
    "vouch_expire": seq(
        rec("liability.vouch", {"session_id": "s", "voucher_did": "a", "vouchee_did": "b", "expires_at": "2026-01-01T00:01:00Z"}),
        rec("clock.advance", {"seconds": 120}),
        rec("session.get", {"session_id": "s"})),
    "slash_cascade": seq(
        rec("liability.vouch", {"session_id": "s", "voucher_did": "a", "vouchee_did": "b"}),
        rec("liability.vouch", {"session_id": "s", "voucher_did": "b", "vouchee_did": "c"}),
        rec("liability.slash", {"session_id": "s", "agent_did": "c", "risk_weight": 0.9, "reason": "r"}),
        rec("liability.ledger", {"agent_did": "c"})),
    "ring": seq(
        rec("ring.check", {"session_id": "s", "agent_did": "b", "action_id": "w"}),
        rec("ring.elevate", {"session_id": "s", "agent_did": "a", "target_ring": 1, "attestation": "x"}),
        rec("ring.elevations", {"session_id": "s"}),
        rec("ring.breaker", {"session_id": "s", "agent_did": "b"}),
        rec("ring.classify", {"action": {"action_id": "x", "name": "n", "execute_api": "/x", "is_admin": True}})),
    "security": seq(
        rec("security.rate_check", {"session_id": "s", "agent_did": "c", "cost": 3}),
        rec("security.substitute", {"session_id": "s", "agent_did": "b", "available": True}),
        rec("security.kill", {"session_id": "s", "agent_did": "a", "reason": "manual"}),
        rec("liability.quarantine", {"session_id": "s", "agent_did": "c", "reason": "manual", "duration_seconds": 5})),
    "terminate": seq(
        rec("session.leave", {"session_id": "s", "agent_did": "c"}),
        rec("session.terminate", {"session_id": "s"}),
        rec("session.activate", {"session_id": "h"}),
        rec("session.list", {"state": "archived"})),
    "drift_history": seq(
        rec("verify.drift", {"session_id": "s", "agent_did": "b", "claimed_embedding": [1, 0], "observed_embedding": [0, 1]}),
        rec("verify.history", {"agent_did": "a", "history": [{"session_id": "x", "summary_hash": "0123456789abcdef", "timestamp": "2025-01-01T00:00:00Z"}]}),
        rec("iatp.analyze", {"manifest": {"agent_did": "m", "trust_level": "trusted", "actions": []}})),
    "events_trace": seq(
        rec("trace.new", {}),
        rec("trace.child", {"trace_id": "t/s"}),
        rec("events.query", {"after_seq": 2, "limit": 5, "session_id": "s"}),
        rec("events.stats", {})),
    "vfs_saga_audit": seq(
        rec("vfs.write", {"session_id": "s", "agent_did": "b", "path": "/a/../b.txt", "content": "x"}),
        rec("vfs.read", {"session_id": "s", "path": "b.txt", "agent_did": "a"}),
        rec("saga.create", {"session_id": "s", "saga_id": "g"}),
        rec("saga.add_step", {"saga_id": "g", "action_id": "w", "agent_did": "b", "execute_api": "/w", "undo_api": "/u"}),
        rec("audit.verify", {"session_id": "s"}),
        rec("audit.root", {"session_id": "s"})),
    "saga_steps": seq(
        rec("saga.create", {"session_id": "s", "saga_id": "g", "isolation_level": "serializable"}),
        rec("saga.add_step", {"saga_id": "g", "step_id": "p", "action_id": "w", "agent_did": "b", "execute_api": "/w",
                              "undo_api": "/u", "max_retries": 1, "resources": [{"path": "/r", "intent": "write"}]}),
        rec("saga.step.begin", {"saga_id": "g", "step_id": "p"}),
        rec("saga.step.end", {"saga_id": "g", "step_id": "p", "ok": True, "result": {"x": 1}}),
        rec("saga.compensate.begin", {"saga_id": "g"}),
        rec("saga.compensate.end", {"saga_id": "g", "step_id": "p", "ok": False, "error": "e"}),
        rec("saga.get", {"saga_id": "g"})),
    "audit_snapshots": seq(
        rec("vfs.write", {"session_id": "s", "agent_did": "a", "path": "/x", "content": "1"}),
        rec("vfs.write", {"session_id": "s", "agent_did": "a", "path": "/y", "content": "2"}),
        rec("audit.proof", {"session_id": "s", "turn_id": 1}),
        rec("audit.consistency", {"session_id": "s", "first_size": 1, "second_size": 2}),
        rec("session.snapshot", {"session_id": "s"}),
        rec("vfs.delete", {"session_id": "s", "agent_did": "a", "path": "/x"}),
        rec("audit.verify", {"session_id": "s"}),
        rec("audit.commitment", {"session_id": "s"})),
    "hostile": seq(
        rec("session.create", {"creator_did": "x" * 300}),
        rec("ring.compute", "{\"sigma_eff\":1e400}"),
        rec("session.get", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["),
        b"\xff\xc3\x28\n{}",
        rec("session.create", {"creator_did": "c", "config": {"isolation_level": "chaos"}})),
}

SAGA = {
    "minimal": {"name": "n", "session_id": "s", "steps": [{"id": "a", "action_id": "w", "agent": "b", "execute_api": "/w"}]},
    "fan_out": {"name": "n", "session_id": "s", "saga_id": "g",
                "steps": [{"id": "a", "action_id": "w", "agent": "a", "execute_api": "/w", "undo_api": "/u", "timeout": 5, "retries": 2},
                          {"id": "b", "action_id": "w", "agent": "b", "execute_api": "/w", "checkpoint_goal": "g"}],
                "fan_out": [{"policy": "majority_must_succeed", "branches": ["a", "b"]}], "metadata": {"k": 1}},
    "bad": {"name": "", "steps": [{"id": "a"}, {"id": "a", "agent": 3}], "fan_out": [{"policy": "some", "branches": ["z"]}], "extra": None},
    "not_object": [1, "x", None],
}

def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)

def main():
    for t in ("hv_call", "verify_proofs", "saga_define"):
        shutil.rmtree(os.path.join(HERE, "corpus", t), ignore_errors=True)
    for k, v in HV_CALL.items():
        write("hv_call", k, v)
    for k, v in SAGA.items():
        write("saga_define", k, json.dumps(v).encode())
    # verify_proofs: 7 header bytes (size, salt, coordinates, bit) then an optional JSON tail.
    write("verify_proofs", "small", bytes([5, 0, 7, 3, 1, 9, 1]))
    write("verify_proofs", "pow2", bytes([7, 0, 1, 7, 4, 0, 3]))
    write("verify_proofs", "big", bytes([43, 1, 9, 200, 77, 255, 255]))
    write("verify_proofs", "json_inclusion", json.dumps(
        {"leaf_index": 0, "tree_size": 1, "leaf_hash": "00" * 32, "audit_path": [], "root": "00" * 32}).encode())
    write("verify_proofs", "json_consistency", json.dumps(
        {"first_size": 1, "second_size": 2, "first_root": "ab" * 32, "second_root": "cd" * 32, "proof": ["ef" * 32]}).encode())

if __name__ == "__main__":
    main()
