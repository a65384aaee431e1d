//! Proof wire types (API.md §4.7: `audit.proof`, `audit.consistency`) and their offline
//! verification (`hv_verify_inclusion`, `hv_verify_consistency`).
//!
//! Hashes travel as lowercase hex; on input either case is accepted. Malformed input (a hash
//! that is not 64 hex digits) is `INVALID_ARGUMENT` naming the field, e.g. `audit_path[2]`; a
//! well-formed proof that does not verify is `Ok(false)`.

use serde::{Deserialize, Serialize};

use super::merkle::{verify_consistency, verify_inclusion, Hash};
use crate::error::{Error, Result};

/// Proof that one delta is leaf `leaf_index` of the tree of `tree_size` deltas with `root`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InclusionProof {
    /// 0-based leaf index (`turn_id - 1`).
    pub leaf_index: u64,
    /// Size of the tree the proof is for.
    pub tree_size: u64,
    /// Hex SHA-256(0x00 ‖ delta hash bytes).
    pub leaf_hash: String,
    /// Sibling hashes, leaf to root (RFC 9162 §2.1.3.1).
    pub audit_path: Vec<String>,
    /// Hex root of the tree of `tree_size` leaves.
    pub root: String,
}

/// Proof that the tree of `first_size` deltas is a prefix of the tree of `second_size`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsistencyProof {
    /// Size of the older tree.
    pub first_size: u64,
    /// Size of the newer tree.
    pub second_size: u64,
    /// Hex root of the older tree (SHA-256("") when `first_size` is 0).
    pub first_root: String,
    /// Hex root of the newer tree.
    pub second_root: String,
    /// RFC 9162 §2.1.4.1 proof nodes.
    pub proof: Vec<String>,
}

impl InclusionProof {
    /// Builds the wire form from raw hashes.
    pub fn from_parts(
        leaf_index: u64,
        tree_size: u64,
        leaf_hash: &Hash,
        path: &[Hash],
        root: &Hash,
    ) -> Self {
        InclusionProof {
            leaf_index,
            tree_size,
            leaf_hash: super::hex32(leaf_hash),
            audit_path: path.iter().map(hex::encode).collect(),
            root: super::hex32(root),
        }
    }

    /// Verifies the proof (RFC 9162 §2.1.3.2). `Err` only for malformed hashes.
    pub fn verify(&self) -> Result<bool> {
        let leaf = parse_hash(&self.leaf_hash, || "leaf_hash".into())?;
        let root = parse_hash(&self.root, || "root".into())?;
        let path = parse_hashes(&self.audit_path, "audit_path")?;
        Ok(verify_inclusion(
            &leaf,
            self.leaf_index,
            self.tree_size,
            &path,
            &root,
        ))
    }
}

impl ConsistencyProof {
    /// Builds the wire form from raw hashes.
    pub fn from_parts(
        first_size: u64,
        second_size: u64,
        first_root: &Hash,
        second_root: &Hash,
        proof: &[Hash],
    ) -> Self {
        ConsistencyProof {
            first_size,
            second_size,
            first_root: super::hex32(first_root),
            second_root: super::hex32(second_root),
            proof: proof.iter().map(hex::encode).collect(),
        }
    }

    /// Verifies the proof (RFC 9162 §2.1.4.2, edge cases as in
    /// [`verify_consistency`]). `Err` only for malformed hashes.
    pub fn verify(&self) -> Result<bool> {
        let first = parse_hash(&self.first_root, || "first_root".into())?;
        let second = parse_hash(&self.second_root, || "second_root".into())?;
        let proof = parse_hashes(&self.proof, "proof")?;
        Ok(verify_consistency(
            self.first_size,
            self.second_size,
            &first,
            &second,
            &proof,
        ))
    }
}

/// Parses a 64-hex-digit SHA-256; the error names `field()`.
pub fn parse_hash(s: &str, field: impl FnOnce() -> String) -> Result<Hash> {
    let mut out = [0u8; 32];
    if s.len() != 64 || hex::decode_to_slice(s, &mut out).is_err() {
        return Err(Error::invalid(
            field(),
            "must be a SHA-256 hash as 64 hex digits",
        ));
    }
    Ok(out)
}

fn parse_hashes(items: &[String], field: &str) -> Result<Vec<Hash>> {
    items
        .iter()
        .enumerate()
        .map(|(i, s)| parse_hash(s, || format!("{field}[{i}]")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::merkle::MerkleTree;
    use crate::error::Code;

    fn tree(n: u8) -> MerkleTree {
        let mut t = MerkleTree::new();
        for i in 0..n {
            t.append(&[i; 32]);
        }
        t
    }

    fn inclusion() -> InclusionProof {
        let t = tree(6);
        let path = t.inclusion_proof(4, 6).unwrap();
        InclusionProof::from_parts(4, 6, t.leaf(4).unwrap(), &path, &t.root())
    }

    fn consistency() -> ConsistencyProof {
        let t = tree(6);
        let p = t.consistency_proof(3, 6).unwrap();
        ConsistencyProof::from_parts(3, 6, &t.root_at(3).unwrap(), &t.root(), &p)
    }

    #[test]
    fn valid_proofs_verify_and_round_trip() {
        let p = inclusion();
        assert_eq!(p.verify(), Ok(true));
        let json = serde_json::to_value(&p).unwrap();
        let keys: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(|k| k.as_str())
            .collect();
        assert_eq!(
            keys,
            ["audit_path", "leaf_hash", "leaf_index", "root", "tree_size"]
        );
        assert_eq!(serde_json::from_value::<InclusionProof>(json).unwrap(), p);

        let c = consistency();
        assert_eq!(c.verify(), Ok(true));
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(serde_json::from_str::<ConsistencyProof>(&json).unwrap(), c);
    }

    #[test]
    fn hex_is_lowercase_out_and_case_insensitive_in() {
        let mut p = inclusion();
        assert_eq!(p.root, p.root.to_lowercase());
        p.root = p.root.to_uppercase();
        assert_eq!(p.verify(), Ok(true));
    }

    #[test]
    fn unknown_fields_are_rejected() {
        let mut json = serde_json::to_value(inclusion()).unwrap();
        json["extra"] = 1.into();
        assert!(serde_json::from_value::<InclusionProof>(json).is_err());
        let mut json = serde_json::to_value(consistency()).unwrap();
        json["first_sise"] = 1.into();
        assert!(serde_json::from_value::<ConsistencyProof>(json).is_err());
    }

    type Mutation = fn(&mut InclusionProof);

    #[test]
    fn malformed_hashes_name_their_field() {
        let cases: Vec<(Mutation, &str)> = vec![
            (
                |p| {
                    p.leaf_hash.pop();
                },
                "leaf_hash",
            ),
            (|p| p.root = "zz".repeat(32), "root"),
            (|p| p.audit_path[1].push_str("00"), "audit_path[1]"),
            (|p| p.audit_path[0] = String::new(), "audit_path[0]"),
        ];
        for (mutate, field) in cases {
            let mut p = inclusion();
            mutate(&mut p);
            let e = p.verify().unwrap_err();
            assert_eq!(e.code(), Code::INVALID_ARGUMENT);
            assert_eq!(e.details().unwrap()["field"], field);
            assert!(e.message().contains(field));
        }
        let mut c = consistency();
        c.proof[0] = "g".repeat(64);
        assert_eq!(
            c.verify().unwrap_err().details().unwrap()["field"],
            "proof[0]"
        );
        let mut c = consistency();
        c.first_root = "abc".into();
        assert_eq!(
            c.verify().unwrap_err().details().unwrap()["field"],
            "first_root"
        );
        let mut c = consistency();
        c.second_root = "é".repeat(32);
        assert_eq!(
            c.verify().unwrap_err().details().unwrap()["field"],
            "second_root"
        );
    }

    #[test]
    fn well_formed_but_wrong_proofs_are_false() {
        let mut p = inclusion();
        p.leaf_index = 5;
        assert_eq!(p.verify(), Ok(false));
        let mut p = inclusion();
        p.audit_path.swap(0, 1);
        assert_eq!(p.verify(), Ok(false));
        let mut p = inclusion();
        p.audit_path.push(p.root.clone());
        assert_eq!(p.verify(), Ok(false));
        let mut p = inclusion();
        p.tree_size = 0;
        assert_eq!(p.verify(), Ok(false));

        let mut c = consistency();
        c.first_size = 2;
        assert_eq!(c.verify(), Ok(false));
        let mut c = consistency();
        c.proof.clear();
        assert_eq!(c.verify(), Ok(false));
        let mut c = consistency();
        std::mem::swap(&mut c.first_root, &mut c.second_root);
        assert_eq!(c.verify(), Ok(false));
    }
}
