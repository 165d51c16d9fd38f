import time

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from doha.core.views import (
    EXPORT_FORMATS,
    ObjectFormView,
    ObjectListView,
    ScopedViewMixin,
    _add_errors,
)
from doha.rotations.tabular_import import ImportView
from doha.training import services, signing
from doha.training.certificates import certificate_filename, render_certificate
from doha.training.exports import export_courses, with_counts
from doha.training.filters import CourseFilterSet
from doha.training.forms import CourseForm, EnrolForm, ResultForm, RevokeForm, VerifyForm
from doha.training.imports import CourseImport, EnrolmentImport
from doha.training.models import Certificate, Course, Enrolment, Result


class CourseListView(ObjectListView):
    model = Course
    filterset_class = CourseFilterSet
    template_name = "training/course_list.html"

    def get_queryset(self, action=None):
        return with_counts(
            super().get_queryset(action).select_related("organiser", "programme")
        ).order_by("-start_date", "-pk")

    export_formats = EXPORT_FORMATS

    def export(self, queryset, fmt):
        return export_courses(queryset, fmt)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["active_nav"] = "training"
        return ctx


class CourseImportView(ImportView):
    """Add courses from a .xlsx or .csv file, all or nothing."""

    model = Course
    importer = CourseImport
    title = gettext_lazy("Import training courses")
    intro = gettext_lazy(
        "One row a course, checked as on the form: the course cannot end before it "
        "starts, its credit hours are more than zero and its organiser is in your scope."
    )
    list_url = "training:list"
    list_label = gettext_lazy("Training courses")
    active_nav = "training"
    see_also = (("training:import_enrolments", gettext_lazy("Import enrolments and results")),)


class EnrolmentImportView(ImportView):
    """Enrol workers and record their attendance and results from a file, all or nothing."""

    model = Enrolment
    importer = EnrolmentImport
    title = gettext_lazy("Import enrolments and results")
    intro = gettext_lazy(
        "One row a worker in a course. A worker not yet enrolled is enrolled; the "
        "attendance and the result are recorded as on the course's page."
    )
    list_url = "training:list"
    list_label = gettext_lazy("Training courses")
    active_nav = "training"
    see_also = (("training:import", gettext_lazy("Import training courses")),)


class CourseDetailView(ScopedViewMixin, TemplateView):
    model = Course
    template_name = "training/course_detail.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        course = kwargs.get("object") or get_object_or_404(
            self.get_queryset().select_related("organiser", "programme"), uid=self.kwargs["uid"]
        )
        user = self.request.user
        may_manage = services.can_manage(user, course)
        enrolments = (
            Enrolment.objects.restrict(user, "view")
            .filter(course=course)
            .select_related("worker__facility")
            .prefetch_related("certificates")
            .order_by("worker__sort_name")
        )
        query = self.request.GET.get("q", "")
        ctx.update(
            object=course,
            enrolments=enrolments,
            enrolled=course.enrolments.count(),
            can_manage=may_manage,
            query=query,
            enrol_form=kwargs.get("enrol_form") or EnrolForm(user=user, course=course, query=query),
            result_choices=Result.choices,
            active_nav="training",
        )
        return ctx


class CourseCreateView(ObjectFormView):
    model = Course
    action = "add"
    form_class = CourseForm
    template_name = "training/course_form.html"

    def perform(self, form):
        return services.save_course(form.save(commit=False), user=self.request.user)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["active_nav"] = "training"
        return ctx


class CourseEditView(CourseCreateView):
    action = "change"

    def get_instance(self):
        if not hasattr(self, "_instance"):
            self._instance = self.get_object()
            if not services.can_manage(self.request.user, self._instance):
                raise PermissionDenied(_("Only the organiser's side manages this course."))
        return self._instance

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["object"] = self.get_instance()
        return ctx


class EnrolView(ScopedViewMixin, TemplateView):
    model = Course
    action = "change"
    http_method_names = ["post"]  # a form on the detail page posts here

    def post(self, request, *args, **kwargs):
        course = self.get_object("view")
        form = EnrolForm(request.POST, user=request.user, course=course)
        if form.is_valid():
            try:
                with transaction.atomic():
                    enrolment = services.enrol(
                        course, form.cleaned_data["worker"], user=request.user
                    )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(
                    request, _("Enrolled: %(name)s") % {"name": enrolment.worker.full_name}
                )
                return redirect(course.get_absolute_url())
        view = CourseDetailView(request=request, kwargs=self.kwargs)
        ctx = view.get_context_data(object=course, enrol_form=form)
        return view.render_to_response(ctx, status=400)


class ResultView(ScopedViewMixin, TemplateView):
    """Attendance and result of one enrolment (form on the course page, posted here)."""

    model = Enrolment
    action = "change"
    template_name = "training/result_form.html"

    def get_lookup(self):
        return {"pk": self.kwargs["pk"]}

    def get_enrolment(self):
        enrolment = get_object_or_404(
            self.get_queryset("view").select_related("course__organiser", "worker"),
            pk=self.kwargs["pk"],
        )
        if not services.can_manage(self.request.user, enrolment.course):
            raise PermissionDenied(_("Only the organiser's side manages this course."))
        return enrolment

    def get(self, request, *args, **kwargs):
        enrolment = self.get_enrolment()
        form = ResultForm(
            initial={
                "result": enrolment.result,
                "attendance_percent": enrolment.attendance_percent,
            }
        )
        return self.render_to_response(self.get_context_data(object=enrolment, form=form))

    def post(self, request, *args, **kwargs):
        enrolment = self.get_enrolment()
        form = ResultForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                with transaction.atomic():
                    enrolment = services.record_result(
                        enrolment,
                        result=data["result"],
                        attendance_percent=data["attendance_percent"],
                        reason=data["reason"],
                        user=request.user,
                    )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("%(name)s: %(result)s")
                    % {
                        "name": enrolment.worker.full_name,
                        "result": enrolment.get_result_display(),
                    },
                )
                return redirect(enrolment.course.get_absolute_url())
        return self.render_to_response(
            self.get_context_data(object=enrolment, form=form), status=400
        )

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["active_nav"] = "training"
        return ctx


def certificate_response(enrolment, request=None) -> HttpResponse:
    certificate = services.current_certificate(enrolment)
    if enrolment.result != Result.PASSED or not enrolment.certificate_number:
        raise Http404(_("There is a certificate only for a passed result."))
    if certificate is None:
        raise Http404(_("This certificate was revoked."))
    base_url = request.build_absolute_uri("/") if request is not None else ""
    pdf = render_certificate(enrolment, certificate, base_url=base_url)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{certificate_filename(enrolment)}"'
    return response


class CertificateView(ScopedViewMixin, TemplateView):
    """The certificate PDF, for users who see the enrolment."""

    model = Enrolment

    def get_lookup(self):
        return {"pk": self.kwargs["pk"]}

    def get(self, request, *args, **kwargs):
        enrolment = get_object_or_404(
            self.get_queryset().select_related(
                "course__organiser__parent", "course__organiser__admin_unit", "worker__facility"
            ),
            pk=self.kwargs["pk"],
        )
        return certificate_response(enrolment, request)


class RevokeView(ScopedViewMixin, TemplateView):
    """Revoke a certificate, with a reason: the organiser's side only; audited."""

    model = Certificate
    action = "change"
    template_name = "training/certificate_revoke.html"

    def get_certificate(self) -> Certificate:
        certificate = get_object_or_404(
            self.get_queryset("view").select_related(
                "enrolment__course__organiser", "enrolment__worker"
            ),
            pk=self.kwargs["pk"],
        )
        if not services.can_manage(self.request.user, certificate.enrolment.course):
            raise PermissionDenied(_("Only the organiser's side manages this course."))
        return certificate

    def get(self, request, *args, **kwargs):
        certificate = self.get_certificate()
        return self.render_to_response(self.get_context_data(object=certificate, form=RevokeForm()))

    def post(self, request, *args, **kwargs):
        certificate = self.get_certificate()
        form = RevokeForm(request.POST)
        if form.is_valid():
            try:
                services.revoke_certificate(
                    certificate, reason=form.cleaned_data["reason"], user=request.user
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("Certificate %(number)s revoked.")
                    % {"number": certificate.enrolment.certificate_number or certificate.serial},
                )
                return redirect(certificate.enrolment.course.get_absolute_url())
        return self.render_to_response(
            self.get_context_data(object=certificate, form=form), status=400
        )

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["active_nav"] = "training"
        return ctx


# ---------------------------------------------------------------- public verification


def rate_limited(request) -> bool:
    """At most DOHA_VERIFY_RATE checks a minute per client address (cache counter)."""
    limit = getattr(settings, "DOHA_VERIFY_RATE", 30)
    address = request.META.get("REMOTE_ADDR", "")
    key = f"doha:verify:{address}:{int(time.time() // 60)}"
    cache.add(key, 0, 120)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, 120)
        count = 1
    return count > limit


class PublicVerifyMixin:
    template_name = "training/verify.html"

    def dispatch(self, request, *args, **kwargs):
        if rate_limited(request):
            response = TemplateResponse(
                request,
                self.template_name,
                {"rate_limited": True, "form": VerifyForm()},
                status=429,
            )
            response["Retry-After"] = "60"
            return response
        response = super().dispatch(request, *args, **kwargs)
        response["Cache-Control"] = "no-store"
        response["X-Robots-Tag"] = "noindex, nofollow"
        response["Referrer-Policy"] = "no-referrer"
        return response


class VerifyFormView(PublicVerifyMixin, View):
    """Anyone (no sign-in) types a certificate code, and is sent to its verification."""

    def get(self, request):
        if "code" not in request.GET:
            return TemplateResponse(request, self.template_name, {"form": VerifyForm()})
        form = VerifyForm(request.GET)
        if form.is_valid():
            code = signing.normalize(form.cleaned_data["code"])
            if code:
                return redirect("verify-code", code=code)
            form.add_error("code", _("Type the code printed on the certificate."))
        return TemplateResponse(request, self.template_name, {"form": form}, status=400)


class VerifyCodeView(PublicVerifyMixin, View):
    """Whether a certificate is valid: issuer, course, hours, date and the holder's name
    masked; nothing else about the person."""

    def get(self, request, code):
        result = services.verify_code(code)
        context = {"result": result, "form": VerifyForm()}
        if result.certificate is not None:
            certificate = result.certificate
            enrolment = certificate.enrolment
            context.update(
                certificate=certificate,
                course=enrolment.course,
                issuer=enrolment.course.organiser,
                holder=signing.mask_name(enrolment.worker.full_name),
            )
        status = 200 if result.certificate is not None else 404
        return TemplateResponse(request, self.template_name, context, status=status)
