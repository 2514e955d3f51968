//! The proof-of-inference evidence of one settlement, re-checked from
//! public data: what the signed settlement states (`inferenceProof`), the
//! verdict the exchange serves (`/v1/inference/verdicts`), the provider's
//! proof record, the proof's bytes, the receipt and its attestation. The
//! binding and the native checks run again here; the verifier's model
//! replay is taken from its stated answer, which must be a pass or a hold
//! under its own mode. A settlement that states no evidence was charged
//! without the gate (the gate may have been off, or the model not named,
//! at the time), which nothing public can contradict.

use super::*;
use crate::inference::record::{self, InferenceProof};
use crate::inference::{self, Mode, Verdict};

fn found(subject: &str, check: &'static str, detail: String) -> Discrepancy {
    Discrepancy {
        subject: subject.to_owned(),
        check,
        detail,
    }
}

impl Api {
    /// `GET path`, the raw answer read up to `limit` bytes.
    async fn get_bytes(
        &self,
        path: &str,
        limit: usize,
    ) -> Result<(u16, Result<Vec<u8>, String>), AuditError> {
        let resp = self
            .client
            .get(self.url_with(path, None))
            .send()
            .await
            .map_err(|e| AuditError::Unreachable {
                server: self.base.to_string(),
                detail: error_chain(&e),
            })?;
        let status = resp.status().as_u16();
        Ok((status, crate::egress::read_bounded(resp, limit).await))
    }
}

impl Auditor {
    /// The checks of one listed settlement's evidence: the names of those
    /// that failed.
    pub(super) async fn inference(
        &mut self,
        item: &Value,
    ) -> Result<Vec<&'static str>, AuditError> {
        let value = item.get("value");
        let (Some(uri), Some(receipt_uri), Some(stated)) = (
            item.get("uri").and_then(Value::as_str),
            value
                .and_then(|v| v.get("receipt"))
                .and_then(|r| r.get("uri"))
                .and_then(Value::as_str),
            value.and_then(|v| v.get("inferenceProof")),
        ) else {
            return Ok(Vec::new());
        };
        let Source::Api(api) = &self.source else {
            return Ok(Vec::new());
        };
        let reply = api
            .get_with(
                "/v1/inference/verdicts",
                Some(("settlement", uri)),
                RECORD_BYTES_MAX,
            )
            .await?;
        let stated = stated.clone();
        let found = match (reply.status, reply.body) {
            (200, Ok(v)) => self.evidence(uri, receipt_uri, &stated, &v).await?,
            (status, _) => vec![found(
                uri,
                "inference-verdict-invalid",
                format!(
                    "the settlement states a proof, and GET /v1/inference/verdicts answered {status}"
                ),
            )],
        };
        let names = found.iter().map(|d| d.check).collect();
        self.discrepancies.extend(found);
        Ok(names)
    }

    async fn evidence(
        &mut self,
        uri: &str,
        receipt_uri: &str,
        signed: &Value,
        v: &Value,
    ) -> Result<Vec<Discrepancy>, AuditError> {
        let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
        let (status, stated, verifier) = (s("status"), s("verdict"), s("verifier"));
        let mut out = Vec::new();
        // What the exchange serves is what it signed, and a verdict that
        // charges under its verifier's mode.
        let said = |k: &str| signed.get(k).and_then(Value::as_str).unwrap_or("");
        let proof_said = |k: &str| {
            signed
                .get("proof")
                .and_then(|p| p.get(k))
                .and_then(Value::as_str)
                .unwrap_or("")
        };
        let served = |k: &str| {
            v.get("proof")
                .and_then(|p| p.get(k))
                .and_then(Value::as_str)
                .unwrap_or("")
        };
        let as_signed = said("status") == status
            && said("verdict") == stated
            && said("verifier") == verifier
            && proof_said("uri") == served("uri")
            && proof_said("cid") == served("cid");
        let mode = verifier
            .strip_prefix("tensorcash:")
            .and_then(|r| r.split('@').next())
            .and_then(Mode::parse);
        let charges = match (mode, Verdict::parse(&stated)) {
            (Some(m), Some(vd)) => {
                vd != Verdict::Refuse && inference::request::verdict(&status, m) == vd
            }
            _ => false,
        };
        if !as_signed || !charges || s("settlement") != uri || s("receipt") != receipt_uri {
            out.push(found(
                uri,
                "inference-verdict-invalid",
                format!(
                    "verdict {stated:?} from {verifier:?} answering {status:?}{}{}",
                    if as_signed {
                        ""
                    } else {
                        ", not the one the settlement states"
                    },
                    if charges {
                        ""
                    } else {
                        ", does not charge this receipt"
                    }
                ),
            ));
        }
        let (proof_uri, proof_cid) = (served("uri"), served("cid"));
        let record = match self.record::<InferenceProof>(proof_uri, "proof").await? {
            Ok(r) => r,
            Err(d) => {
                out.push(found(uri, d.check, d.detail));
                return Ok(out);
            }
        };
        if record.cid.to_string() != proof_cid {
            out.push(found(
                uri,
                "proof-cid-mismatch",
                format!(
                    "the verdict names {proof_cid}, the record has CID {}",
                    record.cid
                ),
            ));
        }
        // Either missing is already a discrepancy of the settlement.
        let Ok(receipt) = self.record::<Receipt>(receipt_uri, "receipt").await? else {
            return Ok(out);
        };
        let attestation_uri = receipt.data.attestation.uri.to_string();
        let Ok(attestation) = self
            .record::<Attestation>(&attestation_uri, "attestation")
            .await?
        else {
            return Ok(out);
        };
        let Source::Api(api) = &self.source else {
            return Ok(out);
        };
        let blob = record.data.blob.to_string();
        let (code, bytes) = api
            .get_bytes(
                &format!("/v1/inference/proofs/{blob}"),
                inference::proof::MAX_PROOF_BYTES,
            )
            .await?;
        let bytes = match (code, bytes) {
            (200, Ok(b)) => b,
            (code, _) => {
                out.push(found(
                    uri,
                    "inference-proof-missing",
                    format!("GET /v1/inference/proofs/{blob} answered {code}"),
                ));
                return Ok(out);
            }
        };
        let key = match crate::verify::crypto::parse_public_key(&attestation.data.public_key) {
            Ok(k) => k,
            Err(e) => {
                out.push(found(
                    uri,
                    "inference-proof-mismatch",
                    format!("the attestation's key: {e}"),
                ));
                return Ok(out);
            }
        };
        match inference::decode(&bytes) {
            Err(e) => out.push(found(uri, "inference-proof-invalid", e.0)),
            Ok(p) => {
                if let Err(m) = record::bind(&record, &receipt, &key, &bytes, &p) {
                    out.push(found(uri, "inference-proof-mismatch", m.to_string()));
                }
                if let Some(c) = inference::check(&p).failed() {
                    out.push(found(
                        uri,
                        "inference-proof-invalid",
                        format!("the {} check fails: {}", c.name, c.detail),
                    ));
                }
            }
        }
        Ok(out)
    }
}
