use super::*;
use crate::audit::delta::ChangeOp;
use crate::audit::merkle::{empty_root, verify_consistency, verify_inclusion};
use sha2::{Digest, Sha256};

const T0: Timestamp = Timestamp(1_767_225_600_000_000);
const SID: &str = "session:s1";

fn ch(path: &str) -> Change {
    Change {
        path: path.into(),
        operation: ChangeOp::Modify,
        content_hash: Some("c".into()),
        previous_hash: None,
    }
}

/// A log with `n` deltas, turn t captured at T0 + t seconds by alternating agents.
fn log_with(n: u64) -> AuditLog {
    let mut log = AuditLog::new(1000);
    for t in 1..=n {
        let agent = if t % 2 == 0 { "did:b" } else { "did:a" };
        log.append(
            SID,
            agent,
            vec![ch(&format!("/f{t}")), ch("/shared")],
            T0.plus_secs(t as f64),
            format!("delta:{t}"),
        )
        .unwrap();
    }
    log
}

fn raw(hex_str: &str) -> Hash {
    let mut h = [0u8; 32];
    hex::decode_to_slice(hex_str, &mut h).unwrap();
    h
}

// ---------------------------------------------------------------- append

#[test]
fn append_numbers_chains_and_hashes() {
    let mut log = AuditLog::new(10);
    assert_eq!(log.root(), None);
    assert_eq!(log.tree_size(), 0);
    let d1 = log
        .append(SID, "did:a", vec![ch("/x")], T0, "delta:1".into())
        .unwrap()
        .clone();
    assert_eq!(d1.turn_id, 1);
    assert_eq!(d1.parent_hash, None);
    assert_eq!(d1.session_id, SID);
    assert_eq!(d1.agent_did, "did:a");
    assert_eq!(d1.timestamp, T0);
    assert_eq!(d1.delta_hash.len(), 64);
    assert_eq!(d1.delta_hash, d1.delta_hash.to_lowercase());
    assert!(d1.hash_matches(&mut Vec::new()));

    let d2 = log
        .append(SID, "did:b", vec![], T0.plus_secs(1.0), "delta:2".into())
        .unwrap()
        .clone();
    assert_eq!(d2.turn_id, 2);
    assert_eq!(d2.parent_hash.as_deref(), Some(d1.delta_hash.as_str()));
    assert_eq!(log.tree_size(), 2);
    assert_eq!(log.len(), 2);

    // The tree holds SHA-256(0x00 ‖ raw delta hash bytes), computed independently here.
    let mut leaf0 = vec![0u8];
    leaf0.extend_from_slice(&raw(&d1.delta_hash));
    let leaf0: Hash = Sha256::digest(&leaf0).into();
    assert_eq!(log.tree().leaf(0), Some(&leaf0));
    let mut t = MerkleTree::new();
    t.append(&raw(&d1.delta_hash));
    t.append(&raw(&d2.delta_hash));
    assert_eq!(log.root(), Some(t.root()));
}

#[test]
fn capacity_is_refused_not_truncated() {
    let mut log = AuditLog::new(2);
    for t in 1..=2 {
        log.append(SID, "did:a", vec![], T0, format!("delta:{t}"))
            .unwrap();
    }
    let root = log.root();
    let e = log
        .append(SID, "did:a", vec![], T0, "delta:3".into())
        .unwrap_err();
    assert_eq!(e.code(), Code::CAPACITY_EXCEEDED);
    assert_eq!(e.details().unwrap()["table"], "audit_deltas");
    assert_eq!(log.tree_size(), 2);
    assert_eq!(log.root(), root);
    // gc'd deltas still count: the tree keeps their leaves.
    log.gc(T0.plus_secs(1.0));
    assert_eq!(log.len(), 0);
    assert!(log
        .append(SID, "did:a", vec![], T0, "delta:3".into())
        .is_err());
}

#[test]
fn changes_are_validated_with_named_fields() {
    let long_path = "p".repeat(MAX_CHANGE_PATH_BYTES + 1);
    let long_hash = "h".repeat(MAX_CHANGE_HASH_BYTES + 1);
    let cases: Vec<(Change, Code, &str)> = vec![
        (ch(""), Code::INVALID_PATH, "changes[1].path"),
        (ch(&long_path), Code::INVALID_PATH, "changes[1].path"),
        (
            Change {
                content_hash: Some(long_hash.clone()),
                ..ch("/a")
            },
            Code::INVALID_ARGUMENT,
            "changes[1].content_hash",
        ),
        (
            Change {
                content_hash: Some(String::new()),
                ..ch("/a")
            },
            Code::INVALID_ARGUMENT,
            "changes[1].content_hash",
        ),
        (
            Change {
                previous_hash: Some(long_hash),
                ..ch("/a")
            },
            Code::INVALID_ARGUMENT,
            "changes[1].previous_hash",
        ),
    ];
    let mut log = log_with(1);
    for (bad, code, field) in cases {
        let e = log
            .append(SID, "did:a", vec![ch("/ok"), bad], T0, "delta:x".into())
            .unwrap_err();
        assert_eq!(e.code(), code, "{field}");
        assert_eq!(e.details().unwrap()["field"], field);
        assert!(e.message().contains(field));
    }
    assert_eq!(log.tree_size(), 1, "failed appends change nothing");
    // The limits themselves are accepted.
    let edge = Change {
        path: "p".repeat(MAX_CHANGE_PATH_BYTES),
        operation: ChangeOp::Permission,
        content_hash: Some("h".repeat(MAX_CHANGE_HASH_BYTES)),
        previous_hash: Some("h".into()),
    };
    assert!(log
        .append(SID, "did:a", vec![edge], T0, "delta:2".into())
        .is_ok());
    assert!(log.verify().valid);
}

#[test]
fn deltas_pages_by_turn() {
    let log = log_with(5);
    let turns = |s: &[Delta]| s.iter().map(|d| d.turn_id).collect::<Vec<_>>();
    assert_eq!(turns(log.deltas(None, None)), [1, 2, 3, 4, 5]);
    assert_eq!(turns(log.deltas(Some(2), None)), [3, 4, 5]);
    assert_eq!(turns(log.deltas(Some(2), Some(2))), [3, 4]);
    assert_eq!(turns(log.deltas(None, Some(0))), Vec::<u64>::new());
    assert_eq!(turns(log.deltas(Some(5), None)), Vec::<u64>::new());
    assert_eq!(
        turns(log.deltas(Some(u64::MAX), Some(usize::MAX))),
        Vec::<u64>::new()
    );
    assert_eq!(turns(log.deltas(Some(0), Some(100))), [1, 2, 3, 4, 5]);
    assert_eq!(log.get(3).map(|d| d.turn_id), Some(3));
    assert!(log.get(0).is_none() && log.get(6).is_none());
}

// ---------------------------------------------------------------- verify

#[test]
fn untouched_logs_verify_and_verify_is_pure() {
    let empty = AuditLog::new(10);
    assert_eq!(
        empty.verify(),
        VerifyReport {
            valid: true,
            delta_count: 0,
            first_invalid_turn: None
        }
    );
    let log = log_with(40);
    let before: Vec<Delta> = log.deltas(None, None).to_vec();
    let root = log.root();
    for _ in 0..2 {
        assert_eq!(
            log.verify(),
            VerifyReport {
                valid: true,
                delta_count: 40,
                first_invalid_turn: None
            }
        );
    }
    assert_eq!(log.deltas(None, None), before.as_slice());
    assert_eq!(log.root(), root);
    let json = serde_json::to_value(log.verify()).unwrap();
    assert_eq!(json, serde_json::json!({"valid": true, "delta_count": 40}));
}

type Tamper = fn(&mut Delta);

/// Every kind of tampering, applied to each position, is reported at that turn.
#[test]
fn tampering_is_detected_at_first_middle_and_last_position() {
    let tampers: [(&str, Tamper); 9] = [
        ("path", |d| d.changes[0].path.push('!')),
        ("operation", |d| d.changes[1].operation = ChangeOp::Delete),
        ("content hash", |d| d.changes[0].content_hash = None),
        ("agent", |d| d.agent_did = "did:mallory".into()),
        ("timestamp", |d| d.timestamp = d.timestamp.plus_micros(1)),
        ("stored hash", |d| {
            d.delta_hash = d.delta_hash.replace(|c: char| c != '0', "0")
        }),
        ("parent hash", |d| {
            d.parent_hash = Some("00".repeat(32));
        }),
        ("turn id", |d| d.turn_id += 10),
        ("content rehashed", |d| {
            // A consistent forgery of the body: hash recomputed and stored. Only the Merkle
            // leaf (and the next delta's parent_hash) still betray it.
            d.changes.push(ch("/forged"));
            d.delta_hash = hex::encode(d.compute_hash(&mut Vec::new()));
        }),
    ];
    for (name, tamper) in tampers {
        for turn in [1u64, 5, 10] {
            let mut log = log_with(10);
            tamper(&mut log.deltas_mut()[turn as usize - 1]);
            let r = log.verify();
            assert!(!r.valid, "{name} at turn {turn}");
            assert_eq!(r.first_invalid_turn, Some(turn), "{name} at turn {turn}");
            assert_eq!(r.delta_count, 10);
        }
    }
}

#[test]
fn removed_reordered_or_rechained_deltas_are_detected() {
    let mut log = log_with(6);
    log.deltas_mut().pop();
    assert_eq!(log.verify().first_invalid_turn, Some(6));

    let mut log = log_with(6);
    log.deltas_mut().remove(2);
    assert_eq!(log.verify().first_invalid_turn, Some(3));

    let mut log = log_with(6);
    log.deltas_mut().swap(1, 3);
    assert_eq!(log.verify().first_invalid_turn, Some(2));

    // The first delta must have a null parent.
    let mut log = log_with(3);
    let h = log.deltas_mut()[1].delta_hash.clone();
    log.deltas_mut()[0].parent_hash = Some(h);
    assert_eq!(log.verify().first_invalid_turn, Some(1));

    // A later delta must have a parent.
    let mut log = log_with(3);
    log.deltas_mut()[2].parent_hash = None;
    assert_eq!(log.verify().first_invalid_turn, Some(3));
}

#[test]
fn corrupted_tree_is_detected() {
    let mut log = log_with(20);
    log.tree.push_leaf_hash([7; 32]); // a leaf without a body
    assert_eq!(log.verify().first_invalid_turn, Some(21));
}

// ---------------------------------------------------------------- proofs

#[test]
fn every_turn_has_a_verifying_inclusion_proof() {
    let log = log_with(37);
    let root = log.root().unwrap();
    for turn in 1..=37u64 {
        let p = log.proof(turn, None).unwrap();
        assert_eq!(p.leaf_index, turn - 1);
        assert_eq!(p.tree_size, 37);
        assert_eq!(p.root, hex::encode(root));
        let d = log.get(turn).unwrap();
        let mut pre = vec![0u8];
        pre.extend_from_slice(&raw(&d.delta_hash));
        assert_eq!(p.leaf_hash, hex::encode(Sha256::digest(&pre)));
        assert_eq!(p.verify(), Ok(true), "turn {turn}");
        // Historical tree heads.
        for size in turn..=37 {
            let p = log.proof(turn, Some(size)).unwrap();
            assert_eq!(p.root, hex::encode(log.tree().root_at(size).unwrap()));
            assert_eq!(p.verify(), Ok(true), "turn {turn} size {size}");
        }
    }
    // Raw check against the pure verifier.
    let p = log.proof(5, Some(9)).unwrap();
    let path: Vec<Hash> = p.audit_path.iter().map(|h| raw(h)).collect();
    assert!(verify_inclusion(
        &raw(&p.leaf_hash),
        4,
        9,
        &path,
        &raw(&p.root)
    ));
}

#[test]
fn proof_arguments_are_checked() {
    let log = log_with(5);
    for turn in [0, 6, u64::MAX] {
        let e = log.proof(turn, None).unwrap_err();
        assert_eq!(e.code(), Code::TURN_NOT_FOUND);
    }
    let e = log.proof(2, Some(6)).unwrap_err();
    assert_eq!(e.code(), Code::INVALID_ARGUMENT);
    assert_eq!(e.details().unwrap()["field"], "tree_size");
    let e = log.proof(4, Some(3)).unwrap_err();
    assert_eq!(e.details().unwrap()["field"], "tree_size");
    let e = log.proof(1, Some(0)).unwrap_err();
    assert_eq!(e.details().unwrap()["field"], "tree_size");
    assert_eq!(
        AuditLog::new(5).proof(1, None).unwrap_err().code(),
        Code::TURN_NOT_FOUND
    );
}

#[test]
fn consistency_proofs_verify_and_arguments_are_checked() {
    let log = log_with(23);
    for first in 0..=23u64 {
        for second in first.max(1)..=23 {
            let c = log.consistency(first, second).unwrap();
            assert_eq!((c.first_size, c.second_size), (first, second));
            assert_eq!(c.verify(), Ok(true), "{first}..{second}");
        }
    }
    let c = log.consistency(0, 4).unwrap();
    assert_eq!(c.first_root, hex::encode(empty_root()));
    assert!(c.proof.is_empty());
    let c = log.consistency(7, 23).unwrap();
    let proof: Vec<Hash> = c.proof.iter().map(|h| raw(h)).collect();
    assert!(verify_consistency(
        7,
        23,
        &raw(&c.first_root),
        &log.root().unwrap(),
        &proof
    ));

    let field = |r: Result<ConsistencyProof>| {
        let e = r.unwrap_err();
        assert_eq!(e.code(), Code::INVALID_ARGUMENT);
        e.details().unwrap()["field"].as_str().unwrap().to_owned()
    };
    assert_eq!(field(log.consistency(0, 0)), "second_size");
    assert_eq!(field(log.consistency(1, 24)), "second_size");
    assert_eq!(field(log.consistency(5, 4)), "first_size");
    assert_eq!(field(AuditLog::new(1).consistency(0, 1)), "second_size");
}

// ---------------------------------------------------------------- gc

#[test]
fn gc_drops_old_bodies_but_keeps_roots_and_proofs() {
    let mut log = log_with(10);
    let root = log.root();
    let old_proof = log.proof(2, Some(7)).unwrap();
    // Turns 1..=4 were captured before T0 + 5s.
    assert_eq!(log.gc(T0.plus_secs(5.0)), 4);
    assert_eq!(log.dropped_count(), 4);
    assert_eq!(log.len(), 6);
    assert_eq!(log.tree_size(), 10);
    assert_eq!(log.root(), root);
    assert_eq!(log.proof(2, Some(7)).unwrap(), old_proof);
    assert_eq!(log.deltas(None, None)[0].turn_id, 5);
    assert_eq!(log.deltas(Some(2), Some(1))[0].turn_id, 5);
    assert_eq!(log.deltas(Some(6), Some(1))[0].turn_id, 7);
    assert!(log.get(4).is_none());
    assert_eq!(log.get(5).map(|d| d.turn_id), Some(5));
    assert!(log.consistency(3, 10).unwrap().verify().unwrap());
    assert_eq!(
        log.verify(),
        VerifyReport {
            valid: true,
            delta_count: 6,
            first_invalid_turn: None
        }
    );
    // Nothing more is old enough; a later cutoff drops the rest.
    assert_eq!(log.gc(T0.plus_secs(5.0)), 0);
    assert_eq!(log.gc(T0.plus_secs(100.0)), 6);
    assert!(log.is_empty());
    assert_eq!(log.root(), root);
    assert!(log.verify().valid);
    assert_eq!(log.verify().delta_count, 0);
}

#[test]
fn gc_drops_only_a_prefix() {
    let mut log = log_with(3);
    // Turn 1 is newer than turns 2 and 3 (a clock step backwards); only they are past the cutoff.
    log.deltas_mut()[0].timestamp = T0.plus_secs(50.0);
    assert_eq!(log.gc(T0.plus_secs(10.0)), 0);
    assert_eq!(log.len(), 3);
}

#[test]
fn verify_after_gc_checks_the_anchor() {
    // The first retained delta must chain to the last dropped one.
    let mut log = log_with(8);
    log.gc(T0.plus_secs(4.0)); // drops turns 1..=3
    log.deltas_mut()[0].parent_hash = Some("11".repeat(32));
    assert_eq!(log.verify().first_invalid_turn, Some(4));

    let mut log = log_with(8);
    log.gc(T0.plus_secs(4.0));
    log.deltas_mut()[0].parent_hash = None;
    assert_eq!(log.verify().first_invalid_turn, Some(4));

    // A forged anchor no longer matches the Merkle leaf of turn 3.
    let mut log = log_with(8);
    log.gc(T0.plus_secs(4.0));
    log.dropped_tail = Some([9; 32]);
    assert_eq!(log.verify().first_invalid_turn, Some(3));

    // A body tampered before gc poisons the anchor computed from it.
    let mut log = log_with(8);
    log.deltas_mut()[2].agent_did = "did:mallory".into();
    log.gc(T0.plus_secs(4.0));
    assert_eq!(log.verify().first_invalid_turn, Some(3));
}

#[test]
fn appends_after_gc_chain_to_the_anchor() {
    let mut log = log_with(4);
    let last = log.get(4).unwrap().delta_hash.clone();
    log.gc(T0.plus_secs(100.0));
    let d = log
        .append(SID, "did:a", vec![], T0.plus_secs(200.0), "delta:5".into())
        .unwrap();
    assert_eq!(d.turn_id, 5);
    assert_eq!(d.parent_hash.as_deref(), Some(last.as_str()));
    assert!(log.verify().valid);
    assert!(log.proof(5, None).unwrap().verify().unwrap());
}

// ---------------------------------------------------------------- commitment

#[test]
fn commitment_covers_the_current_root() {
    assert!(AuditLog::new(1).commitment(SID, vec![], T0).is_none());
    let log = log_with(3);
    let c = log
        .commitment(SID, vec!["did:a".into(), "did:b".into()], T0)
        .unwrap();
    assert_eq!(c.tree_size, 3);
    assert_eq!(c.merkle_root, hex::encode(log.root().unwrap()));
    assert_eq!(c.verify_root(&c.merkle_root.clone()), Ok(true));
}
