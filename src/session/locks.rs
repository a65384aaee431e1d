//! Per-session intent locks with contention accounting and wait-for deadlock detection
//! (API.md §4.5, `saga.step.begin` under `serializable`).
//!
//! # Compatibility
//! Only `read` + `read` share a resource between different agents. An agent never conflicts
//! with itself: re-entry always succeeds and yields a separate lock (so releasing one step's
//! locks never drops another step's). Upgrades fall out of that rule: an agent holding `read`
//! gets `write`/`exclusive` exactly when no *other* agent holds the resource. `write` and
//! `exclusive` behave alike here (both exclude every other agent); the distinction is kept for
//! the wire and for hosts.
//!
//! # Waits and deadlocks
//! Acquisition never blocks. A refused request records a *wait* (waiter, resource, intent,
//! holder tag); the wait-for graph has an edge W → H whenever W waits on a resource that H ≠ W
//! currently holds incompatibly with W's intent. Edges are derived from the current holders, so
//! a holder that released is no longer waited on. If the new request's edges close a cycle the
//! request fails with `DEADLOCK` (cycle in `details.cycle`, requester first) and its wait is not
//! recorded (the requester is the victim); otherwise it fails with `LOCK_CONTENTION` naming the
//! resource and holders. A wait is cleared when its waiter acquires that resource, when
//! [`LockTable::release_tag`] is called with its tag (the step ended or was abandoned), by
//! [`LockTable::release_agent`] (all of the agent's waits) and by [`LockTable::release_all`].
//! [`LockTable::release`] of a single lock leaves waits alone.
//!
//! # Caps
//! Locks ≤ `max_locks_per_session` (refuse, `CAPACITY_EXCEEDED`, `details.table = "locks"`).
//! Waits and contention counters are advisory and each hold at most as many entries: once full,
//! new waits / new resources are not recorded (deadlock detection still runs on what is there).
//! Resources are opaque strings; the engine passes normalised VFS paths.

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use serde::{Deserialize, Serialize};

use crate::config::Limits;
use crate::error::{Code, Error, Result};

/// Declared intent on a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LockIntent {
    /// Shared read.
    Read,
    /// Exclusive write.
    Write,
    /// Exclusive read and write.
    Exclusive,
}

impl LockIntent {
    /// True when a lock with `self` held by one agent and one with `other` held by another
    /// agent may coexist: only read + read.
    pub fn compatible_with(self, other: LockIntent) -> bool {
        self == LockIntent::Read && other == LockIntent::Read
    }

    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            LockIntent::Read => "read",
            LockIntent::Write => "write",
            LockIntent::Exclusive => "exclusive",
        }
    }
}

/// Identifier of a held lock (engine-minted, `lock:` prefix).
pub type LockId = String;

/// A held lock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LockInfo {
    /// The lock's id.
    pub lock_id: LockId,
    /// Holder.
    pub agent_did: String,
    /// Locked resource.
    pub resource: String,
    /// Declared intent.
    pub intent: LockIntent,
    /// Who holds it on the agent's behalf (e.g. the step id).
    pub holder_tag: String,
    #[serde(skip)]
    seq: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Wait {
    intent: LockIntent,
    tag: String,
}

/// One session's intent locks.
#[derive(Debug, Clone)]
pub struct LockTable {
    max_locks: usize,
    next_seq: u64,
    locks: BTreeMap<LockId, LockInfo>,
    by_resource: BTreeMap<String, Vec<LockId>>,
    by_tag: BTreeMap<String, Vec<LockId>>,
    /// waiter -> resource -> wait.
    waits: BTreeMap<String, BTreeMap<String, Wait>>,
    wait_count: usize,
    contention: BTreeMap<String, u64>,
}

impl LockTable {
    /// An empty table capped at `limits.max_locks_per_session`.
    pub fn new(limits: &Limits) -> Self {
        LockTable {
            max_locks: limits.max_locks_per_session,
            next_seq: 0,
            locks: BTreeMap::new(),
            by_resource: BTreeMap::new(),
            by_tag: BTreeMap::new(),
            waits: BTreeMap::new(),
            wait_count: 0,
            contention: BTreeMap::new(),
        }
    }

    /// Locks on `resource` held by agents other than `agent` that conflict with `intent`.
    fn conflicts<'a>(
        &'a self,
        agent: &'a str,
        resource: &str,
        intent: LockIntent,
    ) -> impl Iterator<Item = &'a LockInfo> + 'a {
        self.by_resource
            .get(resource)
            .into_iter()
            .flatten()
            .filter_map(|id| self.locks.get(id))
            .filter(move |l| l.agent_did != agent && !l.intent.compatible_with(intent))
    }

    /// Distinct agents holding `resource` incompatibly with `intent`, excluding `agent`.
    fn blockers<'a>(
        &'a self,
        agent: &'a str,
        resource: &str,
        intent: LockIntent,
    ) -> BTreeSet<&'a str> {
        self.conflicts(agent, resource, intent)
            .map(|l| l.agent_did.as_str())
            .collect()
    }

    /// Successors of `agent` in the wait-for graph.
    fn waits_on<'a>(&'a self, agent: &'a str) -> BTreeSet<&'a str> {
        let mut out = BTreeSet::new();
        if let Some(ws) = self.waits.get(agent) {
            for (resource, w) in ws {
                out.extend(self.blockers(agent, resource, w.intent));
            }
        }
        out
    }

    /// A cycle requester → first → … → requester, if `requester`'s new edges to `first` close
    /// one. Breadth-first, so the reported cycle is a shortest one.
    fn find_cycle(&self, requester: &str, first: &BTreeSet<&str>) -> Option<Vec<String>> {
        let mut parent: BTreeMap<&str, &str> = BTreeMap::new();
        let mut queue: VecDeque<&str> = VecDeque::new();
        for &h in first {
            if parent.insert(h, requester).is_none() {
                queue.push_back(h);
            }
        }
        while let Some(node) = queue.pop_front() {
            for next in self.waits_on(node) {
                if next == requester {
                    // Walk back from `node` to the requester.
                    let mut path = vec![node];
                    let mut cur = node;
                    while let Some(&p) = parent.get(cur) {
                        if p == requester {
                            break;
                        }
                        path.push(p);
                        cur = p;
                    }
                    path.push(requester);
                    path.reverse();
                    return Some(path.into_iter().map(str::to_owned).collect());
                }
                if next != node && !parent.contains_key(next) {
                    parent.insert(next, node);
                    queue.push_back(next);
                }
            }
        }
        None
    }

    fn count_contention(&mut self, resource: &str) {
        if let Some(n) = self.contention.get_mut(resource) {
            *n = n.saturating_add(1);
        } else if self.contention.len() < self.max_locks {
            self.contention.insert(resource.to_owned(), 1);
        }
    }

    fn record_wait(&mut self, agent: &str, resource: &str, intent: LockIntent, tag: &str) {
        let wait = Wait {
            intent,
            tag: tag.to_owned(),
        };
        if let Some(existing) = self.waits.get_mut(agent).and_then(|m| m.get_mut(resource)) {
            *existing = wait;
            return;
        }
        if self.wait_count >= self.max_locks {
            return;
        }
        self.waits
            .entry(agent.to_owned())
            .or_default()
            .insert(resource.to_owned(), wait);
        self.wait_count += 1;
    }

    fn clear_wait(&mut self, agent: &str, resource: &str) {
        if let Some(m) = self.waits.get_mut(agent) {
            if m.remove(resource).is_some() {
                self.wait_count = self.wait_count.saturating_sub(1);
            }
            if m.is_empty() {
                self.waits.remove(agent);
            }
        }
    }

    /// Fails with `DEADLOCK` or `LOCK_CONTENTION` (recording the wait) if another agent holds
    /// `resource` incompatibly.
    fn check(&mut self, agent: &str, resource: &str, intent: LockIntent, tag: &str) -> Result<()> {
        let holders: Vec<String> = self
            .blockers(agent, resource, intent)
            .into_iter()
            .map(str::to_owned)
            .collect();
        if holders.is_empty() {
            return Ok(());
        }
        self.count_contention(resource);
        let first: BTreeSet<&str> = holders.iter().map(String::as_str).collect();
        if let Some(cycle) = self.find_cycle(agent, &first) {
            let shown = cycle
                .iter()
                .chain(cycle.first())
                .map(String::as_str)
                .collect::<Vec<_>>()
                .join(" -> ");
            return Err(Error::new(
                Code::DEADLOCK,
                format!(
                    "deadlock: agent '{agent}' requesting {} on '{resource}' would close the \
                     wait-for cycle {shown}",
                    intent.as_str()
                ),
            )
            .with_detail("resource", resource)
            .with_detail("agent_did", agent)
            .with_detail("cycle", cycle));
        }
        self.record_wait(agent, resource, intent, tag);
        Err(Error::new(
            Code::LOCK_CONTENTION,
            format!(
                "resource '{resource}' is locked by {}; agent '{agent}' cannot take a {} lock",
                holders
                    .iter()
                    .map(|h| format!("'{h}'"))
                    .collect::<Vec<_>>()
                    .join(", "),
                intent.as_str()
            ),
        )
        .with_detail("resource", resource)
        .with_detail("agent_did", agent)
        .with_detail("intent", intent.as_str())
        .with_detail("holders", holders))
    }

    fn insert(&mut self, agent: &str, resource: &str, intent: LockIntent, tag: &str, id: LockId) {
        self.clear_wait(agent, resource);
        self.by_resource
            .entry(resource.to_owned())
            .or_default()
            .push(id.clone());
        self.by_tag
            .entry(tag.to_owned())
            .or_default()
            .push(id.clone());
        let seq = self.next_seq;
        self.next_seq += 1;
        self.locks.insert(
            id.clone(),
            LockInfo {
                lock_id: id,
                agent_did: agent.to_owned(),
                resource: resource.to_owned(),
                intent,
                holder_tag: tag.to_owned(),
                seq,
            },
        );
    }

    fn capacity_error(&self) -> Error {
        Error::new(
            Code::CAPACITY_EXCEEDED,
            format!(
                "the session's lock table is full ({} locks)",
                self.max_locks
            ),
        )
        .with_detail("table", "locks")
        .with_detail("limit", self.max_locks)
    }

    /// Takes one lock. Checks in order: `lock_id` unused (`DUPLICATE_ID`), compatibility
    /// (`DEADLOCK` / `LOCK_CONTENTION`), table cap (`CAPACITY_EXCEEDED`).
    pub fn acquire(
        &mut self,
        agent: &str,
        resource: &str,
        intent: LockIntent,
        holder_tag: &str,
        lock_id: LockId,
    ) -> Result<LockId> {
        if self.locks.contains_key(&lock_id) {
            return Err(Error::new(
                Code::DUPLICATE_ID,
                format!("lock '{lock_id}' already exists"),
            )
            .with_detail("lock_id", lock_id));
        }
        self.check(agent, resource, intent, holder_tag)?;
        if self.locks.len() >= self.max_locks {
            return Err(self.capacity_error());
        }
        self.insert(agent, resource, intent, holder_tag, lock_id.clone());
        Ok(lock_id)
    }

    /// Takes every lock in `requests` or none (a step's declared resources). The first
    /// conflicting resource, in request order, decides the error and the recorded wait. Ids come
    /// from `mint` (called once per request, only when all checks passed).
    pub fn acquire_all(
        &mut self,
        agent: &str,
        requests: &[(&str, LockIntent)],
        holder_tag: &str,
        mut mint: impl FnMut() -> LockId,
    ) -> Result<Vec<LockId>> {
        for (resource, intent) in requests {
            self.check(agent, resource, *intent, holder_tag)?;
        }
        if self.locks.len().saturating_add(requests.len()) > self.max_locks {
            return Err(self.capacity_error());
        }
        let mut ids = Vec::with_capacity(requests.len());
        for _ in requests {
            let id = mint();
            if self.locks.contains_key(&id) || ids.contains(&id) {
                return Err(
                    Error::new(Code::DUPLICATE_ID, format!("lock '{id}' already exists"))
                        .with_detail("lock_id", id),
                );
            }
            ids.push(id);
        }
        for ((resource, intent), id) in requests.iter().zip(&ids) {
            self.insert(agent, resource, *intent, holder_tag, id.clone());
        }
        Ok(ids)
    }

    fn remove(&mut self, lock_id: &str) -> Option<LockInfo> {
        let info = self.locks.remove(lock_id)?;
        for (map, key) in [
            (&mut self.by_resource, &info.resource),
            (&mut self.by_tag, &info.holder_tag),
        ] {
            if let Some(ids) = map.get_mut(key) {
                ids.retain(|i| i != lock_id);
                if ids.is_empty() {
                    map.remove(key);
                }
            }
        }
        Some(info)
    }

    /// Releases one lock (`LOCK_NOT_FOUND` if unknown) and returns it.
    pub fn release(&mut self, lock_id: &str) -> Result<LockInfo> {
        self.remove(lock_id)
            .ok_or_else(|| Error::not_found(Code::LOCK_NOT_FOUND, "lock_id", lock_id))
    }

    /// True when no lock is tagged and no wait is recorded: [`Self::release_tag`] of any tag
    /// would find nothing to do.
    pub fn is_untagged(&self) -> bool {
        self.by_tag.is_empty() && self.waits.is_empty()
    }

    /// Releases every lock held under `tag` and clears the waits recorded under it; returns the
    /// number of locks released.
    pub fn release_tag(&mut self, tag: &str) -> usize {
        let ids = self.by_tag.remove(tag).unwrap_or_default();
        for id in &ids {
            self.remove(id);
        }
        let mut cleared = 0;
        self.waits.retain(|_, m| {
            let before = m.len();
            m.retain(|_, w| w.tag != tag);
            cleared += before - m.len();
            !m.is_empty()
        });
        self.wait_count = self.wait_count.saturating_sub(cleared);
        ids.len()
    }

    /// Releases every lock `agent` holds and clears its waits; returns the number released.
    pub fn release_agent(&mut self, agent: &str) -> usize {
        let ids: Vec<LockId> = self
            .locks
            .values()
            .filter(|l| l.agent_did == agent)
            .map(|l| l.lock_id.clone())
            .collect();
        for id in &ids {
            self.remove(id);
        }
        if let Some(m) = self.waits.remove(agent) {
            self.wait_count = self.wait_count.saturating_sub(m.len());
        }
        ids.len()
    }

    /// Releases every lock and clears every wait (session teardown); returns the number of
    /// locks released. Contention counters are kept.
    pub fn release_all(&mut self) -> usize {
        let n = self.locks.len();
        self.locks.clear();
        self.by_resource.clear();
        self.by_tag.clear();
        self.waits.clear();
        self.wait_count = 0;
        n
    }

    /// The locks `agent` holds, oldest first.
    pub fn held_by(&self, agent: &str) -> Vec<&LockInfo> {
        let mut v: Vec<&LockInfo> = self
            .locks
            .values()
            .filter(|l| l.agent_did == agent)
            .collect();
        v.sort_by_key(|l| l.seq);
        v
    }

    /// The locks on `resource`, oldest first.
    pub fn holders(&self, resource: &str) -> impl Iterator<Item = &LockInfo> + '_ {
        self.by_resource
            .get(resource)
            .into_iter()
            .flatten()
            .filter_map(|id| self.locks.get(id))
    }

    /// The lock with this id.
    pub fn get(&self, lock_id: &str) -> Option<&LockInfo> {
        self.locks.get(lock_id)
    }

    /// Recorded waits as (waiter, resource, intent, holder tag).
    pub fn waits(&self) -> impl Iterator<Item = (&str, &str, LockIntent, &str)> + '_ {
        self.waits.iter().flat_map(|(a, m)| {
            m.iter()
                .map(move |(r, w)| (a.as_str(), r.as_str(), w.intent, w.tag.as_str()))
        })
    }

    /// Agents `agent` currently waits on (its out-edges in the wait-for graph).
    pub fn waiting_on(&self, agent: &str) -> Vec<String> {
        self.waits_on(agent)
            .into_iter()
            .map(str::to_owned)
            .collect()
    }

    /// Number of held locks.
    pub fn len(&self) -> usize {
        self.locks.len()
    }

    /// True when no lock is held.
    pub fn is_empty(&self) -> bool {
        self.locks.is_empty()
    }

    /// Refusals (contention and deadlock) per resource, most contended first (ties by name).
    pub fn contention_points(&self) -> Vec<(String, u64)> {
        let mut v: Vec<(String, u64)> = self
            .contention
            .iter()
            .map(|(r, n)| (r.clone(), *n))
            .collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        v
    }
}
