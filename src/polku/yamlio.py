"""Reading the package's YAML data (mappings, code lists, synthetic-area parameters, messages).

One loader for all of them: PyYAML's C-accelerated safe loader when the installed PyYAML
has libyaml (the PyPI wheels do), else the pure-Python one. Both build only plain data
(no Python objects from tags). The C loader reads the synthetic mapping about ten times
faster, which is 0.1 s of every import.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import yaml

SafeLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str) -> Any:
    """Plain data (dicts, lists, strings, numbers) from YAML text; raises yaml.YAMLError."""
    return yaml.load(text, Loader=SafeLoader)  # noqa: S506 - a safe loader


def read_mapping_file(path: Path, keys: Sequence[str], refuse: Callable[[Path, str], Exception]) -> tuple[dict[str, Any], bytes]:
    """An area's own data file (client groups, a service menu) as a mapping with exactly
    `keys`, and its bytes (for its digest); anything else is refused through
    `refuse(path, why)`, which names the file."""
    try:
        data = path.read_bytes()
        raw = load_yaml(data.decode("utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise refuse(path, f"cannot be read ({type(error).__name__})") from None
    if not isinstance(raw, dict) or set(raw) != set(keys):
        raise refuse(path, f"the file needs exactly the keys {', '.join(keys)}")
    return raw, data
