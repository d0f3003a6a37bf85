"""Back-office forms.  Prices are typed in yuan and converted to integer fen exactly."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm
from django.core.validators import RegexValidator
from django.db.models import F, OrderBy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from catalog.models import BARCODE_VALIDATOR, MAX_STOCK, Category, Product, Store
from orders.models import Order

from .roles import CASHIER, ROLE_CHOICES

RANGE_DAYS = (7, 14, 30, 90)


def range_choices() -> list[tuple[int, str]]:
    """Called per form, so the labels are in the language of the request."""
    return [(days, ngettext("%(n)d day", "%(n)d days", days) % {"n": days}) for days in RANGE_DAYS]


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
    days = forms.TypedChoiceField(choices=range_choices, coerce=int, required=False, initial=14, label=_("Period"))
    store = forms.ModelChoiceField(
        Store.objects.all(), to_field_name="code", required=False, empty_label=_("All stores"), label=_("Store")
    )


PRODUCT_SORTS = {
    "sku": "sku",
    "name": "name",
    "category": "category__name",
    "price": "price_fen",
    "stock": "stock",
    "photos": "photo_count",
}


class ProductSearchForm(forms.Form):
    q = forms.CharField(
        required=False, label=_("Search"), widget=forms.TextInput(attrs={"placeholder": _("SKU, name or barcode")})
    )
    category = forms.ModelChoiceField(
        Category.objects.all(), required=False, empty_label=_("All categories"), label=_("Category")
    )
    low_stock = forms.BooleanField(required=False, label=_("Low stock only"))
    inactive = forms.BooleanField(required=False, label=_("Include inactive"))
    # Also set by the column headers' links (a second click reverses); the select serves phones,
    # where the table has no header row.
    sort = forms.CharField(
        required=False,
        label=_("Sort by"),
        widget=forms.Select(
            choices=[
                ("", _("SKU")),
                ("name", _("Name")),
                ("category", _("Category")),
                ("price", _("Price, low to high")),
                ("-price", _("Price, high to low")),
                ("stock", _("Stock, lowest first")),
                ("photos", _("Photos, fewest first")),
            ]
        ),
    )

    def clean_sort(self) -> str:
        sort = self.cleaned_data["sort"]
        return sort if sort.lstrip("-") in PRODUCT_SORTS else ""  # an unknown column sorts by SKU

    def ordering(self) -> list[OrderBy | str]:
        """The column the list is sorted by, then SKU; products without a value (no category)
        last either way, as PostgreSQL does and SQLite would not."""
        sort = (self.cleaned_data.get("sort") if self.is_bound and self.is_valid() else "") or "sku"
        column = F(PRODUCT_SORTS[sort.lstrip("-")])
        return [column.desc(nulls_last=True) if sort.startswith("-") else column.asc(nulls_last=True), "sku"]


def barcode_taken(barcode: str, product: Product | None = None) -> bool:
    others = Product.objects.filter(barcode=barcode)
    return (others.exclude(pk=product.pk) if product else others).exists()


class ProductEditForm(forms.Form):
    """``product``: the product being edited (its own barcode is not a clash)."""

    name = forms.CharField(max_length=200, label=_("Name"))
    barcode = forms.CharField(
        max_length=14, required=False, validators=[BARCODE_VALIDATOR], label=_("Barcode"), help_text=_("8 to 14 digits")
    )
    category = forms.ModelChoiceField(Category.objects.all(), required=False, label=_("Category"))
    price = YuanField(label=_("Price (¥)"))
    stock = forms.IntegerField(min_value=0, max_value=MAX_STOCK, label=_("Stock"))
    is_active = forms.BooleanField(required=False, label=_("On sale"))

    def __init__(self, *args, product: Product | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.product = product

    def clean_barcode(self) -> str:
        barcode = self.cleaned_data["barcode"].strip()
        if barcode and barcode_taken(barcode, self.product):
            raise forms.ValidationError(_("Another product has barcode %(barcode)s."), params={"barcode": barcode})
        return barcode


class ProductCreateForm(forms.Form):
    sku = forms.CharField(max_length=64, label=_("SKU"))
    name = forms.CharField(max_length=200, label=_("Name"))
    barcode = forms.CharField(max_length=14, required=False, validators=[BARCODE_VALIDATOR], label=_("Barcode"))
    category = forms.ModelChoiceField(Category.objects.all(), required=False, label=_("Category"))
    price = YuanField(label=_("Price (¥)"))
    stock = forms.IntegerField(min_value=0, max_value=MAX_STOCK, initial=0, label=_("Stock"))
    photo = forms.ImageField(
        required=False, label=_("Photo"), help_text=_("A clear photo of the product; more can be added later.")
    )

    def clean_barcode(self) -> str:
        barcode = self.cleaned_data["barcode"].strip()
        if barcode and barcode_taken(barcode):
            raise forms.ValidationError(_("Another product has barcode %(barcode)s."), params={"barcode": barcode})
        return barcode

    def clean_sku(self) -> str:
        sku = self.cleaned_data["sku"].strip()
        if Product.objects.filter(sku=sku).exists():
            raise forms.ValidationError(_("A product with SKU %(sku)s already exists."), params={"sku": sku})
        return sku


class PhotoUploadForm(forms.Form):
    photo = forms.ImageField(label=_("Photo"))


class OrderFilterForm(forms.Form):
    q = forms.CharField(
        required=False,
        label=_("Search"),
        widget=forms.TextInput(attrs={"placeholder": _("Order id, SKU or transaction")}),
    )
    status = forms.ChoiceField(
        choices=[("", _("Any status")), *Order.Status.choices], required=False, label=_("Status")
    )
    store = forms.ModelChoiceField(
        Store.objects.all(), to_field_name="code", required=False, empty_label=_("All stores"), label=_("Store")
    )
    date_from = forms.DateField(required=False, label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))


class RefundForm(forms.Form):
    amount = YuanField(label=_("Amount (¥)"), min_value=Decimal("0.01"))
    reason = forms.CharField(max_length=80, required=False, label=_("Reason"))
    # Issued with the page: a second submit of the same form (double click, resent POST) is the
    # same refund to payments.refunds.request_refund, not another one.  WeChat Pay's format.
    out_refund_no = forms.CharField(
        widget=forms.HiddenInput,
        max_length=64,
        required=False,
        validators=[RegexValidator(r"^[A-Za-z0-9_*@|-]+$", _("Invalid refund number."))],
    )


class StaffCreateForm(UserCreationForm):
    role = forms.ChoiceField(choices=ROLE_CHOICES, initial=CASHIER, label=_("Role"))

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "first_name", "last_name")


class StaffRoleForm(forms.Form):
    role = forms.ChoiceField(choices=ROLE_CHOICES, label=_("Role"))
    is_active = forms.BooleanField(required=False, label=_("Can sign in"))
