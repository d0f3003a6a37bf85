"""The store's catalog: what can be sold, at what price, and how it looks."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

SKU_VALIDATOR = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$",
    _("SKU must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit."),
)
MAX_PRICE_FEN = 100_000_000  # one million yuan: anything above is a typo
MAX_STOCK = 1_000_000  # units of one product in one store: anything above is a typo
BARCODE_VALIDATOR = RegexValidator(r"^[0-9]{8,14}$", _("Barcode must be 8 to 14 digits (EAN/UPC/GTIN)."))


class Store(models.Model):
    """A checkout point: one shop, or one camera box in it."""

    code = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=120)
    address = models.CharField(max_length=255, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Category(models.Model):
    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True, allow_unicode=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    """A sellable item.  Money is integer fen everywhere; the server alone sets prices."""

    sku = models.CharField(max_length=64, unique=True, validators=[SKU_VALIDATOR])
    name = models.CharField(max_length=200)
    barcode = models.CharField(max_length=14, unique=True, null=True, blank=True, validators=[BARCODE_VALIDATOR])
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="products")
    price_fen = models.PositiveIntegerField(validators=[MinValueValidator(0), MaxValueValidator(MAX_PRICE_FEN)])
    stock = models.PositiveIntegerField(default=0, validators=[MaxValueValidator(MAX_STOCK)])
    is_active = models.BooleanField(default=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["sku"]
        constraints = [
            models.CheckConstraint(condition=models.Q(price_fen__gte=0), name="product_price_non_negative"),
            models.CheckConstraint(condition=models.Q(stock__gte=0), name="product_stock_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"


def product_image_path(instance: ProductImage, filename: str) -> str:
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "jpg"
    return f"products/{instance.product.sku}/{instance.sha256[:16]}.{suffix}"


class ProductImage(models.Model):
    """A reference photo of a product: the gallery is built from these."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="images")
    image = models.ImageField(upload_to=product_image_path)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64, db_index=True, help_text="Content hash; one photo once per product.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["product_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["product", "sha256"], name="product_image_unique_content"),
        ]

    def __str__(self) -> str:
        return f"{self.product.sku} photo {self.pk}"


class PriceChange(models.Model):
    """Append-only price history: who changed which price, when, from what to what."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="price_changes")
    old_price_fen = models.PositiveIntegerField(null=True, blank=True, help_text="Empty for the first price.")
    new_price_fen = models.PositiveIntegerField()
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(max_length=32, default="api", help_text="api, admin, import, ...")
    changed_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.product.sku}: {self.old_price_fen} -> {self.new_price_fen}"
