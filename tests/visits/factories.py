import datetime

from doha.visits import services
from doha.visits.models import Finding, FollowUpAction, Visit, VisitKind, VisitMember

D = datetime.date


def make_visit(host, visiting, *, title=None, findings=1, **kwargs):
    defaults = {
        "kind": VisitKind.SUPERVISION,
        "title": title or f"Giám sát {host.name}",
        "start_date": D(2026, 3, 10),
        "end_date": D(2026, 3, 11),
        "purpose": "Giám sát chuyên môn",
    }
    defaults.update(kwargs)
    return services.save_visit(
        Visit(host=host, visiting=visiting, **defaults),
        members=[VisitMember(name="Nguyễn Văn An", position="Trưởng đoàn")],
        findings=[
            Finding(order=i, area="Hồ sơ", text=f"Phát hiện {i}") for i in range(1, findings + 1)
        ],
    )


APRIL_END = D(2026, 4, 30)


def make_action(visit, owner=None, *, due=APRIL_END, description="Khắc phục hồ sơ", **kw):
    return services.save_action(
        FollowUpAction(
            visit=visit,
            finding=visit.findings.first(),
            description=description,
            owner_facility=owner or visit.host,
            due_date=due,
            **kw,
        )
    )
