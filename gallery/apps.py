from django.apps import AppConfig


class GalleryConfig(AppConfig):
    """The recognition gallery: embeddings of product photos, the change log and the live index."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "gallery"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (connects the catalog -> gallery receivers)
