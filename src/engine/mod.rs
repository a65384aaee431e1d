//! The engine: [`Hypervisor`] owns all state and wires the domain modules into the
//! governance pipeline.
//!
//! Locking: the session table is an `RwLock` of `Arc<SessionCell>`; each session has its own
//! mutex, so unrelated sessions never contend. Engine-wide tables (ledger, event log,
//! subscriptions, trust provider) have their own locks, always taken *after* a session lock and
//! never while calling host code. Events are collected in an [`Outbox`] during a call and
//! published after every engine lock is released.

mod audit;
mod governance;
mod liability;
mod rings;
mod saga_comp;
mod saga_exec;
mod saga_run;
mod sagas;
mod security;
mod session_types;
mod sessions;
mod state;
mod vfs;

pub use audit::{
    CaptureRequest, CommitmentView, ConsistencyRequest, DeltasPage, DeltasRequest, GcRequest,
    GcResult, GcSession, ProofRequest, RootView, VerifyCommitmentRequest,
};
pub use liability::{
    DriftAction, DriftRequest, DriftResult, Exposure, LedgerView, QuarantineRequest, VouchRequest,
};
pub use rings::RingCheckRequest;
pub use saga_comp::{
    AttributeRequest, CompensateEndRequest, CompensationBegun, CompensationEnded, Escalation,
    SagaOutcome,
};
pub use saga_exec::{FanOutRunRequest, StepBeginRequest, StepEndRequest};
pub use saga_run::{BranchReport, FanOutRun, StepCall, StepOutcome};
pub use sagas::{
    AddStepRequest, CheckpointInvalidateRequest, CheckpointSaveRequest, DefinedSaga,
    FanOutCreateRequest, SagaCreateRequest,
};
pub use security::{ElevateRequest, KillRequest, SubstituteResult};
pub use session_types::{
    CreateRequest, JoinRequest, JoinResult, Participant, SessionConfigInput, SessionView,
    TerminateResult,
};
pub use state::Session;
pub use vfs::{
    permission_hash, DeltaRef, RestoreRequest, RestoreResult, SnapshotResult, VfsDeleteResult,
    VfsEditsRequest, VfsPathRequest, VfsPermissionsRequest, VfsPermissionsResult, VfsReadRequest,
    VfsWriteRequest, VfsWriteResult,
};

use crate::security::id_hash::IdMap;
use std::sync::atomic::AtomicUsize;
use std::sync::Arc;

use parking_lot::{Mutex, RwLock};
use serde::Serialize;

use crate::clock::Clock;
use crate::config::{ClockKind, Config};
use crate::error::{Code, Error, Result};
use crate::ids::is_valid_id;
use crate::model::Timestamp;
use crate::observability::events::{EventBus, Outbox};
use crate::observability::trace;

/// A host trust-scoring provider: `(agent_did, context_json) -> Some(σ)` or `None` for
/// "unknown". Called with no engine lock held.
pub type TrustProvider = Arc<dyn Fn(&str, &str) -> Option<f64> + Send + Sync>;

/// One session behind its own lock.
pub struct SessionCell {
    /// The session id (immutable).
    pub id: String,
    pub(crate) inner: Mutex<Session>,
    /// The keys this session registered in `owners`, so that evicting it removes exactly those
    /// (O(its own objects)) instead of scanning every session's entries.
    pub(crate) owned: Mutex<Vec<(Owned, String)>>,
}

impl SessionCell {
    /// Records a key in `owned` (the first one without the default room for four).
    fn note_owned(&self, kind: Owned, id: &str) {
        let mut owned = self.owned.lock();
        if owned.capacity() == 0 {
            owned.reserve_exact(1);
        }
        owned.push((kind, id.to_owned()));
    }
}

/// The owner index: per kind, object id → the session holding it. One table per kind, so a
/// lookup hashes the caller's `&str` directly instead of building an owned `(kind, id)` key.
/// Keyed with [`IdHasher`](crate::security::id_hash::IdHasher): the ids are caller-supplied.
#[derive(Default)]
pub(crate) struct OwnerIndex {
    by_kind: [IdMap<String, Arc<SessionCell>>; 4],
}

impl OwnerIndex {
    fn table(&self, kind: Owned) -> &IdMap<String, Arc<SessionCell>> {
        &self.by_kind[kind as usize]
    }

    fn table_mut(&mut self, kind: Owned) -> &mut IdMap<String, Arc<SessionCell>> {
        &mut self.by_kind[kind as usize]
    }

    /// The session holding `id` of `kind`.
    pub(crate) fn get(&self, kind: Owned, id: &str) -> Option<&Arc<SessionCell>> {
        self.table(kind).get(id)
    }

    /// True when `id` of `kind` is registered.
    pub(crate) fn contains(&self, kind: Owned, id: &str) -> bool {
        self.table(kind).contains_key(id)
    }

    /// Registers (or replaces) `id` of `kind`.
    pub(crate) fn insert(&mut self, kind: Owned, id: String, cell: Arc<SessionCell>) {
        self.table_mut(kind).insert(id, cell);
    }

    /// The entry of `id` of `kind`, for a claim.
    pub(crate) fn entry(
        &mut self,
        kind: Owned,
        id: String,
    ) -> std::collections::hash_map::Entry<'_, String, Arc<SessionCell>> {
        self.table_mut(kind).entry(id)
    }

    /// Unregisters `id` of `kind`.
    pub(crate) fn remove(&mut self, kind: Owned, id: &str) -> Option<Arc<SessionCell>> {
        self.table_mut(kind).remove(id)
    }

    /// Number of registered ids, all kinds.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.by_kind.iter().map(IdMap::len).sum()
    }

    /// True when no id is registered.
    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.by_kind.iter().all(IdMap::is_empty)
    }
}

/// Kinds of engine-minted or caller-named objects that live inside a session and are looked
/// up by their own id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Owned {
    Saga = 0,
    Vouch = 1,
    Elevation = 2,
    Group = 3,
}

/// Per-call context handed to code that runs under a session lock.
pub(crate) struct Ctx<'a> {
    pub now: Timestamp,
    pub out: &'a mut Outbox,
    pub hv: &'a Hypervisor,
}

/// The governance engine. `Send + Sync`; every method may be called from any thread.
pub struct Hypervisor {
    pub(crate) cfg: Config,
    pub(crate) clock: Clock,
    pub(crate) sessions: RwLock<IdMap<String, Arc<SessionCell>>>,
    pub(crate) owners: RwLock<OwnerIndex>,
    pub(crate) events: EventBus,
    pub(crate) trust: RwLock<Option<TrustProvider>>,
    pub(crate) ledger: Mutex<crate::liability::ledger::Ledger>,
    pub(crate) rate_buckets: AtomicUsize,
    pub(crate) archived: sessions::ArchiveQueue,
}

/// `health` response.
#[derive(Debug, Serialize)]
pub struct Health {
    /// Always "ok" when the engine answers.
    pub status: &'static str,
    /// Crate version.
    pub version: &'static str,
    /// C ABI version.
    pub abi_version: u32,
}

/// `stats` response.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Stats {
    /// Sessions held, archived included.
    pub sessions: usize,
    /// Sessions in state active.
    pub active_sessions: usize,
    /// Active participants across sessions.
    pub participants: usize,
    /// Sagas running or compensating.
    pub active_sagas: usize,
    /// Active vouches.
    pub active_vouches: usize,
    /// Events held in the log.
    pub events: usize,
}

/// The C ABI version; bumped on any incompatible header change.
pub const ABI_VERSION: u32 = 1;

impl Hypervisor {
    /// A new engine with a validated configuration.
    pub fn new(cfg: Config) -> Hypervisor {
        let clock = match cfg.clock {
            ClockKind::System => Clock::System,
            ClockKind::Manual => Clock::manual(cfg.start_time),
        };
        Hypervisor {
            events: EventBus::new(cfg.limits.max_events, cfg.limits.max_subscriptions),
            ledger: Mutex::new(crate::liability::ledger::Ledger::new(&cfg.limits)),
            cfg,
            clock,
            sessions: RwLock::new(IdMap::default()),
            owners: RwLock::new(OwnerIndex::default()),
            trust: RwLock::new(None),
            rate_buckets: AtomicUsize::new(0),
            archived: Default::default(),
        }
    }

    /// The engine configuration.
    pub fn config(&self) -> &Config {
        &self.cfg
    }

    /// The engine clock's current time.
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// `clock.advance`: moves a manual clock forward.
    pub fn advance_clock(&self, micros: i64) -> Result<Timestamp> {
        self.clock.advance(micros)
    }

    /// Installs (or clears, with `None`) the host trust provider.
    pub fn set_trust_provider(&self, provider: Option<TrustProvider>) {
        *self.trust.write() = provider;
    }

    /// The event bus (queries, subscriptions).
    pub fn events(&self) -> &EventBus {
        &self.events
    }

    /// `health`.
    pub fn health(&self) -> Health {
        Health {
            status: "ok",
            version: env!("CARGO_PKG_VERSION"),
            abi_version: ABI_VERSION,
        }
    }

    /// `stats`.
    pub fn stats(&self) -> Stats {
        let cells: Vec<Arc<SessionCell>> = self.sessions.read().values().cloned().collect();
        let mut st = Stats {
            sessions: cells.len(),
            active_sessions: 0,
            participants: 0,
            active_sagas: 0,
            active_vouches: 0,
            events: self.events.len(),
        };
        for c in cells {
            let s = c.inner.lock();
            s.add_stats(&mut st);
        }
        st
    }

    /// Looks a session up; a malformed id is `INVALID_ID`, an unknown one `SESSION_NOT_FOUND`.
    pub(crate) fn cell(&self, session_id: &str) -> Result<Arc<SessionCell>> {
        if let Some(c) = self.sessions.read().get(session_id) {
            return Ok(Arc::clone(c));
        }
        crate::ids::validate_id(session_id, "session_id")?;
        Err(Error::not_found(
            Code::SESSION_NOT_FOUND,
            "session",
            session_id,
        ))
    }

    /// Looks up the session owning a saga / vouch / elevation / group.
    pub(crate) fn owner(&self, kind: Owned, id: &str, field: &str) -> Result<Arc<SessionCell>> {
        if let Some(c) = self.owners.read().get(kind, id) {
            return Ok(Arc::clone(c));
        }
        crate::ids::validate_id(id, field)?;
        let (code, what) = match kind {
            Owned::Saga => (Code::SAGA_NOT_FOUND, "saga"),
            Owned::Vouch => (Code::VOUCH_NOT_FOUND, "vouch"),
            Owned::Elevation => (Code::ELEVATION_NOT_FOUND, "elevation"),
            Owned::Group => (Code::GROUP_NOT_FOUND, "group"),
        };
        Err(Error::not_found(code, what, id))
    }

    /// Records that `id` lives in `cell`.
    pub(crate) fn register_owner(&self, kind: Owned, id: &str, cell: &Arc<SessionCell>) {
        cell.note_owned(kind, id);
        self.owners
            .write()
            .insert(kind, id.to_owned(), Arc::clone(cell));
    }

    /// Removes every `owners` entry `cell` registered (on eviction).
    pub(crate) fn forget_owners(&self, cell: &Arc<SessionCell>) {
        let keys = std::mem::take(&mut *cell.owned.lock());
        let mut owners = self.owners.write();
        for (kind, id) in keys {
            // One lookup per key: the key is owned already.
            if let std::collections::hash_map::Entry::Occupied(o) = owners.entry(kind, id) {
                if Arc::ptr_eq(o.get(), cell) {
                    o.remove();
                }
            }
        }
    }

    /// Forgets `id` once its object left the session's tables for good (a revoked or expired
    /// elevation), so the owner index stays bounded by the per-session caps.
    pub(crate) fn unregister_owner(&self, kind: Owned, id: &str) {
        let removed = self.owners.write().remove(kind, id);
        if let Some(cell) = removed {
            cell.owned.lock().retain(|(k, i)| *k != kind || i != id);
        }
    }

    /// True when `id` is already registered for `kind`.
    pub(crate) fn owner_exists(&self, kind: Owned, id: &str) -> bool {
        self.owners.read().contains(kind, id)
    }

    /// Runs `f` on a locked session with housekeeping (expiries) applied first, then publishes
    /// the events it produced, with every lock released, whether `f` succeeded or not.
    pub(crate) fn with_cell<R>(
        &self,
        cell: &Arc<SessionCell>,
        trace: Option<&str>,
        f: impl FnOnce(&mut Session, &mut Ctx<'_>) -> Result<R>,
    ) -> Result<R> {
        let mut out = Outbox::default();
        let r = {
            let mut s = cell.inner.lock();
            let mut ctx = Ctx {
                now: self.clock.now(),
                out: &mut out,
                hv: self,
            };
            s.housekeeping(&mut ctx);
            f(&mut s, &mut ctx)
        };
        self.publish(out, trace);
        r
    }

    /// [`Self::with_cell`] by session id.
    pub(crate) fn with_session<R>(
        &self,
        session_id: &str,
        trace: Option<&str>,
        f: impl FnOnce(&mut Session, &mut Ctx<'_>) -> Result<R>,
    ) -> Result<R> {
        let cell = self.cell(session_id)?;
        self.with_cell(&cell, trace, f)
    }

    /// Publishes an outbox, stamping a child span of `trace` on every event.
    pub(crate) fn publish(&self, out: Outbox, trace: Option<&str>) {
        if out.is_empty() {
            return;
        }
        let span = trace.and_then(|t| trace::child(t, "trace_id").ok());
        self.events.publish(out, span.as_deref());
    }

    /// Validates a caller-supplied id that names something new.
    pub(crate) fn check_new_id(id: &str, field: &str) -> Result<()> {
        if is_valid_id(id) {
            Ok(())
        } else {
            crate::ids::validate_id(id, field)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hypervisor_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Hypervisor>();
    }

    #[test]
    fn owner_index_forgets_revoked_and_expired_elevations() {
        let hv = Hypervisor::new(Config {
            clock: ClockKind::Manual,
            ..Config::default()
        });
        let call = |m: &str, b: serde_json::Value| -> serde_json::Value {
            let r = crate::api::call(&hv, m, &b.to_string()).unwrap();
            serde_json::from_str(&r).unwrap()
        };
        call(
            "session.create",
            serde_json::json!({"creator_did": "c", "session_id": "s"}),
        );
        call(
            "session.join",
            serde_json::json!({"session_id": "s", "agent_did": "a", "sigma_raw": 0.55}),
        );
        let elevate = serde_json::json!({"session_id": "s", "agent_did": "a", "target_ring": 2, "ttl_seconds": 1});
        for i in 0..40 {
            let e = call("ring.elevate", elevate.clone());
            assert_eq!(hv.owners.read().len(), 1);
            if i % 2 == 0 {
                call(
                    "ring.revoke",
                    serde_json::json!({"elevation_id": e["elevation_id"]}),
                );
            } else {
                hv.advance_clock(2_000_000).unwrap();
                call("session.get", serde_json::json!({"session_id": "s"}));
            }
            assert!(hv.owners.read().is_empty(), "round {i}");
        }
        call("ring.elevate", elevate);
        call(
            "session.leave",
            serde_json::json!({"session_id": "s", "agent_did": "a"}),
        );
        assert!(hv.owners.read().is_empty());
    }
}
