"""The synthetic employment area: simulated clients, services and outcomes with known effects.

`generate()` writes one CSV per table of the data model plus the ground truth (true
potential outcomes and effects, and the list of deliberate recording mistakes). See
`docs/synthetic.md`.
"""

from __future__ import annotations

from polku.synth.generate import GENERATOR_VERSION, GenerateResult, generate

__all__ = ["GENERATOR_VERSION", "GenerateResult", "generate"]
