"""Stored request fingerprints (retail.fingerprints) are keyed: without the secret key nobody can test a
guess of what a body held (a gift card's number, a pay code); a rotated key still matches by its fallback."""

import hashlib
import json

from retail.fingerprints import fingerprint, same_request

SALE = {"receipt_number": "R-1", "tenders": [{"method": "gift_card", "number": "6000123412341234"}]}


def test_a_fingerprint_is_keyed_and_matches_after_a_key_rotation(settings):
    stored = fingerprint(SALE, purpose="test")
    plain = hashlib.sha256(json.dumps(SALE, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    assert len(stored) == 64 and stored != plain
    assert stored != fingerprint(SALE, purpose="test", secret="another-secret-key-" + "y" * 40)
    assert stored != fingerprint(SALE, purpose="another purpose")
    # after a rotation the old fingerprint matches through the fallback, another body never does
    settings.SECRET_KEY_FALLBACKS, settings.SECRET_KEY = [settings.SECRET_KEY], "a-new-secret-key-" + "x" * 40
    assert same_request(stored, SALE, purpose="test")
    assert not same_request(stored, {**SALE, "receipt_number": "R-2"}, purpose="test")
