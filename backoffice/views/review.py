"""Review queue pages: list, one photo with its boxes, add a crop, mark done."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.generic import DetailView, ListView, View

from catalog.models import Product
from checkout.models import Recognition
from checkout.photos import photo_response
from smart_container.errors import DomainError

from .. import review
from .base import BackOfficeMixin


class AddCropForm(forms.Form):
    box = forms.IntegerField(min_value=0)
    sku = forms.CharField(max_length=64)

    def clean_sku(self) -> Product:
        sku = self.cleaned_data["sku"].strip()
        product = Product.objects.filter(sku=sku).first()
        if product is None:
            raise forms.ValidationError(_("No product with SKU %(sku)s.") % {"sku": sku})
        return product


class ReviewQueueView(BackOfficeMixin, ListView):
    permission_required = "backoffice.review_recognitions"
    template_name = "backoffice/review.html"
    paginate_by = 30
    extra_context = {"nav": "review"}

    def get_queryset(self):
        return review.review_queue(settings.BACKOFFICE_REVIEW_MIN_SCORE)

    def get_context_data(self, **kwargs):
        return super().get_context_data(min_score=settings.BACKOFFICE_REVIEW_MIN_SCORE, **kwargs)


class ReviewPhotoView(BackOfficeMixin, View):
    """The checkout photo itself, for reviewers only (checkout photos are never public media)."""

    permission_required = "backoffice.review_recognitions"

    def get(self, request, pk):
        try:
            return photo_response(get_object_or_404(Recognition, pk=pk))
        except DomainError as exc:
            raise Http404(exc.message) from exc


class ReviewDetailView(BackOfficeMixin, DetailView):
    permission_required = "backoffice.review_recognitions"
    template_name = "backoffice/review_item.html"
    queryset = Recognition.objects.select_related("store", "review__reviewed_by")
    context_object_name = "recognition"
    extra_context = {"nav": "review"}

    def get_context_data(self, **kwargs):
        rec = self.object
        boxes = review.review_boxes(rec)
        return super().get_context_data(
            items=review.review_items(rec, boxes),
            label_size=max(12, round(max(rec.width, rec.height) / 28)),  # box numbers readable at any photo size
            products=Product.objects.filter(is_active=True).order_by("sku").values_list("sku", "name"),
            min_score=settings.BACKOFFICE_REVIEW_MIN_SCORE,
            **kwargs,
        )


class ReviewAddCropView(BackOfficeMixin, View):
    """POST box + sku: that box of the photo becomes a reference photo of the product."""

    permission_required = "backoffice.review_recognitions"

    def post(self, request, pk):
        recognition = get_object_or_404(Recognition, pk=pk)
        form = AddCropForm(request.POST)
        if not form.is_valid():
            messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
            return redirect("backoffice:review-item", pk=pk)
        product = form.cleaned_data["sku"]
        try:
            created = review.add_box_to_gallery(recognition, form.cleaned_data["box"], product, actor=request.user)
        except DomainError as exc:
            messages.error(request, _("Crop not added: %(reasons)s") % {"reasons": "; ".join(exc.messages)})
        else:
            if created:
                said = _("Box %(n)s added to the gallery of %(sku)s.")
                messages.success(request, said % {"n": form.cleaned_data["box"] + 1, "sku": product.sku})
            else:
                messages.info(request, _("That crop is already in the gallery of %(sku)s.") % {"sku": product.sku})
        return redirect("backoffice:review-item", pk=pk)


class ReviewDoneView(BackOfficeMixin, View):
    permission_required = "backoffice.review_recognitions"

    def post(self, request, pk):
        recognition = get_object_or_404(Recognition, pk=pk)
        review.mark_reviewed(recognition, reviewer=request.user)
        messages.success(request, _("Marked as reviewed."))
        following = review.review_queue(settings.BACKOFFICE_REVIEW_MIN_SCORE).first()
        return redirect("backoffice:review-item", pk=following.pk) if following else redirect("backoffice:review")
