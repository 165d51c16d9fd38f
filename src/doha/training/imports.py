"""Courses, and enrolments with their results, from .xlsx or .csv (all or nothing per file).

Courses: one row a course, through ``services.save_course`` (the organiser must be in the
user's scope, as on the form and the API).

Enrolments: one row a worker in a course (named by the course's UID, from the export),
with the attendance and the result when known. A worker not yet enrolled is enrolled
through ``services.enrol``; the result goes through ``services.record_result``, which
credits the CME ledger on a pass, once: importing the same results again credits nothing
more.
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from doha.rotations.tabular_import import TabularImport
from doha.training import services
from doha.training.models import Course, CourseKind, CourseStatus, Enrolment, Result

COURSE_COLUMNS = (
    ("title", gettext_lazy("Title")),
    ("kind", gettext_lazy("Kind")),
    ("organiser_code", gettext_lazy("Organiser code")),
    ("venue", gettext_lazy("Venue")),
    ("online", gettext_lazy("Online")),
    ("start_date", gettext_lazy("Start date")),
    ("end_date", gettext_lazy("End date")),
    ("hours", gettext_lazy("Credit hours")),
    ("programme", gettext_lazy("Programme number")),
    ("capacity", gettext_lazy("Capacity")),
    ("status", gettext_lazy("Status")),
)


class CourseImport(TabularImport):
    columns = COURSE_COLUMNS
    required = ("title", "kind", "organiser_code", "start_date", "end_date", "hours")
    aliases = {gettext_lazy("Organiser"): "organiser_code", gettext_lazy("Programme"): "programme"}
    hints = {
        "kind": gettext_lazy(
            "Short-term, long-term, CME, hands-on coaching or management training."
        ),
        "organiser_code": gettext_lazy("The code of a unit in your scope."),
        "venue": gettext_lazy("Required unless the course is online."),
        "online": gettext_lazy("yes or no; empty: no."),
        "capacity": gettext_lazy("Empty for no limit."),
        "status": gettext_lazy("Empty: planned."),
    }
    field_columns = {"organiser": "organiser_code"}
    filename = "mau-nhap-khoa-dao-tao"
    sheet_title = gettext_lazy("Courses")

    def import_row(self, number, values):
        course = Course(
            title=self.present(number, values, "title"),
            kind=self.choice(number, values, "kind", CourseKind),
            organiser=self.unit(number, values, "organiser_code"),
            venue=self.text(values, "venue"),
            online=self.flag(number, values, "online"),
            start_date=self.date(number, values, "start_date"),
            end_date=self.date(number, values, "end_date"),
            hours=self.decimal(number, values, "hours"),
            programme=self.programme(number, values, "programme"),
            capacity=self.integer(number, values, "capacity"),
            status=self.choice(number, values, "status", CourseStatus, CourseStatus.PLANNED),
        )
        if self.row_refused():
            return

        def create():
            services.save_course(course, user=self.user)
            self.report.created += 1

        self.save(number, create, scope_column="organiser_code")


ENROLMENT_COLUMNS = (
    ("course", gettext_lazy("Course UID")),
    ("worker", gettext_lazy("Health worker (UID or licence number)")),
    ("attendance_percent", gettext_lazy("Attendance (%)")),
    ("result", gettext_lazy("Result")),
)


class EnrolmentImport(TabularImport):
    columns = ENROLMENT_COLUMNS
    required = ("course", "worker")
    aliases = {
        gettext_lazy("Course"): "course",
        gettext_lazy("Health worker"): "worker",
        gettext_lazy("Practising licence number"): "worker",
    }
    hints = {
        "course": gettext_lazy("As in the export of the courses."),
        "worker": gettext_lazy("As in the staff register: its UID or practising licence number."),
        "attendance_percent": gettext_lazy("0 to 100; empty: unchanged."),
        "result": gettext_lazy(
            "Pending, passed or failed; empty: unchanged. A pass, once the course has "
            "ended, issues the certificate and credits the CME hours once."
        ),
    }
    filename = "mau-nhap-hoc-vien"
    sheet_title = gettext_lazy("Enrolments")

    def __init__(self, user, dry_run=False):
        super().__init__(user, dry_run)
        self.seen: dict[tuple[int, int], int] = {}

    def import_row(self, number, values):
        course = self.course(number, values)
        worker = self.worker(number, values, "worker")
        attendance = self.integer(number, values, "attendance_percent")
        result = self.choice(number, values, "result", Result)
        if self.row_refused():
            return
        first = self.seen.setdefault((course.pk, worker.pk), number)
        if first != number:
            self.error(
                number,
                "worker",
                _("%(name)s is repeated for this course (first on row %(row)s).")
                % {"name": worker.full_name, "row": first},
            )
            return

        def enrol_and_record():
            enrolment = Enrolment.objects.filter(course=course, worker=worker).first()
            created = enrolment is None
            if created:
                enrolment = services.enrol(course, worker, user=self.user)
            before = (enrolment.result, enrolment.attendance_percent)
            if result is not None or attendance is not None:
                enrolment = services.record_result(
                    enrolment,
                    result=result or enrolment.result,
                    attendance_percent=attendance,
                    user=self.user,
                )
            if created:
                self.report.created += 1
            elif (enrolment.result, enrolment.attendance_percent) != before:
                self.report.updated += 1
            else:
                self.report.unchanged += 1

        self.save(number, enrol_and_record, scope_column="course")

    def course(self, number, values):
        uid = self.present(number, values, "course")
        if not uid:
            return None
        course = Course.objects.restrict(self.user, "view").filter(uid=uid).first()
        if course is None:
            self.error(number, "course", _("No course has the UID %(uid)s.") % {"uid": uid})
        return course
