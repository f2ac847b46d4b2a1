#!/usr/bin/env python3
"""A stand-in for addons.mozilla.org (AMO), API v5, for what a reviewer tool reads.

Written from AMO's own documentation and serializers (mozilla/addons-server), not from
Vetter's code, so that Vetter's AMO client is checked against AMO's shapes rather than
against its own assumptions.

    python amo.py --seed SEED.json

binds two sockets on 127.0.0.1 with OS-chosen ports, the AMO origin and a "CDN" origin
(another port, so another origin), prints ONE line on stdout, flushed:

    listening http://127.0.0.1:PORT cdn http://127.0.0.1:PORT2

and serves until SIGTERM. One line per request goes to stderr (method, path, status);
the Authorization header is never logged.

Seed (JSON):
  {"keys": [{"key": "user:11:1", "secret": "...", "permissions": ["Addons:Review"],
             "user": {"id": 11, "name": "...", "username": "...", "email"?: "..."}}],
   "addons": [{"id": 101, "guid": "...", "slug": "...", "name": {"en-US": "..."},
               "summary"?: {...}, "description"?: {...}, "default_locale": "en-US",
               "type": "extension", "status"?: "public"|"disabled"|"deleted",
               "authors"?: [user ids], "created"?: "...",
               "versions": [{"id": 1001, "version": "1.0.0", "channel": "listed"|"unlisted",
                             "is_deleted": false, "created": "2026-01-01T00:00:00Z",
                             "reviewed"?: "...", "release_notes"?: {...},
                             "file": {"id": 5001, "path": "/abs/x.xpi", "filename": "x.xpi",
                                      "status": "public"|"disabled"|"unreviewed",
                                      "bad_hash": false, "permissions": [...],
                                      "host_permissions": [...], "optional_permissions"?: [...]},
                             "validation"?: {addons-linter output, or AMO's processed form}}]}]}

Permissions are AMO group rules ("App:Action", "*" wildcards; "*:*" is a full admin).
The add-on status is derived as AMO's update_status() would unless the seed says
"disabled" or "deleted": "public" with a public listed version, "nominated" with only
pending listed ones, "incomplete" with no listed version at all.

Routes (AMO origin): GET /api/v5/accounts/profile/, /api/v5/addons/addon/{id|slug|guid}/,
.../versions/?filter=&page=&page_size=&lang=, .../versions/{id|number}/,
/api/v5/reviewers/addon/{id|slug}/file/{file_id}/validation/,
/firefox/downloads/file/{file_id}[/attachment][/filename], /en-US/firefox/addon/{slug}/.
CDN origin: /user-media/addons/[_attachments/]{addon_id}/{filename} and
/__standin__/cdn-saw-authorization -> {"saw": bool}.

Each file's bytes are read at start: `size` is their length and `hash` is
"sha256:<64 hex>". A file seeded with "bad_hash": true advertises "md5:<32 hex>" instead
(the md5 of the same bytes): a hash in a form a client must refuse, as a broken record
would carry.
"""

# ---------------------------------------------------------------------------------------
# Facts confirmed in mozilla/addons-server (file: short quote), relied on below.
#
# Auth
#  - docs/topics/api/auth.rst: header "Authorization: JWT <token>"; HMAC-SHA256; claims
#    iss, jti, iat, exp; exp "must be no longer than five minutes past the issued at time".
#  - src/olympia/api/jwt_auth.py: "'require': ['exp', 'iat']", "Unknown JWT iss
#    (issuer).", "JWT iss (issuer) claim is missing.", "JWT exp (expiration) is too
#    long.", "Invalid JWT: {exc}.", "JWT iat (issued at time) is invalid. Make sure your
#    system clock is synchronized with something like TLSdate.", and
#    "# TODO: add nonce checking to prevent replays. bug 1213354." (jti is NOT checked).
#  - settings: "MAX_APIKEY_JWT_AUTH_TOKEN_LIFETIME = 5 * 60", "'JWT_ALGORITHM': 'HS256'",
#    "'JWT_LEEWAY': 5".
#  - src/olympia/api/authentication.py (JWTKeyAuthentication): "Signature has expired.",
#    "Error decoding signature.", "Invalid JWT Token.", "Invalid Authorization header. No
#    credentials provided.", "auth_header_prefix = 'jwt'" (case-insensitive).
#    DRF authenticates every API request up front, so a bad token is a 401 even on an
#    endpoint anonymous users may read. No token + a permission refusal is DRF's 401
#    "Authentication credentials were not provided."; a known user refused is DRF's 403
#    "You do not have permission to perform this action." (DRF defaults, not AMO text).
#
# Translated fields
#  - src/olympia/api/fields.py TranslationSerializerField: no `lang` -> object of all
#    locales; with `lang` (v5): "if lang == requested_lang: return {lang: value}" else
#    "return {lang: value, requested_lang: None, '_default': lang}" where lang is the
#    add-on's default locale; no value at all -> null. api/tests/test_fields.py checks
#    that key order: {'en-US': ..., 'es': None, '_default': 'en-US'}.
#  - docs/topics/api/overview.rst (v5): "is an object containing only that translation".
#
# Pagination
#  - overview.rst: "The default number of items per page is 25 ... any value between 1
#    and 50"; keys next, previous, page_size, page_count, count, results.
#  - src/olympia/api/pagination.py: "max_page_size = 50", order page_size, page_count,
#    count, next, previous, results. next/previous are DRF's absolute URLs
#    (request.build_absolute_uri with `page` replaced; page 1 drops `page`).
#
# Add-on detail / versions (src/olympia/addons/views.py, serializers.py, addons.rst)
#  - AddonViewSet: AnyOf(AllowReadOnlyIfPublic, AllowAddonAuthor, listed reviewer,
#    unlisted reviewer); refusals carry "is_disabled_by_developer" and
#    "is_disabled_by_mozilla" next to "detail" (addons.rst: "A 401 or 403 error response
#    will be returned"). Deleted add-ons: "admins - and only admins - can see deleted".
#  - "latest_unlisted_version ... only present if the user has unlisted reviewer
#    permissions, or is listed as a developer of the add-on" (addons.rst).
#  - api/permissions.py AllowUnlistedViewerOrReviewer: "'Addons:ReviewUnlisted'" (or
#    'ReviewerTools:ViewUnlisted') AND the add-on has unlisted versions or no listed ones.
#    A plain "Addons:Review" reviewer therefore cannot list unlisted versions.
#  - AddonVersionViewSet: "all_with_deleted" -> "GroupPermission(ADDONS_VIEW_DELETED)";
#    "all_with_unlisted" -> "AnyOf(AllowReviewerUnlisted, AllowAddonAuthor)";
#    "all_without_unlisted" -> any reviewer or author; default "files__status=
#    amo.STATUS_APPROVED, channel=amo.RELEASE_CHANNEL_LISTED"; unknown filter -> 400
#    'Invalid "filter" parameter specified.'. Versions are ordered newest first.
#  - serializers.py: current_version is a SimpleVersionSerializer (no `channel`); the
#    list uses VersionSerializer fields "id, channel, compatibility, edit_url, file,
#    is_strict_compatibility_enabled, license, release_notes, reviewed, version".
#    FileSerializer: "id, created, hash, is_mozilla_signed_extension, size, status, url,
#    permissions, optional_permissions, host_permissions, data_collection_permissions,
#    optional_data_collection_permissions" ('platform', 'is_restart_required',
#    'is_webextension' are popped in v5). File statuses: public, disabled, unreviewed.
#
# Files (src/olympia/files/models.py, src/olympia/versions/views.py)
#  - generate_hash: "return 'sha256:%s' % hash.hexdigest()".
#  - get_file_cdn_url: "host = user_media_url('addons')" joined with "addon.id,
#    self.filename" (attachments under "_attachments").
#  - download_file (2019 form, modelled here): public files -> "HttpResponseRedirect(loc)"
#    with "loc = urlparams(file_.get_file_cdn_url(...), filehash=file_.hash)" and
#    "response['X-Target-Digest'] = file_.hash"; disabled or unlisted files are sent
#    directly ("HttpResponseSendFile") to the right reviewer or an author, else
#    "raise http.Http404()". Deleted versions: reviewers only (2022 form).
#    CAUTION: since ~2022 AMO sends every file via nginx X-Accel-Redirect (no visible
#    redirect) and this is a plain Django view authenticated by session cookie: that it
#    honours an API JWT is NOT confirmed. This stand-in accepts the JWT there.
#
# Validation (src/olympia/reviewers/views.py, src/olympia/devhub/utils.py)
#  - json_file_validation: "permission_classes=[AllowAnyKindOfReviewer]",
#    "authentication_classes=[JWTKeyAuthentication, ...]", url_path
#    "file/(?P<file_id>[^/]+)/validation", listed files need is_reviewer, unlisted need
#    is_unlisted_addons_viewer_or_reviewer, no result -> 404, body
#    "{'validation': result.processed_validation}".
#  - fix_addons_linter_output: "msg['type'] = msg.pop('_type')", "msg['id'] =
#    [msg.pop('code')]", "msg['tier'] = 1", counts from "validation['summary']",
#    "'ending_tier': 5"; htmlify_validation turns "description" into a list.
#
# Profile (src/olympia/accounts/serializers.py, docs/topics/api/accounts.rst)
#  - SelfUserProfileSerializer: "permissions = serializers.SerializerMethodField()" ->
#    sorted group rules; "group_rules = {'reviewer': 'Addons:Review', 'admin': '*:*'}".
#  - accounts.rst: "`*:*` means the user has permission to do all actions".
# ---------------------------------------------------------------------------------------

import argparse
import hashlib
import html
import json
import math
import re
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

import jwt

MAX_TOKEN_LIFETIME = 5 * 60
JWT_LEEWAY = 5
DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 50
NOT_AUTHENTICATED = "Authentication credentials were not provided."
PERMISSION_DENIED = "You do not have permission to perform this action."
NOT_FOUND = "Not found."
VERSION_FILTERS = ("all_with_deleted", "all_with_unlisted", "all_without_unlisted")
GUID_PATTERN = re.compile(
    r"^(\{[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}"
    r"|[a-z0-9-._]*@[a-z0-9-._]+)$",
    re.IGNORECASE,
)
LICENSE = {"id": 6, "name": "Mozilla Public License 2.0", "slug": "MPL-2.0",
           "url": "http://www.mozilla.org/MPL/2.0/"}


class ApiError(Exception):
    def __init__(self, status, body, headers=None):
        super().__init__(status)
        self.status, self.body, self.headers = status, body, headers or {}


def auth_failed(message):
    return ApiError(401, {"detail": message}, {"WWW-Authenticate": 'JWT realm="api"'})


# --- the seeded world -------------------------------------------------------------------


def to_language(locale):
    """AMO's to_language: 'en_us' and 'en-us' both come out as 'en-US'."""
    locale = locale.replace("_", "-")
    if "-" in locale:
        lang, _, region = locale.partition("-")
        return f"{lang.lower()}-{region.upper()}"
    return locale.lower()


class World:
    def __init__(self, seed):
        self.keys = {k["key"]: k for k in seed.get("keys", [])}
        self.users = {k["user"]["id"]: k["user"] for k in self.keys.values()}
        self.addons = seed.get("addons", [])
        self.files = {}  # file id -> (addon, version, file)
        for addon in self.addons:
            addon.setdefault("authors", [])
            addon.setdefault("default_locale", "en-US")
            for version in addon["versions"]:
                f = version["file"]
                with open(f["path"], "rb") as fh:
                    f["_bytes"] = fh.read()
                # AMO hashes the file it stores; a broken record is modelled by a hash in
                # another form, which a careful client must refuse rather than compare.
                if f.get("bad_hash"):
                    f["_hash"] = "md5:" + hashlib.md5(f["_bytes"]).hexdigest()
                else:
                    f["_hash"] = "sha256:" + hashlib.sha256(f["_bytes"]).hexdigest()
                self.files[f["id"]] = (addon, version, f)
            # AMO orders versions by '-created'; ids break ties.
            addon["versions"].sort(key=lambda v: (v.get("created", ""), v["id"]), reverse=True)
            addon["status"] = self._status(addon)

    @staticmethod
    def _status(addon):
        if addon.get("status") in ("disabled", "deleted"):
            return addon["status"]
        listed = [v for v in addon["versions"] if v["channel"] == "listed" and not v.get("is_deleted")]
        if any(v["file"]["status"] == "public" for v in listed):
            return "public"
        if any(v["file"]["status"] == "unreviewed" for v in listed):
            return "nominated"
        return "incomplete"

    def find_addon(self, ident):
        # Addon.get_lookup_field: digits -> pk, a guid pattern -> guid, else slug.
        if ident.isdigit():
            field, value = "id", int(ident)
        elif GUID_PATTERN.match(ident):
            field, value = "guid", ident
        else:
            field, value = "slug", ident
        return next((a for a in self.addons if a.get(field) == value), None)


# --- who is asking ----------------------------------------------------------------------


class Caller:
    def __init__(self, key=None):
        self.key = key
        self.user = key["user"] if key else None
        self.rules = list(key.get("permissions", [])) if key else []

    def allowed(self, permission):
        """acl.action_allowed_for: 'App:Action' matched against rules with '*' wildcards."""
        app, _, action = permission.partition(":")
        for rule in self.rules:
            r_app, _, r_action = rule.partition(":")
            if r_app in ("*", app) and r_action in ("*", action):
                return True
        return False

    def is_author(self, addon):
        return self.user is not None and self.user["id"] in addon["authors"]

    def is_reviewer(self):  # acl.is_reviewer for extensions (content reviewers included)
        return self.allowed("Addons:Review") or self.allowed("Addons:ContentReview")

    def is_unlisted_viewer_or_reviewer(self):
        return self.allowed("ReviewerTools:ViewUnlisted") or self.allowed("Addons:ReviewUnlisted")

    def is_any_reviewer(self):  # acl.is_user_any_kind_of_reviewer(allow_viewers=True)
        return any(self.allowed(p) for p in (
            "Addons:Review", "Addons:ReviewUnlisted", "Addons:ContentReview",
            "Addons:ThemeReview", "ReviewerTools:View", "ReviewerTools:ViewUnlisted"))

    def refuse(self, extra=None):
        """DRF's permission_denied(): 401 when nobody authenticated, else 403."""
        if self.key is None:
            raise ApiError(401, {"detail": NOT_AUTHENTICATED, **(extra or {})},
                           {"WWW-Authenticate": 'JWT realm="api"'})
        raise ApiError(403, {"detail": PERMISSION_DENIED, **(extra or {})})


def has_listed(addon):  # include_deleted=True, as the permission classes ask
    return any(v["channel"] == "listed" for v in addon["versions"])


def has_unlisted(addon):
    return any(v["channel"] == "unlisted" for v in addon["versions"])


def listed_reviewer_ok(caller, addon):  # AllowListedViewerOrReviewer (GET)
    return caller.key is not None and (
        caller.allowed("ReviewerTools:View") or (has_listed(addon) and caller.is_reviewer()))


def unlisted_reviewer_ok(caller, addon):  # AllowUnlistedViewerOrReviewer
    return caller.is_unlisted_viewer_or_reviewer() and (has_unlisted(addon) or not has_listed(addon))


def authenticate(header, world):
    """JWTKeyAuthentication + jwt_decode_handler, message for message."""
    if header is None:
        return Caller()
    parts = header.split()
    if not parts or parts[0].lower() != "jwt":
        return Caller()  # another scheme: not this authenticator's business
    if len(parts) == 1:
        raise auth_failed("Invalid Authorization header. No credentials provided.")
    if len(parts) > 2:
        raise auth_failed("Invalid Authorization header. Credentials string should not contain spaces.")
    token = parts[1]
    try:
        unverified = jwt.decode(token, options={"verify_signature": False}, algorithms=["HS256"])
    except jwt.DecodeError:
        raise auth_failed("Error decoding signature.")
    except jwt.InvalidTokenError:
        raise auth_failed("Invalid JWT Token.")
    if "iss" not in unverified:
        raise auth_failed("JWT iss (issuer) claim is missing.")
    key = world.keys.get(unverified["iss"]) if isinstance(unverified["iss"], str) else None
    if key is None:
        raise auth_failed("Unknown JWT iss (issuer).")
    try:
        payload = jwt.decode(
            token, key["secret"], algorithms=["HS256"], leeway=JWT_LEEWAY,
            options={"require": ["exp", "iat"], "verify_aud": False, "verify_nbf": False})
        # AMO re-checks a future iat itself (PyJWT once dropped that check).
        if int(payload["iat"]) > time.time() + JWT_LEEWAY:
            raise jwt.InvalidIssuedAtError("Issued At claim (iat) cannot be in the future.")
    except jwt.MissingRequiredClaimError as exc:
        raise auth_failed(f"Invalid JWT: {exc}.")
    except (jwt.ImmatureSignatureError, jwt.InvalidIssuedAtError):
        raise auth_failed("JWT iat (issued at time) is invalid. Make sure your system clock "
                          "is synchronized with something like TLSdate.")
    except jwt.ExpiredSignatureError:
        raise auth_failed("Signature has expired.")
    except jwt.DecodeError:  # includes a bad signature
        raise auth_failed("Error decoding signature.")
    except jwt.InvalidTokenError:
        raise auth_failed("Invalid JWT Token.")
    except (TypeError, ValueError):
        raise auth_failed("Wrong type for one or more keys in payload")
    if "orig_iat" in payload:
        raise auth_failed("API key based tokens are not refreshable, don't include `orig_iat` in their payload.")
    if payload["exp"] - payload["iat"] > MAX_TOKEN_LIFETIME:
        raise auth_failed("JWT exp (expiration) is too long.")
    return Caller(key)


# --- serializers ------------------------------------------------------------------------


def translated(values, default_locale, lang):
    """TranslationSerializerField.get_attribute (v5, no flat-output gate)."""
    values = {to_language(k): v for k, v in (values or {}).items() if v}
    if not values:
        return None
    if lang is None:
        return values
    if lang in values:
        return {lang: values[lang]}
    if default_locale in values:
        return {default_locale: values[default_locale], lang: None, "_default": default_locale}
    return None


class View:
    """One request's view of the world: origin, caller and `lang`."""

    def __init__(self, world, origin, cdn, caller, query):
        self.world, self.origin, self.cdn, self.caller = world, origin, cdn, caller
        self.query = query
        self.lang = to_language(query["lang"]) if query.get("lang") else None

    def file(self, addon, version):
        f = version["file"]
        return {
            "id": f["id"],
            "created": version.get("created"),
            "hash": f["_hash"],
            "is_mozilla_signed_extension": False,
            "size": len(f["_bytes"]),
            "status": f["status"],
            "url": f"{self.origin}/firefox/downloads/file/{f['id']}/{f['filename']}",
            "permissions": f.get("permissions", []),
            "optional_permissions": f.get("optional_permissions", []),
            "host_permissions": f.get("host_permissions", []),
            "data_collection_permissions": f.get("data_collection_permissions", []),
            "optional_data_collection_permissions": f.get("optional_data_collection_permissions", []),
        }

    def version(self, addon, v, with_channel=True, license_text=False):
        lic = {"id": LICENSE["id"], "is_custom": False,
               "name": translated({"en-US": LICENSE["name"]}, "en-US", self.lang),
               "slug": LICENSE["slug"]}
        if license_text:
            lic["text"] = None  # only the version detail has it; built-in licenses store none
        lic["url"] = LICENSE["url"]
        reviewed = v.get("reviewed") or (v.get("created") if v["file"]["status"] == "public" else None)
        out = {"id": v["id"]}
        if with_channel:
            out["channel"] = v["channel"]
        out.update({
            "compatibility": v.get("compatibility", {"firefox": {"min": "109.0", "max": "*"}}),
            "edit_url": f"{self.origin}/en-US/developers/addon/{addon['slug']}/versions/{v['id']}",
            "file": self.file(addon, v),
            "is_strict_compatibility_enabled": False,
            "license": lic,
            "release_notes": translated(v.get("release_notes"), addon["default_locale"], self.lang),
            "reviewed": reviewed,
            "version": v["version"],
        })
        return out

    def addon(self, addon):
        o, slug = self.origin, addon["slug"]
        live = [v for v in addon["versions"] if not v.get("is_deleted")]
        current = next((v for v in live if v["channel"] == "listed" and v["file"]["status"] == "public"), None)
        icon = f"{o}/static-server/img/addon-icons/default-64.png"
        out = {
            "id": addon["id"],
            "authors": [{"id": uid, "name": self.world.users[uid]["name"],
                         "url": f"{o}/en-US/firefox/user/{uid}/",
                         "username": self.world.users[uid]["username"], "picture_url": None}
                        for uid in addon["authors"] if uid in self.world.users],
            "average_daily_users": 0,
            "categories": {},
            "contributions_url": None,
            "created": addon.get("created") or (addon["versions"][-1].get("created") if addon["versions"] else None),
            "current_version": self.version(addon, current, with_channel=False) if current else None,
            "default_locale": addon["default_locale"],
        }
        for field in ("description", "developer_comments"):
            out[field] = translated(addon.get(field), addon["default_locale"], self.lang)
        out.update({
            "edit_url": f"{o}/en-US/developers/addon/{slug}/edit",
            "guid": addon["guid"],
            "has_eula": False,
            "has_privacy_policy": False,
            "homepage": None,
            "icon_url": icon,
            "icons": {s: f"{o}/static-server/img/addon-icons/default-{s}.png" for s in ("32", "64", "128")},
            "is_disabled": bool(addon.get("disabled_by_user")),
            "is_experimental": False,
            "is_noindexed": False,
            "last_updated": current.get("created") if current else None,
            "name": translated(addon.get("name"), addon["default_locale"], self.lang),
            "previews": [],
            "promoted": [],
            "ratings": {"average": 0.0, "bayesian_average": 0.0, "count": 0, "text_count": 0},
            "ratings_url": f"{o}/en-US/firefox/addon/{slug}/reviews/",
            "requires_payment": False,
            "review_url": f"{o}/en-US/reviewers/review/{addon['id']}",
            "slug": slug,
            "status": addon["status"],
            "summary": translated(addon.get("summary"), addon["default_locale"], self.lang),
            "support_email": None,
            "support_url": None,
            "tags": [],
            "type": addon.get("type", "extension"),
            "url": f"{o}/en-US/firefox/addon/{slug}/",
            "versions_url": f"{o}/en-US/firefox/addon/{slug}/versions/",
            "weekly_downloads": 0,
        })
        # The "with unlisted data" serializer is chosen for unlisted reviewers and authors.
        if self.caller.is_unlisted_viewer_or_reviewer() or self.caller.is_author(addon):
            unlisted = next((v for v in live if v["channel"] == "unlisted"
                             and v["file"]["status"] != "disabled"), None)
            out["latest_unlisted_version"] = self.version(addon, unlisted, with_channel=False) if unlisted else None
        return out

    # --- endpoints ---

    def get_addon(self, ident):
        """AddonViewSet.get_object(): lookup, then object permissions."""
        addon = self.world.find_addon(ident)
        if addon is None or (addon["status"] == "deleted" and not self.caller.allowed("Addons:ViewDeleted")):
            raise ApiError(404, {"detail": NOT_FOUND})
        public = addon["status"] == "public" and not addon.get("disabled_by_user")
        if not (public or self.caller.is_author(addon) or listed_reviewer_ok(self.caller, addon)
                or unlisted_reviewer_ok(self.caller, addon)):
            self.caller.refuse({"is_disabled_by_developer": bool(addon.get("disabled_by_user")),
                                "is_disabled_by_mozilla": addon["status"] == "disabled"})
        return addon

    def profile(self):
        c = self.caller
        if c.key is None:
            c.refuse()
        u, o = c.user, self.origin
        listed = [a for a in self.world.addons if c.is_author(a) and a["status"] == "public"]
        return {
            "id": u["id"], "name": u["name"], "url": f"{o}/en-US/firefox/user/{u['id']}/",
            "username": u["username"], "average_addon_rating": None,
            "created": "2020-01-01T00:00:00Z", "biography": None,
            "has_anonymous_display_name": False, "has_anonymous_username": False,
            "homepage": None, "is_addon_developer": bool(listed), "is_artist": False,
            "location": None, "occupation": None, "num_addons_listed": len(listed),
            "picture_type": None, "picture_url": None, "deleted": False,
            "display_name": u["name"], "email": u.get("email", f"{u['username']}@example.invalid"),
            "fxa_edit_email_url": f"https://accounts.firefox.com/settings?uid=0&email={u['username']}"
                                  "%40example.invalid&entrypoint=addons",
            "last_login": "2026-01-01T00:00:00Z", "last_login_ip": "127.0.0.1",
            "permissions": sorted(set(c.rules)), "read_dev_agreement": "2020-01-01T00:00:00Z",
            "site_status": {"read_only": False, "notice": None},
        }

    def versions(self, ident, path):
        addon = self.get_addon(ident)
        c, requested = self.caller, self.query.get("filter")
        if requested == "all_with_deleted" and not c.allowed("Addons:ViewDeleted"):
            c.refuse()
        if requested == "all_with_unlisted" and not (
                unlisted_reviewer_ok(c, addon) or c.is_author(addon)):
            c.refuse()
        if requested == "all_without_unlisted" and not (
                listed_reviewer_ok(c, addon) or unlisted_reviewer_ok(c, addon) or c.is_author(addon)):
            c.refuse()
        if requested is not None and requested not in VERSION_FILTERS:
            raise ApiError(400, ['Invalid "filter" parameter specified.'])
        vs = addon["versions"]
        if requested != "all_with_deleted":
            vs = [v for v in vs if not v.get("is_deleted")]
        if requested == "all_without_unlisted":
            vs = [v for v in vs if v["channel"] == "listed"]
        elif requested is None:
            vs = [v for v in vs if v["channel"] == "listed" and v["file"]["status"] == "public"]
        return self.paginate(path, [self.version(addon, v) for v in vs])

    def version_detail(self, ident, vid):
        addon = self.get_addon(ident)
        if "filter" in self.query:
            raise ApiError(400, ['The "filter" parameter is not valid in this context.'])
        # A number without a dot is an id; a "v" prefix forces a version number.
        if vid.isdigit():
            v = next((v for v in addon["versions"] if v["id"] == int(vid)), None)
        else:
            number = vid[1:] if vid.startswith("v") else vid
            v = next((v for v in addon["versions"] if v["version"] == number), None)
        c = self.caller
        if v is None or (v.get("is_deleted") and not c.allowed("Addons:ViewDeleted")):
            raise ApiError(404, {"detail": NOT_FOUND})
        if v["channel"] == "unlisted" and not (unlisted_reviewer_ok(c, addon) or c.is_author(addon)):
            c.refuse()
        elif v["file"]["status"] != "public" and not (listed_reviewer_ok(c, addon) or c.is_author(addon)):
            c.refuse()
        return self.version(addon, v, license_text=True)

    def paginate(self, path, items):
        """CustomPageNumberPagination over DRF's PageNumberPagination."""
        try:
            size = int(self.query.get("page_size", DEFAULT_PAGE_SIZE))
            size = min(size, MAX_PAGE_SIZE) if size > 0 else DEFAULT_PAGE_SIZE
        except ValueError:
            size = DEFAULT_PAGE_SIZE
        pages = max(1, math.ceil(len(items) / size))
        raw = self.query.get("page", "1")
        try:
            page = pages if raw == "last" else int(raw)
        except ValueError:
            page = 0
        if not 1 <= page <= pages:
            raise ApiError(404, {"detail": "Invalid page."})

        def link(number):
            query = {k: v for k, v in self.query.items() if k != "page"}
            if number > 1:
                query["page"] = str(number)
            encoded = urlencode(sorted(query.items()))
            return f"{self.origin}{path}" + (f"?{encoded}" if encoded else "")

        return {
            "page_size": size, "page_count": pages, "count": len(items),
            "next": link(page + 1) if page < pages else None,
            "previous": link(page - 1) if page > 1 else None,
            "results": items[(page - 1) * size: page * size],
        }

    def validation(self, ident, file_id):
        c = self.caller
        if not c.is_any_reviewer():
            c.refuse()
        # Addon.unfiltered.id_or_slug(): an id or a slug, never a guid.
        key = ("id", int(ident)) if ident.isdigit() else ("slug", ident)
        addon = next((a for a in self.world.addons if a.get(key[0]) == key[1]), None)
        entry = self.world.files.get(int(file_id)) if file_id.isdigit() else None
        if addon is None or entry is None or entry[0] is not addon:
            raise ApiError(404, {"detail": NOT_FOUND})
        _, version, f = entry
        if version["channel"] == "unlisted":
            if not c.is_unlisted_viewer_or_reviewer():
                c.refuse()
        elif not c.is_reviewer():
            c.refuse()
        if not version.get("validation"):
            raise ApiError(404, {"detail": NOT_FOUND})
        return {"validation": processed_validation(version["validation"], version["channel"])}


def processed_validation(raw, channel):
    """devhub.utils.process_validation(): addons-linter output in AMO's stored form."""
    if "messages" in raw:  # already in AMO's form: returned untouched, as AMO does
        return raw
    messages = []
    for kind in ("errors", "notices", "warnings"):
        for n, msg in enumerate(raw.get(kind, [])):
            msg = dict(msg)
            msg["uid"] = hashlib.md5(f"{kind}{n}{msg.get('code')}".encode()).hexdigest()
            msg["type"] = msg.pop("_type", kind[:-1])
            msg["id"] = [msg.pop("code", "UNKNOWN")]
            msg["tier"] = 1
            # htmlify_validation: message and description escaped, description a list.
            msg["message"] = html.escape(str(msg.get("message", "")), quote=False)
            if "description" in msg:
                desc = msg["description"] if isinstance(msg["description"], list) else [msg["description"]]
                msg["description"] = [html.escape(str(d), quote=False) for d in desc]
            messages.append(msg)
    summary = raw.get("summary", {})
    metadata = {"listed": channel == "listed",
                "identified_files": {n: {"path": p} for n, p in raw.get("metadata", {}).get("jsLibs", {}).items()}}
    metadata.update(raw.get("metadata", {}))
    return {
        "success": not raw.get("errors"),
        "compatibility_summary": {"warnings": 0, "errors": 0, "notices": 0},
        "notices": summary.get("notices", len(raw.get("notices", []))),
        "warnings": summary.get("warnings", len(raw.get("warnings", []))),
        "errors": summary.get("errors", len(raw.get("errors", []))),
        "messages": messages,
        "metadata": metadata,
        "ending_tier": 5,
    }


# --- HTTP -------------------------------------------------------------------------------

API_ROUTES = [
    (re.compile(r"^/api/v5/accounts/profile/$"), "profile"),
    (re.compile(r"^/api/v5/addons/addon/(?P<ident>[^/]+)/$"), "addon"),
    (re.compile(r"^/api/v5/addons/addon/(?P<ident>[^/]+)/versions/$"), "versions"),
    (re.compile(r"^/api/v5/addons/addon/(?P<ident>[^/]+)/versions/(?P<vid>[^/]+)/$"), "version"),
    (re.compile(r"^/api/v5/reviewers/addon/(?P<ident>[^/]+)/file/(?P<fid>[^/]+)/validation/$"), "validation"),
    (re.compile(r"^/en-US/firefox/addon/(?P<slug>[^/]+)/$"), "page"),
]
DOWNLOAD = re.compile(r"^/firefox/downloads/file/(?P<fid>\d+)(?:/(?P<attachment>attachment))?(?:/.*)?$")
CDN_FILE = re.compile(r"^/user-media/addons/(?:(?P<attachment>_attachments)/)?(?P<aid>\d+)/(?P<name>[^/]+)$")
RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive with Content-Length on every answer
    server_version = "amo-standin"

    # Log method, path and status only: headers (and so credentials) never reach the log.
    def log_request(self, code="-", size="-"):
        sys.stderr.write(f"{self.command} {self.path} {int(code) if isinstance(code, int) else code}\n")
        sys.stderr.flush()

    def log_message(self, fmt, *args):
        sys.stderr.write(f"{self.server.name}: {fmt % args}\n")

    def send(self, status, body=b"", content_type="application/json", headers=None):
        self.send_response(status)
        if body or status not in (204, 304):
            self.send_header("Content-Type", content_type)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_json(self, status, data, headers=None):
        self.send(status, json.dumps(data).encode(), "application/json", headers)

    def send_bytes(self, data, filename, attachment=False, extra=None):
        """Bytes with Accept-Ranges; a single `Range: bytes=N-[M]` gets a 206."""
        headers = {"Accept-Ranges": "bytes", **(extra or {})}
        if attachment:
            headers["Content-Disposition"] = f'attachment; filename="{filename}"'
        m = RANGE.match(self.headers.get("Range", "").strip())
        if m and (m.group(1) or m.group(2)):
            total = len(data)
            if m.group(1):
                start = int(m.group(1))
                end = min(int(m.group(2)), total - 1) if m.group(2) else total - 1
            else:  # suffix range: the last N bytes
                start, end = max(0, total - int(m.group(2))), total - 1
            if start >= total or start > end:
                return self.send(416, b"", headers={**headers, "Content-Range": f"bytes */{total}"})
            headers["Content-Range"] = f"bytes {start}-{end}/{total}"
            return self.send(206, data[start:end + 1], "application/x-xpinstall", headers)
        return self.send(200, data, "application/x-xpinstall", headers)

    def do_GET(self):
        try:
            self.route()
        except ApiError as err:
            self.send_json(err.status, err.body, err.headers)

    do_HEAD = do_GET

    def not_allowed(self):
        self.send_json(405, {"detail": f'Method "{self.command}" not allowed.'})

    do_POST = do_PUT = do_PATCH = do_DELETE = not_allowed


class AmoHandler(Handler):
    def route(self):
        split = urlsplit(self.path)
        # WSGI hands Django PATH_INFO percent-decoded, so AMO matches `%40` as `@`.
        path = unquote(split.path)
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        srv = self.server
        m = API_ROUTES[-1][0].match(path)
        if m:  # a Django page: no API authentication there
            return self.page(m["slug"])
        if path.startswith("/api/") and not path.startswith("/api/v5/"):
            raise ApiError(404, {"detail": NOT_FOUND})  # only v5 is modelled
        # DRF authenticates before anything else: a bad token is a 401 even where
        # anonymous callers are welcome.
        caller = authenticate(self.headers.get("Authorization"), srv.world)
        view = View(srv.world, srv.origin, srv.cdn, caller, query)
        m = DOWNLOAD.match(path)
        if m:
            return self.download(view, int(m["fid"]), bool(m["attachment"]))
        for pattern, name in API_ROUTES:
            m = pattern.match(path)
            if not m:
                continue
            if name == "profile":
                return self.send_json(200, view.profile())
            if name == "addon":
                return self.send_json(200, view.addon(view.get_addon(m["ident"])))
            if name == "versions":
                return self.send_json(200, view.versions(m["ident"], path))
            if name == "version":
                return self.send_json(200, view.version_detail(m["ident"], m["vid"]))
            if name == "validation":
                return self.send_json(200, view.validation(m["ident"], m["fid"]))
        # Django's APPEND_SLASH: a path that only lacks its slash is a 301, query kept.
        if not path.endswith("/") and any(p.match(path + "/") for p, _ in API_ROUTES):
            location = path + "/" + (f"?{split.query}" if split.query else "")
            return self.send(301, b"", headers={"Location": location})
        raise ApiError(404, {"detail": NOT_FOUND})

    def page(self, slug):
        addon = self.server.world.find_addon(slug)
        if addon is None or addon.get("slug") != slug or addon["status"] != "public":
            raise ApiError(404, {"detail": NOT_FOUND})
        names = addon.get("name") or {}
        name = names.get(addon["default_locale"]) or next(iter(names.values()), slug)
        body = (f"<!doctype html><meta charset=utf-8><title>{html.escape(name)} – Add-ons for Firefox"
                f"</title><h1>{html.escape(name)}</h1><p>Stand-in page for add-on {addon['id']}.</p>")
        self.send(200, body.encode(), "text/html; charset=utf-8")

    def download(self, view, file_id, attachment):
        entry = view.world.files.get(file_id)
        if entry is None:
            raise ApiError(404, {"detail": NOT_FOUND})
        addon, version, f = entry
        c, channel = view.caller, version["channel"]
        reviewer = c.is_reviewer() if channel == "listed" else c.is_unlisted_viewer_or_reviewer()
        common = {"Cache-Control": "max-age=86400", "Access-Control-Allow-Origin": "*"}
        if version.get("is_deleted") or addon["status"] == "deleted":
            allowed = reviewer
        elif addon["status"] == "disabled" or f["status"] == "disabled" or channel == "unlisted":
            allowed = reviewer or c.is_author(addon)
        else:
            # Public case: a redirect to the CDN, which never needs (nor gets) credentials.
            sub = "_attachments/" if attachment else ""
            location = f"{view.cdn}/user-media/addons/{sub}{addon['id']}/{f['filename']}?filehash={f['_hash']}"
            return self.send(302, b"", headers={**common, "Location": location, "X-Target-Digest": f["_hash"]})
        if not allowed:
            raise ApiError(404, {"detail": NOT_FOUND}, common)
        return self.send_bytes(f["_bytes"], f["filename"], attachment, common)


class CdnHandler(Handler):
    def route(self):
        srv = self.server
        # Recorded before anything else: the point is to prove no credential got here.
        if self.headers.get("Authorization") is not None:
            srv.saw_authorization = True
        path = urlsplit(self.path).path
        if path == "/__standin__/cdn-saw-authorization":
            return self.send_json(200, {"saw": srv.saw_authorization})
        m = CDN_FILE.match(path)
        if m:
            entry = next((e for e in srv.world.files.values()
                          if e[0]["id"] == int(m["aid"]) and e[2]["filename"] == m["name"]), None)
            # Only what AMO copies to the public mirror: listed, live, not disabled.
            if entry and entry[1]["channel"] == "listed" and not entry[1].get("is_deleted") \
                    and entry[2]["status"] != "disabled" and entry[0]["status"] not in ("disabled", "deleted"):
                return self.send_bytes(entry[2]["_bytes"], entry[2]["filename"], bool(m["attachment"]))
        self.send(404, b"Not Found", "text/plain")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", required=True, help="seed JSON (see the module docstring)")
    args = parser.parse_args()
    with open(args.seed, encoding="utf-8") as fh:
        world = World(json.load(fh))

    amo = ThreadingHTTPServer(("127.0.0.1", 0), AmoHandler)
    cdn = ThreadingHTTPServer(("127.0.0.1", 0), CdnHandler)
    amo.origin = f"http://127.0.0.1:{amo.server_address[1]}"
    cdn.origin = f"http://127.0.0.1:{cdn.server_address[1]}"
    for srv, name in ((amo, "amo"), (cdn, "cdn")):
        srv.world, srv.name, srv.cdn, srv.saw_authorization = world, name, cdn.origin, False
        threading.Thread(target=srv.serve_forever, daemon=True).start()

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print(f"listening {amo.origin} cdn {cdn.origin}", flush=True)
    while not stop.wait(0.5):
        pass
    amo.shutdown()
    cdn.shutdown()


if __name__ == "__main__":
    main()
