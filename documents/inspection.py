"""Safety checks at upload: what a file really is, decided from its bytes, and whether it is safe to keep.

Only JPEG, PNG and PDF are accepted, recognised by their first bytes (documents.sniffing: never by the
name or the browser's content type). Images are opened by Pillow restricted to the sniffed format, with a pixel
limit (a decompression bomb is an error, not a warning), and read to the end so a truncated or
corrupt file is refused. PDFs are parsed by pypdf: encrypted files, JavaScript, open/auto actions,
launch actions, embedded files, XFA forms and rich media are refused, and so are too many pages.

These checks run in the web process and are cheap in memory: a JPEG is decoded at 1/8 scale (the
decoder still reads every byte), a PNG is walked chunk by chunk with its checksums. The full decode
and the clean re-encoded copy are made by the scan check (documents.scan), in the worker.
Every refusal is a ValidationError with a plain Russian message and a code.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import Image, ImageFile

from documents.sniffing import SNIFF_BYTES, file_sniff

FORMATS = {
    # content type: (Pillow format or "", file extension for downloads)
    "image/jpeg": ("JPEG", "jpg"),
    "image/png": ("PNG", "png"),
    "application/pdf": ("", "pdf"),
}

# Keys and action types that make a PDF do something by itself, carry other files, or hold forms
# and media no scan needs. Found anywhere reachable from the document catalogue, the file is refused.
_PDF_ACTIVE_KEYS = frozenset({"/JS", "/JavaScript", "/OpenAction", "/AA"})
_PDF_ACTIVE_ACTIONS = frozenset({"/JavaScript", "/Launch", "/ImportData", "/SubmitForm", "/GoToE", "/GoToR"})
_PDF_EMBEDDED_KEYS = frozenset({"/EmbeddedFile", "/EmbeddedFiles", "/EF"})
_PDF_EMBEDDED_SUBTYPES = frozenset({"/FileAttachment"})
_PDF_MEDIA_KEYS = frozenset({"/XFA", "/RichMedia", "/RichMediaContent", "/RichMediaSettings"})
_PDF_MEDIA_SUBTYPES = frozenset({"/RichMedia", "/Movie", "/Sound", "/Screen", "/3D"})
# A scan has a few hundred objects; a file with this many is refused rather than walked for long.
_PDF_MAX_OBJECTS = 50_000


@dataclass(frozen=True)
class InspectedFile:
    content_type: str
    extension: str
    width: int = 0
    height: int = 0
    pages: int = 0


def _refuse(message: str, code: str) -> ValidationError:
    return ValidationError(message, code=code)


def _corrupt() -> ValidationError:
    return _refuse(
        _("Файл повреждён или загружен не полностью: откройте его у себя, сохраните заново и загрузите ещё раз."),
        "corrupt",
    )


def file_inspect(*, file: IO[bytes]) -> InspectedFile:
    """Decide what `file` is and whether it may be kept; raise ValidationError (Russian) if not."""
    file.seek(0)
    head = file.read(SNIFF_BYTES)
    file.seek(0)
    if not head:
        raise _refuse(_("Файл пустой. Выберите снимок или скан документа."), "empty")
    content_type = file_sniff(head)
    if content_type not in FORMATS:
        raise _refuse(
            _("Можно загрузить только фотографию или скан в формате JPEG, PNG или PDF. Этот файл — другого типа."),
            "wrong_type",
        )
    try:
        if content_type == "application/pdf":
            return _inspect_pdf(file)
        return _inspect_image(file, content_type)
    finally:
        file.seek(0)


class _KeepOpen:
    """The caller's file for Pillow, whose close() (PNG verify closes its stream) leaves it open."""

    def __init__(self, file: IO[bytes]) -> None:
        self._file = file

    def read(self, *args):
        return self._file.read(*args)

    def seek(self, *args):
        return self._file.seek(*args)

    def tell(self) -> int:
        return self._file.tell()

    def close(self) -> None:
        return None


@contextlib.contextmanager
def strict_decoding() -> Iterator[None]:
    """Warnings about bombs are errors, and a truncated image is an error, whatever the process set.

    WeasyPrint sets Pillow's global ImageFile.LOAD_TRUNCATED_IMAGES = True when it is imported (the
    policy PDF task and the web process import it), which would let a truncated scan through.
    """
    previous = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            yield
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = previous


def image_open(file: IO[bytes], content_type: str) -> Image.Image:
    """Open an image with Pillow restricted to its sniffed format and the pixel limit.

    Raises ValidationError for a bomb (too many pixels) or a file Pillow cannot read. Pillow's own
    DecompressionBombWarning is turned into an error here, whatever the global warning filters say.
    """
    pillow_format = FORMATS[content_type][0]
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(_KeepOpen(file), formats=[pillow_format])
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _too_many_pixels() from None
        except Exception:  # Pillow raises many kinds on hostile input; all mean «not a readable image»
            raise _corrupt() from None
    width, height = image.size
    if width < 1 or height < 1 or width * height > settings.DOCUMENT_MAX_PIXELS:
        image.close()
        raise _too_many_pixels()
    return image


def _too_many_pixels() -> ValidationError:
    megapixels = settings.DOCUMENT_MAX_PIXELS // 1_000_000
    return _refuse(
        _("Изображение слишком большое: больше %(megapixels)s мегапикселей. Уменьшите его или сделайте снимок заново.")
        % {"megapixels": megapixels},
        "too_many_pixels",
    )


def _inspect_image(file: IO[bytes], content_type: str) -> InspectedFile:
    image = image_open(file, content_type)
    width, height = image.size
    try:
        with strict_decoding():
            if content_type == "image/jpeg":
                # Decoding at 1/8 scale keeps memory small; the decoder still reads to the end, so a
                # truncated file fails here ("image file is truncated").
                image.draft("L", (max(1, width // 8), max(1, height // 8)))
                image.load()
            else:
                # Walks every chunk to IEND and checks its CRC, without inflating the pixels.
                image.verify()
    except ValidationError:
        raise
    except Exception:
        raise _corrupt() from None
    finally:
        image.close()
    return InspectedFile(
        content_type=content_type, extension=FORMATS[content_type][1], width=width, height=height, pages=1
    )


def _inspect_pdf(file: IO[bytes]) -> InspectedFile:
    from pypdf import PdfReader

    try:
        reader = PdfReader(file, strict=False)
        encrypted = reader.is_encrypted
    except Exception:
        raise _corrupt() from None
    if encrypted:
        raise _refuse(
            _("PDF защищён паролем. Загрузите файл без пароля или фотографию страницы."),
            "pdf_encrypted",
        )
    try:
        pages = len(reader.pages)
        root = reader.trailer["/Root"].get_object()
        problem = _pdf_problem(root)
    except ValidationError:
        raise
    except Exception:
        raise _corrupt() from None
    if problem == "active":
        raise _refuse(
            _(
                "PDF содержит скрипты или автоматические действия — такие файлы не принимаем. "
                "Сохраните документ заново («Печать» → «Сохранить как PDF») или загрузите фотографию страницы."
            ),
            "pdf_active_content",
        )
    if problem == "embedded":
        raise _refuse(
            _("PDF содержит вложенные файлы. Загрузите PDF без вложений или фотографию страницы."),
            "pdf_embedded_files",
        )
    if problem == "media":
        raise _refuse(
            _(
                "PDF содержит интерактивную форму или мультимедиа. Сохраните документ заново "
                "(«Печать» → «Сохранить как PDF») или загрузите фотографию страницы."
            ),
            "pdf_rich_content",
        )
    if problem == "too_complex" or pages < 1:
        raise _corrupt()
    if pages > settings.DOCUMENT_PDF_MAX_PAGES:
        raise _refuse(
            _("В PDF %(pages)s страниц, а можно не больше %(limit)s. Загрузите только нужные страницы.")
            % {"pages": pages, "limit": settings.DOCUMENT_PDF_MAX_PAGES},
            "pdf_too_many_pages",
        )
    return InspectedFile(content_type="application/pdf", extension="pdf", pages=pages)


def _pdf_problem(root) -> str | None:
    """Walk every object reachable from the catalogue; name the first kind of forbidden content found."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    seen: set[tuple[int, int]] = set()
    stack = [root]
    visited = 0
    while stack:
        node = stack.pop()
        if isinstance(node, IndirectObject):
            key = (node.idnum, node.generation)
            if key in seen:
                continue
            seen.add(key)
            node = node.get_object()
        visited += 1
        if visited > _PDF_MAX_OBJECTS:
            return "too_complex"
        if isinstance(node, DictionaryObject):
            keys = set(node.keys())
            if keys & _PDF_ACTIVE_KEYS:
                return "active"
            if str(node.get("/S", "")) in _PDF_ACTIVE_ACTIONS:
                return "active"
            if keys & _PDF_EMBEDDED_KEYS or str(node.get("/Subtype", "")) in _PDF_EMBEDDED_SUBTYPES:
                return "embedded"
            if keys & _PDF_MEDIA_KEYS or str(node.get("/Subtype", "")) in _PDF_MEDIA_SUBTYPES:
                return "media"
            # The parent link leads back up the page tree: everything there is reached from the root.
            stack.extend(value for name, value in node.items() if name != "/Parent")
        elif isinstance(node, ArrayObject):
            stack.extend(node)
    return None
