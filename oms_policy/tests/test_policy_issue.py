"""Issuing the electronic policy: approval → one policy and one signed PDF per version, however often
the task runs; the PDF's text and signature; ЕНП rules; local-only rendering; the sweep."""

from __future__ import annotations

import datetime
import hashlib
import http.server
import io
import threading
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.storage import storages
from django.utils import timezone
from pypdf import PdfReader

from oms_policy.constants import ActorRole, ChangeKind, PolicyStatus, RequestStatus
from oms_policy.models import Policy, PolicyDocument, StatusChange
from oms_policy.policy_pdf import STATIC_DIR, content_digest, local_only_fetcher
from oms_policy.policy_services import enp_generate, policy_issue, policy_issue_pending
from oms_policy.services import policy_request_transition
from oms_policy.tasks import policy_issue_task
from oms_policy.tests.conftest import pdf_files
from oms_policy.tests.factories import InsuranceCompanyFactory, PolicyRequestFactory
from oms_policy.validators import luhn_is_valid


def _pdf(document: PolicyDocument) -> bytes:
    with storages["private"].open(document.file.name, "rb") as handle:
        return handle.read()


def _text(document: PolicyDocument) -> str:
    reader = PdfReader(io.BytesIO(_pdf(document)))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_approval_issues_the_policy_and_moves_the_request_on(
    citizen, current_policy, reviewer, private_dir, django_capture_on_commit_callbacks
):
    request = PolicyRequestFactory(applicant=citizen, status=RequestStatus.IN_REVIEW, reviewer=reviewer)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        policy_request_transition(
            request_id=request.pk, new_status=RequestStatus.APPROVED, actor=reviewer, role=ActorRole.REVIEWER
        )
    assert len(callbacks) >= 1
    request.refresh_from_db()
    assert request.status == RequestStatus.POLICY_ISSUED
    document = PolicyDocument.objects.get()
    assert (document.holder, document.request, document.version) == (citizen, request, 1)
    current_policy.refresh_from_db()
    assert current_policy.status == PolicyStatus.REPLACED
    new_policy = Policy.objects.get(holder=citizen, status=PolicyStatus.ACTIVE)
    assert document.policy == new_policy
    # The ЕНП is kept for a renewal; the СМО and region too.
    assert new_policy.enp == current_policy.enp == "8451999122899990"
    assert new_policy.insurance_company == current_policy.insurance_company
    assert new_policy.issued_on == timezone.localdate()
    assert [(c.old_status, c.new_status, c.actor_role) for c in StatusChange.objects.filter(request=request)] == [
        (RequestStatus.IN_REVIEW, RequestStatus.APPROVED, ActorRole.REVIEWER),
        (RequestStatus.APPROVED, RequestStatus.POLICY_ISSUED, ActorRole.SYSTEM),
    ]
    assert pdf_files(private_dir) == [private_dir / document.file.name]


def test_the_task_run_twice_makes_one_policy_and_one_pdf(citizen, approved_request, private_dir):
    first = policy_issue_task.apply(args=[approved_request.pk]).get()
    second = policy_issue_task.apply(args=[approved_request.pk]).get()
    document = PolicyDocument.objects.get()
    assert first == second == str(document.pk)
    assert Policy.objects.filter(holder=citizen, status=PolicyStatus.ACTIVE).count() == 1
    assert Policy.objects.filter(holder=citizen).count() == 2
    assert StatusChange.objects.filter(request=approved_request, new_status=RequestStatus.POLICY_ISSUED).count() == 1
    files = pdf_files(private_dir)
    assert files == [private_dir / document.file.name]
    assert hashlib.sha256(files[0].read_bytes()).hexdigest() == document.sha256


def test_a_request_not_approved_is_left_alone(citizen, current_policy):
    request = PolicyRequestFactory(applicant=citizen, status=RequestStatus.IN_REVIEW)
    assert policy_issue(request_id=request.pk) is None
    assert not PolicyDocument.objects.exists()
    current_policy.refresh_from_db()
    assert current_policy.status == PolicyStatus.ACTIVE


def test_the_pdf_opens_with_pypdf_and_says_who_and_which_policy(issued_document):
    text = _text(issued_document)
    assert "8451 9991 2289 9990" in text
    assert "Иванова" in text and "Анна" in text and "Сергеевна" in text
    assert "14.07.1988" in text
    assert "СОГАЗ-Мед" in text
    assert str(issued_document.pk) in text
    assert issued_document.content_sha256 in text
    assert issued_document.content_sha256 == content_digest(
        document_id=str(issued_document.pk), content=issued_document.content
    )
    reader = PdfReader(io.BytesIO(_pdf(issued_document)))
    assert len(reader.pages) == 1
    width, height = float(reader.pages[0].mediabox.width), float(reader.pages[0].mediabox.height)
    assert (round(width), round(height)) == (595, 842)  # A4 in points


def _validate(data: bytes):
    from pyhanko.keys import load_cert_from_pemder
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    certificate = load_cert_from_pemder(settings.POLICY_SIGNING_CERT)
    reader = PdfFileReader(io.BytesIO(data))
    assert len(reader.embedded_signatures) == 1
    return validate_pdf_signature(reader.embedded_signatures[0], ValidationContext(trust_roots=[certificate]))


def test_the_signature_validates_against_the_portal_certificate(issued_document):
    status = _validate(_pdf(issued_document))
    assert (status.intact, status.valid, status.trusted) == (True, True, True)
    assert status.signing_cert.subject.native["common_name"] == "Портал ОМС (демо-подпись)"


def test_one_changed_byte_breaks_the_signature(issued_document):
    data = bytearray(_pdf(issued_document))
    # One letter of the producer's name, inside the signed byte range: the file still parses.
    offset = data.index(b"WeasyPrint")
    data[offset : offset + 1] = b"w"
    status = _validate(bytes(data))
    assert status.intact is False
    assert status.bottom_line is False


def test_a_citizen_without_enp_gets_a_new_valid_one_from_the_region(citizen):
    region_company = InsuranceCompanyFactory(federal_code="45001", name="Капитал МС")
    request = PolicyRequestFactory(
        applicant=citizen,
        status=RequestStatus.APPROVED,
        decided_at=timezone.now(),
        current_policy_kind="",
        current_policy_number="",
        region=region_company.region,
    )
    document = policy_issue(request_id=request.pk)
    enp = document.policy.enp
    assert len(enp) == 16 and enp.isdigit() and enp.startswith("45") and luhn_is_valid(enp)
    assert document.policy.insurance_company == region_company
    assert document.content["enp"] == enp


@pytest.mark.django_db
def test_generated_enp_numbers_are_luhn_valid_and_keep_the_region():
    numbers = {enp_generate(region_code="77") for _ in range(50)}
    assert len(numbers) == 50
    assert all(len(n) == 16 and n.startswith("77") and luhn_is_valid(n) for n in numbers)
    assert all(not luhn_is_valid(n[:-1] + str((int(n[-1]) + 1) % 10)) for n in numbers)


def test_an_smo_change_keeps_the_enp_and_takes_the_new_company(citizen, current_policy):
    new_company = InsuranceCompanyFactory(federal_code="45002", name="Ингосстрах-М")
    request = PolicyRequestFactory(
        applicant=citizen,
        status=RequestStatus.APPROVED,
        decided_at=timezone.now(),
        change_kind=ChangeKind.SMO_CHANGE,
        new_insurance_company=new_company,
        smo_change_reason="yearly",
    )
    document = policy_issue(request_id=request.pk)
    assert document.policy.enp == "8451999122899990"
    assert document.policy.insurance_company == new_company
    assert document.content["insurance_company_code"] == "45002"


def test_a_data_correction_prints_the_corrected_name(citizen, current_policy):
    request = PolicyRequestFactory(
        applicant=citizen,
        status=RequestStatus.APPROVED,
        decided_at=timezone.now(),
        change_kind=ChangeKind.DATA_CORRECTION,
        corrections={
            "last_name": {"old": "Иванова", "new": "Смирнова"},
            "birth_date": {"old": "", "new": "1990-01-02"},
        },
    )
    document = policy_issue(request_id=request.pk)
    assert (document.content["last_name"], document.content["birth_date"]) == ("Смирнова", "1990-01-02")
    assert "Смирнова" in _text(document)


def test_a_second_version_replaces_the_first(citizen, issued_document):
    second_request = PolicyRequestFactory(
        applicant=citizen, status=RequestStatus.APPROVED, decided_at=timezone.now(), change_kind=ChangeKind.SMO_CHANGE
    )
    second = policy_issue(request_id=second_request.pk)
    issued_document.refresh_from_db()
    assert issued_document.replaced_at is not None
    assert issued_document.policy.status == PolicyStatus.REPLACED
    assert (second.version, second.replaced_at, second.policy.status) == (2, None, PolicyStatus.ACTIVE)
    assert second.policy.enp == issued_document.policy.enp
    assert PolicyDocument.objects.filter(holder=citizen).count() == 2


@pytest.mark.parametrize(
    ("last_name", "first_name", "patronymic"),
    [
        (
            "Щербацкая-Кржижановская-Оболенская-Трубецкая-Голенищева-Кутузова-Салтыкова-Щедрина-Римская-Корсакова",
            "Анна-Мария-Александра-Екатерина-Елизавета",
            "Константиновна-Вольдемаровна",
        ),
        ("<script>alert('x')</script> & \"O'Brien\"", "Zoë Ñandú — ёЁ", "Ибн Хаттаб 😀 \u0301\u200f עברית"),
        (
            "ОченьДлиннаяФамилияБезПробеловИДефисовКотораяНеПоместитсяВОднуСтрокуТаблицыПолисаНиПриКакомРаскладе",
            "Я",
            "",
        ),  # noqa: E501
    ],
)
def test_long_names_and_odd_characters_still_render(citizen, current_policy, last_name, first_name, patronymic):
    request = PolicyRequestFactory(
        applicant=citizen,
        status=RequestStatus.APPROVED,
        decided_at=timezone.now(),
        last_name=last_name[:100],
        first_name=first_name[:100],
        patronymic=patronymic[:100],
    )
    document = policy_issue(request_id=request.pk)
    text = _text(document)
    assert len(PdfReader(io.BytesIO(_pdf(document))).pages) == 1
    assert "8451 9991 2289 9990" in text
    # Long words wrap inside the table cell: every piece of the name is on the page, in order.
    assert last_name[:100][:12] in text.replace("\n", "")
    assert document.content["last_name"] == last_name[:100]


class _CountingHandler(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):  # noqa: N802 - the http.server API
        type(self).hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, *args):
        pass


def test_weasyprint_fetches_only_local_files(tmp_path):
    from weasyprint import HTML

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _CountingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _CountingHandler.hits = []
    outside = tmp_path / "secret.css"
    outside.write_text("body { color: red }")
    remote = f"http://127.0.0.1:{server.server_port}"
    font = (STATIC_DIR / "fonts" / "DejaVuSans-LatCyr.ttf").as_uri()
    html = f"""<html><head>
      <link rel="stylesheet" href="{remote}/style.css">
      <link rel="stylesheet" href="{outside.as_uri()}">
      <style>@font-face {{ font-family: T; src: url("{font}"); }} body {{ font-family: T; }}
             p {{ background: url("{remote}/bg.png"); }}</style></head>
      <body><p>Проверка</p><img src="{remote}/pixel.png"><img src="https://example.invalid/x.png"></body></html>"""
    fetcher = local_only_fetcher()
    try:
        pdf = HTML(string=html, url_fetcher=fetcher).write_pdf()
    finally:
        server.shutdown()
        server.server_close()
    assert pdf.startswith(b"%PDF")
    assert _CountingHandler.hits == []
    assert sorted(fetcher.refused) == sorted(
        [
            f"{remote}/style.css",
            outside.as_uri(),
            f"{remote}/bg.png",
            f"{remote}/pixel.png",
            "https://example.invalid/x.png",
        ]
    )


def test_the_sweep_issues_approvals_whose_task_was_lost(citizen, current_policy):
    old = PolicyRequestFactory(
        applicant=citizen, status=RequestStatus.APPROVED, decided_at=timezone.now() - datetime.timedelta(minutes=10)
    )
    from accounts.tests.factories import CitizenFactory

    recent = PolicyRequestFactory(applicant=CitizenFactory(), status=RequestStatus.APPROVED, decided_at=timezone.now())
    assert policy_issue_pending() == [old.pk]
    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.status, recent.status) == (RequestStatus.POLICY_ISSUED, RequestStatus.APPROVED)
    assert policy_issue_pending() == []  # run again: nothing left
    assert PolicyDocument.objects.filter(request=old).count() == 1


def test_the_demo_signing_pair_is_made_once(tmp_path):
    from oms_policy.signing import signing_demo_pair_ensure

    key, cert = tmp_path / "s" / "key.pem", tmp_path / "s" / "cert.pem"
    assert signing_demo_pair_ensure(key_path=key, cert_path=cert) is True
    before = (key.read_bytes(), cert.read_bytes())
    assert signing_demo_pair_ensure(key_path=key, cert_path=cert) is False
    assert (key.read_bytes(), cert.read_bytes()) == before
    assert key.stat().st_mode & 0o777 == 0o600


def test_font_is_bundled_and_licensed():
    fonts = STATIC_DIR / "fonts"
    assert (fonts / "LICENSE-DejaVu.txt").is_file()
    for face in ("DejaVuSans-LatCyr.ttf", "DejaVuSans-Bold-LatCyr.ttf"):
        size = Path(fonts / face).stat().st_size
        assert 20_000 < size < 150_000  # the subset, not the 750 kB full font


@pytest.mark.django_db
def test_seed_demo_makes_the_signing_pair_once(settings, tmp_path):
    import io as _io

    from django.core.management import call_command

    settings.DEBUG = True
    settings.POLICY_SIGNING_KEY = str(tmp_path / "signing" / "demo-key.pem")
    settings.POLICY_SIGNING_CERT = str(tmp_path / "signing" / "demo-cert.pem")
    out = _io.StringIO()
    call_command("seed_demo", stdout=out)
    assert f"{settings.POLICY_SIGNING_CERT} — создан / created" in out.getvalue()
    certificate = Path(settings.POLICY_SIGNING_CERT).read_bytes()
    out = _io.StringIO()
    call_command("seed_demo", stdout=out)
    assert "создан / created" not in out.getvalue()
    assert Path(settings.POLICY_SIGNING_CERT).read_bytes() == certificate


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"POLICY_SIGNING_KEY": None}, "POLICY_SIGNING_KEY: the variable is required and is not set."),
        ({"POLICY_SIGNING_CERT": "/nonexistent/cert.pem"}, "POLICY_SIGNING_CERT: no readable PEM file at"),
    ],
)
def test_production_stops_without_the_signing_files(tmp_path, overrides, message):
    from portal.tests.test_settings import _manage, _production_env

    result = _manage(["check", "--settings=portal.settings.production"], _production_env(tmp_path, **overrides))
    assert result.returncode != 0
    assert message in result.stderr
