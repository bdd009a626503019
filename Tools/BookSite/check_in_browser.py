#!/usr/bin/env python3
"""Opens every page of the book's website in headless Chromium, from file://, and fails on what a
reader would see as broken: a console error or uncaught exception, an equation left unrendered (raw TeX,
a .math element KaTeX did not render, or a KaTeX error node), an image that does not load, or a link
between the site's pages (or to an anchor in one) that does not resolve. Saves a screenshot per page.

    swift run weave --html && python3 Tools/BookSite/check_in_browser.py site --screenshots site-screenshots

It speaks the Chrome DevTools Protocol over a pipe (--remote-debugging-pipe), so it needs nothing but
Python's standard library and Debian's `chromium`.
"""
import argparse
import base64
import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

# What the page reports once book.js has run: every check the page itself can answer.
PAGE_CHECKS = r"""
(() => {
  const mathElements = [...document.querySelectorAll('.math')];
  const unrendered = mathElements.filter((e) => !e.querySelector('.katex')).map((e) => e.textContent.slice(0, 80));
  const errors = [...document.querySelectorAll('.katex-error')].map((e) => e.getAttribute('title') || e.textContent.slice(0, 80));
  // Raw TeX in the text a reader sees: outside code and outside rendered equations.
  const walker = document.createTreeWalker(document.querySelector('article'), NodeFilter.SHOW_TEXT);
  const rawTeX = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (node.parentElement.closest('pre, code, .katex, script, style')) continue;
    const text = node.textContent;
    if (/\$[^$\s][^$]*\$|\\(frac|mathrm|sum|tau|lambda|left|right|operatorname)\b/.test(text)) rawTeX.push(text.trim().slice(0, 80));
  }
  const images = [...document.images].map((image) => ({ src: image.getAttribute('src'), loaded: image.complete && image.naturalWidth > 0 }));
  const links = [...document.querySelectorAll('a[href]')].map((a) => a.href);
  const ids = [...document.querySelectorAll('[id]')].map((e) => e.id);
  return JSON.stringify({ equations: mathElements.length - unrendered.length, unrendered, errors, rawTeX, images, links, ids,
                          ready: document.documentElement.dataset.ready === 'true' });
})()
"""


class Browser:
    """Headless Chromium driven over the DevTools pipe: fd 3 carries commands in, fd 4 replies out,
    each message JSON ending in a NUL byte."""

    def __init__(self, executable, profile):
        to_browser_read, self.to_browser = os.pipe()
        self.from_browser, from_browser_write = os.pipe()
        # Moved above 10 first, so that putting them at 3 and 4 in the child never overwrites one of them.
        child_read, child_write = (fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in (to_browser_read, from_browser_write))
        os.close(to_browser_read)
        os.close(from_browser_write)

        def child_fds():
            os.dup2(child_read, 3)  # inheritable: the browser reads its commands here
            os.dup2(child_write, 4)  # and writes its replies here
        self.process = subprocess.Popen(
            [executable, "--headless=new", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
             "--no-first-run", "--no-default-browser-check", "--allow-file-access-from-files",
             f"--user-data-dir={profile}", "--window-size=1280,900", "about:blank"],
            close_fds=False, preexec_fn=child_fds, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(child_read)
        os.close(child_write)
        self.buffer = b""
        self.next_id = 0
        self.events = []

    def send(self, method, params=None, session=None):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.to_browser, json.dumps(message).encode() + b"\0")
        while True:
            reply = self.receive()
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def receive(self):
        while b"\0" not in self.buffer:
            chunk = os.read(self.from_browser, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium closed the DevTools pipe (did it start? try: chromium --headless --no-sandbox)")
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def wait_for(self, predicate, timeout):
        """Reads events until one satisfies `predicate` or `timeout` seconds pass."""
        deadline = time.time() + timeout
        for event in self.events:
            if predicate(event):
                return True
        while time.time() < deadline:
            self.send("Runtime.evaluate", {"expression": "1"}, self.session)  # a reply also delivers pending events
            if any(predicate(event) for event in self.events):
                return True
            time.sleep(0.05)
        return False

    def close(self):
        try:
            self.send("Browser.close")
        except Exception:
            pass
        self.process.wait(timeout=10)


def console_problems(events, session):
    problems = []
    for event in events:
        if event.get("sessionId") != session:
            continue
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            problems.append("console." + params["type"] + ": " + " ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", [])))
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            problems.append("uncaught: " + details.get("exception", {}).get("description", details.get("text", "")))
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            entry = params["entry"]
            problems.append(f"{entry.get('source')}: {entry.get('text')} {entry.get('url', '')}".strip())
    return problems


def check_site(site, screenshots, chromium):
    """Checks every page of `site`; returns the totals and a list of (page, problem)."""
    pages = sorted(site.glob("*.html"))
    screenshots.mkdir(parents=True, exist_ok=True)
    failures, reports, ids_by_page = [], {}, {}
    totals = {"pages": 0, "equations": 0, "images": 0, "links": 0, "anchors": 0, "external": 0}
    with tempfile.TemporaryDirectory() as profile:
        browser = Browser(chromium, profile)
        try:
            target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
            browser.session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
            for domain in ("Page", "Runtime", "Log"):
                browser.send(f"{domain}.enable", {}, browser.session)
            for page in pages:
                browser.events.clear()
                browser.send("Page.navigate", {"url": page.as_uri()}, browser.session)
                loaded = browser.wait_for(lambda e: e.get("method") == "Page.loadEventFired", 20)
                report = {}
                deadline = time.time() + 10
                while time.time() < deadline:
                    result = browser.send("Runtime.evaluate", {"expression": PAGE_CHECKS, "returnByValue": True}, browser.session)
                    report = json.loads(result.get("result", {}).get("value", "{}"))
                    if report.get("ready"):
                        break
                    time.sleep(0.1)
                shot = browser.send("Page.captureScreenshot", {"format": "png"}, browser.session)
                (screenshots / (page.stem + ".png")).write_bytes(base64.b64decode(shot["data"]))
                problems = console_problems(browser.events, browser.session)
                if not loaded:
                    problems.append("the page did not finish loading within 20 s")
                if not report.get("ready"):
                    problems.append("book.js did not finish (data-ready never set)")
                problems += [f"equation not rendered: {tex}" for tex in report.get("unrendered", [])]
                problems += [f"KaTeX error: {error}" for error in report.get("errors", [])]
                problems += [f"raw TeX in the text: {text}" for text in report.get("rawTeX", [])]
                problems += [f"image does not load: {image['src']}" for image in report.get("images", []) if not image["loaded"]]
                failures += [(page.name, problem) for problem in problems]
                reports[page] = report
                ids_by_page[page] = set(report.get("ids", []))
                totals["pages"] += 1
                totals["equations"] += report.get("equations", 0)
                totals["images"] += len(report.get("images", []))
        finally:
            browser.close()

    # Links, once every page's anchors are known.
    for page, report in reports.items():
        for href in report.get("links", []):
            url = urllib.parse.urlsplit(href)
            if url.scheme in ("http", "https", "mailto"):
                totals["external"] += 1
                continue
            if url.scheme != "file":
                failures.append((page.name, f"link with an unexpected scheme: {href}"))
                continue
            path = Path(urllib.parse.unquote(url.path))
            totals["links"] += 1
            if not path.exists():
                failures.append((page.name, f"link to a missing file: {href}"))
            elif url.fragment:
                totals["anchors"] += 1
                if url.fragment not in ids_by_page.get(path, set()):
                    failures.append((page.name, f"link to a missing anchor: {path.name}#{url.fragment}"))
    return totals, failures


# The negative controls: one page per fault the check must catch, and one page with none.
SELF_TEST_PAGES = {
    "good.html": ('<span class="math inline">x^2</span> <img src="figures/ok.svg"> <a href="other.html#here">a link</a>', None),
    "other.html": ('<h2 id="here">here</h2>', None),
    "bad-tex.html": ('<span class="math inline">\\frac{1}{</span>', "KaTeX error"),
    "raw-tex.html": ("an equation left as $x^2$ in the text", "raw TeX"),
    "missing-image.html": ('<img src="figures/missing.svg">', "image does not load"),
    "missing-page.html": ('<a href="nowhere.html">a link</a>', "link to a missing file"),
    "missing-anchor.html": ('<a href="other.html#nowhere">a link</a>', "link to a missing anchor"),
    "console-error.html": ('<script>console.error("something broke")</script>', "console.error"),
    "exception.html": ('<script>undefinedFunction()</script>', "uncaught"),
    "unrendered.html": ('<span class="math inline">x^2</span><script>document.querySelector(".math").className = "other math"; '
                        'katex.render = () => {};</script>', "equation not rendered"),
}


def self_test(site, chromium):
    """Builds a site of broken pages beside the real one's assets and checks that each fault is found."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        shutil.copytree(site / "assets", root / "assets")
        (root / "figures").mkdir()
        (root / "figures" / "ok.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>')
        (root / "search-index.js").write_text("window.bookSearchIndex = [];")
        for name, (body, _) in SELF_TEST_PAGES.items():
            # The unrendered page swaps katex.render out before book.js runs.
            scripts = '<script src="assets/katex/katex.min.js"></script><script src="assets/highlight/highlight.min.js"></script>'
            (root / name).write_text(f'<!DOCTYPE html><html><head><meta charset="utf-8"><link rel="stylesheet" href="assets/katex/katex.min.css">'
                                     f'</head><body><article>{scripts}{body}</article><script src="search-index.js"></script>'
                                     f'<script src="assets/book.js"></script></body></html>')
        _, failures = check_site(root, root / "screenshots", chromium)
    wrong = []
    for name, (_, expected) in SELF_TEST_PAGES.items():
        found = [problem for page, problem in failures if page == name]
        if expected is None and found:
            wrong.append(f"{name} should pass, got: {found}")
        elif expected is not None and not any(expected in problem for problem in found):
            wrong.append(f"{name} should fail with '{expected}', got: {found}")
    for line in wrong:
        print("SELF-TEST FAIL " + line)
    print(f"self-test: {len(SELF_TEST_PAGES) - len(wrong)} of {len(SELF_TEST_PAGES)} pages judged as expected")
    return not wrong


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("site", type=Path, help="the folder `swift run weave --html` wrote")
    parser.add_argument("--screenshots", type=Path, default=None, help="where the screenshots go (default: SITE-screenshots)")
    parser.add_argument("--chromium", default=shutil.which("chromium") or shutil.which("chromium-browser") or "chromium")
    parser.add_argument("--self-test", action="store_true", help="first prove that each kind of fault is caught, on pages made to fail")
    arguments = parser.parse_args()
    site = arguments.site.resolve()
    if not sorted(site.glob("*.html")):
        sys.exit(f"error: no pages in {site}: build them with `swift run weave --html`")
    if not Path(arguments.chromium).exists() and not shutil.which(arguments.chromium):
        sys.exit("error: chromium is not installed: run `Tools/install-deps.sh --book`")
    if arguments.self_test and not self_test(site, arguments.chromium):
        sys.exit(1)
    screenshots = (arguments.screenshots or Path(str(site) + "-screenshots")).resolve()
    totals, failures = check_site(site, screenshots, arguments.chromium)
    print(f"checked {totals['pages']} pages in {arguments.chromium}: {totals['equations']} equations rendered, "
          f"{totals['images']} images loaded, {totals['links']} internal links resolved ({totals['anchors']} to anchors), "
          f"{totals['external']} external links not followed; screenshots in {screenshots}")
    for name, problem in failures:
        print(f"FAIL {name}: {problem}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
