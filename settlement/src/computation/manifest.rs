//! A CocosAI computation manifest, parsed strictly as its documentation
//! gives it: `id`, `name`, `description`, `datasets[{hash, userKey}]`,
//! `algorithm{hash, userKey}`, `result_consumers[{userKey}]` and
//! `agent_config`. Its hash is the SHA3-256 of the compact JSON's bytes,
//! what `cocos-cli checksum --manifest` prints.
//!
//! A manifest whose `agent_config.key_file` holds a private key (or any
//! string holding one) is refused, not stripped: the record that carries
//! it is public, so the key would already be disclosed, and a stripped
//! manifest would hash differently from the one the agent runs. The
//! refusal never repeats the value.

use aws_lc_rs::digest::{SHA3_256, digest};

use super::keys::UserKey;
use crate::records::formats::lower_hex as hex;
use crate::records::json::{self, Map, Value};
use crate::records::lexicon::ValidationError;

/// At most this many datasets and result consumers each.
const LIST_MAX: usize = 1024;

/// One asset a party brings: its file's SHA3-256 and the party's key.
#[derive(Debug)]
pub struct Asset {
    pub hash: String,
    pub key: UserKey,
}

#[derive(Debug)]
pub struct Manifest {
    pub id: String,
    pub name: String,
    pub description: String,
    pub datasets: Vec<Asset>,
    pub algorithm: Option<Asset>,
    pub result_consumers: Vec<UserKey>,
    /// SHA3-256 of the manifest's bytes, lowercase hex.
    pub hash: String,
}

/// SHA3-256 of `text`'s UTF-8 bytes, lowercase hex.
pub fn checksum(text: &str) -> String {
    hex(digest(&SHA3_256, text.as_bytes()).as_ref())
}

fn err(path: String, rule: impl Into<String>) -> ValidationError {
    ValidationError::new(path, rule)
}

/// Parses a manifest; `root` names it in errors.
pub fn parse(text: &str, root: &str) -> Result<Manifest, ValidationError> {
    let value = json::parse_str(text).map_err(|e| err(root.into(), e.to_string()))?;
    refuse_private_keys(&value, root)?;
    let top = object(&value, root.to_owned())?;
    allow_only(
        top,
        root,
        &[
            "id",
            "name",
            "description",
            "datasets",
            "algorithm",
            "result_consumers",
            "agent_config",
        ],
    )?;
    let datasets = list(top, root, "datasets")?
        .iter()
        .enumerate()
        .map(|(i, v)| asset(v, format!("{root}.datasets[{i}]")))
        .collect::<Result<Vec<_>, _>>()?;
    let algorithm = match top.get("algorithm") {
        None => None,
        Some(v) => Some(asset(v, format!("{root}.algorithm"))?),
    };
    let result_consumers = list(top, root, "result_consumers")?
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let path = format!("{root}.result_consumers[{i}]");
            let o = object(v, path.clone())?;
            allow_only(o, &path, &["userKey"])?;
            user_key(o, &path)
        })
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(v) = top.get("agent_config") {
        agent_config(v, format!("{root}.agent_config"))?;
    }
    Ok(Manifest {
        id: string(top, root, "id")?,
        name: string(top, root, "name")?,
        description: string(top, root, "description")?,
        datasets,
        algorithm,
        result_consumers,
        hash: checksum(text),
    })
}

/// No string anywhere in the manifest may hold a private key.
fn refuse_private_keys(v: &Value, path: &str) -> Result<(), ValidationError> {
    match v {
        Value::String(s) if s.contains("PRIVATE KEY") => Err(err(
            path.into(),
            "holds a private key; a computation record is public, so publish the manifest without \
             it (the value is not repeated here)",
        )),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .try_for_each(|(i, x)| refuse_private_keys(x, &format!("{path}[{i}]"))),
        Value::Object(m) => m
            .iter()
            .try_for_each(|(k, x)| refuse_private_keys(x, &format!("{path}.{k}"))),
        _ => Ok(()),
    }
}

fn object(v: &Value, path: String) -> Result<&Map, ValidationError> {
    v.as_object().ok_or_else(|| err(path, "must be an object"))
}

fn allow_only(o: &Map, path: &str, keys: &[&str]) -> Result<(), ValidationError> {
    match o.keys().find(|k| !keys.contains(&k.as_str())) {
        Some(k) => Err(err(
            format!("{path}.{k}"),
            format!(
                "is not a manifest field (expected one of {})",
                keys.join(", ")
            ),
        )),
        None => Ok(()),
    }
}

fn string(o: &Map, path: &str, k: &str) -> Result<String, ValidationError> {
    match o.get(k) {
        None => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(err(format!("{path}.{k}"), "must be a string")),
    }
}

fn list<'a>(o: &'a Map, path: &str, k: &str) -> Result<&'a [Value], ValidationError> {
    match o.get(k) {
        None => Ok(&[]),
        Some(Value::Array(items)) if items.len() <= LIST_MAX => Ok(items),
        Some(Value::Array(_)) => Err(err(
            format!("{path}.{k}"),
            format!("must have at most {LIST_MAX} items"),
        )),
        Some(_) => Err(err(format!("{path}.{k}"), "must be an array")),
    }
}

fn user_key(o: &Map, path: &str) -> Result<UserKey, ValidationError> {
    let text = match o.get("userKey") {
        Some(Value::String(s)) => s,
        Some(_) => return Err(err(format!("{path}.userKey"), "must be a string")),
        None => return Err(err(format!("{path}.userKey"), "is required")),
    };
    UserKey::parse(text).map_err(|rule| err(format!("{path}.userKey"), rule))
}

fn asset(v: &Value, path: String) -> Result<Asset, ValidationError> {
    let o = object(v, path.clone())?;
    allow_only(o, &path, &["hash", "userKey"])?;
    let hash = match o.get("hash") {
        Some(Value::String(s))
            if s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) =>
        {
            s.clone()
        }
        Some(_) => {
            return Err(err(
                format!("{path}.hash"),
                "must be a SHA3-256 as 64 lowercase hex characters",
            ));
        }
        None => return Err(err(format!("{path}.hash"), "is required")),
    };
    Ok(Asset {
        hash,
        key: user_key(o, &path)?,
    })
}

fn agent_config(v: &Value, path: String) -> Result<(), ValidationError> {
    let o = object(v, path.clone())?;
    const STRINGS: [&str; 5] = [
        "port",
        "cert_file",
        "key_file",
        "server_ca_file",
        "client_ca_file",
    ];
    for (k, x) in o {
        let ok = match k.as_str() {
            "attested_tls" => matches!(x, Value::Bool(_)),
            k if STRINGS.contains(&k) => matches!(x, Value::String(_)),
            _ => {
                return Err(err(
                    format!("{path}.{k}"),
                    "is not an agent_config field (port, cert_file, key_file, server_ca_file, \
                     client_ca_file, attested_tls)",
                ));
            }
        };
        if !ok {
            let kind = if k == "attested_tls" {
                "a boolean"
            } else {
                "a string"
            };
            return Err(err(format!("{path}.{k}"), format!("must be {kind}")));
        }
    }
    if o.get("key_file")
        .and_then(Value::as_str)
        .is_some_and(|s| !s.is_empty())
    {
        return Err(err(
            format!("{path}.key_file"),
            "must be empty: a computation record is public, and a private key published in it is \
             disclosed (the value is not repeated here)",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::computation::keys::KeyKind;
    use crate::computation::testkeys::TestKey;

    #[test]
    fn the_cocos_checksum_vector() {
        let text = r#"{"id":"1234","name":"Example Computation","description":"This is an example computation"}"#;
        assert_eq!(
            checksum(text),
            "c8344428fca26ed8c4dfee031cf1459ebcf81bd6cb5f4318f72b3bbd68782146"
        );
        let m = parse(text, "manifest").unwrap();
        assert_eq!(m.hash, checksum(text));
        assert_eq!(m.name, "Example Computation");
        assert!(m.algorithm.is_none() && m.datasets.is_empty());
    }

    fn full(key_file: &str) -> String {
        let a = TestKey::generate(KeyKind::Rsa);
        let d = TestKey::generate(KeyKind::P384);
        let c = TestKey::generate(KeyKind::Ed25519);
        let mut m = Map::new();
        m.insert("id".into(), "1".into());
        let asset = |k: &TestKey, h: &str| {
            let mut o = Map::new();
            o.insert("hash".into(), h.repeat(64).into());
            o.insert("userKey".into(), k.pem().into());
            Value::Object(o)
        };
        m.insert("algorithm".into(), asset(&a, "a"));
        m.insert("datasets".into(), Value::Array(vec![asset(&d, "d")]));
        let mut rc = Map::new();
        rc.insert("userKey".into(), c.base64().into());
        m.insert(
            "result_consumers".into(),
            Value::Array(vec![Value::Object(rc)]),
        );
        let mut ac = Map::new();
        ac.insert("port".into(), "7002".into());
        ac.insert("key_file".into(), key_file.into());
        ac.insert("attested_tls".into(), true.into());
        m.insert("agent_config".into(), Value::Object(ac));
        json::to_canonical_string(&Value::Object(m))
    }

    #[test]
    fn a_full_manifest_parses_with_its_keys() {
        let m = parse(&full(""), "manifest").unwrap();
        assert_eq!(m.algorithm.as_ref().unwrap().key.kind, KeyKind::Rsa);
        assert_eq!(m.datasets[0].key.kind, KeyKind::P384);
        assert_eq!(m.datasets[0].hash, "d".repeat(64));
        assert_eq!(m.result_consumers[0].kind, KeyKind::Ed25519);
    }

    #[test]
    fn a_private_key_is_refused_and_never_echoed() {
        for secret in [
            "-----BEGIN PRIVATE KEY-----\nSECRETSECRET\n-----END PRIVATE KEY-----",
            "SECRETSECRET",
        ] {
            let e = parse(&full(secret), "manifest").unwrap_err();
            assert_eq!(e.path, "manifest.agent_config.key_file", "{e}");
            assert!(!e.to_string().contains("SECRETSECRET"), "{e}");
        }
    }

    #[test]
    fn strict_fields() {
        let cases = [
            (r#"{"id":"1","extra":1}"#, "manifest.extra"),
            (r#"{"id":1}"#, "manifest.id"),
            (
                r#"{"algorithm":{"hash":"AB","userKey":"x"}}"#,
                "manifest.algorithm.hash",
            ),
            (r#"{"datasets":{}}"#, "manifest.datasets"),
            (
                r#"{"result_consumers":[{}]}"#,
                "manifest.result_consumers[0].userKey",
            ),
            (
                r#"{"agent_config":{"port":7002}}"#,
                "manifest.agent_config.port",
            ),
            (
                r#"{"agent_config":{"tee":true}}"#,
                "manifest.agent_config.tee",
            ),
            (r#"{"id":"1","id":"2"}"#, "manifest"),
            (r#"{"id":"1.5","n":1.5}"#, "manifest"),
        ];
        for (text, path) in cases {
            let e = parse(text, "manifest").unwrap_err();
            assert_eq!(e.path, path, "{text}: {e}");
        }
    }
}
