"""REST endpoints of the vaccination service: clients, visits (screening, doses,
observation), doses, adverse events, receipts, prices, revenue sources, reminders and the
monthly figures the facility statistics read.

Every queryset is ``restrict(user, action)``; writes go through the services of
``clients.py``, ``visits.py`` and ``revenue.py`` (one set of rules and messages for pages
and API). Lists mask the clients' phones; a client's full record is logged as an access.
"""

import datetime

from django.core.exceptions import ValidationError
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import exceptions, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.views import APIView

from doha.core import privacy
from doha.core.api.permissions import ScopedPermission
from doha.core.api.viewsets import ScopedModelViewSet, as_api_error
from doha.core.audit import bind_actor
from doha.core.scope import can, in_scope
from doha.orgunits.models import OrgUnit
from doha.people.models import HealthWorker
from doha.vaccines import clients, revenue, schedule, visits
from doha.vaccines.models import (
    Aefi,
    AefiOutcome,
    AefiSeverity,
    Client,
    Dose,
    InjectionSite,
    Lot,
    PaymentMethod,
    Receipt,
    RevenueSource,
    Route,
    ServicePrice,
    VaccinationVisit,
    Vaccine,
)

# --------------------------------------------------------------------------------------------
# Fields
# --------------------------------------------------------------------------------------------


def _user(field):
    request = field.context.get("request")
    return request.user if request else None


@extend_schema_field(OpenApiTypes.STR)
class RegistrationUnitField(serializers.SlugRelatedField):
    """A unit by UID among those where the caller registers clients."""

    def get_queryset(self):
        return clients.registration_units(_user(self), "add")


@extend_schema_field(OpenApiTypes.STR)
class StoreField(serializers.SlugRelatedField):
    """A vaccination point by UID among those in the caller's scope."""

    def get_queryset(self):
        return visits.vaccination_stores(_user(self))


@extend_schema_field(OpenApiTypes.STR)
class ClientField(serializers.SlugRelatedField):
    def get_queryset(self):
        return Client.objects.restrict(_user(self), "view")


@extend_schema_field(OpenApiTypes.STR)
class WorkerField(serializers.SlugRelatedField):
    def get_queryset(self):
        return HealthWorker.objects.filter(active=True)


@extend_schema_field(OpenApiTypes.STR)
class UnitField(serializers.SlugRelatedField):
    def get_queryset(self):
        return OrgUnit.objects.restrict(_user(self), "view").filter(active=True)


# --------------------------------------------------------------------------------------------
# Clients
# --------------------------------------------------------------------------------------------


class ClientSerializer(serializers.ModelSerializer):
    """The full record (retrieve, create, update): each retrieve is logged."""

    registered_at = RegistrationUnitField(
        slug_field="uid", help_text=gettext_lazy("UID of the unit that registers the client.")
    )
    registered_at_name = serializers.CharField(source="registered_at.name", read_only=True)
    # The service normalises and checks the phone (one message for page and API).
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True)

    class Meta:
        model = Client
        fields = [
            "uid",
            "full_name",
            "date_of_birth",
            "sex",
            "guardian_name",
            "phone",
            "address",
            "registered_at",
            "registered_at_name",
            "active",
            "created",
            "last_updated",
        ]
        read_only_fields = ["uid", "active", "created", "last_updated"]


class ClientUpdateSerializer(ClientSerializer):
    registered_at = serializers.SlugRelatedField(slug_field="uid", read_only=True)


class ClientListSerializer(serializers.ModelSerializer):
    """A list row: the phone masked, the year of birth only."""

    registered_at = serializers.SlugRelatedField(slug_field="uid", read_only=True)
    registered_at_name = serializers.CharField(source="registered_at.name", read_only=True)
    birth_year = serializers.SerializerMethodField()
    phone = serializers.SerializerMethodField()

    class Meta:
        model = Client
        fields = [
            "uid",
            "full_name",
            "birth_year",
            "sex",
            "guardian_name",
            "phone",
            "registered_at",
            "registered_at_name",
            "active",
        ]
        read_only_fields = fields

    def get_birth_year(self, obj) -> int:
        return obj.date_of_birth.year

    def get_phone(self, obj) -> str:
        return clients.masked_phone(obj)


class ForecastSerializer(serializers.Serializer):
    series = serializers.CharField(source="series.key")
    label = serializers.CharField(source="series.label")
    status = serializers.CharField()
    valid_doses = serializers.IntegerField(source="valid_count")
    doses_in_series = serializers.SerializerMethodField()
    next_dose = serializers.IntegerField(source="dose_number", allow_null=True)
    earliest = serializers.DateField(allow_null=True)
    due = serializers.DateField(allow_null=True)
    latest = serializers.DateField(allow_null=True)
    reason = serializers.CharField()
    not_counted = serializers.SerializerMethodField()

    def get_doses_in_series(self, obj) -> int:
        return len(obj.series)

    def get_not_counted(self, obj) -> list[str]:
        return [f"{c.date:%Y-%m-%d}: {c.reason}" for c in obj.checks if not c.valid]


class ClientViewSet(ScopedModelViewSet):
    """Vaccination clients, scoped by the unit that registered them. Lists mask the phone;
    a retrieve returns the full record and is logged as an access. DELETE retires.
    ``q`` finds by name (accents aside) or phone digits."""

    queryset = Client.objects.select_related("registered_at").order_by("full_name", "pk")
    serializer_class = ClientSerializer
    filterset_class = clients.ClientFilterSet
    action_permissions = {"forecast": "view"}

    def get_serializer_class(self):
        if self.action == "list":
            return ClientListSerializer
        if self.action in ("update", "partial_update"):
            return ClientUpdateSerializer
        return super().get_serializer_class()

    def retrieve(self, request, *args, **kwargs):
        client = self.get_object()
        clients.log_access(client, request.user, via="api")
        data = self.get_serializer(client).data
        if not privacy.needs_full(request.user, Client):
            # Roles that only read see the phone and address masked (Decree 13/2023/NĐ-CP).
            data["phone"] = clients.masked_phone(client)
            data["address"] = ""
        return Response(data)

    def _save(self, serializer, client):
        for key, value in serializer.validated_data.items():
            setattr(client, key, value)
        try:
            serializer.instance = clients.save_client(client, self.request.user)
        except ValidationError as exc:
            raise as_api_error(exc) from exc

    def perform_create(self, serializer):
        self._save(serializer, Client())

    def perform_update(self, serializer):
        self._save(serializer, serializer.instance)

    def destroy(self, request, *args, **kwargs):
        clients.retire_client(self.get_object(), request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses=ForecastSerializer(many=True))
    @action(detail=True, methods=["get"])
    def forecast(self, request, uid=None):
        """The next dose of every series the client has started (catch-up included)."""
        client = self.get_object()
        clients.log_access(client, request.user, via="api")
        return Response(ForecastSerializer(schedule.client_forecast(client), many=True).data)


# --------------------------------------------------------------------------------------------
# Visits and doses
# --------------------------------------------------------------------------------------------


class DoseSerializer(serializers.ModelSerializer):
    visit = serializers.SlugRelatedField(slug_field="uid", read_only=True)
    vaccine = serializers.SlugRelatedField(slug_field="code", read_only=True)
    vaccine_name = serializers.CharField(source="vaccine.name", read_only=True)
    lot = serializers.SlugRelatedField(slug_field="uid", read_only=True)
    lot_number = serializers.CharField(source="lot.lot_number", read_only=True)
    expiry_date = serializers.DateField(source="lot.expiry_date", read_only=True)

    class Meta:
        model = Dose
        fields = [
            "uid",
            "visit",
            "vaccine",
            "vaccine_name",
            "lot",
            "lot_number",
            "expiry_date",
            "dose_number",
            "site",
            "route",
            "given_at",
        ]
        read_only_fields = fields


class VisitSerializer(serializers.ModelSerializer):
    client = serializers.SlugRelatedField(slug_field="uid", read_only=True)
    client_name = serializers.CharField(source="client.full_name", read_only=True)
    store = serializers.SlugRelatedField(slug_field="uid", read_only=True)
    store_name = serializers.CharField(source="store.name", read_only=True)
    screened_by = serializers.SlugRelatedField(slug_field="uid", read_only=True)
    vaccinator = serializers.SlugRelatedField(slug_field="uid", read_only=True)
    stop_reasons = serializers.SerializerMethodField()
    observation_can_end_at = serializers.SerializerMethodField()
    doses = DoseSerializer(many=True, read_only=True)

    class Meta:
        model = VaccinationVisit
        fields = [
            "uid",
            "client",
            "client_name",
            "store",
            "store_name",
            "visited_at",
            "status",
            "checklist",
            "screening_answers",
            "temperature_c",
            "weight_kg",
            "screening_result",
            "stop_reasons",
            "screening_note",
            "screened_by",
            "vaccinator",
            "observation_started_at",
            "observation_can_end_at",
            "observation_ended_at",
            "observation_note",
            "doses",
        ]
        read_only_fields = fields

    def get_stop_reasons(self, obj) -> list[str]:
        return visits.stop_reasons(obj)

    def get_observation_can_end_at(self, obj) -> datetime.datetime | None:
        return visits.observation_ends_at(obj)


class ScreeningSerializer(serializers.Serializer):
    client = ClientField(slug_field="uid", help_text=gettext_lazy("UID of the client."))
    store = StoreField(slug_field="uid", help_text=gettext_lazy("UID of the vaccination point."))
    visited_at = serializers.DateTimeField(required=False)
    answers = serializers.DictField(
        child=serializers.BooleanField(),
        help_text=gettext_lazy(
            "Every question of the client's checklist (see checklists/): code -> true (yes) "
            "or false (no)."
        ),
    )
    temperature_c = serializers.DecimalField(
        max_digits=4, decimal_places=1, required=False, allow_null=True
    )
    weight_kg = serializers.DecimalField(
        max_digits=5, decimal_places=2, required=False, allow_null=True
    )
    screened_by = WorkerField(slug_field="uid", help_text=gettext_lazy("UID of the doctor."))
    note = serializers.CharField(required=False, allow_blank=True)


class GiveDoseSerializer(serializers.Serializer):
    vaccine = serializers.SlugRelatedField(
        slug_field="code", queryset=Vaccine.objects.all(), help_text=gettext_lazy("Vaccine code.")
    )
    lot = serializers.SlugRelatedField(
        slug_field="uid", queryset=Lot.objects.all(), help_text=gettext_lazy("UID of the lot.")
    )
    site = serializers.ChoiceField(choices=InjectionSite.choices)
    route = serializers.ChoiceField(choices=Route.choices, required=False, allow_blank=True)
    vaccinator = WorkerField(slug_field="uid", help_text=gettext_lazy("UID of the vaccinator."))
    given_at = serializers.DateTimeField(required=False)
    payment_method = serializers.ChoiceField(
        choices=PaymentMethod.choices, default=PaymentMethod.CASH
    )


class CloseSerializer(serializers.Serializer):
    ended_at = serializers.DateTimeField(required=False)
    note = serializers.CharField(required=False, allow_blank=True)


class ChecklistSerializer(serializers.Serializer):
    code = serializers.CharField()
    group = serializers.CharField()
    title = serializers.CharField()
    questions = serializers.SerializerMethodField()

    def get_questions(self, obj) -> list[dict]:
        return [{"code": q.code, "text": q.text, "effect": q.effect} for q in obj.questions]


class VisitViewSet(ScopedModelViewSet):
    """Vaccination visits. POST opens a visit with its screening (stopped when the checklist
    finds a contraindication or a reason to postpone); ``doses`` gives a dose (schedule,
    stock and payment checked); ``close`` ends the 30-minute observation."""

    queryset = (
        VaccinationVisit.objects.select_related("client", "store", "screened_by", "vaccinator")
        .prefetch_related("doses__vaccine", "doses__lot")
        .order_by("-visited_at", "-pk")
    )
    serializer_class = VisitSerializer
    filterset_class = visits.VisitFilterSet
    http_method_names = ["get", "post", "head", "options"]
    action_permissions = {"doses": "add", "close": "change", "checklists": "view"}

    def get_serializer_class(self):
        if self.action == "create":
            return ScreeningSerializer
        return super().get_serializer_class()

    def create(self, request, *args, **kwargs):
        data = ScreeningSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        values = data.validated_data
        try:
            visit = visits.screen(
                values["client"],
                values["store"],
                answers=values["answers"],
                temperature_c=values.get("temperature_c"),
                weight_kg=values.get("weight_kg"),
                screened_by=values["screened_by"],
                visited_at=values.get("visited_at"),
                note=values.get("note", ""),
                user=request.user,
            )
        except ValidationError as exc:
            raise as_api_error(
                exc, {"screening_answers": "answers", "screening_note": "note"}
            ) from exc
        return Response(VisitSerializer(visit).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=GiveDoseSerializer, responses=DoseSerializer)
    @action(detail=True, methods=["post"])
    def doses(self, request, uid=None):
        """Give a dose at the visit."""
        visit = self.get_object()
        data = GiveDoseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        try:
            dose = visits.give_dose(
                visit,
                vaccine=values["vaccine"],
                lot=values["lot"],
                site=values["site"],
                route=values.get("route", ""),
                vaccinator=values["vaccinator"],
                given_at=values.get("given_at"),
                payment_method=values["payment_method"],
                user=request.user,
            )
        except ValidationError as exc:
            raise as_api_error(exc) from exc
        return Response(DoseSerializer(dose).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CloseSerializer, responses=VisitSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, uid=None):
        """End the observation (no earlier than 30 minutes after the last dose)."""
        visit = self.get_object()
        data = CloseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            visit = visits.close_observation(
                visit,
                ended_at=data.validated_data.get("ended_at"),
                note=data.validated_data.get("note", ""),
                user=request.user,
            )
        except ValidationError as exc:
            raise as_api_error(exc, {"observation_ended_at": "ended_at"}) from exc
        return Response(VisitSerializer(visit).data)

    @extend_schema(responses=ChecklistSerializer(many=True))
    @action(detail=False, methods=["get"], pagination_class=None)
    def checklists(self, request):
        """The screening checklists (every version) with their question codes."""
        return Response(ChecklistSerializer(visits.checklists().values(), many=True).data)


class DoseViewSet(ScopedModelViewSet):
    """Doses given (read only: a dose is recorded through its visit)."""

    queryset = Dose.objects.select_related("visit", "vaccine", "lot").order_by("-given_at", "-pk")
    serializer_class = DoseSerializer
    http_method_names = ["get", "head", "options"]


# --------------------------------------------------------------------------------------------
# Adverse events
# --------------------------------------------------------------------------------------------


class AefiSerializer(serializers.ModelSerializer):
    dose = serializers.SlugRelatedField(
        slug_field="uid", queryset=Dose.objects.all(), help_text=gettext_lazy("UID of the dose.")
    )
    client = serializers.CharField(source="dose.visit.client.uid", read_only=True)
    vaccine = serializers.CharField(source="dose.vaccine.code", read_only=True)
    lot_number = serializers.CharField(source="dose.lot.lot_number", read_only=True)
    store = serializers.CharField(source="dose.visit.store.uid", read_only=True)

    class Meta:
        model = Aefi
        fields = [
            "uid",
            "dose",
            "client",
            "vaccine",
            "lot_number",
            "store",
            "onset_at",
            "severity",
            "symptoms",
            "treatment",
            "outcome",
            "reported_to_doh_at",
            "created",
        ]
        read_only_fields = ["uid", "reported_to_doh_at", "created"]


class AefiUpdateSerializer(serializers.Serializer):
    severity = serializers.ChoiceField(choices=AefiSeverity.choices)
    outcome = serializers.ChoiceField(choices=AefiOutcome.choices)
    treatment = serializers.CharField(required=False, allow_blank=True)


class AefiViewSet(ScopedModelViewSet):
    """Adverse events following immunisation; ``severity=serious`` is the DOH's list (a
    serious event is reported to the DOH the moment it is recorded). PATCH follows an
    event up (severity, outcome, treatment)."""

    queryset = Aefi.objects.select_related(
        "dose__vaccine", "dose__lot", "dose__visit__client", "dose__visit__store"
    ).order_by("-onset_at", "-pk")
    serializer_class = AefiSerializer
    filterset_class = visits.AefiFilterSet
    http_method_names = ["get", "post", "patch", "head", "options"]

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        dose = data.pop("dose")
        if not Dose.objects.restrict(self.request.user, "change").filter(pk=dose.pk).exists():
            raise exceptions.ValidationError({"dose": [_("This dose is outside your scope.")]})
        try:
            serializer.instance = visits.record_aefi(dose, user=self.request.user, **data)
        except ValidationError as exc:
            raise as_api_error(exc) from exc

    @extend_schema(request=AefiUpdateSerializer, responses=AefiSerializer)
    def partial_update(self, request, *args, **kwargs):
        aefi = self.get_object()
        data = AefiUpdateSerializer(
            data={
                "severity": aefi.severity,
                "outcome": aefi.outcome,
                "treatment": aefi.treatment,
                **request.data,
            }
        )
        data.is_valid(raise_exception=True)
        try:
            aefi = visits.update_aefi(aefi, user=request.user, **data.validated_data)
        except ValidationError as exc:
            raise as_api_error(exc) from exc
        return Response(AefiSerializer(aefi).data)


# --------------------------------------------------------------------------------------------
# Revenue
# --------------------------------------------------------------------------------------------


class ReceiptItemSerializer(serializers.Serializer):
    service = serializers.SlugRelatedField(
        slug_field="uid",
        queryset=ServicePrice.objects.all(),
        required=False,
        allow_null=True,
        help_text=gettext_lazy("UID of a service price; or give description and unit_price."),
    )
    description = serializers.CharField(required=False, allow_blank=True, max_length=255)
    unit_price = serializers.IntegerField(required=False, allow_null=True)
    quantity = serializers.IntegerField(default=1)
    amount = serializers.IntegerField(read_only=True)


class ReceiptSerializer(serializers.ModelSerializer):
    org_unit = UnitField(slug_field="uid", help_text=gettext_lazy("UID of the unit."))
    source = serializers.SlugRelatedField(slug_field="code", queryset=RevenueSource.objects.all())
    items = serializers.SerializerMethodField()
    lines = ReceiptItemSerializer(many=True, write_only=True)
    date = serializers.DateField(required=False)

    class Meta:
        model = Receipt
        fields = [
            "uid",
            "number",
            "org_unit",
            "date",
            "source",
            "payer_name",
            "amount",
            "payment_method",
            "note",
            "items",
            "lines",
            "cancelled_at",
            "cancel_reason",
        ]
        read_only_fields = ["uid", "number", "amount", "cancelled_at", "cancel_reason"]

    def get_items(self, obj) -> list[dict]:
        return [
            {
                "description": i.description,
                "quantity": i.quantity,
                "unit_price": i.unit_price,
                "amount": i.amount,
            }
            for i in obj.items.all()
        ]


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


class ReceiptViewSet(ScopedModelViewSet):
    """Receipts of the service revenue sources (amounts in whole VND). Vaccination visits
    make their own; POST records another service's receipt from ``lines``. A receipt is
    never edited: ``cancel`` marks it with a reason."""

    queryset = (
        Receipt.objects.select_related("org_unit", "source")
        .prefetch_related("items")
        .order_by("-date", "-pk")
    )
    serializer_class = ReceiptSerializer
    filterset_class = revenue.ReceiptFilterSet
    http_method_names = ["get", "post", "head", "options"]
    action_permissions = {"cancel": "change"}

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        lines = [
            revenue.ReceiptLine(
                quantity=line.get("quantity", 1),
                price=line.get("service"),
                description=line.get("description", ""),
                unit_price=line.get("unit_price"),
            )
            for line in data.pop("lines")
        ]
        try:
            serializer.instance = revenue.record_receipt(
                data["org_unit"],
                data["source"],
                lines,
                date=data.get("date"),
                payer_name=data.get("payer_name", ""),
                payment_method=data.get("payment_method", PaymentMethod.CASH),
                note=data.get("note", ""),
                user=self.request.user,
            )
        except ValidationError as exc:
            raise as_api_error(exc, {"items": "lines"}) from exc

    @extend_schema(request=CancelSerializer, responses=ReceiptSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, uid=None):
        receipt = self.get_object()
        data = CancelSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            receipt = revenue.cancel_receipt(receipt, data.validated_data["reason"], request.user)
        except ValidationError as exc:
            raise as_api_error(exc, {"cancel_reason": "reason"}) from exc
        return Response(ReceiptSerializer(receipt, context=self.get_serializer_context()).data)


class RevenueSourceSerializer(serializers.ModelSerializer):
    class Meta:
        model = RevenueSource
        fields = ["uid", "code", "name", "sort_order", "active"]
        read_only_fields = fields


class RevenueSourceViewSet(ScopedModelViewSet):
    """The centre's revenue sources (service lines)."""

    queryset = RevenueSource.objects.order_by("sort_order", "name")
    serializer_class = RevenueSourceSerializer
    lookup_field = "code"
    http_method_names = ["get", "head", "options"]


class ServicePriceSerializer(serializers.ModelSerializer):
    org_unit = UnitField(slug_field="uid")
    source = serializers.SlugRelatedField(slug_field="code", queryset=RevenueSource.objects.all())
    vaccine = serializers.SlugRelatedField(
        slug_field="code", queryset=Vaccine.objects.all(), required=False, allow_null=True
    )

    class Meta:
        model = ServicePrice
        fields = [
            "uid",
            "org_unit",
            "source",
            "code",
            "name",
            "vaccine",
            "price",
            "valid_from",
            "valid_to",
            "active",
        ]
        read_only_fields = ["uid", "valid_to", "active"]
        validators = []  # the service ends the previous price first


class ServicePriceViewSet(ScopedModelViewSet):
    """Prices of the services, valid from a date; a new price of a code ends the current
    one the day before."""

    queryset = ServicePrice.objects.select_related("org_unit", "source", "vaccine").order_by(
        "source__sort_order", "name", "-valid_from"
    )
    serializer_class = ServicePriceSerializer
    filterset_class = revenue.PriceFilterSet
    http_method_names = ["get", "post", "head", "options"]

    def perform_create(self, serializer):
        try:
            serializer.instance = revenue.set_price(
                ServicePrice(**serializer.validated_data), self.request.user
            )
        except ValidationError as exc:
            raise as_api_error(exc) from exc


# --------------------------------------------------------------------------------------------
# Reminders and monthly figures
# --------------------------------------------------------------------------------------------


class ReminderSerializer(serializers.Serializer):
    client = serializers.CharField(source="client.uid")
    full_name = serializers.CharField(source="client.full_name")
    date_of_birth = serializers.DateField(source="client.date_of_birth")
    guardian_name = serializers.CharField(source="client.guardian_name")
    phone = serializers.CharField(source="client.phone")
    vaccine = serializers.CharField(source="forecast.series.label")
    dose = serializers.IntegerField(source="forecast.dose_number")
    due = serializers.DateField()
    status = serializers.CharField(source="forecast.status")


def _parse_day(value, name):
    if not value:
        return timezone.localdate()
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise exceptions.ValidationError(
            {name: [_("Not a date: %(value)s (write YYYY-MM-DD).") % {"value": value}]}
        ) from None


class ReminderView(APIView):
    """Doses due on ``day`` (default today) for an SMS/Zalo sending tool, with the phones
    in full: for the roles that export and change clients (not readers)."""

    permission_classes = [ScopedPermission]
    queryset = Client.objects.none()

    @extend_schema(
        parameters=[
            OpenApiParameter("day", OpenApiTypes.DATE),
            OpenApiParameter("overdue", OpenApiTypes.BOOL),
        ],
        responses=ReminderSerializer(many=True),
    )
    def get(self, request):
        bind_actor(request.user)
        if not (can(request.user, Client, "export") and can(request.user, Client, "change")):
            raise exceptions.PermissionDenied(_("Your role does not allow this action."))
        day = _parse_day(request.query_params.get("day"), "day")
        overdue = request.query_params.get("overdue", "").lower() in {"1", "true", "yes"}
        found = schedule.reminders(Client.objects.restrict(request.user, "export"), day, overdue)
        return Response(ReminderSerializer(found, many=True).data)


class MonthlyFiguresView(APIView):
    """The month's figures of a unit that the facility statistics take in: revenue by
    source (VND), doses by antigen and adverse events by severity. ``period`` is a DHIS2
    monthly period (202503); ``include_descendants`` adds the units below."""

    permission_classes = [ScopedPermission]
    queryset = Receipt.objects.none()

    @extend_schema(
        parameters=[
            OpenApiParameter("org_unit", OpenApiTypes.STR, required=True),
            OpenApiParameter("period", OpenApiTypes.STR, required=True),
            OpenApiParameter("include_descendants", OpenApiTypes.BOOL),
        ],
        responses=inline_serializer(
            "VaccinationMonthlyFigures",
            {
                "org_unit": serializers.CharField(),
                "period": serializers.CharField(),
                "revenue": serializers.DictField(child=serializers.IntegerField()),
                "doses_by_antigen": serializers.DictField(child=serializers.IntegerField()),
                "aefi": serializers.DictField(child=serializers.IntegerField()),
            },
        ),
    )
    def get(self, request):
        params = request.query_params
        errors = {}
        unit = OrgUnit.objects.filter(uid=params.get("org_unit") or "").first()
        if unit is None or not in_scope(request.user, unit.path):
            errors["org_unit"] = [_("Give the UID of a unit in your scope.")]
        period = params.get("period") or ""
        try:
            revenue.month_bounds(period)
        except ValueError:
            errors["period"] = [_("Give a monthly period such as 202503.")]
        if errors:
            raise exceptions.ValidationError(errors)
        below = params.get("include_descendants", "").lower() in {"1", "true", "yes"}
        return Response(
            {
                "org_unit": unit.uid,
                "period": period.replace("-", ""),
                "revenue": revenue.monthly_revenue(unit, period, below),
                "doses_by_antigen": revenue.doses_by_antigen(unit, period, below),
                "aefi": revenue.aefi_counts(unit, period, below),
            }
        )


router = SimpleRouter()
router.register("vaccination-clients", ClientViewSet, basename="vaccination-client")
router.register("vaccination-visits", VisitViewSet, basename="vaccination-visit")
router.register("vaccination-doses", DoseViewSet, basename="vaccination-dose")
router.register("vaccination-aefis", AefiViewSet, basename="vaccination-aefi")
router.register("service-receipts", ReceiptViewSet, basename="service-receipt")
router.register("service-prices", ServicePriceViewSet, basename="service-price")
router.register("revenue-sources", RevenueSourceViewSet, basename="revenue-source")

urlpatterns = [
    path("vaccination-reminders/", ReminderView.as_view(), name="vaccination-reminders"),
    path(
        "vaccination-monthly-figures/",
        MonthlyFiguresView.as_view(),
        name="vaccination-monthly-figures",
    ),
    *router.urls,
]
