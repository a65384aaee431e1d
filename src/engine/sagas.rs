//! Saga methods (API.md §4.5): create, add_step, get, list, complete, define / validate,
//! checkpoints and replay plans, fan-out groups (create, resolve).
//!
//! Governed execution (`saga.step.begin` / `end`, `hv_saga_step`, `hv_saga_fan_out`) lives in
//! [`super::saga_exec`]; compensation, escalation and `liability.attribute` in
//! [`super::saga_comp`].
//!
//! A saga lives inside its session (`Session::sagas`) and is found by id through the engine's
//! owner table (`Owned::Saga`); fan-out groups likewise (`Owned::Group`). Saga ids are unique
//! engine-wide: the owner table is claimed atomically when the saga is inserted.

use std::collections::hash_map::Entry;
use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;

use super::state::{SagaEntry, Session};
use super::{Ctx, Hypervisor, Owned, SessionCell};
use crate::config::FAN_OUT_MAX_GROUPS_PER_SAGA;
use crate::error::{Code, Error, Result};
use crate::ids::{mint, validate_id, IdKind};
use crate::model::{IsolationLevel, Ring, SessionState};
use crate::observability::events::EventType;
use crate::rings::classifier::derived_from_step;
use crate::saga::checkpoint::{Checkpoint, CheckpointStore, SavedCheckpoint};
use crate::saga::fan_out::{FanOutGroup, FanOutPolicy, FanOutResult};
use crate::saga::{dsl, Resource, Saga, Step, StepSpec};
use crate::session::vfs::normalize_path;

crate::request! {
    /// `saga.create`.
    pub struct SagaCreateRequest {
        /// The owning session (must be active).
        pub session_id: String,
        /// Caller-chosen id (minted `saga:<hex>` when absent); unique engine-wide.
        pub saga_id: Option<String>,
        /// Defaults to the session's isolation level.
        pub isolation_level: Option<IsolationLevel>,
    }
}

crate::request! {
    /// `saga.add_step`.
    pub struct AddStepRequest {
        /// The saga (running).
        pub saga_id: String,
        /// The action performed (registry entry, or derived from the step).
        pub action_id: String,
        /// The agent that runs it: a participant of the saga's session.
        pub agent_did: String,
        /// API invoked to execute it.
        pub execute_api: String,
        /// API invoked to undo it.
        pub undo_api: Option<String>,
        /// Seconds per attempt (default 300).
        pub timeout_seconds: Option<u32>,
        /// Retries after the first attempt (default 0).
        pub max_retries: Option<u32>,
        /// Declared resources, locked while the step executes in a serializable saga.
        pub resources: Option<Vec<Resource>>,
        /// Goal saved as a checkpoint when the step commits.
        pub checkpoint_goal: Option<String>,
        /// Caller-chosen id (minted `step:<hex>` when absent); unique in the saga.
        pub step_id: Option<String>,
    }
}

crate::request! {
    /// `saga.checkpoint.save`.
    pub struct CheckpointSaveRequest {
        /// The saga.
        pub saga_id: String,
        /// The step whose goal was achieved.
        pub step_id: String,
        /// The goal (1..=4096 bytes).
        pub goal: String,
        /// Free-form state saved with it.
        pub state: Option<Value>,
    }
}

crate::request! {
    /// `saga.checkpoint.invalidate`.
    pub struct CheckpointInvalidateRequest {
        /// The saga.
        pub saga_id: String,
        /// The step.
        pub step_id: String,
        /// Why (default "invalidated").
        pub reason: Option<String>,
    }
}

crate::request! {
    /// `saga.fan_out.create`.
    pub struct FanOutCreateRequest {
        /// The saga (running).
        pub saga_id: String,
        /// How the group's outcome is judged.
        pub policy: FanOutPolicy,
        /// At least 2 distinct step ids of the saga.
        pub step_ids: Vec<String>,
    }
}

/// `saga.define` response: the Saga plus its name and fan-out groups.
#[derive(Debug, Clone, Serialize)]
pub struct DefinedSaga {
    /// The created saga.
    #[serde(flatten)]
    pub saga: Saga,
    /// The definition's name.
    pub name: String,
    /// The fan-out groups created, in definition order.
    pub fan_out_groups: Vec<FanOutGroup>,
}

pub(crate) fn saga_not_found(saga_id: &str) -> Error {
    Error::not_found(Code::SAGA_NOT_FOUND, "saga", saga_id)
}

impl Session {
    /// The saga entry, or `SAGA_NOT_FOUND`.
    pub(crate) fn saga_entry(&self, saga_id: &str) -> Result<&SagaEntry> {
        self.sagas
            .get(saga_id)
            .map(|e| &**e)
            .ok_or_else(|| saga_not_found(saga_id))
    }

    /// Mutable saga entry, or `SAGA_NOT_FOUND`.
    pub(crate) fn saga_entry_mut(&mut self, saga_id: &str) -> Result<&mut SagaEntry> {
        self.sagas
            .get_mut(saga_id)
            .map(|e| &mut **e)
            .ok_or_else(|| saga_not_found(saga_id))
    }

    /// Required ring and risk weight ω of a step's action: the registry entry by action id,
    /// else the descriptor derived from the step (undo_api → full, else none).
    pub(crate) fn step_action_profile(&self, step: &Step) -> (Ring, f64) {
        match self.actions.get(step.action_id()) {
            Some(a) => (a.required_ring(), a.risk_weight()),
            None => {
                let a = derived_from_step(step.action_id(), step.execute_api(), step.undo_api());
                (a.required_ring(), a.risk_weight())
            }
        }
    }

    /// Inserts a new saga (and its groups) after the per-session cap and the engine-wide id
    /// claim; emits `saga.created` (and `saga.fanout_started` per group).
    fn insert_saga(
        &mut self,
        saga: Saga,
        groups: Vec<FanOutGroup>,
        name: Option<&str>,
        cell: &Arc<SessionCell>,
        ctx: &mut Ctx<'_>,
    ) -> Result<()> {
        let max = ctx.hv.cfg.limits.max_sagas_per_session;
        if self.sagas.len() >= max {
            return Err(Error::new(
                Code::CAPACITY_EXCEEDED,
                format!(
                    "session '{}' already holds {} sagas (limits.max_sagas_per_session)",
                    self.id,
                    self.sagas.len()
                ),
            )
            .with_detail("table", "sagas")
            .with_detail("limit", max));
        }
        let saga_id = saga.saga_id().to_owned();
        ctx.hv.claim_owner(Owned::Saga, &saga_id, "saga_id", cell)?;
        ctx.out.push(
            EventType::SagaCreated,
            ctx.now,
            Some(&self.id),
            None,
            crate::payload!({"saga_id": saga_id, "isolation_level": saga.isolation_level(),
                   "steps": saga.steps().len(), "name": name}),
        );
        for g in groups {
            ctx.hv.register_owner(Owned::Group, g.group_id(), cell);
            push_fanout_started(self, &g, ctx);
            self.groups.insert(g.group_id().to_owned(), g);
        }
        self.saga_order.push(saga_id.clone());
        let entry = Box::new(SagaEntry {
            checkpoints: CheckpointStore::new(&saga_id),
            saga,
        });
        self.sagas.insert(saga_id, entry);
        Ok(())
    }

    /// Number of fan-out groups of one saga.
    fn groups_of(&self, saga_id: &str) -> usize {
        self.groups
            .values()
            .filter(|g| g.saga_id() == saga_id)
            .count()
    }
}

fn push_fanout_started(s: &Session, g: &FanOutGroup, ctx: &mut Ctx<'_>) {
    ctx.out.push(
        EventType::SagaFanoutStarted,
        ctx.now,
        Some(&s.id),
        None,
        crate::payload!({"saga_id": g.saga_id(), "group_id": g.group_id(), "policy": g.policy(),
               "step_ids": g.step_ids()}),
    );
}

/// Normalises declared resource paths into the session namespace, naming `resources[i].path`.
fn normalize_resources(resources: Vec<Resource>) -> Result<Vec<Resource>> {
    resources
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            let path = normalize_path(&r.path).map_err(|e| {
                let reason = e.message().strip_prefix("path: ").unwrap_or(e.message());
                Error::field(Code::INVALID_PATH, format!("resources[{i}].path"), reason)
            })?;
            Ok(Resource {
                path,
                intent: r.intent,
            })
        })
        .collect()
}

impl Hypervisor {
    /// Registers `id` for `kind` unless it is taken (`DUPLICATE_ID` naming `field`).
    pub(crate) fn claim_owner(
        &self,
        kind: Owned,
        id: &str,
        field: &str,
        cell: &Arc<SessionCell>,
    ) -> Result<()> {
        match self.owners.write().entry(kind, id.to_owned()) {
            Entry::Occupied(_) => Err(Error::new(
                Code::DUPLICATE_ID,
                format!("{field}: '{id}' already exists"),
            )
            .with_detail("field", field)
            .with_detail(field, id)),
            Entry::Vacant(v) => {
                cell.note_owned(kind, id);
                v.insert(Arc::clone(cell));
                Ok(())
            }
        }
    }

    /// Early `DUPLICATE_ID` for a caller-given saga id, before any session lock (the claim at
    /// insertion stays the authoritative, atomic check).
    fn refuse_taken_saga_id(&self, id: &str, field: &str) -> Result<()> {
        if self.owner_exists(Owned::Saga, id) {
            return Err(Error::new(
                Code::DUPLICATE_ID,
                format!("{field}: '{id}' already exists"),
            )
            .with_detail("field", field)
            .with_detail("saga_id", id));
        }
        Ok(())
    }

    /// Runs `f` on the session holding `saga_id`.
    pub(crate) fn with_saga<R>(
        &self,
        saga_id: &str,
        trace: Option<&str>,
        f: impl FnOnce(&mut Session, &mut Ctx<'_>) -> Result<R>,
    ) -> Result<R> {
        let cell = self.owner(Owned::Saga, saga_id, "saga_id")?;
        self.with_cell(&cell, trace, f)
    }

    /// `saga.create`: a running saga in an active session.
    pub fn create_saga(&self, req: SagaCreateRequest) -> Result<Saga> {
        if let Some(id) = &req.saga_id {
            Hypervisor::check_new_id(id, "saga_id")?;
            self.refuse_taken_saga_id(id, "saga_id")?;
        }
        let cell = self.cell(&req.session_id)?;
        let saga_id = req.saga_id.unwrap_or_else(|| mint(IdKind::Saga));
        self.with_cell(&cell, req.trace_id.as_deref(), |s, ctx| {
            s.lifecycle
                .require(&[SessionState::Active], "saga.create")?;
            let iso = req.isolation_level.unwrap_or(s.config.isolation_level);
            let saga = Saga::new(saga_id.clone(), s.id.clone(), iso, ctx.now)?;
            let view = saga.clone();
            s.insert_saga(saga, Vec::new(), None, &cell, ctx)?;
            Ok(view)
        })
    }

    /// `saga.add_step`: a pending step. The session must be active and the agent a
    /// participant that was not killed.
    pub fn add_saga_step(&self, req: AddStepRequest) -> Result<Step> {
        let step_id = match req.step_id {
            Some(id) => {
                validate_id(&id, "step_id")?;
                id
            }
            None => mint(IdKind::Step),
        };
        let spec = StepSpec {
            action_id: req.action_id,
            agent_did: req.agent_did,
            execute_api: req.execute_api,
            undo_api: req.undo_api,
            timeout_seconds: req.timeout_seconds,
            max_retries: req.max_retries,
            resources: normalize_resources(req.resources.unwrap_or_default())?,
            checkpoint_goal: req.checkpoint_goal,
        };
        let saga_id = req.saga_id;
        self.with_saga(&saga_id, req.trace_id.as_deref(), |s, ctx| {
            s.lifecycle
                .require(&[SessionState::Active], "saga.add_step")?;
            s.require_member(&spec.agent_did)?;
            let max = ctx.hv.cfg.limits.max_steps_per_saga;
            let e = s.saga_entry_mut(&saga_id)?;
            e.saga.add_step(spec, step_id, max).cloned()
        })
    }

    /// `saga.get`.
    pub fn get_saga(&self, saga_id: &str) -> Result<Saga> {
        self.with_saga(saga_id, None, |s, _| {
            Ok(s.saga_entry(saga_id)?.saga.clone())
        })
    }

    /// `saga.list`: the session's sagas in creation order.
    pub fn list_sagas(&self, session_id: &str) -> Result<Vec<Saga>> {
        self.with_session(session_id, None, |s, _| {
            Ok(s.saga_order
                .iter()
                .filter_map(|id| s.sagas.get(id).map(|e| e.saga.clone()))
                .collect())
        })
    }

    /// `saga.complete`: every step committed → completed (`saga.completed`).
    pub fn complete_saga(&self, saga_id: &str, trace: Option<&str>) -> Result<Saga> {
        self.with_saga(saga_id, trace, |s, ctx| {
            let e = s.saga_entry_mut(saga_id)?;
            e.saga.complete(ctx.now)?;
            let view = e.saga.clone();
            ctx.out.push(
                EventType::SagaCompleted,
                ctx.now,
                Some(&s.id),
                None,
                crate::payload!({"saga_id": saga_id, "state": view.state(), "rolled_back": false}),
            );
            Ok(view)
        })
    }

    /// `saga.validate`: every problem of a definition; never fails.
    pub fn validate_saga_definition(&self, definition: &Value) -> Vec<String> {
        dsl::validate(definition)
    }

    /// `saga.define`: creates a saga, its steps and its fan-out groups from the DSL, all or
    /// nothing. A bad definition is `INVALID_DEFINITION` with every message in
    /// `details.errors`; agents must be participants of the session (errors name
    /// `definition.steps[i].agent`).
    pub fn define_saga(&self, definition: &Value, trace: Option<&str>) -> Result<DefinedSaga> {
        let def = dsl::parse(definition)?;
        if let Some(id) = &def.saga_id {
            Hypervisor::check_new_id(id, "definition.saga_id")?;
            self.refuse_taken_saga_id(id, "definition.saga_id")?;
        }
        if def.fan_out.len() > FAN_OUT_MAX_GROUPS_PER_SAGA {
            return Err(Error::out_of_range(
                "definition.fan_out",
                format!("at most {FAN_OUT_MAX_GROUPS_PER_SAGA} fan-out groups per saga"),
            ));
        }
        let cell = self.cell(&def.session_id)?;
        let saga_id = def.saga_id.clone().unwrap_or_else(|| mint(IdKind::Saga));
        self.with_cell(&cell, trace, |s, ctx| {
            s.lifecycle
                .require(&[SessionState::Active], "saga.define")?;
            let mut saga = Saga::new(
                saga_id.clone(),
                s.id.clone(),
                s.config.isolation_level,
                ctx.now,
            )?;
            let max = ctx.hv.cfg.limits.max_steps_per_saga;
            for (i, st) in def.steps.iter().enumerate() {
                s.require_member(&st.agent).map_err(|e| {
                    let f = format!("definition.steps[{i}].agent");
                    Error::new(e.code(), format!("{f}: {}", e.message())).with_detail("field", f)
                })?;
                saga.add_step(st.to_spec(), st.id.clone(), max)?;
            }
            let mut groups = Vec::with_capacity(def.fan_out.len());
            for g in &def.fan_out {
                groups.push(FanOutGroup::create(
                    mint(IdKind::Group),
                    &saga,
                    g.policy,
                    g.branches.clone(),
                )?);
            }
            let view = DefinedSaga {
                saga: saga.clone(),
                name: def.name.clone(),
                fan_out_groups: groups.clone(),
            };
            s.insert_saga(saga, groups, Some(&def.name), &cell, ctx)?;
            Ok(view)
        })
    }

    /// `saga.checkpoint.save` (`saga.checkpoint_saved`).
    pub fn save_checkpoint(&self, req: CheckpointSaveRequest) -> Result<SavedCheckpoint> {
        let saga_id = req.saga_id.as_str();
        self.with_saga(saga_id, req.trace_id.as_deref(), |s, ctx| {
            let e = s.saga_entry_mut(saga_id)?;
            let saved = e.checkpoints.save(
                &e.saga,
                &req.step_id,
                &req.goal,
                req.state.clone(),
                ctx.now,
                mint(IdKind::Checkpoint),
            )?;
            let agent = e
                .saga
                .step(&req.step_id)
                .map(|st| st.agent_did().to_owned());
            push_checkpoint_saved(&s.id, saga_id, &req.step_id, agent.as_deref(), &saved, ctx);
            Ok(saved)
        })
    }

    /// `saga.checkpoint.invalidate`: the checkpoint, now invalid.
    pub fn invalidate_checkpoint(&self, req: &CheckpointInvalidateRequest) -> Result<Checkpoint> {
        let saga_id = req.saga_id.as_str();
        self.with_saga(saga_id, req.trace_id.as_deref(), |s, _| {
            let e = s.saga_entry_mut(saga_id)?;
            e.checkpoints
                .invalidate(&req.step_id, req.reason.as_deref())?;
            e.checkpoints
                .get(&req.step_id)
                .cloned()
                .ok_or_else(|| Error::new(Code::INTERNAL, "checkpoint vanished"))
        })
    }

    /// `saga.replay_plan`: step ids without a valid checkpoint, in step order.
    pub fn replay_plan(&self, saga_id: &str) -> Result<Vec<String>> {
        self.with_saga(saga_id, None, |s, _| {
            let e = s.saga_entry(saga_id)?;
            e.checkpoints.replay_plan(&e.saga)
        })
    }

    /// `saga.fan_out.create` (`saga.fanout_started`): a group over ≥ 2 steps of a running
    /// saga; at most [`FAN_OUT_MAX_GROUPS_PER_SAGA`] groups per saga.
    pub fn create_fan_out(&self, req: FanOutCreateRequest) -> Result<FanOutGroup> {
        let cell = self.owner(Owned::Saga, &req.saga_id, "saga_id")?;
        let group = self.with_cell(&cell, req.trace_id.as_deref(), |s, ctx| {
            if s.groups_of(&req.saga_id) >= FAN_OUT_MAX_GROUPS_PER_SAGA {
                return Err(Error::new(
                    Code::CAPACITY_EXCEEDED,
                    format!(
                        "saga '{}' already holds {FAN_OUT_MAX_GROUPS_PER_SAGA} fan-out groups",
                        req.saga_id
                    ),
                )
                .with_detail("table", "fan_out_groups")
                .with_detail("limit", FAN_OUT_MAX_GROUPS_PER_SAGA));
            }
            let e = s.saga_entry(&req.saga_id)?;
            let g = FanOutGroup::create(
                mint(IdKind::Group),
                &e.saga,
                req.policy,
                req.step_ids.clone(),
            )?;
            ctx.hv.register_owner(Owned::Group, g.group_id(), &cell);
            push_fanout_started(s, &g, ctx);
            s.groups.insert(g.group_id().to_owned(), g.clone());
            Ok(g)
        })?;
        Ok(group)
    }

    /// `saga.fan_out.resolve` (`saga.fanout_resolved`): the policy over the branches' states.
    pub fn resolve_fan_out(&self, group_id: &str, trace: Option<&str>) -> Result<FanOutResult> {
        let cell = self.owner(Owned::Group, group_id, "group_id")?;
        self.with_cell(&cell, trace, |s, ctx| resolve_group(s, group_id, ctx))
    }
}

/// Evaluates a group and emits `saga.fanout_resolved`.
pub(crate) fn resolve_group(
    s: &mut Session,
    group_id: &str,
    ctx: &mut Ctx<'_>,
) -> Result<FanOutResult> {
    let g = s
        .groups
        .get(group_id)
        .ok_or_else(|| Error::not_found(Code::GROUP_NOT_FOUND, "group", group_id))?;
    let saga = &s.saga_entry(g.saga_id())?.saga;
    let r = g.resolve(saga)?;
    ctx.out.push(
        EventType::SagaFanoutResolved,
        ctx.now,
        Some(&s.id),
        None,
        crate::payload!({"saga_id": g.saga_id(), "group_id": group_id, "policy": r.policy,
               "policy_satisfied": r.policy_satisfied, "success_count": r.success_count,
               "failure_count": r.failure_count, "pending_count": r.pending_count,
               "compensation_needed": &r.compensation_needed}),
    );
    Ok(r)
}

/// Emits `saga.checkpoint_saved`.
pub(crate) fn push_checkpoint_saved(
    session_id: &str,
    saga_id: &str,
    step_id: &str,
    agent: Option<&str>,
    saved: &SavedCheckpoint,
    ctx: &mut Ctx<'_>,
) {
    ctx.out.push(
        EventType::SagaCheckpointSaved,
        ctx.now,
        Some(session_id),
        agent,
        crate::payload!({"saga_id": saga_id, "step_id": step_id, "checkpoint_id": saved.checkpoint_id,
               "goal_hash": saved.goal_hash}),
    );
}

#[cfg(test)]
#[path = "saga_tests.rs"]
mod saga_tests;
