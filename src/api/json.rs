//! The response writer: compact JSON, byte for byte what `serde_json::to_string` produces,
//! written faster for the shapes the engine returns.
//!
//! serde_json escapes every struct field name through its generic string path and scans every
//! string byte by byte. Responses are mostly struct fields (static, plain names) and short ids,
//! hashes and timestamps, so this writer copies field names as they are and copies strings
//! that need no escaping in one go; anything that does need escaping, and every number, goes
//! through serde_json's own code (`serde_json::to_writer` for strings, its `CompactFormatter` for
//! numbers), so the output cannot drift from serde_json's. Debug builds check every response
//! against `serde_json::to_string` (see `api::respond`), so the whole test suite exercises the
//! equivalence.

use std::fmt::Display;

use serde::ser::{self, Serialize};
use serde_json::ser::{CompactFormatter, Formatter};

/// A serialisation failure (a `Serialize` impl reported an error, or a map key that is not a
/// string, number, bool or char).
#[derive(Debug)]
pub struct WriteError(String);

impl Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for WriteError {}

impl ser::Error for WriteError {
    fn custom<T: Display>(msg: T) -> Self {
        WriteError(msg.to_string())
    }
}

type R = std::result::Result<(), WriteError>;

/// Serialises `v` as compact JSON into a buffer of initial capacity `cap`.
pub fn to_vec<T: Serialize + ?Sized>(
    v: &T,
    cap: usize,
) -> std::result::Result<Vec<u8>, WriteError> {
    let mut w = Writer {
        buf: Vec::with_capacity(cap),
    };
    v.serialize(&mut w)?;
    Ok(w.buf)
}

/// Appends `v` as compact JSON to `buf`. On error `buf` may hold a partial value; callers
/// truncate back to their mark.
pub fn write_into<T: Serialize + ?Sized>(
    buf: &mut Vec<u8>,
    v: &T,
) -> std::result::Result<(), WriteError> {
    let mut w = Writer {
        buf: std::mem::take(buf),
    };
    let r = v.serialize(&mut w);
    *buf = w.buf;
    r
}

/// Appends `s` as a JSON string literal to `buf`, exactly as serde_json writes it.
pub fn write_str(buf: &mut Vec<u8>, s: &str) {
    let mut w = Writer {
        buf: std::mem::take(buf),
    };
    w.str(s);
    *buf = w.buf;
}

/// The serializer: appends to `buf`.
struct Writer {
    buf: Vec<u8>,
}

/// serde_json's private marker for `RawValue`; its single field holds JSON to copy verbatim.
const RAW_VALUE_TOKEN: &str = "$serde_json::private::RawValue";

/// True when `s` holds a byte JSON must escape. Scans the whole string without early exit,
/// which the compiler vectorises; almost every string the engine writes has none.
fn needs_escape(s: &str) -> bool {
    s.bytes().fold(false, |acc, b| {
        acc | (b < 0x20) | (b == b'"') | (b == b'\\')
    })
}

impl Writer {
    fn str(&mut self, s: &str) {
        if needs_escape(s) {
            // serde_json's exact escaping; writing into a Vec cannot fail.
            let _ = serde_json::to_writer(&mut self.buf, s);
        } else {
            self.buf.reserve(s.len() + 2);
            self.buf.push(b'"');
            self.buf.extend_from_slice(s.as_bytes());
            self.buf.push(b'"');
        }
    }

    /// `{"variant":` followed by an open compound.
    fn variant(&mut self, variant: &str, opening: &[u8], close: &'static [u8]) -> Compound<'_> {
        self.buf.push(b'{');
        self.str(variant);
        Compound::open(self, opening, close, false)
    }

    fn num(
        &mut self,
        quoted: bool,
        f: impl FnOnce(&mut CompactFormatter, &mut Vec<u8>) -> std::io::Result<()>,
    ) -> R {
        if quoted {
            self.buf.push(b'"');
        }
        self.fmt(f)?;
        if quoted {
            self.buf.push(b'"');
        }
        Ok(())
    }

    fn fmt(
        &mut self,
        f: impl FnOnce(&mut CompactFormatter, &mut Vec<u8>) -> std::io::Result<()>,
    ) -> R {
        f(&mut CompactFormatter, &mut self.buf).map_err(|e| WriteError(e.to_string()))
    }
}

/// A `[...]` or `{...}` in progress.
struct Compound<'a> {
    w: &'a mut Writer,
    first: bool,
    /// Closing bytes (`]`, `}` or `}}` / `]}` for enum variants).
    close: &'static [u8],
    /// Inside a `RawValue` marker struct.
    raw: bool,
}

impl<'a> Compound<'a> {
    /// Writes `opening`; an `empty` compound is closed at once (`[]`, `{}`), as serde_json does
    /// for a known length of 0.
    fn open(w: &'a mut Writer, opening: &[u8], close: &'static [u8], empty: bool) -> Self {
        w.buf.extend_from_slice(opening);
        if empty {
            w.buf.extend_from_slice(close);
        }
        Compound {
            w,
            first: true,
            close: if empty { b"" } else { close },
            raw: false,
        }
    }

    fn sep(&mut self) {
        if !self.first {
            self.w.buf.push(b',');
        }
        self.first = false;
    }

    fn end(self) -> R {
        self.w.buf.extend_from_slice(self.close);
        Ok(())
    }

    /// `"key":` for a static field name (Rust identifiers or serde renames: plain text, which
    /// the debug-build comparison with serde_json would catch otherwise).
    fn field_key(&mut self, key: &'static str) {
        self.sep();
        let buf = &mut self.w.buf;
        buf.reserve(key.len() + 3);
        buf.push(b'"');
        buf.extend_from_slice(key.as_bytes());
        buf.extend_from_slice(b"\":");
    }
}

/// The integer serializer methods: `$w` is the [`Writer`], `$quoted` whether the number is a
/// map key (quoted, as serde_json writes integer keys).
macro_rules! integer_methods {
    ($s:ident => $w:expr, $quoted:expr) => {
        integer_methods!(@each $s => $w, $quoted;
            serialize_i8: i8 => write_i8, serialize_i16: i16 => write_i16,
            serialize_i32: i32 => write_i32, serialize_i64: i64 => write_i64,
            serialize_i128: i128 => write_i128, serialize_u8: u8 => write_u8,
            serialize_u16: u16 => write_u16, serialize_u32: u32 => write_u32,
            serialize_u64: u64 => write_u64, serialize_u128: u128 => write_u128);
    };
    (@each $s:ident => $w:expr, $quoted:expr; $($method:ident : $t:ty => $write:ident),*) => {
        $(
            fn $method($s, v: $t) -> R {
                $w.num($quoted, |f, b| f.$write(b, v))
            }
        )*
    };
}

impl<'a> ser::Serializer for &'a mut Writer {
    type Ok = ();
    type Error = WriteError;
    type SerializeSeq = Compound<'a>;
    type SerializeTuple = Compound<'a>;
    type SerializeTupleStruct = Compound<'a>;
    type SerializeTupleVariant = Compound<'a>;
    type SerializeMap = Compound<'a>;
    type SerializeStruct = Compound<'a>;
    type SerializeStructVariant = Compound<'a>;

    fn serialize_bool(self, v: bool) -> R {
        self.buf
            .extend_from_slice(if v { b"true" } else { b"false" });
        Ok(())
    }
    integer_methods!(self => self, false);
    fn serialize_f32(self, v: f32) -> R {
        if v.is_finite() {
            self.fmt(|f, b| f.write_f32(b, v))
        } else {
            self.serialize_unit()
        }
    }
    fn serialize_f64(self, v: f64) -> R {
        if v.is_finite() {
            self.fmt(|f, b| f.write_f64(b, v))
        } else {
            self.serialize_unit()
        }
    }
    fn serialize_char(self, v: char) -> R {
        self.str(v.encode_utf8(&mut [0u8; 4]));
        Ok(())
    }
    fn serialize_str(self, v: &str) -> R {
        self.str(v);
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> R {
        use ser::SerializeSeq;
        let mut seq = self.serialize_seq(Some(v.len()))?;
        for b in v {
            seq.serialize_element(b)?;
        }
        seq.end()
    }
    fn serialize_none(self) -> R {
        self.serialize_unit()
    }
    fn serialize_some<T: ?Sized + Serialize>(self, v: &T) -> R {
        v.serialize(self)
    }
    fn serialize_unit(self) -> R {
        self.buf.extend_from_slice(b"null");
        Ok(())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> R {
        self.serialize_unit()
    }
    fn serialize_unit_variant(self, _name: &'static str, _i: u32, variant: &'static str) -> R {
        self.str(variant);
        Ok(())
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(self, _name: &'static str, v: &T) -> R {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        _i: u32,
        variant: &'static str,
        v: &T,
    ) -> R {
        self.buf.push(b'{');
        self.str(variant);
        self.buf.push(b':');
        v.serialize(&mut *self)?;
        self.buf.push(b'}');
        Ok(())
    }
    fn serialize_seq(self, len: Option<usize>) -> std::result::Result<Compound<'a>, WriteError> {
        Ok(Compound::open(self, b"[", b"]", len == Some(0)))
    }
    fn serialize_tuple(self, len: usize) -> std::result::Result<Compound<'a>, WriteError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> std::result::Result<Compound<'a>, WriteError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _i: u32,
        variant: &'static str,
        _len: usize,
    ) -> std::result::Result<Compound<'a>, WriteError> {
        Ok(self.variant(variant, b":[", b"]}"))
    }
    fn serialize_map(self, len: Option<usize>) -> std::result::Result<Compound<'a>, WriteError> {
        Ok(Compound::open(self, b"{", b"}", len == Some(0)))
    }
    fn serialize_struct(
        self,
        name: &'static str,
        _len: usize,
    ) -> std::result::Result<Compound<'a>, WriteError> {
        if name == RAW_VALUE_TOKEN {
            return Ok(Compound {
                w: self,
                first: true,
                close: b"",
                raw: true,
            });
        }
        Ok(Compound::open(self, b"{", b"}", false))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _i: u32,
        variant: &'static str,
        _len: usize,
    ) -> std::result::Result<Compound<'a>, WriteError> {
        Ok(self.variant(variant, b":{", b"}}"))
    }
}

/// The element/field methods of serde's sequence-like and struct-like compound traits, which
/// all write `,`-separated values (struct fields with their `"key":` first).
macro_rules! compound_impls {
    ($($tr:ident :: $method:ident),* ; $($str:ident),*) => {
        $(
            impl ser::$tr for Compound<'_> {
                type Ok = ();
                type Error = WriteError;
                fn $method<T: ?Sized + Serialize>(&mut self, v: &T) -> R {
                    self.sep();
                    v.serialize(&mut *self.w)
                }
                fn end(self) -> R {
                    Compound::end(self)
                }
            }
        )*
        $(
            impl ser::$str for Compound<'_> {
                type Ok = ();
                type Error = WriteError;
                fn serialize_field<T: ?Sized + Serialize>(&mut self, key: &'static str, v: &T) -> R {
                    if self.raw {
                        return v.serialize(RawCopy(&mut *self.w));
                    }
                    self.field_key(key);
                    v.serialize(&mut *self.w)
                }
                fn end(self) -> R {
                    Compound::end(self)
                }
            }
        )*
    };
}

compound_impls!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field;
    SerializeStruct,
    SerializeStructVariant
);

impl ser::SerializeMap for Compound<'_> {
    type Ok = ();
    type Error = WriteError;
    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> R {
        self.sep();
        key.serialize(MapKey(&mut *self.w))?;
        self.w.buf.push(b':');
        Ok(())
    }
    fn serialize_value<T: ?Sized + Serialize>(&mut self, v: &T) -> R {
        v.serialize(&mut *self.w)
    }
    fn end(self) -> R {
        Compound::end(self)
    }
}

/// Serialises map keys the way serde_json does: strings as strings; integers, bools and chars
/// quoted; anything else is an error.
struct MapKey<'a>(&'a mut Writer);

/// Copies the JSON text inside a `RawValue` marker verbatim.
struct RawCopy<'a>(&'a mut Writer);

fn key_error() -> WriteError {
    WriteError("key must be a string".into())
}

macro_rules! refuse {
    ($err:expr; $($method:ident ( $($arg:ty),* )),* $(,)?) => {
        $(
            fn $method(self, $(_: $arg),*) -> R {
                Err($err)
            }
        )*
    };
}

macro_rules! refuse_compound {
    ($err:expr) => {
        type Ok = ();
        type Error = WriteError;
        type SerializeSeq = ser::Impossible<(), WriteError>;
        type SerializeTuple = ser::Impossible<(), WriteError>;
        type SerializeTupleStruct = ser::Impossible<(), WriteError>;
        type SerializeTupleVariant = ser::Impossible<(), WriteError>;
        type SerializeMap = ser::Impossible<(), WriteError>;
        type SerializeStruct = ser::Impossible<(), WriteError>;
        type SerializeStructVariant = ser::Impossible<(), WriteError>;

        fn serialize_seq(
            self,
            _: Option<usize>,
        ) -> std::result::Result<Self::SerializeSeq, WriteError> {
            Err($err)
        }
        fn serialize_tuple(
            self,
            _: usize,
        ) -> std::result::Result<Self::SerializeTuple, WriteError> {
            Err($err)
        }
        fn serialize_tuple_struct(
            self,
            _: &'static str,
            _: usize,
        ) -> std::result::Result<Self::SerializeTupleStruct, WriteError> {
            Err($err)
        }
        fn serialize_tuple_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> std::result::Result<Self::SerializeTupleVariant, WriteError> {
            Err($err)
        }
        fn serialize_map(
            self,
            _: Option<usize>,
        ) -> std::result::Result<Self::SerializeMap, WriteError> {
            Err($err)
        }
        fn serialize_struct(
            self,
            _: &'static str,
            _: usize,
        ) -> std::result::Result<Self::SerializeStruct, WriteError> {
            Err($err)
        }
        fn serialize_struct_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> std::result::Result<Self::SerializeStructVariant, WriteError> {
            Err($err)
        }
        fn serialize_newtype_variant<T: ?Sized + Serialize>(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: &T,
        ) -> R {
            Err($err)
        }
    };
}

impl ser::Serializer for MapKey<'_> {
    fn serialize_str(self, v: &str) -> R {
        self.0.str(v);
        Ok(())
    }
    fn serialize_char(self, v: char) -> R {
        self.0.str(v.encode_utf8(&mut [0u8; 4]));
        Ok(())
    }
    fn serialize_bool(self, v: bool) -> R {
        self.0
            .buf
            .extend_from_slice(if v { b"\"true\"" } else { b"\"false\"" });
        Ok(())
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> R {
        self.0.str(variant);
        Ok(())
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(self, _: &'static str, v: &T) -> R {
        v.serialize(self)
    }
    integer_methods!(self => self.0, true);
    fn serialize_f32(self, v: f32) -> R {
        let finite = v.is_finite().then_some(()).ok_or_else(key_error);
        finite.and_then(|()| self.0.num(true, |f, b| f.write_f32(b, v)))
    }
    fn serialize_f64(self, v: f64) -> R {
        let finite = v.is_finite().then_some(()).ok_or_else(key_error);
        finite.and_then(|()| self.0.num(true, |f, b| f.write_f64(b, v)))
    }
    refuse! { key_error();
        serialize_bytes(&[u8]), serialize_none(),
        serialize_unit(), serialize_unit_struct(&'static str),
    }
    fn serialize_some<T: ?Sized + Serialize>(self, _: &T) -> R {
        Err(key_error())
    }
    refuse_compound!(key_error());
}

impl ser::Serializer for RawCopy<'_> {
    fn serialize_str(self, v: &str) -> R {
        self.0.buf.extend_from_slice(v.as_bytes());
        Ok(())
    }
    refuse! { raw_error();
        serialize_bool(bool), serialize_i8(i8), serialize_i16(i16), serialize_i32(i32),
        serialize_i64(i64), serialize_u8(u8), serialize_u16(u16), serialize_u32(u32),
        serialize_u64(u64), serialize_f32(f32), serialize_f64(f64), serialize_char(char),
        serialize_bytes(&[u8]), serialize_none(), serialize_unit(),
        serialize_unit_struct(&'static str),
        serialize_unit_variant(&'static str, u32, &'static str),
    }
    fn serialize_some<T: ?Sized + Serialize>(self, _: &T) -> R {
        Err(raw_error())
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(self, _: &'static str, _: &T) -> R {
        Err(raw_error())
    }
    refuse_compound!(raw_error());
}

fn raw_error() -> WriteError {
    WriteError("raw JSON must be a string".into())
}

#[cfg(test)]
mod tests;
