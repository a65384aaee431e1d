use super::*;
use serde_json::json;

fn good() -> Value {
    json!({
        "name": "deploy-model",
        "session_id": "sess-1",
        "saga_id": "saga-1",
        "steps": [
            {"id": "validate", "action_id": "model.validate", "agent": "did:mesh:v",
             "execute_api": "/api/validate", "undo_api": "/api/unvalidate"},
            {"id": "test-a", "action_id": "t", "agent": "did:mesh:a", "execute_api": "/t",
             "timeout": 600, "retries": 2, "checkpoint_goal": "tests pass"},
            {"id": "test-b", "action_id": "t", "agent": "did:mesh:b", "execute_api": "/t",
             "undo_api": null}
        ],
        "fan_out": [{"policy": "majority_must_succeed", "branches": ["test-a", "test-b"]}],
        "metadata": {"owner": "ops"}
    })
}

/// Errors for `def`, asserting each message starts with a `definition` path.
fn errs(def: &Value) -> Vec<String> {
    let e = validate(def);
    for m in &e {
        assert!(m.starts_with("definition"), "{m}");
    }
    e
}

fn has(errors: &[String], needle: &str) -> bool {
    errors.iter().any(|e| e.contains(needle))
}

#[test]
fn valid_definition_parses() {
    assert!(errs(&good()).is_empty());
    let d = parse(&good()).unwrap();
    assert_eq!(d.name, "deploy-model");
    assert_eq!(d.saga_id.as_deref(), Some("saga-1"));
    assert_eq!(d.steps.len(), 3);
    assert_eq!(d.steps[1].timeout, Some(600));
    assert_eq!(d.steps[1].retries, Some(2));
    assert_eq!(d.steps[2].undo_api, None);
    assert_eq!(d.fan_out[0].policy, FanOutPolicy::MajorityMustSucceed);
    assert_eq!(d.fan_out[0].branches, vec!["test-a", "test-b"]);
    assert_eq!(d.metadata.unwrap()["owner"], "ops");
    let spec = d.steps[1].to_spec();
    assert_eq!(spec.agent_did, "did:mesh:a");
    assert_eq!(spec.timeout_seconds, Some(600));
    assert_eq!(spec.checkpoint_goal.as_deref(), Some("tests pass"));
}

#[test]
fn nulls_mean_absent() {
    let mut d = good();
    d["saga_id"] = Value::Null;
    d["fan_out"] = Value::Null;
    d["metadata"] = Value::Null;
    let p = parse(&d).unwrap();
    assert!(p.saga_id.is_none() && p.fan_out.is_empty() && p.metadata.is_none());
    d["name"] = Value::Null;
    assert_eq!(errs(&d), vec!["definition.name: missing"]);
}

#[test]
fn missing_top_level_fields() {
    let e = errs(&json!({}));
    assert_eq!(
        e,
        vec![
            "definition.name: missing",
            "definition.session_id: missing",
            "definition.steps: missing"
        ]
    );
    let e = errs(&json!([]));
    assert_eq!(e, vec!["definition: must be an object, got an array"]);
}

#[test]
fn empty_steps() {
    let mut d = good();
    d["steps"] = json!([]);
    d["fan_out"] = Value::Null;
    assert_eq!(
        errs(&d),
        vec!["definition.steps: must contain at least one step"]
    );
}

#[test]
fn step_missing_fields_name_the_step() {
    let mut d = good();
    d["steps"][1] = json!({"id": "test-a", "execute_api": "/t"});
    d["steps"][2] = json!({"action_id": "t", "agent": "did:x", "execute_api": "/t"});
    let e = errs(&d);
    assert!(
        has(&e, "definition.steps[1].action_id: missing (step 'test-a')"),
        "{e:?}"
    );
    assert!(has(
        &e,
        "definition.steps[1].agent: missing (step 'test-a')"
    ));
    assert!(has(&e, "definition.steps[2].id: missing"));
    // The fan-out now names a step that no longer exists.
    assert!(has(
        &e,
        "definition.fan_out[0].branches[1]: 'test-b' is not a step id"
    ));
    assert_eq!(e.len(), 4, "{e:?}");
}

#[test]
fn duplicate_step_ids() {
    let mut d = good();
    d["steps"][1]["id"] = json!("validate");
    let e = errs(&d);
    assert!(has(
        &e,
        "definition.steps[1].id: duplicate step id 'validate' (also definition.steps[0])"
    ));
}

#[test]
fn unknown_policy() {
    let mut d = good();
    d["fan_out"][0]["policy"] = json!("most_must_succeed");
    let e = errs(&d);
    assert_eq!(e.len(), 1);
    assert!(e[0]
        .starts_with("definition.fan_out[0].policy: unknown fan-out policy 'most_must_succeed'"));
}

#[test]
fn branch_not_a_step_and_too_few_branches() {
    let mut d = good();
    d["fan_out"] = json!([
        {"policy": "any_must_succeed", "branches": ["test-a", "ghost"]},
        {"policy": "all_must_succeed", "branches": ["test-a"]},
        {"policy": "all_must_succeed", "branches": ["test-a", "test-a", 3]}
    ]);
    let e = errs(&d);
    assert!(has(
        &e,
        "definition.fan_out[0].branches[1]: 'ghost' is not a step id"
    ));
    assert!(has(
        &e,
        "definition.fan_out[1].branches: a fan-out needs at least 2 branches, got 1"
    ));
    assert!(has(
        &e,
        "definition.fan_out[2].branches[1]: duplicate branch 'test-a'"
    ));
    assert!(has(
        &e,
        "definition.fan_out[2].branches[2]: must be a string, got a number"
    ));
    assert_eq!(e.len(), 4, "{e:?}");
}

#[test]
fn wrong_types() {
    let d = json!({
        "name": 5,
        "session_id": "bad id",
        "saga_id": true,
        "steps": [
            "not an object",
            {"id": 7, "action_id": "a", "agent": "did:x", "execute_api": "",
             "timeout": 0, "retries": -1, "undo_api": 3, "checkpoint_goal": ""},
            {"id": "s", "action_id": "a", "agent": "did:x", "execute_api": "/x",
             "timeout": 1.5, "retries": "2"}
        ],
        "fan_out": {"policy": "any_must_succeed"},
        "metadata": "x"
    });
    let e = errs(&d);
    for needle in [
        "definition.name: must be a string, got a number",
        "definition.session_id: identifier must match",
        "definition.saga_id: must be a string, got a boolean",
        "definition.steps[0]: must be an object, got a string",
        "definition.steps[1].id: must be a string, got a number",
        "definition.steps[1].execute_api: must be 1..=2048 bytes",
        "definition.steps[1].undo_api: must be a string, got a number",
        "definition.steps[1].timeout: must be 1..=86400, got 0",
        "definition.steps[1].retries: must be an integer in 0..=100, got -1",
        "definition.steps[1].checkpoint_goal: must be 1..=4096 bytes",
        "definition.steps[2].timeout: must be an integer in 1..=86400, got 1.5 (step 's')",
        "definition.steps[2].retries: must be an integer, got a string (step 's')",
        "definition.fan_out: must be an array, got an object",
        "definition.metadata: must be an object, got a string",
    ] {
        assert!(has(&e, needle), "missing {needle:?} in {e:#?}");
    }
    assert_eq!(e.len(), 14, "{e:#?}");
}

#[test]
fn unknown_fields_at_every_level() {
    let mut d = good();
    d["sagaid"] = json!("x");
    d["steps"][0]["timeout_seconds"] = json!(5);
    d["fan_out"][0]["branch"] = json!([]);
    let e = errs(&d);
    assert_eq!(
        e,
        vec![
            "definition.sagaid: unknown field",
            "definition.steps[0].timeout_seconds: unknown field",
            "definition.fan_out[0].branch: unknown field",
        ]
    );
}

#[test]
fn fan_out_missing_parts() {
    let mut d = good();
    d["fan_out"] = json!([{}, 4]);
    let e = errs(&d);
    assert_eq!(
        e,
        vec![
            "definition.fan_out[0].policy: missing",
            "definition.fan_out[0].branches: missing",
            "definition.fan_out[1]: must be an object, got a number",
        ]
    );
}

#[test]
fn parse_reports_every_error() {
    let e = parse(&json!({"steps": [{}]})).unwrap_err();
    assert_eq!(e.code(), Code::INVALID_DEFINITION);
    assert_eq!(e.status(), crate::error::Status::InvalidArgument);
    let d = e.details().unwrap();
    assert_eq!(d["field"], "definition");
    let list = d["errors"].as_array().unwrap();
    // name, session_id, then id, action_id, agent, execute_api of steps[0].
    assert_eq!(list.len(), 6, "{list:?}");
    assert!(e
        .message()
        .starts_with("definition: 6 error(s): definition.name: missing"));
    assert!(e.message().ends_with("; …"));
}
