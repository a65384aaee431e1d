use super::*;
use proptest::prelude::*;

// ---------------------------------------------------------------- first-principles reference

fn sha(parts: &[&[u8]]) -> Hash {
    let mut buf = Vec::new();
    for p in parts {
        buf.extend_from_slice(p);
    }
    Sha256::digest(&buf).into()
}

fn ref_split(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// MTH per RFC 9162 §2.1.1 over raw entries.
fn ref_mth(d: &[Hash]) -> Hash {
    match d.len() {
        0 => sha(&[]),
        1 => sha(&[&[0x00], &d[0]]),
        n => {
            let k = ref_split(n);
            sha(&[&[0x01], &ref_mth(&d[..k]), &ref_mth(&d[k..])])
        }
    }
}

/// PATH per RFC 9162 §2.1.3.1.
fn ref_path(m: usize, d: &[Hash]) -> Vec<Hash> {
    let n = d.len();
    if n <= 1 {
        return vec![];
    }
    let k = ref_split(n);
    if m < k {
        let mut p = ref_path(m, &d[..k]);
        p.push(ref_mth(&d[k..]));
        p
    } else {
        let mut p = ref_path(m - k, &d[k..]);
        p.push(ref_mth(&d[..k]));
        p
    }
}

/// SUBPROOF per RFC 9162 §2.1.4.1.
fn ref_subproof(m: usize, d: &[Hash], b: bool) -> Vec<Hash> {
    let n = d.len();
    if m == n {
        return if b { vec![] } else { vec![ref_mth(d)] };
    }
    let k = ref_split(n);
    if m <= k {
        let mut p = ref_subproof(m, &d[..k], b);
        p.push(ref_mth(&d[k..]));
        p
    } else {
        let mut p = ref_subproof(m - k, &d[k..], false);
        p.push(ref_mth(&d[..k]));
        p
    }
}

fn entry(i: usize) -> Hash {
    Sha256::digest((i as u64).to_le_bytes()).into()
}

fn entries(n: usize) -> Vec<Hash> {
    (0..n).map(entry).collect()
}

fn tree_of(d: &[Hash]) -> MerkleTree {
    let mut t = MerkleTree::new();
    for (i, e) in d.iter().enumerate() {
        assert_eq!(t.append(e), i as u64);
    }
    t
}

// ---------------------------------------------------------------- roots

#[test]
fn empty_tree_root_is_sha256_of_nothing() {
    let t = MerkleTree::new();
    assert_eq!(
        hex::encode(t.root()),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert_eq!(t.root_at(0), Some(empty_root()));
    assert_eq!(t.root_at(1), None);
    assert!(t.is_empty());
}

#[test]
fn hash_primitives_use_domain_separation() {
    let e = entry(7);
    assert_eq!(leaf_hash(&e), sha(&[&[0], &e]));
    assert_eq!(node_hash(&e, &entry(8)), sha(&[&[1], &e, &entry(8)]));
    let plain: Hash = Sha256::digest(e).into();
    assert_ne!(leaf_hash(&e), plain);
}

#[test]
fn roots_match_the_reference_for_named_sizes() {
    for n in [0usize, 1, 2, 3, 7, 8, 1000] {
        let d = entries(n);
        let t = tree_of(&d);
        assert_eq!(t.size(), n as u64);
        assert_eq!(t.root(), ref_mth(&d), "root of size {n}");
        assert_eq!(t.root_at(n as u64), Some(ref_mth(&d)));
    }
}

#[test]
fn historical_roots_match_the_reference_for_every_size() {
    let d = entries(200);
    let t = tree_of(&d);
    for s in 0..=200 {
        assert_eq!(t.root_at(s as u64), Some(ref_mth(&d[..s])), "root_at({s})");
    }
    assert_eq!(t.root_at(201), None);
    // The growing tree's root agrees too.
    let mut g = MerkleTree::new();
    for (i, e) in d.iter().enumerate().take(70) {
        g.append(e);
        assert_eq!(g.root(), ref_mth(&d[..=i]));
    }
}

#[test]
fn certificate_transparency_vectors() {
    // RFC 6962 test vectors from certificate-transparency: leaves are raw byte strings.
    let raw: [&str; 8] = [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ];
    let roots = [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];
    let mut t = MerkleTree::new();
    for (data, root) in raw.iter().zip(roots) {
        t.push_leaf_hash(leaf_hash(&hex::decode(data).unwrap()));
        assert_eq!(hex::encode(t.root()), root);
    }
    for (s, root) in roots.iter().enumerate() {
        assert_eq!(hex::encode(t.root_at(s as u64 + 1).unwrap()), *root);
    }
}

#[test]
fn frontier_is_one_root_per_set_bit() {
    let d = entries(300);
    let mut t = MerkleTree::new();
    for (i, e) in d.iter().enumerate() {
        t.append(e);
        assert_eq!(t.frontier.len(), (i + 1).count_ones() as usize);
    }
    // Cached levels hold exactly the completed aligned subtrees of 16, 32, ... leaves.
    for (slot, v) in t.levels.iter().enumerate() {
        let width = 1usize << (slot as u32 + CACHE_MIN_LEVEL);
        assert_eq!(v.len(), 300 / width);
        for (i, h) in v.iter().enumerate() {
            assert_eq!(*h, ref_mth(&d[i * width..(i + 1) * width]));
        }
    }
}

#[test]
fn integrity_check_detects_corrupted_state() {
    let d = entries(100);
    let t = tree_of(&d);
    assert_eq!(t.check_integrity(), Ok(()));
    assert_eq!(MerkleTree::new().check_integrity(), Ok(()));

    let mut bad = t.clone();
    bad.leaves[40][0] ^= 1;
    assert_eq!(bad.check_integrity(), Err(47)); // leaves 32..48 complete a cached subtree at 47
    let mut bad = t.clone();
    bad.leaves[99][3] ^= 1; // only reaches the frontier
    assert_eq!(bad.check_integrity(), Err(100));
    let mut bad = t.clone();
    bad.levels[1][0][0] ^= 1; // the cached root of leaves 0..32
    assert_eq!(bad.check_integrity(), Err(31));
    let mut bad = t;
    bad.frontier[0][0] ^= 1;
    assert_eq!(bad.check_integrity(), Err(100));
}

// ---------------------------------------------------------------- proofs vs the reference

#[test]
fn proofs_match_the_rfc_definitions() {
    let d = entries(70);
    let t = tree_of(&d);
    for n in 1..=70usize {
        for i in 0..n {
            let p = t.inclusion_proof(i as u64, n as u64).unwrap();
            assert_eq!(p, ref_path(i, &d[..n]), "PATH({i}, D[{n}])");
        }
        for m in 1..n {
            let p = t.consistency_proof(m as u64, n as u64).unwrap();
            assert_eq!(p, ref_subproof(m, &d[..n], true), "PROOF({m}, D[{n}])");
        }
    }
}

#[test]
fn small_proofs_by_hand() {
    let d = entries(3);
    let t = tree_of(&d);
    let l: Vec<Hash> = d.iter().map(|e| leaf_hash(e)).collect();
    assert_eq!(t.inclusion_proof(0, 3).unwrap(), vec![l[1], l[2]]);
    assert_eq!(
        t.inclusion_proof(2, 3).unwrap(),
        vec![node_hash(&l[0], &l[1])]
    );
    assert_eq!(t.inclusion_proof(0, 1).unwrap(), Vec::<Hash>::new());
    assert_eq!(t.consistency_proof(1, 3).unwrap(), vec![l[1], l[2]]);
    assert_eq!(t.consistency_proof(2, 3).unwrap(), vec![l[2]]);
    assert!(t.consistency_proof(3, 3).unwrap().is_empty());
    assert!(t.consistency_proof(0, 3).unwrap().is_empty());
}

#[test]
fn out_of_range_proof_requests_are_refused() {
    let t = tree_of(&entries(5));
    assert_eq!(t.inclusion_proof(5, 5), None);
    assert_eq!(t.inclusion_proof(0, 6), None);
    assert_eq!(t.inclusion_proof(3, 3), None);
    assert_eq!(t.inclusion_proof(0, 0), None);
    assert_eq!(t.inclusion_proof(u64::MAX, u64::MAX), None);
    assert_eq!(t.consistency_proof(4, 3), None);
    assert_eq!(t.consistency_proof(1, 6), None);
    assert_eq!(t.leaf(5), None);
    assert_eq!(t.leaf(u64::MAX), None);
}

// ---------------------------------------------------------------- verifier edge cases

#[test]
fn inclusion_verifier_edge_cases() {
    let d = entries(5);
    let t = tree_of(&d);
    let root = t.root();
    let leaf = *t.leaf(2).unwrap();
    let path = t.inclusion_proof(2, 5).unwrap();
    assert!(verify_inclusion(&leaf, 2, 5, &path, &root));
    // index >= size, size 0
    assert!(!verify_inclusion(&leaf, 5, 5, &path, &root));
    assert!(!verify_inclusion(&leaf, 0, 0, &[], &empty_root()));
    // extra element / missing element
    let mut longer = path.clone();
    longer.push(root);
    assert!(!verify_inclusion(&leaf, 2, 5, &longer, &root));
    assert!(!verify_inclusion(
        &leaf,
        2,
        5,
        &path[..path.len() - 1],
        &root
    ));
    // An extra element that hashes the real root into a claimed parent "root" is rejected by
    // the sn == 0 rule, not merely by a hash mismatch.
    let x = entry(99);
    let mut extended = path.clone();
    extended.push(x);
    assert!(!verify_inclusion(
        &leaf,
        2,
        5,
        &extended,
        &node_hash(&x, &root)
    ));
    // single-leaf tree: empty path, root == leaf hash
    let one = tree_of(&d[..1]);
    assert!(verify_inclusion(
        one.leaf(0).unwrap(),
        0,
        1,
        &[],
        &one.root()
    ));
    assert!(!verify_inclusion(
        one.leaf(0).unwrap(),
        0,
        1,
        &[root],
        &one.root()
    ));
}

#[test]
fn consistency_verifier_edge_cases() {
    let d = entries(9);
    let t = tree_of(&d);
    let r = |s: u64| t.root_at(s).unwrap();
    let e = empty_root();
    // m == n
    assert!(verify_consistency(4, 4, &r(4), &r(4), &[]));
    assert!(!verify_consistency(4, 4, &r(4), &r(5), &[]));
    assert!(!verify_consistency(4, 4, &r(4), &r(4), &[r(4)]));
    // m == 0
    assert!(verify_consistency(0, 9, &e, &r(9), &[]));
    assert!(verify_consistency(0, 0, &e, &e, &[]));
    assert!(!verify_consistency(0, 0, &e, &r(1), &[]));
    assert!(!verify_consistency(0, 9, &r(1), &r(9), &[]));
    assert!(!verify_consistency(0, 9, &e, &r(9), &[r(9)]));
    // m > n
    assert!(!verify_consistency(5, 4, &r(5), &r(4), &[]));
    // 0 < m < n: empty proof fails even when m is a power of two
    assert!(!verify_consistency(4, 8, &r(4), &r(8), &[]));
    let p = t.consistency_proof(3, 9).unwrap();
    assert!(verify_consistency(3, 9, &r(3), &r(9), &p));
    let mut longer = p.clone();
    longer.push(r(9));
    assert!(!verify_consistency(3, 9, &r(3), &r(9), &longer));
    assert!(!verify_consistency(3, 9, &r(3), &r(9), &p[..p.len() - 1]));
    // Extra element lifting both roots one level up: rejected by the sn == 0 rule.
    let x = entry(99);
    let mut extended = p.clone();
    extended.push(x);
    let (up3, up9) = (node_hash(&x, &r(3)), node_hash(&x, &r(9)));
    assert!(!verify_consistency(3, 9, &up3, &up9, &extended));
    // power-of-two m: root_m is implicit, not part of the proof
    let p = t.consistency_proof(4, 9).unwrap();
    assert!(verify_consistency(4, 9, &r(4), &r(9), &p));
    let mut with_root = vec![r(4)];
    with_root.extend_from_slice(&p);
    assert!(!verify_consistency(4, 9, &r(4), &r(9), &with_root));
}

// ---------------------------------------------------------------- property tests

/// The decisions the RFC inclusion verifier takes for (index, size) over a path of `len`
/// elements; `None` when it fails structurally. Equal shapes mean identical computations.
fn inclusion_shape(index: u64, size: u64, len: usize) -> Option<Vec<bool>> {
    if index >= size {
        return None;
    }
    let (mut fn_, mut sn) = (index, size - 1);
    let mut shape = Vec::new();
    for _ in 0..len {
        if sn == 0 {
            return None;
        }
        let left = fn_ & 1 == 1 || fn_ == sn;
        shape.push(left);
        if left && fn_ & 1 == 0 {
            shift_until_odd_or_zero(&mut fn_, &mut sn);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    (sn == 0).then_some(shape)
}

/// Same for the consistency verifier (0 < m < n only): (root_m prepended, decisions).
fn consistency_shape(m: u64, n: u64, len: usize) -> Option<(bool, Vec<bool>)> {
    if m == 0 || m >= n || len == 0 {
        return None;
    }
    let prepend = m.is_power_of_two();
    let total = len + usize::from(prepend);
    let (mut fn_, mut sn) = (m - 1, n - 1);
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    let mut shape = Vec::new();
    for _ in 1..total {
        if sn == 0 {
            return None;
        }
        let both = fn_ & 1 == 1 || fn_ == sn;
        shape.push(both);
        if both && fn_ & 1 == 0 {
            shift_until_odd_or_zero(&mut fn_, &mut sn);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    (sn == 0).then_some((prepend, shape))
}

fn flip(h: &Hash, bit: usize) -> Hash {
    let mut h = *h;
    h[bit / 8 % 32] ^= 1 << (bit % 8);
    h
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn every_proof_verifies(n in 1usize..=300) {
        let d = entries(n);
        let t = tree_of(&d);
        prop_assert_eq!(t.check_integrity(), Ok(()));
        let n64 = n as u64;
        let root = t.root();
        prop_assert_eq!(root, ref_mth(&d));
        for i in 0..n64 {
            let p = t.inclusion_proof(i, n64).unwrap();
            prop_assert!(verify_inclusion(t.leaf(i).unwrap(), i, n64, &p, &root), "leaf {}", i);
        }
        for m in 0..=n64 {
            let p = t.consistency_proof(m, n64).unwrap();
            let rm = t.root_at(m).unwrap();
            prop_assert!(verify_consistency(m, n64, &rm, &root, &p), "PROOF({}, {})", m, n);
        }
    }

    #[test]
    fn tampered_inclusion_proofs_fail(
        n in 1usize..=300,
        pick in any::<prop::sample::Index>(),
        size_pick in any::<prop::sample::Index>(),
        elem in any::<prop::sample::Index>(),
        bit in 0usize..256,
        other_index in 0u64..302,
        other_size in 0u64..302,
    ) {
        let t = tree_of(&entries(n));
        let size = size_pick.index(n) as u64 + 1;
        let index = pick.index(size as usize) as u64;
        let leaf = *t.leaf(index).unwrap();
        let root = t.root_at(size).unwrap();
        let path = t.inclusion_proof(index, size).unwrap();
        prop_assert!(verify_inclusion(&leaf, index, size, &path, &root));

        if !path.is_empty() {
            let j = elem.index(path.len());
            let mut bad = path.clone();
            bad[j] = flip(&bad[j], bit);
            prop_assert!(!verify_inclusion(&leaf, index, size, &bad, &root));
        }
        prop_assert!(!verify_inclusion(&flip(&leaf, bit), index, size, &path, &root));
        prop_assert!(!verify_inclusion(&leaf, index, size, &path, &flip(&root, bit)));
        let mut lifted = path.clone();
        lifted.push(entry(bit));
        prop_assert!(!verify_inclusion(&leaf, index, size, &lifted, &node_hash(&entry(bit), &root)));

        // Another index in the same tree never verifies (a position has a unique shape).
        if other_index != index {
            prop_assert!(!verify_inclusion(&leaf, other_index, size, &path, &root));
        }
        // Another size fails unless it makes the verifier take exactly the same steps (the
        // size is bound by the tree head, not by the path: RFC 9162 behaviour).
        if other_size != size {
            let same = inclusion_shape(index, other_size, path.len())
                == inclusion_shape(index, size, path.len());
            prop_assert_eq!(verify_inclusion(&leaf, index, other_size, &path, &root), same);
        }
    }

    #[test]
    fn tampered_consistency_proofs_fail(
        n in 2usize..=300,
        m_pick in any::<prop::sample::Index>(),
        elem in any::<prop::sample::Index>(),
        bit in 0usize..256,
        other_m in 0u64..302,
        other_n in 0u64..302,
    ) {
        let t = tree_of(&entries(n));
        let n64 = n as u64;
        let m = m_pick.index(n - 1) as u64 + 1; // 0 < m < n
        let (rm, rn) = (t.root_at(m).unwrap(), t.root());
        let proof = t.consistency_proof(m, n64).unwrap();
        prop_assert!(!proof.is_empty());
        prop_assert!(verify_consistency(m, n64, &rm, &rn, &proof));

        let j = elem.index(proof.len());
        let mut bad = proof.clone();
        bad[j] = flip(&bad[j], bit);
        prop_assert!(!verify_consistency(m, n64, &rm, &rn, &bad));
        prop_assert!(!verify_consistency(m, n64, &flip(&rm, bit), &rn, &proof));
        prop_assert!(!verify_consistency(m, n64, &rm, &flip(&rn, bit), &proof));
        let mut longer = proof.clone();
        longer.push(rn);
        prop_assert!(!verify_consistency(m, n64, &rm, &rn, &longer));
        let x = entry(bit);
        let mut lifted = proof.clone();
        lifted.push(x);
        prop_assert!(!verify_consistency(m, n64, &node_hash(&x, &rm), &node_hash(&x, &rn), &lifted));
        prop_assert!(!verify_consistency(m, n64, &rm, &rn, &proof[..proof.len() - 1]));

        let shape = consistency_shape(m, n64, proof.len());
        prop_assert!(shape.is_some());
        for (m2, n2) in [(other_m, n64), (m, other_n)] {
            if (m2, n2) != (m, n64) {
                let same = consistency_shape(m2, n2, proof.len()) == shape;
                prop_assert_eq!(verify_consistency(m2, n2, &rm, &rn, &proof), same, "({}, {})", m2, n2);
            }
        }
    }
}
