"""ASVS V14 for head office: every admin page works under the same strict CSP as the portal.

Crawled from the admin registry (list, add and change page of every registered model, store B's
live work as data), as a superuser with TOTP: no server error, no inline script without the nonce,
no style attribute, no inline event handler (the CSP would block them and break the page).
"""

import re

import pytest
from django.contrib import admin
from django.urls import NoReverseMatch, reverse

from tests.factories import UserFactory
from tests.helpers import enrol_totp

pytestmark = pytest.mark.django_db

INLINE_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)


def admin_urls() -> list[str]:
    urls = [reverse("admin:index")]
    for model in admin.site._registry:
        meta = model._meta
        for view in ("changelist", "add"):
            try:
                urls.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}"))
            except NoReverseMatch:  # an admin without that view
                continue
        first = model._default_manager.order_by("pk").first() if meta.managed else None
        if first is not None:
            urls.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[first.pk]))
    return urls


def test_every_admin_page_works_under_the_strict_csp(client, store_b_work):
    superuser = UserFactory(email="root@example.com", is_staff=True, is_superuser=True)
    enrol_totp(superuser)
    client.force_login(superuser)
    pages = 0
    for url in admin_urls():
        response = client.get(url)
        assert response.status_code < 500, url
        if response.status_code != 200:
            continue  # e.g. 403 on the add page of a read-only ledger
        pages += 1
        assert "unsafe-inline" not in response["Content-Security-Policy"], url
        nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"])
        html = response.content.decode()
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag or (nonce and f'nonce="{nonce.group(1)}"' in tag), (url, tag)
        assert not re.search(r"<[^>]+\sstyle\s*=", html), url
        assert not INLINE_HANDLER.search(html), (url, INLINE_HANDLER.search(html).group(0))
    assert pages >= 40
