"""The catalog: a category tree, products (styles) and their variants (the SKUs that carry stock)."""

from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _

from retail.models.tax import STANDARD

# A variant's words written in the catalog's language, each named per language on the product's translation:
# the variant's field -> the translation's field ({"Grey": "Grigio"}). The variant keeps its own value as data
# (a shopper's preferred size, an order line's size); the name is for reading only.
WORDED = {"colour": "colours", "size": "sizes"}


def _best(texts: list, field: str) -> str:
    """The first non-empty `field` among translations already ordered by preference."""
    return next((value for value in (getattr(t, field) for t in texts) if value), "")


class CatalogText:
    """Name (and description) in the reader's language, read from translations prefetched by
    `inventory.catalog_texts` (attribute `texts`, best language first); without them, the catalog's
    own text. Never a query of its own: a screen that forgets the prefetch shows the catalog's text."""

    @property
    def display_name(self) -> str:
        return _best(self.__dict__.get("texts") or [], "name") or self.name

    @property
    def display_description(self) -> str:
        return _best(self.__dict__.get("texts") or [], "description") or self.description

    def colour_name(self, colour: str) -> str:
        """One of its variants' colours ("Grey") in the reader's language ("Grigio"), read from the same
        prefetched texts as the name (ProductTranslation.colours); else the colour as the catalog has it."""
        return self.word_name("colour", colour)

    def size_name(self, size: str) -> str:
        """One of its variants' sizes written as a word ("Double") in the reader's language
        ("Matrimoniale"), as colour_name (ProductTranslation.sizes); else the size as the catalog has it."""
        return self.word_name("size", size)

    def word_name(self, part: str, value: str) -> str:
        """A variant's `part` (a key of WORDED) named `value` in the best language among the prefetched texts."""
        if not value:
            return ""
        texts, field = self.__dict__.get("texts") or [], WORDED[part]
        return next((name for name in ((getattr(t, field) or {}).get(value) for t in texts) if name), value)


class Category(CatalogText, models.Model):
    name = models.CharField(max_length=80, verbose_name=_("name"))
    slug = models.SlugField(max_length=120, unique=True, verbose_name=_("slug"))
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", verbose_name=_("parent")
    )
    return_window_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text=_("Return window for this category; empty uses the channel default."),
        verbose_name=_("return window days"),
    )

    class Meta:
        verbose_name = _("category")
        ordering = ["slug"]
        verbose_name_plural = _("categories")

    def __str__(self):
        return self.name if self.parent_id is None else f"{self.parent} / {self.name}"


class Product(CatalogText, models.Model):
    """A style as the shopper sees it: one name and picture, sold in several variants."""

    style_code = models.SlugField(
        max_length=40,
        unique=True,
        help_text=_("Merchandiser's style code, e.g. TS-0042."),
        verbose_name=_("style code"),
    )
    name = models.CharField(max_length=200, db_index=True, verbose_name=_("name"))
    brand = models.CharField(max_length=80, blank=True, db_index=True, verbose_name=_("brand"))
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="products", verbose_name=_("category")
    )
    description = models.TextField(blank=True, verbose_name=_("description"))
    base_price = models.DecimalField(
        max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0.00"))], verbose_name=_("base price")
    )
    attributes = models.JSONField(
        default=dict,
        blank=True,
        help_text=_('e.g. {"material": "cotton", "fit": "slim"}'),
        verbose_name=_("attributes"),
    )
    image_url = models.URLField(blank=True, verbose_name=_("image URL"))
    is_active = models.BooleanField(default=True, verbose_name=_("active"))
    final_sale = models.BooleanField(default=False, help_text=_("Cannot be returned."), verbose_name=_("final sale"))
    return_window_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text=_("Overrides the category's return window for this style."),
        verbose_name=_("return window days"),
    )
    tax_class = models.ForeignKey(
        "retail.TaxClass",
        to_field="code",
        on_delete=models.PROTECT,
        related_name="+",
        default=STANDARD,
        help_text=_("Which of a market's tax rates its sales pay."),
        verbose_name=_("tax class"),
    )
    weight_grams = models.PositiveIntegerField(
        _("weight (g)"),
        null=True,
        blank=True,
        help_text=_("Shipped weight of one unit; shipping priced by weight needs it."),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["name", "id"]
        constraints = [models.CheckConstraint(condition=Q(base_price__gte=0), name="product_base_price_not_negative")]
        indexes = [
            # name__icontains OR style_code__iexact (stock lookup, product search): with this the OR is a
            # BitmapOr with the name trigram index (0002); without it a rare word walked every product in
            # name order (8.3 ms at medium's 3k products, 0.9 ms with it).
            models.Index(Upper("style_code"), name="product_style_code_upper_idx"),
            # The newest active styles of a few categories ("more in your size" on the clienteling screen):
            # read backwards until enough match, not a sort of every product (19 ms at large's 20k, 0.4 ms).
            models.Index(
                F("created_at").desc(), F("id").desc(), condition=Q(is_active=True), name="product_newest_idx"
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.style_code})"


class Variant(models.Model):
    """One sellable unit (size x colour of a style): what stock, reservations and orders point at."""

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="variants", verbose_name=_("product"))
    sku = models.CharField(max_length=40, unique=True, verbose_name=_("SKU"))
    barcode = models.CharField(
        max_length=32, unique=True, null=True, blank=True, help_text=_("EAN-13 / UPC."), verbose_name=_("barcode")
    )
    size = models.CharField(max_length=20, blank=True, verbose_name=_("size"))
    colour = models.CharField(max_length=40, blank=True, verbose_name=_("colour"))
    price_override = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.00"))],
        help_text=_("Empty: the product's base price."),
        verbose_name=_("price override"),
    )
    weight_grams = models.PositiveIntegerField(
        _("weight (g)"), null=True, blank=True, help_text=_("Empty: the product's weight.")
    )
    is_active = models.BooleanField(default=True, verbose_name=_("active"))

    class Meta:
        verbose_name = _("variant")
        verbose_name_plural = _("variants")
        ordering = ["product_id", "sku"]
        constraints = [
            models.CheckConstraint(
                condition=Q(price_override__isnull=True) | Q(price_override__gte=0),
                name="variant_price_override_not_negative",
            )
        ]
        indexes = [
            # A SKU typed in any case (sku__iexact: the stock lookup, product search); without it the
            # lookup walked every variant (13 ms at medium's 15k variants, ~100 ms at large's 100k).
            models.Index(Upper("sku"), name="variant_sku_upper_idx"),
        ]

    def __str__(self):
        label = " ".join(part for part in (self.colour, self.size) if part)
        return f"{self.sku} · {self.product.name}{' · ' + label if label else ''}"

    @property
    def display_colour(self) -> str:
        """Its colour in the reader's language, from its product's prefetched texts (Product.colour_name);
        never a query of its own: without its product at hand, the colour as the catalog has it."""
        return self._worded("colour")

    @property
    def display_size(self) -> str:
        """Its size in the reader's language when written as a word ("Double"), as display_colour."""
        return self._worded("size")

    def _worded(self, part: str) -> str:
        value = getattr(self, part)
        if not Variant.product.is_cached(self):
            return value
        return self.product.word_name(part, value)

    @property
    def price(self) -> Decimal:
        return self.price_override if self.price_override is not None else self.product.base_price

    @property
    def weight(self) -> int | None:
        """Grams of one unit as shipped: its own, else its product's; None when neither says."""
        return self.weight_grams if self.weight_grams is not None else self.product.weight_grams


class CategoryTranslation(models.Model):
    """A category's name in one language (the category's own `name` is the catalog's text)."""

    category = models.ForeignKey(
        Category, on_delete=models.CASCADE, related_name="translations", verbose_name=_("category")
    )
    language = models.CharField(max_length=8, choices=settings.LANGUAGES, verbose_name=_("language"))
    name = models.CharField(max_length=80, verbose_name=_("name"))

    class Meta:
        verbose_name = _("category translation")
        verbose_name_plural = _("category translations")
        ordering = ["category_id", "language"]
        constraints = [models.UniqueConstraint(fields=["category", "language"], name="category_one_text_per_language")]

    def __str__(self):
        return f"{self.name} [{self.language}]"


class ProductTranslation(models.Model):
    """A style's name and description in one language. An empty description reads the next language's
    (the market's default, then the catalog's own)."""

    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="translations", verbose_name=_("product")
    )
    language = models.CharField(max_length=8, choices=settings.LANGUAGES, verbose_name=_("language"))
    name = models.CharField(max_length=200, verbose_name=_("name"))
    description = models.TextField(blank=True, verbose_name=_("description"))
    colours = models.JSONField(
        default=dict,
        blank=True,
        help_text=_(
            "The style's colours in this language, each as the variants have it and its name here: "
            '{"Grey": "Grigio"}. A colour left out reads the next language\'s, then the variant\'s own.'
        ),
        verbose_name=_("colours"),
    )
    sizes = models.JSONField(
        default=dict,
        blank=True,
        help_text=_(
            "The style's sizes written as words, each as the variants have it and its name here: "
            '{"Double": "Matrimoniale"}. A size left out reads the next language\'s, then the variant\'s own.'
        ),
        verbose_name=_("sizes"),
    )

    class Meta:
        verbose_name = _("product translation")
        verbose_name_plural = _("product translations")
        ordering = ["product_id", "language"]
        constraints = [models.UniqueConstraint(fields=["product", "language"], name="product_one_text_per_language")]
        indexes = [
            # Search in the shopper's language: name__icontains is UPPER(name) LIKE, as the product's own index.
            GinIndex(OpClass(Upper("name"), name="gin_trgm_ops"), name="product_text_name_upper_trgm"),
        ]

    def __str__(self):
        return f"{self.name} [{self.language}]"

    def clean(self):
        # words for words: a colour (a size) as the variants have it -> its name in this language, both text
        refusals = {
            "colours": _('Give each colour and its name in this language: {"Grey": "Grigio"}.'),
            "sizes": _('Give each size and its name in this language: {"Double": "Matrimoniale"}.'),
        }
        for field, refusal in refusals.items():
            words = getattr(self, field) if isinstance(getattr(self, field), dict) else None
            if words is None or not all(
                isinstance(k, str) and isinstance(v, str) and k.strip() and v.strip() for k, v in words.items()
            ):
                raise ValidationError({field: refusal})
            setattr(self, field, {k.strip(): v.strip()[:40] for k, v in words.items()})
