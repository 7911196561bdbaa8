"""The portal's signature on every policy PDF (PAdES baseline B, pyHanko).

A clinic opens the PDF, its reader shows «подписано Портал ОМС, документ не изменён», and any
changed byte breaks it. The key and certificate are PEM files named by POLICY_SIGNING_KEY and
POLICY_SIGNING_CERT; production requires them (portal/settings/production.py); locally and in
tests a self-signed demo pair is made on first use (`signing_demo_pair_ensure`, also run by
`manage.py seed_demo`).
"""

from __future__ import annotations

import asyncio
import datetime
import fcntl
import io
import os
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# Room for the CMS signature container in the PDF: a 4096-bit RSA signature with a certificate chain
# of three fits in about 8 kB; pyHanko fails loudly (never writes a broken PDF) if it does not fit.
SIGNATURE_BYTES_RESERVED = 16 * 1024
DEMO_SUBJECT = "Портал ОМС (демо-подпись)"  # X.509 limits a CN to 64 bytes


def signing_demo_pair_ensure(*, key_path: Path, cert_path: Path) -> bool:
    """Make a self-signed demo key and certificate at these paths unless both exist.

    Returns True when it made them. Two processes starting at once take a file lock, so the key and
    the certificate always belong together. The key file is readable by its owner only.
    """
    if key_path.is_file() and cert_path.is_file():
        return False
    key_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    cert_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(key_path.parent / ".demo-pair.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if key_path.is_file() and cert_path.is_file():
            return False
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
        from cryptography.x509.oid import NameOID

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "RU"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Портал ОМС (демо)"),
                x509.NameAttribute(NameOID.COMMON_NAME, DEMO_SUBJECT),
            ]
        )
        now = datetime.datetime.now(datetime.UTC)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=True,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256())
        )
        key_tmp = key_path.with_suffix(".tmp")
        fd = os.open(key_tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(
                key.private_bytes(
                    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
                )
            )
        cert_tmp = cert_path.with_suffix(".tmp")
        cert_tmp.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        os.replace(key_tmp, key_path)
        os.replace(cert_tmp, cert_path)
    return True


def signing_paths() -> tuple[Path, Path]:
    return Path(settings.POLICY_SIGNING_KEY), Path(settings.POLICY_SIGNING_CERT)


def _cached_key_signer_class():
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ec import ECDSA, EllipticCurvePrivateKey
    from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
    from pyhanko.sign.general import get_pyca_cryptography_hash
    from pyhanko.sign.signers import SimpleSigner

    class CachedKeySigner(SimpleSigner):
        """pyHanko's SimpleSigner parses the private key again for every signature, and OpenSSL checks
        an RSA key on every load (~100 ms here, as long as a whole render): parse it once.

        It also reuses the CMS container. With PAdES and no timestamp the signed attributes of every
        policy signature are the same but for the 32-byte document digest (content type, message
        digest, signing-certificate-v2, algorithm protection: the signing time is the PDF's /M), and
        an RSA PKCS #1 v1.5 signature is deterministic and of fixed length. pyHanko builds the container
        in pure Python (asn1crypto), which cost as much as a third of the rendering. So the first
        signature is made by pyHanko and kept as a template; later ones put the new digest into it,
        sign the new signed attributes with the key and put the signature in its place — the same
        bytes pyHanko would write (`oms_policy/tests/test_policy_signing.py` compares them). Anything
        else (a timestamp, other attributes, another algorithm) goes through pyHanko every time.
        """

        _private_key = None
        _templates: dict | None = None

        async def async_sign(
            self,
            data_digest: bytes,
            digest_algorithm: str,
            dry_run=False,
            use_pades=False,
            timestamper=None,
            signed_attr_settings=None,
            is_pdf_sig=True,
            encap_content_info=None,
        ):
            from asn1crypto import cms

            plain = (
                not dry_run
                and timestamper is None
                and encap_content_info is None
                and is_pdf_sig
                and use_pades
                and (signed_attr_settings is None or _settings_plain(signed_attr_settings))
            )
            key = (digest_algorithm.lower(), len(data_digest))
            template = (self._templates or {}).get(key) if plain else None
            if template is not None:
                return cms.ContentInfo.load(template.fill(data_digest, self._sign_attributes))
            result = await super().async_sign(
                data_digest,
                digest_algorithm,
                dry_run=dry_run,
                use_pades=use_pades,
                timestamper=timestamper,
                signed_attr_settings=signed_attr_settings,
                is_pdf_sig=is_pdf_sig,
                encap_content_info=encap_content_info,
            )
            if plain:
                template = _SignatureTemplate.from_content_info(
                    result, digest=data_digest, digest_algorithm=digest_algorithm.lower()
                )
                if template is not None:
                    self._templates = {**(self._templates or {}), key: template}
            return result

        def _sign_attributes(self, signed_attributes: bytes, digest_algorithm: str) -> bytes:
            return self.sign_raw(signed_attributes, digest_algorithm)

        def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
            if self._private_key is None:
                self._private_key = serialization.load_der_private_key(self.signing_key.dump(), password=None)
            mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
            hash_algorithm = get_pyca_cryptography_hash(digest_algorithm)
            if mechanism == "rsassa_pkcs1v15" and isinstance(self._private_key, RSAPrivateKey):
                return self._private_key.sign(data, PKCS1v15(), hash_algorithm)
            if mechanism == "ecdsa" and isinstance(self._private_key, EllipticCurvePrivateKey):
                return self._private_key.sign(data, ECDSA(hash_algorithm))
            return super().sign_raw(data, digest_algorithm)

    return CachedKeySigner


# The signed attributes a reusable template may hold; any other (a signing time, CAdES attributes,
# revocation info) makes every signature go through pyHanko.
_TEMPLATE_ATTRIBUTES = frozenset(
    {"content_type", "message_digest", "signing_certificate_v2", "cms_algorithm_protection"}
)


def _settings_plain(settings_) -> bool:
    return getattr(settings_, "cades_signed_attrs", None) is None and (
        getattr(settings_, "adobe_revinfo_attr", None) is None
    )


class _SignatureTemplate:
    """A CMS SignedData (DER) with the places of the message digest, the signed attributes and the
    signature value: all three keep their lengths from one document to the next."""

    def __init__(
        self,
        *,
        der: bytes,
        digest_at: int,
        digest_length: int,
        attrs_at: int,
        attrs_end: int,
        signature_at: int,
        signature_length: int,
        digest_algorithm: str,
    ) -> None:
        self.der = der
        self.digest_at, self.digest_length = digest_at, digest_length
        self.attrs_at, self.attrs_end = attrs_at, attrs_end
        self.signature_at, self.signature_length = signature_at, signature_length
        self.digest_algorithm = digest_algorithm

    @classmethod
    def from_content_info(cls, content_info, *, digest: bytes, digest_algorithm: str):
        """The template of a container pyHanko made, or None when it cannot be reused safely."""
        signer_infos = content_info["content"]["signer_infos"]
        if len(signer_infos) != 1:
            return None
        signer_info = signer_infos[0]
        if signer_info["unsigned_attrs"].native is not None:
            return None
        if signer_info["signature_algorithm"]["algorithm"].native not in ("rsassa_pkcs1v15", "sha256_rsa"):
            return None  # only a deterministic, fixed-length signature keeps the layout
        attributes = signer_info["signed_attrs"]
        types = {attribute["type"].native for attribute in attributes}
        if "message_digest" not in types or not types <= _TEMPLATE_ATTRIBUTES:
            return None
        der = content_info.dump()
        attrs_der = attributes.dump()  # [0] IMPLICIT SET OF Attribute, as it sits in the container
        signature = signer_info["signature"].native
        if der.count(attrs_der) != 1 or der.count(signature) != 1 or attrs_der.count(digest) != 1:
            return None
        attrs_at = der.index(attrs_der)
        return cls(
            der=der,
            digest_at=attrs_at + attrs_der.index(digest),
            digest_length=len(digest),
            attrs_at=attrs_at,
            attrs_end=attrs_at + len(attrs_der),
            signature_at=der.index(signature),
            signature_length=len(signature),
            digest_algorithm=digest_algorithm,
        )

    def fill(self, digest: bytes, sign) -> bytes:
        """The container for a document with this `digest`; `sign(data, digest_algorithm)` signs."""
        if len(digest) != self.digest_length:
            raise ValueError("digest length differs from the template's")
        der = bytearray(self.der)
        der[self.digest_at : self.digest_at + len(digest)] = digest
        # The signature covers the signed attributes encoded as a SET OF (tag 0x31), not as the
        # [0] IMPLICIT field they are stored in (RFC 5652, 5.4).
        signed = b"\x31" + bytes(der[self.attrs_at + 1 : self.attrs_end])
        signature = sign(signed, self.digest_algorithm)
        if len(signature) != self.signature_length:
            raise ValueError("signature length differs from the template's")
        der[self.signature_at : self.signature_at + len(signature)] = signature
        return bytes(der)


@lru_cache(maxsize=4)
def _signer(key_path: str, cert_path: str, passphrase: str):
    from pyhanko.sign import signers

    loaded = signers.SimpleSigner.load(key_path, cert_path, key_passphrase=passphrase.encode() if passphrase else None)
    signer = None
    if loaded is not None:
        signer = _cached_key_signer_class()(
            signing_cert=loaded.signing_cert, signing_key=loaded.signing_key, cert_registry=loaded.cert_registry
        )
    if signer is None:  # pyHanko logs the reason and returns None
        raise ImproperlyConfigured(
            f"POLICY_SIGNING_KEY / POLICY_SIGNING_CERT: cannot load the key {key_path} "
            f"with the certificate {cert_path}."
        )
    return signer


def policy_signer():
    """The portal's pyHanko signer (loaded once per process and per key)."""
    key_path, cert_path = signing_paths()
    if settings.POLICY_SIGNING_DEMO_CREATE:
        signing_demo_pair_ensure(key_path=key_path, cert_path=cert_path)
    for variable, path in (("POLICY_SIGNING_KEY", key_path), ("POLICY_SIGNING_CERT", cert_path)):
        if not path.is_file():
            raise ImproperlyConfigured(f"{variable}: no file at {path}.")
    return _signer(str(key_path), str(cert_path), settings.POLICY_SIGNING_KEY_PASSPHRASE)


def policy_pdf_sign(*, pdf: bytes, document_id: str) -> bytes:
    """Return `pdf` with the portal's PAdES signature (an invisible signature field) appended."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _sign(pdf, document_id)
    # pyHanko runs its own event loop (asyncio.run); a caller inside one (an async server, Playwright)
    # gets the signature made in a thread of its own.
    with ThreadPoolExecutor(max_workers=1) as executor:
        return executor.submit(_sign, pdf, document_id).result()


def _sign(pdf: bytes, document_id: str) -> bytes:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    metadata = signers.PdfSignatureMetadata(
        field_name="PortalSignature",
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=f"Электронный полис ОМС, документ {document_id}",
        location="Портал ОМС",
    )
    # bytes_reserved: without it pyHanko signs twice (a dry run to measure the signature container).
    output = signers.sign_pdf(writer, metadata, signer=policy_signer(), bytes_reserved=SIGNATURE_BYTES_RESERVED)
    return output.getvalue()
