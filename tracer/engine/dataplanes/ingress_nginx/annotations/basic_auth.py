"""Basic and digest auth annotations (ingress-nginx#9.2): auth-type, auth-secret, auth-secret-type, auth-realm.

auth-type with a wrong value drops the Ingress; a missing or unreachable Secret denies its locations.
"""

from __future__ import annotations

from dataclasses import dataclass

from .parser import BASIC_CHARS, CHARS_WITH_SPACE, Parser, matches, secret_ref


@dataclass(frozen=True, slots=True)
class BasicAuth:
    type: str | None = None  # "basic" | "digest"; None: no basic/digest auth
    secret: str | None = None  # "ns/name"
    realm: str | None = None
    secret_type: str = "auth-file"


NO_BASIC_AUTH = BasicAuth()


def parse_basic_auth(p: Parser) -> BasicAuth:
    auth_type = p.get("auth-type")
    if auth_type is None:
        return NO_BASIC_AUTH
    # authTypeRegex "basic|digest" is unanchored and case-sensitive; a failure propagates (Ingress dropped).
    checked = auth_type.replace(" ", "")
    if "basic" not in checked and "digest" not in checked:
        p.drop(
            "auth-type", auth_type, 'is not "basic" or "digest" (lower case)', f"Use {p.line('auth-type', 'basic')}."
        )
    kind = "digest" if "digest" in checked and "basic" not in checked else "basic"
    secret_type = _secret_type(p)
    realm = p.get("auth-realm")
    if realm is not None:
        p.strict(
            "auth-realm",
            realm,
            CHARS_WITH_SPACE,
            remove_space=False,
            what="characters outside A-Za-z0-9-._~/: ",
            fix=f"Use a plain text realm, e.g. {p.line('auth-realm', 'Authentication Required')}.",
        )
    return BasicAuth(type=kind, secret=_secret(p), realm=realm, secret_type=secret_type)


def _secret_type(p: Parser) -> str:
    secret_type = p.get("auth-secret-type")
    if secret_type is None:
        return "auth-file"
    st = secret_type.replace(" ", "")
    if "auth-file" not in st and "auth-map" not in st:
        p.drop(
            "auth-secret-type",
            secret_type,
            'is not "auth-file" or "auth-map"',
            f"Use {p.line('auth-secret-type', 'auth-file')}.",
        )
    if st not in ("auth-file", "auth-map"):
        p.deny(
            "auth-secret-type",
            f'value "{secret_type}" must be exactly auth-file or auth-map',
            f"Use {p.line('auth-secret-type', 'auth-file')}.",
            "AUTH_SECRET_TYPE_INVALID",
        )
    return st


def _secret(p: Parser) -> str | None:
    """The htpasswd Secret as "ns/name"; a Secret the controller cannot read denies the locations."""
    secret = p.get("auth-secret")
    ns = p.ingress.namespace or "default"
    if secret is None:
        p.deny(
            "auth-secret",
            "is missing although auth-type is set",
            f"Add {p.line('auth-secret', 'basic-auth')} naming a Secret with an htpasswd key 'auth'.",
            "AUTH_SECRET_MISSING",
        )
        return None
    ref = secret_ref(secret.strip(), ns) if matches(BASIC_CHARS, secret.replace(" ", "")) else None
    if ref is None:
        p.deny(
            "auth-secret",
            f'value "{secret}" is not a Secret name or namespace/name',
            f"Use {p.line('auth-secret', 'basic-auth')}.",
            "AUTH_SECRET_MISSING",
        )
        return None
    sns, sname = ref
    if sns != ns and not p.config.allow_cross_namespace_resources:
        p.deny(
            "auth-secret",
            f"refers to Secret {sns}/{sname} in another namespace, which is not allowed",
            f'Copy the Secret into namespace {ns}, or set allow-cross-namespace-resources: "true" in the ConfigMap.',
            "AUTH_SECRET_MISSING",
        )
    elif p.snapshot.get("Secret", sns, sname) is None:
        p.deny(
            "auth-secret",
            f"names Secret {sns}/{sname}, which is not in the snapshot",
            f"Create Secret {sname} in namespace {sns} with an htpasswd key 'auth' "
            "(kubectl create secret generic ... --from-file=auth).",
            "AUTH_SECRET_MISSING",
        )
    return f"{sns}/{sname}"
