"""Accessibility that can be read off the stylesheet and the pages (issue 16): badge contrast and
the skip link. What a browser shows (focus, unclipped selects) is in tests/e2e/test_accessibility.py.
"""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.admin.conftest import staff_user
from tests.customers.factories import CustomerFactory

STYLESHEET = Path(settings.BASE_DIR) / "static" / "css" / "omnistore.css"
AA = 4.5  # WCAG 2.1 AA for normal-size text; badges are small bold text


def parse_rules(css: str) -> list[tuple[list[str], dict[str, str]]]:
    """[(selectors, declarations)] of the stylesheet's plain rules (media blocks read as theirs)."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    rules = []
    for selector_text, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
        selectors = [s.strip() for s in selector_text.split(",") if s.strip()]
        decls = {}
        for decl in body.split(";"):
            if ":" in decl:
                name, value = decl.split(":", 1)
                decls[name.strip()] = value.strip()
        rules.append((selectors, decls))
    return rules


def variables(rules) -> dict[str, str]:
    return {k: v for selectors, decls in rules if ":root" in selectors for k, v in decls.items() if k.startswith("--")}


def rgb(value: str, names: dict[str, str]) -> tuple[float, float, float, float]:
    """(r, g, b, alpha) of a hex, rgb()/rgba() or var(--x) colour."""
    value = value.strip()
    if value.startswith("var("):
        return rgb(names[value[4:-1].strip()], names)
    if value.startswith("#"):
        h = value[1:]
        h = "".join(c * 2 for c in h) if len(h) == 3 else h
        return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16), 1.0
    if value.startswith("rgb"):
        parts = [p.strip() for p in value[value.index("(") + 1 : -1].split(",")]
        return float(parts[0]), float(parts[1]), float(parts[2]), float(parts[3]) if len(parts) == 4 else 1.0
    if value == "#fff" or value == "white":
        return 255, 255, 255, 1.0
    raise ValueError(f"colour {value!r} not understood")


def over(top, bottom):
    """`top` composited over an opaque `bottom`."""
    a = top[3]
    return (*(top[i] * a + bottom[i] * (1 - a) for i in range(3)), 1.0)


def contrast(fg, bg) -> float:
    def luminance(c):
        def channel(v):
            v /= 255
            return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

        return 0.2126 * channel(c[0]) + 0.7152 * channel(c[1]) + 0.0722 * channel(c[2])

    hi, lo = sorted([luminance(fg), luminance(bg)], reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def decls_of(rules, selector: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for selectors, decls in rules:
        if selector in selectors:
            out.update(decls)
    return out


# Every badge-like label: (its selector, the rule it builds on, the element it sits in: its
# background and the colour it inherits).
def badge_labels(rules) -> list[tuple[str, str, str]]:
    labels = []
    for selectors, _decls in rules:
        for s in selectors:
            if re.fullmatch(r"\.badge-[a-z-]+", s) and s != ".badge-lg":
                labels.append((s, ".badge", ".card"))
            elif re.fullmatch(r"\.ch-[a-z]+", s):
                labels.append((s, ".tl-channel", ".card"))
            elif re.fullmatch(r"\.consent\.[a-z]+", s):
                labels.append((s, ".consent", ".card"))
    return [(".badge", ".badge", ".card"), (".store-badge", ".store-badge", ".topbar"), *dict.fromkeys(labels)]


def test_every_badge_is_at_least_4_5_to_1_against_its_background():
    # given the colours of the stylesheet, as the browser resolves them
    rules = parse_rules(STYLESHEET.read_text())
    names = variables(rules)
    body = decls_of(rules, "body")
    labels = badge_labels(rules)
    assert len(labels) >= 12, labels  # badges, channel labels, consent chips
    failing = {}
    for selector, base, parent in labels:
        decls = {**decls_of(rules, base), **decls_of(rules, selector)}
        around = {**body, **decls_of(rules, parent)}
        page = rgb(around["background"], names)
        background = over(rgb(decls["background"], names), page) if "background" in decls else page
        colour = rgb(decls.get("color") or around["color"], names)
        ratio = contrast(over(colour, background), background)
        if ratio < AA:
            failing[selector] = round(ratio, 2)
    # then none is under WCAG AA
    assert failing == {}


def test_the_contrast_arithmetic_is_the_wcag_one():
    assert contrast((0, 0, 0, 1), (255, 255, 255, 1)) == pytest.approx(21.0)
    assert contrast((118, 118, 118, 1), (255, 255, 255, 1)) == pytest.approx(4.54, abs=0.01)  # #767676, AA's edge
    assert rgb("var(--x)", {"--x": "#abc"})[:3] == (0xAA, 0xBB, 0xCC)


def _first_link(html: str) -> str:
    body = html[html.index("<body") :]
    return re.search(r"<a\s[^>]*>.*?</a>", body, re.S).group(0)


@pytest.mark.django_db
def test_every_portal_and_admin_page_opens_with_a_skip_link_to_its_content(associate_client, store):
    shopper = CustomerFactory(home_store=store)
    pages = {
        "dashboard": associate_client.get(reverse("portal:dashboard")),
        "customer": associate_client.get(reverse("customers_portal:detail", args=[shopper.pk])),
        "queue": associate_client.get(reverse("orders_portal:pickup-queue")),
        "returns desk": associate_client.get(reverse("returns_portal:desk")),
    }
    for name, response in pages.items():
        html = response.content.decode()
        assert response.status_code == 200, name
        link = _first_link(html)
        assert 'class="skip-link"' in link and 'href="#main"' in link, (name, link)
        assert re.search(r'<main id="main" tabindex="-1"', html), name
    anonymous = Client().get("/accounts/login/").content.decode()
    assert 'class="skip-link"' in _first_link(anonymous)
    admin_client = Client()
    admin_client.force_login(staff_user(superuser=True))
    for url in [
        reverse("admin:index"),
        reverse("admin:inventory_product_changelist"),
        reverse("admin:inventory_product_import"),
    ]:
        response = admin_client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        link = _first_link(html)
        assert "skip-to-content-link" in link and 'href="#content-start"' in link, (url, link)
        assert 'id="content-start"' in html, url
