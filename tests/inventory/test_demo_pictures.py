"""Issue 16: the demo's catalog has pictures the portal shows (thumbnails beside product names):
one illustration per department, served by the demo itself from an origin the CSP allows."""

from pathlib import Path

from django.conf import settings
from django.test import override_settings

from inventory.seed import TREE, _picture
from retail.demo import child_env
from retail.templatetags.catalog import catalog_image

DEMO = "http://127.0.0.1:8000"


def test_the_demo_names_its_own_origin_for_catalog_pictures(monkeypatch):
    monkeypatch.delenv("CATALOG_IMAGE_ORIGINS", raising=False)
    assert child_env("postgres://x/y", DEMO)["CATALOG_IMAGE_ORIGINS"] == DEMO
    monkeypatch.setenv("CATALOG_IMAGE_ORIGINS", "https://cdn.example")
    assert child_env("postgres://x/y", DEMO)["CATALOG_IMAGE_ORIGINS"] == f"{DEMO},https://cdn.example"


def test_seeded_pictures_are_the_demos_own_illustrations_and_are_shown():
    with override_settings(CATALOG_IMAGE_ORIGINS=[DEMO]):
        for top in TREE:
            url = _picture(top, 0)
            assert url == f"{DEMO}/static/img/catalog/{top.lower()}.svg"
            assert catalog_image(url) == url  # allowed: the portal shows it
            assert (Path(settings.BASE_DIR) / "static" / "img" / "catalog" / f"{top.lower()}.svg").is_file()


def test_without_an_image_origin_the_seed_keeps_cdn_style_addresses_that_are_not_shown():
    with override_settings(CATALOG_IMAGE_ORIGINS=[]):
        url = _picture("Women", 4)
        assert url == "https://img.omnistore.example/women/0005.jpg" and catalog_image(url) == ""
