//! The exchange's DID document: the key its settlements are signed with,
//! as the verification method `#settlement` (a P-256 Multikey), and its
//! API as the service `#settlement_exchange`. A did:web exchange serves it
//! at `/.well-known/did.json`; an auditor reads the settlement key from it,
//! never from the server it audits. Pure.

use p256::ecdsa::VerifyingKey;

use crate::records::json::{Map, Value};
use crate::verify::atkey::AtKey;

/// The fragment of the settlement key's verification method.
pub const SETTLEMENT_KEY: &str = "#settlement";
/// The fragment and type of the API's service entry.
pub const SERVICE_ID: &str = "#settlement_exchange";
pub const SERVICE_TYPE: &str = "SettlementExchange";
/// Largest DID document read.
pub const DOCUMENT_BYTES_MAX: usize = 64 * 1024;

/// Where a did:web exchange serves its API: the DID's host, over https
/// (http only on loopback, for development). `None` for other methods.
pub fn api_url(did: &str) -> Option<String> {
    let host = did.strip_prefix("did:web:")?;
    if host.is_empty() || host.contains(':') {
        return None;
    }
    let host = host.replacen("%3A", ":", 1);
    if host.contains('%') {
        return None;
    }
    let name = host.split(':').next().unwrap_or("");
    let loopback = matches!(name, "localhost" | "127.0.0.1");
    Some(format!(
        "{}://{host}",
        if loopback { "http" } else { "https" }
    ))
}

/// The document of exchange `did` whose settlements `key` signs, its API
/// at `endpoint`.
pub fn document(did: &str, key: &VerifyingKey, endpoint: &str) -> Value {
    let mut method = Map::new();
    method.insert("id".into(), format!("{did}{SETTLEMENT_KEY}").into());
    method.insert("type".into(), "Multikey".into());
    method.insert("controller".into(), did.into());
    method.insert(
        "publicKeyMultibase".into(),
        AtKey::P256(*key).to_multibase().into(),
    );
    let mut service = Map::new();
    service.insert("id".into(), SERVICE_ID.into());
    service.insert("type".into(), SERVICE_TYPE.into());
    service.insert("serviceEndpoint".into(), endpoint.into());
    let mut m = Map::new();
    m.insert(
        "@context".into(),
        Value::Array(vec![
            "https://www.w3.org/ns/did/v1".into(),
            "https://w3id.org/security/multikey/v1".into(),
        ]),
    );
    m.insert("id".into(), did.into());
    m.insert(
        "verificationMethod".into(),
        Value::Array(vec![Value::Object(method)]),
    );
    m.insert(
        "assertionMethod".into(),
        Value::Array(vec![format!("{did}{SETTLEMENT_KEY}").into()]),
    );
    m.insert("service".into(), Value::Array(vec![Value::Object(service)]));
    Value::Object(m)
}

/// The settlement key `doc` states for exchange `did`: the document is
/// `did`'s, and its `#settlement` method is a P-256 Multikey controlled by
/// `did`. Every refusal names the field.
pub fn settlement_key(doc: &Value, did: &str) -> Result<VerifyingKey, String> {
    let id = doc.get("id").and_then(Value::as_str).unwrap_or("");
    if id != did {
        return Err(format!("id: the document is {id:?}'s, not {did:?}'s"));
    }
    let Some(Value::Array(methods)) = doc.get("verificationMethod") else {
        return Err("verificationMethod: must be an array".into());
    };
    let full = format!("{did}{SETTLEMENT_KEY}");
    let mut named = methods.iter().filter(|m| {
        let id = m.get("id").and_then(Value::as_str);
        id == Some(full.as_str()) || id == Some(SETTLEMENT_KEY)
    });
    let method = named
        .next()
        .ok_or_else(|| format!("verificationMethod: no {SETTLEMENT_KEY} key"))?;
    if named.next().is_some() {
        // Two keys of one name: which one signs is anyone's guess.
        return Err(format!(
            "verificationMethod: more than one {SETTLEMENT_KEY} key"
        ));
    }
    if method.get("type").and_then(Value::as_str) != Some("Multikey") {
        return Err(format!(
            "verificationMethod {SETTLEMENT_KEY}: type must be Multikey"
        ));
    }
    let controller = method.get("controller").and_then(Value::as_str);
    if controller != Some(did) {
        return Err(format!(
            "verificationMethod {SETTLEMENT_KEY}: controller {controller:?} is not {did:?}"
        ));
    }
    let text = method
        .get("publicKeyMultibase")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            format!("verificationMethod {SETTLEMENT_KEY}: publicKeyMultibase is required")
        })?;
    match AtKey::from_multibase(text) {
        Ok(AtKey::P256(k)) => Ok(k),
        Ok(AtKey::K256(_)) => Err(format!(
            "verificationMethod {SETTLEMENT_KEY}: settlements are signed with P-256, not secp256k1"
        )),
        Err(e) => Err(format!("verificationMethod {SETTLEMENT_KEY}: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::json;

    #[test]
    fn a_document_gives_back_its_key() {
        let key = *crate::testkit::key("did document key").verifying_key();
        let did = "did:web:exchange.example";
        let doc = document(did, &key, "https://exchange.example");
        assert_eq!(settlement_key(&doc, did), Ok(key));
        // Through text, as an auditor reads it.
        let text = json::to_canonical_string(&doc);
        assert_eq!(
            settlement_key(&json::parse_str(&text).unwrap(), did),
            Ok(key)
        );
        let e = settlement_key(&doc, "did:web:other.example").unwrap_err();
        assert!(e.starts_with("id:"), "{e}");
        let other = *crate::testkit::key("another").verifying_key();
        assert_ne!(settlement_key(&document(did, &other, "x"), did), Ok(key));
        // A second #settlement key, or none controlled by the DID: refused.
        let mut two = document(did, &key, "x");
        if let Value::Object(m) = &mut two
            && let Some(Value::Array(methods)) = m.get_mut("verificationMethod")
        {
            let mut copy = methods[0].clone();
            if let Value::Object(c) = &mut copy {
                c.insert("id".into(), SETTLEMENT_KEY.into());
                c.insert(
                    "publicKeyMultibase".into(),
                    AtKey::P256(other).to_multibase().into(),
                );
            }
            methods.push(copy);
        }
        assert!(
            settlement_key(&two, did)
                .unwrap_err()
                .contains("more than one")
        );
        let mut orphan = document(did, &key, "x");
        if let Value::Object(m) = &mut orphan
            && let Some(Value::Array(methods)) = m.get_mut("verificationMethod")
            && let Value::Object(first) = &mut methods[0]
        {
            first.remove("controller");
        }
        assert!(
            settlement_key(&orphan, did)
                .unwrap_err()
                .contains("controller")
        );
    }

    #[test]
    fn the_api_is_at_the_did_web_host() {
        assert_eq!(
            api_url("did:web:exchange.example").as_deref(),
            Some("https://exchange.example")
        );
        assert_eq!(
            api_url("did:web:localhost%3A8080").as_deref(),
            Some("http://localhost:8080")
        );
        assert_eq!(api_url("did:plc:aaaaaaaaaaaaaaaaaaaaaaaa"), None);
        assert_eq!(api_url("did:web:exa%2Fmple.com"), None);
    }
}
