//! Joint liability through the JSON API: vouching, σ_eff, exposure, cycles, slashing with
//! cascade, quarantine, the ledger and admission, drift.

mod common;

use common::*;
use serde_json::json;

fn vouch(hv: &agent_hypervisor::Hypervisor, sid: &str, a: &str, b: &str, pct: f64) -> String {
    ok(
        hv,
        "liability.vouch",
        json!({"session_id": sid, "voucher_did": a, "vouchee_did": b, "bond_pct": pct}),
    )["vouch_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn sigma_eff_formula_and_cap() {
    let hv = engine();
    session(&hv, "s", &[("v", 0.9), ("w", 0.8), ("e", 0.61)]);
    vouch(&hv, "s", "v", "e", 0.5); // bond 0.45
    vouch(&hv, "s", "w", "e", 0.25); // bond 0.20
    let r = ok(
        &hv,
        "liability.sigma_eff",
        json!({"session_id": "s", "agent_did": "e", "risk_weight": 0.5}),
    );
    assert!(close(&r["sigma_eff"], 0.61 + 0.5 * 0.65), "{r}");
    let r = ok(
        &hv,
        "liability.sigma_eff",
        json!({"session_id": "s", "agent_did": "e", "risk_weight": 1.0}),
    );
    assert!(close(&r["sigma_eff"], 1.0), "capped at 1: {r}");
    // ring.check uses σ_eff: e (0.61 base) passes a ring-2 check either way, and the bonds
    // appear in the participant view.
    let s = ok(&hv, "session.get", json!({"session_id": "s"}));
    let e = &s["participants"][2];
    assert!(close(&e["sigma_eff"], 0.61 + 0.5 * 0.65), "{e}");
}

#[test]
fn exposure_cap_spans_vouchees_and_self_and_cycles_are_refused() {
    let hv = engine();
    session(&hv, "s", &[("a", 1.0), ("b", 0.9), ("c", 0.9), ("d", 0.9)]);
    // max_exposure 0.8: a may bond at most 0.8 in total.
    vouch(&hv, "s", "a", "b", 0.3);
    vouch(&hv, "s", "a", "c", 0.3);
    let e = fail_json(
        &hv,
        "liability.vouch",
        json!({"session_id": "s", "voucher_did": "a", "vouchee_did": "d", "bond_pct": 0.3}),
    );
    assert_eq!(e["error"]["code"], "EXPOSURE_EXCEEDED");
    assert_eq!(e["error"]["status"], "LIMIT_EXCEEDED");
    let x = ok(
        &hv,
        "liability.exposure",
        json!({"session_id": "s", "agent_did": "a"}),
    );
    assert!(
        close(&x["bonded_total"], 0.6) && close(&x["limit"], 0.8),
        "{x}"
    );
    vouch(&hv, "s", "a", "d", 0.2); // exactly at the cap
    assert_eq!(
        fail(
            &hv,
            "liability.vouch",
            json!({"session_id": "s", "voucher_did": "a", "vouchee_did": "a"})
        ),
        "CIRCULAR_VOUCH"
    );
    // b → c → d → b closes a cycle of length 3.
    vouch(&hv, "s", "b", "c", 0.1);
    vouch(&hv, "s", "c", "d", 0.1);
    assert_eq!(
        fail(
            &hv,
            "liability.vouch",
            json!({"session_id": "s", "voucher_did": "d", "vouchee_did": "b"})
        ),
        "CIRCULAR_VOUCH"
    );
    let m = ok(&hv, "liability.matrix", json!({"session_id": "s"}));
    assert_eq!(m["has_cycle"], false);
    assert_eq!(m["edges"].as_array().unwrap().len(), 5);
    assert_eq!(m["cascade_paths"]["b"], json!([["b", "c", "d"]]));
}

#[test]
fn low_sigma_and_quarantined_voucher_refused() {
    let hv = engine();
    session(&hv, "s", &[("low", 0.45), ("hi", 0.9)]);
    assert_eq!(
        fail(
            &hv,
            "liability.vouch",
            json!({"session_id": "s", "voucher_did": "low", "vouchee_did": "hi"})
        ),
        "VOUCHER_SIGMA_TOO_LOW"
    );
    ok(
        &hv,
        "liability.quarantine",
        json!({"session_id": "s", "agent_did": "hi", "reason": "manual", "duration_seconds": 60}),
    );
    assert_eq!(
        fail(
            &hv,
            "liability.vouch",
            json!({"session_id": "s", "voucher_did": "hi", "vouchee_did": "low"})
        ),
        "AGENT_QUARANTINED"
    );
    // The quarantine expires with the manual clock.
    advance(&hv, 61.0);
    vouch(&hv, "s", "hi", "low", 0.1);
    assert_eq!(events_of(&hv, "liability.quarantine_released").len(), 1);
}

#[test]
fn slash_numbers_are_exact_and_cascade_fires() {
    let hv = engine();
    // gv vouches for v, v vouches for x; slash x with ω 0.95.
    session(&hv, "s", &[("gv", 0.9), ("v", 0.8), ("x", 0.7)]);
    vouch(&hv, "s", "gv", "v", 0.2);
    vouch(&hv, "s", "v", "x", 0.2);
    let r = ok(
        &hv,
        "liability.slash",
        json!({"session_id": "s", "agent_did": "x", "risk_weight": 0.95, "reason": "bad write"}),
    );
    assert!(close(&r["vouchee_sigma_before"], 0.7));
    assert!(close(&r["vouchee_sigma_after"], 0.0));
    let clip = &r["voucher_clips"][0];
    assert_eq!(clip["voucher_did"], "v");
    assert!(close(&clip["sigma_before"], 0.8));
    assert!(
        close(&clip["sigma_after"], 0.05),
        "0.8 × 0.05 = 0.04 floors at 0.05: {clip}"
    );
    // v ended below 0.06 and has a voucher: slashed in turn, clipping gv to 0.9 × 0.05 → 0.05.
    let c = &r["cascade"][0];
    assert_eq!(c["vouchee_did"], "v");
    assert!(close(&c["voucher_clips"][0]["sigma_after"], 0.05));
    let s = ok(&hv, "session.get", json!({"session_id": "s"}));
    let p = s["participants"].as_array().unwrap();
    assert!(close(&p[2]["sigma"], 0.0) && p[2]["quarantined"] == true);
    assert_eq!(p[2]["ring"], 3, "slashed agent demoted");
    assert_eq!(p[0]["ring"], 3, "clipped voucher demoted");
    // All bonds were released by the slash.
    assert!(
        ok(&hv, "liability.matrix", json!({"session_id": "s"}))["edges"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let l = ok(&hv, "liability.ledger", json!({"agent_did": "x"}));
    assert_eq!(l["profile"]["slash_count"], 1);
    assert_eq!(l["profile"]["quarantine_count"], 1);
    assert!(!events_of(&hv, "liability.slash_executed").is_empty());
    assert!(!events_of(&hv, "ring.demoted").is_empty());
}

#[test]
fn moderate_slash_does_not_cascade() {
    let hv = engine_with(json!({"clock": "manual", "auto_quarantine": false}));
    session(&hv, "s", &[("v", 0.8), ("x", 0.7)]);
    vouch(&hv, "s", "v", "x", 0.2);
    let r = ok(
        &hv,
        "liability.slash",
        json!({"session_id": "s", "agent_did": "x", "risk_weight": 0.5, "reason": "r"}),
    );
    assert!(close(&r["voucher_clips"][0]["sigma_after"], 0.4));
    assert!(r["cascade"].as_array().unwrap().is_empty());
    let s = ok(&hv, "session.get", json!({"session_id": "s"}));
    assert_eq!(
        s["participants"][1]["quarantined"], false,
        "auto_quarantine off"
    );
}

#[test]
fn three_slashes_deny_admission_and_clean_sessions_count() {
    let hv = engine();
    for i in 0..3 {
        let sid = format!("s{i}");
        session(&hv, &sid, &[("bad", 0.8), ("good", 0.8)]);
        ok(
            &hv,
            "liability.slash",
            json!({"session_id": sid, "agent_did": "bad", "risk_weight": 0.95, "reason": "r"}),
        );
        ok(&hv, "session.terminate", json!({"session_id": sid}));
    }
    // 3 × (0.15 × 0.95) + 3 quarantines × (0.10 × 0.95) = 0.7125 ≥ 0.6 → deny.
    let l = ok(&hv, "liability.ledger", json!({"agent_did": "bad"}));
    assert_eq!(l["profile"]["recommendation"], "deny", "{l}");
    ok(
        &hv,
        "session.create",
        json!({"creator_did": "c", "session_id": "next"}),
    );
    let e = fail_json(
        &hv,
        "session.join",
        json!({"session_id": "next", "agent_did": "bad", "sigma_raw": 0.9}),
    );
    assert_eq!(e["error"]["code"], "ADMISSION_DENIED");
    assert_eq!(e["error"]["status"], "DENIED");
    let g = ok(&hv, "liability.ledger", json!({"agent_did": "good"}));
    assert_eq!(g["profile"]["clean_session_count"], 3);
    assert_eq!(g["profile"]["recommendation"], "admit");
    ok(
        &hv,
        "session.join",
        json!({"session_id": "next", "agent_did": "good", "sigma_raw": 0.9}),
    );
}

#[test]
fn probation_sandboxes_the_agent() {
    let hv = engine();
    session(&hv, "s", &[("p", 0.8)]);
    // One slash at 0.95 plus its quarantine: 0.1425 + 0.095 = 0.2375 < 0.3; add a manual
    // quarantine (0.10 × 0.5 = 0.05) → 0.2875; a second manual one → 0.3375 ≥ 0.3.
    ok(
        &hv,
        "liability.slash",
        json!({"session_id": "s", "agent_did": "p", "risk_weight": 0.95, "reason": "r"}),
    );
    for _ in 0..2 {
        ok(
            &hv,
            "liability.release_quarantine",
            json!({"session_id": "s", "agent_did": "p"}),
        );
        ok(
            &hv,
            "liability.quarantine",
            json!({"session_id": "s", "agent_did": "p", "reason": "manual"}),
        );
    }
    let l = ok(&hv, "liability.ledger", json!({"agent_did": "p"}));
    assert_eq!(l["profile"]["recommendation"], "probation", "{l}");
    ok(
        &hv,
        "session.create",
        json!({"creator_did": "c", "session_id": "t"}),
    );
    let j = ok(
        &hv,
        "session.join",
        json!({"session_id": "t", "agent_did": "p", "sigma_raw": 0.99, "has_consensus": true}),
    );
    assert_eq!(j["ring"], 3);
    assert_eq!(j["admission"]["recommendation"], "probation");
}

#[test]
fn expiry_releases_bond_once() {
    let hv = engine();
    session(&hv, "s", &[("v", 0.9), ("e", 0.7)]);
    ok(
        &hv,
        "liability.vouch",
        json!({"session_id": "s", "voucher_did": "v", "vouchee_did": "e",
               "expires_at": "2026-01-01T00:01:00Z"}),
    );
    let eff = |hv: &agent_hypervisor::Hypervisor| {
        ok(
            hv,
            "liability.sigma_eff",
            json!({"session_id": "s", "agent_did": "e", "risk_weight": 1.0}),
        )["sigma_eff"]
            .as_f64()
            .unwrap()
    };
    assert!((eff(&hv) - (0.7 + 0.18)).abs() < 1e-9);
    advance(&hv, 61.0);
    assert!((eff(&hv) - 0.7).abs() < 1e-9);
    let vid = events_of(&hv, "liability.vouch_created")[0]["payload"]["vouch_id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Releasing an expired bond is a no-op: no double subtraction, no second event.
    let r = ok(&hv, "liability.release", json!({"vouch_id": vid}));
    assert_eq!(r["is_active"], false);
    assert!((eff(&hv) - 0.7).abs() < 1e-9);
    assert_eq!(events_of(&hv, "liability.vouch_released").len(), 1);
    assert!(
        ok(
            &hv,
            "liability.exposure",
            json!({"session_id": "s", "agent_did": "v"})
        )["bonded_total"]
            .as_f64()
            .unwrap()
            .abs()
            < 1e-12
    );
}

#[test]
fn drift_severities_act() {
    let hv = engine();
    session(&hv, "s", &[("a", 0.8), ("b", 0.8)]);
    // Orthogonal vectors: cosine drift 1.0 → critical → slash + quarantine(behavioral_drift).
    let r = ok(
        &hv,
        "verify.drift",
        json!({"session_id": "s", "agent_did": "a", "claimed_embedding": [1.0, 0.0],
               "observed_embedding": [0.0, 1.0]}),
    );
    assert_eq!(r["severity"], "critical");
    assert_eq!(r["action_taken"], "slashed");
    assert_eq!(r["passed"], false);
    let q = events_of(&hv, "liability.quarantine_entered");
    assert_eq!(q[0]["payload"]["reason"], "behavioral_drift");
    // A drift score of 0.8 is critical too (≥ 0.75).
    // cos = 0.2 → drift 0.8 with vectors (1, 0) and (0.2, √0.96).
    let r = ok(
        &hv,
        "verify.drift",
        json!({"session_id": "s", "agent_did": "b", "claimed_embedding": [1.0, 0.0],
               "observed_embedding": [0.2, 0.96f64.sqrt()]}),
    );
    assert!(close(&r["drift_score"], 0.8));
    assert_eq!(r["action_taken"], "slashed");
    let s = ok(&hv, "session.get", json!({"session_id": "s"}));
    assert!(close(&s["participants"][1]["sigma"], 0.0));
    assert_eq!(s["participants"][1]["quarantined"], true);
    assert_eq!(events_of(&hv, "verification.behavior_drift").len(), 2);
    let e = fail_json(
        &hv,
        "verify.drift",
        json!({"session_id": "s", "agent_did": "a", "claimed_embedding": [1.0],
               "observed_embedding": [1.0, 2.0]}),
    );
    assert_eq!(e["error"]["status"], "INVALID_ARGUMENT");
}

#[test]
fn medium_drift_demotes_one_ring() {
    let hv = engine();
    session(&hv, "s", &[("a", 0.8)]);
    // cos = 0.6 → drift 0.4: medium.
    let r = ok(
        &hv,
        "verify.drift",
        json!({"session_id": "s", "agent_did": "a", "claimed_embedding": [1.0, 0.0],
               "observed_embedding": [0.6, 0.8]}),
    );
    assert_eq!(r["severity"], "medium");
    assert_eq!(r["action_taken"], "demoted");
    let s = ok(&hv, "session.get", json!({"session_id": "s"}));
    assert_eq!(s["participants"][0]["ring"], 3);
}

#[test]
fn iatp_manifest_drives_join() {
    let hv = engine();
    let m = json!({"agent_did": "did:m:1", "trust_level": "trusted", "actions": [
        {"action_id": "pay", "name": "pay", "execute_api": "/pay"},
        {"action_id": "edit", "name": "edit", "execute_api": "/e", "undo_api": "/u", "reversibility": "full"}]});
    let a = ok(&hv, "iatp.analyze", json!({ "manifest": m }));
    assert!(close(&a["sigma_hint"], 0.8));
    assert_eq!(a["ring_hint"], 2);
    assert_eq!(a["has_non_reversible"], true);
    ok(
        &hv,
        "session.create",
        json!({"creator_did": "c", "session_id": "s"}),
    );
    let j = ok(
        &hv,
        "session.join",
        json!({"session_id": "s", "agent_did": "did:m:1", "manifest": m}),
    );
    assert!(close(&j["sigma_raw"], 0.8));
    assert_eq!(
        j["consistency_mode"], "strong",
        "a non-reversible action forces strong"
    );
    // The registry now knows `pay` (ring 1).
    let c = ok(
        &hv,
        "ring.check",
        json!({"session_id": "s", "agent_did": "did:m:1", "action_id": "pay"}),
    );
    assert_eq!(c["required_ring"], 1);
    assert_eq!(c["allowed"], false);
}
