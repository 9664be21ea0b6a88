"""National, comparable indicators per employment area (issue 19), over a store or the national register."""
