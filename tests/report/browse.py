#!/usr/bin/env python3
"""Opens a report in headless Chromium through the DevTools protocol over a
pipe (--remote-debugging-pipe: JSON messages separated by NUL on fds 3 and
4, so the standard library suffices), checks it and takes screenshots.

    browse.py CHROMIUM PAGE OUTDIR CHECKS.json

CHECKS.json: {"expect": [[CSS selector, text it must contain or ""], ...],
              "shots": [[name, CSS selector], ...],
              "dark_shots": [[name, CSS selector], ...]}  (prefers-color-scheme: dark)
Fails (exit 1) on any console message of level error or warning, any
uncaught exception, any log entry of level error (a refused fetch under
the page's Content-Security-Policy is one), any request for anything but
the page itself, or an expected element missing. Screenshots of the
elements go to OUTDIR/NAME.png.
"""
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time


class Browser:
    def __init__(self, exe, profile):
        to_child_r, self.to_child = os.pipe()
        self.from_child, from_child_w = os.pipe()

        def fds():
            # through fresh numbers: dup2 onto itself would keep close-on-exec
            r, w = os.dup(to_child_r), os.dup(from_child_w)
            os.dup2(r, 3)
            os.dup2(w, 4)

        self.proc = subprocess.Popen(
            [exe, "--headless=new", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
             "--no-first-run", "--no-default-browser-check", "--disable-extensions",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--hide-scrollbars", "--user-data-dir=" + profile, "about:blank"],
            preexec_fn=fds, close_fds=False, stdout=subprocess.DEVNULL, stderr=open(os.path.join(profile + ".log"), "w"))
        os.close(to_child_r)
        os.close(from_child_w)
        self.buf = b""
        self.next_id = 0
        self.events = []

    def _read(self, deadline):
        while b"\0" not in self.buf:
            if time.time() > deadline:
                raise TimeoutError("no answer from the browser")
            chunk = os.read(self.from_child, 1 << 20)
            if not chunk:
                raise EOFError("the browser closed its pipe")
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, params=None, session=None, timeout=10):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.to_child, json.dumps(msg).encode() + b"\0")
        deadline = time.time() + timeout
        while True:
            m = self._read(deadline)
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise RuntimeError("%s: %s" % (method, m["error"]))
                return m["result"]
            self.events.append(m)

    def wait_event(self, method, timeout=10):
        deadline = time.time() + timeout
        for m in self.events:
            if m.get("method") == method:
                return m
        while True:
            m = self._read(deadline)
            self.events.append(m)
            if m.get("method") == method:
                return m

    def close(self):
        try:
            self.call("Browser.close", timeout=5)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def problems(events, page_url):
    """Console errors, exceptions, error log entries, fetches."""
    out = []
    for m in events:
        method, p = m.get("method"), m.get("params", {})
        if method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "warning", "assert"):
            out.append("console %s: %s" % (p["type"], json.dumps(p.get("args"))[:300]))
        elif method == "Runtime.exceptionThrown":
            out.append("exception: %s" % json.dumps(p.get("exceptionDetails"))[:300])
        elif method == "Log.entryAdded" and p["entry"].get("level") in ("error", "warning"):
            out.append("log %s: %s" % (p["entry"]["level"], p["entry"].get("text", "")[:300]))
        elif method == "Network.requestWillBeSent":
            url = p["request"]["url"]
            if url.split("#")[0] != page_url:
                out.append("fetch: %s" % url[:300])
    return out


def check(b, session, checks):
    """The expected elements; returns what is missing."""
    missing = []
    for sel, text in checks["expect"]:
        expr = ("(() => { const e = document.querySelectorAll(%s); for (const x of e) "
                "if (x.textContent.includes(%s)) return true; return false; })()" % (
                    json.dumps(sel), json.dumps(text)))
        r = b.call("Runtime.evaluate", {"expression": expr, "returnByValue": True}, session)
        if r["result"].get("value") is not True:
            missing.append("%s containing %r" % (sel, text))
    return missing


def shoot(b, session, sel, path):
    expr = ("(() => { const r = document.querySelector(%s).getBoundingClientRect(); "
            "return [r.left + scrollX, r.top + scrollY, r.width, r.height]; })()" % json.dumps(sel))
    x, y, w, h = b.call("Runtime.evaluate", {"expression": expr, "returnByValue": True}, session)["result"]["value"]
    clip = {"x": max(0, x - 8), "y": max(0, y - 8), "width": w + 16, "height": min(h + 16, 2000), "scale": 1}
    r = b.call("Page.captureScreenshot", {"format": "png", "clip": clip, "captureBeyondViewport": True}, session)
    with open(path, "wb") as f:
        f.write(base64.b64decode(r["data"]))


def main():
    exe, page, outdir, checks_file = sys.argv[1:5]
    checks = json.load(open(checks_file))
    url = "file://" + os.path.abspath(page)
    profile = tempfile.mkdtemp(prefix="bt-chromium.")
    b = Browser(exe, os.path.join(profile, "p"))
    fails = []
    try:
        target = b.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = b.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            b.call(domain + ".enable", session=session)
        b.call("Emulation.setDeviceMetricsOverride",
               {"width": 1100, "height": 900, "deviceScaleFactor": 1, "mobile": False}, session)
        b.call("Page.navigate", {"url": url}, session)
        b.wait_event("Page.loadEventFired")
        fails += check(b, session, checks)
        for name, sel in checks["shots"]:
            path = os.path.join(outdir, name + ".png")
            shoot(b, session, sel, path)
            print("screenshot: %s (%s)" % (path, sel))
        # the same page as a reader with a dark setting sees it
        b.call("Emulation.setEmulatedMedia",
               {"features": [{"name": "prefers-color-scheme", "value": "dark"}]}, session)
        for name, sel in checks.get("dark_shots", []):
            path = os.path.join(outdir, name + ".png")
            shoot(b, session, sel, path)
            print("screenshot (dark): %s (%s)" % (path, sel))
        b.call("Runtime.evaluate", {"expression": "1"}, session)  # drain late events
        fails += problems(b.events, url)
    except Exception as e:  # the browser died or did not answer: say what it logged
        fails.append("%s: %s\n%s" % (type(e).__name__, e, open(os.path.join(profile, "p.log")).read()[-2000:]))
    finally:
        b.close()
        shutil.rmtree(profile, ignore_errors=True)
    for f in fails:
        print("FAIL: " + f)
    return 1 if fails else 0


sys.exit(main())
