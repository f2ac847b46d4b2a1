#!/usr/bin/env python3
"""Verifies a Vetter signed decision with an independent JOSE implementation (PyJWT + cryptography).

Reads one JSON object on stdin: {"jws": "<compact JWS>", "public_key": "<base64url Ed25519 key>"}.
On success prints {"header": ..., "payload": ..., "thumbprint": ...} and exits 0; on any
verification failure prints the reason on stderr and exits 1. The key id is recomputed here as
the RFC 7638 JWK thumbprint, so a kid that does not name the key fails too.
"""
import base64
import hashlib
import json
import sys

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def thumbprint(x: str) -> str:
    # RFC 7638: the required members in lexicographic order, no whitespace.
    jwk = json.dumps({"crv": "Ed25519", "kty": "OKP", "x": x}, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(hashlib.sha256(jwk.encode()).digest()).rstrip(b"=").decode()


def main() -> int:
    request = json.load(sys.stdin)
    key = Ed25519PublicKey.from_public_bytes(b64url_decode(request["public_key"]))
    try:
        # PyJWS verifies the signature over the exact header and payload segments.
        verified = jwt.PyJWS().decode_complete(request["jws"], key=key, algorithms=["EdDSA"])
    except jwt.exceptions.InvalidTokenError as error:
        print(f"signature refused: {error}", file=sys.stderr)
        return 1
    header = verified["header"]
    expected_kid = thumbprint(request["public_key"])
    if header.get("kid") != expected_kid:
        print(f"kid {header.get('kid')!r} is not the key's thumbprint {expected_kid!r}", file=sys.stderr)
        return 1
    payload = json.loads(verified["payload"])
    json.dump({"header": header, "payload": payload, "thumbprint": expected_kid}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
