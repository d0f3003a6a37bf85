from django.contrib import admin

from smart_container.admin import AppendOnlyLogAdmin

from . import services
from .models import Category, PriceChange, Product, ProductImage, Store


@admin.register(Store)
class StoreAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["code", "name"]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


class ProductImageInline(admin.TabularInline):
    """Photos are added through the back office or the API (``catalog.services.add_product_image``
    checks the image and hashes it; the gallery embeds it); here they are shown and can be deleted."""

    model = ProductImage
    extra = 0
    fields = ["image", "width", "height", "sha256", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class PriceChangeInline(admin.TabularInline):
    model = PriceChange
    extra = 0
    can_delete = False
    fields = ["changed_at", "old_price_fen", "new_price_fen", "changed_by", "source"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["sku", "name", "price_fen", "stock", "is_active", "category", "updated_at"]
    list_filter = ["is_active", "category"]
    search_fields = ["sku", "name", "barcode"]
    list_select_related = ["category"]
    inlines = [ProductImageInline, PriceChangeInline]

    def save_model(self, request, obj, form, change):
        """Route through the service so every price change lands in the history."""
        fields = {name: form.cleaned_data[name] for name in form.changed_data if name in form.cleaned_data}
        if change:
            services.update_product(obj, changed_by=request.user, source="admin", **fields)
        else:
            created = services.create_product(
                changed_by=request.user,
                source="admin",
                **{f.name: getattr(obj, f.name) for f in Product._meta.concrete_fields if not f.primary_key},
            )
            obj.pk = created.pk


@admin.register(ProductImage)
class ProductImageAdmin(admin.ModelAdmin):
    list_display = ["id", "product", "width", "height", "created_at"]
    search_fields = ["product__sku", "product__name", "sha256"]
    list_select_related = ["product"]
    readonly_fields = ["product", "image", "width", "height", "sha256"]

    def has_add_permission(self, request):
        return False  # see ProductImageInline


@admin.register(PriceChange)
class PriceChangeAdmin(AppendOnlyLogAdmin):
    list_display = ["product", "old_price_fen", "new_price_fen", "changed_by", "source", "changed_at"]
    list_filter = ["source"]
    search_fields = ["product__sku"]
    list_select_related = ["product", "changed_by"]
