"""Business rules of training: courses, enrolments, results and the CME credit they earn.

Pages, the REST API and the demo loader all go through these functions. Each runs in one
transaction and refuses with a ``ValidationError`` naming the field and the reason.

A course is seen by the organiser's side and by the facilities of the enrolled workers;
it is managed (edited, workers enrolled, results recorded) only by users whose scope holds
the organiser. A worker is enrolled only by a user who may see that worker.

``user=None`` means the system itself (demo loader, management commands): no check.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from doha.core.scope import can, in_scope
from doha.core.signals import notify_record_changed, notify_records_changed
from doha.people import services as people_services
from doha.people.models import CmeEntry, CmeSource, HealthWorker
from doha.training import signing
from doha.training.models import Certificate, Course, CourseStatus, Enrolment, Result

# ---------------------------------------------------------------- who may


def can_manage(user, course: Course | None = None) -> bool:
    """Whether the user may change the course (its organiser is in the user's scope)."""
    if user is None:
        return True
    if not can(user, Course, "change"):
        return False
    if course is None or course.organiser_id is None:
        return True
    return in_scope(user, course.organiser.path)


def _authorize(user, course: Course, action: str = "change"):
    if user is None:
        return
    if not can(user, Course, action):
        raise PermissionDenied(_("Your role does not allow this action."))
    if course.organiser_id and not in_scope(user, course.organiser.path):
        raise PermissionDenied(_("Only the organiser's side manages this course."))


# ---------------------------------------------------------------- courses


def _check_course(course: Course):
    errors = {}
    if course.start_date and course.end_date and course.end_date < course.start_date:
        errors["end_date"] = _("The course cannot end before it starts.")
    if course.hours is not None and Decimal(str(course.hours)) <= 0:
        errors["hours"] = _("Credit hours must be more than zero.")
    if not course.online and not (course.venue or "").strip():
        errors["venue"] = _("Give the venue, or mark the course as online.")
    if course.pk and course.capacity is not None:
        enrolled = course.enrolments.count()
        if course.capacity < enrolled:
            errors["capacity"] = _(
                "%(n)d workers are already enrolled: the capacity cannot be lower."
            ) % {"n": enrolled}
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def save_course(course: Course, *, user=None) -> Course:
    """Create or update a course (the organiser, before and after, must be the user's)."""
    previous = None
    if course.pk:
        previous = Course.objects.select_related("organiser").get(pk=course.pk)
        _authorize(user, previous)
        if (
            previous.hours != course.hours
            and course.enrolments.filter(cme_entry__isnull=False).exists()
        ):
            raise ValidationError(
                {"hours": _("Results are recorded: the credit hours cannot change.")}
            )
    course.full_clean()
    _check_course(course)
    _authorize(user, course, "change" if course.pk else "add")
    course.save()
    if previous is not None and (
        previous.end_date != course.end_date or previous.status != course.status
    ):
        # Its passed workers count in the month the course ends (not when it is cancelled).
        facilities = set(
            course.enrolments.filter(result=Result.PASSED).values_list(
                "worker__facility_id", flat=True
            )
        )
        notify_records_changed(
            Course,
            [
                (unit, day, None)
                for unit in facilities
                for day in (previous.end_date, course.end_date)
            ],
        )
    return course


# ---------------------------------------------------------------- enrolments


@transaction.atomic
def enrol(course: Course, worker: HealthWorker, *, user=None) -> Enrolment:
    """Enrol an active worker once, within the course's capacity."""
    _authorize(user, course)
    if user is not None and not (
        HealthWorker.objects.restrict(user, "view").filter(pk=worker.pk).exists()
    ):
        raise ValidationError({"worker": _("This health worker is outside your scope.")})
    course = Course.objects.select_for_update().get(pk=course.pk)
    if course.status in (CourseStatus.CANCELLED, CourseStatus.COMPLETED):
        raise ValidationError(
            {
                "course": _("The course is %(status)s: no more enrolments.")
                % {"status": course.get_status_display().lower()}
            }
        )
    if not worker.active:
        raise ValidationError({"worker": _("Only active health workers can be enrolled.")})
    if course.enrolments.filter(worker=worker).exists():
        raise ValidationError(
            {
                "worker": _("%(name)s is already enrolled in this course.")
                % {"name": worker.full_name}
            }
        )
    if course.capacity is not None and course.enrolments.count() >= course.capacity:
        raise ValidationError(
            {"worker": _("The course is full (%(n)d places).") % {"n": course.capacity}}
        )
    enrolment = Enrolment(course=course, worker=worker)
    enrolment.save()
    return enrolment


def certificate_prefix(course: Course) -> str:
    return f"{course.end_date.year}/{course.uid[:4].upper()}/"


def _next_certificate_number(course: Course) -> str:
    """<year>/<course uid prefix>/<seq>; numbers once issued (even revoked) are not reused."""
    prefix = certificate_prefix(course)
    issued = CmeEntry.objects.filter(certificate_number__startswith=prefix).count()
    taken = set(
        Enrolment.objects.filter(certificate_number__startswith=prefix).values_list(
            "certificate_number", flat=True
        )
    )
    seq = issued + 1
    while f"{prefix}{seq:03d}" in taken:
        seq += 1
    return f"{prefix}{seq:03d}"


@transaction.atomic
def record_result(
    enrolment: Enrolment,
    *,
    result: str,
    attendance_percent: int | None = None,
    user=None,
    reason: str = "",
) -> Enrolment:
    """Record attendance and result.

    Passing (only once the course has ended) issues the certificate number and adds the
    course's credit hours to the worker's CME ledger, once. Changing a passed result
    reverses that ledger entry and withdraws the certificate.
    """
    enrolment = (
        Enrolment.objects.select_for_update(of=("self",))
        .select_related("course__organiser", "worker", "cme_entry")
        .get(pk=enrolment.pk)
    )
    course = enrolment.course
    _authorize(user, course)
    if result not in Result.values:
        raise ValidationError({"result": _("Unknown result.")})
    if attendance_percent is not None and not 0 <= attendance_percent <= 100:
        raise ValidationError({"attendance_percent": _("Attendance is between 0 and 100%.")})
    today = timezone.localdate()
    if result != Result.PENDING and course.end_date > today:
        raise ValidationError(
            {
                "result": _("The result can be recorded only after the course has ended (%(d)s).")
                % {"d": course.end_date.strftime("%d/%m/%Y")}
            }
        )
    if course.status == CourseStatus.CANCELLED and result == Result.PASSED:
        raise ValidationError({"result": _("The course was cancelled.")})
    if attendance_percent is not None:
        enrolment.attendance_percent = attendance_percent
    was_passed = enrolment.result == Result.PASSED
    if result == Result.PASSED and not was_passed:
        enrolment.certificate_number = _next_certificate_number(course)
        if enrolment.cme_entry_id is None:
            enrolment.cme_entry = people_services.add_cme_entry(
                enrolment.worker,
                date=course.end_date,
                hours=course.hours,
                source=CmeSource.COURSE,
                description=course.title[:300],
                certificate_number=enrolment.certificate_number,
            )
    elif was_passed and result != Result.PASSED:
        _revoke_current(
            enrolment,
            reason=reason.strip()
            or _("result changed to %(result)s") % {"result": Result(result).label.lower()},
            user=user,
        )
        if enrolment.cme_entry_id is not None:
            people_services.reverse_cme_entry(
                enrolment.cme_entry,
                reason=reason.strip()
                or _("result changed to %(result)s") % {"result": Result(result).label.lower()},
            )
            enrolment.cme_entry = None
        enrolment.certificate_number = ""
    if result != enrolment.result:
        enrolment.result_date = today if result != Result.PENDING else None
    enrolment.result = result
    enrolment.save()
    if result == Result.PASSED and not was_passed:
        issue_certificate(enrolment)
    if was_passed != (result == Result.PASSED):
        # The worker's facility counts the people who passed a course ending in the month.
        notify_record_changed(Enrolment, enrolment.worker.facility, course.end_date)
    return enrolment


# ---------------------------------------------------------------- signed certificates


def _next_serial() -> int:
    last = Certificate.objects.order_by("-serial").values_list("serial", flat=True).first()
    return (last or 0) + 1


def issue_certificate(enrolment: Enrolment) -> Certificate:
    """The signed certificate of a passed enrolment (called when the pass is recorded)."""
    course = enrolment.course
    for attempt in range(5):
        try:
            with transaction.atomic():  # a savepoint: another issue may take the serial
                return Certificate.objects.create(
                    enrolment=enrolment,
                    serial=_next_serial(),
                    issued_on=enrolment.result_date or timezone.localdate(),
                    hours=course.hours,
                    holder_digest=signing.holder_digest(
                        enrolment.worker.full_name, course.uid
                    ).hex(),
                )
        except IntegrityError:
            if attempt == 4:
                raise


def current_certificate(enrolment: Enrolment) -> Certificate | None:
    return enrolment.certificates.filter(revoked_at__isnull=True).order_by("-serial").first()


def payload_of(certificate: Certificate) -> signing.Payload:
    return signing.Payload(
        serial=certificate.serial,
        issued_on=certificate.issued_on,
        hours=certificate.hours,
        holder_digest=bytes.fromhex(certificate.holder_digest),
    )


def codes_of(certificate: Certificate) -> tuple[str, str]:
    """(short code, full code) of a certificate, with the instance's key."""
    key = signing.private_key()
    payload = payload_of(certificate)
    return signing.short_code(payload, key), signing.full_code(payload, key)


def _revoke_current(enrolment: Enrolment, *, reason: str, user=None):
    for certificate in enrolment.certificates.filter(revoked_at__isnull=True):
        certificate.revoked_at = timezone.now()
        certificate.revoked_reason = reason
        certificate.revoked_by = user
        certificate.save()


@transaction.atomic
def revoke_certificate(certificate: Certificate, *, reason: str, user=None) -> Certificate:
    """Revoke a certificate with a reason (the organiser's side only); it stays on record
    and its code then verifies as revoked."""
    certificate = (
        Certificate.objects.select_for_update(of=("self",))
        .select_related("enrolment__course__organiser")
        .get(pk=certificate.pk)
    )
    _authorize(user, certificate.enrolment.course)
    if certificate.revoked_at is not None:
        raise ValidationError({"reason": _("This certificate is already revoked.")})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for the revocation.")})
    certificate.revoked_at = timezone.now()
    certificate.revoked_reason = reason
    certificate.revoked_by = user
    certificate.save()
    return certificate


class Verification:
    """What the public verification page says about a code."""

    VALID, REVOKED, ALTERED, UNKNOWN = "valid", "revoked", "altered", "unknown"

    def __init__(self, status: str, certificate: Certificate | None = None):
        self.status = status
        self.certificate = certificate

    @property
    def ok(self) -> bool:
        return self.status == self.VALID


def verify_code(code: str) -> Verification:
    """Valid, revoked, altered (signature fails: mistyped, changed, another key) or unknown
    (genuinely signed but never issued here, or not matching the record)."""
    try:
        payload = signing.check_code(code)
    except signing.BadCode:
        return Verification(Verification.ALTERED)
    certificate = (
        Certificate.objects.select_related("enrolment__course__organiser", "enrolment__worker")
        .filter(serial=payload.serial)
        .first()
    )
    if certificate is None or payload_of(certificate) != payload:
        return Verification(Verification.UNKNOWN)
    if certificate.revoked_at is not None:
        return Verification(Verification.REVOKED, certificate)
    return Verification(Verification.VALID, certificate)
