"""Words, dates and numbers of a web page in the reader's language (fi by default, sv, en).

Messages come from the same catalogs as the report (`polku.i18n`, keys `web.*`), code
labels from the code lists, and dates and numbers are formatted by Babel for the locale:
"31.3.2026" and "1 234,5" in Finnish, "31 mars 2026" in Swedish, "31 Mar 2026" in English.
Babel parses its locale and pattern on every call, which was half the time of rendering a desk
of 200 clients; here each locale and pattern is parsed once and each formatted value kept
(`_number`, `_date`: Babel's own functions, so the text is the same).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from babel.core import Locale as BabelLocale
from babel.dates import format_date
from babel.numbers import NumberPattern, parse_pattern

from polku.i18n import LANGUAGES, t
from polku.schema.codelists import codelist

DEFAULT = "fi"
BABEL_LOCALES = {"fi": "fi_FI", "sv": "sv_FI", "en": "en_GB"}
HIDDEN = ".."


FORMATTED_KEPT = 16384
"""Formatted numbers and dates kept (day counts, percentages and dates repeat on every page)."""


@cache
def _babel(lang: str) -> BabelLocale:
    return BabelLocale.parse(BABEL_LOCALES[lang])


@cache
def _pattern(decimals: int) -> NumberPattern:
    return parse_pattern("#,##0" + ("." + "0" * decimals if decimals else ""))


@lru_cache(maxsize=FORMATTED_KEPT, typed=True)
def _number(value: float | int, decimals: int, lang: str) -> str:
    """`babel.numbers.format_decimal(value, format=<the pattern>, locale=...)`, as it does it."""
    return str(_pattern(decimals).apply(value, _babel(lang)))


@lru_cache(maxsize=FORMATTED_KEPT, typed=True)
def _date(value: dt.date, lang: str) -> str:
    return format_date(value, format="medium", locale=_babel(lang))


def language(*choices: str | None) -> str:
    """The first known language among `choices`, else Finnish."""
    return next((c for c in choices if c in LANGUAGES), DEFAULT)


@dataclass(frozen=True)
class Locale:
    """What templates call to put words and figures on a page."""

    lang: str

    def t(self, key: str, **values: Any) -> str:
        return t(key, self.lang, **values)

    def label(self, codes: str, code: str | None) -> str:
        return "" if code is None else codelist(codes).label(str(code), self.lang)

    def date(self, value: dt.date | None) -> str:
        return "" if value is None else _date(value, self.lang)

    def num(self, value: float | int | None, decimals: int = 0) -> str:
        """A number in the locale's style; None (a hidden cell) as the disclosure marker."""
        if value is None:
            return HIDDEN
        return _number(value, decimals, self.lang)
