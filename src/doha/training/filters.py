"""One filterset for courses, shared by the list page, its export and the API."""

import django_filters
from django import forms
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from doha.core.text import search_terms
from doha.orgunits.models import OrgUnit
from doha.training.models import (
    Certificate,
    Course,
    CourseKind,
    CourseStatus,
    Enrolment,
    Result,
)


def organisers(request):
    user = getattr(request, "user", None)
    return OrgUnit.objects.filter(
        pk__in=Course.objects.restrict(user, "view").values("organiser")
    ).order_by("sort_name")


class CourseFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_q")
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=CourseKind.choices)
    organiser = django_filters.ModelChoiceFilter(
        label=_("Organiser"), queryset=organisers, to_field_name="uid"
    )
    status = django_filters.ChoiceFilter(label=_("Status"), choices=CourseStatus.choices)
    start = django_filters.DateFilter(
        label=_("From"),
        method="filter_start",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    end = django_filters.DateFilter(
        label=_("To"), method="filter_end", widget=forms.DateInput(attrs={"type": "date"})
    )

    class Meta:
        model = Course
        fields = ["q", "kind", "organiser", "status", "start", "end"]

    def filter_q(self, queryset, name, value):
        for term in search_terms(value):
            queryset = queryset.filter(
                Q(search_text__contains=term) | Q(organiser__search_text__contains=term)
            )
        return queryset

    def filter_start(self, queryset, name, value):
        """Courses still running on or after ``value`` (the period overlaps)."""
        return queryset.filter(end_date__gte=value)

    def filter_end(self, queryset, name, value):
        return queryset.filter(start_date__lte=value)


class EnrolmentFilterSet(django_filters.FilterSet):
    course = django_filters.CharFilter(label=_("Course"), field_name="course__uid")
    worker = django_filters.CharFilter(label=_("Health worker"), field_name="worker__uid")
    result = django_filters.ChoiceFilter(label=_("Result"), choices=Result.choices)

    class Meta:
        model = Enrolment
        fields = ["course", "worker", "result"]


def certificate_courses(request):
    user = getattr(request, "user", None)
    return Course.objects.filter(
        pk__in=Certificate.objects.restrict(user, "view").values("enrolment__course")
    ).order_by("-start_date", "title")


def holder_facilities(request):
    user = getattr(request, "user", None)
    return OrgUnit.objects.filter(
        pk__in=Certificate.objects.restrict(user, "view").values("enrolment__worker__facility")
    ).order_by("sort_name")


class CertificateStatus(models.TextChoices):
    VALID = "valid", _("valid")
    REVOKED = "revoked", _("revoked")


class CertificateFilterSet(django_filters.FilterSet):
    """The certificate register: the list page, its export and the API."""

    q = django_filters.CharFilter(
        label=_("Holder or number"),
        method="filter_q",
        help_text=_("Part of the holder's name, the certificate number or the serial."),
    )
    course = django_filters.ModelChoiceFilter(
        label=_("Course"),
        queryset=certificate_courses,
        to_field_name="uid",
        field_name="enrolment__course",
    )
    facility = django_filters.ModelChoiceFilter(
        label=_("Holder's facility"),
        queryset=holder_facilities,
        to_field_name="uid",
        field_name="enrolment__worker__facility",
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=CertificateStatus.choices, method="filter_status"
    )
    issued_from = django_filters.DateFilter(
        label=_("Issued from"),
        field_name="issued_on",
        lookup_expr="gte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    issued_until = django_filters.DateFilter(
        label=_("Issued until"),
        field_name="issued_on",
        lookup_expr="lte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = Certificate
        fields = ["q", "course", "facility", "status", "issued_from", "issued_until"]

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if value.isdigit():
            return queryset.filter(
                Q(serial=int(value)) | Q(enrolment__certificate_number__iexact=value)
            )
        for term in search_terms(value):
            queryset = queryset.filter(
                Q(enrolment__worker__search_text__contains=term)
                | Q(enrolment__certificate_number__icontains=term)
            )
        return queryset

    def filter_status(self, queryset, name, value):
        if value == CertificateStatus.REVOKED:
            return queryset.filter(revoked_at__isnull=False)
        return queryset.filter(revoked_at__isnull=True)
