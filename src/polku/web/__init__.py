"""Polku on the web (issue 16): the server, accounts, roles and scope, and the first views.

`create_app(store_path)` builds the Starlette application; `polku serve` runs it on uvicorn.
Every data read goes through `access` (roles and scope) and `data` (short read-only
connections); aggregates pass the disclosure gate (`polku.sdc`); person-level reads and
refusals are audited (`trail`). See docs/web.md.
"""

from polku.web.app import create_app

__all__ = ["create_app"]
