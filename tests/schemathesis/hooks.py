"""Schemathesis hooks for Vetter's review server: a fresh HS256 request token for every call.

The server accepts each token's `jti` once, so the token cannot be cached between requests
(refresh_interval=None). The API key and secret come from the environment, never from the
command line.
"""
import os
import time
import uuid

import jwt
import schemathesis


@schemathesis.auth(refresh_interval=None)
class VetterJwt:
    def get(self, case, context):
        now = int(time.time())
        claims = {"iss": os.environ["VETTER_API_KEY"], "jti": uuid.uuid4().hex, "iat": now, "exp": now + 60}
        return jwt.encode(claims, os.environ["VETTER_API_SECRET"], algorithm="HS256")

    def set(self, case, data, context):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"JWT {data}"


# A decision travels as a compact JWS (text); send what the schema generates as text.
schemathesis.serializer.alias("application/jose", "text/plain")
