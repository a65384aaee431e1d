//! Unit and property tests of the vouch book.

use super::*;
use proptest::prelude::*;

const T0: Timestamp = Timestamp(1_000_000);

fn req<'a>(a: &'a str, b: &'a str, sigma: f64, pct: Option<f64>) -> NewVouch<'a> {
    NewVouch {
        voucher_did: a,
        vouchee_did: b,
        voucher_sigma: sigma,
        bond_pct: pct,
        expires_at: None,
    }
}

fn vouch(book: &mut VouchBook, a: &str, b: &str, sigma: f64, id: &str) -> Result<f64> {
    book.vouch(req(a, b, sigma, None), 0.8, T0, id.into(), 100)
        .map(|r| r.bonded_amount)
}

#[test]
fn default_bond_and_sigma_eff() {
    let mut b = VouchBook::new("s1");
    let r = b
        .vouch(req("a", "b", 0.8, None), 0.8, T0, "v1".into(), 10)
        .unwrap();
    assert_eq!(r.bonded_sigma_pct, 0.20);
    assert!((r.bonded_amount - 0.16).abs() < 1e-12);
    assert_eq!(r.session_id, "s1");
    assert!((b.bonded_for("b") - 0.16).abs() < 1e-12);
    assert!((b.exposure_of("a") - 0.16).abs() < 1e-12);
    assert!((b.sigma_eff(0.5, 0.5, "b") - 0.58).abs() < 1e-12);
    assert_eq!(b.sigma_eff(0.99, 1.0, "b"), 1.0);
    assert_eq!(b.sigma_eff(0.3, 1.0, "a"), 0.3);
}

#[test]
fn checks_and_their_codes() {
    let mut b = VouchBook::new("s");
    let e = vouch(&mut b, "a", "a", 0.9, "v").unwrap_err();
    assert_eq!(e.code(), Code::CIRCULAR_VOUCH);
    let e = vouch(&mut b, "a", "b", 0.49, "v").unwrap_err();
    assert_eq!(e.code(), Code::VOUCHER_SIGMA_TOO_LOW);
    let e = vouch(&mut b, "a", "b", f64::NAN, "v").unwrap_err();
    assert_eq!(e.code(), Code::VOUCHER_SIGMA_TOO_LOW);
    let e = b
        .vouch(req("a", "b", 0.9, Some(f64::NAN)), 0.8, T0, "v".into(), 9)
        .unwrap_err();
    assert_eq!(e.details().unwrap()["field"], "bond_pct");
    // Clamped above 1 → exposure exceeded at 0.8.
    let e = b
        .vouch(req("a", "b", 0.9, Some(7.0)), 0.8, T0, "v".into(), 9)
        .unwrap_err();
    assert_eq!(e.code(), Code::EXPOSURE_EXCEEDED);
    // Negative clamps to 0: a zero bond is accepted.
    let r = b
        .vouch(req("a", "b", 0.9, Some(-1.0)), 0.8, T0, "v0".into(), 9)
        .unwrap();
    assert_eq!(r.bonded_amount, 0.0);
    let mut past = req("a", "c", 0.9, None);
    past.expires_at = Some(T0);
    let e = b.vouch(past, 0.8, T0, "v".into(), 9).unwrap_err();
    assert_eq!(e.details().unwrap()["field"], "expires_at");
    let e = vouch(&mut b, "a", "c", 0.9, "v0").unwrap_err();
    assert_eq!(e.code(), Code::DUPLICATE_ID);
    let e = b
        .vouch(req("a", "c", 0.9, None), 0.8, T0, "v9".into(), 1)
        .unwrap_err();
    assert_eq!(e.code(), Code::CAPACITY_EXCEEDED);
}

#[test]
fn exposure_limit_is_exact_at_the_edge() {
    let mut b = VouchBook::new("s");
    // 0.2 × 4 = 0.8 of σ: exactly at the limit (float sum may exceed by ulps).
    for (i, v) in ["b", "c", "d", "e"].iter().enumerate() {
        vouch(&mut b, "a", v, 0.7, &format!("v{i}")).unwrap();
    }
    let e = vouch(&mut b, "a", "f", 0.7, "v5").unwrap_err();
    assert_eq!(e.code(), Code::EXPOSURE_EXCEEDED);
    assert_eq!(e.status(), crate::error::Status::LimitExceeded);
    // Releasing one frees room.
    b.release("v0", T0).unwrap();
    vouch(&mut b, "a", "f", 0.7, "v5").unwrap();
}

#[test]
fn cycles_direct_and_indirect_over_active_bonds_only() {
    let mut b = VouchBook::new("s");
    vouch(&mut b, "a", "b", 0.9, "v1").unwrap();
    assert_eq!(
        vouch(&mut b, "b", "a", 0.9, "v2").unwrap_err().code(),
        Code::CIRCULAR_VOUCH
    );
    vouch(&mut b, "b", "c", 0.9, "v3").unwrap();
    assert_eq!(
        vouch(&mut b, "c", "a", 0.9, "v4").unwrap_err().code(),
        Code::CIRCULAR_VOUCH
    );
    // A released bond no longer counts.
    b.release("v1", T0).unwrap();
    vouch(&mut b, "c", "a", 0.9, "v4").unwrap();
    // Diamonds are fine.
    vouch(&mut b, "a", "d", 0.9, "v5").unwrap();
    vouch(&mut b, "c", "d", 0.9, "v6").unwrap();
}

#[test]
fn release_semantics() {
    let mut b = VouchBook::new("s");
    vouch(&mut b, "a", "b", 0.9, "v1").unwrap();
    let e = b.release("nope", T0).unwrap_err();
    assert_eq!(e.code(), Code::VOUCH_NOT_FOUND);
    let r = b.release("v1", T0.plus_secs(1.0)).unwrap();
    assert!(!r.is_active);
    assert_eq!(r.released_at, Some(T0.plus_secs(1.0)));
    // Idempotent: second release returns the record unchanged.
    let r = b.release("v1", T0.plus_secs(5.0)).unwrap().clone();
    assert_eq!(r.released_at, Some(T0.plus_secs(1.0)));
    assert_eq!(b.bonded_for("b"), 0.0);
    assert_eq!(b.exposure_of("a"), 0.0);
    assert_eq!(b.active_count(), 0);
    assert_eq!(b.len(), 1);
}

#[test]
fn expiry_through_time_and_release_all() {
    let mut b = VouchBook::new("s");
    let mut r = req("a", "b", 0.9, None);
    r.expires_at = Some(T0.plus_secs(10.0));
    b.vouch(r, 0.8, T0, "v1".into(), 10).unwrap();
    vouch(&mut b, "a", "c", 0.9, "v2").unwrap();
    assert!(b.expire_due(T0.plus_secs(9.0)).is_empty());
    assert!(b.bonded_for("b") > 0.0);
    assert_eq!(b.expire_due(T0.plus_secs(10.0)), vec!["v1".to_string()]);
    assert_eq!(b.bonded_for("b"), 0.0);
    assert!(b.expire_due(T0.plus_secs(99.0)).is_empty());
    assert_eq!(b.active_vouchees_of("a").count(), 1);
    assert_eq!(b.release_all(T0), 1);
    assert_eq!(b.active_count(), 0);
    assert_eq!(b.exposure_of("a"), 0.0);
    assert!(b.get("v2").is_some_and(|r| !r.is_active));
}

#[test]
fn wire_shape() {
    let mut b = VouchBook::new("s");
    vouch(&mut b, "a", "b", 0.5, "v1").unwrap();
    let j = serde_json::to_value(b.get("v1").unwrap()).unwrap();
    let keys: Vec<&str> = j.as_object().unwrap().keys().map(|k| k.as_str()).collect();
    assert_eq!(
        keys,
        [
            "bonded_amount",
            "bonded_sigma_pct",
            "created_at",
            "is_active",
            "session_id",
            "vouch_id",
            "vouchee_did",
            "voucher_did"
        ]
    );
    assert_eq!(j["created_at"], "1970-01-01T00:00:01.000000Z");
}

#[derive(Debug, Clone)]
enum Op {
    Vouch(u8, u8, f64, Option<u64>),
    Release(usize),
    Advance(u64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0u8..5, 0u8..5, 0.0f64..0.5, proptest::option::of(1u64..20))
            .prop_map(|(a, b, p, e)| Op::Vouch(a, b, p, e)),
        (0usize..40).prop_map(Op::Release),
        (0u64..10).prop_map(Op::Advance),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]
    #[test]
    fn running_sums_match_brute_force(ops in proptest::collection::vec(op(), 1..60)) {
        let mut b = VouchBook::new("s");
        let mut now = T0;
        let mut n = 0;
        for o in ops {
            match o {
                Op::Vouch(x, y, pct, exp) => {
                    let (vx, vy) = (format!("a{x}"), format!("a{y}"));
                    let mut r = req(&vx, &vy, 0.9, Some(pct));
                    r.expires_at = exp.map(|s| now.plus_secs(s as f64));
                    let _ = b.vouch(r, 0.8, now, format!("v{n}"), 1000);
                    n += 1;
                }
                Op::Release(i) => { let _ = b.release(&format!("v{i}"), now); }
                Op::Advance(s) => { now = now.plus_secs(s as f64); b.expire_due(now); }
            }
            for k in 0..5 {
                let d = format!("a{k}");
                let act = b.records().filter(|r| r.is_active);
                let bf: f64 = act.clone().filter(|r| r.vouchee_did == d).map(|r| r.bonded_amount).sum();
                let ex: f64 = act.filter(|r| r.voucher_did == d).map(|r| r.bonded_amount).sum();
                prop_assert!((b.bonded_for(&d) - bf).abs() < 1e-9);
                prop_assert!((b.exposure_of(&d) - ex).abs() < 1e-9);
                prop_assert!(b.bonded_for(&d) >= 0.0 && b.exposure_of(&d) >= 0.0);
                prop_assert!(ex <= 0.9 * 0.8 + 1e-9);
            }
            let active = b.records().filter(|r| r.is_active).count();
            prop_assert_eq!(b.active_count(), active);
            prop_assert_eq!(b.active_records().len(), active);
            // Expired bonds never stay active after a sweep.
            prop_assert!(b.records().filter(|r| r.is_active).all(|r| r.expires_at.is_none_or(|e| e > now)));
        }
    }
}
