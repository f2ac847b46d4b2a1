#!/usr/bin/env python3
"""Verifies a review server's whole decision log with an independent JOSE implementation.

Usage: audit-verify.py SERVER_URL, with VETTER_API_KEY and VETTER_API_SECRET in the environment
(never on the command line). Every request is signed with a fresh HS256 JWT made by PyJWT.

Fetches every key (GET /api/v5/reviewers/keys/, a JWKS) and every decision
(GET /api/v5/reviewers/decisions/), then verifies each decision with PyJWT against the key its
header's `kid` names, loaded with PyJWK from the server's JWK members. It also checks what
Vetter promises about keys: `kid` is the RFC 7638 thumbprint of `x`, and a decision was recorded
before its key was revoked. Each line on stdin is one more compact JWS (say, a tampered copy) to
verify against the same keys. Prints {"keys": n, "log": [...], "extra": [...]}, one verdict per
decision: {"id", "kid", "ok", "reason", "payload"}.
"""
import base64
import hashlib
import json
import os
import sys
import time
import urllib.request
import uuid

import jwt


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def thumbprint(x: str) -> str:
    # RFC 7638: the required members in lexicographic order, no whitespace.
    jwk = json.dumps({"crv": "Ed25519", "kty": "OKP", "x": x}, separators=(",", ":"), sort_keys=True)
    return b64url(hashlib.sha256(jwk.encode()).digest())


def get(server: str, path: str) -> dict:
    now = int(time.time())
    token = jwt.encode(
        {"iss": os.environ["VETTER_API_KEY"], "jti": uuid.uuid4().hex, "iat": now, "exp": now + 60},
        os.environ["VETTER_API_SECRET"],
        algorithm="HS256",
    )
    request = urllib.request.Request(server.rstrip("/") + path, headers={"Authorization": f"JWT {token}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def verdict(jws: str, keys: dict, recorded_at=None) -> dict:
    try:
        header = jwt.get_unverified_header(jws)
    except jwt.exceptions.InvalidTokenError as error:
        return {"id": None, "kid": None, "ok": False, "reason": f"not a JWS: {error}", "payload": None}
    kid = header.get("kid")
    key = keys.get(kid)
    out = {"id": None, "kid": kid, "ok": False, "reason": "", "payload": None}
    if key is None:
        out["reason"] = f"no key {kid!r} on the server"
        return out
    if thumbprint(key["x"]) != kid:
        out["reason"] = f"key {kid!r} is not the thumbprint of its x"
        return out
    try:
        verified = jwt.PyJWS().decode_complete(jws, key=jwt.PyJWK(key).key, algorithms=["EdDSA"])
    except jwt.exceptions.InvalidTokenError as error:
        out["reason"] = f"signature refused: {error}"
        return out
    payload = json.loads(verified["payload"])
    out["id"] = payload.get("id")
    out["payload"] = payload
    revoked = key.get("revoked_at")
    if recorded_at is not None and revoked is not None and recorded_at > revoked:
        out["reason"] = f"recorded at {recorded_at}, after its key was revoked at {revoked}"
        return out
    out["ok"] = True
    return out


def main() -> int:
    server = sys.argv[1]
    jwks = get(server, "/api/v5/reviewers/keys/")
    # Only the JWK members go to PyJWK; the server's record stays beside them.
    keys = {k["kid"]: k for k in jwks["keys"]}
    log, since = [], 0
    while True:
        page = get(server, f"/api/v5/reviewers/decisions/?since={since}&page_size=500")
        for record in page["results"]:
            v = verdict(record["decision"], keys, record["recorded_at"])
            if v["ok"] and v["id"] != record["id"]:
                v["ok"], v["reason"] = False, f"the log says id {record['id']!r}, the payload {v['id']!r}"
            log.append(v)
        if not page["results"]:
            break
        since = int(page["cursor"])
    extra = [verdict(line.strip(), keys) for line in sys.stdin if line.strip()]
    json.dump({"keys": len(keys), "log": log, "extra": extra}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
