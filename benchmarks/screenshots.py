"""Screenshots of every web view each demo role can see, for docs/web.md and the README.

Runs against a demo server that is already serving (`polku demo`, or `polku serve --store S`
on a demo store), in Debian's chromium driven by Playwright (`/usr/bin/chromium`, headless;
never `playwright install`). For each role it logs in with the demo password, switches the
language, and saves `docs/images/web-<role>-<view>.png` at 1280x900 for every registered view
the role may read that needs no parameter (`polku.web.views.VIEWS`, so a view added later is
photographed too) and, where the role sees clients, the page of its first client.

    uv run --frozen python benchmarks/screenshots.py [--base-url http://127.0.0.1:8000] [--lang en]
        [--roles caseworker,manager] [--out docs/images]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

from polku.web.access import allowed
from polku.web.accounts import ROLES, User
from polku.web.demo import DEMO_PASSWORD
from polku.web.views import VIEWS

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu"]
VIEWPORT = {"width": 1280, "height": 900}


def views_of(role: str) -> list[tuple[str, str]]:
    """(name, path) of every view without a path parameter that the role may read."""
    user = User(role, role)
    return [(v.name, v.path) for v in VIEWS if "{" not in v.path and (v.reads is None or allowed(user, v.reads))]


def log_in(page: Page, base: str, role: str, lang: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=username]", role)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("form.login button[type=submit]")
    page.wait_for_load_state("networkidle")
    if "/login" in page.url:
        raise SystemExit(f"login as {role} failed: is {base} serving a demo store?")
    page.click(f"form.language button[value={lang}]")
    page.wait_for_load_state("networkidle")


def first_client(page: Page, base: str) -> str | None:
    answer = page.request.get(f"{base}/api/clients")
    clients = answer.json().get("clients", []) if answer.ok else []
    return str(clients[0]["id"]) if clients else None


def shoot(page: Page, base: str, role: str, out: Path, lang: str) -> list[Path]:
    """Log in as `role` and save each of its views; the files written."""
    log_in(page, base, role, lang)
    targets = views_of(role)
    if any(name == "clients" for name, _ in targets) and (client := first_client(page, base)):
        targets.append(("client", f"/clients/{client}"))
    written = []
    for name, path in targets:
        page.goto(base + path)
        page.wait_for_load_state("networkidle")
        target = out / f"web-{role}-{name}.png"
        page.screenshot(path=str(target))
        written.append(target)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--roles", default=",".join(ROLES), help="comma-separated demo roles")
    parser.add_argument("--lang", default="en", choices=["fi", "sv", "en"])
    parser.add_argument("--out", type=Path, default=Path("docs/images"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            for role in args.roles.split(","):
                context = browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
                for path in shoot(context.new_page(), args.base_url.rstrip("/"), role, args.out, args.lang):
                    print(f"{path}  {path.stat().st_size / 1000:.0f} kB")
                context.close()
        finally:
            browser.close()


if __name__ == "__main__":
    main()
