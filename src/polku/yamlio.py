"""Reading the package's YAML data (mappings, code lists, synthetic-area parameters, messages).

One loader for all of them: PyYAML's C-accelerated safe loader when the installed PyYAML
has libyaml (the PyPI wheels do), else the pure-Python one. Both build only plain data
(no Python objects from tags). The C loader reads the synthetic mapping about ten times
faster, which is 0.1 s of every import.
"""

from __future__ import annotations

from typing import Any

import yaml

SafeLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str) -> Any:
    """Plain data (dicts, lists, strings, numbers) from YAML text; raises yaml.YAMLError."""
    return yaml.load(text, Loader=SafeLoader)  # noqa: S506 - a safe loader
