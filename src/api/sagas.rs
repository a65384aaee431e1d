//! Saga methods (API.md §4.5) and `liability.attribute` (§4.4).

use serde::Serialize;
use serde_json::{json, Value};

use super::{parse, respond, Handler, Traced};
use crate::engine::{
    AddStepRequest, AttributeRequest, CheckpointInvalidateRequest, CheckpointSaveRequest,
    CompensateEndRequest, FanOutCreateRequest, Hypervisor, SagaCreateRequest, StepBeginRequest,
    StepEndRequest,
};
use crate::error::{Code, Error, Result};
use crate::saga::Saga;

pub(super) const METHODS: &[(&str, Handler)] = &[
    ("saga.create", saga_create),
    ("saga.add_step", saga_add_step),
    ("saga.get", saga_get),
    ("saga.list", saga_list),
    ("saga.complete", saga_complete),
    ("saga.define", saga_define),
    ("saga.validate", saga_validate),
    ("saga.step.begin", step_begin),
    ("saga.step.end", step_end),
    ("saga.compensate.begin", compensate_begin),
    ("saga.compensate.end", compensate_end),
    ("saga.fan_out.create", fan_out_create),
    ("saga.fan_out.resolve", fan_out_resolve),
    ("saga.checkpoint.save", checkpoint_save),
    ("saga.checkpoint.invalidate", checkpoint_invalidate),
    ("saga.replay_plan", replay_plan),
    ("liability.attribute", liability_attribute),
];

crate::request! {
    /// `{saga_id}`.
    pub struct SagaIdReq {
        /// Saga.
        pub saga_id: String,
    }
}

crate::request! {
    /// `{session_id}`.
    pub struct SessionIdReq {
        /// Session.
        pub session_id: String,
    }
}

crate::request! {
    /// `{group_id}`.
    pub struct GroupIdReq {
        /// Fan-out group.
        pub group_id: String,
    }
}

crate::request! {
    /// `saga.define` / `saga.validate`.
    pub struct DefinitionReq {
        /// The DSL definition (any JSON; validated by the DSL).
        pub definition: Value,
    }
}

/// Parses a request for the C entry points that bypass `api::call` (same size limit).
pub(crate) fn parse_request<T: serde::de::DeserializeOwned + Traced>(
    hv: &Hypervisor,
    json: &str,
) -> Result<T> {
    let max = hv.config().limits.max_request_bytes;
    if json.len() > max {
        return Err(Error::new(
            Code::REQUEST_TOO_LARGE,
            format!(
                "request is {} bytes, limits.max_request_bytes is {max}",
                json.len()
            ),
        ));
    }
    parse(json)
}

#[derive(Serialize)]
struct SagaList {
    sagas: Vec<Saga>,
}

fn saga_create(hv: &Hypervisor, j: &str) -> Result<String> {
    respond(&hv.create_saga(parse::<SagaCreateRequest>(j)?)?)
}

fn saga_add_step(hv: &Hypervisor, j: &str) -> Result<String> {
    respond(&hv.add_saga_step(parse::<AddStepRequest>(j)?)?)
}

fn saga_get(hv: &Hypervisor, j: &str) -> Result<String> {
    let r: SagaIdReq = parse(j)?;
    respond(&hv.get_saga(&r.saga_id)?)
}

fn saga_list(hv: &Hypervisor, j: &str) -> Result<String> {
    let r: SessionIdReq = parse(j)?;
    respond(&SagaList {
        sagas: hv.list_sagas(&r.session_id)?,
    })
}

fn saga_complete(hv: &Hypervisor, j: &str) -> Result<String> {
    let r: SagaIdReq = parse(j)?;
    respond(&hv.complete_saga(&r.saga_id, r.trace_id.as_deref())?)
}

fn saga_define(hv: &Hypervisor, j: &str) -> Result<String> {
    let r: DefinitionReq = parse(j)?;
    respond(&hv.define_saga(&r.definition, r.trace_id.as_deref())?)
}

fn saga_validate(hv: &Hypervisor, j: &str) -> Result<String> {
    let r: DefinitionReq = parse(j)?;
    respond(&json!({"errors": hv.validate_saga_definition(&r.definition)}))
}

fn step_begin(hv: &Hypervisor, j: &str) -> Result<String> {
    respond(&hv.begin_step(&parse::<StepBeginRequest>(j)?)?)
}

fn step_end(hv: &Hypervisor, j: &str) -> Result<String> {
    respond(&hv.end_step(parse::<StepEndRequest>(j)?)?)
}

fn compensate_begin(hv: &Hypervisor, j: &str) -> Result<String> {
    let r: SagaIdReq = parse(j)?;
    respond(&hv.compensate_begin(&r.saga_id, r.trace_id.as_deref())?)
}

fn compensate_end(hv: &Hypervisor, j: &str) -> Result<String> {
    respond(&hv.compensate_end(parse::<CompensateEndRequest>(j)?)?)
}

fn fan_out_create(hv: &Hypervisor, j: &str) -> Result<String> {
    respond(&hv.create_fan_out(parse::<FanOutCreateRequest>(j)?)?)
}

fn fan_out_resolve(hv: &Hypervisor, j: &str) -> Result<String> {
    let r: GroupIdReq = parse(j)?;
    respond(&hv.resolve_fan_out(&r.group_id, r.trace_id.as_deref())?)
}

fn checkpoint_save(hv: &Hypervisor, j: &str) -> Result<String> {
    respond(&hv.save_checkpoint(parse::<CheckpointSaveRequest>(j)?)?)
}

fn checkpoint_invalidate(hv: &Hypervisor, j: &str) -> Result<String> {
    respond(&hv.invalidate_checkpoint(&parse::<CheckpointInvalidateRequest>(j)?)?)
}

fn replay_plan(hv: &Hypervisor, j: &str) -> Result<String> {
    let r: SagaIdReq = parse(j)?;
    let step_ids = hv.replay_plan(&r.saga_id)?;
    respond(&json!({"saga_id": r.saga_id, "step_ids": step_ids}))
}

fn liability_attribute(hv: &Hypervisor, j: &str) -> Result<String> {
    respond(&hv.liability_attribute(parse::<AttributeRequest>(j)?)?)
}
