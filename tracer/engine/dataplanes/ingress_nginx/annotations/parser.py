"""The parser core every annotation group uses: raw values, validators, and the three failure modes.

Failure modes (ingress-nginx#11.2, no admission webhook assumed):
- drop: a validation error that propagates, so the controller skips the whole Ingress (#1.4);
- deny: the Ingress is served but its locations answer 503 (first reason wins);
- lenient: the value is replaced by its default and a warning is kept.
Validator patterns are the fixed character classes of ``internal/ingress/annotations/parser/validators.go``.
"""

from __future__ import annotations

import ipaddress
import re

from ....result import Diagnosis
from ....snapshot import K8sObject, Snapshot
from ..config import ControllerConfig
from ..values import parse_bool

PREFIX = "nginx.ingress.kubernetes.io/"

# Fixed validator character classes (validators.go). These patterns are constants, never user input.
_ALNUM = r"\-\.\_\~a-zA-Z0-9\/:"
URL_VALID = re.compile(r"^[" + _ALNUM + r",:\?&=]*$")  # permanent/temporal-redirect, auth-signin-redirect-param
BASIC_CHARS = re.compile(r"^[/" + _ALNUM + r"]*$")  # auth-secret, proxy-ssl-secret, session-cookie-*
CHARS_WITH_SPACE = re.compile(r"^[/" + _ALNUM + r" ]*$")  # auth-realm
REGEX_PATH_WITH_CAPTURE = re.compile(r"^/?[" + _ALNUM + r"\/\$]*$")  # rewrite-target, app-root, x-forwarded-prefix
IS_VALID_REGEX = re.compile(r"^[/" + _ALNUM + r"\^\$\[\]\(\)\{\}\*\+\?\|&=\\]*$")  # upstream-vhost, server-alias
URL_WITH_NGINX_VARIABLE = re.compile(r"^[" + _ALNUM + r", ,:\?&=\$]*$")  # auth-url, auth-signin
HEADERS_VARIABLE = re.compile(r"^[A-Za-z0-9\-_, ]*$")  # auth-response-headers, cors-allow-headers
HTTP_ERRORS = re.compile(r"^(?:[4,5]\d{2},?)*$")  # custom-http-errors
CORS_ORIGIN = re.compile(r"^([a-z]+://(\*\.)?[A-Za-z0-9\-.]*(:\d+)?|\*|null)?$")
CORS_ORIGIN_ITEM = re.compile(r"^(([a-z]+://)?(\*\.)?[A-Za-z0-9\-.]*(:\d+)?|null)$")
METHODS = re.compile(r"^(GET|HEAD|POST|PUT|PATCH|DELETE|CONNECT|OPTIONS|TRACE)$")
DNS1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
HASH_BY = re.compile(r"^[A-Za-z0-9\-\$\{\}_]*$")
COOKIE_EXPIRES = re.compile(r"(^0|-?[1-9]\d*$)")


def matches(pattern: re.Pattern[str], value: str) -> bool:
    """A fixed validator pattern against a value; CR/LF always fail (validators.go MaliciousRegex)."""
    return "\n" not in value and "\r" not in value and pattern.search(value) is not None


def parse_cidrs(value: str) -> tuple[str, ...] | None:
    """net.ParseCIDRs: every comma-separated entry must be an IP or CIDR; result normalised and sorted."""
    out: set[str] = set()
    for spec in value.split(","):
        spec = spec.strip()
        try:
            if "/" in spec:
                out.add(str(ipaddress.ip_network(spec, strict=False)))
            else:
                out.add(str(ipaddress.ip_address(spec)))
        except ValueError:
            return None
    return tuple(sorted(out))


def secret_ref(value: str, namespace: str) -> tuple[str, str] | None:
    """cache.SplitMetaNamespaceKey: "name" or "ns/name"."""
    parts = value.split("/")
    if len(parts) == 1:
        return namespace, parts[0]
    if len(parts) == 2:
        return parts[0] or namespace, parts[1]
    return None


class IngressDropped(Exception):
    """A propagating validation error: the controller skips the whole Ingress (ingress-nginx#1.4)."""


class Parser:
    """Reads one Ingress's annotations; keeps warnings, diagnoses and the first drop/deny reason.

    The group parsers read values through it and report problems to it; ``parse_annotations`` turns
    its state and the groups into an ``IngressAnnotations``.
    """

    def __init__(self, ingress: K8sObject, config: ControllerConfig, snapshot: Snapshot) -> None:
        self.ingress = ingress
        self.config = config
        self.snapshot = snapshot
        self.prefix = config.annotations_prefix.rstrip("/") + "/"
        self.raw: dict[str, str] = {
            k[len(self.prefix) :]: v for k, v in ingress.annotations.items() if k.startswith(self.prefix)
        }
        self.name = f"{ingress.namespace}/{ingress.name}"
        self.dropped: str | None = None
        self.denied: str | None = None
        self.warnings: list[str] = []
        self.diagnoses: list[Diagnosis] = []
        self.used: dict[str, str] = {self.prefix + k: v for k, v in self.raw.items()}

    # ---- keys and reports ----
    def key(self, suffix: str) -> str:
        return self.prefix + suffix

    def line(self, suffix: str, value: str) -> str:
        return f'{self.key(suffix)}: "{value}"'

    def diag(self, code: str, severity: str, message: str, fix: str, rule: str) -> None:
        self.diagnoses.append(Diagnosis(code, severity, message, fix, rule, [self.ingress.ref()]))

    def warn(
        self,
        suffix: str,
        message: str,
        fix: str,
        *,
        code: str = "ANNOTATION_VALUE_IGNORED",
        rule: str = "ingress-nginx#11.2",
    ) -> None:
        text = f"Ingress {self.name}: {self.key(suffix)} {message}"
        self.warnings.append(text)
        self.diag(code, "warning", text, fix, rule)

    def drop(self, suffix: str, value: str, why: str, fix: str) -> None:
        reason = f'{self.key(suffix)}: "{value}" {why}'
        self.dropped = reason
        self.diag(
            "INGRESS_DROPPED_INVALID_ANNOTATION",
            "error",
            f"Ingress {self.name} is ignored by the controller: {reason}. Its hosts answer 404 "
            "(with the admission webhook the Ingress would be rejected instead; on update the previous version "
            "stays in service).",
            fix,
            "ingress-nginx#1.4",
        )
        raise IngressDropped(reason)

    def deny(self, suffix: str, why: str, fix: str, code: str) -> None:
        """Location-denied: the Ingress is served but its locations answer 503 (first reason wins)."""
        if self.denied is None:
            self.denied = f"{self.key(suffix)}: {why}"
        self.diag(
            code,
            "error",
            f"Ingress {self.name}: {self.key(suffix)} {why}, so every path of this Ingress answers 503 "
            "(location denied).",
            fix,
            "ingress-nginx#11.2",
        )

    # ---- values ----
    def get(self, suffix: str, *aliases: str) -> str | None:
        """The raw value; an empty value counts as absent (parser: invalid content, ignored)."""
        if not self.raw:
            return None  # most Ingresses carry no annotation of this controller
        for name in (suffix, *aliases):
            value = self.raw.get(name)
            if value is not None and value.strip() != "":
                return value
        return None

    def strict(
        self, suffix: str, value: str, pattern: re.Pattern[str], *, remove_space: bool, what: str, fix: str
    ) -> str:
        """A validator whose error propagates: the whole Ingress is dropped (ingress-nginx#1.4)."""
        checked = value.replace(" ", "") if remove_space else value
        if not matches(pattern, checked):
            self.drop(suffix, value, f"fails validation ({what})", fix)
        return checked

    def boolean(self, suffix: str, default: bool | None, *, strict: bool = False) -> bool | None:
        value = self.get(suffix)
        if value is None:
            return default
        b = parse_bool(value)
        if b is None:
            if strict:
                self.drop(suffix, value, "is not a boolean", f'Use {self.line(suffix, "true")} or "false".')
            shown = "the controller default" if default is None else f'"{str(default).lower()}"'
            self.warn(
                suffix,
                f'value "{value}" is not a boolean; {shown} is used instead',
                f'Use {self.line(suffix, "true")} or "false".',
            )
            return default
        return b

    def integer(self, suffix: str, *, strict: bool = False) -> int | None:
        """Go strconv.Atoi; None when absent or (lenient) invalid."""
        value = self.get(suffix)
        if value is None:
            return None
        text = value.strip() if not strict else value
        try:
            return int(text)
        except ValueError:
            if strict:
                self.drop(
                    suffix, value, "is not a whole number", f"Use a plain integer, e.g. {self.line(suffix, '1')}."
                )
            return None
