from django.contrib.auth import views as auth_views
from django.urls import path

from .views import audit, dashboard, gallery, orders, products, reconciliation, review, staff

app_name = "backoffice"

urlpatterns = [
    path("", dashboard.home, name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(template_name="backoffice/login.html", redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(next_page="backoffice:login"), name="logout"),
    path("dashboard/", dashboard.DashboardView.as_view(), name="dashboard"),
    path("products/", products.ProductListView.as_view(), name="products"),
    path("products/new/", products.ProductCreateView.as_view(), name="product-new"),
    path("products/<int:pk>/", products.ProductDetailView.as_view(), name="product"),
    path("products/<int:pk>/edit/", products.ProductUpdateView.as_view(), name="product-edit"),
    path("products/<int:pk>/photos/", products.ProductPhotoUploadView.as_view(), name="product-photo-add"),
    path(
        "products/<int:pk>/photos/<int:image_id>/delete/",
        products.ProductPhotoDeleteView.as_view(),
        name="product-photo-delete",
    ),
    path("orders/", orders.OrderListView.as_view(), name="orders"),
    path("orders/export.csv", orders.OrderExportView.as_view(), name="orders-export"),
    path("orders/<uuid:pk>/", orders.OrderDetailView.as_view(), name="order"),
    path("orders/<uuid:pk>/refund/", orders.OrderRefundView.as_view(), name="order-refund"),
    path("review/", review.ReviewQueueView.as_view(), name="review"),
    path("review/<uuid:pk>/", review.ReviewDetailView.as_view(), name="review-item"),
    path("review/<uuid:pk>/photo", review.ReviewPhotoView.as_view(), name="review-photo"),
    path("review/<uuid:pk>/add-crop/", review.ReviewAddCropView.as_view(), name="review-add-crop"),
    path("review/<uuid:pk>/done/", review.ReviewDoneView.as_view(), name="review-done"),
    path("gallery/", gallery.GalleryStatusView.as_view(), name="gallery"),
    path("gallery/retry/", gallery.GalleryRetryView.as_view(), name="gallery-retry"),
    path("audit/", audit.AuditLogView.as_view(), name="audit"),
    path("reconciliation/", reconciliation.ReconciliationListView.as_view(), name="reconciliation"),
    path("reconciliation/<str:day>/", reconciliation.ReconciliationDayView.as_view(), name="reconciliation-day"),
    path(
        "reconciliation/discrepancies/<int:pk>/resolve/",
        reconciliation.DiscrepancyResolveView.as_view(),
        name="discrepancy-resolve",
    ),
    path("staff/", staff.StaffView.as_view(), name="staff"),
    path("staff/<int:pk>/role/", staff.StaffRoleView.as_view(), name="staff-role"),
]
