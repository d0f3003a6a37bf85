"""Top-level URLs: the REST API under /api/v1/, its schema and docs, admin, health, the pages' languages."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import TemplateView
from django.views.i18n import JavaScriptCatalog
from django.views.static import serve
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from checkout.pages import checkout_page

from .health import healthz

api_v1 = [
    path("", include("catalog.urls")),
    path("", include("gallery.urls")),
    path("", include("accounts.urls")),
    path("", include("payments.urls")),
    path("", include("checkout.urls")),
]

urlpatterns = [
    path("", TemplateView.as_view(template_name="home.html"), name="home"),  # customers' and merchants' doors
    path("healthz", healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),  # set_language: the language switch on every page
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),  # the checkout script's text
    path("admin/", admin.site.urls),
    path("backoffice/", include("backoffice.urls")),
    path("checkout/", checkout_page, name="checkout-page"),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
]

if settings.SERVE_MEDIA:
    # Embedded default: Django serves uploaded photos itself.  Production puts them behind
    # nginx or object storage and sets SERVE_MEDIA=false.
    urlpatterns.append(
        re_path(rf"^{settings.MEDIA_URL.lstrip('/')}(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT})
    )

handler400 = "smart_container.api.handler400"
handler403 = "smart_container.api.handler403"
handler404 = "smart_container.api.handler404"
handler500 = "smart_container.api.handler500"
