"""Products: search, create, edit price and stock (history kept by catalog.services), photos."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, OuterRef, Q, Subquery
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.generic import DetailView, FormView, ListView, View

from catalog import services as catalog_services
from catalog.models import Product, ProductImage
from gallery import services as gallery_services
from gallery.models import GalleryEmbedding
from smart_container.errors import DomainError

from ..forms import PhotoUploadForm, ProductCreateForm, ProductEditForm, ProductSearchForm
from .base import BackOfficeMixin

SOURCE = "backoffice"


def _errors(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items())
    return " ".join(exc.messages)


class ProductListView(BackOfficeMixin, ListView):
    permission_required = "catalog.view_product"
    extra_context = {"nav": "products"}
    template_name = "backoffice/products.html"
    paginate_by = 50

    def get_queryset(self):
        self.form = ProductSearchForm(self.request.GET or None)
        first_photo = ProductImage.objects.filter(product=OuterRef("pk")).order_by("id").values("image")[:1]
        products = Product.objects.select_related("category").annotate(
            photo_count=Count("images"), first_photo=Subquery(first_photo)
        )
        data = self.form.cleaned_data if self.form.is_valid() else {}
        if not data.get("inactive"):
            products = products.filter(is_active=True)
        if q := data.get("q", "").strip():
            products = products.filter(Q(sku__icontains=q) | Q(name__icontains=q) | Q(barcode=q))
        if data.get("category"):
            products = products.filter(category=data["category"])
        if data.get("low_stock"):
            products = products.filter(stock__lte=settings.BACKOFFICE_LOW_STOCK_THRESHOLD)
        return products.order_by(*self.form.ordering())

    def get_context_data(self, **kwargs):
        threshold = settings.BACKOFFICE_LOW_STOCK_THRESHOLD
        low = Product.objects.filter(is_active=True, stock__lte=threshold)
        return super().get_context_data(
            form=self.form, low_stock_threshold=threshold, low_stock_count=low.count(), **kwargs
        )


class ProductCreateView(BackOfficeMixin, FormView):
    permission_required = "catalog.add_product"
    extra_context = {"nav": "products"}
    template_name = "backoffice/product_new.html"
    form_class = ProductCreateForm

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            product = catalog_services.create_product(
                changed_by=self.request.user,
                source=SOURCE,
                sku=data["sku"],
                name=data["name"],
                barcode=data["barcode"] or None,
                category=data["category"],
                price_fen=data["price"],
                stock=data["stock"],
            )
        except ValidationError as exc:
            form.add_error(None, _errors(exc))
            return self.form_invalid(form)
        messages.success(self.request, _("Created %(sku)s.") % {"sku": product.sku})
        if photo := data.get("photo"):
            add_photo(self.request, product, photo)
        return redirect("backoffice:product", pk=product.pk)


class ProductDetailView(BackOfficeMixin, DetailView):
    permission_required = "catalog.view_product"
    extra_context = {"nav": "products"}
    template_name = "backoffice/product.html"
    queryset = Product.objects.select_related("category")

    def get_context_data(self, **kwargs):
        product = self.object
        initial = {
            "name": product.name,
            "barcode": product.barcode or "",
            "category": product.category_id,
            "price": product.price_fen,
            "stock": product.stock,
            "is_active": product.is_active,
        }
        return super().get_context_data(
            edit_form=kwargs.pop("edit_form", None) or ProductEditForm(initial=initial, product=product),
            photo_form=PhotoUploadForm(),
            photos=photo_rows(product),
            price_history=product.price_changes.select_related("changed_by")[:20],
            low_stock_threshold=settings.BACKOFFICE_LOW_STOCK_THRESHOLD,
            **kwargs,
        )


class ProductUpdateView(BackOfficeMixin, View):
    """POST: save name, barcode, category, price, stock and on-sale flag; a new price is written to the history."""

    permission_required = "catalog.change_product"

    def post(self, request, pk):
        product = get_object_or_404(Product, pk=pk)
        form = ProductEditForm(request.POST, product=product)
        if form.is_valid():
            data = form.cleaned_data
            try:
                with gallery_services.acting_as(request.user, "changed in the back office"):
                    catalog_services.update_product(
                        product,
                        changed_by=request.user,
                        source=SOURCE,
                        name=data["name"],
                        barcode=data["barcode"] or None,
                        category=data["category"],
                        price_fen=data["price"],
                        stock=data["stock"],
                        is_active=data["is_active"],
                    )
            except ValidationError as exc:
                form.add_error(None, _errors(exc))
            else:
                messages.success(request, _("Saved %(sku)s.") % {"sku": product.sku})
                return redirect("backoffice:product", pk=pk)
        view = ProductDetailView(request=request, kwargs={"pk": pk}, object=product)
        return view.render_to_response(view.get_context_data(object=product, edit_form=form), status=400)


class ProductPhotoUploadView(BackOfficeMixin, View):
    permission_required = "catalog.add_productimage"

    def post(self, request, pk):
        product = get_object_or_404(Product, pk=pk)
        form = PhotoUploadForm(request.POST, request.FILES)
        if form.is_valid():
            add_photo(request, product, form.cleaned_data["photo"])
        else:
            messages.error(request, _("Choose a photo (JPEG, PNG, WebP or BMP) to upload."))
        return redirect("backoffice:product", pk=pk)


class ProductPhotoDeleteView(BackOfficeMixin, View):
    permission_required = "catalog.delete_productimage"

    def post(self, request, pk, image_id):
        product = get_object_or_404(Product, pk=pk)
        image = get_object_or_404(product.images, pk=image_id)
        remove_photo(request, image)
        return redirect("backoffice:product", pk=pk)


def add_photo(request, product: Product, upload) -> None:
    """Store the photo and queue its embedding (gallery.services); say what happened."""
    try:
        added = gallery_services.add_photos(
            product, [gallery_services.Upload(upload.read(), upload.name)], actor=request.user
        )[0]
    except DomainError as exc:
        messages.error(request, _("Photo not added: %(reasons)s") % {"reasons": "; ".join(exc.messages)})
        return
    if added.created:
        messages.success(request, _("Photo added; it is being indexed for recognition."))
    else:
        messages.info(request, _("This photo was already in the gallery."))


def remove_photo(request, image) -> None:
    gallery_services.remove_photo(image, actor=request.user, reason="deleted in the back office")
    messages.success(request, _("Photo removed from the gallery."))


def photo_rows(product: Product) -> list[tuple]:
    """Each photo with its gallery status (indexed / pending / failed and why)."""
    images = product.images.select_related("embedding").order_by("id")
    rows = []
    for image in images:
        embedding = getattr(image, "embedding", None)
        status = embedding.status if embedding else GalleryEmbedding.Status.PENDING
        rows.append((image, status, embedding.failure_reason if embedding else ""))
    return rows
