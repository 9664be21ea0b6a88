from __future__ import annotations

import numpy as np

from polku.synth import codes
from polku.synth.world import _FIELDS, World


def test_every_state_array_is_declared_and_allocated_with_its_dtype() -> None:
    """The class declares exactly the arrays `_FIELDS` allocates, so a type checker sees
    every one and a new field cannot be added to one list only."""
    assert set(World.__annotations__) == set(_FIELDS)
    world = World(3, months=2)
    for name, dtype in _FIELDS.items():
        array = getattr(world, name)
        assert array.shape == (3,) and array.dtype == np.dtype(dtype), name
    assert world.reg_id.tolist() == [-1, -1, -1] and world.state.tolist() == [codes.NOT_YET] * 3
