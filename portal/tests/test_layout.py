"""The code's shape, checked: where modules live and who may import whom (issue 6, points 13–15)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APPS = {"accounts", "oms_policy", "documents", "notifications", "support", "portal"}


def _imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function."""
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
    return modules


COMMON_MODULES = sorted((ROOT / "common").glob("*.py"))


def test_common_holds_the_shared_helpers():
    """The helpers several apps use live in common/, not in portal/ (which imports those apps)."""
    import common.counters
    import common.tasking

    assert callable(common.counters.counter_hit)
    assert callable(common.tasking.enqueue_on_commit)
    assert not (ROOT / "portal" / "counters.py").exists()
    assert not (ROOT / "portal" / "tasking.py").exists()
    assert not (ROOT / "common" / "models.py").exists()


@pytest.mark.parametrize("path", COMMON_MODULES, ids=lambda path: path.name)
def test_common_imports_no_app(path):
    """common/ sits below every app: importing one from it would bring the cycle back."""
    apps_imported = {module for module in _imported_modules(path) if module.split(".")[0] in APPS}
    assert apps_imported == set()


def test_no_app_imports_portal():
    """portal is the project shell: it imports the apps, so no app may import it back."""
    offenders = []
    for app in APPS - {"portal"}:
        for path in (ROOT / app).rglob("*.py"):
            if "tests" in path.parts or "migrations" in path.parts:
                continue
            if any(module.split(".")[0] == "portal" for module in _imported_modules(path)):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


# --- accounts: packages a newcomer can read (point 13) ---------------------------------------------

ACCOUNTS_TOP_LEVEL = {
    "__init__",
    "admin",
    "apps",
    "backends",
    "constants",
    "managers",
    "middleware",
    "models",
    "selectors",
    "services",
    "tasks",
    "urls",
    "validators",
}


def test_accounts_top_level_holds_only_the_django_files():
    """Flows live in sub-packages (login/, registration/, verification/, …), not in prefix-named modules."""
    modules = {path.stem for path in (ROOT / "accounts").glob("*.py")}
    assert modules - ACCOUNTS_TOP_LEVEL == set()


def test_accounts_packages_name_files_by_what_they_hold():
    """Inside a package no file repeats the package's name as a prefix (login/login_views.py)."""
    repeated = [
        str(path.relative_to(ROOT))
        for package in (ROOT / "accounts").iterdir()
        if (package / "__init__.py").exists()
        for path in package.glob("*.py")
        if path.stem.startswith(f"{package.name}_")
    ]
    assert repeated == []


def test_the_staff_change_of_contact_has_its_own_module():
    """contact/services.py is the citizen's flow; staff's change from the admin is contact/staff.py."""
    import accounts.admin
    from accounts.contact import services, staff

    assert accounts.admin.contact_change_by_staff is staff.contact_change_by_staff
    assert not hasattr(services, "contact_change_by_staff")


_CODE_HELPERS = {"contact_code_generate", "contact_code_hash", "contact_code_matches", "code_check"}


def test_the_sms_code_helpers_have_their_own_module():
    """The code helpers (registration's and the change of phone's) live in contact/codes.py, and
    every importer, function-local imports and tests included, takes them from there."""
    from accounts.contact import codes

    assert {name for name in _CODE_HELPERS if getattr(codes, name).__module__ == codes.__name__} == _CODE_HELPERS
    offenders = []
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and node.module == "accounts.contact.services":
                    names = {alias.name for alias in node.names} & _CODE_HELPERS
                    offenders += [f"{path.relative_to(ROOT)} imports {name}" for name in sorted(names)]
    assert offenders == []


_WRITES = {"save", "create", "update", "delete", "bulk_create", "get_or_create", "update_or_create"}


def test_accounts_views_leave_writes_and_audit_to_the_services():
    """A view reads the form and picks the page; audit rows, lock-out resets and row writes are services'."""
    offenders = []
    for path in (ROOT / "accounts").glob("*/views.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module in {"accounts.services", "axes.utils"}:
                names = {alias.name for alias in node.names} & {"audit_record", "reset"}
                offenders += [f"{path.relative_to(ROOT)} imports {name}" for name in sorted(names)]
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in _WRITES
                and not ast.unparse(node.func.value).startswith("request.session")
            ):
                offenders.append(f"{path.relative_to(ROOT)}: {ast.unparse(node.func)}()")
    assert offenders == []


# --- file plumbing lives in documents (point 15) --------------------------------------------------

_FILE_SIGNATURES = (b"\xff\xd8\xff", b"\x89PNG", b"%PDF", b"\x1a\x45\xdf\xa3", b"ftyp")


def _source_files(app: str):
    return [path for path in (ROOT / app).rglob("*.py") if "tests" not in path.parts and "migrations" not in path.parts]


def test_accounts_does_no_content_sniffing_or_file_keeping_of_its_own():
    """Signatures, byte ranges and kept uploads are documents' business; accounts calls it."""
    offenders = []
    for path in _source_files("accounts"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, bytes):
                if any(signature in node.value for signature in _FILE_SIGNATURES):
                    offenders.append(f"{path.relative_to(ROOT)}: bytes {node.value!r}")
            elif isinstance(node, ast.Attribute) and node.attr in {"listdir", "get_modified_time"}:
                offenders.append(f"{path.relative_to(ROOT)}: storage.{node.attr}")
            elif isinstance(node, ast.Constant) and node.value in {"HTTP_RANGE", "Content-Range"}:
                offenders.append(f"{path.relative_to(ROOT)}: {node.value}")
    assert offenders == []


def test_identity_video_uses_the_documents_plumbing():
    from accounts.verification import forms, services
    from documents import kept_uploads, serving, sniffing, video_structure

    assert forms.file_sniff is sniffing.file_sniff
    assert forms.video_is_playable is video_structure.video_is_playable
    assert isinstance(services.UNSENT_VIDEOS, kept_uploads.KeptUploads)
    assert sniffing.file_sniff(b"\x1a\x45\xdf\xa3" + bytes(12)) == "video/webm"
    assert sniffing.file_sniff(b"\x00\x00\x00\x18ftypmp42" + bytes(4)) == "video/mp4"
    assert sniffing.file_sniff(b"\xff\xd8\xff\xe0" + bytes(12)) == "image/jpeg"
    import accounts.admin

    assert accounts.admin.private_file_response is serving.private_file_response
