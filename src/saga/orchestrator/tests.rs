use super::*;
use crate::saga::step::{Intent, Resource};
use proptest::prelude::*;
use serde_json::json;

const T0: Timestamp = Timestamp(1_767_225_600_000_000);
const SEC: i64 = Timestamp::MICROS_PER_SEC;

fn spec(agent: &str, undo: bool, retries: u32) -> StepSpec {
    StepSpec {
        action_id: "act".into(),
        agent_did: agent.into(),
        execute_api: "/do".into(),
        undo_api: undo.then(|| "/undo".to_owned()),
        timeout_seconds: Some(10),
        max_retries: Some(retries),
        resources: vec![Resource {
            path: "/f".into(),
            intent: Intent::Write,
        }],
        checkpoint_goal: None,
    }
}

fn saga_with(steps: &[(&str, &str, bool, u32)]) -> Saga {
    let mut s = Saga::new(
        "saga1".into(),
        "sess1".into(),
        IsolationLevel::Serializable,
        T0,
    )
    .unwrap();
    for (id, agent, undo, retries) in steps {
        s.add_step(spec(agent, *undo, *retries), (*id).into(), 100)
            .unwrap();
    }
    s
}

fn commit(s: &mut Saga, id: &str) {
    s.begin_step(id, T0).unwrap();
    let o = s
        .end_step(id, true, Some(json!({"id": id})), None, T0, 1000)
        .unwrap();
    assert_eq!(o.state, StepState::Committed);
}

fn fail(s: &mut Saga, id: &str) -> EndOutcome {
    s.begin_step(id, T0).unwrap();
    s.end_step(id, false, None, Some("boom".into()), T0, 1000)
        .unwrap()
}

#[test]
fn new_and_add_step_validate() {
    let e = Saga::new("bad id".into(), "s".into(), IsolationLevel::Snapshot, T0).unwrap_err();
    assert_eq!(e.details().unwrap()["field"], "saga_id");
    let e = Saga::new("ok".into(), "".into(), IsolationLevel::Snapshot, T0).unwrap_err();
    assert_eq!(e.details().unwrap()["field"], "session_id");

    let mut s = saga_with(&[("a", "did:ex:1", true, 0)]);
    let e = s
        .add_step(spec("did:ex:1", true, 0), "a".into(), 100)
        .unwrap_err();
    assert_eq!(e.code(), Code::DUPLICATE_ID);
    assert!(e.message().contains("'a'"));
    let e = s
        .add_step(spec("did:ex:1", true, 0), "b".into(), 1)
        .unwrap_err();
    assert_eq!(e.code(), Code::CAPACITY_EXCEEDED);
    assert_eq!(e.details().unwrap()["table"], "steps");
    let e = s
        .add_step(spec("bad did", true, 0), "b".into(), 100)
        .unwrap_err();
    assert_eq!(e.details().unwrap()["field"], "agent_did");
    // Nothing was added by the failed calls.
    assert_eq!(s.steps().len(), 1);
    s.abort("session ended", T0).unwrap();
    let e = s
        .add_step(spec("did:ex:1", true, 0), "b".into(), 100)
        .unwrap_err();
    assert_eq!(e.code(), Code::INVALID_SAGA_STATE);
}

#[test]
fn wire_shape() {
    let mut s = saga_with(&[("a", "did:ex:1", true, 0)]);
    commit(&mut s, "a");
    let j = serde_json::to_value(&s).unwrap();
    assert_eq!(j["state"], "running");
    assert_eq!(j["isolation_level"], "serializable");
    assert_eq!(j["created_at"], "2026-01-01T00:00:00.000000Z");
    assert!(j.get("error").is_none());
    assert!(j.get("completed_at").is_none());
    assert!(j.get("compensation_required").is_none());
    assert!(j.get("index").is_none());
    let st = &j["steps"][0];
    assert_eq!(st["state"], "committed");
    assert_eq!(st["result"]["id"], "a");
    assert_eq!(st["attempts"], 1);
    assert_eq!(st["resources"][0]["intent"], "write");
    assert_eq!(st["deadline"], "2026-01-01T00:00:10.000000Z");
}

#[test]
fn begin_checks_and_info() {
    let mut s = saga_with(&[("a", "did:ex:1", true, 0)]);
    assert_eq!(
        s.check_begin("zz", T0).unwrap_err().code(),
        Code::STEP_NOT_FOUND
    );
    assert_eq!(
        s.begin_step("zz", T0).unwrap_err().code(),
        Code::STEP_NOT_FOUND
    );
    s.check_begin("a", T0).unwrap();
    assert_eq!(s.step("a").unwrap().state(), StepState::Pending);
    let b = s.begin_step("a", T0).unwrap();
    assert_eq!(b.attempt, 1);
    assert_eq!(b.timeout_ms, 10_000);
    assert_eq!(b.deadline, T0.plus_micros(10 * SEC));
    let e = s.begin_step("a", T0).unwrap_err();
    assert_eq!(e.code(), Code::INVALID_STEP_STATE);
    assert_eq!(e.details().unwrap()["state"], "executing");
    assert!(s.check_begin("a", T0).is_err());
}

#[test]
fn end_success_keeps_result() {
    let mut s = saga_with(&[("a", "did:ex:1", true, 0)]);
    let e = s.end_step("a", true, None, None, T0, 1000).unwrap_err();
    assert_eq!(e.code(), Code::INVALID_STEP_STATE);
    s.begin_step("a", T0).unwrap();
    let o = s
        .end_step(
            "a",
            true,
            Some(json!(42)),
            None,
            T0.plus_micros(10 * SEC),
            1000,
        )
        .unwrap();
    assert_eq!(o.state, StepState::Committed);
    assert_eq!(o.result, Some(json!(42)));
    assert!(!o.timed_out && !o.final_failure);
    assert_eq!(s.step("a").unwrap().result(), Some(&json!(42)));
    assert_eq!(
        s.end_step("a", true, None, None, T0, 1000)
            .unwrap_err()
            .code(),
        Code::INVALID_STEP_STATE
    );
}

#[test]
fn late_success_is_a_timeout_failure() {
    let mut s = saga_with(&[("a", "did:ex:1", true, 0)]);
    s.begin_step("a", T0).unwrap();
    let late = T0.plus_micros(10 * SEC + 1);
    let o = s
        .end_step("a", true, Some(json!(1)), None, late, 1000)
        .unwrap();
    assert!(o.timed_out && o.final_failure);
    assert_eq!(o.state, StepState::Failed);
    assert_eq!(o.result, None);
    let st = s.step("a").unwrap();
    assert_eq!(st.result(), None);
    assert!(st.error().unwrap().starts_with("timeout"));
    assert_eq!(s.state(), SagaState::Running);
}

#[test]
fn retries_with_linear_backoff() {
    let mut s = saga_with(&[("a", "did:ex:1", true, 2)]);
    let o = fail(&mut s, "a");
    assert_eq!(o.state, StepState::Pending);
    assert_eq!((o.attempt, o.retry_after_ms), (1, Some(1000)));
    assert!(!o.final_failure);
    assert_eq!(o.error.as_deref(), Some("boom"));
    // Not due yet.
    let e = s.begin_step("a", T0.plus_micros(999_500)).unwrap_err();
    assert_eq!(e.code(), Code::RETRY_NOT_DUE);
    assert_eq!(e.details().unwrap()["retry_after_ms"], 1);
    // hv_saga_step under a manual clock retries at once.
    s.check_begin_immediate("a", T0).unwrap();
    let mut early = s.clone();
    assert_eq!(early.begin_step_immediate("a", T0).unwrap().attempt, 2);
    let t1 = T0.plus_millis(1000);
    assert_eq!(s.begin_step("a", t1).unwrap().attempt, 2);
    let o = s.end_step("a", false, None, None, t1, 1000).unwrap();
    assert_eq!((o.attempt, o.retry_after_ms), (2, Some(2000)));
    assert_eq!(s.step("a").unwrap().error(), Some("step failed"));
    let t2 = t1.plus_millis(2000);
    assert!(s.check_begin("a", t2.plus_micros(-1)).is_err());
    s.begin_step("a", t2).unwrap();
    let o = s.end_step("a", false, None, None, t2, 1000).unwrap();
    assert!(o.final_failure);
    assert_eq!(o.state, StepState::Failed);
    assert_eq!(o.retry_after_ms, None);
    let st = s.step("a").unwrap();
    assert_eq!((st.attempts(), st.retry_count()), (3, 2));
    assert_eq!(s.state(), SagaState::Running);
    assert_eq!(
        s.begin_step("a", t2.plus_millis(10_000))
            .unwrap_err()
            .code(),
        Code::INVALID_STEP_STATE
    );
}

#[test]
fn complete_needs_every_step_committed() {
    let mut s = saga_with(&[("a", "did:ex:1", true, 0), ("b", "did:ex:2", true, 0)]);
    commit(&mut s, "a");
    let e = s.complete(T0).unwrap_err();
    assert_eq!(e.code(), Code::INVALID_SAGA_STATE);
    assert!(e.message().contains("'b'"));
    assert_eq!(e.details().unwrap()["step_state"], "pending");
    commit(&mut s, "b");
    s.complete(T0.plus_micros(5)).unwrap();
    assert_eq!(s.state(), SagaState::Completed);
    assert_eq!(s.completed_at(), Some(T0.plus_micros(5)));
    assert_eq!(s.complete(T0).unwrap_err().code(), Code::INVALID_SAGA_STATE);
    assert_eq!(
        s.begin_step("a", T0).unwrap_err().code(),
        Code::INVALID_SAGA_STATE
    );
}

#[test]
fn compensation_reverse_order_and_escalation() {
    let mut s = saga_with(&[
        ("a", "did:ex:1", true, 0),
        ("b", "did:ex:2", false, 0),
        ("c", "did:ex:3", true, 0),
        ("d", "did:ex:4", true, 0),
        ("e", "did:ex:5", true, 0),
    ]);
    commit(&mut s, "a");
    commit(&mut s, "b");
    commit(&mut s, "c");
    fail(&mut s, "d");
    assert_eq!(
        s.compensate_end("a", true, None, T0).unwrap_err().code(),
        Code::INVALID_SAGA_STATE
    );
    let start = s.compensate_begin(T0).unwrap();
    assert_eq!(start.step_ids, vec!["c", "a"]);
    assert_eq!(start.unavailable, vec!["b"]);
    assert_eq!(start.resolved, None);
    assert_eq!(s.state(), SagaState::Compensating);
    assert_eq!(s.step("b").unwrap().state(), StepState::CompensationFailed);
    assert_eq!(s.step("e").unwrap().state(), StepState::Pending);
    assert_eq!(
        s.compensate_begin(T0).unwrap_err().code(),
        Code::INVALID_SAGA_STATE
    );
    assert_eq!(
        s.compensate_end("e", true, None, T0).unwrap_err().code(),
        Code::INVALID_STEP_STATE
    );
    let p = s.compensate_end("c", true, None, T0).unwrap();
    assert_eq!(
        (p.state, p.remaining, p.resolved),
        (StepState::Compensated, 1, None)
    );
    let p = s.compensate_end("a", true, None, T0).unwrap();
    assert_eq!(p.resolved, Some(SagaState::Escalated));
    assert_eq!(s.state(), SagaState::Escalated);
    assert!(s.error().unwrap().contains("'b'"));
    let t = s.escalation_targets();
    assert_eq!(t.len(), 1);
    assert_eq!(
        (
            t[0].agent_did.as_str(),
            t[0].action_id.as_str(),
            t[0].step_id.as_str()
        ),
        ("did:ex:2", "act", "b")
    );
    let aa = s.agent_actions();
    assert_eq!(aa.failure_step_id.as_deref(), Some("d"));
    assert_eq!(aa.failure_agent_did.as_deref(), Some("did:ex:4"));
    assert_eq!(aa.agent_actions.len(), 4); // e never ran
    assert!(aa.agent_actions["did:ex:1"][0].success);
    assert!(!aa.agent_actions["did:ex:2"][0].success);
    assert!(!aa.agent_actions["did:ex:4"][0].success);
}

#[test]
fn successful_rollback_completes_with_a_note() {
    let mut s = saga_with(&[("a", "did:ex:1", true, 0), ("b", "did:ex:2", true, 0)]);
    commit(&mut s, "a");
    fail(&mut s, "b");
    let start = s.compensate_begin(T0).unwrap();
    assert_eq!(start.step_ids, vec!["a"]);
    let p = s
        .compensate_end("a", true, None, T0.plus_micros(7))
        .unwrap();
    assert_eq!(p.resolved, Some(SagaState::Completed));
    assert_eq!(s.state(), SagaState::Completed);
    let err = s.error().unwrap();
    assert!(err.contains("rolled back") && err.contains("'b'") && err.contains("boom"));
    assert_eq!(s.completed_at(), Some(T0.plus_micros(7)));
    assert!(s.escalation_targets().is_empty());
}

#[test]
fn failed_compensation_escalates() {
    let mut s = saga_with(&[("a", "did:ex:1", true, 0)]);
    commit(&mut s, "a");
    s.compensate_begin(T0).unwrap();
    let p = s
        .compensate_end("a", false, Some("undo broke".into()), T0)
        .unwrap();
    assert_eq!(p.state, StepState::CompensationFailed);
    assert_eq!(p.resolved, Some(SagaState::Escalated));
    assert_eq!(s.step("a").unwrap().error(), Some("undo broke"));
    // No execution failure: the failure step is the failed compensation.
    assert_eq!(s.agent_actions().failure_step_id.as_deref(), Some("a"));
}

#[test]
fn nothing_to_undo_resolves_at_once() {
    let mut s = saga_with(&[("a", "did:ex:1", true, 0)]);
    fail(&mut s, "a");
    let start = s.compensate_begin(T0).unwrap();
    assert!(start.step_ids.is_empty());
    assert_eq!(start.resolved, Some(SagaState::Completed));
    assert!(s.error().unwrap().contains("rolled back"));

    let mut s = saga_with(&[("a", "did:ex:1", false, 0)]);
    commit(&mut s, "a");
    let start = s.compensate_begin(T0).unwrap();
    assert_eq!(start.resolved, Some(SagaState::Escalated));
    assert_eq!(start.unavailable, vec!["a"]);
}

#[test]
fn compensation_waits_for_executing_steps_until_their_deadline() {
    let mut s = saga_with(&[("a", "did:ex:1", true, 0), ("b", "did:ex:2", true, 0)]);
    commit(&mut s, "a");
    s.begin_step("b", T0).unwrap();
    let e = s.compensate_begin(T0.plus_micros(10 * SEC)).unwrap_err();
    assert_eq!(e.code(), Code::INVALID_SAGA_STATE);
    assert_eq!(e.details().unwrap()["step_id"], "b");
    assert_eq!(s.state(), SagaState::Running);
    assert_eq!(s.step("a").unwrap().state(), StepState::Committed);
    let start = s.compensate_begin(T0.plus_micros(10 * SEC + 1)).unwrap();
    assert_eq!(start.timed_out, vec!["b"]);
    assert_eq!(start.step_ids, vec!["a"]);
    assert_eq!(s.step("b").unwrap().state(), StepState::Failed);
}

#[test]
fn handoff_moves_in_flight_steps() {
    let mut s = saga_with(&[
        ("a", "did:ex:k", true, 0),
        ("b", "did:ex:k", true, 0),
        ("c", "did:ex:k", true, 0),
        ("d", "did:ex:other", true, 0),
    ]);
    commit(&mut s, "a");
    s.begin_step("b", T0).unwrap();
    assert_eq!(s.in_flight_steps_of("did:ex:k"), vec!["b", "c"]);
    let h = s.handoff("b", "did:ex:sub").unwrap();
    assert!(h.abandoned_attempt);
    assert_eq!(h.from_agent, "did:ex:k");
    let b = s.step("b").unwrap();
    assert_eq!(
        (b.state(), b.agent_did(), b.deadline()),
        (StepState::Pending, "did:ex:sub", None)
    );
    // The killed agent's late report is refused.
    assert_eq!(
        s.end_step("b", true, None, None, T0, 1000)
            .unwrap_err()
            .code(),
        Code::INVALID_STEP_STATE
    );
    // The abandoned attempt did not use up the (zero) retries.
    commit(&mut s, "b");
    assert_eq!(s.step("b").unwrap().attempts(), 2);
    let h = s.handoff("c", "did:ex:sub").unwrap();
    assert!(!h.abandoned_attempt);
    assert_eq!(
        s.handoff("a", "did:ex:sub").unwrap_err().code(),
        Code::INVALID_STEP_STATE
    );
    assert_eq!(
        s.handoff("c", "not valid").unwrap_err().details().unwrap()["field"],
        "to_agent"
    );
    assert!(s.in_flight_steps_of("did:ex:k").is_empty());
}

#[test]
fn marked_saga_refuses_new_work() {
    let mut s = saga_with(&[("a", "did:ex:1", true, 0), ("b", "did:ex:2", true, 0)]);
    s.begin_step("a", T0).unwrap();
    assert!(s.mark_for_compensation());
    assert!(!s.mark_for_compensation());
    assert!(s.compensation_required());
    let e = s.begin_step("b", T0).unwrap_err();
    assert_eq!(e.code(), Code::INVALID_SAGA_STATE);
    assert!(e.message().contains("marked"));
    // An executing step may still end.
    s.end_step("a", true, None, None, T0, 1000).unwrap();
    assert_eq!(s.complete(T0).unwrap_err().code(), Code::INVALID_SAGA_STATE);
    assert_eq!(
        serde_json::to_value(&s).unwrap()["compensation_required"],
        true
    );
    let start = s.compensate_begin(T0).unwrap();
    assert_eq!(start.step_ids, vec!["a"]);
    s.compensate_end("a", true, None, T0).unwrap();
    assert!(s.error().unwrap().contains("killed"));
}

#[test]
fn abort_fails_the_saga() {
    let mut s = saga_with(&[("a", "did:ex:1", true, 0)]);
    s.begin_step("a", T0).unwrap();
    s.abort("session terminated", T0).unwrap();
    assert_eq!(s.state(), SagaState::Failed);
    assert_eq!(s.error(), Some("session terminated"));
    assert_eq!(
        s.end_step("a", true, None, None, T0, 1000)
            .unwrap_err()
            .code(),
        Code::INVALID_SAGA_STATE
    );
    let e = s.abort("again", T0).unwrap_err();
    assert_eq!(e.code(), Code::INVALID_SAGA_STATE);
    assert!(e.message().contains("saga1"));
    assert!(!s.mark_for_compensation());
}

#[derive(Debug, Clone)]
enum Op {
    Begin(usize, i64),
    End(usize, bool, i64),
    Complete,
    CompBegin(i64),
    CompEnd(usize, bool),
    Handoff(usize),
    Mark,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..3usize, 0..3000i64).prop_map(|(i, ms)| Op::Begin(i, ms)),
        (0..3usize, any::<bool>(), 0..12_000i64).prop_map(|(i, ok, ms)| Op::End(i, ok, ms)),
        Just(Op::Complete),
        (0..12_000i64).prop_map(Op::CompBegin),
        (0..3usize, any::<bool>()).prop_map(|(i, ok)| Op::CompEnd(i, ok)),
        (0..3usize).prop_map(Op::Handoff),
        Just(Op::Mark),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// Any sequence of operations keeps the bookkeeping consistent with the states, and a
    /// failed operation changes nothing.
    #[test]
    fn random_operations_keep_invariants(ops in prop::collection::vec(op(), 0..40)) {
        let ids = ["a", "b", "c"];
        let mut s = saga_with(&[("a", "did:ex:1", true, 1), ("b", "did:ex:2", false, 0), ("c", "did:ex:3", true, 2)]);
        let mut now = T0;
        for o in ops {
            let before = s.clone();
            let r = match o {
                Op::Begin(i, ms) => { now = now.plus_millis(ms); s.begin_step(ids[i], now).map(|_| ()) }
                Op::End(i, ok, ms) => s.end_step(ids[i], ok, Some(json!(1)), None, now.plus_millis(ms), 500).map(|_| ()),
                Op::Complete => s.complete(now),
                Op::CompBegin(ms) => s.compensate_begin(now.plus_millis(ms)).map(|_| ()),
                Op::CompEnd(i, ok) => s.compensate_end(ids[i], ok, None, now).map(|_| ()),
                Op::Handoff(i) => s.handoff(ids[i], "did:ex:sub").map(|_| ()),
                Op::Mark => { s.mark_for_compensation(); Ok(()) }
            };
            if r.is_err() {
                prop_assert_eq!(&s, &before);
            }
            for st in s.steps() {
                prop_assert!(st.retry_count() <= st.max_retries());
                if st.state() == StepState::Executing { prop_assert!(st.deadline().is_some()); }
                if st.state() != StepState::Pending { prop_assert!(st.attempts() >= 1); }
                if st.result().is_some() { prop_assert!(st.state().has_committed()); }
            }
            let open = s.steps().iter().filter(|x| x.state() == StepState::Compensating).count();
            prop_assert_eq!(open, s.open_compensations);
            if s.state() == SagaState::Compensating { prop_assert!(open > 0); }
            if s.state().is_terminal() { prop_assert!(s.completed_at().is_some()); }
        }
    }
}
