//! Tests of the response writer: byte-for-byte equality with serde_json.
use super::*;
use serde_json::json;
use std::collections::BTreeMap;

fn same<T: Serialize + ?Sized>(v: &T) {
    let ours = String::from_utf8(to_vec(v, 0).unwrap()).unwrap();
    assert_eq!(ours, serde_json::to_string(v).unwrap());
}

#[derive(serde::Serialize)]
#[serde(rename_all = "snake_case")]
enum E {
    Unit,
    New(u8),
    Tuple(u8, String),
    EmptyTuple(),
    Struct { a: f64, b: Option<String> },
}

#[derive(serde::Serialize)]
struct S<'a> {
    s: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    skipped: Option<u8>,
    f: f64,
    nan: f64,
    f32: f32,
    i: i64,
    u: u128,
    c: char,
    bytes: &'a [u8],
    v: Vec<E>,
    empty: Vec<u8>,
    m: BTreeMap<i32, bool>,
    bm: BTreeMap<bool, ()>,
    unit: (),
    tuple: (u8, &'a str),
    #[serde(flatten)]
    flat: BTreeMap<String, u8>,
    value: serde_json::Value,
    #[serde(rename = "renamed-key")]
    renamed: Option<Box<S<'a>>>,
}

#[test]
fn matches_serde_json_byte_for_byte() {
    let mut flat = BTreeMap::new();
    flat.insert("x\"y".to_owned(), 1);
    let inner = S {
        s: "plain",
        skipped: None,
        f: 0.1,
        nan: f64::INFINITY,
        f32: 1.5,
        i: -3,
        u: u128::MAX,
        c: '\n',
        bytes: &[],
        v: vec![],
        empty: vec![],
        m: BTreeMap::new(),
        bm: BTreeMap::new(),
        unit: (),
        tuple: (0, ""),
        flat: BTreeMap::new(),
        value: json!(null),
        renamed: None,
    };
    let s = S {
        s: "quote \" backslash \\ ctrl \u{1} \u{1f} tab \t nl \n é \u{7f} 😀",
        skipped: Some(1),
        f: 1e300,
        nan: f64::NAN,
        f32: f32::NEG_INFINITY,
        i: i64::MIN,
        u: 7,
        c: '"',
        bytes: &[0, 255],
        v: vec![
            E::Unit,
            E::New(3),
            E::Tuple(1, "t".into()),
            E::EmptyTuple(),
            E::Struct {
                a: -0.0,
                b: Some("b".into()),
            },
        ],
        empty: vec![],
        m: [(-1, true), (2, false)].into_iter().collect(),
        bm: [(true, ())].into_iter().collect(),
        unit: (),
        tuple: (9, "\\"),
        flat,
        value: json!({"a": [1, 2.5, "x", null, {"b": {}}], "": []}),
        renamed: Some(Box::new(inner)),
    };
    same(&s);
    same("a");
    same(&vec![json!({}), json!([]), json!(1u64 << 63)]);
    same(&Some(crate::model::Timestamp(1_767_225_600_000_001)));
}

#[test]
fn write_into_appends() {
    let mut buf = b"[".to_vec();
    write_into(&mut buf, &json!({"a": "b\n"})).unwrap();
    buf.push(b',');
    write_str(&mut buf, "q\"");
    assert_eq!(buf, br#"[{"a":"b\n"},"q\"""#);
}

#[test]
fn raw_values_are_copied() {
    let raw = serde_json::value::RawValue::from_string(r#"{"a" : [1,2]}"#.into()).unwrap();
    same(&json!({"k": 1}));
    same(&raw);
    same(&vec![&raw, &raw]);
}

#[derive(PartialEq)]
struct OrdF64(f64);
impl Eq for OrdF64 {}
impl std::hash::Hash for OrdF64 {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.0.to_bits().hash(h);
    }
}
impl Serialize for OrdF64 {
    fn serialize<S: ser::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_f64(self.0)
    }
}

#[test]
fn unsupported_map_keys_are_errors() {
    let m: BTreeMap<Vec<u8>, u8> = [(vec![1], 1)].into_iter().collect();
    assert!(to_vec(&m, 0).is_err());
    assert!(serde_json::to_string(&m).is_err());
    let nan: std::collections::HashMap<OrdF64, u8> = [(OrdF64(f64::NAN), 1)].into_iter().collect();
    assert!(to_vec(&nan, 0).is_err());
    assert!(serde_json::to_string(&nan).is_err());
    let f: std::collections::HashMap<OrdF64, u8> = [(OrdF64(2.5), 1)].into_iter().collect();
    same(&f);
}
