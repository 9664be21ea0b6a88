"""Message catalogs: every sentence a person reads in a report, in Finnish, Swedish and English.

Why a catalog and not strings in code: the three languages must stay complete and in step
(a test compares their keys), and a translator can work on one YAML file per language.
Code labels (sexes, services, end reasons...) come from the code lists, not from here.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

from polku.yamlio import load_yaml

LANGUAGES = ("fi", "sv", "en")


@cache
def catalog(lang: str) -> dict[str, str]:
    """All messages of one language, key -> text."""
    if lang not in LANGUAGES:
        raise KeyError(f"unknown language {lang!r}; known: {', '.join(LANGUAGES)}")
    text = (resources.files("polku.i18n") / "messages" / f"{lang}.yaml").read_text(encoding="utf-8")
    return {str(k): str(v) for k, v in load_yaml(text).items()}


def t(key: str, lang: str = "en", **values: Any) -> str:
    """The message `key` in `lang`, with `{name}` placeholders filled from `values`.

    A missing key is a programming error and raises KeyError naming the key, so a
    forgotten translation fails in tests instead of showing an empty string.
    """
    try:
        message = catalog(lang)[key]
    except KeyError:
        raise KeyError(f"message {key!r} is missing from the {lang} catalog") from None
    return message.format(**values) if values else message
