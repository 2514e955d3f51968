"""Independent check of the exchange's settlement signatures.

Reads a JSON file {"jwk": {...}, "settlements": [{"uri", "cid", "value"}, ...]}
(the exchange's published key and settlements as its API serves them) and, for
each settlement, recomputes with Python's json module the canonical JSON of
the value without `sig` and `$type` (sorted keys, no whitespace, no ASCII
escaping: the same canonical form) and verifies `sig` as ES256 with the
`cryptography` package: raw r||s (64 bytes), base64url without padding. A
copy with one field changed (amountCharged.amount + 1) must then fail to
verify, so a check that accepts anything cannot pass.

Prints one line per settlement and a closing "N passed, N failed" line;
exits non-zero if any settlement fails or if there is none.
"""
import base64
import binascii
import copy
import json
import re
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

B64URL = re.compile(r"^[A-Za-z0-9_-]*$")


def canonical(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def b64url(text, length, what):
    """Strict base64url without padding, of exactly `length` bytes."""
    if not isinstance(text, str) or not B64URL.match(text):
        raise ValueError(f"{what} is not unpadded base64url")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error as e:
        raise ValueError(f"{what} is not base64url: {e}") from e
    if len(raw) != length:
        raise ValueError(f"{what} decodes to {len(raw)} bytes, not {length}")
    return raw


def public_key(jwk):
    if jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
        raise ValueError("jwk is not an EC P-256 key")
    x = int.from_bytes(b64url(jwk.get("x"), 32, "jwk.x"), "big")
    y = int.from_bytes(b64url(jwk.get("y"), 32, "jwk.y"), "big")
    return ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()


def verifies(key, value):
    """Whether value["sig"] is the ES256 signature of the rest of value."""
    raw = b64url(value.get("sig"), 64, "sig")
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    signed = {k: v for k, v in value.items() if k not in ("sig", "$type")}
    try:
        key.verify(der, canonical(signed), ec.ECDSA(hashes.SHA256()))
        return True
    except InvalidSignature:
        return False


def check(key, settlement):
    value = settlement["value"]
    if not verifies(key, value):
        raise ValueError("sig does not verify against the exchange's key")
    changed = copy.deepcopy(value)
    changed["amountCharged"]["amount"] += 1
    if verifies(key, changed):
        raise ValueError("sig still verifies after amountCharged.amount changed")


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        doc = json.load(f)
    key = public_key(doc["jwk"])
    passed = failed = 0
    for i, s in enumerate(doc["settlements"]):
        name = s.get("uri", f"settlements[{i}]") if isinstance(s, dict) else f"settlements[{i}]"
        try:
            check(key, s)
            passed += 1
            print(f"{name}: ok")
        except Exception as e:  # report and go on: every settlement is checked
            failed += 1
            print(f"{name}: FAILED: {type(e).__name__}: {e}")
    print(f"{passed} passed, {failed} failed")
    sys.exit(0 if failed == 0 and passed > 0 else 1)


main()
