"""The case worker's own desk: the seed model's chance of work per client, and its feature recipe."""
