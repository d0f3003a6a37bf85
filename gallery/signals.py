"""Catalog -> gallery: every way a product or photo changes (services, admin, cascades) logs it here.

Receivers run inside the transaction of the change, so the change-log entry commits with
it or not at all.  A photo queued for embedding (``services.embedding_queued``) gets its task
here, after the commit.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save
from django.dispatch import receiver

from catalog.models import Product, ProductImage

from .changelog import Entry
from .models import GalleryChange, GalleryEmbedding
from .services import embedding_queued, log_changes, queue_embedding
from .tasks import embed_image


def _indexed_image_ids(product: Product) -> list[int]:
    return list(
        GalleryEmbedding.objects.filter(image__product=product, status=GalleryEmbedding.Status.INDEXED)
        .order_by("image_id")
        .values_list("image_id", flat=True)
    )


@receiver(pre_save, sender=Product, dispatch_uid="gallery_product_pre_save")
def remember_product_state(sender, instance: Product, raw=False, **kwargs) -> None:
    previous = None
    if instance.pk and not raw:
        previous = Product.objects.filter(pk=instance.pk).values("sku", "is_active").first()
    instance._gallery_previous = previous


@receiver(post_save, sender=Product, dispatch_uid="gallery_product_post_save")
def product_saved(sender, instance: Product, created=False, raw=False, **kwargs) -> None:
    """Deactivation removes the product's photos, reactivation and a new SKU (re-)add them."""
    previous = getattr(instance, "_gallery_previous", None)
    if created or raw or previous is None:
        return
    was_active, sku_changed = previous["is_active"], previous["sku"] != instance.sku
    if was_active and not instance.is_active:
        op, why = GalleryChange.Op.REMOVE, "product deactivated"
        label = previous["sku"]
    elif instance.is_active and (not was_active or sku_changed):
        op, why = GalleryChange.Op.ADD, "product reactivated" if not was_active else "SKU changed"
        label = instance.sku
    else:
        return
    log_changes([Entry(op, image_id, label) for image_id in _indexed_image_ids(instance)], why)


@receiver(post_save, sender=ProductImage, dispatch_uid="gallery_image_post_save")
def image_added(sender, instance: ProductImage, created=False, raw=False, **kwargs) -> None:
    """Every new photo (API, back office, importer, admin) gets an embedding row and is queued."""
    if created and not raw:
        embedding, made = GalleryEmbedding.objects.get_or_create(image=instance)
        if made:
            queue_embedding(embedding)


@receiver(pre_delete, sender=ProductImage, dispatch_uid="gallery_image_pre_delete")
def image_deleting(sender, instance: ProductImage, **kwargs) -> None:
    """A deleted photo (alone, or with its product) leaves every index with the same commit."""
    # Product row first, then the log's state row: the order every gallery writer takes locks in
    # (update_product, store_embedding), so a delete racing an embedding cannot deadlock.
    product = Product.objects.select_for_update().filter(pk=instance.product_id).values("sku", "is_active").first()
    indexed = GalleryEmbedding.objects.filter(pk=instance.pk, status=GalleryEmbedding.Status.INDEXED).exists()
    if indexed and product and product["is_active"]:
        log_changes([Entry(GalleryChange.Op.REMOVE, instance.pk, product["sku"])], "photo deleted")


@receiver(post_delete, sender=ProductImage, dispatch_uid="gallery_image_post_delete")
def image_deleted(sender, instance: ProductImage, **kwargs) -> None:
    """Remove the file once the deletion has committed (a rolled-back delete keeps it)."""
    if instance.image.name:
        storage, name = instance.image.storage, instance.image.name
        transaction.on_commit(lambda: storage.delete(name))


@receiver(embedding_queued, dispatch_uid="gallery_embedding_queued")
def embedding_task_after_commit(sender, image_id: int, actor_id: int | None, **kwargs) -> None:
    # robust: a broker hiccup (or, embedded, a failing in-process task) must not fail the upload that
    # committed; the photo stays pending and the next re-embedding pass picks it up.
    transaction.on_commit(lambda: embed_image.delay(image_id, actor_id), robust=True)
