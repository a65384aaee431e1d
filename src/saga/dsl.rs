//! The declarative saga definition of `saga.define` / `saga.validate` (API.md §4.5).
//!
//! ```text
//! {name, session_id, saga_id?, steps:[{id, action_id, agent, execute_api, undo_api?, timeout?,
//!  retries?, checkpoint_goal?}], fan_out?:[{policy, branches:[step ids]}], metadata?}
//! ```
//!
//! [`validate`] walks the JSON once and reports every problem, each message starting with the
//! dotted path of the field concerned (`definition.steps[1].id: duplicate step id 'b' …`);
//! it never fails. [`parse`] runs the same walk and returns the typed definition, or
//! `INVALID_DEFINITION` with all messages in `details.errors`. `null` means absent.

use std::collections::HashMap;
use std::fmt::Display;

use serde::Serialize;
use serde_json::{Map, Value};

use super::fan_out::FanOutPolicy;
use super::step::{validate_goal, StepSpec};
use crate::config::{STEP_MAX_RETRIES, STEP_MAX_TIMEOUT_SECS};
use crate::error::{Code, Error, Result};
use crate::ids::{validate_api_path, validate_id, MAX_ID_BYTES};

/// A validated saga definition.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SagaDefinition {
    /// Human-readable name (1..=256 bytes).
    pub name: String,
    /// The session the saga belongs to.
    pub session_id: String,
    /// Requested saga id (the engine mints one when absent).
    pub saga_id: Option<String>,
    /// Steps, in order (at least one, ids unique).
    pub steps: Vec<DslStep>,
    /// Fan-out groups over the steps.
    pub fan_out: Vec<DslFanOut>,
    /// Free-form metadata object.
    pub metadata: Option<Map<String, Value>>,
}

/// One step of a definition.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DslStep {
    /// Step id.
    pub id: String,
    /// Action id.
    pub action_id: String,
    /// Agent DID.
    pub agent: String,
    /// Execute API.
    pub execute_api: String,
    /// Undo API.
    pub undo_api: Option<String>,
    /// Timeout, seconds.
    pub timeout: Option<u32>,
    /// Retries after the first attempt.
    pub retries: Option<u32>,
    /// Checkpoint goal.
    pub checkpoint_goal: Option<String>,
}

impl DslStep {
    /// The `add_step` input for this step (its id is `self.id`).
    pub fn to_spec(&self) -> StepSpec {
        StepSpec {
            action_id: self.action_id.clone(),
            agent_did: self.agent.clone(),
            execute_api: self.execute_api.clone(),
            undo_api: self.undo_api.clone(),
            timeout_seconds: self.timeout,
            max_retries: self.retries,
            resources: Vec::new(),
            checkpoint_goal: self.checkpoint_goal.clone(),
        }
    }
}

/// One fan-out group of a definition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DslFanOut {
    /// Policy.
    pub policy: FanOutPolicy,
    /// Branch step ids (at least 2, each a step of the definition, no repeats).
    pub branches: Vec<String>,
}

const TOP_FIELDS: &[&str] = &[
    "name",
    "session_id",
    "saga_id",
    "steps",
    "fan_out",
    "metadata",
];
const STEP_FIELDS: &[&str] = &[
    "id",
    "action_id",
    "agent",
    "execute_api",
    "undo_api",
    "timeout",
    "retries",
    "checkpoint_goal",
];
const FAN_OUT_FIELDS: &[&str] = &["policy", "branches"];

/// Every problem of `def`, each naming its field or id; empty when valid. Never fails.
pub fn validate(def: &Value) -> Vec<String> {
    check(def).1
}

/// The typed definition, or `INVALID_DEFINITION` (status `INVALID_ARGUMENT`) with every message
/// in `details.errors` and `details.field = "definition"`.
pub fn parse(def: &Value) -> Result<SagaDefinition> {
    let (parsed, errors) = check(def);
    match parsed {
        Some(d) if errors.is_empty() => Ok(d),
        _ => {
            let shown: Vec<&str> = errors.iter().take(5).map(String::as_str).collect();
            let more = if errors.len() > shown.len() {
                "; …"
            } else {
                ""
            };
            Err(Error::new(
                Code::INVALID_DEFINITION,
                format!(
                    "definition: {} error(s): {}{more}",
                    errors.len(),
                    shown.join("; ")
                ),
            )
            .with_detail("field", "definition")
            .with_detail("errors", errors))
        }
    }
}

/// Collects messages `"<path>: <reason>"`.
struct Checker {
    errors: Vec<String>,
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The value of `key`, treating `null` as absent.
fn field<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    obj.get(key).filter(|v| !v.is_null())
}

impl Checker {
    fn err(&mut self, path: &str, reason: impl Display) {
        self.errors.push(format!("{path}: {reason}"));
    }

    fn unknown_fields(&mut self, obj: &Map<String, Value>, allowed: &[&str], path: &str) {
        for k in obj.keys().filter(|k| !allowed.contains(&k.as_str())) {
            self.err(&format!("{path}.{k}"), "unknown field");
        }
    }

    /// A string field; `required` reports absence. `ctx` is appended to messages (e.g. the
    /// step id).
    fn string<'a>(
        &mut self,
        obj: &'a Map<String, Value>,
        key: &str,
        path: &str,
        required: bool,
        ctx: &str,
    ) -> Option<&'a str> {
        let p = format!("{path}.{key}");
        match field(obj, key) {
            None => {
                if required {
                    self.err(&p, format!("missing{ctx}"));
                }
                None
            }
            Some(Value::String(s)) => Some(s.as_str()),
            Some(v) => {
                self.err(&p, format!("must be a string, got {}{ctx}", type_name(v)));
                None
            }
        }
    }

    /// A string field holding an identifier.
    fn id(
        &mut self,
        obj: &Map<String, Value>,
        key: &str,
        path: &str,
        required: bool,
        ctx: &str,
    ) -> Option<String> {
        self.checked(obj, key, path, required, ctx, validate_id)
    }

    /// A string field holding an API path.
    fn api(
        &mut self,
        obj: &Map<String, Value>,
        key: &str,
        path: &str,
        required: bool,
        ctx: &str,
    ) -> Option<String> {
        self.checked(obj, key, path, required, ctx, validate_api_path)
    }

    /// A string field that must also pass `check` (which names `<path>.<key>` on failure).
    fn checked(
        &mut self,
        obj: &Map<String, Value>,
        key: &str,
        path: &str,
        required: bool,
        ctx: &str,
        check: fn(&str, &str) -> crate::error::Result<()>,
    ) -> Option<String> {
        let s = self.string(obj, key, path, required, ctx)?;
        match check(s, &format!("{path}.{key}")) {
            Ok(()) => Some(s.to_owned()),
            Err(e) => {
                self.errors.push(format!("{}{ctx}", e.message()));
                None
            }
        }
    }

    /// An optional non-negative integer field within `lo..=hi`.
    fn uint(
        &mut self,
        obj: &Map<String, Value>,
        key: &str,
        path: &str,
        (lo, hi): (u32, u32),
        ctx: &str,
    ) -> Option<u32> {
        let v = field(obj, key)?;
        let p = format!("{path}.{key}");
        match v.as_u64() {
            Some(n) if (u64::from(lo)..=u64::from(hi)).contains(&n) => u32::try_from(n).ok(),
            Some(n) => {
                self.err(&p, format!("must be {lo}..={hi}, got {n}{ctx}"));
                None
            }
            None if v.is_number() => {
                self.err(
                    &p,
                    format!("must be an integer in {lo}..={hi}, got {v}{ctx}"),
                );
                None
            }
            None => {
                self.err(&p, format!("must be an integer, got {}{ctx}", type_name(v)));
                None
            }
        }
    }

    fn step(
        &mut self,
        v: &Value,
        path: &str,
        seen: &mut HashMap<String, usize>,
        i: usize,
    ) -> DslStep {
        let Value::Object(obj) = v else {
            self.err(path, format!("must be an object, got {}", type_name(v)));
            return empty_step();
        };
        self.unknown_fields(obj, STEP_FIELDS, path);
        // The raw id (even a malformed one) names the step in later messages and counts for
        // duplicate detection.
        let raw_id = match field(obj, "id") {
            Some(Value::String(s)) => Some(s.as_str()),
            _ => None,
        };
        let id = self.id(obj, "id", path, true, "");
        if let Some(raw) = raw_id {
            if let Some(j) = seen.get(raw) {
                self.err(
                    &format!("{path}.id"),
                    format!("duplicate step id '{raw}' (also definition.steps[{j}])"),
                );
            } else {
                seen.insert(raw.to_owned(), i);
            }
        }
        let ctx = raw_id.map(|r| format!(" (step '{r}')")).unwrap_or_default();
        let ctx = ctx.as_str();
        let checkpoint_goal = self
            .string(obj, "checkpoint_goal", path, false, ctx)
            .and_then(
                |g| match validate_goal(g, &format!("{path}.checkpoint_goal")) {
                    Ok(()) => Some(g.to_owned()),
                    Err(e) => {
                        self.errors.push(format!("{}{ctx}", e.message()));
                        None
                    }
                },
            );
        DslStep {
            id: id.unwrap_or_default(),
            action_id: self
                .id(obj, "action_id", path, true, ctx)
                .unwrap_or_default(),
            agent: self.id(obj, "agent", path, true, ctx).unwrap_or_default(),
            execute_api: self
                .api(obj, "execute_api", path, true, ctx)
                .unwrap_or_default(),
            undo_api: self.api(obj, "undo_api", path, false, ctx),
            timeout: self.uint(obj, "timeout", path, (1, STEP_MAX_TIMEOUT_SECS), ctx),
            retries: self.uint(obj, "retries", path, (0, STEP_MAX_RETRIES), ctx),
            checkpoint_goal,
        }
    }

    fn fan_out(
        &mut self,
        v: &Value,
        path: &str,
        step_ids: &HashMap<String, usize>,
    ) -> Option<DslFanOut> {
        let Value::Object(obj) = v else {
            self.err(path, format!("must be an object, got {}", type_name(v)));
            return None;
        };
        self.unknown_fields(obj, FAN_OUT_FIELDS, path);
        let policy = self.string(obj, "policy", path, true, "").and_then(|p| {
            let found = FanOutPolicy::from_name(p);
            if found.is_none() {
                self.err(
                    &format!("{path}.policy"),
                    format!(
                        "unknown fan-out policy '{p}' (expected all_must_succeed, \
                         majority_must_succeed or any_must_succeed)"
                    ),
                );
            }
            found
        });
        let bpath = format!("{path}.branches");
        let branches = match field(obj, "branches") {
            None => {
                self.err(&bpath, "missing");
                None
            }
            Some(Value::Array(items)) => {
                if items.len() < 2 {
                    self.err(
                        &bpath,
                        format!("a fan-out needs at least 2 branches, got {}", items.len()),
                    );
                }
                let mut out = Vec::with_capacity(items.len());
                let mut seen: HashMap<&str, usize> = HashMap::new();
                for (j, b) in items.iter().enumerate() {
                    let p = format!("{bpath}[{j}]");
                    match b {
                        Value::String(s) if !step_ids.contains_key(s) => {
                            self.err(&p, format!("'{s}' is not a step id"));
                        }
                        Value::String(s) => {
                            if let Some(k) = seen.insert(s.as_str(), j) {
                                self.err(&p, format!("duplicate branch '{s}' (also {bpath}[{k}])"));
                            }
                            out.push(s.clone());
                        }
                        other => {
                            self.err(&p, format!("must be a string, got {}", type_name(other)))
                        }
                    }
                }
                Some(out)
            }
            Some(other) => {
                self.err(
                    &bpath,
                    format!("must be an array, got {}", type_name(other)),
                );
                None
            }
        };
        Some(DslFanOut {
            policy: policy?,
            branches: branches?,
        })
    }
}

fn empty_step() -> DslStep {
    DslStep {
        id: String::new(),
        action_id: String::new(),
        agent: String::new(),
        execute_api: String::new(),
        undo_api: None,
        timeout: None,
        retries: None,
        checkpoint_goal: None,
    }
}

/// One walk over the definition: the typed value (meaningful only without errors) and every
/// error.
fn check(def: &Value) -> (Option<SagaDefinition>, Vec<String>) {
    let mut c = Checker { errors: Vec::new() };
    const P: &str = "definition";
    let Value::Object(obj) = def else {
        c.err(P, format!("must be an object, got {}", type_name(def)));
        return (None, c.errors);
    };
    c.unknown_fields(obj, TOP_FIELDS, P);
    let name = c.string(obj, "name", P, true, "").and_then(|n| {
        if n.is_empty() || n.len() > MAX_ID_BYTES {
            c.err(
                "definition.name",
                format!("must be 1..={MAX_ID_BYTES} bytes"),
            );
            None
        } else {
            Some(n.to_owned())
        }
    });
    let session_id = c.id(obj, "session_id", P, true, "");
    let saga_id = c.id(obj, "saga_id", P, false, "");

    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut steps = Vec::new();
    match field(obj, "steps") {
        None => c.err("definition.steps", "missing"),
        Some(Value::Array(items)) if items.is_empty() => {
            c.err("definition.steps", "must contain at least one step")
        }
        Some(Value::Array(items)) => {
            for (i, v) in items.iter().enumerate() {
                steps.push(c.step(v, &format!("definition.steps[{i}]"), &mut seen, i));
            }
        }
        Some(other) => c.err(
            "definition.steps",
            format!("must be an array, got {}", type_name(other)),
        ),
    }

    let mut fan_out = Vec::new();
    match field(obj, "fan_out") {
        None => {}
        Some(Value::Array(items)) => {
            for (k, v) in items.iter().enumerate() {
                if let Some(g) = c.fan_out(v, &format!("definition.fan_out[{k}]"), &seen) {
                    fan_out.push(g);
                }
            }
        }
        Some(other) => c.err(
            "definition.fan_out",
            format!("must be an array, got {}", type_name(other)),
        ),
    }

    let metadata = match field(obj, "metadata") {
        None => None,
        Some(Value::Object(m)) => Some(m.clone()),
        Some(other) => {
            c.err(
                "definition.metadata",
                format!("must be an object, got {}", type_name(other)),
            );
            None
        }
    };

    let parsed = match (name, session_id) {
        (Some(name), Some(session_id)) if c.errors.is_empty() => Some(SagaDefinition {
            name,
            session_id,
            saga_id,
            steps,
            fan_out,
            metadata,
        }),
        _ => None,
    };
    (parsed, c.errors)
}

#[cfg(test)]
mod tests;
