//! Unit tests of [`super`] (the elevation table), kept apart to hold each file under 600 lines.

use super::*;

const T0: Timestamp = Timestamp(1_767_225_600_000_000);
const CAP: usize = 1000;

fn req(agent: &str, base: Ring, sigma: f64, target: u8) -> ElevationRequest<'_> {
    ElevationRequest {
        agent_did: agent,
        base_ring: base,
        sigma,
        target_ring: target,
        ttl_secs: None,
        attestation: None,
        reason: None,
    }
}

fn reason_of(e: &Error) -> String {
    assert_eq!(e.code(), Code::ELEVATION_DENIED, "{e}");
    assert_eq!(e.status(), crate::error::Status::Denied);
    e.details().unwrap()["reason"].as_str().unwrap().to_owned()
}

#[test]
fn grant_counts_until_expiry_without_tick() {
    let mut t = ElevationTable::new();
    let e = t
        .elevate(req("a", Ring::Sandbox, 0.5, 2), T0, "elev:1".into(), CAP)
        .unwrap();
    assert_eq!(
        (e.original_ring, e.elevated_ring),
        (Ring::Sandbox, Ring::Standard)
    );
    assert_eq!(e.expires_at, T0.plus_secs(300.0));
    let exp = e.expires_at;
    assert_eq!(t.effective_ring("a", Ring::Sandbox, T0), Ring::Standard);
    assert_eq!(
        t.effective_ring("a", Ring::Sandbox, exp.plus_micros(-1)),
        Ring::Standard
    );
    assert_eq!(t.effective_ring("a", Ring::Sandbox, exp), Ring::Sandbox);
    assert_eq!(t.effective_ring("b", Ring::Sandbox, T0), Ring::Sandbox);
    // Never less privileged than the base ring.
    assert_eq!(
        t.effective_ring("a", Ring::Privileged, T0),
        Ring::Privileged
    );
    assert_eq!(t.active(Some("a"), T0).len(), 1);
    assert!(t.active(Some("a"), exp).is_empty());
}

#[test]
fn denials_in_contract_order() {
    let mut t = ElevationTable::new();
    // Everything wrong at once: ring 0 reported first.
    let e = t
        .elevate(req("a", Ring::Sandbox, 0.0, 0), T0, "x".into(), CAP)
        .unwrap_err();
    assert_eq!(reason_of(&e), "ring_0_forbidden");
    // Target not above the base ring (even with low sigma).
    let e = t
        .elevate(req("a", Ring::Standard, 0.0, 2), T0, "x".into(), CAP)
        .unwrap_err();
    assert_eq!(reason_of(&e), "invalid_target");
    let e = t
        .elevate(req("a", Ring::Standard, 0.0, 3), T0, "x".into(), CAP)
        .unwrap_err();
    assert_eq!(reason_of(&e), "invalid_target");
    // Duplicate beats trust and sponsorship.
    t.elevate(req("a", Ring::Sandbox, 0.9, 2), T0, "elev:1".into(), CAP)
        .unwrap();
    let e = t
        .elevate(req("a", Ring::Sandbox, 0.0, 1), T0, "x".into(), CAP)
        .unwrap_err();
    assert_eq!(reason_of(&e), "duplicate_elevation");
    assert_eq!(e.details().unwrap()["elevation_id"], "elev:1");
    // Trust floors: ring 2 needs 0.50, ring 1 needs 0.85 (checked before sponsorship).
    let e = t
        .elevate(req("b", Ring::Sandbox, 0.49, 2), T0, "x".into(), CAP)
        .unwrap_err();
    assert_eq!(reason_of(&e), "insufficient_trust");
    let e = t
        .elevate(req("b", Ring::Sandbox, 0.84, 1), T0, "x".into(), CAP)
        .unwrap_err();
    assert_eq!(reason_of(&e), "insufficient_trust");
    let e = t
        .elevate(req("b", Ring::Sandbox, 0.85, 1), T0, "x".into(), CAP)
        .unwrap_err();
    assert_eq!(reason_of(&e), "no_sponsorship");
    let mut r = req("b", Ring::Sandbox, 0.85, 1);
    r.attestation = Some("  ".into());
    let e = t.elevate(r.clone(), T0, "x".into(), CAP).unwrap_err();
    assert_eq!(reason_of(&e), "no_sponsorship");
    r.attestation = Some("sponsor:c".into());
    let g = t.elevate(r, T0, "elev:2".into(), CAP).unwrap();
    assert_eq!(g.elevated_ring, Ring::Privileged);
    assert_eq!(t.effective_ring("b", Ring::Sandbox, T0), Ring::Privileged);
    // Denials leave nothing behind.
    assert_eq!(t.len(), 2);
}

#[test]
fn argument_errors_name_fields() {
    let mut t = ElevationTable::new();
    let e = t
        .elevate(req("a", Ring::Sandbox, 0.9, 4), T0, "x".into(), CAP)
        .unwrap_err();
    assert_eq!(
        (e.code(), e.details().unwrap()["field"].as_str()),
        (Code::INVALID_ARGUMENT, Some("target_ring"))
    );
    let mut r = req("a", Ring::Sandbox, 0.9, 2);
    r.ttl_secs = Some(0);
    let e = t.elevate(r, T0, "x".into(), CAP).unwrap_err();
    assert_eq!(e.details().unwrap()["field"], "ttl_seconds");
    let e = t
        .elevate(req("a", Ring::Sandbox, f64::NAN, 2), T0, "x".into(), CAP)
        .unwrap_err();
    assert_eq!(e.details().unwrap()["field"], "sigma");
    let mut r = req("a", Ring::Sandbox, 0.9, 2);
    r.reason = Some("r".repeat(MAX_API_PATH_BYTES + 1));
    let e = t.elevate(r, T0, "x".into(), CAP).unwrap_err();
    assert_eq!(e.details().unwrap()["field"], "reason");
}

#[test]
fn ttl_default_and_clamp() {
    let mut t = ElevationTable::new();
    let mut r = req("a", Ring::Sandbox, 0.9, 2);
    r.ttl_secs = Some(10_000);
    let e = t.elevate(r, T0, "e1".into(), CAP).unwrap();
    assert_eq!(e.expires_at, T0.plus_secs(3600.0));
    let mut r = req("b", Ring::Sandbox, 0.9, 2);
    r.ttl_secs = Some(5);
    assert_eq!(
        t.elevate(r, T0, "e2".into(), CAP).unwrap().expires_at,
        T0.plus_secs(5.0)
    );
}

#[test]
fn expire_due_reports_each_once_and_never_revoked() {
    let mut t = ElevationTable::new();
    let mut r = req("a", Ring::Sandbox, 0.9, 2);
    r.ttl_secs = Some(10);
    t.elevate(r.clone(), T0, "e1".into(), CAP).unwrap();
    r.agent_did = "b";
    t.elevate(r.clone(), T0, "e2".into(), CAP).unwrap();
    r.agent_did = "c";
    r.ttl_secs = Some(20);
    t.elevate(r, T0, "e3".into(), CAP).unwrap();
    assert!(t.expire_due(T0.plus_secs(9.0)).is_empty());
    assert!(t.revoke("e2").unwrap().revoked);
    // An expired-but-unreported elevation no longer blocks a new one.
    let now = T0.plus_secs(10.0);
    t.elevate(req("a", Ring::Sandbox, 0.9, 2), now, "e4".into(), CAP)
        .unwrap();
    let due = t.expire_due(now);
    assert_eq!(
        due.iter()
            .map(|e| e.elevation_id.as_str())
            .collect::<Vec<_>>(),
        ["e1"]
    );
    assert!(!due[0].revoked);
    assert!(t.expire_due(now).is_empty());
    // The new elevation of "a" is still in force.
    assert_eq!(t.effective_ring("a", Ring::Sandbox, now), Ring::Standard);
    let due = t.expire_due(T0.plus_secs(1000.0));
    let mut ids: Vec<_> = due.iter().map(|e| e.elevation_id.as_str()).collect();
    ids.sort_unstable();
    assert_eq!(ids, ["e3", "e4"]);
    assert!(t.is_empty());
}

#[test]
fn revoke_and_revoke_agent() {
    let mut t = ElevationTable::new();
    let e = t.revoke("elev:nope").unwrap_err();
    assert_eq!(e.code(), Code::ELEVATION_NOT_FOUND);
    assert!(e.message().contains("elev:nope"));
    t.elevate(req("a", Ring::Sandbox, 0.9, 2), T0, "e1".into(), CAP)
        .unwrap();
    assert!(t.revoke_agent("b").is_none());
    let r = t.revoke_agent("a").unwrap();
    assert_eq!((r.elevation_id.as_str(), r.revoked), ("e1", true));
    assert_eq!(t.effective_ring("a", Ring::Sandbox, T0), Ring::Sandbox);
    assert_eq!(
        t.revoke("e1").unwrap_err().code(),
        Code::ELEVATION_NOT_FOUND
    );
    // Re-elevation after revocation is allowed.
    t.elevate(req("a", Ring::Sandbox, 0.9, 2), T0, "e2".into(), CAP)
        .unwrap();
    assert!(t
        .expire_due(T0.plus_secs(1e4))
        .iter()
        .all(|e| e.elevation_id == "e2"));
}

#[test]
fn cap_prunes_expired_first_then_refuses() {
    let mut t = ElevationTable::new();
    let mut r = req("a", Ring::Sandbox, 0.9, 2);
    r.ttl_secs = Some(10);
    t.elevate(r.clone(), T0, "e1".into(), 2).unwrap();
    r.agent_did = "b";
    r.ttl_secs = Some(100);
    t.elevate(r.clone(), T0, "e2".into(), 2).unwrap();
    r.agent_did = "c";
    let e = t.elevate(r.clone(), T0, "e3".into(), 2).unwrap_err();
    assert_eq!(e.code(), Code::CAPACITY_EXCEEDED);
    assert_eq!(e.details().unwrap()["table"], "elevations");
    // After e1 expires, its slot is reclaimed and it is still reported exactly once.
    let now = T0.plus_secs(10.0);
    t.elevate(r, now, "e3".into(), 2).unwrap();
    let due = t.expire_due(now);
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].elevation_id, "e1");
    assert!(t.expire_due(now).is_empty());
    assert_eq!(t.len(), 2);
    // Duplicate minted ids are refused.
    let e = t
        .elevate(req("d", Ring::Sandbox, 0.9, 2), now, "e3".into(), 5)
        .unwrap_err();
    assert_eq!(e.code(), Code::DUPLICATE_ID);
}

#[test]
fn active_listing_and_wire_shape() {
    let mut t = ElevationTable::new();
    let mut r = req("b", Ring::Sandbox, 0.9, 2);
    r.reason = Some("deploy".into());
    t.elevate(r, T0.plus_secs(1.0), "e2".into(), CAP).unwrap();
    let mut r = req("a", Ring::Standard, 0.9, 1);
    r.attestation = Some("att".into());
    t.elevate(r, T0, "e1".into(), CAP).unwrap();
    let all: Vec<_> = t
        .active(None, T0.plus_secs(2.0))
        .iter()
        .map(|e| e.elevation_id.as_str())
        .collect();
    assert_eq!(all, ["e1", "e2"]);
    let j = serde_json::to_value(t.get("e1").unwrap()).unwrap();
    assert_eq!(
        j,
        serde_json::json!({"elevation_id": "e1", "agent_did": "a", "original_ring": 2,
            "elevated_ring": 1, "granted_at": "2026-01-01T00:00:00.000000Z",
            "expires_at": "2026-01-01T00:05:00.000000Z"})
    );
}

#[test]
fn child_ring_is_parent_plus_one_capped() {
    assert_eq!(child_ring(Ring::Root), Ring::Privileged);
    assert_eq!(child_ring(Ring::Privileged), Ring::Standard);
    assert_eq!(child_ring(Ring::Standard), Ring::Sandbox);
    assert_eq!(child_ring(Ring::Sandbox), Ring::Sandbox);
}

mod props {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashSet;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]
        /// Random grants, revocations and clock moves: every granted elevation is reported
        /// expired at most once, never after revocation, and the effective ring agrees with
        /// the active list.
        #[test]
        fn expiry_exactly_once(ops in proptest::collection::vec((0u8..4, 0usize..4, 1u64..50), 1..80)) {
            let agents = ["a", "b", "c", "d"];
            let mut t = ElevationTable::new();
            let mut now = T0;
            let mut next = 0u32;
            let mut granted = HashSet::new();
            let mut revoked = HashSet::new();
            let mut reported = HashSet::new();
            for (op, ai, n) in ops {
                let agent = agents[ai];
                match op {
                    0 | 1 => {
                        let mut r = req(agent, Ring::Sandbox, 0.9, 2);
                        r.ttl_secs = Some(n);
                        next += 1;
                        if let Ok(e) = t.elevate(r, now, format!("e{next}"), 3) {
                            granted.insert(e.elevation_id.clone());
                        }
                    }
                    2 => {
                        if let Some(e) = t.revoke_agent(agent) {
                            revoked.insert(e.elevation_id);
                        }
                    }
                    _ => now = now.plus_secs(n as f64),
                }
                for e in t.expire_due(now) {
                    prop_assert!(granted.contains(&e.elevation_id));
                    prop_assert!(!revoked.contains(&e.elevation_id));
                    prop_assert!(e.expires_at <= now);
                    prop_assert!(reported.insert(e.elevation_id));
                }
                for a in agents {
                    let act = t.active(Some(a), now);
                    let eff = t.effective_ring(a, Ring::Sandbox, now);
                    prop_assert_eq!(eff == Ring::Standard, act.len() == 1);
                }
                prop_assert!(t.len() <= 3);
            }
            for e in t.expire_due(now.plus_secs(1e4)) {
                prop_assert!(reported.insert(e.elevation_id));
            }
            let done: HashSet<_> = reported.union(&revoked).cloned().collect();
            prop_assert_eq!(done, granted);
            prop_assert!(t.is_empty());
        }
    }
}
