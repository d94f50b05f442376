"""Parsing a ``Set-Cookie`` header the way a user agent does (RFC 6265 section 5.1.1 and 5.2).

Parsing is lenient on purpose, as browsers are: a bad attribute is skipped, never the whole header,
and only a header with neither name nor value is dropped. Where RFC 6265bis (the draft that browsers
follow) differs from RFC 6265, the bis rule is taken and its docstring says so.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from typing import Literal

SameSite = Literal["strict", "lax", "none", "default"]

# RFC 6265bis section 5.6: longer names/values or attribute values are ignored by browsers.
MAX_NAME_VALUE = 4096
MAX_ATTRIBUTE_VALUE = 1024

# RFC 6265 section 5.1.1: delimiters split a cookie-date into tokens.
_DATE_DELIMITERS = re.compile(r"[\x09\x20-\x2f\x3b-\x40\x5b-\x60\x7b-\x7e]+")
_TIME = re.compile(r"(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\D.*)?", re.DOTALL)
_DAY = re.compile(r"(\d{1,2})(?:\D.*)?", re.DOTALL)
_YEAR = re.compile(r"(\d{2,4})(?:\D.*)?", re.DOTALL)
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MAX_AGE = re.compile(r"-?\d+")
_SAME_SITE: dict[str, SameSite] = {"strict": "strict", "lax": "lax", "none": "none"}


def parse_cookie_date(text: str) -> float | None:
    """RFC 6265 section 5.1.1: a cookie-date as seconds since the Unix epoch, or nothing if it fails.

    Tokens are tried in order as time, day of month, month, year; each is taken once. Two-digit years
    70-99 are 19xx and 00-69 are 20xx; out-of-range fields or years before 1601 fail.
    """
    time: tuple[int, int, int] | None = None
    day = month = year = None
    for token in _DATE_DELIMITERS.split(text):
        if not token:
            continue
        if time is None and (m := _TIME.fullmatch(token)):
            time = (int(m[1]), int(m[2]), int(m[3]))
        elif day is None and (m := _DAY.fullmatch(token)):
            day = int(m[1])
        elif month is None and token[:3].lower() in _MONTHS:
            month = _MONTHS.index(token[:3].lower()) + 1
        elif year is None and (m := _YEAR.fullmatch(token)):
            year = int(m[1])
    if time is None or day is None or month is None or year is None:
        return None
    if 70 <= year <= 99:
        year += 1900
    elif 0 <= year <= 69:
        year += 2000
    hour, minute, second = time
    if not 1 <= day <= 31 or year < 1601 or hour > 23 or minute > 59 or second > 59:
        return None
    if day > calendar.monthrange(year, month)[1]:
        return None  # "Feb 30" names no date: the algorithm fails
    return float(calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0)))


@dataclass(frozen=True, slots=True)
class ParsedCookie:
    """One Set-Cookie header after RFC 6265 section 5.2, before the storage model decides on it.

    ``expiry`` is absolute (seconds on the journey clock), ``None`` for a session cookie; ``path`` is
    ``None`` when the header gave no usable Path (the storage model then uses the default-path).
    """

    name: str
    value: str
    expiry: float | None
    domain: str | None
    path: str | None
    secure: bool
    http_only: bool
    same_site: SameSite


def _trim(text: str) -> str:
    return text.strip(" \t")


def parse_set_cookie(header: str, now: float) -> ParsedCookie | None:
    """RFC 6265 section 5.2 (with 6265bis section 5.6 for browser behaviour), or nothing if ignored.

    6265bis: a name-value pair without ``=`` is a cookie with an empty name (RFC 6265 dropped it);
    a header whose name and value are both empty, or whose name plus value exceed 4096 octets, is
    ignored. Max-Age wins over Expires whatever their order (5.3 step 3); for each attribute the last
    one counts.
    """
    pair, _, unparsed = header.partition(";")
    if "=" in pair:
        raw_name, _, raw_value = pair.partition("=")
        name, value = _trim(raw_name), _trim(raw_value)
    else:
        name, value = "", _trim(pair)
    if not name and not value:
        return None
    if len(name) + len(value) > MAX_NAME_VALUE:
        return None
    expires: float | None = None
    max_age: float | None = None
    domain: str | None = None
    path: str | None = None
    secure = http_only = False
    same_site: SameSite = "default"
    for av in unparsed.split(";") if unparsed else ():
        raw_key, _, raw_val = av.partition("=")
        key, val = _trim(raw_key).lower(), _trim(raw_val)
        if len(val) > MAX_ATTRIBUTE_VALUE:
            continue
        if key == "expires":
            parsed = parse_cookie_date(val)
            if parsed is not None:
                expires = parsed
        elif key == "max-age":
            # 5.2.2: must be digits with an optional leading "-"; 0 or less means already expired.
            if _MAX_AGE.fullmatch(val):
                delta = int(val)
                max_age = now + delta if delta > 0 else float("-inf")
        elif key == "domain":
            # 6265bis 5.6.3: an empty Domain is ignored; a leading dot is dropped.
            if val:
                domain = val.removeprefix(".").lower()
        elif key == "path":
            # 5.2.4: an empty or relative Path falls back to the default-path.
            path = val if val.startswith("/") else None
        elif key == "secure":
            secure = True
        elif key == "httponly":
            http_only = True
        elif key == "samesite":
            # 6265bis 5.6.7: an unknown value leaves the enforcement at "default".
            same_site = _SAME_SITE.get(val.lower(), "default")
    expiry = max_age if max_age is not None else expires
    return ParsedCookie(name, value, expiry, domain, path, secure, http_only, same_site)
