from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from doha.core.views import ObjectFormView, ObjectListView, ScopedViewMixin, _add_errors
from doha.rotations.tabular_import import ImportView
from doha.training import services
from doha.training.certificates import certificate_filename, render_certificate
from doha.training.exports import export_courses, with_counts
from doha.training.filters import CourseFilterSet
from doha.training.forms import CourseForm, EnrolForm, ResultForm
from doha.training.imports import CourseImport, EnrolmentImport
from doha.training.models import Course, Enrolment, Result


class CourseListView(ObjectListView):
    model = Course
    filterset_class = CourseFilterSet
    template_name = "training/course_list.html"

    def get_queryset(self, action=None):
        return with_counts(
            super().get_queryset(action).select_related("organiser", "programme")
        ).order_by("-start_date", "-pk")

    def get(self, request, *args, **kwargs):
        fmt = request.GET.get("export")
        if fmt in {"xlsx", "csv"}:
            if not self.user_can("export"):
                raise PermissionDenied(_("Your role does not allow this action."))
            filterset = CourseFilterSet(
                request.GET, queryset=self.get_queryset("export"), request=request
            )
            qs = filterset.qs if filterset.is_valid() else filterset.queryset.none()
            return export_courses(qs, fmt)
        return super().get(request, *args, **kwargs)

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


def certificate_response(enrolment) -> HttpResponse:
    if enrolment.result != Result.PASSED or not enrolment.certificate_number:
        raise Http404(_("There is a certificate only for a passed result."))
    response = HttpResponse(render_certificate(enrolment), content_type="application/pdf")
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
        return certificate_response(enrolment)
