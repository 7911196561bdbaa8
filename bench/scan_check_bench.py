"""Workers: scan checks per second against the bare Pillow work, and the memory of one check.

Two files, made here (seeded, so every run checks the same bytes): a 12-megapixel phone photo of a
document (JPEG 4000 × 3000, lines of text on a grainy, unevenly lit page, slightly soft) and an A4
page scanned at 300 dpi (PNG 2480 × 3508, RGB).

1. The floor, per file: the bare Pillow work a readability check cannot do without — open, decode
   (a JPEG in draft mode at 1/4 scale; a PNG has no draft mode, so in full), grey, brought to the
   sharpness side, and the Laplacian's variance (ImageFilter + ImageStat).
2. The real check as `scan_check_task` runs it: `documents.services.scan_check` on a Document row
   «проверяется» whose file is in the private storage (the local copy, the decode, the measures,
   the clean copy saved back, the row updated). Only the preview's enqueue is left out (a task of
   its own, measured apart). One floor and one check in turn, after a warm-up, three rounds: load
   from other processes hits both alike. Target: check ≥ 0.8 × floor.
3. Memory: a fresh process does one check; the peak RSS (VmHWM, reset through /proc/self/clear_refs
   just before) minus the RSS before it. Target: ≤ 20 MB. The floor's own figure is shown beside
   it: a PNG has no reduced decode, and Pillow holds RGB at 4 bytes a pixel (8.7 Mpx → 35 MB).

Alone (PostgreSQL; the database is migrated, a bench citizen and its rows are added and removed):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/oms_bench .venv/bin/python -m bench.scan_check_bench
`make bench` runs it in the production shape's environment (`--json`) and writes its lines.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import resource
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_RATIO = 0.8
TARGET_MEMORY_MB = 20.0
JPEG_SIZE = (4000, 3000)
PNG_SIZE = (2480, 3508)
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


# --- the files ----------------------------------------------------------------------------------


def _page(size: tuple[int, int], *, rng: random.Random, font_px: int, grain: float):
    """A grey-white page with lines of dark text, uneven light and sensor grain, as a camera sees it."""
    from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

    width, height = size
    page = Image.new("L", size, 226)
    draw = ImageDraw.Draw(page)
    try:
        font = ImageFont.truetype(FONT, font_px)
    except OSError:
        font = ImageFont.load_default(size=font_px)
    words = [
        "ПОЛИС",
        "ОМС",
        "Фамилия",
        "Имя",
        "Отчество",
        "дата",
        "рождения",
        "место",
        "выдачи",
        "серия",
        "номер",
        "код",
        "подразделения",
    ]
    margin = width // 12
    for y in range(margin, height - margin, int(font_px * 1.7)):
        line = " ".join(rng.choice(words) for _ in range(14))
        draw.text((margin, y), line, font=font, fill=rng.randint(20, 60))
    # Light falling off towards one corner (a phone held over a desk).
    light = Image.linear_gradient("L").resize(size).point(lambda value: 255 - value // 5)
    page = ImageChops.multiply(page, light)
    page = page.filter(ImageFilter.GaussianBlur(1.2))
    noise = Image.effect_noise(size, grain)
    page = ImageChops.add(page, noise, scale=1.0, offset=-128)
    tint = Image.merge("RGB", (page, page.point(lambda value: value * 0.98), page.point(lambda value: value * 0.93)))
    return tint


def photo_jpeg() -> bytes:
    out = io.BytesIO()
    _page(JPEG_SIZE, rng=random.Random(12), font_px=58, grain=9).save(out, format="JPEG", quality=88)
    return out.getvalue()


def scan_png() -> bytes:
    out = io.BytesIO()
    _page(PNG_SIZE, rng=random.Random(300), font_px=40, grain=3).save(out, format="PNG", compress_level=6)
    return out.getvalue()


# --- the floor ----------------------------------------------------------------------------------


def floor_check(path: Path) -> float:
    """The bare Pillow work: open, decode (JPEG in draft mode), grey, sharpness side, Laplacian variance."""
    from PIL import Image, ImageStat

    from documents.scan import _LAPLACIAN, _SHARPNESS_SIDE

    with Image.open(path) as image:
        width, height = image.size
        if image.format == "JPEG":
            image.draft("L", (width // 4, height // 4))
        grey = image.convert("L")
    grey.thumbnail((_SHARPNESS_SIDE, _SHARPNESS_SIDE), Image.Resampling.BOX)
    return ImageStat.Stat(grey.filter(_LAPLACIAN)).var[0]


# --- the real check -----------------------------------------------------------------------------


class _NoPreview:
    """The preview is a task of its own: the bench measures the check, not the preview's publish.
    Shaped as a Celery task for common.tasking.enqueue_on_commit (its name, its app, delay)."""

    name = "bench-no-preview"

    @classmethod
    def app_set(cls) -> type[_NoPreview]:
        from portal.celery import app

        cls.app = app
        return cls

    @staticmethod
    def delay(*args) -> None:
        return None


@dataclass
class Owner:
    user_id: int
    request_id: int


def owner_create() -> Owner:
    from bench.dataset import citizen_create, requests_create
    from oms_policy.constants import RequestStatus
    from oms_policy.models import PolicyRequest

    user = citizen_create(tag=f"scan-{secrets.token_hex(4)}", index=0)
    requests_create(user=user, count=3, detailed=False)
    draft = PolicyRequest.objects.filter(applicant=user, status=RequestStatus.DRAFT).first()
    return Owner(user_id=user.pk, request_id=draft.pk)


def document_stored(*, owner: Owner, content: bytes, content_type: str) -> int:
    """A Document «проверяется» with `content` in the private storage, as document_upload leaves it."""
    from django.core.files.base import ContentFile

    from documents.constants import DocumentStatus
    from documents.models import Document, document_upload_to
    from oms_policy.constants import DocumentSlot

    document = Document(
        request_id=owner.request_id,
        slot=DocumentSlot.PASSPORT_PHOTO,
        uploaded_by_id=owner.user_id,
        original_name="скан.jpg" if content_type == "image/jpeg" else "скан.png",
        content_type=content_type,
        size=len(content),
        status=DocumentStatus.CHECKING,
    )
    document.file.save(document_upload_to(document, ""), ContentFile(content), save=False)
    document.save()
    return document.pk


def real_check(document_id: int) -> str:
    from documents import services

    services._preview_task = _NoPreview.app_set  # noqa: SLF001 - the preview is measured apart
    return services.scan_check(document_id=document_id)


def owner_delete(owner: Owner) -> None:
    """Remove the bench citizen, its rows and its files (they are protected, so children first)."""
    from accounts.models import User
    from documents.models import Document
    from oms_policy.models import Policy, PolicyRequest

    storage = Document._meta.get_field("file").storage
    documents = Document.objects.filter(request__applicant_id=owner.user_id)
    for document in documents:
        for name in (document.file.name, document.preview.name):
            if name and storage.exists(name):
                storage.delete(name)
    documents.delete()
    PolicyRequest.objects.filter(applicant_id=owner.user_id).delete()
    Policy.objects.filter(holder_id=owner.user_id).delete()
    User.objects.filter(pk=owner.user_id).delete()


# --- memory -------------------------------------------------------------------------------------


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(field)


def memory_one(path: Path, content_type: str, *, floor: bool = False) -> dict:
    """In this (fresh) process: one check (or, with `floor`, the floor's work); peak RSS growth in MB."""
    owner = owner_create()
    try:
        # Warm: imports, Pillow's plugins, the database connection — not the check's own memory.
        from PIL import Image

        from documents import scan, services  # noqa: F401

        Image.init()
        document_id = document_stored(owner=owner, content=path.read_bytes(), content_type=content_type)
        reset = Path("/proc/self/clear_refs")
        try:
            reset.write_text("5")  # the peak (VmHWM) starts again from the current RSS
            peak_field = "VmHWM"
        except OSError:
            peak_field = ""
        before_kb = _status_kb("VmRSS")
        before_max_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        verdict = f"sharpness {floor_check(path):.0f}" if floor else real_check(document_id)
        peak_kb = _status_kb(peak_field) if peak_field else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        if not peak_field:
            before_kb = before_max_kb
    finally:
        owner_delete(owner)
    return {"verdict": verdict, "growth_mb": max(0, peak_kb - before_kb) / 1024}


def memory_measure(path: Path, content_type: str, *, floor: bool = False) -> dict:
    result = subprocess.run(
        [sys.executable, "-m", "bench.scan_check_bench", "--memory-one", str(path), content_type]
        + (["--floor"] if floor else []),
        cwd=ROOT,
        env=os.environ,
        check=True,
        text=True,
        capture_output=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- the run ------------------------------------------------------------------------------------


@dataclass
class Figures:
    name: str
    content_type: str
    size_bytes: int
    floor: list[float]
    check: list[float]
    verdict: str = ""
    memory_mb: float = 0.0
    floor_memory_mb: float = 0.0
    memory_verdict: str = ""

    @property
    def ratios(self) -> list[float]:
        return [check / floor for check, floor in zip(self.check, self.floor, strict=True)]


def measure(*, per_round: int, rounds: int = 3) -> list[Figures]:
    work = Path(tempfile.mkdtemp(prefix="scan-bench-"))
    files = [
        ("Фото документа, JPEG 4000×3000 (12 Мп)", "image/jpeg", work / "photo.jpg", photo_jpeg()),
        ("Скан A4 300 dpi, PNG 2480×3508", "image/png", work / "scan.png", scan_png()),
    ]
    owner = owner_create()
    results = []
    try:
        for name, content_type, path, content in files:
            path.write_bytes(content)
            figures = Figures(name=name, content_type=content_type, size_bytes=len(content), floor=[], check=[])
            # Warm-up: one of each (imports, plugins, storage folders, the database connection).
            floor_check(path)
            figures.verdict = real_check(document_stored(owner=owner, content=content, content_type=content_type))
            for _ in range(rounds):
                ids = [
                    document_stored(owner=owner, content=content, content_type=content_type) for _ in range(per_round)
                ]
                floor_seconds = check_seconds = 0.0
                for document_id in ids:
                    started = time.perf_counter()
                    floor_check(path)
                    floor_seconds += time.perf_counter() - started
                    started = time.perf_counter()
                    verdict = real_check(document_id)
                    check_seconds += time.perf_counter() - started
                    if verdict != figures.verdict:
                        raise RuntimeError(f"{name}: verdict {verdict!r}, the warm-up gave {figures.verdict!r}")
                figures.floor.append(per_round / floor_seconds)
                figures.check.append(per_round / check_seconds)
            memory = memory_measure(path, content_type)
            figures.memory_mb, figures.memory_verdict = memory["growth_mb"], memory["verdict"]
            figures.floor_memory_mb = memory_measure(path, content_type, floor=True)["growth_mb"]
            results.append(figures)
    finally:
        owner_delete(owner)
        for _name, _type, path, _content in files:
            path.unlink(missing_ok=True)
        work.rmdir()
    return results


def _spread(values: list[float], fmt: str) -> str:
    return f"{fmt.format(statistics.median(values))} ({fmt.format(min(values))}–{fmt.format(max(values))})"


def table(results: list[Figures], *, per_round: int) -> list[str]:
    lines = [
        f"Scan check (`bench/scan_check_bench.py`; in one process, one floor and one check in turn, warm-up, "
        f"3 rounds × {per_round} of each; memory: a fresh process, one check, peak RSS growth):",
        "",
        "| File | floor checks/s | scan_check/s | ratio to the floor | memory per check (floor's) | verdict "
        f"| target (≥ {TARGET_RATIO} floor, ≤ {TARGET_MEMORY_MB:.0f} MB) |",
        "|---|---|---|---|---|---|---|",
    ]
    for item in results:
        met = statistics.median(item.ratios) >= TARGET_RATIO and item.memory_mb <= TARGET_MEMORY_MB
        lines.append(
            f"| {item.name}, {item.size_bytes / 1_000_000:.1f} MB | {_spread(item.floor, '{:.1f}')} "
            f"| {_spread(item.check, '{:.1f}')} | {_spread(item.ratios, '{:.2f}')} | {item.memory_mb:.1f} MB "
            f"({item.floor_memory_mb:.1f} MB) "
            f"| {item.verdict} | {'met' if met else '**not met**'} |"
        )
    return lines


def django_ready(*, migrate: bool) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.local")
    os.environ.setdefault("DEBUG", "false")
    import django

    django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", "--noinput", verbosity=0)
        from oms_policy.services import reference_data_ensure

        reference_data_ensure()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--per-round", type=int, default=int(os.environ.get("BENCH_SCAN_PER_ROUND", "8")))
    parser.add_argument("--json", action="store_true", help="print one JSON line: the table's lines (for bench.run)")
    parser.add_argument("--memory-one", nargs=2, metavar=("PATH", "CONTENT_TYPE"), help=argparse.SUPPRESS)
    parser.add_argument("--floor", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    django_ready(migrate=not args.memory_one and not args.json)
    if args.memory_one:
        print(json.dumps(memory_one(Path(args.memory_one[0]), args.memory_one[1], floor=args.floor)))
        return
    results = measure(per_round=args.per_round)
    lines = table(results, per_round=args.per_round)
    if args.json:
        print(json.dumps({"lines": lines}))
    else:
        print("\n".join(lines))


if __name__ == "__main__":
    main()
