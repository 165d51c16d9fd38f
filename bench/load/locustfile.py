"""A working day of a province, for locust (issue 8, part 5).

Run by ``bench/load/run.sh``, which starts gunicorn on PostgreSQL with the demo province and
then this scenario headless; see docs/reliability.md for the figures and the command.

Who does what (weights are the share of the 50 simulated people), paced as people work:

- ``Clerk`` (25): a facility's statistics clerk. Opens the data-entry grid of one of the
  commune stations under TTYT Tiên Du for an open month, types for 20 to 60 seconds, checks
  it (dry run with validation rules and outliers), saves it with a few figures changed, and
  takes 10 to 30 seconds before the next form; now and then looks at completeness.
- ``Officer`` (20): a DOH or line-direction officer reading a page for 5 to 20 seconds:
  province dashboard, the pivot table, the DHIS2 analytics API, lists of programmes,
  transfers, rotations, people, training, consultations, donations, facilities and
  techniques; one facility's month through the API.
- ``ReportWriter`` (4): every one to two minutes asks for the semi-annual review of the
  province (built in the background, about 2.4 s of CPU each) and reads the report list.
- ``Importer`` (1): a DHIS2 client pushing a month of 20 facilities' figures to
  ``/api/dataValueSets`` as CSV every 5 to 15 seconds, signed with a personal access token.

That is about 4 requests a second from 50 people. ``DOHA_LOAD_PACE`` divides every wait
(``DOHA_LOAD_PACE=5`` makes the same people five times as quick: a stress test). Requests
are named by page (the query string left out) so that locust's table reads per page and API.

The targets (users, data set, facilities, periods) are read from the database once, at start,
through Django: ``DATABASE_URL`` must point at the database the server uses.
"""

from __future__ import annotations

import os
import random
import re
import sys
import time
from pathlib import Path

from locust import HttpUser, between, events, task

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = os.environ.get("DOHA_LOAD_PASSWORD", "doha@2026")
FIELD = re.compile(r'name="(v:[^"]+)"[^>]*?value="([^"]*)"')
FIELD_EMPTY = re.compile(r'name="(v:[^"]+)"')
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
TARGETS: dict = {}
PACE = float(os.environ.get("DOHA_LOAD_PACE", "1"))


def paced(low, high):
    return between(low / PACE, high / PACE)


def pause(low, high):
    """Someone reading or typing, within one task."""
    time.sleep(random.uniform(low, high) / PACE)


def _load_targets() -> dict:
    for path in (ROOT / "src", ROOT):
        if str(path) not in sys.path:
            sys.path.insert(0, str(path))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "doha.settings")
    import django

    django.setup()
    from doha.aggregate.entry import entry_periods
    from doha.aggregate.models import DataSet, DataValue
    from doha.orgunits.models import OrgUnit

    data_set = DataSet.objects.get(code="DS_MONTHLY")
    centre = OrgUnit.objects.get(code="BN-TTYT-TIENDU")
    stations = list(
        OrgUnit.objects.filter(path__startswith=centre.path, data_sets=data_set)
        .exclude(pk=centre.pk)
        .values_list("uid", flat=True)
    )
    periods = [p.id for p in entry_periods(data_set)][:2]
    province = OrgUnit.objects.get(code="BN-SYT")
    bvdk = OrgUnit.objects.get(code="BN-BVDK")
    element = (
        data_set.data_elements.filter(code="OPD_VISITS").first() or data_set.data_elements.first()
    )
    coc = DataValue.objects.filter(data_element=element).values_list(
        "category_option_combo__uid", flat=True
    )[:1]
    # The DHIS2 client signs with a personal access token, as integrations should: HTTP Basic
    # would hash the password (PBKDF2, about 0.3 s of CPU) on every request.
    from doha.users.authentication import create_token
    from doha.users.models import User

    _token, secret = create_token(User.objects.get(username="syt.bacninh"), "load test")
    return {
        "token": secret,
        "ds": data_set.uid,
        "stations": stations,
        "periods": periods,
        "province": province.uid,
        "province_pk": province.pk,
        "hospital": bvdk.uid,
        "element": element.uid,
        "coc": coc[0] if coc else "",
    }


@events.init.add_listener
def _on_init(environment, **_kwargs):
    TARGETS.update(_load_targets())
    if not TARGETS["stations"] or not TARGETS["periods"]:
        raise SystemExit("load: no reporting station or open period in the demo database")


class SignedIn(HttpUser):
    abstract = True
    wait_time = paced(5, 20)
    username = ""

    def on_start(self):
        page = self.client.get("/login/", name="/login/")
        token = CSRF.search(page.text)
        self.client.post(
            "/login/",
            {
                "username": self.username,
                "password": PASSWORD,
                "csrfmiddlewaretoken": token.group(1) if token else "",
            },
            headers={"Referer": f"{self.host}/login/"},
            name="/login/ (POST)",
        )

    def post_form(self, url, data, name):
        token = self.client.cookies.get("csrftoken", "")
        return self.client.post(
            url,
            {**data, "csrfmiddlewaretoken": token},
            headers={"Referer": f"{self.host}{url}"},
            name=name,
        )


class Clerk(SignedIn):
    weight = 25
    username = "ttyt.tiendu"
    wait_time = paced(10, 30)

    @task(6)
    def enter_month(self):
        query = {
            "ds": TARGETS["ds"],
            "ou": random.choice(TARGETS["stations"]),
            "pe": random.choice(TARGETS["periods"]),
        }
        page = self.client.get("/statistics/entry/", params=query, name="/statistics/entry/")
        filled = dict(FIELD.findall(page.text))
        names = FIELD_EMPTY.findall(page.text)
        if not names:
            return
        data = {name: filled.get(name, "") for name in names}
        for name in random.sample(names, min(3, len(names))):
            data[name] = str(random.randint(5, 400))
        pause(20, 60)  # typing the month's figures
        self.post_form(
            "/statistics/entry/",
            {**query, **data, "action": "check"},
            "/statistics/entry/ (check)",
        )
        pause(3, 10)  # reading what the check says
        with self.client.post(
            "/statistics/entry/",
            {
                **query,
                **data,
                "action": "save",
                "csrfmiddlewaretoken": self.client.cookies.get("csrftoken", ""),
            },
            headers={"Referer": f"{self.host}/statistics/entry/"},
            name="/statistics/entry/ (save)",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            # A save answers 302 back to the grid; 400 means the figures were refused.
            if response.status_code == 302:
                response.success()
            else:
                response.failure(f"save answered {response.status_code}")

    @task(1)
    def completeness(self):
        self.client.get(
            "/statistics/completeness/",
            params={"ds": TARGETS["ds"]},
            name="/statistics/completeness/",
        )

    @task(1)
    def home(self):
        self.client.get("/", name="/")


class Officer(SignedIn):
    weight = 20
    username = "syt.bacninh"

    @task(5)
    def dashboard(self):
        self.client.get("/analytics/dashboard/", name="/analytics/dashboard/")

    @task(3)
    def pivot(self):
        self.client.get(
            "/analytics/",
            params={
                "dx": f"de:{TARGETS['element']}",
                "ou": TARGETS["province"],
                "level": "children",
                "relative": "LAST_12_MONTHS",
                "boundaries": "current",
                "layout": "ou,dx|pe",
                "chart": "bar",
            },
            name="/analytics/ (pivot)",
        )

    @task(3)
    def analytics_api(self):
        self.client.get(
            "/api/analytics.json",
            params={
                "dimension": [
                    f"dx:{TARGETS['element']}",
                    "pe:LAST_12_MONTHS",
                    f"ou:{TARGETS['province']};LEVEL-3",
                ],
            },
            name="/api/analytics",
        )

    @task(2)
    def lists(self):
        url = random.choice(
            [
                "/programmes/",
                "/transfers/",
                "/rotations/",
                "/people/",
                "/training/",
                "/telehealth/",
                "/donations/",
                "/orgunits/",
                "/catalog/",
            ]
        )
        self.client.get(url, name=url)

    @task(1)
    def data_values_api(self):
        self.client.get(
            "/api/dataValueSets.json",
            params={
                "dataSet": TARGETS["ds"],
                "orgUnit": TARGETS["hospital"],
                "period": TARGETS["periods"][-1],
            },
            name="/api/dataValueSets (GET)",
        )


class ReportWriter(SignedIn):
    weight = 4
    username = "syt.bacninh"
    wait_time = paced(60, 120)

    @task(1)
    def semiannual(self):
        form = self.client.get("/reports/new/", name="/reports/new/")
        if form.status_code != 200:
            return
        response = self.post_form(
            "/reports/new/",
            {
                "org_unit": TARGETS["province_pk"],
                "period_kind": "S1",
                "year": "2026",
                "number": str(random.randint(1, 999)),
                "date": "2026-07-10",
                "title": "",
                "language": "vi",
                "shortcomings": "",
                "next_tasks": "",
            },
            "/reports/new/ (POST)",
        )
        self.client.get("/reports/", name="/reports/")
        return response


class Importer(HttpUser):
    weight = 1
    wait_time = paced(5, 15)

    @task
    def push_month(self):
        lines = ["dataelement,period,orgunit,categoryoptioncombo,value"]
        for station in TARGETS["stations"][:20]:
            lines.append(
                f"{TARGETS['element']},{TARGETS['periods'][0]},{station},"
                f"{TARGETS['coc']},{random.randint(100, 900)}"
            )
        self.client.post(
            "/api/dataValueSets",
            data="\n".join(lines).encode(),
            headers={
                "Content-Type": "application/csv",
                "Authorization": f"ApiToken {TARGETS['token']}",
            },
            name="/api/dataValueSets (POST csv)",
        )
