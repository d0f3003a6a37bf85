from django.contrib import admin

from smart_container.admin import AppendOnlyLogAdmin

from .models import GalleryChange, GalleryEmbedding, GalleryState, GalleryWorker


@admin.register(GalleryEmbedding)
class GalleryEmbeddingAdmin(admin.ModelAdmin):
    list_display = ["image", "status", "model_version", "failure_reason", "indexed_at"]
    list_filter = ["status", "model_version"]
    readonly_fields = [f.name for f in GalleryEmbedding._meta.fields]
    exclude = ["vector"]


@admin.register(GalleryChange)
class GalleryChangeAdmin(AppendOnlyLogAdmin):
    """The log is append-only: readable here, never edited."""

    list_display = ["version", "op", "label", "image_id", "actor", "reason", "created_at"]
    list_filter = ["op"]
    search_fields = ["label", "reason"]


@admin.register(GalleryWorker)
class GalleryWorkerAdmin(admin.ModelAdmin):
    list_display = ["name", "version", "generation", "model_version", "entries", "consistent", "heartbeat_at"]


admin.site.register(GalleryState)
