//! The intent-lock seam for sagas: a step in a `serializable` saga takes intent locks on its
//! declared resources (normalised VFS paths) for as long as it executes. Locks of an agent are
//! also released when it leaves or is killed (`release_agent_state`) and all locks when the
//! session terminates (`teardown`).

use super::super::state::Session;
use crate::error::Result;
use crate::ids::{mint, IdKind};
use crate::session::locks::{LockId, LockIntent};

impl Session {
    /// The holder tag of a saga step's locks (ids cannot contain `/`, so this is unambiguous).
    pub(crate) fn step_lock_tag(saga_id: &str, step_id: &str) -> String {
        let mut t = String::with_capacity(saga_id.len() + 1 + step_id.len());
        t.push_str(saga_id);
        t.push('/');
        t.push_str(step_id);
        t
    }

    /// Takes every intent lock a saga step declares, or none (`LOCK_CONTENTION`, `DEADLOCK`
    /// with the cycle in `details.cycle`, `CAPACITY_EXCEEDED`). `resources` are normalised
    /// paths (normalised by `saga.add_step`). Lock ids are minted `lock:`.
    pub(crate) fn acquire_step_locks(
        &mut self,
        agent: &str,
        saga_id: &str,
        step_id: &str,
        resources: &[(String, LockIntent)],
    ) -> Result<Vec<LockId>> {
        let reqs: Vec<(&str, LockIntent)> =
            resources.iter().map(|(p, i)| (p.as_str(), *i)).collect();
        let tag = Self::step_lock_tag(saga_id, step_id);
        self.locks
            .acquire_all(agent, &reqs, &tag, || mint(IdKind::Lock))
    }

    /// Releases a step's locks and clears its recorded waits; returns the number released.
    pub(crate) fn release_step_locks(&mut self, saga_id: &str, step_id: &str) -> usize {
        if self.locks.is_untagged() {
            // Nothing to release (no serializable step holds locks): skip building the tag.
            return 0;
        }
        self.locks
            .release_tag(&Self::step_lock_tag(saga_id, step_id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Limits;
    use crate::error::Code;
    use crate::model::{SessionConfig, Timestamp};

    fn session() -> Session {
        Session::new(
            "s".into(),
            SessionConfig::default(),
            "did:c".into(),
            Timestamp(0),
            &Limits::default(),
        )
    }

    #[test]
    fn step_locks_are_all_or_nothing_tagged_per_saga_step_and_released() {
        let mut s = session();
        let f = |p: &str, i| (p.to_owned(), i);
        let ids = s
            .acquire_step_locks(
                "did:a",
                "saga:1",
                "s1",
                &[f("/x", LockIntent::Read), f("/y", LockIntent::Write)],
            )
            .unwrap();
        assert_eq!(ids.len(), 2);
        assert!(ids.iter().all(|i| i.starts_with("lock:")));
        // Read + read shares; write conflicts; nothing taken on refusal.
        s.acquire_step_locks("did:b", "saga:2", "s1", &[f("/x", LockIntent::Read)])
            .unwrap();
        let e = s
            .acquire_step_locks(
                "did:b",
                "saga:2",
                "s2",
                &[f("/z", LockIntent::Write), f("/y", LockIntent::Read)],
            )
            .unwrap_err();
        assert_eq!(e.code(), Code::LOCK_CONTENTION);
        assert!(s.locks.holders("/z").next().is_none());
        // a now waits on b's read of /x with a write: a cycle a -> b -> a is a deadlock.
        let e = s
            .acquire_step_locks("did:a", "saga:1", "s3", &[f("/x", LockIntent::Write)])
            .unwrap_err();
        assert_eq!(e.code(), Code::DEADLOCK);
        assert_eq!(
            e.details().unwrap()["cycle"],
            serde_json::json!(["did:a", "did:b"])
        );
        // Same step id in another saga is a different holder: releasing saga:2/s1 keeps
        // saga:1/s1.
        assert_eq!(s.release_step_locks("saga:2", "s1"), 1);
        assert_eq!(s.locks.len(), 2);
        assert_eq!(s.release_step_locks("saga:1", "s1"), 2);
        assert!(s.locks.is_empty());
    }
}
