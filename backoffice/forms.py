"""Back-office forms.  Prices are typed in yuan and converted to integer fen exactly."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm
from django.core.validators import RegexValidator

from catalog.models import MAX_STOCK, Category, Product, Store
from orders.models import Order

from .roles import ROLES

RANGE_CHOICES = [(7, "7 days"), (14, "14 days"), (30, "30 days"), (90, "90 days")]


class YuanField(forms.DecimalField):
    """A price in yuan with at most two decimals, cleaned to integer fen."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 9)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("min_value", Decimal("0"))
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("inputmode", "decimal")

    def clean(self, value):
        amount = super().clean(value)
        return None if amount is None else int(amount * 100)

    def prepare_value(self, value):
        if isinstance(value, int):
            return f"{value // 100}.{value % 100:02d}"
        return value


class DashboardFilterForm(forms.Form):
    days = forms.TypedChoiceField(choices=RANGE_CHOICES, coerce=int, required=False, initial=14)
    store = forms.ModelChoiceField(Store.objects.all(), to_field_name="code", required=False, empty_label="All stores")


class ProductSearchForm(forms.Form):
    q = forms.CharField(
        required=False, label="Search", widget=forms.TextInput(attrs={"placeholder": "SKU, name or barcode"})
    )
    low_stock = forms.BooleanField(required=False, label="Low stock only")
    inactive = forms.BooleanField(required=False, label="Include inactive")


class ProductEditForm(forms.Form):
    name = forms.CharField(max_length=200)
    price = YuanField(label="Price (¥)")
    stock = forms.IntegerField(min_value=0, max_value=MAX_STOCK)
    is_active = forms.BooleanField(required=False, label="On sale")


class ProductCreateForm(forms.Form):
    sku = forms.CharField(max_length=64, label="SKU")
    name = forms.CharField(max_length=200)
    barcode = forms.CharField(max_length=14, required=False)
    category = forms.ModelChoiceField(Category.objects.all(), required=False)
    price = YuanField(label="Price (¥)")
    stock = forms.IntegerField(min_value=0, max_value=MAX_STOCK, initial=0)
    photo = forms.ImageField(required=False, help_text="A clear photo of the product; more can be added later.")

    def clean_sku(self) -> str:
        sku = self.cleaned_data["sku"].strip()
        if Product.objects.filter(sku=sku).exists():
            raise forms.ValidationError(f"A product with SKU {sku} already exists.")
        return sku


class PhotoUploadForm(forms.Form):
    photo = forms.ImageField()


class OrderFilterForm(forms.Form):
    q = forms.CharField(
        required=False, label="Search", widget=forms.TextInput(attrs={"placeholder": "Order id, SKU or transaction"})
    )
    status = forms.ChoiceField(choices=[("", "Any status"), *Order.Status.choices], required=False)
    store = forms.ModelChoiceField(Store.objects.all(), to_field_name="code", required=False, empty_label="All stores")
    date_from = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))


class RefundForm(forms.Form):
    amount = YuanField(label="Amount (¥)", min_value=Decimal("0.01"))
    reason = forms.CharField(max_length=80, required=False)
    # Issued with the page: a second submit of the same form (double click, resent POST) is the
    # same refund to payments.refunds.request_refund, not another one.  WeChat Pay's format.
    out_refund_no = forms.CharField(
        widget=forms.HiddenInput,
        max_length=64,
        required=False,
        validators=[RegexValidator(r"^[A-Za-z0-9_*@|-]+$", "Invalid refund number.")],
    )


class StaffCreateForm(UserCreationForm):
    role = forms.ChoiceField(choices=[(r, r.title()) for r in ROLES])

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "first_name", "last_name")


class StaffRoleForm(forms.Form):
    role = forms.ChoiceField(choices=[(r, r.title()) for r in ROLES])
    is_active = forms.BooleanField(required=False, label="Can sign in")
