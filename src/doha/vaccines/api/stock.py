"""REST endpoints of the vaccine catalogue, the stock ledger and the cold chain.

Every viewset is a ``ScopedModelViewSet``: its queryset is ``restrict(user, action)``, so a
point's clerk sees its store only and the CDC sees its points. The ledger is append-only:
``/api/vaccine-stock-entries/`` is read-only (a movement is corrected with its ``reverse``
action); movements are posted to ``/api/vaccine-stock-movements/``, through the same
services as the pages. Errors name the field and the reason.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Sum
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import exceptions, serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from doha.core.api.viewsets import ScopedModelViewSet, as_api_error
from doha.orgunits.models import OrgUnit
from doha.vaccines import coldchain, filters, stock
from doha.vaccines.models import (
    Antigen,
    EntryReason,
    Fridge,
    HoldDecision,
    Lot,
    LotHold,
    ScheduleDose,
    StockBalance,
    StockCount,
    StockEntry,
    Store,
    Supplier,
    TemperatureReading,
    Vaccine,
)


def _user(serializer):
    request = serializer.context.get("request")
    return getattr(request, "user", None)


@extend_schema_field(OpenApiTypes.STR)
class UidField(serializers.SlugRelatedField):
    """A related record by its UID, among those the caller may see (``restrict``)."""

    def __init__(self, model=None, **kwargs):
        self.model = model
        kwargs.setdefault("slug_field", "uid")
        if not kwargs.get("read_only"):
            kwargs.setdefault("queryset", model.objects.none() if model else None)
        super().__init__(**kwargs)

    def get_queryset(self):
        return self.model.objects.restrict(_user(self), "view")


# --------------------------------------------------------------------------------------------
# Serializers
# --------------------------------------------------------------------------------------------


class AntigenSerializer(serializers.ModelSerializer):
    class Meta:
        model = Antigen
        fields = ["uid", "code", "name", "description", "active", "created", "last_updated"]
        read_only_fields = ["uid", "created", "last_updated"]


class ScheduleDoseSerializer(serializers.ModelSerializer):
    vaccine = UidField(Vaccine, required=False, allow_null=True)
    antigen = serializers.SlugRelatedField(
        slug_field="code", queryset=Antigen.objects.all(), required=False, allow_null=True
    )

    class Meta:
        model = ScheduleDose
        fields = [
            "uid",
            "vaccine",
            "antigen",
            "dose_number",
            "min_age_days",
            "max_age_days",
            "recommended_age_days",
            "min_interval_days",
            "recommended_interval_days",
            "booster",
            "note",
        ]
        read_only_fields = ["uid"]
        validators = []  # the model's constraints are checked by full_clean (one error shape)


class VaccineSerializer(serializers.ModelSerializer):
    antigens = serializers.SlugRelatedField(
        slug_field="code", many=True, queryset=Antigen.objects.all(), help_text="Antigen codes."
    )
    price = serializers.IntegerField(min_value=0, help_text="Whole VND per dose.")
    schedule = ScheduleDoseSerializer(many=True, read_only=True)

    class Meta:
        model = Vaccine
        fields = [
            "uid",
            "code",
            "name",
            "antigens",
            "manufacturer",
            "country",
            "doses_per_vial",
            "open_vial_policy",
            "open_vial_hours",
            "route",
            "dose_volume_ml",
            "storage_min_c",
            "storage_max_c",
            "price",
            "active",
            "schedule",
            "created",
            "last_updated",
        ]
        read_only_fields = ["uid", "created", "last_updated"]


class StoreSerializer(serializers.ModelSerializer):
    org_unit = UidField(OrgUnit)
    org_unit_name = serializers.CharField(source="org_unit.name", read_only=True)
    supplied_by = serializers.SlugRelatedField(
        slug_field="uid", queryset=Store.objects.all(), required=False, allow_null=True
    )
    doses_on_hand = serializers.IntegerField(read_only=True)

    class Meta:
        model = Store
        fields = [
            "uid",
            "org_unit",
            "org_unit_name",
            "name",
            "kind",
            "supplied_by",
            "address",
            "active",
            "doses_on_hand",
            "created",
            "last_updated",
        ]
        read_only_fields = ["uid", "created", "last_updated"]
        validators = []


class FridgeSerializer(serializers.ModelSerializer):
    store = UidField(Store)
    store_name = serializers.CharField(source="store.name", read_only=True)

    class Meta:
        model = Fridge
        fields = [
            "uid",
            "store",
            "store_name",
            "name",
            "model_name",
            "serial_number",
            "logger_serial",
            "min_c",
            "max_c",
            "active",
        ]
        read_only_fields = ["uid"]
        validators = []


class SupplierSerializer(serializers.ModelSerializer):
    org_unit = UidField(OrgUnit, help_text="The buying unit (UID).")

    class Meta:
        model = Supplier
        fields = ["uid", "org_unit", "name", "tax_code", "address", "phone", "active"]
        read_only_fields = ["uid"]
        validators = []


class LotSerializer(serializers.ModelSerializer):
    vaccine = serializers.SlugRelatedField(slug_field="uid", read_only=True)
    vaccine_name = serializers.CharField(source="vaccine.name", read_only=True)

    class Meta:
        model = Lot
        fields = [
            "uid",
            "vaccine",
            "vaccine_name",
            "lot_number",
            "expiry_date",
            "manufacturer",
            "manufactured_on",
        ]
        read_only_fields = fields


class StockBalanceSerializer(serializers.ModelSerializer):
    store = serializers.SlugRelatedField(slug_field="uid", read_only=True)
    store_name = serializers.CharField(source="store.name", read_only=True)
    lot = serializers.SlugRelatedField(slug_field="uid", read_only=True)
    lot_number = serializers.CharField(source="lot.lot_number", read_only=True)
    vaccine = serializers.CharField(source="lot.vaccine.uid", read_only=True)
    vaccine_name = serializers.CharField(source="lot.vaccine.name", read_only=True)
    expiry_date = serializers.DateField(source="lot.expiry_date", read_only=True)
    on_hold = serializers.BooleanField(read_only=True)

    class Meta:
        model = StockBalance
        fields = [
            "store",
            "store_name",
            "lot",
            "lot_number",
            "vaccine",
            "vaccine_name",
            "expiry_date",
            "quantity",
            "on_hold",
            "last_updated",
        ]
        read_only_fields = fields


class StockEntrySerializer(serializers.ModelSerializer):
    store = serializers.SlugRelatedField(slug_field="uid", read_only=True)
    store_name = serializers.CharField(source="store.name", read_only=True)
    lot = serializers.SlugRelatedField(slug_field="uid", read_only=True)
    lot_number = serializers.CharField(source="lot.lot_number", read_only=True)
    vaccine = serializers.CharField(source="lot.vaccine.uid", read_only=True)
    supplier = serializers.SlugRelatedField(slug_field="uid", read_only=True)
    counterpart = serializers.SlugRelatedField(slug_field="uid", read_only=True)
    reverses = serializers.SlugRelatedField(slug_field="uid", read_only=True)
    created_by = serializers.CharField(source="created_by.username", read_only=True, default="")

    class Meta:
        model = StockEntry
        fields = [
            "uid",
            "movement",
            "occurred_at",
            "store",
            "store_name",
            "kind",
            "lot",
            "lot_number",
            "vaccine",
            "quantity",
            "reason",
            "reference",
            "supplier",
            "counterpart",
            "reverses",
            "note",
            "created_by",
            "created",
        ]
        read_only_fields = fields


class StockMovementLineSerializer(serializers.Serializer):
    lot = serializers.CharField(
        required=False, help_text="UID of a known lot; or give vaccine, lot_number, expiry_date."
    )
    vaccine = serializers.CharField(required=False, help_text="Vaccine UID (a new lot).")
    lot_number = serializers.CharField(required=False, max_length=50)
    expiry_date = serializers.DateField(required=False)
    quantity = serializers.IntegerField(
        help_text="Doses: positive; for an adjustment, negative to write off."
    )


MOVEMENT_KINDS = [
    ("receipt", "receipt"),
    ("issue", "issue"),
    ("transfer", "transfer"),
    ("return", "return"),
    ("adjustment", "adjustment"),
]


class StockMovementSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=MOVEMENT_KINDS)
    store = serializers.CharField(help_text="UID of the store the doses leave (or enter).")
    counterpart = serializers.CharField(
        required=False, allow_blank=True, help_text="UID of the other store (issue, transfer)."
    )
    supplier = serializers.CharField(required=False, allow_blank=True, help_text="UID.")
    reference = serializers.CharField(required=False, allow_blank=True, max_length=100)
    reason = serializers.ChoiceField(choices=EntryReason.choices, required=False, allow_blank=True)
    occurred_at = serializers.DateTimeField(required=False, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True, max_length=300)
    lines = StockMovementLineSerializer(many=True)


class StockMovementResultSerializer(serializers.Serializer):
    movement = serializers.CharField()
    entries = StockEntrySerializer(many=True)


class StockReversalSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=300, help_text="Why the movement is reversed.")


class FefoLotSerializer(serializers.Serializer):
    lot = serializers.CharField(source="lot.uid")
    lot_number = serializers.CharField(source="lot.lot_number")
    expiry_date = serializers.DateField(source="lot.expiry_date")
    available = serializers.IntegerField()
    take = serializers.IntegerField()


class FefoSuggestionSerializer(serializers.Serializer):
    store = serializers.CharField()
    vaccine = serializers.CharField()
    quantity = serializers.IntegerField()
    missing = serializers.IntegerField()
    lots = FefoLotSerializer(many=True)


class StockExpirySerializer(serializers.Serializer):
    store = serializers.CharField(source="balance.store.uid")
    store_name = serializers.CharField(source="balance.store.name")
    lot = serializers.CharField(source="balance.lot.uid")
    lot_number = serializers.CharField(source="balance.lot.lot_number")
    vaccine_name = serializers.CharField(source="balance.lot.vaccine.name")
    expiry_date = serializers.DateField(source="balance.lot.expiry_date")
    days_left = serializers.IntegerField()
    horizon = serializers.IntegerField(allow_null=True, help_text="30, 60, 90; null: expired.")
    quantity = serializers.IntegerField(source="balance.quantity")


class StockCountLineSerializer(serializers.Serializer):
    lot = serializers.CharField(help_text="Lot UID.")
    counted = serializers.IntegerField(min_value=0)
    reason = serializers.ChoiceField(choices=EntryReason.choices, required=False, allow_blank=True)
    note = serializers.CharField(required=False, allow_blank=True, max_length=300)
    expected = serializers.IntegerField(read_only=True, allow_null=True)
    difference = serializers.IntegerField(read_only=True, allow_null=True)


class StockCountSerializer(serializers.ModelSerializer):
    store = serializers.CharField(help_text="Store UID.")
    lines = StockCountLineSerializer(many=True)
    counted_at = serializers.DateTimeField(required=False, allow_null=True)

    class Meta:
        model = StockCount
        fields = [
            "uid",
            "store",
            "counted_at",
            "status",
            "note",
            "lines",
            "reconciled_at",
            "created",
        ]
        read_only_fields = ["uid", "status", "reconciled_at", "created"]

    def to_representation(self, instance):
        return {
            "uid": instance.uid,
            "store": instance.store.uid,
            "counted_at": serializers.DateTimeField().to_representation(instance.counted_at),
            "status": instance.status,
            "note": instance.note,
            "lines": [
                {
                    "lot": line.lot.uid,
                    "counted": line.counted,
                    "reason": line.reason,
                    "note": line.note,
                    "expected": line.expected,
                    "difference": line.difference,
                }
                for line in instance.lines.select_related("lot")
            ],
            "reconciled_at": serializers.DateTimeField().to_representation(instance.reconciled_at)
            if instance.reconciled_at
            else None,
            "created": serializers.DateTimeField().to_representation(instance.created),
        }


class TemperatureReadingSerializer(serializers.ModelSerializer):
    fridge = UidField(Fridge)
    fridge_name = serializers.CharField(source="fridge.name", read_only=True)
    store = serializers.CharField(source="fridge.store.uid", read_only=True)

    class Meta:
        model = TemperatureReading
        fields = [
            "uid",
            "fridge",
            "fridge_name",
            "store",
            "recorded_at",
            "temperature_c",
            "source",
            "excursion",
            "note",
            "created",
        ]
        read_only_fields = ["uid", "source", "excursion", "created"]
        validators = []


class TemperatureUploadSerializer(serializers.Serializer):
    fridge = serializers.CharField(help_text="Fridge UID.")
    file = serializers.FileField(help_text="The logger's .csv or .xlsx file.")
    dry_run = serializers.BooleanField(required=False, default=False)


class TemperatureUploadErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField()
    column = serializers.CharField(source="field")
    message = serializers.CharField()


class TemperatureUploadReportSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    dry_run = serializers.BooleanField()
    rows = serializers.IntegerField()
    created = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    excursions = serializers.IntegerField()
    holds = serializers.SerializerMethodField()
    errors = TemperatureUploadErrorSerializer(many=True)

    def get_holds(self, report) -> list[str]:
        return [] if report.dry_run else [hold.uid for hold in report.holds]


class LotHoldSerializer(serializers.ModelSerializer):
    store = UidField(Store)
    lot = serializers.SlugRelatedField(slug_field="uid", queryset=Lot.objects.all())
    lot_number = serializers.CharField(source="lot.lot_number", read_only=True)
    fridge = serializers.SlugRelatedField(slug_field="uid", read_only=True)
    excursion = serializers.SlugRelatedField(slug_field="uid", read_only=True)
    decided_by = serializers.CharField(source="decided_by.username", read_only=True, default="")

    class Meta:
        model = LotHold
        fields = [
            "uid",
            "store",
            "lot",
            "lot_number",
            "fridge",
            "excursion",
            "started_at",
            "reason",
            "is_open",
            "decision",
            "decision_note",
            "released_at",
            "decided_by",
        ]
        read_only_fields = [
            "uid",
            "started_at",
            "is_open",
            "decision",
            "decision_note",
            "released_at",
        ]
        validators = []


class HoldDecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=HoldDecision.choices)
    note = serializers.CharField(help_text="The grounds of the decision.")


# --------------------------------------------------------------------------------------------
# Viewsets
# --------------------------------------------------------------------------------------------


def _full_clean_save(serializer, instance=None):
    """Save a reference record after its model's own checks (one error shape)."""
    data = dict(serializer.validated_data)
    many = {
        name: data.pop(name)
        for name in list(data)
        if name in {f.name for f in serializer.Meta.model._meta.many_to_many}
    }
    obj = instance or serializer.Meta.model()
    for key, value in data.items():
        setattr(obj, key, value)
    try:
        obj.full_clean()
    except ValidationError as exc:
        raise as_api_error(exc) from exc
    with transaction.atomic():
        obj.save()
        for name, values in many.items():
            getattr(obj, name).set(values)
    serializer.instance = obj


class RetireMixin:
    """DELETE retires the record (``active`` = false): others refer to it."""

    def perform_destroy(self, instance):
        instance.active = False
        instance.save(update_fields=["active", "last_updated"])


class ReferenceViewSet(RetireMixin, ScopedModelViewSet):
    def perform_create(self, serializer):
        _full_clean_save(serializer)

    def perform_update(self, serializer):
        _full_clean_save(serializer, serializer.instance)


class AntigenViewSet(ReferenceViewSet):
    """Antigens of the catalogue (changed by the DOH and system administrators)."""

    queryset = Antigen.objects.order_by("name")
    serializer_class = AntigenSerializer
    filterset_class = filters.AntigenFilterSet


class VaccineViewSet(ReferenceViewSet):
    """Vaccine products with presentation, storage range, price (whole VND) and schedule."""

    queryset = Vaccine.objects.prefetch_related("antigens", "schedule").order_by("name")
    serializer_class = VaccineSerializer
    filterset_class = filters.VaccineFilterSet


class ScheduleDoseViewSet(ScopedModelViewSet):
    """Doses of a product's (``vaccine``) or an antigen's schedule; ages and intervals in
    days."""

    queryset = ScheduleDose.objects.select_related("vaccine", "antigen").order_by(
        "vaccine__name", "antigen__name", "dose_number"
    )
    serializer_class = ScheduleDoseSerializer
    filterset_fields = ["dose_number", "booster"]

    def perform_create(self, serializer):
        _full_clean_save(serializer)

    def perform_update(self, serializer):
        _full_clean_save(serializer, serializer.instance)

    def perform_destroy(self, instance):
        if instance.doses.exists():
            raise exceptions.ValidationError(
                {"non_field_errors": ["Doses given refer to this schedule dose: edit it instead."]}
            )
        instance.delete()


class StoreViewSet(ReferenceViewSet):
    """The centre's store and its vaccination points; ``doses_on_hand`` sums its lots."""

    queryset = (
        Store.objects.select_related("org_unit", "supplied_by")
        .annotate(doses_on_hand=Sum("balances__quantity"))
        .order_by("org_unit__sort_name", "kind", "name")
    )
    serializer_class = StoreSerializer
    filterset_class = filters.StoreFilterSet

    def perform_create(self, serializer):
        super().perform_create(serializer)
        serializer.instance.doses_on_hand = 0


class FridgeViewSet(ReferenceViewSet):
    queryset = Fridge.objects.select_related("store").order_by("store__name", "name")
    serializer_class = FridgeSerializer
    filterset_class = filters.FridgeFilterSet


class SupplierViewSet(ReferenceViewSet):
    queryset = Supplier.objects.select_related("org_unit").order_by("name")
    serializer_class = SupplierSerializer
    filterset_class = filters.SupplierFilterSet


class LotViewSet(ScopedModelViewSet):
    """Lots are recorded by their first receipt (``/api/vaccine-stock-movements/``)."""

    queryset = Lot.objects.select_related("vaccine").order_by("vaccine__name", "expiry_date")
    serializer_class = LotSerializer
    filterset_class = filters.LotFilterSet
    http_method_names = ["get", "head", "options"]


def _with_hold_flag(queryset):
    return queryset.annotate(
        on_hold=Exists(
            LotHold.objects.filter(
                released_at__isnull=True, store=OuterRef("store"), lot=OuterRef("lot")
            )
        )
    )


class StockBalanceViewSet(ScopedModelViewSet):
    """Doses on hand per store and lot (the ledger's sum); empty lots only with
    ``empty=yes``."""

    queryset = StockBalance.objects.select_related("store", "lot", "lot__vaccine").order_by(
        "store__name", "lot__vaccine__name", "lot__expiry_date"
    )
    serializer_class = StockBalanceSerializer
    filterset_class = filters.StockBalanceFilterSet
    http_method_names = ["get", "head", "options"]
    lookup_field = "pk"

    def get_queryset(self):
        return _with_hold_flag(super().get_queryset())

    @extend_schema(
        parameters=[
            OpenApiParameter("store", str, required=True, description="Store UID."),
            OpenApiParameter("vaccine", str, required=True, description="Vaccine UID."),
            OpenApiParameter("quantity", int, description="Doses needed (default 1)."),
        ],
        responses=FefoSuggestionSerializer,
    )
    @action(detail=False, methods=["get"], filterset_class=None, pagination_class=None)
    def fefo(self, request):
        """The lots to take first-expiry-first-out (expired and held lots left out)."""
        store = Store.objects.restrict(request.user, "view").filter(
            uid=request.query_params.get("store")
        )
        vaccine = Vaccine.objects.filter(uid=request.query_params.get("vaccine"))
        errors = {}
        if not store.exists():
            errors["store"] = ["No store in your scope has this UID."]
        if not vaccine.exists():
            errors["vaccine"] = ["No vaccine has this UID."]
        try:
            quantity = int(request.query_params.get("quantity") or 1)
            if quantity < 1:
                raise ValueError
        except ValueError:
            errors["quantity"] = ["A whole number of doses above zero."]
        if errors:
            raise exceptions.ValidationError(errors)
        suggestions, missing = stock.suggest_lots(store.get(), vaccine.get(), quantity)
        data = {
            "store": store.get().uid,
            "vaccine": vaccine.get().uid,
            "quantity": quantity,
            "missing": missing,
            "lots": suggestions,
        }
        return Response(FefoSuggestionSerializer(data).data)

    @extend_schema(
        parameters=[OpenApiParameter("store", str, description="Store UID.")],
        responses=StockExpirySerializer(many=True),
    )
    @action(detail=False, methods=["get"], pagination_class=None)
    def expiring(self, request):
        """Stock expiring within 30, 60 and 90 days, and stock already expired."""
        queryset = self.filter_queryset(self.get_queryset())
        return Response(StockExpirySerializer(stock.expiry_warnings(queryset), many=True).data)


class StockEntryViewSet(ScopedModelViewSet):
    """The stock ledger: read-only. A mistake is corrected by reversing its movement."""

    queryset = StockEntry.objects.select_related(
        "store", "lot", "lot__vaccine", "supplier", "counterpart", "reverses", "created_by"
    ).order_by("-occurred_at", "-pk")
    serializer_class = StockEntrySerializer
    filterset_class = filters.StockEntryFilterSet
    http_method_names = ["get", "post", "head", "options"]
    action_permissions = {"reverse": "change"}

    @extend_schema(exclude=True)
    def create(self, request, *args, **kwargs):
        raise exceptions.MethodNotAllowed(
            "POST", detail="Post movements to /api/vaccine-stock-movements/."
        )

    @extend_schema(
        request=StockReversalSerializer, responses={201: StockEntrySerializer(many=True)}
    )
    @action(detail=True, methods=["post"])
    def reverse(self, request, uid=None):
        """Reverse the entry's whole movement with linked entries of opposite quantity."""
        entry = self.get_object()
        serializer = StockReversalSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            reversals = stock.reverse_movement(
                entry, user=request.user, note=serializer.validated_data["note"]
            )
        except ValidationError as exc:
            raise as_api_error(exc) from exc
        return Response(
            StockEntrySerializer(reversals, many=True).data, status=status.HTTP_201_CREATED
        )


def _store(user, uid, field="store", required=True):
    if not uid:
        if required:
            raise exceptions.ValidationError({field: ["This field is required."]})
        return None
    found = Store.objects.restrict(user, "view").filter(uid=uid).first()
    if found is None and field == "counterpart":
        # A point returns to its supplying centre, which may be above the point's scope.
        found = Store.objects.filter(uid=uid).first()
    if found is None:
        raise exceptions.ValidationError({field: ["No store in your scope has this UID."]})
    return found


def _lines(user, kind, raw_lines) -> list[stock.Line]:
    """Lines by lot UID; a receipt may name a new lot by vaccine, number and expiry date."""
    lines, errors = [], []
    for number, raw in enumerate(raw_lines, start=1):
        label = f"Line {number}: "
        lot = None
        if raw.get("lot"):
            lot = Lot.objects.select_related("vaccine").filter(uid=raw["lot"]).first()
            if lot is None:
                errors.append(label + "No lot has this UID.")
                continue
        elif kind == "receipt" and raw.get("vaccine"):
            vaccine = Vaccine.objects.filter(uid=raw["vaccine"], active=True).first()
            if vaccine is None:
                errors.append(label + "No active vaccine has this UID.")
                continue
            try:
                lot = stock.find_or_create_lot(
                    vaccine, raw.get("lot_number", ""), raw.get("expiry_date")
                )
            except ValidationError as exc:
                errors.extend(label + m for m in exc.messages)
                continue
        else:
            errors.append(
                label + "Give the lot UID (or, for a receipt, vaccine, lot_number and expiry_date)."
            )
            continue
        lines.append(stock.Line(lot, raw["quantity"]))
    if errors:
        raise exceptions.ValidationError({"lines": errors})
    return lines


class StockMovementViewSet(ScopedModelViewSet):
    """Record a movement: ``receipt`` (supplier and invoice ``reference`` required; a line may
    name a new lot by vaccine, lot_number and expiry_date), ``issue`` (centre -> point),
    ``transfer``, ``return`` (to the supplying centre unless ``counterpart`` is given) or
    ``adjustment`` (one line, signed quantity, a ``reason``). All or nothing: a movement that
    would take any balance below zero, or use an expired or held lot, is refused whole."""

    queryset = StockEntry.objects.all()
    serializer_class = StockMovementSerializer
    http_method_names = ["post", "options"]

    @extend_schema(request=StockMovementSerializer, responses={201: StockMovementResultSerializer})
    def create(self, request, *args, **kwargs):
        serializer = StockMovementSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        d = serializer.validated_data
        user = request.user
        kind = d["kind"]
        common = {
            "occurred_at": d.get("occurred_at"),
            "user": user,
            "note": d.get("note", ""),
        }
        try:
            with transaction.atomic():
                source = _store(user, d["store"])
                lines = _lines(user, kind, d["lines"])
                if kind == "receipt":
                    supplier = Supplier.objects.restrict(user, "view").filter(
                        uid=d.get("supplier") or ""
                    )
                    entries = stock.receive(
                        source,
                        lines,
                        supplier=supplier.first(),
                        reference=d.get("reference", ""),
                        **common,
                    )
                elif kind in ("issue", "transfer"):
                    target = _store(user, d.get("counterpart"), "counterpart")
                    service = stock.issue if kind == "issue" else stock.transfer
                    entries = service(
                        source, target, lines, reference=d.get("reference", ""), **common
                    )
                elif kind == "return":
                    target = _store(user, d.get("counterpart"), "counterpart", required=False)
                    entries = stock.return_stock(
                        source,
                        lines,
                        destination=target,
                        reason=d.get("reason", ""),
                        reference=d.get("reference", ""),
                        **common,
                    )
                else:
                    if len(lines) != 1:
                        raise exceptions.ValidationError(
                            {"lines": ["An adjustment has exactly one line."]}
                        )
                    entries = [
                        stock.adjust(
                            source,
                            lines[0].lot,
                            lines[0].quantity,
                            d.get("reason", ""),
                            reference=d.get("reference", ""),
                            **common,
                        )
                    ]
        except ValidationError as exc:
            raise as_api_error(exc) from exc
        result = {"movement": entries[0].movement, "entries": entries}
        return Response(StockMovementResultSerializer(result).data, status=status.HTTP_201_CREATED)


class StockCountViewSet(ScopedModelViewSet):
    """Physical counts. ``lines`` lists every lot counted; ``reconcile`` brings the ledger to
    the count (a difference needs its line's ``reason``)."""

    queryset = StockCount.objects.select_related("store").order_by("-counted_at", "-pk")
    serializer_class = StockCountSerializer
    filterset_class = filters.StockCountFilterSet
    http_method_names = ["get", "post", "put", "head", "options"]
    action_permissions = {"reconcile": "change"}

    def _inputs(self, lines):
        inputs, errors = [], []
        for number, raw in enumerate(lines, start=1):
            lot = Lot.objects.filter(uid=raw["lot"]).first()
            if lot is None:
                errors.append(f"Line {number}: no lot has this UID.")
                continue
            inputs.append(
                stock.CountInput(lot, raw["counted"], raw.get("reason", ""), raw.get("note", ""))
            )
        if errors:
            raise exceptions.ValidationError({"lines": errors})
        return inputs

    def _save(self, serializer, count=None):
        d = serializer.validated_data
        store = count.store if count else _store(self.request.user, d.get("store"))
        try:
            serializer.instance = stock.record_count(
                store,
                self._inputs(d.get("lines", [])),
                counted_at=d.get("counted_at"),
                user=self.request.user,
                note=d.get("note", ""),
                count=count,
            )
        except ValidationError as exc:
            raise as_api_error(exc) from exc

    def perform_create(self, serializer):
        self._save(serializer)

    def perform_update(self, serializer):
        self._save(serializer, serializer.instance)

    @extend_schema(request=None, responses={200: StockEntrySerializer(many=True)})
    @action(detail=True, methods=["post"])
    def reconcile(self, request, uid=None):
        """Record the adjustments that bring the ledger to this count."""
        count = self.get_object()
        try:
            entries = stock.reconcile_count(count, user=request.user)
        except ValidationError as exc:
            raise as_api_error(exc) from exc
        return Response(StockEntrySerializer(entries, many=True).data)


class TemperatureReadingViewSet(ScopedModelViewSet):
    """Fridge temperatures. A reading outside the fridge's range is an excursion and puts
    the store's lots on hold. Readings are not edited; ``upload`` imports a logger's file all
    or nothing."""

    queryset = TemperatureReading.objects.select_related("fridge", "fridge__store").order_by(
        "-recorded_at", "-pk"
    )
    serializer_class = TemperatureReadingSerializer
    filterset_class = filters.TemperatureReadingFilterSet
    http_method_names = ["get", "post", "head", "options"]
    action_permissions = {"upload": "import"}

    def perform_create(self, serializer):
        d = serializer.validated_data
        try:
            serializer.instance = coldchain.record_reading(
                d["fridge"],
                d["recorded_at"],
                d["temperature_c"],
                user=self.request.user,
                note=d.get("note", ""),
            )
        except ValidationError as exc:
            raise as_api_error(exc) from exc

    @extend_schema(
        request=TemperatureUploadSerializer,
        responses={
            200: TemperatureUploadReportSerializer,
            # Either the report (ok false, the refused rows) or the errors of the request's fields.
            400: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description="The upload report with its refused rows, or the field errors.",
            ),
        },
    )
    @action(
        detail=False,
        methods=["post"],
        parser_classes=[MultiPartParser, FormParser, JSONParser],
    )
    def upload(self, request):
        """Import a logger's CSV/.xlsx file for one fridge, all or nothing; refused rows are
        listed with their row number, column and reason."""
        serializer = TemperatureUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        d = serializer.validated_data
        fridge = Fridge.objects.restrict(request.user, "import").filter(uid=d["fridge"]).first()
        if fridge is None:
            raise exceptions.ValidationError(
                {"fridge": [_("No fridge in your scope has this UID.")]}
            )
        try:
            report = coldchain.upload_readings(
                fridge, d["file"], user=request.user, dry_run=d["dry_run"]
            )
        except ValidationError as exc:
            raise as_api_error(exc) from exc
        return Response(
            TemperatureUploadReportSerializer(report).data,
            status=status.HTTP_200_OK if report.ok else status.HTTP_400_BAD_REQUEST,
        )


class LotHoldViewSet(ScopedModelViewSet):
    """Lots on hold at a store (after an excursion, or put on hold by hand: a recall). A held
    lot cannot be issued or given until ``decide`` records use or discard."""

    queryset = LotHold.objects.select_related(
        "store", "lot", "fridge", "excursion", "decided_by"
    ).order_by("released_at", "-started_at")
    serializer_class = LotHoldSerializer
    filterset_class = filters.LotHoldFilterSet
    http_method_names = ["get", "post", "head", "options"]
    action_permissions = {"decide": "change"}

    def perform_create(self, serializer):
        d = serializer.validated_data
        try:
            hold, created = coldchain.put_on_hold(
                d["store"], d["lot"], reason=d.get("reason", ""), user=self.request.user
            )
        except ValidationError as exc:
            raise as_api_error(exc) from exc
        if not created:
            raise exceptions.ValidationError(
                {"lot": ["This lot is already on hold at this store."]}
            )
        serializer.instance = hold

    @extend_schema(request=HoldDecisionSerializer, responses=LotHoldSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request, uid=None):
        """Use (release) or discard (write off the store's doses of the lot)."""
        hold = self.get_object()
        serializer = HoldDecisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            hold = coldchain.decide_hold(
                hold,
                serializer.validated_data["decision"],
                user=request.user,
                note=serializer.validated_data["note"],
            )
        except ValidationError as exc:
            raise as_api_error(exc, {"decision_note": "note"}) from exc
        return Response(LotHoldSerializer(hold, context={"request": request}).data)


router = DefaultRouter()
router.include_root_view = False
router.register("vaccine-antigens", AntigenViewSet, basename="vaccine-antigen")
router.register("vaccines", VaccineViewSet, basename="vaccine")
router.register("vaccine-schedule-doses", ScheduleDoseViewSet, basename="vaccine-schedule-dose")
router.register("vaccine-stores", StoreViewSet, basename="vaccine-store")
router.register("vaccine-fridges", FridgeViewSet, basename="vaccine-fridge")
router.register("vaccine-suppliers", SupplierViewSet, basename="vaccine-supplier")
router.register("vaccine-lots", LotViewSet, basename="vaccine-lot")
router.register("vaccine-stock", StockBalanceViewSet, basename="vaccine-stock")
router.register("vaccine-stock-entries", StockEntryViewSet, basename="vaccine-stock-entry")
router.register("vaccine-stock-movements", StockMovementViewSet, basename="vaccine-stock-movement")
router.register("vaccine-stock-counts", StockCountViewSet, basename="vaccine-stock-count")
router.register("vaccine-temperatures", TemperatureReadingViewSet, basename="vaccine-temperature")
router.register("vaccine-holds", LotHoldViewSet, basename="vaccine-hold")

urlpatterns = router.urls
