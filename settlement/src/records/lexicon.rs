//! Validation of records against the lexicon files in `lexicons/`.
//!
//! The lexicon JSON is the single source of the records' shapes: this module
//! embeds the files at build time and walks them; no field list is repeated
//! in Rust. Unknown extra fields in a record are allowed and kept (they are
//! covered by signatures). A schema construct this walker does not know fails
//! closed.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use base64::Engine as _;

use super::cid::Cid;
use super::formats::check_format;
use super::json::{self, Map, Value};

/// The lexicon files this engine reads and writes, embedded at build time.
const FILES: &[(&str, &str)] = &[
    (
        "com.atproto.repo.strongRef",
        include_str!("../../../lexicons/com.atproto.repo.strongRef.json"),
    ),
    (
        "dev.cocore.compute.defs",
        include_str!("../../../lexicons/dev.cocore.compute.defs.json"),
    ),
    (
        "dev.cocore.compute.job",
        include_str!("../../../lexicons/dev.cocore.compute.job.json"),
    ),
    (
        "dev.cocore.compute.receipt",
        include_str!("../../../lexicons/dev.cocore.compute.receipt.json"),
    ),
    (
        "dev.cocore.compute.attestation",
        include_str!("../../../lexicons/dev.cocore.compute.attestation.json"),
    ),
    (
        "dev.cocore.compute.paymentAuthorization",
        include_str!("../../../lexicons/dev.cocore.compute.paymentAuthorization.json"),
    ),
    (
        "dev.cocore.compute.settlement",
        include_str!("../../../lexicons/dev.cocore.compute.settlement.json"),
    ),
    (
        "dev.cocore.compute.exchangePolicy",
        include_str!("../../../lexicons/dev.cocore.compute.exchangePolicy.json"),
    ),
    (
        "dev.cocore.compute.dispute",
        include_str!("../../../lexicons/dev.cocore.compute.dispute.json"),
    ),
    (
        "dev.settlement.computation",
        include_str!("../../../lexicons/dev.settlement.computation.json"),
    ),
    (
        "dev.settlement.inferenceProof",
        include_str!("../../../lexicons/dev.settlement.inferenceProof.json"),
    ),
    (
        "com.publicdomainrelay.temp.ccrfp",
        include_str!("../../../lexicons/com.publicdomainrelay.temp.ccrfp.json"),
    ),
    (
        "com.publicdomainrelay.temp.ccb",
        include_str!("../../../lexicons/com.publicdomainrelay.temp.ccb.json"),
    ),
    (
        "com.publicdomainrelay.temp.ccba",
        include_str!("../../../lexicons/com.publicdomainrelay.temp.ccba.json"),
    ),
    (
        "com.publicdomainrelay.temp.ccbap",
        include_str!("../../../lexicons/com.publicdomainrelay.temp.ccbap.json"),
    ),
    (
        "com.publicdomainrelay.temp.ccr",
        include_str!("../../../lexicons/com.publicdomainrelay.temp.ccr.json"),
    ),
    (
        "sh.tangled.graph.vouch",
        include_str!("../../../lexicons/sh.tangled.graph.vouch.json"),
    ),
];

/// A record or field that breaks its lexicon: where, and which rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {rule}")]
pub struct ValidationError {
    pub path: String,
    pub rule: String,
}

impl ValidationError {
    pub fn new(path: impl Into<String>, rule: impl Into<String>) -> Self {
        ValidationError {
            path: path.into(),
            rule: rule.into(),
        }
    }
}

/// The loaded lexicon documents, by NSID.
pub struct Lexicons {
    docs: BTreeMap<String, Value>,
}

static BUILTIN: OnceLock<Lexicons> = OnceLock::new();

impl Lexicons {
    /// The lexicons shipped in `lexicons/`. Their validity is a build-time
    /// fact checked by this module's tests, so a failure here is a bug.
    pub fn builtin() -> &'static Lexicons {
        BUILTIN.get_or_init(|| {
            Lexicons::load(FILES.iter().copied())
                .unwrap_or_else(|e| panic!("embedded lexicons are invalid: {e}"))
        })
    }

    pub fn load<'a>(
        files: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Lexicons, String> {
        let mut docs = BTreeMap::new();
        for (id, text) in files {
            let doc = json::parse_str(text).map_err(|e| format!("{id}: {e}"))?;
            if doc.get("id").and_then(Value::as_str) != Some(id) {
                return Err(format!("{id}: the file's id does not match"));
            }
            if doc.get("lexicon").and_then(Value::as_int) != Some(1) {
                return Err(format!("{id}: lexicon version must be 1"));
            }
            docs.insert(id.to_owned(), doc);
        }
        Ok(Lexicons { docs })
    }

    /// The NSIDs of the loaded documents.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.docs.keys().map(String::as_str)
    }

    fn def(&self, nsid: &str, name: &str) -> Option<&Value> {
        self.docs.get(nsid)?.get("defs")?.get(name)
    }

    /// Validates `value` as a record of collection `nsid`; `root` names it in
    /// error paths (`receipt.price.amount: ...`). The record's `$type` must
    /// be `nsid`.
    pub fn validate_record(
        &self,
        nsid: &str,
        value: &Value,
        root: &str,
    ) -> Result<(), ValidationError> {
        let main = self
            .def(nsid, "main")
            .filter(|d| d.get("type").and_then(Value::as_str) == Some("record"))
            .ok_or_else(|| {
                ValidationError::new(root, format!("no record lexicon {nsid:?} is known"))
            })?;
        let Value::Object(map) = value else {
            return Err(ValidationError::new(root, "must be an object"));
        };
        if map.get("$type").and_then(Value::as_str) != Some(nsid) {
            return Err(ValidationError::new(
                format!("{root}.$type"),
                format!("must be {nsid:?}"),
            ));
        }
        let schema = main
            .get("record")
            .ok_or_else(|| ValidationError::new(root, "schema error: record has no object"))?;
        let mut path = root.to_owned();
        self.check(nsid, schema, value, &mut path)
    }

    /// Validates `value` against definition `name` of document `nsid`.
    pub fn validate_def(
        &self,
        nsid: &str,
        name: &str,
        value: &Value,
        root: &str,
    ) -> Result<(), ValidationError> {
        let schema = self.def(nsid, name).ok_or_else(|| {
            ValidationError::new(root, format!("no definition {nsid}#{name} is known"))
        })?;
        let mut path = root.to_owned();
        self.check(nsid, schema, value, &mut path)
    }

    fn resolve<'s>(&'s self, ctx: &'s str, reference: &'s str) -> Option<(&'s str, &'s Value)> {
        let (nsid, name) = match reference.split_once('#') {
            Some(("", name)) => (ctx, name),
            Some((nsid, name)) => (nsid, name),
            None => (reference, "main"),
        };
        let (nsid, _) = self.docs.get_key_value(nsid)?;
        Some((nsid.as_str(), self.def(nsid, name)?))
    }

    /// `ctx` is the NSID that local `#refs` resolve in; `path` grows and
    /// shrinks as the walk descends.
    fn check(
        &self,
        ctx: &str,
        schema: &Value,
        value: &Value,
        path: &mut String,
    ) -> Result<(), ValidationError> {
        let err = |path: &str, rule: String| Err(ValidationError::new(path, rule));
        let kind = schema.get("type").and_then(Value::as_str).unwrap_or("");
        match kind {
            "ref" => {
                let reference = schema.get("ref").and_then(Value::as_str).unwrap_or("");
                let Some((nsid, target)) = self.resolve(ctx, reference) else {
                    return err(path, format!("schema error: unknown ref {reference:?}"));
                };
                self.check(nsid, target, value, path)
            }
            "object" | "params" => {
                let Value::Object(map) = value else {
                    return err(path, "must be an object".into());
                };
                self.check_object(ctx, schema, map, path)
            }
            "string" => {
                let Value::String(s) = value else {
                    return err(path, "must be a string".into());
                };
                check_string(schema, s).or_else(|rule| err(path, rule))
            }
            "integer" => {
                let rule = integer_rule(schema);
                let Value::Int(i) = value else {
                    return err(path, rule);
                };
                let min = schema.get("minimum").and_then(Value::as_int);
                let max = schema.get("maximum").and_then(Value::as_int);
                if min.is_some_and(|m| *i < m) || max.is_some_and(|m| *i > m) {
                    return err(path, rule);
                }
                check_enum(schema, value).or_else(|rule| err(path, rule))
            }
            "boolean" => {
                if !matches!(value, Value::Bool(_)) {
                    return err(path, "must be a boolean".into());
                }
                check_enum(schema, value).or_else(|rule| err(path, rule))
            }
            "array" => {
                let Value::Array(items) = value else {
                    return err(path, "must be an array".into());
                };
                let n = items.len() as i128;
                if let Some(max) = schema.get("maxLength").and_then(Value::as_int)
                    && n > max
                {
                    return err(path, format!("must have at most {max} items"));
                }
                if let Some(min) = schema.get("minLength").and_then(Value::as_int)
                    && n < min
                {
                    return err(path, format!("must have at least {min} items"));
                }
                let Some(item_schema) = schema.get("items") else {
                    return err(path, "schema error: array without items".into());
                };
                for (i, item) in items.iter().enumerate() {
                    let len = path.len();
                    path.push_str(&format!("[{i}]"));
                    self.check(ctx, item_schema, item, path)?;
                    path.truncate(len);
                }
                Ok(())
            }
            "unknown" => Ok(()),
            "bytes" => {
                let decoded = special(value, "$bytes").and_then(|s| {
                    base64::engine::general_purpose::STANDARD_NO_PAD
                        .decode(s)
                        .ok()
                });
                let Some(bytes) = decoded else {
                    return err(path, "must be {\"$bytes\": base64}".into());
                };
                let n = bytes.len() as i128;
                if let Some(max) = schema.get("maxLength").and_then(Value::as_int)
                    && n > max
                {
                    return err(path, format!("must be at most {max} bytes"));
                }
                Ok(())
            }
            "blob" => check_blob(schema, value).or_else(|rule| err(path, rule)),
            "cid-link" => match special(value, "$link").map(Cid::parse) {
                Some(Ok(_)) => Ok(()),
                _ => err(path, "must be {\"$link\": CID}".into()),
            },
            "union" => {
                let refs: Vec<&str> = match schema.get("refs") {
                    Some(Value::Array(r)) => r.iter().filter_map(Value::as_str).collect(),
                    _ => Vec::new(),
                };
                let Some(t) = value.get("$type").and_then(Value::as_str) else {
                    return err(path, "must be an object with $type".into());
                };
                let hit = refs.iter().find(|r| {
                    let full = if r.starts_with('#') {
                        format!("{ctx}{r}")
                    } else {
                        (**r).to_owned()
                    };
                    full == t || full.strip_suffix("#main") == Some(t)
                });
                match hit {
                    Some(r) => self.check(ctx, &ref_schema(r), value, path),
                    None if schema.get("closed") == Some(&Value::Bool(true)) => {
                        err(path, format!("$type must be one of: {}", refs.join(", ")))
                    }
                    None => Ok(()),
                }
            }
            other => err(path, format!("schema error: unsupported type {other:?}")),
        }
    }

    fn check_object(
        &self,
        ctx: &str,
        schema: &Value,
        map: &Map,
        path: &mut String,
    ) -> Result<(), ValidationError> {
        let empty = Map::new();
        let props = schema
            .get("properties")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let nullable: Vec<&str> = match schema.get("nullable") {
            Some(Value::Array(n)) => n.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        if let Some(Value::Array(required)) = schema.get("required") {
            for name in required.iter().filter_map(Value::as_str) {
                if !map.contains_key(name) {
                    return Err(ValidationError::new(
                        format!("{path}.{name}"),
                        "is required",
                    ));
                }
            }
        }
        for (name, field_schema) in props {
            let Some(v) = map.get(name) else { continue };
            let len = path.len();
            path.push('.');
            path.push_str(name);
            if !(matches!(v, Value::Null) && nullable.contains(&name.as_str())) {
                self.check(ctx, field_schema, v, path)?;
            }
            path.truncate(len);
        }
        Ok(())
    }
}

fn ref_schema(reference: &str) -> Value {
    let mut m = Map::new();
    m.insert("type".into(), "ref".into());
    m.insert("ref".into(), reference.into());
    Value::Object(m)
}

/// A blob reference: exactly `{"$type": "blob", "ref": {"$link": CID},
/// "mimeType", "size"}`, the CID raw (0x55) over SHA-256 as AT Protocol
/// blobs are, the MIME type among `accept` and the size within `maxSize`.
fn check_blob(schema: &Value, value: &Value) -> Result<(), String> {
    let shape = "must be {\"$type\": \"blob\", \"ref\": {\"$link\": CID}, \"mimeType\", \"size\"}";
    let Some(map) = value.as_object() else {
        return Err(shape.into());
    };
    if map.len() != 4 || map.get("$type").and_then(Value::as_str) != Some("blob") {
        return Err(shape.into());
    }
    let link = map
        .get("ref")
        .and_then(|r| special(r, "$link"))
        .ok_or(shape)?;
    let cid = Cid::parse(link).map_err(|e| format!("ref: {e}"))?;
    if cid.codec != crate::records::cid::CODEC_RAW {
        return Err("ref: must be a raw (0x55) CID".into());
    }
    let mime = map.get("mimeType").and_then(Value::as_str).ok_or(shape)?;
    let size = map
        .get("size")
        .and_then(Value::as_int)
        .filter(|n| *n >= 0)
        .ok_or(shape)?;
    if let Some(Value::Array(accept)) = schema.get("accept")
        && !accept.iter().any(|a| a.as_str() == Some(mime))
    {
        return Err(format!("mimeType {mime:?} is not accepted"));
    }
    if let Some(max) = schema.get("maxSize").and_then(Value::as_int)
        && size > max
    {
        return Err(format!("size must be at most {max} bytes"));
    }
    Ok(())
}

/// The string under `key` when `value` is exactly `{key: string}`.
fn special<'v>(value: &'v Value, key: &str) -> Option<&'v str> {
    let map = value.as_object()?;
    if map.len() != 1 {
        return None;
    }
    map.get(key)?.as_str()
}

fn integer_rule(schema: &Value) -> String {
    let min = schema.get("minimum").and_then(Value::as_int);
    let max = schema.get("maximum").and_then(Value::as_int);
    match (min, max) {
        (Some(a), Some(b)) => format!("must be an integer >= {a} and <= {b}"),
        (Some(a), None) => format!("must be an integer >= {a}"),
        (None, Some(b)) => format!("must be an integer <= {b}"),
        (None, None) => "must be an integer".into(),
    }
}

fn check_enum(schema: &Value, value: &Value) -> Result<(), String> {
    if let Some(c) = schema.get("const")
        && c != value
    {
        return Err(format!("must be {}", json::to_canonical_string(c)));
    }
    if let Some(Value::Array(options)) = schema.get("enum")
        && !options.contains(value)
    {
        let list: Vec<String> = options.iter().map(json::to_canonical_string).collect();
        return Err(format!("must be one of: {}", list.join(", ")));
    }
    Ok(())
}

fn check_string(schema: &Value, s: &str) -> Result<(), String> {
    let n = s.len() as i128;
    let min = schema.get("minLength").and_then(Value::as_int);
    let max = schema.get("maxLength").and_then(Value::as_int);
    match (min, max) {
        (Some(a), Some(b)) if a == b && n != a => {
            return Err(format!("must be exactly {a} bytes long"));
        }
        (Some(a), _) if n < a => return Err(format!("must be at least {a} bytes long")),
        (_, Some(b)) if n > b => return Err(format!("must be at most {b} bytes long")),
        _ => {}
    }
    if let Some(format) = schema.get("format").and_then(Value::as_str) {
        check_format(format, s).map_err(|rule| format!("must be {rule}"))?;
    }
    check_enum(schema, &Value::String(s.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::json::parse_str;

    #[test]
    fn blobs_are_raw_cids_of_an_accepted_type_and_size() {
        let lex = Lexicons::builtin();
        let raw = crate::records::cid::Cid::for_blob(b"proof").to_string();
        let record = |blob: &str| {
            parse_str(&format!(
                r#"{{"$type":"dev.settlement.inferenceProof","receipt":{{"uri":"at://did:plc:bobbobbobbobbobbobbobbob/dev.cocore.compute.receipt/3l2a","cid":"bafyreib2rxk3rybk3aobmv5cjuql3bm2twh4jo5uxgf5kpqcsgz7soitae"}},"proof":{blob},"createdAt":"2026-11-30T12:00:00.000Z","enclaveSignature":"AAAA"}}"#
            ))
            .unwrap()
        };
        let ok = format!(
            r#"{{"$type":"blob","ref":{{"$link":"{raw}"}},"mimeType":"application/octet-stream","size":5}}"#
        );
        lex.validate_record("dev.settlement.inferenceProof", &record(&ok), "proof")
            .unwrap();
        for (blob, rule) in [
            (
                ok.replace("application/octet-stream", "text/plain"),
                "not accepted",
            ),
            (
                ok.replace("\"size\":5", "\"size\":9000000"),
                "at most 8388608",
            ),
            (
                ok.replace(
                    &raw,
                    "bafyreib2rxk3rybk3aobmv5cjuql3bm2twh4jo5uxgf5kpqcsgz7soitae",
                ),
                "raw (0x55)",
            ),
            (ok.replace(r#""$type":"blob","#, ""), "must be {"),
            (
                ok.replace(r#","size":5"#, r#","size":5,"extra":1"#),
                "must be {",
            ),
        ] {
            let e = lex
                .validate_record("dev.settlement.inferenceProof", &record(&blob), "proof")
                .unwrap_err();
            assert_eq!(e.path, "proof.proof", "{e}");
            assert!(e.rule.contains(rule), "{e} does not say {rule}");
        }
    }

    /// Every `ref` in every embedded lexicon resolves and every `type` and
    /// `format` is one the walker knows.
    #[test]
    fn embedded_lexicons_are_complete() {
        let lex = Lexicons::builtin();
        assert_eq!(lex.ids().count(), FILES.len());
        fn walk(lex: &Lexicons, ctx: &str, v: &Value) {
            match v {
                Value::Object(m) => {
                    if let Some(Value::String(t)) = m.get("type") {
                        assert!(
                            [
                                "record", "object", "ref", "string", "integer", "boolean", "array",
                                "unknown", "bytes", "cid-link", "union", "params", "blob"
                            ]
                            .contains(&t.as_str()),
                            "{ctx}: type {t}"
                        );
                        if t == "ref" {
                            let r = m["ref"].as_str().unwrap();
                            assert!(lex.resolve(ctx, r).is_some(), "{ctx}: unresolved ref {r}");
                        }
                    }
                    if let Some(Value::String(f)) = m.get("format") {
                        assert_ne!(format_probe(f), "unknown", "{ctx}: format {f}");
                    }
                    m.values().for_each(|x| walk(lex, ctx, x));
                }
                Value::Array(a) => a.iter().for_each(|x| walk(lex, ctx, x)),
                _ => {}
            }
        }
        fn format_probe(f: &str) -> &'static str {
            match f {
                "did" | "at-uri" | "datetime" | "nsid" | "tid" | "record-key" | "handle"
                | "at-identifier" | "uri" | "cid" => "known",
                _ => "unknown",
            }
        }
        for (id, doc) in &lex.docs {
            walk(lex, id, doc);
        }
    }

    fn money(json: &str) -> Result<(), String> {
        let v = parse_str(json).unwrap();
        Lexicons::builtin()
            .validate_def("dev.cocore.compute.defs", "money", &v, "receipt.price")
            .map_err(|e| e.to_string())
    }

    #[test]
    fn money_rules() {
        assert_eq!(money(r#"{"amount":0,"currency":"USD"}"#), Ok(()));
        assert_eq!(
            money(r#"{"amount":18446744073709551615,"currency":"USDC"}"#),
            Ok(())
        );
        assert_eq!(
            money(r#"{"amount":-1,"currency":"USD"}"#).unwrap_err(),
            "receipt.price.amount: must be an integer >= 0"
        );
        assert_eq!(
            money(r#"{"amount":"5","currency":"USD"}"#).unwrap_err(),
            "receipt.price.amount: must be an integer >= 0"
        );
        assert_eq!(
            money(r#"{"currency":"USD"}"#).unwrap_err(),
            "receipt.price.amount: is required"
        );
        assert_eq!(
            money(r#"{"amount":1,"currency":"US"}"#).unwrap_err(),
            "receipt.price.currency: must be at least 3 bytes long"
        );
        assert_eq!(
            money(r#"{"amount":1,"currency":"USDOLLARS"}"#).unwrap_err(),
            "receipt.price.currency: must be at most 8 bytes long"
        );
        // Lengths count UTF-8 bytes: three characters, six bytes, is fine; five
        // characters of two bytes each are ten bytes, too many.
        assert_eq!(money(r#"{"amount":1,"currency":"ééé"}"#), Ok(()));
        assert!(money(r#"{"amount":1,"currency":"ééééé"}"#).is_err());
        assert_eq!(
            money(r#"[]"#).unwrap_err(),
            "receipt.price: must be an object"
        );
        // Extra fields are allowed.
        assert_eq!(money(r#"{"amount":1,"currency":"USD","note":"x"}"#), Ok(()));
    }

    #[test]
    fn record_type_must_match() {
        let lex = Lexicons::builtin();
        let v = parse_str(r#"{"$type":"dev.cocore.compute.job"}"#).unwrap();
        let e = lex
            .validate_record("dev.cocore.compute.receipt", &v, "receipt")
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "receipt.$type: must be \"dev.cocore.compute.receipt\""
        );
        let e = lex
            .validate_record("dev.cocore.compute.job", &v, "job")
            .unwrap_err();
        assert_eq!(e.to_string(), "job.model: is required");
        let e = lex
            .validate_record("dev.cocore.compute.nope", &v, "x")
            .unwrap_err();
        assert!(e.rule.contains("no record lexicon"));
    }

    #[test]
    fn arrays_and_formats() {
        let lex = Lexicons::builtin();
        let mut job = parse_str(
            r#"{"$type":"dev.cocore.compute.job","model":"m","inputCommitment":"0000000000000000000000000000000000000000000000000000000000000000",
            "maxTokensOut":1,"priceCeiling":{"amount":1,"currency":"USD"},"acceptedTrustLevel":"self-attested",
            "paymentAuthorization":{"uri":"at://did:web:a.example/dev.cocore.compute.paymentAuthorization/3kabc2def3ghi","cid":"bafyreib2rxk3rybk3aobmv5cjuql3bm2twh4jo5uxgf5kpqcsgz7soitae"},
            "nonce":"00000000000000000000000000000000","expiresAt":"2026-01-01T00:00:00Z","createdAt":"2026-01-01T00:00:00Z"}"#,
        )
        .unwrap();
        assert_eq!(
            lex.validate_record("dev.cocore.compute.job", &job, "job"),
            Ok(())
        );
        let Value::Object(m) = &mut job else {
            unreachable!()
        };
        m.insert(
            "acceptedProviders".into(),
            Value::Array(vec!["did:web:ok.example".into(), "nope".into()]),
        );
        let e = lex
            .validate_record("dev.cocore.compute.job", &job, "job")
            .unwrap_err();
        assert_eq!(e.path, "job.acceptedProviders[1]");
        assert!(e.rule.starts_with("must be a DID"), "{e}");
        let Value::Object(m) = &mut job else {
            unreachable!()
        };
        m.insert(
            "acceptedProviders".into(),
            Value::Array(vec!["did:web:ok.example".into(); 65]),
        );
        let e = lex
            .validate_record("dev.cocore.compute.job", &job, "job")
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "job.acceptedProviders: must have at most 64 items"
        );
        let Value::Object(m) = &mut job else {
            unreachable!()
        };
        m.remove("acceptedProviders");
        m.insert("maxTokensOut".into(), Value::Int(2_000_001));
        let e = lex
            .validate_record("dev.cocore.compute.job", &job, "job")
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "job.maxTokensOut: must be an integer >= 1 and <= 2000000"
        );
    }
}
