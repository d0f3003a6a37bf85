from django.contrib import admin

from .models import GalleryChange, GalleryEmbedding, GalleryState, GalleryWorker


@admin.register(GalleryEmbedding)
class GalleryEmbeddingAdmin(admin.ModelAdmin):
    list_display = ["image", "status", "model_version", "failure_reason", "indexed_at"]
    list_filter = ["status", "model_version"]
    readonly_fields = [f.name for f in GalleryEmbedding._meta.fields]
    exclude = ["vector"]


@admin.register(GalleryChange)
class GalleryChangeAdmin(admin.ModelAdmin):
    """The log is append-only: readable here, never edited."""

    list_display = ["version", "op", "label", "image_id", "actor", "reason", "created_at"]
    list_filter = ["op"]
    search_fields = ["label", "reason"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(GalleryWorker)
class GalleryWorkerAdmin(admin.ModelAdmin):
    list_display = ["name", "version", "generation", "model_version", "entries", "consistent", "heartbeat_at"]


admin.site.register(GalleryState)
