//! Engine-internal checks of saga escalation that the public API cannot see yet: the ledger
//! entries written by attribution and slashing.

use serde_json::json;

use crate::engine::{Hypervisor, StepOutcome};
use crate::liability::ledger::LedgerEntryType;

fn call(hv: &Hypervisor, m: &str, v: serde_json::Value) -> serde_json::Value {
    let out = crate::api::call(hv, m, &v.to_string()).unwrap_or_else(|e| panic!("{m}: {e:?}"));
    serde_json::from_str(&out).unwrap()
}

fn entries(hv: &Hypervisor, agent: &str) -> Vec<(LedgerEntryType, f64)> {
    hv.ledger
        .lock()
        .entries(agent)
        .map(|e| (e.entry_type, e.severity))
        .collect()
}

#[test]
fn escalation_writes_slash_and_fault_ledger_entries_with_the_action_omega() {
    let hv = Hypervisor::new(crate::api::parse_config(r#"{"clock":"manual"}"#).unwrap());
    call(
        &hv,
        "session.create",
        json!({"creator_did": "a", "session_id": "s"}),
    );
    for a in ["a", "b"] {
        call(
            &hv,
            "session.join",
            json!({"session_id": "s", "agent_did": a, "sigma_raw": 0.8,
                   "actions": [{"action_id": "partial", "name": "p", "execute_api": "/p",
                                "reversibility": "partial"}]}),
        );
    }
    call(&hv, "session.activate", json!({"session_id": "s"}));
    call(
        &hv,
        "saga.create",
        json!({"session_id": "s", "saga_id": "g"}),
    );
    // a: registered partial action (ω 0.65), no undo → compensation_failed.
    call(
        &hv,
        "saga.add_step",
        json!({"saga_id": "g", "step_id": "p", "action_id": "partial", "agent_did": "a",
               "execute_api": "/p"}),
    );
    // b: derived full (ω 0.2), its undo fails.
    call(
        &hv,
        "saga.add_step",
        json!({"saga_id": "g", "step_id": "q", "action_id": "q", "agent_did": "b",
               "execute_api": "/q", "undo_api": "/uq"}),
    );
    for id in ["p", "q"] {
        let req = serde_json::from_value(json!({"saga_id": "g", "step_id": id})).unwrap();
        hv.run_step(&req, &mut |_| StepOutcome::success(None))
            .unwrap();
    }
    let out = hv
        .run_compensate("g", None, &mut |_| StepOutcome::failure("no"))
        .unwrap();
    assert!(out.escalation.is_some());
    let a = entries(&hv, "a");
    let b = entries(&hv, "b");
    assert!(a.contains(&(LedgerEntryType::SlashReceived, 0.65)), "{a:?}");
    assert!(b.contains(&(LedgerEntryType::SlashReceived, 0.2)), "{b:?}");
    assert!(
        a.contains(&(LedgerEntryType::QuarantineEntered, 0.65)),
        "{a:?}"
    );
    let faults: f64 = a
        .iter()
        .chain(&b)
        .filter(|(t, _)| *t == LedgerEntryType::FaultAttributed)
        .map(|(_, s)| s)
        .sum();
    assert!(
        (faults - 1.0).abs() < 1e-9,
        "fault severities are the shares: {faults}"
    );
}
