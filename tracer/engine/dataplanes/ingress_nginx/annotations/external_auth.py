"""External auth annotations (ingress-nginx#9.3): auth-url and the settings of the auth subrequest.

An auth-url with bad characters drops the Ingress; one that is not a usable URL, a bad auth-method or
bad auth-response-headers deny its locations, and the settings after the bad one are not read.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from .parser import HEADERS_VARIABLE, METHODS, URL_VALID, URL_WITH_NGINX_VARIABLE, Parser, matches


@dataclass(frozen=True, slots=True)
class ExternalAuth:
    url: str | None = None  # auth-url; None: no per-Ingress external auth
    signin: str | None = None
    signin_redirect_param: str = "rd"
    method: str | None = None
    response_headers: tuple[str, ...] = ()
    always_set_cookie: bool = False
    enable_global: bool = True  # enable-global-auth: the ConfigMap global-auth-url applies


_EXAMPLE_AUTH_URL = "http://oauth2-proxy.auth.svc.cluster.local/oauth2/auth"

NO_EXTERNAL_AUTH = ExternalAuth()
NO_GLOBAL_AUTH = ExternalAuth(enable_global=False)


def _auth_url_problem(value: str) -> str | None:
    """parser.StringToURL: needs a scheme and a host without '..'."""
    try:
        parts = urlsplit(value)
        host = parts.netloc.rpartition("@")[2]
    except ValueError as exc:
        return f"is not a valid URL ({exc})"
    if not parts.scheme:
        return "has no URL scheme"
    if not host:
        return "has no host"
    if ".." in host:
        return "has an invalid host"
    return None


def parse_external_auth(p: Parser) -> ExternalAuth:
    if not p.raw:
        return NO_EXTERNAL_AUTH  # no annotation of this controller at all
    enable_global = bool(p.boolean("enable-global-auth", True))
    url = p.get("auth-url")
    if url is None:
        return NO_EXTERNAL_AUTH if enable_global else NO_GLOBAL_AUTH
    checked = p.strict(
        "auth-url",
        url,
        URL_WITH_NGINX_VARIABLE,
        remove_space=True,
        what="characters outside A-Za-z0-9-._~/:,?&=$",
        fix="Percent-encode other characters in auth-url.",
    )
    problem = _auth_url_problem(checked)
    if problem is not None:
        p.deny(
            "auth-url",
            f'value "{url}" {problem}',
            f"Use an absolute URL, e.g. {p.line('auth-url', _EXAMPLE_AUTH_URL)}.",
            "AUTH_URL_INVALID",
        )
        return NO_EXTERNAL_AUTH if enable_global else NO_GLOBAL_AUTH
    method = p.get("auth-method")
    if method is not None:
        if not matches(METHODS, method.replace(" ", "")):
            p.deny(
                "auth-method",
                f'value "{method}" is not an HTTP method',
                f"Use {p.line('auth-method', 'GET')}.",
                "AUTH_URL_INVALID",
            )
            return ExternalAuth(url=checked, enable_global=enable_global)
        method = method.replace(" ", "")
    signin = _signin(p)
    param = _redirect_param(p)
    headers = p.get("auth-response-headers")
    response_headers: tuple[str, ...] = ()
    if headers is not None:
        if not matches(HEADERS_VARIABLE, headers.replace(" ", "")):
            p.deny(
                "auth-response-headers",
                f'value "{headers}" is not a list of header names',
                f"Use e.g. {p.line('auth-response-headers', 'X-Auth-Request-User, X-Auth-Request-Email')}.",
                "AUTH_URL_INVALID",
            )
            return ExternalAuth(
                url=checked, signin=signin, signin_redirect_param=param, method=method, enable_global=enable_global
            )
        response_headers = tuple(h.strip() for h in headers.split(",") if h.strip())
    return ExternalAuth(
        url=checked,
        signin=signin,
        signin_redirect_param=param,
        method=method,
        response_headers=response_headers,
        always_set_cookie=bool(p.boolean("auth-always-set-cookie", False)),
        enable_global=enable_global,
    )


def _signin(p: Parser) -> str | None:
    signin = p.get("auth-signin")
    if signin is None:
        return None
    if matches(URL_WITH_NGINX_VARIABLE, signin.replace(" ", "")):
        return signin.replace(" ", "")
    p.warn(
        "auth-signin",
        f'value "{signin}" has invalid characters and is ignored',
        "Percent-encode other characters in auth-signin.",
        rule="ingress-nginx#9.3",
    )
    return None


def _redirect_param(p: Parser) -> str:
    param = p.get("auth-signin-redirect-param")
    if param is None:
        return "rd"
    if matches(URL_VALID, param.replace(" ", "")):
        return param.replace(" ", "")
    p.warn(
        "auth-signin-redirect-param",
        f'value "{param}" has invalid characters; "rd" is used',
        f"Use e.g. {p.line('auth-signin-redirect-param', 'rd')}.",
        rule="ingress-nginx#9.3",
    )
    return "rd"
