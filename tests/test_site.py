"""The learner's site, built and read in a browser.

Builds the site (``mkdocs build --strict``, as ``make docs`` does) into a temporary folder, serves
it on localhost, and opens every page in headless Chromium: each page renders (has an h1), logs no
console error, every link to the site itself resolves (HTTP 200, and the heading it points at
exists), and every image loads. Requests to other hosts (the MathJax script, web fonts) are
blocked, so the test runs offline and checks what the site itself serves.

Skips, saying what is missing, without MkDocs (``make docs`` installs it), without the
``playwright`` package (the ``test`` extra) or without a Chromium (``apt-get install chromium``).
The lab's results (docs/lab/NAME/) are checked as they are; the Markdown that the lab markers
become is tested without a browser in tests/lab/test_site.py.
"""

from __future__ import annotations

import functools
import http.server
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

# one worker builds the site once for all the tests here (make test: pytest -n 2 --dist loadgroup)
pytestmark = pytest.mark.xdist_group("site")

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-extensions", "--disable-sync", "--no-first-run",
                 "--disable-default-apps", "--disable-component-update", "--mute-audio"]
LOCAL = {"127.0.0.1", "localhost"}


def _chromium():
    """A Chromium (or Chrome) executable: $GLASSNET_CHROMIUM, /usr/bin/chromium, or on PATH."""
    candidates = [os.environ.get("GLASSNET_CHROMIUM"), "/usr/bin/chromium"]
    candidates += [shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")]
    return next((c for c in candidates if c and os.access(c, os.X_OK)), None)


def _need_mkdocs():
    for module in ("mkdocs", "material", "mkdocstrings", "mkdocstrings_handlers.python"):
        try:
            found = importlib.util.find_spec(module) is not None
        except ModuleNotFoundError:
            found = False
        if not found:
            pytest.skip(f"{module} is not installed: run `make docs` to install MkDocs")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The site built into a temporary folder."""
    _need_mkdocs()
    out = tmp_path_factory.mktemp("site")
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet",
         "-f", str(ROOT / "mkdocs.yml"), "-d", str(out)],
        check=False, cwd=ROOT, capture_output=True, text=True, timeout=900,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert proc.returncode == 0, f"mkdocs build --strict failed:\n{proc.stdout}\n{proc.stderr}"
    return out


@pytest.fixture(scope="module")
def server(site):
    """``http://127.0.0.1:PORT/`` serving the built site."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    class Server(http.server.ThreadingHTTPServer):
        def handle_error(self, request, client_address):
            if not isinstance(sys.exc_info()[1], ConnectionError):  # a load cut short
                super().handle_error(request, client_address)

    handler = functools.partial(Quiet, directory=str(site))
    httpd = Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


def _pages(site):
    """The URL path of every page: one per folder holding an index.html."""
    return sorted("" if p.parent == site else p.parent.relative_to(site).as_posix() + "/"
                  for p in site.rglob("index.html"))


_PAGE_JS = """() => ({
    h1: Array.from(document.querySelectorAll('.md-content h1')).map(e => e.textContent.trim()),
    ids: Array.from(document.querySelectorAll('[id]')).map(e => e.id),
    links: Array.from(document.querySelectorAll('a[href]')).map(a => a.href),
    broken_images: Array.from(document.images)
        .filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src),
})"""


def _is_search_index(url):
    return urllib.parse.urlsplit(url).path.endswith("/search/search_index.json")


@pytest.fixture(scope="module")
def visited(site, server):
    """Every page opened in headless Chromium: ``{path: {h1, ids, links, broken_images, errors,
    status}}``, and under ``"search"`` the links that searching the home page for
    ``conv_transpose2d`` finds. The search index loads on the home page; the other pages get an
    empty one (indexing the whole site on every page would double the test's time)."""
    executable = _chromium()
    if executable is None:
        pytest.skip("no Chromium to read the site with: `apt-get install chromium` "
                    "(or set GLASSNET_CHROMIUM to a Chromium or Chrome executable)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed: pip install playwright (the `test` extra; "
                    "it drives the system Chromium, no browser download needed)")

    results, errors, search = {}, [], {"on": True}
    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    empty_index = json.dumps({"config": index["config"], "docs": []})

    def blocked(url):
        host = urllib.parse.urlsplit(url).hostname
        return not url.startswith(("data:", "blob:")) and host not in LOCAL

    def route(r):
        if blocked(r.request.url):
            r.abort()
        elif _is_search_index(r.request.url) and not search["on"]:
            r.fulfill(status=200, content_type="application/json", body=empty_index)
        else:
            r.continue_()

    def on_console(msg):
        url = msg.location.get("url") or ""
        if msg.type == "error" and not blocked(url):
            errors.append(f"{msg.text} ({url})")

    def on_failed(req):
        # ERR_ABORTED: a load cut short by going on to the next page
        if not blocked(req.url) and "ERR_ABORTED" not in (req.failure or ""):
            errors.append(f"request failed: {req.url} ({req.failure})")

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.set_default_timeout(30_000)
            page.route("**/*", route)
            page.on("console", on_console)
            page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
            page.on("requestfailed", on_failed)
            for path in _pages(site):
                errors.clear()
                response = page.goto(server + path, wait_until="load")
                info = page.evaluate(_PAGE_JS)
                if search["on"]:  # the home page: search works
                    page.fill(".md-search__input", "conv_transpose2d")
                    page.wait_for_selector(".md-search-result__item")
                    results["search"] = page.locator(".md-search-result__item a").evaluate_all(
                        "els => els.map(e => e.href)")
                    search["on"] = False
                info["status"] = response.status if response else None
                info["errors"] = list(errors)
                results[path] = info
        finally:
            browser.close()
    return results


def test_site_has_enough_pages(site):
    pages = _pages(site)
    assert len(pages) >= 25, f"only {len(pages)} pages"
    for part in ("api/", "lectures/", "lab/"):
        assert any(p.startswith(part) for p in pages), f"no page under {part}"
    assert sum(p.startswith("lectures/") for p in pages) >= 11


def _visited_pages(visited):
    return {path: info for path, info in visited.items() if path != "search"}


def test_every_page_renders_without_errors(visited):
    bad = {path: (info["status"], info["h1"], info["errors"])
           for path, info in _visited_pages(visited).items()
           if info["status"] != 200 or not info["h1"] or info["errors"]}
    assert not bad, f"pages with no h1, a bad status or console errors: {bad}"


def test_every_image_loads(visited):
    bad = {path: info["broken_images"] for path, info in _visited_pages(visited).items()
           if info["broken_images"]}
    assert not bad, f"images that did not load: {bad}"


def test_every_internal_link_resolves(visited, server):
    pages = _visited_pages(visited)
    ids = {server + path: set(info["ids"]) for path, info in pages.items()}
    targets = {}
    for path, info in pages.items():
        for href in info["links"]:
            if href.startswith(server):
                targets.setdefault(href, path)
    broken, status = [], {}
    for href, source in sorted(targets.items()):
        url, _, anchor = href.partition("#")
        if url not in status:
            try:
                with urllib.request.urlopen(url, timeout=10) as r:
                    status[url] = r.status
            except urllib.error.HTTPError as e:
                status[url] = e.code
        if status[url] != 200:
            broken.append(f"{source} -> {href} (HTTP {status[url]})")
        elif anchor and url in ids and urllib.parse.unquote(anchor) not in ids[url]:
            broken.append(f"{source} -> {href} (no such heading)")
    assert len(targets) > 100, f"only {len(targets)} internal links found"
    assert not broken, "broken internal links:\n" + "\n".join(broken)


def test_search_finds_the_api(visited, server):
    assert server + "api/nn-functional/#glassnet.nn.functional.conv.conv_transpose2d" in \
        visited["search"], visited["search"]


def test_lab_results_appear_on_the_site(site):
    """Every experiment with results in docs/lab has its report page and its figures."""
    lab = ROOT / "docs" / "lab"
    for result in sorted(lab.glob("*/result.json")):
        name = result.parent.name
        data = json.loads(result.read_text(encoding="utf-8"))
        if (result.parent / "report.md").exists():
            assert (site / "lab" / name / "report" / "index.html").exists(), name
        for fig in data.get("figures", []):
            if (result.parent / fig).exists():
                assert (site / "lab" / name / fig).exists(), f"{name}/{fig}"
