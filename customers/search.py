"""The customer search engine behind the portal's one box: phone in any format, email, card number or
name (prefix, then typo-tolerant trigram steps over the distinct names); bounded whatever the chain's size."""

import re
from dataclasses import dataclass

from django.conf import settings
from django.contrib.postgres.search import TrigramSimilarity
from django.db import connection, transaction
from django.db.models import F, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext_lazy as _

from customers.models import (
    Customer,
    SearchName,
)
from retail.domain.codes import phone_number, read_code


@dataclass
class SearchHit:
    customer: Customer
    matched: str  # phone / email / card / name
    score: float

    @property
    def matched_label(self) -> str:
        """What matched, in the reader's words (the code stays `matched`)."""
        return MATCHED_LABELS.get(self.matched, self.matched)


MATCHED_LABELS = {
    "email": _("email"),
    "phone": _("phone"),
    "card": _("card"),
    "name": _("name"),
    "app_install": _("app install"),
    "web_cookie": _("web cookie"),
    "pos_customer_id": _("till customer id"),
}


SEARCH_CAP = 100  # matches counted for the search page; beyond, the associate is asked to narrow it
SEARCH_PAGE = 20


@dataclass(frozen=True)
class SearchPage:
    hits: list[SearchHit]  # this page's
    total: int  # how many shoppers match, counted up to SEARCH_CAP
    more: bool  # more than SEARCH_CAP match: the page asks for more of the name, a phone or an email
    page: int
    pages: int


def search_customer_page(
    query: str, *, page: int = 1, per_page: int = SEARCH_PAGE, cap: int = SEARCH_CAP, region: str | None = None
) -> SearchPage:
    """The search page: how many shoppers match and one page of them, never silently the first ten.

    The same search as the type-ahead, asked for `cap` + 1 shoppers: the count is exact up to `cap`
    and "more than `cap`" past it, and the statements are the same whatever the number of matches.
    """
    found = search_customers(query, limit=cap + 1, region=region)
    more, found = len(found) > cap, found[:cap]
    pages = max(1, -(-len(found) // per_page))
    page = min(max(1, page), pages)
    start = (page - 1) * per_page
    return SearchPage(hits=found[start : start + per_page], total=len(found), more=more, page=page, pages=pages)


def search_customers(query: str, *, limit: int = 10, region: str | None = None) -> list[SearchHit]:
    """One box: phone in any format, email, card number or name (trigram-ranked).

    A phone number typed without its country code is read as one of `region` (the searching store's
    country: "347 000 0558" in Milan is +39 347 000 0558), else of settings.PHONE_REGION.

    Exact identity matches come first, then names by similarity. Anonymous, merged and erased
    profiles are never returned.
    """
    code = read_code(query)
    q = code.text
    if len(q) < 2:
        return []
    live = Customer.objects.live().select_related("home_store", "loyalty_account__tier")
    hits: list[SearchHit] = []
    identity_q = Q()
    if "@" in q:
        identity_q |= Q(identities__kind="email", identities__value=q.lower())
    digits = sum(ch.isdigit() for ch in q)
    if digits >= 6:
        if phone := phone_number(code.text, region=region):
            identity_q |= Q(identities__kind="phone", identities__value=phone)
        identity_q |= Q(identities__kind="card", identities__value=code.card)
    if identity_q:
        # one read: the identities (their unique (kind, value) index) joined to the live profiles
        found = live.filter(identity_q).annotate(matched=F("identities__kind"))[:limit]
        for customer in {c.pk: c for c in found}.values():
            hits.append(SearchHit(customer=customer, matched=customer.matched, score=2.0))
    if "@" in q and not hits:
        for customer in live.filter(email__startswith=q.lower()).order_by("email")[:limit]:
            hits.append(SearchHit(customer=customer, matched="email", score=1.5))
    letters = sum(ch.isalpha() for ch in q)
    if letters >= 2 and "@" not in q and len(hits) < limit:
        hits += _search_names(live.exclude(pk__in=[h.customer.pk for h in hits]), q.lower(), limit - len(hits))
    return hits[:limit]


TRGM_WORD_THRESHOLD = str(getattr(settings, "CUSTOMERS_NAME_MATCH_THRESHOLD", 0.5))


NAME_CANDIDATES = 30  # distinct names ranked per typo step (a name with no live shopper yields none)

# Step 1: any 50 distinct names where every typed word starts a word (unordered: the GIN index
# stops early), the best of them by whole words typed, then length; up to ten live shoppers each.
_PREFIX_NAMES_SQL = """
SELECT c.id FROM (
    SELECT m.name, (SELECT count(*) FROM unnest(%s::text[]) w WHERE w = ANY(string_to_array(m.name, ' '))) AS whole
    FROM (SELECT n.name FROM {names} n WHERE {matched} LIMIT %s) m
    ORDER BY whole DESC, length(m.name), m.name
    LIMIT %s
) n CROSS JOIN LATERAL (
    SELECT c.id FROM {customers} c
    WHERE c.search_name = n.name AND NOT c.is_anonymous AND c.merged_into_id IS NULL AND c.erased_at IS NULL
    LIMIT %s
) c
ORDER BY n.whole DESC, length(n.name), n.name, c.id
LIMIT %s
"""

_FUZZY_NAMES_SQL = """
SELECT c.id FROM (
    SELECT n.name, similarity(n.name, %s) AS score FROM {names} n WHERE {matched}
    ORDER BY score DESC, n.name
    LIMIT %s
) n CROSS JOIN LATERAL (
    SELECT c.id FROM {customers} c
    WHERE c.search_name = n.name AND NOT c.is_anonymous AND c.merged_into_id IS NULL AND c.erased_at IS NULL
    LIMIT %s
) c
ORDER BY n.score DESC, n.name, c.id
LIMIT %s
"""


def _search_names(qs: QuerySet, q: str, limit: int) -> list[SearchHit]:
    """Names in steps that each cost about the same whatever the number of shoppers.

    1. Every typed word starts a word of the name ("jo smi" finds John Smith): a regular
       expression the GIN index of the distinct names serves, read unordered (50 names whatever
       the number of Smiths) and ordered: whole-word matches first, then shorter names.
    2. Typos: every word is similar to a word of the name (word similarity >= 0.5, so "smiht"
       finds Smith).
    3. Still nothing: the whole name by trigram similarity (>= 0.3), which catches a typo in a
       short word ("jhon smith", "lucia pael").
    Steps 2 and 3 rank the distinct names (`SearchName`, its own GIN index) rather than the
    shoppers, so a common first name is a few hundred names, not every Lucia of the chain; then
    up to ten live shoppers of each of the best names (customer_live_name_idx, a LIMIT that
    stops early even for the 10,000 Lucia Patels of a large chain), ordered by similarity of
    the whole name, name, id. Which ten of many shoppers with one identical name come is not
    defined (it was the lowest ids: that read every shopper of the name).
    """

    words = q.split()
    whole = sorted(set(words))
    tables = {"names": SearchName._meta.db_table, "customers": Customer._meta.db_table}
    prefixed = " AND ".join(["n.name ~ %s"] * len(words))
    starts = RawSQL(  # noqa: S611 - table names from the models, every value a parameter
        _PREFIX_NAMES_SQL.format(matched=prefixed, **tables),
        [whole, *[r"(^| )" + re.escape(word) for word in words], limit * 5, limit, limit * 2, limit * 2],
    )
    found = list(qs.filter(pk__in=starts).order_by())
    found.sort(key=lambda c: (-len(set(whole) & set(c.search_name.split())), len(c.search_name), c.search_name, c.pk))
    hits = [SearchHit(customer=c, matched="name", score=1.0) for c in found[:limit]]
    if len(hits) >= limit:
        return hits
    # savepoint=False: inside a caller's transaction (a request, a test) this is that transaction.
    with transaction.atomic(savepoint=False):
        return _fuzzy_name_hits(qs, q, words, hits, tables, limit)


def _fuzzy_name_hits(qs, q, words, hits, tables, limit):
    """The trigram matches, in the caller's transaction: the threshold is set for that transaction
    only (`set_config(..., true)`), so it neither leaks to the connection's next user nor is lost
    behind a transaction-pooling PgBouncer, where the next statement outside it may run on another
    server connection."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('pg_trgm.word_similarity_threshold', %s, true)", [TRGM_WORD_THRESHOLD])
    each_word = (" AND ".join(["%s <%% n.name"] * len(words)), words)
    whole_name = ("n.name %% %s", [q])
    for matched, params in (each_word, whole_name):
        taken = [h.customer.pk for h in hits]
        wanted = limit - len(hits)
        best = RawSQL(  # noqa: S611 - table names from the models, every value a parameter
            _FUZZY_NAMES_SQL.format(matched=matched, **tables),
            [q, *params, max(NAME_CANDIDATES, limit), wanted + len(taken), wanted + len(taken)],
        )
        fuzzy = list(
            qs.filter(pk__in=best)
            .exclude(pk__in=taken)
            .annotate(score=TrigramSimilarity("search_name", q))
            .order_by("-score", "search_name", "id")[:wanted]
        )
        hits += [SearchHit(customer=c, matched="name", score=float(c.score)) for c in fuzzy]
        if hits or len(words) == 1:
            break
    return hits
