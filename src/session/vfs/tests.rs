use super::*;
use crate::error::Status;
use proptest::prelude::*;

const A: &str = "did:web:alice";
const B: &str = "did:web:bob";
const C: &str = "did:web:carol";
const SNAP: IsolationLevel = IsolationLevel::Snapshot;
const RC: IsolationLevel = IsolationLevel::ReadCommitted;
const SER: IsolationLevel = IsolationLevel::Serializable;

fn t(n: i64) -> Timestamp {
    Timestamp(1_767_225_600_000_000 + n)
}

fn lim() -> Limits {
    Limits::default()
}

fn w(
    v: &mut Vfs,
    agent: &str,
    path: &str,
    content: &str,
    iso: IsolationLevel,
) -> Result<WriteOutcome> {
    v.write(agent, path, content, t(0), iso, &lim())
}

/// Everything observable about a VFS, for "nothing changed" assertions.
fn state(v: &Vfs) -> String {
    format!(
        "{:?}|{:?}|{:?}|{:?}|{}",
        v.files, v.permissions, v.agent_clocks, v.edit_log, v.bytes_used
    )
}

#[test]
fn traversal_is_rejected_and_paths_normalise() {
    let mut v = Vfs::new();
    for bad in ["../x", "/a/../../x", "", "a\0b"] {
        let e = w(&mut v, A, bad, "x", SNAP).unwrap_err();
        assert_eq!(e.code(), Code::INVALID_PATH);
        assert_eq!(e.details().unwrap()["field"], "path");
        assert_eq!(v.read(bad, None).unwrap_err().code(), Code::INVALID_PATH);
        let e = v.delete(A, bad, t(0), SNAP, &lim()).unwrap_err();
        assert_eq!(e.code(), Code::INVALID_PATH);
    }
    assert_eq!(v.file_count(), 0);
    let out = w(&mut v, A, "./docs//a.txt", "hi", SNAP).unwrap();
    assert_eq!(out.path, "/docs/a.txt");
    let r = v.read("docs/x/../a.txt", None).unwrap();
    assert_eq!(r.path, "/docs/a.txt");
    assert_eq!(r.content.as_deref(), Some("hi"));
}

#[test]
fn create_then_update_with_hashes_and_attribution() {
    let mut v = Vfs::new();
    let c = v.write(A, "f", "one", t(1), SNAP, &lim()).unwrap();
    assert_eq!(c.operation, WriteOperation::Create);
    assert_eq!(c.content_hash, ContentHash::of("one"));
    assert_eq!(c.previous_hash, None);
    let u = v.write(B, "/f", "two", t(2), SNAP, &lim()).unwrap();
    assert_eq!(u.operation, WriteOperation::Update);
    assert_eq!(u.previous_hash, Some(ContentHash::of("one")));
    assert_eq!(u.content_hash, ContentHash::of("two"));
    let f = v.file("f").unwrap().unwrap();
    assert_eq!(f.created_by, A);
    assert_eq!(f.last_writer, B);
    assert_eq!(f.created_at, t(1));
    assert_eq!(f.updated_at, t(2));
    assert_eq!(&*f.content, "two");
    assert_eq!(v.bytes_used(), 3);
    let ops: Vec<_> = v
        .edits(None)
        .map(|e| (e.operation, e.agent_did.as_str()))
        .collect();
    assert_eq!(
        ops,
        vec![(EditOperation::Create, A), (EditOperation::Update, B)]
    );
    let e = v.edits(None).nth(1).unwrap();
    assert_eq!(e.previous_hash, Some(ContentHash::of("one")));
    assert_eq!(e.content_hash, Some(ContentHash::of("two")));
    assert_eq!(e.timestamp, t(2));
}

#[test]
fn write_and_read_clocks() {
    let mut v = Vfs::new();
    let c1 = w(&mut v, A, "f", "1", SNAP).unwrap().clock;
    assert_eq!(c1.get(A), 1);
    assert_eq!(v.agent_clock(A), Some(&c1));
    let r = v.read("f", Some(B)).unwrap();
    assert_eq!(r.clock, c1);
    assert_eq!(v.agent_clock(B), Some(&c1));
    let c2 = w(&mut v, B, "f", "2", RC).unwrap().clock;
    assert!(c1.happens_before(&c2));
    assert_eq!((c2.get(A), c2.get(B)), (1, 1));
    assert_eq!(v.file("f").unwrap().unwrap().clock, c2);
    // Reading without an agent touches no clock.
    let before = v.agent_clocks.clone();
    assert_eq!(v.read("f", None).unwrap().clock, c2);
    assert_eq!(v.agent_clocks, before);
}

#[test]
fn missing_file_reads_as_none() {
    let mut v = Vfs::new();
    let r = v.read("nope", Some(A)).unwrap();
    assert_eq!(r.content, None);
    assert!(r.clock.is_empty());
    assert!(v.agent_clock(A).is_none());
}

#[test]
fn stale_write_rejected_under_causal_isolation_accepted_under_snapshot() {
    for iso in [RC, SER] {
        let mut v = Vfs::new();
        w(&mut v, A, "f", "a", iso).unwrap();
        // B never read f: stale.
        let before = state(&v);
        let e = w(&mut v, B, "f", "b", iso).unwrap_err();
        assert_eq!(e.code(), Code::CAUSAL_VIOLATION);
        assert_eq!(e.status(), Status::Conflict);
        assert_eq!(e.details().unwrap()["path"], "/f");
        assert_eq!(state(&v), before, "a refused write changes nothing");
        // Delete is checked the same way.
        let e = v.delete(B, "f", t(0), iso, &lim()).unwrap_err();
        assert_eq!(e.code(), Code::CAUSAL_VIOLATION);
        // Reading clears staleness.
        v.read("f", Some(B)).unwrap();
        w(&mut v, B, "f", "b", iso).unwrap();
        // Now A is stale (B wrote since A's write); A's own earlier write doesn't help.
        assert_eq!(
            w(&mut v, A, "f", "a2", iso).unwrap_err().code(),
            Code::CAUSAL_VIOLATION
        );
        // B writing again on top of its own write is fine.
        w(&mut v, B, "f", "b2", iso).unwrap();
    }
    let mut v = Vfs::new();
    w(&mut v, A, "f", "a", SNAP).unwrap();
    let out = w(&mut v, B, "f", "b", SNAP).unwrap();
    assert_eq!(out.operation, WriteOperation::Update);
    assert_eq!((out.clock.get(A), out.clock.get(B)), (1, 1));
    v.delete(A, "f", t(0), SNAP, &lim()).unwrap();
}

#[test]
fn concurrent_history_is_stale_too() {
    // B has written elsewhere (its clock is not empty) but never saw A's write to f: its clock
    // is concurrent with f's, not before it; it still must not overwrite f blindly.
    let mut v = Vfs::new();
    w(&mut v, A, "f", "a", RC).unwrap();
    w(&mut v, B, "g", "b", RC).unwrap();
    let bc = v.agent_clock(B).unwrap();
    let fc = &v.file("f").unwrap().unwrap().clock;
    assert!(bc.concurrent_with(fc));
    assert_eq!(
        w(&mut v, B, "f", "b", RC).unwrap_err().code(),
        Code::CAUSAL_VIOLATION
    );
}

#[test]
fn causal_knowledge_is_transitive() {
    // A writes f then g; B reads only g, which causally includes A's write of f.
    let mut v = Vfs::new();
    w(&mut v, A, "f", "1", RC).unwrap();
    w(&mut v, A, "g", "2", RC).unwrap();
    v.read("g", Some(B)).unwrap();
    w(&mut v, B, "f", "3", RC).unwrap();
}

#[test]
fn new_files_are_never_stale() {
    let mut v = Vfs::new();
    w(&mut v, A, "f", "a", SER).unwrap();
    w(&mut v, B, "g", "b", SER).unwrap();
    // After a delete the path has no history: a create by anyone is fine.
    v.delete(A, "f", t(0), SER, &lim()).unwrap();
    w(&mut v, C, "f", "c", SER).unwrap();
}

#[test]
fn delete_rules() {
    let mut v = Vfs::new();
    let e = v.delete(A, "nope", t(0), SNAP, &lim()).unwrap_err();
    assert_eq!(e.code(), Code::FILE_NOT_FOUND);
    assert_eq!(e.status(), Status::NotFound);
    assert!(e.message().contains("/nope"));
    w(&mut v, A, "f", "abc", SNAP).unwrap();
    w(&mut v, A, "g", "de", SNAP).unwrap();
    let d = v.delete(A, "f", t(5), SNAP, &lim()).unwrap();
    assert_eq!(d.previous_hash, ContentHash::of("abc"));
    assert_eq!(d.clock.get(A), 3);
    assert_eq!(v.bytes_used(), 2);
    assert_eq!(v.list(), vec!["/g".to_owned()]);
    let last = v.edits(None).last().unwrap();
    assert_eq!(last.operation, EditOperation::Delete);
    assert_eq!(last.previous_hash, Some(ContentHash::of("abc")));
    assert_eq!(last.content_hash, None);
}

#[test]
fn list_is_sorted() {
    let mut v = Vfs::new();
    for p in ["z", "a/b", "m", "a"] {
        w(&mut v, A, p, "", SNAP).unwrap();
    }
    assert_eq!(v.list(), vec!["/a", "/a/b", "/m", "/z"]);
    assert_eq!(v.paths().count(), 4);
}

#[test]
fn permissions_restrict_every_operation() {
    let mut v = Vfs::new();
    let l = lim();
    w(&mut v, A, "f", "x", SNAP).unwrap();
    let p = v
        .set_permissions(A, "./f", vec![C.into(), A.into(), A.into()], t(0), &l)
        .unwrap();
    assert_eq!(p.path, "/f");
    assert_eq!(p.allowed_agents, vec![A.to_owned(), C.to_owned()]);
    let denied = |r: Result<()>| {
        let e = r.unwrap_err();
        assert_eq!(e.code(), Code::PERMISSION_DENIED);
        assert_eq!(e.status(), Status::Denied);
        assert_eq!(e.details().unwrap()["path"], "/f");
    };
    let before = state(&v);
    denied(w(&mut v, B, "f", "y", SNAP).map(|_| ()));
    denied(v.read("f", Some(B)).map(|_| ()));
    denied(v.delete(B, "f", t(0), SNAP, &l).map(|_| ()));
    denied(
        v.set_permissions(B, "f", vec![B.into()], t(0), &l)
            .map(|_| ()),
    );
    denied(v.clear_permissions(B, "f", t(0), &l).map(|_| ()));
    assert_eq!(state(&v), before);
    // Anonymous reads are not subject to permissions.
    assert_eq!(v.read("f", None).unwrap().content.as_deref(), Some("x"));
    // Allowed agents pass.
    w(&mut v, C, "f", "y", SNAP).unwrap();
    v.read("f", Some(A)).unwrap();
    // Other paths are unaffected.
    w(&mut v, B, "g", "z", SNAP).unwrap();
    // Clearing lifts the restriction.
    assert!(v.clear_permissions(A, "f", t(0), &l).unwrap());
    assert!(!v.clear_permissions(A, "f", t(0), &l).unwrap());
    w(&mut v, B, "f", "b", SNAP).unwrap();
    let ops: Vec<_> = v
        .edits(Some(A))
        .map(|e| e.operation)
        .filter(|o| {
            matches!(
                o,
                EditOperation::SetPermissions | EditOperation::ClearPermissions
            )
        })
        .collect();
    assert_eq!(
        ops,
        vec![
            EditOperation::SetPermissions,
            EditOperation::ClearPermissions
        ]
    );
}

#[test]
fn permissions_belong_to_the_path() {
    let mut v = Vfs::new();
    let l = lim();
    // Set before the file exists.
    v.set_permissions(A, "f", vec![A.into()], t(0), &l).unwrap();
    assert_eq!(
        w(&mut v, B, "f", "b", SNAP).unwrap_err().code(),
        Code::PERMISSION_DENIED
    );
    w(&mut v, A, "f", "a", SNAP).unwrap();
    v.delete(A, "f", t(0), SNAP, &l).unwrap();
    // Survives deletion.
    assert_eq!(
        w(&mut v, B, "f", "b", SNAP).unwrap_err().code(),
        Code::PERMISSION_DENIED
    );
    assert!(v.permissions("/f").unwrap().is_some());
}

#[test]
fn handing_a_path_over() {
    let mut v = Vfs::new();
    let l = lim();
    v.set_permissions(A, "f", vec![B.into()], t(0), &l).unwrap();
    assert_eq!(
        w(&mut v, A, "f", "a", SNAP).unwrap_err().code(),
        Code::PERMISSION_DENIED
    );
    assert_eq!(
        v.set_permissions(A, "f", vec![A.into()], t(0), &l)
            .unwrap_err()
            .code(),
        Code::PERMISSION_DENIED
    );
    v.set_permissions(B, "f", vec![A.into(), B.into()], t(0), &l)
        .unwrap();
}

#[test]
fn set_permissions_validation() {
    let mut v = Vfs::new();
    let mut l = lim();
    let e = v.set_permissions(A, "f", vec![], t(0), &l).unwrap_err();
    assert_eq!(e.code(), Code::INVALID_ARGUMENT);
    assert_eq!(e.details().unwrap()["field"], "allowed_agents");
    let e = v
        .set_permissions(A, "f", vec![A.into(), "bad id".into()], t(0), &l)
        .unwrap_err();
    assert_eq!(e.code(), Code::INVALID_ID);
    assert_eq!(e.details().unwrap()["field"], "allowed_agents[1]");
    l.max_participants = 2;
    let e = v
        .set_permissions(A, "f", vec![A.into(), B.into(), C.into()], t(0), &l)
        .unwrap_err();
    assert_eq!(e.code(), Code::OUT_OF_RANGE);
    l.max_vfs_files_per_session = 1;
    v.set_permissions(A, "f", vec![A.into()], t(0), &l).unwrap();
    // Replacing an existing restriction is fine at the cap; a new path is not.
    v.set_permissions(A, "f", vec![A.into(), B.into()], t(0), &l)
        .unwrap();
    let e = v
        .set_permissions(A, "g", vec![A.into()], t(0), &l)
        .unwrap_err();
    assert_eq!(e.code(), Code::CAPACITY_EXCEEDED);
    assert_eq!(e.details().unwrap()["table"], "vfs_permissions");
    assert_eq!(v.edit_count(), 2);
}

#[test]
fn quota_refusal_leaves_state_unchanged() {
    let mut v = Vfs::new();
    let l = Limits {
        max_vfs_bytes_per_session: 10,
        max_vfs_files_per_session: 2,
        ..lim()
    };
    v.write(A, "a", "12345", t(0), SNAP, &l).unwrap();
    v.write(A, "b", "12345", t(0), SNAP, &l).unwrap(); // exactly at the quota
    assert_eq!(v.bytes_used(), 10);
    let before = state(&v);
    let e = v.write(A, "a", "123456", t(0), SNAP, &l).unwrap_err();
    assert_eq!(e.code(), Code::VFS_QUOTA_EXCEEDED);
    assert_eq!(e.status(), Status::LimitExceeded);
    assert_eq!(state(&v), before);
    // The file cap: a third file is refused even when it is empty.
    let e = v.write(A, "c", "", t(0), SNAP, &l).unwrap_err();
    assert_eq!(e.code(), Code::CAPACITY_EXCEEDED);
    assert_eq!(e.details().unwrap()["table"], "vfs_files");
    assert_eq!(state(&v), before);
    // Updates within the quota still work, and shrinking frees room.
    v.write(A, "a", "1", t(0), SNAP, &l).unwrap();
    assert_eq!(v.bytes_used(), 6);
    v.write(A, "b", "123456789", t(0), SNAP, &l).unwrap();
    assert_eq!(v.bytes_used(), 10);
    v.delete(A, "a", t(0), SNAP, &l).unwrap();
    v.write(A, "c", "", t(0), SNAP, &l).unwrap();
    assert_eq!(v.file_count(), 2);
}

#[test]
fn edit_log_evicts_oldest() {
    let mut v = Vfs::new();
    let l = Limits {
        max_edit_log_per_session: 3,
        ..lim()
    };
    for (i, agent) in [A, B, A, B, A].into_iter().enumerate() {
        v.write(agent, &format!("f{i}"), "x", t(i as i64), SNAP, &l)
            .unwrap();
    }
    assert_eq!(v.edit_count(), 3);
    let paths: Vec<_> = v.edits(None).map(|e| e.path.as_str()).collect();
    assert_eq!(paths, vec!["/f2", "/f3", "/f4"]);
    let by_b: Vec<_> = v.edits(Some(B)).map(|e| e.path.as_str()).collect();
    assert_eq!(by_b, vec!["/f3"]);
    assert_eq!(v.edits(Some(C)).count(), 0);
}

#[test]
fn snapshot_and_restore() {
    let mut v = Vfs::new();
    let l = lim();
    w(&mut v, A, "keep", "k", RC).unwrap();
    w(&mut v, A, "changed", "old", RC).unwrap();
    w(&mut v, A, "deleted", "d", RC).unwrap();
    v.set_permissions(A, "keep", vec![A.into(), B.into()], t(0), &l)
        .unwrap();
    let snap = v.snapshot();
    assert_eq!((snap.file_count(), snap.bytes()), (3, 5));
    let keep_entry = v.file("keep").unwrap().unwrap().clone();

    // B diverges from the snapshot.
    v.read("changed", Some(B)).unwrap();
    w(&mut v, B, "changed", "new!", RC).unwrap();
    v.read("deleted", Some(B)).unwrap();
    v.delete(B, "deleted", t(0), RC, &l).unwrap();
    w(&mut v, B, "added", "zz", RC).unwrap();
    v.clear_permissions(B, "keep", t(0), &l).unwrap();
    v.set_permissions(B, "added", vec![B.into(), C.into()], t(0), &l)
        .unwrap();
    // The snapshot is unaffected by later writes.
    assert_eq!(&*snap.file("/changed").unwrap().content, "old");
    assert_eq!(
        snap.paths().collect::<Vec<_>>(),
        vec!["/changed", "/deleted", "/keep"]
    );

    // A is excluded from "added" now, which the restore would remove: refused, nothing changes.
    let before = state(&v);
    let e = v.restore(A, &snap, t(9), &l).unwrap_err();
    assert_eq!(e.code(), Code::PERMISSION_DENIED);
    assert_eq!(state(&v), before);

    let edits_before = v.edit_count();
    let out = v.restore(C, &snap, t(9), &l).unwrap();
    assert_eq!(
        (
            out.files_created,
            out.files_updated,
            out.files_removed,
            out.permissions_changed
        ),
        (1, 1, 1, 2)
    );
    assert_eq!(v.list(), vec!["/changed", "/deleted", "/keep"]);
    assert_eq!(
        v.read("changed", None).unwrap().content.as_deref(),
        Some("old")
    );
    assert_eq!(v.bytes_used(), 5);
    assert_eq!(v.permissions("keep").unwrap().map(|s| s.len()), Some(2));
    assert!(v.permissions("added").unwrap().is_none());
    // Unchanged files keep their entry; restored ones are attributed to the restorer.
    assert_eq!(v.file("keep").unwrap().unwrap(), &keep_entry);
    let changed = v.file("changed").unwrap().unwrap();
    assert_eq!(
        (changed.created_by.as_str(), changed.last_writer.as_str()),
        (A, C)
    );
    assert_eq!(changed.updated_at, t(9));
    // The edit log records the restore as edits by C.
    let ops: Vec<_> = v
        .edits(None)
        .skip(edits_before)
        .map(|e| (e.path.as_str(), e.operation, e.agent_did.as_str()))
        .collect();
    assert_eq!(
        ops,
        vec![
            ("/changed", EditOperation::Update, C),
            ("/deleted", EditOperation::Create, C),
            ("/added", EditOperation::Delete, C),
            ("/added", EditOperation::ClearPermissions, C),
            ("/keep", EditOperation::SetPermissions, C),
        ]
    );
    // Clocks: the restorer is fresh; B, who wrote "changed" last, is stale for it now.
    assert!(out.clock.get(C) >= 1);
    w(&mut v, C, "changed", "by c", RC).unwrap();
    assert_eq!(
        w(&mut v, B, "deleted", "x", RC).unwrap_err().code(),
        Code::CAUSAL_VIOLATION
    );
    // "keep" was not touched, so B (who never read it) is as stale as before, and A is fresh.
    w(&mut v, A, "keep", "k2", RC).unwrap();
}

#[test]
fn restoring_the_current_state_changes_nothing() {
    let mut v = Vfs::new();
    w(&mut v, A, "f", "x", SNAP).unwrap();
    let snap = v.snapshot();
    let before = state(&v);
    let out = v.restore(B, &snap, t(1), &lim()).unwrap();
    assert_eq!(out.files_created + out.files_updated + out.files_removed, 0);
    assert_eq!(state(&v), before);
}

#[test]
fn purge_drops_files_but_keeps_the_log() {
    let mut v = Vfs::new();
    w(&mut v, A, "a", "1", SNAP).unwrap();
    w(&mut v, A, "b", "2", SNAP).unwrap();
    v.set_permissions(A, "a", vec![A.into()], t(0), &lim())
        .unwrap();
    assert_eq!(v.purge(), 2);
    assert_eq!((v.file_count(), v.bytes_used()), (0, 0));
    assert!(v.permissions("a").unwrap().is_none());
    assert!(v.agent_clock(A).is_none());
    assert_eq!(v.edit_count(), 3);
    assert_eq!(v.purge(), 0);
}

#[derive(Debug, Clone)]
enum Op {
    Write(usize, usize, usize),
    Read(usize, usize),
    Delete(usize, usize),
    Snapshot,
    Restore(usize),
}

fn arb_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0usize..3, 0usize..4, 0usize..6).prop_map(|(a, p, n)| Op::Write(a, p, n)),
        2 => (0usize..3, 0usize..4).prop_map(|(a, p)| Op::Read(a, p)),
        1 => (0usize..3, 0usize..4).prop_map(|(a, p)| Op::Delete(a, p)),
        1 => Just(Op::Snapshot),
        1 => (0usize..3).prop_map(Op::Restore),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Byte and file accounting stays exact and within the caps whatever happens; a writer is
    /// always fresh right after its own successful write.
    #[test]
    fn accounting_invariants(ops in proptest::collection::vec(arb_op(), 1..40), iso in 0usize..3) {
        let iso = [SNAP, RC, SER][iso];
        let agents = [A, B, C];
        let l = Limits { max_vfs_bytes_per_session: 12, max_vfs_files_per_session: 3, ..lim() };
        let mut v = Vfs::new();
        let mut snaps: Vec<VfsSnapshot> = Vec::new();
        for op in ops {
            match op {
                Op::Write(a, p, n) => {
                    let before = state(&v);
                    match v.write(agents[a], &format!("p{p}"), &"x".repeat(n), t(0), iso, &l) {
                        Ok(out) => {
                            let f = v.file(&out.path).unwrap().unwrap();
                            prop_assert!(f.clock.is_covered_by(v.agent_clock(agents[a]).unwrap()));
                        }
                        Err(_) => prop_assert_eq!(state(&v), before),
                    }
                }
                Op::Read(a, p) => { v.read(&format!("p{p}"), Some(agents[a])).unwrap(); }
                Op::Delete(a, p) => { let _ = v.delete(agents[a], &format!("p{p}"), t(0), iso, &l); }
                Op::Snapshot => snaps.push(v.snapshot()),
                Op::Restore(i) => {
                    if let Some(s) = snaps.get(i) { v.restore(A, s, t(0), &l).unwrap(); }
                }
            }
            let sum: usize = v.files.values().map(|f| f.content.len()).sum();
            prop_assert_eq!(v.bytes_used(), sum);
            prop_assert!(v.bytes_used() <= 12);
            prop_assert!(v.file_count() <= 3);
            for f in v.files.values() {
                prop_assert_eq!(f.content_hash, ContentHash::of(&f.content));
            }
        }
    }
}
