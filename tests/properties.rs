//! Property tests through the engine's JSON API (the domain modules have their own):
//! σ_eff against a brute-force model of the bonds after random vouch / release / expiry
//! sequences, ledger risk against a brute-force sum of the entries and within [0, 1] (with
//! admission following it), and the session lifecycle never leaving its transition table.

mod common;

use agent_hypervisor::Hypervisor;
use common::*;
use proptest::prelude::*;
use serde_json::{json, Value};

fn call(hv: &Hypervisor, method: &str, req: Value) -> Result<Value, Value> {
    agent_hypervisor::api::call(hv, method, &req.to_string())
        .map(|s| serde_json::from_str(&s).unwrap())
        .map_err(|e| e.to_json()["error"].clone())
}

// ---------------------------------------------------------------- σ_eff

/// σ of the five agents; all may vouch (σ ≥ 0.5).
const SIGMAS: [f64; 5] = [0.5, 0.625, 0.75, 0.875, 1.0];
const PCTS: [f64; 5] = [0.0, 0.125, 0.25, 0.5, 1.0];
const OMEGAS: [f64; 3] = [0.1, 0.5, 1.0];

#[derive(Debug, Clone)]
enum BondOp {
    Vouch {
        voucher: usize,
        vouchee: usize,
        pct: usize,
        expires_in: Option<u8>,
    },
    Release(usize),
    Advance(u8),
}

fn bond_op() -> impl Strategy<Value = BondOp> {
    prop_oneof![
        4 => (0..5usize, 0..5usize, 0..5usize, proptest::option::of(1u8..30)).prop_map(
            |(voucher, vouchee, pct, expires_in)| BondOp::Vouch { voucher, vouchee, pct, expires_in }
        ),
        2 => (0..64usize).prop_map(BondOp::Release),
        1 => (1u8..20).prop_map(BondOp::Advance),
    ]
}

/// A bond as the model sees it.
struct Bond {
    id: String,
    voucher: usize,
    vouchee: usize,
    amount: f64,
    expires_at: Option<i64>,
    released: bool,
}

impl Bond {
    fn active(&self, now: i64) -> bool {
        !self.released && self.expires_at.is_none_or(|e| now < e)
    }
}

fn agent(i: usize) -> String {
    format!("did:a{i}")
}

/// True when `to` is reachable from `from` over active bonds (voucher → vouchee).
fn reaches(bonds: &[Bond], now: i64, from: usize, to: usize) -> bool {
    let mut stack = vec![from];
    let mut seen = [false; 5];
    while let Some(x) = stack.pop() {
        if x == to {
            return true;
        }
        if std::mem::replace(&mut seen[x], true) {
            continue;
        }
        stack.extend(
            bonds
                .iter()
                .filter(|b| b.active(now) && b.voucher == x)
                .map(|b| b.vouchee),
        );
    }
    false
}

fn run_bonds(ops: &[BondOp]) -> Result<(), TestCaseError> {
    let hv = engine();
    let agents: Vec<(String, f64)> = (0..5).map(|i| (agent(i), SIGMAS[i])).collect();
    let refs: Vec<(&str, f64)> = agents.iter().map(|(a, s)| (a.as_str(), *s)).collect();
    session(&hv, "s", &refs);
    let mut now: i64 = 0; // seconds since start
    let mut bonds: Vec<Bond> = Vec::new();
    for op in ops {
        match op {
            BondOp::Vouch {
                voucher,
                vouchee,
                pct,
                expires_in,
            } => {
                let (v, e) = (*voucher, *vouchee);
                let amount = SIGMAS[v] * PCTS[*pct];
                let exposure: f64 = bonds
                    .iter()
                    .filter(|b| b.active(now) && b.voucher == v)
                    .map(|b| b.amount)
                    .sum();
                let limit = SIGMAS[v] * 0.8;
                let expires_at = expires_in.map(|d| now + d as i64);
                let mut req = json!({"session_id": "s", "voucher_did": agent(v),
                                     "vouchee_did": agent(e), "bond_pct": PCTS[*pct]});
                if let Some(t) = expires_at {
                    req["expires_at"] = json!(format!(
                        "2026-01-01T{:02}:{:02}:{:02}Z",
                        t / 3600,
                        t / 60 % 60,
                        t % 60
                    ));
                }
                let expected = if v == e || reaches(&bonds, now, e, v) {
                    Some("CIRCULAR_VOUCH")
                } else if exposure + amount > limit + 1e-9 {
                    Some("EXPOSURE_EXCEEDED")
                } else {
                    None
                };
                let near_limit = (exposure + amount - limit).abs() < 1e-9;
                match call(&hv, "liability.vouch", req) {
                    Ok(r) => {
                        prop_assert!(
                            expected.is_none() || (near_limit && v != e),
                            "accepted, model says {expected:?}"
                        );
                        prop_assert!((r["bonded_amount"].as_f64().unwrap() - amount).abs() < 1e-12);
                        bonds.push(Bond {
                            id: r["vouch_id"].as_str().unwrap().to_owned(),
                            voucher: v,
                            vouchee: e,
                            amount,
                            expires_at,
                            released: false,
                        });
                    }
                    Err(err) => {
                        let code = err["code"].as_str().unwrap();
                        prop_assert!(
                            expected == Some(code)
                                || (near_limit && code == "EXPOSURE_EXCEEDED")
                                // The engine checks exposure before cycles.
                                || (expected == Some("CIRCULAR_VOUCH")
                                    && code == "EXPOSURE_EXCEEDED"
                                    && v != e
                                    && exposure + amount > limit - 1e-9),
                            "refused with {code}, model says {expected:?}: {err}"
                        );
                    }
                }
            }
            BondOp::Release(k) => {
                if bonds.is_empty() {
                    continue;
                }
                let n = bonds.len();
                let b = &mut bonds[k % n];
                let r = call(&hv, "liability.release", json!({"vouch_id": b.id}));
                prop_assert!(r.is_ok(), "release: {r:?}");
                b.released = true;
            }
            BondOp::Advance(secs) => {
                advance(&hv, *secs as f64);
                now += *secs as i64;
            }
        }
        // Brute force: σ_eff = min(1, σ + ω × Σ active bonds received), for every agent and ω.
        for (i, sigma) in SIGMAS.iter().enumerate() {
            let received: f64 = bonds
                .iter()
                .filter(|b| b.active(now) && b.vouchee == i)
                .map(|b| b.amount)
                .sum();
            let given: f64 = bonds
                .iter()
                .filter(|b| b.active(now) && b.voucher == i)
                .map(|b| b.amount)
                .sum();
            for omega in OMEGAS {
                let got = call(
                    &hv,
                    "liability.sigma_eff",
                    json!({"session_id": "s", "agent_did": agent(i), "risk_weight": omega}),
                )
                .unwrap()["sigma_eff"]
                    .as_f64()
                    .unwrap();
                let want = (sigma + omega * received).min(1.0);
                prop_assert!(
                    (got - want).abs() < 1e-9,
                    "{} ω={omega}: {got} != {want}",
                    agent(i)
                );
            }
            let exp = call(
                &hv,
                "liability.exposure",
                json!({"session_id": "s", "agent_did": agent(i)}),
            )
            .unwrap();
            let bonded = exp["bonded_total"].as_f64().unwrap();
            prop_assert!(bonded >= -1e-12, "negative bond total {bonded}");
            prop_assert!((bonded - given).abs() < 1e-9);
            prop_assert!(
                bonded <= exp["limit"].as_f64().unwrap() + 1e-9,
                "exposure above cap"
            );
        }
        let active = bonds.iter().filter(|b| b.active(now)).count();
        prop_assert_eq!(
            call(&hv, "stats", json!({})).unwrap()["active_vouches"].as_u64(),
            Some(active as u64)
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn sigma_eff_matches_the_brute_force_sum(ops in proptest::collection::vec(bond_op(), 1..40)) {
        run_bonds(&ops)?;
    }
}

// ---------------------------------------------------------------- ledger risk

#[derive(Debug, Clone)]
enum RiskOp {
    Slash { agent: usize, omega: u8 },
    Quarantine(usize),
    ReleaseQuarantine(usize),
    Vouch { voucher: usize, vouchee: usize },
    NextSession,
}

fn risk_op() -> impl Strategy<Value = RiskOp> {
    prop_oneof![
        2 => (0..4usize, 0u8..=10).prop_map(|(agent, omega)| RiskOp::Slash { agent, omega }),
        2 => (0..4usize).prop_map(RiskOp::Quarantine),
        1 => (0..4usize).prop_map(RiskOp::ReleaseQuarantine),
        2 => (0..4usize, 0..4usize).prop_map(|(voucher, vouchee)| RiskOp::Vouch { voucher, vouchee }),
        2 => Just(RiskOp::NextSession),
    ]
}

/// Risk recomputed from the entries: slashes, quarantines, faults and clean sessions.
fn brute_force_risk(entries: &[Value]) -> f64 {
    let mut r = 0.0;
    for e in entries {
        let sev = e["severity"].as_f64().unwrap();
        match e["entry_type"].as_str().unwrap() {
            "slash_received" | "slash_cascaded" => r += 0.15 * sev.max(0.5),
            "quarantine_entered" => r += 0.10 * sev.max(0.3),
            "fault_attributed" => r += 0.05 * sev,
            "clean_session" => r -= 0.05,
            _ => {}
        }
    }
    r.clamp(0.0, 1.0)
}

fn recommendation(risk: f64) -> &'static str {
    if risk >= 0.6 {
        "deny"
    } else if risk >= 0.3 {
        "probation"
    } else {
        "admit"
    }
}

/// Joins every agent to session `sid`; admission must follow each agent's ledger profile.
fn join_all(hv: &Hypervisor, sid: &str) -> Result<(), TestCaseError> {
    ok(
        hv,
        "session.create",
        json!({"creator_did": "did:c", "session_id": sid}),
    );
    for i in 0..4 {
        let profile = ok(hv, "liability.ledger", json!({"agent_did": agent(i)}))["profile"].clone();
        let rec = profile["recommendation"].as_str().unwrap().to_owned();
        let r = call(
            hv,
            "session.join",
            json!({"session_id": sid, "agent_did": agent(i), "sigma_raw": 0.75}),
        );
        let got = match &r {
            Ok(v) => v["ring"].to_string(),
            Err(e) => e["code"].to_string(),
        };
        let want = match rec.as_str() {
            "deny" => "\"ADMISSION_DENIED\"",
            "probation" => "3",
            _ => "2",
        };
        prop_assert_eq!(got.as_str(), want, "{} with profile {}", agent(i), profile);
    }
    let _ = call(hv, "session.activate", json!({"session_id": sid}));
    Ok(())
}

fn run_risk(ops: &[RiskOp]) -> Result<(), TestCaseError> {
    let hv = engine();
    let mut n = 0;
    join_all(&hv, "s0")?;
    for op in ops {
        let sid = format!("s{n}");
        let _ = match op {
            RiskOp::Slash { agent: a, omega } => call(
                &hv,
                "liability.slash",
                json!({"session_id": sid, "agent_did": agent(*a),
                       "risk_weight": *omega as f64 / 10.0, "reason": "prop"}),
            ),
            RiskOp::Quarantine(a) => call(
                &hv,
                "liability.quarantine",
                json!({"session_id": sid, "agent_did": agent(*a), "reason": "manual"}),
            ),
            RiskOp::ReleaseQuarantine(a) => call(
                &hv,
                "liability.release_quarantine",
                json!({"session_id": sid, "agent_did": agent(*a)}),
            ),
            RiskOp::Vouch { voucher, vouchee } => call(
                &hv,
                "liability.vouch",
                json!({"session_id": sid, "voucher_did": agent(*voucher),
                       "vouchee_did": agent(*vouchee), "bond_pct": 0.3}),
            ),
            RiskOp::NextSession => {
                ok(&hv, "session.terminate", json!({ "session_id": sid }));
                n += 1;
                join_all(&hv, &format!("s{n}"))?;
                continue;
            }
        };
        for i in 0..4 {
            let l = ok(&hv, "liability.ledger", json!({"agent_did": agent(i)}));
            let risk = l["profile"]["risk_score"].as_f64().unwrap();
            prop_assert!(
                risk.is_finite() && (0.0..=1.0).contains(&risk),
                "risk {risk}"
            );
            let want = brute_force_risk(l["entries"].as_array().unwrap());
            prop_assert!(
                (risk - want).abs() < 1e-9,
                "risk {risk} != brute force {want}"
            );
            prop_assert_eq!(
                l["profile"]["recommendation"].as_str(),
                Some(recommendation(risk))
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn ledger_risk_stays_in_unit_interval_and_drives_admission(
        ops in proptest::collection::vec(risk_op(), 1..40)
    ) {
        run_risk(&ops)?;
    }
}

// ---------------------------------------------------------------- session lifecycle

#[derive(Debug, Clone)]
enum LifeOp {
    Create(usize),
    Join(usize, usize),
    Leave(usize, usize),
    Activate(usize),
    Terminate(usize),
}

fn life_op() -> impl Strategy<Value = LifeOp> {
    prop_oneof![
        1 => (0..3usize).prop_map(LifeOp::Create),
        3 => (0..3usize, 0..3usize).prop_map(|(s, a)| LifeOp::Join(s, a)),
        1 => (0..3usize, 0..3usize).prop_map(|(s, a)| LifeOp::Leave(s, a)),
        2 => (0..3usize).prop_map(LifeOp::Activate),
        1 => (0..3usize).prop_map(LifeOp::Terminate),
    ]
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum St {
    Handshaking,
    Active,
    Archived,
}

impl St {
    fn name(self) -> &'static str {
        match self {
            St::Handshaking => "handshaking",
            St::Active => "active",
            St::Archived => "archived",
        }
    }
}

/// Model of one session: its state and each agent's membership (None = never joined,
/// Some(true) = active, Some(false) = left).
#[derive(Clone)]
struct Model {
    state: St,
    members: [Option<bool>; 3],
}

fn run_life(ops: &[LifeOp]) -> Result<(), TestCaseError> {
    let hv = engine();
    let mut sessions: [Option<Model>; 3] = [None, None, None];
    for op in ops {
        let (r, expect_ok): (Result<Value, Value>, bool) = match *op {
            LifeOp::Create(s) => {
                let r = call(
                    &hv,
                    "session.create",
                    json!({"creator_did": "did:c", "session_id": format!("s{s}")}),
                );
                let fresh = sessions[s].is_none();
                if fresh && r.is_ok() {
                    sessions[s] = Some(Model {
                        state: St::Handshaking,
                        members: [None; 3],
                    });
                }
                (r, fresh)
            }
            LifeOp::Join(s, a) => {
                let r = call(
                    &hv,
                    "session.join",
                    json!({"session_id": format!("s{s}"), "agent_did": agent(a), "sigma_raw": 0.7}),
                );
                let ok = match &mut sessions[s] {
                    Some(m) if m.state != St::Archived && m.members[a].is_none() => {
                        m.members[a] = Some(true);
                        true
                    }
                    _ => false,
                };
                (r, ok)
            }
            LifeOp::Leave(s, a) => {
                let r = call(
                    &hv,
                    "session.leave",
                    json!({"session_id": format!("s{s}"), "agent_did": agent(a)}),
                );
                let ok = match &mut sessions[s] {
                    Some(m) if m.state != St::Archived && m.members[a] == Some(true) => {
                        m.members[a] = Some(false);
                        true
                    }
                    _ => false,
                };
                (r, ok)
            }
            LifeOp::Activate(s) => {
                let r = call(
                    &hv,
                    "session.activate",
                    json!({"session_id": format!("s{s}")}),
                );
                let ok = match &mut sessions[s] {
                    Some(m) if m.state == St::Handshaking && m.members.contains(&Some(true)) => {
                        m.state = St::Active;
                        true
                    }
                    _ => false,
                };
                (r, ok)
            }
            LifeOp::Terminate(s) => {
                let r = call(
                    &hv,
                    "session.terminate",
                    json!({"session_id": format!("s{s}")}),
                );
                let ok = match &mut sessions[s] {
                    Some(m) if m.state != St::Archived => {
                        m.state = St::Archived;
                        true
                    }
                    _ => false,
                };
                (r, ok)
            }
        };
        match (&r, expect_ok) {
            (Ok(_), true) => {}
            (Err(e), false) => {
                // Refusals come from the table: state, duplicates, or lookups.
                let status = e["status"].as_str().unwrap();
                prop_assert!(
                    ["INVALID_STATE", "CONFLICT", "NOT_FOUND"].contains(&status),
                    "{op:?}: unexpected refusal {e}"
                );
            }
            _ => prop_assert!(false, "{op:?}: engine {r:?}, model expected ok={expect_ok}"),
        }
        // Every session is in a state of the table and matches the model.
        for (i, m) in sessions.iter().enumerate() {
            let got = call(&hv, "session.get", json!({"session_id": format!("s{i}")}));
            match m {
                None => prop_assert!(got.is_err()),
                Some(m) => {
                    let v = got.unwrap();
                    prop_assert_eq!(v["state"].as_str(), Some(m.state.name()));
                    let active = v["participants"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .filter(|p| p["is_active"] == true)
                        .count();
                    let model_active = m.members.iter().filter(|x| **x == Some(true)).count();
                    prop_assert_eq!(active, model_active);
                }
            }
        }
        let stats = ok(&hv, "stats", json!({}));
        let want_active = sessions
            .iter()
            .flatten()
            .filter(|m| m.state == St::Active)
            .count();
        prop_assert_eq!(stats["active_sessions"].as_u64(), Some(want_active as u64));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn session_lifecycle_never_leaves_its_table(ops in proptest::collection::vec(life_op(), 1..50)) {
        run_life(&ops)?;
    }
}

// ---------------------------------------------------------------- saga and step states

use agent_hypervisor::saga::state::{
    saga_transition, step_transition, SagaEvent, SagaState, StepEvent, StepState,
};

const STEP_STATES: [StepState; 7] = [
    StepState::Pending,
    StepState::Executing,
    StepState::Committed,
    StepState::Failed,
    StepState::Compensating,
    StepState::Compensated,
    StepState::CompensationFailed,
];
const STEP_EVENTS: [StepEvent; 10] = [
    StepEvent::Begin,
    StepEvent::Handoff,
    StepEvent::Commit,
    StepEvent::Fail,
    StepEvent::Timeout,
    StepEvent::Retry,
    StepEvent::StartCompensation,
    StepEvent::CompensationUnavailable,
    StepEvent::Compensated,
    StepEvent::CompensationFailed,
];
const SAGA_STATES: [SagaState; 5] = [
    SagaState::Running,
    SagaState::Compensating,
    SagaState::Completed,
    SagaState::Failed,
    SagaState::Escalated,
];
const SAGA_EVENTS: [SagaEvent; 5] = [
    SagaEvent::Complete,
    SagaEvent::BeginCompensation,
    SagaEvent::RolledBack,
    SagaEvent::Escalate,
    SagaEvent::Abort,
];

/// True when `to` is reachable from `from` through zero or more transitions of a table (one
/// API call may take several steps, e.g. fail then retry).
fn reachable<S: Copy + PartialEq, E: Copy>(
    from: S,
    to: S,
    events: &[E],
    t: impl Fn(S, E) -> Option<S>,
) -> bool {
    let mut seen = vec![from];
    let mut i = 0;
    while i < seen.len() {
        let s = seen[i];
        for e in events {
            if let Some(n) = t(s, *e) {
                if !seen.contains(&n) {
                    seen.push(n);
                }
            }
        }
        i += 1;
    }
    seen.contains(&to)
}

fn step_state(name: &str) -> Option<StepState> {
    STEP_STATES.iter().copied().find(|s| s.as_str() == name)
}

fn saga_state(name: &str) -> Option<SagaState> {
    SAGA_STATES.iter().copied().find(|s| s.as_str() == name)
}

#[derive(Debug, Clone)]
enum SagaOp {
    Begin(usize),
    End(usize, bool),
    Advance(u8),
    CompensateBegin,
    CompensateEnd(usize, bool),
    Complete,
    Kill(bool),
}

fn saga_op() -> impl Strategy<Value = SagaOp> {
    prop_oneof![
        4 => (0..3usize).prop_map(SagaOp::Begin),
        4 => (0..3usize, proptest::bool::weighted(0.7)).prop_map(|(i, ok)| SagaOp::End(i, ok)),
        1 => (1u8..8).prop_map(SagaOp::Advance),
        1 => Just(SagaOp::CompensateBegin),
        2 => (0..3usize, proptest::bool::ANY).prop_map(|(i, ok)| SagaOp::CompensateEnd(i, ok)),
        1 => Just(SagaOp::Complete),
        1 => proptest::bool::ANY.prop_map(SagaOp::Kill),
    ]
}

fn run_saga(ops: &[SagaOp]) -> Result<(), TestCaseError> {
    let hv = engine();
    session(&hv, "s", &[("a", 0.9), ("b", 0.7), ("c", 0.7)]);
    ok(
        &hv,
        "saga.create",
        json!({"session_id": "s", "saga_id": "g"}),
    );
    for (i, agent) in ["a", "b", "b"].iter().enumerate() {
        let mut step = json!({"saga_id": "g", "step_id": format!("p{i}"), "action_id": "w",
                              "agent_did": agent, "execute_api": "/w", "timeout_seconds": 5,
                              "max_retries": 1});
        if i != 2 {
            step["undo_api"] = json!("/u");
        }
        ok(&hv, "saga.add_step", step);
    }
    let snapshot = |hv: &Hypervisor| -> Result<(SagaState, Vec<(StepState, u64)>), TestCaseError> {
        let g = ok(hv, "saga.get", json!({"saga_id": "g"}));
        let s = saga_state(g["state"].as_str().unwrap());
        prop_assert!(s.is_some(), "saga state outside the table: {}", g["state"]);
        let mut steps = Vec::new();
        for st in g["steps"].as_array().unwrap() {
            let s = step_state(st["state"].as_str().unwrap());
            prop_assert!(s.is_some(), "step state outside the table: {}", st["state"]);
            let attempts = st["attempts"].as_u64().unwrap_or(0);
            let retries = st["retry_count"].as_u64().unwrap_or(0);
            // A retry is spent only by a failed attempt; an executing attempt abandoned by a
            // kill handoff counts in `attempts` without spending one (docs/decisions/saga.md).
            // At most one kill happens per case, so at most one attempt is abandoned.
            prop_assert!(retries <= 1, "more retries than max_retries: {st}");
            prop_assert!(
                attempts <= 3,
                "more attempts than 1 + max_retries + 1 handoff: {st}"
            );
            steps.push((s.unwrap(), attempts));
        }
        Ok((s.unwrap(), steps))
    };
    let mut prev = snapshot(&hv)?;
    let mut killed = false;
    for op in ops {
        let step = |i: usize| format!("p{i}");
        let _ = match op {
            SagaOp::Begin(i) => call(
                &hv,
                "saga.step.begin",
                json!({"saga_id": "g", "step_id": step(*i)}),
            ),
            SagaOp::End(i, okay) => call(
                &hv,
                "saga.step.end",
                json!({"saga_id": "g", "step_id": step(*i), "ok": okay, "error": "e"}),
            ),
            SagaOp::Advance(secs) => call(&hv, "clock.advance", json!({ "seconds": secs })),
            SagaOp::CompensateBegin => call(&hv, "saga.compensate.begin", json!({"saga_id": "g"})),
            SagaOp::CompensateEnd(i, okay) => call(
                &hv,
                "saga.compensate.end",
                json!({"saga_id": "g", "step_id": step(*i), "ok": okay}),
            ),
            SagaOp::Complete => call(&hv, "saga.complete", json!({"saga_id": "g"})),
            SagaOp::Kill(with_substitute) if !killed => {
                killed = true;
                if *with_substitute {
                    ok(
                        &hv,
                        "security.substitute",
                        json!({"session_id": "s", "agent_did": "c", "available": true}),
                    );
                }
                call(
                    &hv,
                    "security.kill",
                    json!({"session_id": "s", "agent_did": "b", "reason": "manual"}),
                )
            }
            SagaOp::Kill(_) => continue,
        };
        let next = snapshot(&hv)?;
        prop_assert!(
            reachable(prev.0, next.0, &SAGA_EVENTS, |s, e| saga_transition(s, e)
                .ok()),
            "{op:?}: saga went {:?} -> {:?}",
            prev.0,
            next.0
        );
        for (i, ((a, n0), (b, n1))) in prev.1.iter().zip(&next.1).enumerate() {
            prop_assert!(
                reachable(*a, *b, &STEP_EVENTS, |s, e| step_transition(s, e).ok()),
                "{op:?}: step p{i} went {a:?} -> {b:?}"
            );
            prop_assert!(n1 >= n0, "attempts went down");
        }
        if prev.0.is_terminal() {
            prop_assert_eq!(prev.0, next.0, "a terminal saga changed state");
        }
        prev = next;
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn saga_and_step_states_follow_their_tables(ops in proptest::collection::vec(saga_op(), 1..40)) {
        run_saga(&ops)?;
    }
}
