"""The front-door crawler: every demo role, every page it can reach, no 5xx, no debug page, no slow page.

    python -m tests.crawl --url http://127.0.0.1:8000      (make crawl, against a running demo)

It signs in as each demo role over HTTP (allauth's form, then the TOTP code of the seeded secret;
the shopper through allauth headless; the till with its Device token), then visits:
- the portal: the resolver's paths without parameters, then every link, htmx fragment (hx-get) and
  GET form's target it finds, breadth first, at most PER_ROUTE visits of each URL pattern;
- the admin: the index, every changelist and add page linked from it, the change and history pages
  of the rows listed, and their filter and sort links (bounded the same way);
- the API: every GET of the OpenAPI schema, path parameters filled from the lists' first rows.
A problem is a 5xx, a Django debug page, a link that answers 404/403 to the role that was shown it,
or (with --limit) a page slower than the limit. With --browser it also opens the main portal pages
in Debian's chromium and reports any Content-Security-Policy violation, htmx swaps included.
Only GET requests are sent, apart from the sign-ins.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import http.cookiejar
import json
import re
import struct
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter, deque
from dataclasses import dataclass, field
from html.parser import HTMLParser

DEMO_PASSWORD = "omnistore-demo"
PER_ROUTE = 3  # visits of one URL pattern (its query-string variants included) per role
MAX_VISITS = 700  # per role: a bound, not a target

ROLES = {
    # role: (login, how, what it crawls)
    "associate": ("associate.lon01@omnistore.local", "session", ("portal",)),
    "manager": ("manager.lon01@omnistore.local", "session", ("portal",)),
    "head office": ("headoffice@omnistore.local", "session", ("portal", "admin")),
    "merchandiser": ("merch@omnistore.local", "session", ("admin", "portal")),
    "customer service": ("care@omnistore.local", "session", ("admin", "portal")),
    "admin": ("admin@omnistore.local", "session", ("admin", "portal")),
    "shopper": ("shopper@omnistore.local", "app", ("api",)),
    "POS device": ("LON-01/Till 1", "device", ("api",)),
    "anonymous": ("", "none", ("public", "api")),
}
MAIN_PORTAL_PAGES = 24  # pages (one per URL pattern) opened in the browser per portal role for the CSP check
DEBUG_MARKERS = ("You're seeing this error because you have <code>DEBUG = True</code>", 'id="traceback"')
SKIP = re.compile(r"^/(static|media)/|/logout/?$|/delete/$|^/admin/r/|^/_allauth/|^/accounts/(?!login)")


def totp(email: str, at: float | None = None) -> str:
    """The current code of a seeded account (retail/seed.py enrols `omnistore-demo-<email>`)."""
    secret = base64.b32encode(f"omnistore-demo-{email}".encode()).decode()[:32]
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", int((at or time.time()) // 30)), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return f"{(struct.unpack('>I', digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


def demo_pos_token(store_code: str, name: str) -> str:
    return "pos_demo_" + hashlib.sha256(f"omnistore-demo-till:{store_code}:{name}".encode()).hexdigest()[:32]


class Links(HTMLParser):
    """href/hx-get targets and GET forms (action + default field values) of one page."""

    def __init__(self):
        super().__init__()
        self.links: list[tuple[str, bool]] = []  # (url, is_fragment)
        self.forms: list[str] = []
        self._form: dict | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append((a["href"], False))
        for name in ("hx-get", "data-hx-get"):
            if a.get(name):
                self.links.append((a[name], True))
        if tag == "form" and (a.get("method") or "get").lower() == "get":
            self._form = {"action": a.get("action") or "", "fields": {}}
        plain = a.get("type") not in ("submit", "button", "checkbox", "radio") or "checked" in a
        if self._form is not None and tag in ("input", "select", "textarea") and a.get("name") and plain:
            self._form["fields"].setdefault(a["name"], a.get("value") or "")

    def handle_endtag(self, tag):
        if tag == "form" and self._form is not None:
            action, fields = self._form["action"], self._form["fields"]
            self.forms.append(action + ("?" + urllib.parse.urlencode(fields) if fields else ""))
            self._form = None


@dataclass
class Visit:
    role: str
    url: str
    status: int
    seconds: float
    kind: str
    problem: str = ""
    html: bool = False


@dataclass
class Report:
    visits: list[Visit] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[Visit]:
        return [v for v in self.visits if v.problem]

    def pages_per_role(self) -> dict[str, Counter]:
        out: dict[str, Counter] = {}
        for v in self.visits:
            out.setdefault(v.role, Counter())[v.kind] += 1
        return out


class Session:
    def __init__(self, base: str, headers: dict | None = None):
        self.base = base.rstrip("/")
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.headers = headers or {}

    def request(self, path: str, data: dict | None = None, headers: dict | None = None, json_body=None):
        url = path if path.startswith("http") else self.base + path
        body, hdrs = None, {**self.headers, **(headers or {})}
        if json_body is not None:
            body, hdrs["Content-Type"] = json.dumps(json_body).encode(), "application/json"
        elif data is not None:
            body = urllib.parse.urlencode(data).encode()
            hdrs["Content-Type"] = "application/x-www-form-urlencoded"
            hdrs.setdefault("Referer", url)
        req = urllib.request.Request(url, data=body, headers=hdrs)  # noqa: S310 — the crawled site only
        started = time.monotonic()
        try:
            with self.opener.open(req, timeout=60) as response:
                content = response.read()
                return response.status, response.geturl(), dict(response.headers), content, time.monotonic() - started
        except urllib.error.HTTPError as error:
            content = error.read()
            return error.code, error.geturl(), dict(error.headers or {}), content, time.monotonic() - started

    def csrf(self, html: bytes) -> str:
        match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        return match.group(1).decode() if match else ""


def sign_in(base: str, role: str) -> Session:
    login, how, _ = ROLES[role]
    if how == "none":
        return Session(base)
    if how == "device":
        store, name = login.split("/")
        return Session(base, {"Authorization": f"Device {demo_pos_token(store, name)}"})
    if how == "app":
        s = Session(base)
        status, _, _, body, _ = s.request(
            "/_allauth/app/v1/auth/login", json_body={"email": login, "password": DEMO_PASSWORD}
        )
        token = json.loads(body or b"{}").get("meta", {}).get("session_token")
        if status != 200 or not token:
            raise RuntimeError(f"{role}: app sign-in answered {status}: {body[:300]!r}")
        s.headers["X-Session-Token"] = token
        return s
    s = Session(base)
    _, _, _, page, _ = s.request("/accounts/login/")
    status, url, _, page, _ = s.request(
        "/accounts/login/", data={"login": login, "password": DEMO_PASSWORD, "csrfmiddlewaretoken": s.csrf(page)}
    )
    if "/2fa/" in url:
        status, url, _, page, _ = s.request(url, data={"code": totp(login), "csrfmiddlewaretoken": s.csrf(page)})
    if status >= 400 or "/accounts/login" in url or "/2fa/" in url:
        raise RuntimeError(f"{role}: sign-in as {login} ended at {url} ({status})")
    return s


class Crawler:
    def __init__(self, base: str, *, limit: float | None = 1.0, per_route: int = PER_ROUTE, log=print):
        self.base = base.rstrip("/")
        self.limit, self.per_route, self.log = limit, per_route, log
        self.report = Report()
        self._routes = _route_resolver()

    def route_of(self, path: str) -> str:
        return self._routes(path)

    def crawl_role(self, role: str) -> None:
        session = sign_in(self.base, role)
        _, _, areas = ROLES[role]
        seeds: list[tuple[str, str]] = []  # (path, kind)
        if "portal" in areas:
            seeds += [(p, "portal") for p in _paths_without_parameters("/portal/")]
        if "admin" in areas:
            seeds.append(("/admin/", "admin"))
        if "public" in areas:
            seeds += [("/", "page"), ("/accounts/login/", "page"), ("/api/docs/", "page"), ("/api/redoc/", "page")]
        visited: set[str] = set()
        per_route: Counter = Counter()
        queue = deque((path, kind, None, False) for path, kind in seeds)
        count = 0
        while queue and count < MAX_VISITS:
            path, kind, found_on, fragment = queue.popleft()
            if path in visited:
                continue
            route = self.route_of(path)
            if route is None or per_route[route] >= self.per_route:
                continue
            visited.add(path)
            per_route[route] += 1
            count += 1
            headers = {"HX-Request": "true"} if fragment else {}
            status, final, response_headers, body, seconds = session.request(path, headers=headers)
            visit = Visit(role, path, status, seconds, "fragment" if fragment else kind)
            visit.html = "text/html" in response_headers.get("Content-Type", "")
            visit.problem = self.judge(visit, body, found_on)
            self.report.visits.append(visit)
            if status != 200 or "text/html" not in response_headers.get("Content-Type", ""):
                continue
            for link, is_fragment in self.links_of(body, final):
                area = "admin" if link.startswith("/admin/") else "portal" if link.startswith("/portal/") else None
                if area in areas and link not in visited:
                    queue.append((link, area, path, is_fragment))
        if "api" in areas:
            self.crawl_api(role, session)

    def links_of(self, body: bytes, url: str) -> list[tuple[str, bool]]:
        parser = Links()
        parser.feed(body.decode("utf-8", "replace"))
        out = []
        for href, fragment in parser.links + [(f, False) for f in parser.forms]:
            absolute = urllib.parse.urljoin(url, href)
            parts = urllib.parse.urlsplit(absolute)
            if f"{parts.scheme}://{parts.netloc}" != self.base or SKIP.search(parts.path):
                continue
            out.append((parts.path + (f"?{parts.query}" if parts.query else ""), fragment))
        return out

    def judge(self, visit: Visit, body: bytes, found_on: str | None) -> str:
        text = body[:200_000].decode("utf-8", "replace")
        if visit.status >= 500:
            return f"{visit.status} server error" + (f" (linked from {found_on})" if found_on else "")
        if any(marker in text for marker in DEBUG_MARKERS):
            return f"Django debug page ({visit.status})" + (f", linked from {found_on}" if found_on else "")
        if found_on and visit.status in (403, 404):
            return f"{visit.status} for a link shown on {found_on}"
        if self.limit and visit.seconds > self.limit:
            return f"took {visit.seconds:.2f} s (limit {self.limit:.1f} s)"
        return ""

    def crawl_api(self, role: str, session: Session) -> None:
        status, _, _, body, _ = session.request("/api/schema/?format=json", headers={"Accept": "application/json"})
        if status != 200:
            self.report.notes.append(f"{role}: the OpenAPI schema answered {status}")
            return
        schema = json.loads(body)
        paths = sorted(p for p, ops in schema.get("paths", {}).items() if "get" in ops)
        samples: dict[str, dict] = {}
        for template in sorted(paths, key=lambda p: p.count("{")):
            path = self.fill(template, samples)
            if path is None:
                self.report.notes.append(f"{role}: no sample for {template}")
                continue
            status, _, headers, body, seconds = session.request(path, headers={"Accept": "application/json"})
            visit = Visit(role, path, status, seconds, "api")
            visit.problem = self.judge(visit, body, None)
            self.report.visits.append(visit)
            if status == 200 and "json" in headers.get("Content-Type", ""):
                data = json.loads(body or b"null")
                rows = data.get("results") if isinstance(data, dict) else data
                if isinstance(rows, list) and rows and isinstance(rows[0], dict):
                    samples[template] = rows[0]

    @staticmethod
    def fill(template: str, samples: dict[str, dict]) -> str | None:
        """Path parameters from the first row of the list whose path is this one's prefix."""
        path = template
        for name in re.findall(r"{(\w+)}", template):
            prefix = template.split("{" + name + "}")[0]
            row = samples.get(prefix) or {}
            keys = (name, "id", "code", "number", "rma_number", "sku", "token")
            value = next((row[k] for k in keys if k in row and row[k] not in (None, "")), None)
            if value is None:  # e.g. /orders/{number}/ from the rows of /me/orders/
                value = next((r[name] for r in samples.values() if r.get(name) not in (None, "")), None)
            if value is None:
                return None
            path = path.replace("{" + name + "}", urllib.parse.quote(str(value), safe=""))
        return path

    def check_csp(self, role: str, browser) -> None:
        """Open the main portal pages in chromium with this role's cookies; report CSP violations."""
        session = sign_in(self.base, role)
        context = browser.new_context(base_url=self.base)
        host = urllib.parse.urlsplit(self.base).hostname
        context.add_cookies([{"name": c.name, "value": c.value, "domain": host, "path": "/"} for c in session.jar])
        context.add_init_script(
            "window.__csp = []; document.addEventListener('securitypolicyviolation', e => "
            "window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' '"
            " + e.sourceFile + ':' + e.lineNumber));"
        )
        page = context.new_page()
        console: list[str] = []
        page.on("console", lambda m: "Content Security Policy" in m.text and console.append(m.text))
        pages = [
            v.url for v in self.report.visits if v.role == role and v.kind == "portal" and v.status == 200 and v.html
        ]
        by_route: dict[str, str] = {}
        for path in pages:  # one page per URL pattern: the clienteling screen, a pick sheet, an order...
            if "?" not in path:
                by_route.setdefault(self.route_of(path), path)
        main = list(by_route.values())[:MAIN_PORTAL_PAGES]
        for path in main:
            console.clear()
            started = time.monotonic()
            page.goto(path, wait_until="networkidle")
            search = page.locator("input[hx-get]").first
            if search.count():
                search.fill("sm")  # an htmx swap: the type-ahead
                page.wait_for_load_state("networkidle")
            violations = page.evaluate("window.__csp") + console
            visit = Visit(role, path, 200, time.monotonic() - started, "browser")
            if violations:
                visit.problem = "CSP violation: " + "; ".join(dict.fromkeys(violations))[:500]
            self.report.visits.append(visit)
        context.close()


def _route_resolver():
    """path -> its URL pattern (None when nothing serves it): the key that bounds visits per pattern."""
    from django.urls import Resolver404, resolve

    def route(path: str) -> str | None:
        try:
            match = resolve(urllib.parse.urlsplit(path).path)
        except Resolver404:
            return None
        return match.route or match.view_name

    return route


def _paths_without_parameters(prefix: str) -> list[str]:
    from django.urls import URLPattern, URLResolver, get_resolver

    out = []

    def walk(patterns, base):
        for p in patterns:
            text = base + str(p.pattern)
            if any(ch in text for ch in "<^$(?\\"):
                continue  # parameters or a regex: reached through links instead
            if isinstance(p, URLResolver):
                walk(p.url_patterns, text)
            elif isinstance(p, URLPattern):
                out.append("/" + text)

    walk(get_resolver().url_patterns, "")
    return sorted(p for p in out if p.startswith(prefix))


def crawl(base: str, *, roles=None, limit: float | None = 1.0, browser_roles=(), browser=None, log=print) -> Report:
    crawler = Crawler(base, limit=limit, log=log)
    for role in roles or ROLES:
        started = time.monotonic()
        try:
            crawler.crawl_role(role)
        except RuntimeError as exc:
            crawler.report.visits.append(Visit(role, "(sign-in)", 0, 0, "login", str(exc)))
        visits = sum(1 for v in crawler.report.visits if v.role == role)
        log(f"  {role}: {visits} visits in {time.monotonic() - started:.0f} s")
    if browser_roles and browser is not None:
        for role in browser_roles:
            crawler.check_csp(role, browser)
    elif browser_roles:
        import shutil

        from playwright.sync_api import sync_playwright

        args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        args.append("--disable-component-update")
        with sync_playwright() as playwright:
            own = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=args, headless=True)
            for role in browser_roles:
                crawler.check_csp(role, own)
            own.close()
    return crawler.report


def summary(report: Report) -> str:
    lines = ["Pages per role:"]
    for role, kinds in report.pages_per_role().items():
        lines.append(f"  {role:17} {sum(kinds.values()):5}  " + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())))
    slow = sorted(report.visits, key=lambda v: -v.seconds)[:5]
    lines.append("Slowest: " + ", ".join(f"{v.url} {v.seconds:.2f}s ({v.role})" for v in slow))
    lines += [f"Note: {n}" for n in report.notes]
    lines.append(f"{len(report.problems)} problem(s)")
    lines += [f"  [{v.role}] {v.url}: {v.problem}" for v in report.problems]
    return "\n".join(lines)


def main(argv=None) -> int:
    import os

    import django

    parser = argparse.ArgumentParser(description="Crawl a running Omnistore demo as every role.")
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--limit", type=float, default=1.0, help="seconds a page may take (0: no limit)")
    parser.add_argument("--role", action="append", choices=sorted(ROLES), help="only these roles")
    parser.add_argument("--no-browser", action="store_true", help="skip the CSP check in chromium")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "retail.settings")
    django.setup()  # the URL patterns only: nothing is read from the database
    roles = args.role or list(ROLES)
    browser_roles = [] if args.no_browser else [r for r in roles if "portal" in ROLES[r][2]]
    report = crawl(args.url, roles=roles, limit=args.limit or None, browser_roles=browser_roles)
    print(summary(report))
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main())
