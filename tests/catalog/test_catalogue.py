"""The starter catalogue, search, and who may read and change the national reference data."""

import io

import pytest
from django.core.management import call_command

from doha.catalog.chapters import CHAPTERS
from doha.catalog.importexport import STARTER_SOURCE
from doha.catalog.models import Specialty, Technique
from tests.catalog.factories import SpecialtyFactory, TechniqueFactory
from tests.mixins import client_for

pytestmark = pytest.mark.django_db

SEED_002 = {
    # seed 002: the six paediatric techniques Nhi Đồng 2 transferred to Đắk Nông
    "catheter tinh mach ron": ["specialised"],
    "huyet ap dong mach xam lan": ["specialised"],
    "duong truyen trong xuong": ["basic", "specialised"],
    "thay mau": ["specialised"],
    "surfactant": ["specialised"],
    "ap luc bang quang": ["specialised"],
}


@pytest.fixture
def catalogue(db):
    call_command("load_catalog", stdout=io.StringIO())


def test_load_catalog_twice_changes_nothing_the_second_time(catalogue, capsys):
    counts = (Specialty.objects.count(), Technique.objects.count())
    call_command("load_catalog")
    out = capsys.readouterr().out
    assert "created 0, updated 0, unchanged" in out
    assert (Specialty.objects.count(), Technique.objects.count()) == counts
    assert counts[0] == len(CHAPTERS) == 28


def test_starter_catalogue_is_broad_and_marked_local(catalogue):
    techniques = Technique.objects.select_related("specialty")
    assert techniques.count() >= 80
    assert Specialty.objects.filter(techniques__isnull=False).distinct().count() >= 10
    # Local codes are never passed off as official.
    assert not techniques.filter(is_official=True).exists()
    assert set(techniques.values_list("source", flat=True)) == {STARTER_SOURCE}
    assert all(t.code.startswith("DH.") for t in techniques)
    # Chapters keep the ministry's order and names.
    first = list(Specialty.objects.order_by("order")[:3].values_list("code", "name"))
    assert first == [
        ("01", "Hồi sức cấp cứu và chống độc"),
        ("02", "Nội khoa"),
        ("03", "Nhi khoa"),
    ]


def test_seed_002_techniques_are_in_the_catalogue(catalogue):
    for words, levels in SEED_002.items():
        found = list(Technique.objects.search(words))
        assert len(found) == 1, words
        assert found[0].specialty.code == "03"
        assert found[0].allowed_levels == levels, words


def test_search_folds_accents_and_case(catalogue, client, users):
    found = Technique.objects.search("catheter tinh mach ron")
    assert [t.name for t in found] == ["Đặt catheter tĩnh mạch rốn ở trẻ sơ sinh"]
    assert Technique.objects.search("CATHETER TĨNH MẠCH RỐN").count() == 1

    client.force_login(users.viewer)
    response = client.get("/catalog/", {"q": "catheter tinh mach ron"})
    assert [t.name for t in response.context["object_list"]] == [found[0].name]
    response = client.get("/api/techniques/", {"q": "catheter tinh mach ron"})
    assert [t["code"] for t in response.json()["results"]] == [found[0].code]


def test_filters_by_specialty_level_and_official(catalogue, client, users):
    client.force_login(users.clerk)
    response = client.get("/catalog/", {"specialty": "03", "level": "initial"})
    names = {t.name for t in response.context["object_list"]}
    assert "Hồi sức sơ sinh ngạt tại phòng sinh" in names
    assert "Thay máu ở trẻ sơ sinh" not in names
    assert all(
        t.specialty.code == "03" and t.allowed_initial for t in response.context["object_list"]
    )
    response = client.get("/catalog/", {"is_official": "true"})
    assert response.context["total"] == 0
    response = client.get("/catalog/specialties/")
    assert response.status_code == 200
    assert "Nhi khoa" in response.content.decode()


# Reference data: everybody reads; system administrators and DOH officers write ---------------

WRITERS = {"admin", "doh", "doh_tn"}
ROLES = ["admin", "doh", "line", "clerk", "viewer", "doh_tn"]


@pytest.mark.parametrize("role", ROLES)
def test_technique_api_permissions(role, users):
    nhi = SpecialtyFactory(code="03", name="Nhi khoa")
    technique = TechniqueFactory(code="03.0001", specialty=nhi)
    client, _user = client_for(users, role)

    listed = client.get("/api/techniques/")
    assert listed.status_code == 200 and listed.json()["count"] == 1
    assert client.get(f"/api/techniques/{technique.pk}/").status_code == 200
    assert client.get("/api/specialties/").json()["count"] == 1

    may_write = role in WRITERS
    created = client.post(
        "/api/techniques/",
        {"code": "03.0002", "name": "Bơm surfactant", "specialty": "03"},
        content_type="application/json",
    )
    assert created.status_code == (201 if may_write else 403)
    assert Technique.objects.filter(code="03.0002").exists() == may_write
    patched = client.patch(
        f"/api/techniques/{technique.pk}/", {"name": "Tên mới"}, content_type="application/json"
    )
    assert patched.status_code == (200 if may_write else 403)
    specialty = client.post(
        "/api/specialties/", {"code": "29", "name": "Đa khoa"}, content_type="application/json"
    )
    assert specialty.status_code == (201 if may_write else 403)

    assert client.get("/catalog/").status_code == 200
    assert client.get(f"/catalog/techniques/{technique.pk}/").status_code == 200
    assert client.get("/catalog/techniques/add/").status_code == (200 if may_write else 403)
    assert client.get("/catalog/techniques/import/").status_code == (200 if may_write else 403)


def test_anonymous_is_sent_to_sign_in(client, db):
    assert client.get("/api/techniques/").status_code in (401, 403)
    response = client.get("/catalog/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_technique_needs_a_level_and_answers_with_the_field(users):
    SpecialtyFactory(code="03", name="Nhi khoa")
    client, _user = client_for(users, "doh")
    response = client.post(
        "/api/techniques/",
        {"code": "X.1", "name": "Không cấp", "specialty": "03", "allowed_specialised": False},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "allowed_specialised" in response.json()
    response = client.post(
        "/catalog/techniques/add/",
        {
            "code": "X.2",
            "name": "Thủ thuật mới",
            "specialty": Specialty.objects.get().pk,
            "allowed_basic": "on",
            "active": "on",
        },
    )
    assert response.status_code == 302
    assert Technique.objects.get(code="X.2").allowed_levels == ["basic"]
