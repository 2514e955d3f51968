//! Strict JSON: the one parser for every byte of outside JSON, and the
//! canonical writer that signatures cover.
//!
//! Why our own parser: a general-purpose one silently keeps the last of two
//! duplicated keys, turns `1.0` and `2^64` into floats and has no depth
//! limit. Here each of those is a specific error, so two parties can never
//! read different records out of the same bytes.
//!
//! Canonical form (what `enclaveSignature` and settlement `sig` cover): keys
//! sorted by code point, no whitespace, integers only, `null` kept, strings
//! escape only `"`, `\`, `\b`, `\f`, `\n`, `\r`, `\t` and the other C0
//! controls (as lowercase `\u00xx`); everything else is literal UTF-8. This is
//! deliberately not RFC 8785.

use std::collections::BTreeMap;
use std::fmt;

/// Smallest integer a record may carry: -(2^63).
pub const INT_MIN: i128 = i64::MIN as i128;
/// Largest integer a record may carry: 2^64 - 1.
pub const INT_MAX: i128 = u64::MAX as i128;
/// Nesting limit for arrays and objects. Records are shallow; this bounds the
/// recursion of every walker over a [`Value`].
pub const DEPTH_MAX: usize = 64;

/// An object: keys kept sorted by byte order, which for UTF-8 is code point
/// order, so iteration order is canonical order.
pub type Map = BTreeMap<String, Value>;

/// A JSON value as records may carry it: no floats; integers in
/// [`INT_MIN`, `INT_MAX`].
#[derive(Clone, PartialEq, Eq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i128),
    String(String),
    Array(Vec<Value>),
    Object(Map),
}

impl Value {
    pub fn as_object(&self) -> Option<&Map> {
        match self {
            Value::Object(m) => Some(m),
            _ => None,
        }
    }
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_int(&self) -> Option<i128> {
        match self {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.as_object().and_then(|m| m.get(key))
    }
    /// A short name of the JSON type, for error messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Int(_) => "integer",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        }
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&to_canonical_string(self))
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_owned())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s)
    }
}
impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::Int(i128::from(i))
    }
}
impl From<u64> for Value {
    fn from(i: u64) -> Self {
        Value::Int(i128::from(i))
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}
impl From<Map> for Value {
    fn from(m: Map) -> Self {
        Value::Object(m)
    }
}

/// Why some bytes are not acceptable JSON, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid JSON at {}byte {offset}: {kind}", path_prefix(.path))]
pub struct JsonError {
    pub offset: usize,
    /// Where in the document, as `a.b[2].c` (empty at the top level).
    pub path: String,
    pub kind: JsonErrorKind,
}

fn path_prefix(path: &str) -> String {
    if path.is_empty() {
        String::new()
    } else {
        format!("{path}, ")
    }
}

enum Seg {
    Key(String),
    Index(usize),
}

fn render_path(segs: &[Seg]) -> String {
    let mut out = String::new();
    for s in segs {
        match s {
            Seg::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Seg::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JsonErrorKind {
    #[error("unexpected end of input")]
    Eof,
    #[error("unexpected character {0:?}")]
    Unexpected(char),
    #[error("trailing characters after the value")]
    Trailing,
    #[error("floats are not allowed (integers only)")]
    Float,
    #[error("integer out of range (must be within -2^63 ..= 2^64-1)")]
    IntegerRange,
    #[error("leading zeros are not allowed in numbers")]
    LeadingZero,
    #[error("duplicate object key {0:?}")]
    DuplicateKey(String),
    #[error("nesting deeper than {DEPTH_MAX}")]
    TooDeep,
    #[error("invalid escape sequence")]
    BadEscape,
    #[error("unpaired UTF-16 surrogate in \\u escape")]
    LoneSurrogate,
    #[error("raw control character in string (must be escaped)")]
    RawControl,
    #[error("input is not valid UTF-8")]
    Utf8,
}

/// Parses one JSON value from `bytes` (whitespace around it allowed).
pub fn parse(bytes: &[u8]) -> Result<Value, JsonError> {
    let text = std::str::from_utf8(bytes).map_err(|e| JsonError {
        offset: e.valid_up_to(),
        path: String::new(),
        kind: JsonErrorKind::Utf8,
    })?;
    parse_str(text)
}

/// Parses one JSON value from `text` (whitespace around it allowed).
pub fn parse_str(text: &str) -> Result<Value, JsonError> {
    let mut p = Parser {
        s: text.as_bytes(),
        i: 0,
        path: Vec::new(),
    };
    p.ws();
    let v = p.value(0)?;
    p.ws();
    if p.i != p.s.len() {
        return Err(p.err(JsonErrorKind::Trailing));
    }
    Ok(v)
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    path: Vec<Seg>,
}

impl Parser<'_> {
    fn err(&self, kind: JsonErrorKind) -> JsonError {
        self.err_at(self.i, kind)
    }
    fn err_at(&self, offset: usize, kind: JsonErrorKind) -> JsonError {
        JsonError {
            offset,
            path: render_path(&self.path),
            kind,
        }
    }
    fn unexpected(&self) -> JsonError {
        match self.peek() {
            None => self.err(JsonErrorKind::Eof),
            Some(_) => {
                // `s` came from a &str and `i` is always on a char boundary here.
                let c = std::str::from_utf8(&self.s[self.i..])
                    .ok()
                    .and_then(|t| t.chars().next())
                    .unwrap_or('\u{fffd}');
                self.err(JsonErrorKind::Unexpected(c))
            }
        }
    }
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.i += 1;
        }
    }
    fn eat(&mut self, b: u8) -> Result<(), JsonError> {
        if self.peek() == Some(b) {
            self.i += 1;
            Ok(())
        } else {
            Err(self.unexpected())
        }
    }
    fn literal(&mut self, word: &str, v: Value) -> Result<Value, JsonError> {
        if self.s[self.i..].starts_with(word.as_bytes()) {
            self.i += word.len();
            Ok(v)
        } else {
            Err(self.unexpected())
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, JsonError> {
        match self.peek() {
            None => Err(self.err(JsonErrorKind::Eof)),
            Some(b'n') => self.literal("null", Value::Null),
            Some(b't') => self.literal("true", Value::Bool(true)),
            Some(b'f') => self.literal("false", Value::Bool(false)),
            Some(b'"') => self.string().map(Value::String),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b'[') => {
                if depth >= DEPTH_MAX {
                    return Err(self.err(JsonErrorKind::TooDeep));
                }
                self.i += 1;
                let mut items = Vec::new();
                self.ws();
                if self.peek() == Some(b']') {
                    self.i += 1;
                    return Ok(Value::Array(items));
                }
                loop {
                    self.ws();
                    self.path.push(Seg::Index(items.len()));
                    items.push(self.value(depth + 1)?);
                    self.path.pop();
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.i += 1,
                        Some(b']') => {
                            self.i += 1;
                            return Ok(Value::Array(items));
                        }
                        _ => return Err(self.unexpected()),
                    }
                }
            }
            Some(b'{') => {
                if depth >= DEPTH_MAX {
                    return Err(self.err(JsonErrorKind::TooDeep));
                }
                self.i += 1;
                let mut map = Map::new();
                self.ws();
                if self.peek() == Some(b'}') {
                    self.i += 1;
                    return Ok(Value::Object(map));
                }
                loop {
                    self.ws();
                    let key_at = self.i;
                    if self.peek() != Some(b'"') {
                        return Err(self.unexpected());
                    }
                    let key = self.string()?;
                    self.ws();
                    self.eat(b':')?;
                    self.ws();
                    if map.contains_key(&key) {
                        return Err(self.err_at(key_at, JsonErrorKind::DuplicateKey(key)));
                    }
                    self.path.push(Seg::Key(key.clone()));
                    let v = self.value(depth + 1)?;
                    self.path.pop();
                    map.insert(key, v);
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.i += 1,
                        Some(b'}') => {
                            self.i += 1;
                            return Ok(Value::Object(map));
                        }
                        _ => return Err(self.unexpected()),
                    }
                }
            }
            Some(_) => Err(self.unexpected()),
        }
    }

    fn number(&mut self) -> Result<Value, JsonError> {
        let start = self.i;
        let negative = self.peek() == Some(b'-');
        if negative {
            self.i += 1;
        }
        let digits_at = self.i;
        while let Some(b'0'..=b'9') = self.peek() {
            self.i += 1;
        }
        let digits = &self.s[digits_at..self.i];
        if digits.is_empty() {
            return Err(self.unexpected());
        }
        if digits.len() > 1 && digits[0] == b'0' {
            return Err(self.err_at(digits_at, JsonErrorKind::LeadingZero));
        }
        if let Some(b'.' | b'e' | b'E') = self.peek() {
            return Err(self.err_at(start, JsonErrorKind::Float));
        }
        let range = self.err_at(start, JsonErrorKind::IntegerRange);
        // 21+ digits can never fit; avoid u128 overflow on absurd inputs.
        if digits.len() > 20 {
            return Err(range);
        }
        let mut magnitude: i128 = 0;
        for d in digits {
            magnitude = magnitude * 10 + i128::from(d - b'0');
        }
        let n = if negative { -magnitude } else { magnitude };
        if !(INT_MIN..=INT_MAX).contains(&n) {
            return Err(range);
        }
        Ok(Value::Int(n))
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let bad = self.err(JsonErrorKind::BadEscape);
        let h = self.s.get(self.i..self.i + 4).ok_or(bad.clone())?;
        let mut n = 0u32;
        for &c in h {
            let d = (c as char).to_digit(16).ok_or(bad.clone())?;
            n = n * 16 + d;
        }
        self.i += 4;
        Ok(n)
    }

    fn string(&mut self) -> Result<String, JsonError> {
        self.eat(b'"')?;
        let mut out = String::new();
        loop {
            // Copy the run of plain bytes in one go.
            let run_at = self.i;
            while let Some(c) = self.peek() {
                if c == b'"' || c == b'\\' || c < 0x20 {
                    break;
                }
                self.i += 1;
            }
            // Safe: `s` is valid UTF-8 and the run stops only at ASCII bytes.
            out.push_str(
                std::str::from_utf8(&self.s[run_at..self.i])
                    .map_err(|_| self.err(JsonErrorKind::Utf8))?,
            );
            match self.peek() {
                None => return Err(self.err(JsonErrorKind::Eof)),
                Some(b'"') => {
                    self.i += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.i += 1;
                    let esc = self.peek().ok_or(self.err(JsonErrorKind::Eof))?;
                    self.i += 1;
                    match esc {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let at = self.i;
                            let hi = self.hex4()?;
                            let cp = if (0xd800..0xdc00).contains(&hi) {
                                if !self.s[self.i..].starts_with(b"\\u") {
                                    return Err(self.err_at(at, JsonErrorKind::LoneSurrogate));
                                }
                                self.i += 2;
                                let lo = self.hex4()?;
                                if !(0xdc00..0xe000).contains(&lo) {
                                    return Err(self.err_at(at, JsonErrorKind::LoneSurrogate));
                                }
                                0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00)
                            } else if (0xdc00..0xe000).contains(&hi) {
                                return Err(self.err_at(at, JsonErrorKind::LoneSurrogate));
                            } else {
                                hi
                            };
                            out.push(
                                char::from_u32(cp)
                                    .ok_or(self.err_at(at, JsonErrorKind::BadEscape))?,
                            );
                        }
                        _ => {
                            self.i -= 1;
                            return Err(self.err(JsonErrorKind::BadEscape));
                        }
                    }
                }
                Some(_) => return Err(self.err(JsonErrorKind::RawControl)),
            }
        }
    }
}

/// The canonical bytes of `v`.
pub fn to_canonical(v: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    write_canonical(v, &mut out);
    out
}

/// The canonical text of `v` (always valid UTF-8).
pub fn to_canonical_string(v: &Value) -> String {
    // Only UTF-8 strings and ASCII punctuation are ever written.
    String::from_utf8(to_canonical(v)).unwrap_or_default()
}

/// Appends the canonical form of `v` to `out`.
pub fn write_canonical(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Int(i) => out.extend_from_slice(i.to_string().as_bytes()),
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push(b'[');
            for (n, item) in items.iter().enumerate() {
                if n > 0 {
                    out.push(b',');
                }
                write_canonical(item, out);
            }
            out.push(b']');
        }
        Value::Object(map) => {
            out.push(b'{');
            for (n, (k, item)) in map.iter().enumerate() {
                if n > 0 {
                    out.push(b',');
                }
                write_string(k, out);
                out.push(b':');
                write_canonical(item, out);
            }
            out.push(b'}');
        }
    }
}

/// An indented rendering (keys sorted, two spaces), for files people read.
/// Parsing it gives back the same value.
pub fn to_pretty_string(v: &Value) -> String {
    let mut out = Vec::new();
    write_pretty(v, 0, &mut out);
    out.push(b'\n');
    String::from_utf8(out).unwrap_or_default()
}

fn write_pretty(v: &Value, indent: usize, out: &mut Vec<u8>) {
    let pad = |n: usize, out: &mut Vec<u8>| out.extend(std::iter::repeat_n(b' ', n * 2));
    match v {
        Value::Array(items) if !items.is_empty() => {
            out.extend_from_slice(b"[\n");
            for (n, item) in items.iter().enumerate() {
                pad(indent + 1, out);
                write_pretty(item, indent + 1, out);
                out.extend_from_slice(if n + 1 < items.len() { b",\n" } else { b"\n" });
            }
            pad(indent, out);
            out.push(b']');
        }
        Value::Object(map) if !map.is_empty() => {
            out.extend_from_slice(b"{\n");
            for (n, (k, item)) in map.iter().enumerate() {
                pad(indent + 1, out);
                write_string(k, out);
                out.extend_from_slice(b": ");
                write_pretty(item, indent + 1, out);
                out.extend_from_slice(if n + 1 < map.len() { b",\n" } else { b"\n" });
            }
            pad(indent, out);
            out.push(b'}');
        }
        other => write_canonical(other, out),
    }
}

fn write_string(s: &str, out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    for &b in s.as_bytes() {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x00..=0x1f => {
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 0xf)]);
            }
            _ => out.push(b),
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: Result<&str, JsonErrorKind>) {
        let got = parse_str(input)
            .map(|v| to_canonical_string(&v))
            .map_err(|e| e.kind);
        assert_eq!(
            got.as_deref().map_err(Clone::clone),
            expected,
            "input: {input:?}"
        );
    }

    #[test]
    fn design_vectors() {
        check(r#"{"b":1,"a":2,"c":3}"#, Ok(r#"{"a":2,"b":1,"c":3}"#));
        check(r#""\u0001""#, Ok(r#""\u0001""#));
        assert_eq!(
            to_canonical(&parse_str("\"café\"").unwrap()),
            [0x22, 0x63, 0x61, 0x66, 0xc3, 0xa9, 0x22]
        );
        check(r#"{"x":1.5}"#, Err(JsonErrorKind::Float));
        check("18446744073709551615", Ok("18446744073709551615"));
        check("18446744073709551616", Err(JsonErrorKind::IntegerRange));
    }

    #[test]
    fn canonical_cases() {
        check(
            " { \"a\" : [ 1 , null , true , false ] } ",
            Ok(r#"{"a":[1,null,true,false]}"#),
        );
        check(r#""caf\u00e9""#, Ok("\"café\""));
        check(r#""\ud83d\ude00""#, Ok("\"😀\""));
        check(r#""\/""#, Ok(r#""/""#));
        check(
            r#""a\"b\\c\b\f\n\r\t\u001f\u007f""#,
            Ok("\"a\\\"b\\\\c\\b\\f\\n\\r\\t\\u001f\u{7f}\""),
        );
        check("-9223372036854775808", Ok("-9223372036854775808"));
        check("-0", Ok("0"));
        check(
            r#"{"é":1,"z":2,"Z":3,"a":4}"#,
            Ok(r#"{"Z":3,"a":4,"z":2,"é":1}"#),
        );
        check(r#"{"":{}}"#, Ok(r#"{"":{}}"#));
        check("[]", Ok("[]"));
    }

    #[test]
    fn rejections() {
        check("-9223372036854775809", Err(JsonErrorKind::IntegerRange));
        check(
            "123456789012345678901234567890",
            Err(JsonErrorKind::IntegerRange),
        );
        check("1e3", Err(JsonErrorKind::Float));
        check("1.0", Err(JsonErrorKind::Float));
        check("-1E-2", Err(JsonErrorKind::Float));
        check("01", Err(JsonErrorKind::LeadingZero));
        check(
            r#"{"a":1,"a":2}"#,
            Err(JsonErrorKind::DuplicateKey("a".into())),
        );
        check(
            r#"{"a":1,"\u0061":2}"#,
            Err(JsonErrorKind::DuplicateKey("a".into())),
        );
        check(r#""\ud83d""#, Err(JsonErrorKind::LoneSurrogate));
        check(r#""\ude00""#, Err(JsonErrorKind::LoneSurrogate));
        check(r#""\x""#, Err(JsonErrorKind::BadEscape));
        check("\"a\nb\"", Err(JsonErrorKind::RawControl));
        check("[1,]", Err(JsonErrorKind::Unexpected(']')));
        check("{} x", Err(JsonErrorKind::Trailing));
        check("", Err(JsonErrorKind::Eof));
        check("nul", Err(JsonErrorKind::Unexpected('n')));
        check("NaN", Err(JsonErrorKind::Unexpected('N')));
        check("-", Err(JsonErrorKind::Eof));
        check(&"[".repeat(DEPTH_MAX + 1), Err(JsonErrorKind::TooDeep));
        assert!(
            parse_str(&format!(
                "{}{}",
                "[".repeat(DEPTH_MAX),
                "]".repeat(DEPTH_MAX)
            ))
            .is_ok()
        );
        assert_eq!(parse(b"\"\xff\"").unwrap_err().kind, JsonErrorKind::Utf8);
    }

    #[test]
    fn error_paths() {
        let e = parse_str(r#"{"receipt":{"value":{"price":{"amount":1.5}}}}"#).unwrap_err();
        assert_eq!(e.path, "receipt.value.price.amount");
        assert_eq!(e.kind, JsonErrorKind::Float);
        let e = parse_str(r#"{"a":[1,{"b":[0,01]}]}"#).unwrap_err();
        assert_eq!(e.path, "a[1].b[1]");
        assert_eq!(
            e.to_string(),
            "invalid JSON at a[1].b[1], byte 16: leading zeros are not allowed in numbers"
        );
    }
}
