"""The portal's signature: the reused CMS container (oms_policy.signing) writes the very bytes pyHanko
would, every signed PDF validates on its own, and anything out of the ordinary goes through pyHanko."""

from __future__ import annotations

import asyncio
import datetime
import hashlib
import io
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from pypdf import PdfWriter

from oms_policy import signing


def _pdf(title: str) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": title})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _in_thread(function, *args, **kwargs):
    """pyHanko runs its own event loop (asyncio.run): off the main thread, where a browser test's
    Playwright may have left one running."""
    with ThreadPoolExecutor(max_workers=1) as executor:
        return executor.submit(function, *args, **kwargs).result()


def _validate(data: bytes):
    return _in_thread(_validate_here, data)


def _validate_here(data: bytes):
    from pyhanko.keys import load_cert_from_pemder
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    certificate = load_cert_from_pemder(settings.POLICY_SIGNING_CERT)
    reader = PdfFileReader(io.BytesIO(data))
    assert len(reader.embedded_signatures) == 1
    return validate_pdf_signature(reader.embedded_signatures[0], ValidationContext(trust_roots=[certificate]))


def _pyhanko_signer():
    """pyHanko's own signer for the same key and certificate, with no template."""
    from pyhanko.sign.signers import SimpleSigner

    signing.policy_signer()  # makes the demo pair when missing
    key_path, cert_path = signing.signing_paths()
    return SimpleSigner.load(str(key_path), str(cert_path))


def _cms(signer, digest: bytes, **options) -> bytes:
    from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes

    attributes = PdfCMSSignedAttributes(signing_time=datetime.datetime.now(datetime.UTC))
    result = _in_thread(asyncio.run, signer.async_sign(digest, "sha256", signed_attr_settings=attributes, **options))
    return result.dump()


def test_the_reused_container_is_byte_for_byte_what_pyhanko_writes():
    signer = signing.policy_signer()
    _cms(signer, hashlib.sha256(b"first document").digest(), use_pades=True)  # the template is made
    assert signer._templates, "a plain PAdES signature must leave a template"
    for text in (b"second document", b"third document"):
        digest = hashlib.sha256(text).digest()
        assert _cms(signer, digest, use_pades=True) == _cms(_pyhanko_signer(), digest, use_pades=True)


def test_every_pdf_signed_from_the_template_validates_and_a_changed_byte_breaks_it():
    signed = [signing.policy_pdf_sign(pdf=_pdf(f"Policy {n}"), document_id=f"doc-{n}") for n in range(3)]
    assert signing.policy_signer()._templates  # the second and third came from the template
    for data in signed:
        status = _validate(data)
        assert (status.intact, status.valid, status.trusted) == (True, True, True)
    broken = bytearray(signed[2])
    offset = broken.index(b"Policy 2")  # the title, inside the signed byte range
    broken[offset : offset + 1] = b"p"
    assert _validate(bytes(broken)).intact is False


def test_a_signature_with_a_signing_time_attribute_goes_through_pyhanko():
    """Without PAdES the signing time is a signed attribute that changes every time: no template."""
    from asn1crypto import cms
    from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes

    signer = signing.policy_signer()
    digest = hashlib.sha256(b"cades document").digest()
    times = []
    for when in (
        datetime.datetime(2026, 1, 5, 9, 0, tzinfo=datetime.UTC),
        datetime.datetime(2026, 2, 6, 10, 0, tzinfo=datetime.UTC),
    ):
        attributes = PdfCMSSignedAttributes(signing_time=when)
        result = _in_thread(
            asyncio.run, signer.async_sign(digest, "sha256", use_pades=False, signed_attr_settings=attributes)
        )
        signed_attrs = cms.ContentInfo.load(result.dump())["content"]["signer_infos"][0]["signed_attrs"]
        times += [a["values"][0].native for a in signed_attrs if a["type"].native == "signing_time"]
    assert times == [
        datetime.datetime(2026, 1, 5, 9, 0, tzinfo=datetime.UTC),
        datetime.datetime(2026, 2, 6, 10, 0, tzinfo=datetime.UTC),
    ]
