//! Attacks on signatures: the receipt's enclaveSignature forged,
//! missing or malformed, signed content changed after signing, and
//! attestations.

use super::*;

/// The signature cases, in catalogue order.
pub(super) fn cases() -> Vec<Case> {
    vec![
        // -- The receipt's enclaveSignature: forged, missing, malformed.
        case(
            "signature: one bit of s flipped",
            "settle",
            422,
            "signature-invalid",
            after(|s, _| {
                let mut d = der(s);
                *d.last_mut().unwrap() ^= 1;
                set_der(s, &d);
            }),
        ),
        case(
            "signature: one bit of r flipped",
            "settle",
            422,
            "signature-invalid",
            after(|s, _| {
                let mut d = der(s);
                d[8] ^= 0x10;
                set_der(s, &d);
            }),
        ),
        case(
            "signature: truncated DER",
            "settle",
            422,
            "signature-invalid",
            after(|s, _| {
                let d = der(s);
                set_der(s, &d[..d.len() - 1]);
            }),
        ),
        case(
            "signature: trailing byte after the DER",
            "settle",
            422,
            "signature-invalid",
            after(|s, _| {
                let mut d = der(s);
                d.push(0);
                set_der(s, &d);
            }),
        ),
        case(
            "signature: r = 0",
            "settle",
            422,
            "signature-invalid",
            after(|s, _| {
                let (_, sv) = der_integers(&der(s));
                set_der(s, &der_of(&[0], &sv));
            }),
        ),
        case(
            "signature: s = n, out of range",
            "settle",
            422,
            "signature-invalid",
            after(|s, _| {
                let (r, _) = der_integers(&der(s));
                set_der(s, &der_of(&r, &integer(&ORDER)));
            }),
        ),
        case(
            "signature: r = 2^256 - 1, out of range",
            "settle",
            422,
            "signature-invalid",
            after(|s, _| {
                let (_, sv) = der_integers(&der(s));
                set_der(s, &der_of(&integer(&[0xff; 32]), &sv));
            }),
        ),
        case(
            "signature: r with a superfluous leading zero (non-minimal DER)",
            "settle",
            422,
            "signature-invalid",
            after(|s, _| {
                let (r, sv) = der_integers(&der(s));
                let mut padded = vec![0];
                padded.extend_from_slice(&r);
                set_der(s, &der_of(&padded, &sv));
            }),
        ),
        case(
            "signature: SEQUENCE length in long form",
            "settle",
            422,
            "signature-invalid",
            after(|s, _| {
                let d = der(s);
                let mut long = vec![0x30, 0x81];
                long.extend_from_slice(&d[1..]);
                set_der(s, &long);
            }),
        ),
        case(
            "signature: raw r||s (64 bytes) instead of DER",
            "settle",
            422,
            "signature-invalid",
            after(|s, _| {
                let (r, sv) = der_integers(&der(s));
                let mut p1363 = to_32(&r).to_vec();
                p1363.extend_from_slice(&to_32(&sv));
                set_der(s, &p1363);
            }),
        ),
        case(
            "signature: not base64",
            "settle",
            422,
            "signature-invalid",
            after(|s, _| set_signature(s, "!!not-base64!!")),
        ),
        case(
            "signature: base64 with a line break",
            "settle",
            422,
            "signature-invalid",
            after(|s, _| {
                let b64 = B64.encode(der(s));
                set_signature(s, &format!("{}\n{}", &b64[..40], &b64[40..]));
            }),
        ),
        case(
            "signature: the attestation's selfSignature copied in",
            "settle",
            422,
            "signature-invalid",
            after(|s, _| {
                let sig = s.attestation.value.get("selfSignature").cloned().unwrap();
                object_mut(&mut s.receipt.value).insert("enclaveSignature".into(), sig);
            }),
        ),
        case(
            "signature: by a key that is not the attestation's",
            "settle",
            422,
            "signature-invalid",
            after(|s, _| sign_receipt(&mut s.receipt.value, &key("someone else"))),
        ),
        case(
            "signature: empty",
            "receipt",
            422,
            "no-signature",
            after(|s, _| set_signature(s, "")),
        ),
        case(
            "signature: missing",
            "receipt",
            422,
            "no-signature",
            after(|s, _| {
                object_mut(&mut s.receipt.value).remove("enclaveSignature");
            }),
        ),
        case(
            "signature: null",
            "receipt",
            422,
            "no-signature",
            after(|s, _| edit(&mut s.receipt.value, "enclaveSignature", "null")),
        ),
        case(
            "signature: a number",
            "receipt",
            422,
            "invalid-record",
            after(|s, _| edit(&mut s.receipt.value, "enclaveSignature", "12345")),
        ),
        case(
            "signature: longer than the lexicon allows",
            "receipt",
            422,
            "invalid-record",
            after(|s, _| set_signature(s, &"A".repeat(400))),
        ),
        // -- Signed content changed after signing.
        case(
            "tampered after signing: model",
            "settle",
            422,
            "signature-invalid",
            after(|s, _| edit(&mut s.receipt.value, "model", r#""llama-3.1-70b""#)),
        ),
        case(
            "tampered after signing: inputCommitment",
            "settle",
            422,
            "signature-invalid",
            after(|s, _| {
                edit(
                    &mut s.receipt.value,
                    "inputCommitment",
                    &quoted(&"a".repeat(64)),
                )
            }),
        ),
        case(
            "tampered after signing: outputCommitment",
            "settle",
            422,
            "signature-invalid",
            after(|s, _| {
                edit(
                    &mut s.receipt.value,
                    "outputCommitment",
                    &quoted(&"b".repeat(64)),
                )
            }),
        ),
        case(
            "tampered after signing: price.amount raised",
            "settle",
            422,
            "signature-invalid",
            after(|s, _| edit(&mut s.receipt.value, "price.amount", "999")),
        ),
        case(
            "tampered after signing: price.currency",
            "settle",
            422,
            "signature-invalid",
            after(|s, _| edit(&mut s.receipt.value, "price.currency", r#""USDC""#)),
        ),
        case(
            "tampered after signing: tokens.in",
            "settle",
            422,
            "signature-invalid",
            after(|s, _| edit(&mut s.receipt.value, "tokens.in", "121")),
        ),
        case(
            "tampered after signing: tokens.out",
            "settle",
            422,
            "signature-invalid",
            after(|s, _| edit(&mut s.receipt.value, "tokens.out", "4000")),
        ),
        case(
            "tampered after signing: requester",
            "settle",
            422,
            "signature-invalid",
            after(|s, _| edit(&mut s.receipt.value, "requester", &quoted(EVE))),
        ),
        case(
            "tampered after signing: completedAt",
            "settle",
            422,
            "signature-invalid",
            after(|s, _| {
                edit(
                    &mut s.receipt.value,
                    "completedAt",
                    r#""2026-11-21T11:00:06Z""#,
                )
            }),
        ),
        case(
            "tampered after signing: proBono added",
            "settle",
            422,
            "signature-invalid",
            after(|s, _| edit(&mut s.receipt.value, "proBono", "false")),
        ),
        case(
            "tampered after signing: job model, so the job's CID changed",
            "settle",
            422,
            "cid-mismatch",
            after(|s, _| edit(&mut s.job.value, "model", r#""other-model""#)),
        ),
        case(
            "tampered after signing: authorization ceiling raised",
            "settle",
            422,
            "cid-mismatch",
            after(|s, _| edit(&mut s.authorization.value, "ceiling.amount", "4999")),
        ),
        case(
            "tampered after signing: attestation window widened",
            "settle",
            422,
            "attestation-selfsig-invalid",
            after(|s, _| {
                edit(
                    &mut s.attestation.value,
                    "expiresAt",
                    r#""2027-11-22T00:00:00Z""#,
                )
            }),
        ),
        // -- Attestations.
        case(
            "attestation: self-signed by another key",
            "settle",
            422,
            "attestation-selfsig-invalid",
            after(|s, _| sign_attestation(&mut s.attestation.value, &key("someone else"))),
        ),
        case(
            "attestation: selfSignature missing",
            "attestation",
            422,
            "no-signature",
            after(|s, _| {
                object_mut(&mut s.attestation.value).remove("selfSignature");
            }),
        ),
        case(
            "attestation: expired before the work completed",
            "settle",
            422,
            "attestation-window",
            before(|sc| {
                set(
                    &mut sc.attestation,
                    "expiresAt",
                    r#""2026-11-21T11:00:05Z""#,
                )
            }),
        ),
        case(
            "attestation: not yet valid when the work completed",
            "settle",
            422,
            "attestation-window",
            before(|sc| {
                set(
                    &mut sc.attestation,
                    "attestedAt",
                    r#""2026-11-21T11:30:00Z""#,
                )
            }),
        ),
        case(
            "attestation: publicKey not a P-256 point",
            "settle",
            422,
            "invalid-record",
            before(|sc| {
                set(
                    &mut sc.attestation,
                    "publicKey",
                    &quoted(&B64.encode([7u8; 64])),
                )
            }),
        ),
        case(
            "attestation: another provider's, receipt signed by our provider",
            "settle",
            422,
            "signature-invalid",
            Box::new(|tag| {
                let theirs = Scenario::new(REQUESTER, MALLORY, &format!("{tag}-mallory")).seal();
                let sc = scenario(tag);
                let mut s = sc.seal();
                let mut r = Map::new();
                r.insert("uri".into(), theirs.attestation.uri.clone().into());
                r.insert("cid".into(), cid(&theirs.attestation.value).into());
                object_mut(&mut s.receipt.value).insert("attestation".into(), Value::Object(r));
                resign(&mut s, &sc);
                let mut plan = Plan::charge(&s);
                plan.attack
                    .insert(0, post("attestation", &theirs.attestation));
                plan
            }),
        ),
        case(
            "attestation: another provider's, receipt signed with its key",
            "settle",
            422,
            "attestation-owner-mismatch",
            before(|sc| {
                let mallory = Scenario::new(REQUESTER, MALLORY, "x");
                sc.attestation_uri = sc.attestation_uri.replace(PROVIDER, MALLORY);
                sc.attestation = mallory.attestation;
                sc.provider_key = mallory.provider_key;
            }),
        ),
    ]
}
