"""`make screenshots`: the deck at desktop and phone sizes, from the bundled sample, into docs/.

It builds a throwaway SQLite site, signs a demo user in with Debian's Chromium through Playwright,
and writes docs/landing.png, docs/deck-desktop.png, docs/deck-phone.png, docs/reading-list.png,
docs/papers.png and docs/paper.png.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
PORT = int(os.environ.get("SCREENSHOT_PORT", "8799"))
EMAIL, PASSWORD = "demo@example.org", "a demo passphrase"
SETUP = f"""
from allauth.account.models import EmailAddress
from accounts.models import User
from papers.models import Category
user = User.objects.filter(email="{EMAIL}").first() or User.objects.create_user(email="{EMAIL}", password="{PASSWORD}")
EmailAddress.objects.get_or_create(user=user, email=user.email, defaults={{"verified": True, "primary": True}})
Category.objects.filter(code__in=["cs.LG", "cs.SE", "quant-ph", "math.AP"]).update(is_active=True)
user.followed_categories.set(Category.objects.filter(code__in=["cs.LG", "cs.SE", "quant-ph", "math.AP"]))
"""


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{tmp}/shots.sqlite3",
            "DJANGO_SETTINGS_MODULE": "paperswipe.settings.local",
        }
        env.pop("REDIS_URL", None)
        manage = [sys.executable, "manage.py"]
        for args in (["migrate", "-v0"], ["load_samples", "-v0"], ["shell", "-c", SETUP]):
            subprocess.run(manage + args, cwd=ROOT, env=env, check=True)
        server = subprocess.Popen(
            [*manage, "runserver", f"127.0.0.1:{PORT}", "--noreload"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait_for(f"http://127.0.0.1:{PORT}/papers/")
            _shoot(f"http://127.0.0.1:{PORT}")
        finally:
            server.terminate()
            server.wait()


def _wait_for(url: str) -> None:
    for _ in range(100):
        try:
            urllib.request.urlopen(url, timeout=1)  # noqa: S310
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"the server did not answer at {url}")


def _shoot(base: str) -> None:
    with sync_playwright() as p:
        flags = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=flags)
        # A laptop's common window, and a phone as the browser sees one (touch, mobile viewport rules).
        shots = (
            ("deck-desktop", {"viewport": {"width": 1280, "height": 720}, "color_scheme": "light"}),
            (
                "deck-phone",
                {
                    "viewport": {"width": 390, "height": 844},
                    "color_scheme": "dark",
                    "has_touch": True,
                    "is_mobile": True,
                    "device_scale_factor": 2,
                },
            ),
        )
        for name, options in shots:
            page = browser.new_page(**options)
            page.goto(f"{base}/accounts/login/")
            page.get_by_label("Email").fill(EMAIL)
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign In").click()
            page.wait_for_selector("#deck .deck-card .katex, #deck .deck-card")
            page.screenshot(path=ROOT / "docs" / f"{name}.png")
            if name == "deck-desktop":
                for _ in range(3):
                    with page.expect_response(lambda r: r.url.endswith("/deck/decide/")):
                        page.keyboard.press("ArrowRight")
                page.goto(f"{base}/lists/reading-list/")
                page.screenshot(path=ROOT / "docs" / "reading-list.png", full_page=True)
            page.close()
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.goto(f"{base}/")  # the front door, signed out
        page.wait_for_selector(".landing .deck-card")
        page.screenshot(path=ROOT / "docs" / "landing.png")
        page.goto(f"{base}/papers/")
        page.screenshot(path=ROOT / "docs" / "papers.png")
        page.goto(f"{base}/papers/0811.3648/")
        page.screenshot(path=ROOT / "docs" / "paper.png")
        browser.close()


if __name__ == "__main__":
    main()
