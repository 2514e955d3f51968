"""Independent check of the engine's records with another implementation.

Reads a JSON array of verify-charge bundles and, for each, recomputes the
canonical JSON of the receipt and the attestation with Python's json module
(sorted keys, no whitespace, no ASCII escaping: the same canonical form) and
verifies enclaveSignature and selfSignature with the `cryptography` package.
Prints one line per bundle and a closing "N passed, N failed" line; exits
non-zero if any bundle fails or if no high-S signature was seen.
"""
import base64
import json
import sys

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def canonical(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def public_key(b64):
    raw = base64.b64decode(b64, validate=True)
    assert len(raw) == 64, "publicKey must be 64 bytes"
    x, y = int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")
    return ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()


def check(bundle):
    att = bundle["attestation"]["value"]
    rc = bundle["receipt"]["value"]
    key = public_key(att["publicKey"])
    signed = {k: v for k, v in rc.items() if k not in ("enclaveSignature", "$type", "brokerageCountersignature")}
    sig = base64.b64decode(rc["enclaveSignature"], validate=True)
    key.verify(sig, canonical(signed), ec.ECDSA(hashes.SHA256()))
    att_signed = {k: v for k, v in att.items() if k not in ("selfSignature", "$type")}
    key.verify(base64.b64decode(att["selfSignature"], validate=True), canonical(att_signed), ec.ECDSA(hashes.SHA256()))
    _, s = decode_dss_signature(sig)
    return s > N // 2


def main():
    bundles = json.load(open(sys.argv[1], encoding="utf-8"))
    passed = failed = high_s = 0
    for i, b in enumerate(bundles):
        try:
            high_s += check(b)
            passed += 1
        except Exception as e:  # report and go on: every bundle is checked
            failed += 1
            print(f"bundle {i}: FAILED: {type(e).__name__}: {e}")
    print(f"high-S receipt signatures: {high_s}")
    print(f"{passed} passed, {failed} failed")
    sys.exit(0 if failed == 0 and high_s > 0 else 1)


main()
