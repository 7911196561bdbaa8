"""A checked upload kept while the rest of its form is put right, so it need not be sent again.

A form with a mistake in another field would otherwise lose a file that took minutes to record or
upload. The file waits in private storage under the caller's directory, at most one per owner (a
form sent again and again must not pile up large files); the form carries a signed token that names
the owner and the file and expires; files nobody came back for are purged by the caller's sweep.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass

from django.core import signing
from django.core.files import File
from django.core.files.storage import default_storage
from django.utils import timezone


@dataclass(frozen=True)
class KeptUploads:
    """One kind of kept upload: where it waits, the signing salt, and how long it is good for."""

    directory: str
    salt: str
    token_max_age: datetime.timedelta
    keep_for: datetime.timedelta

    def keep(self, *, owner: str, file: File, extension: str, content_type: str) -> str:
        """Store `file` for `owner` (replacing the owner's previous one); return the form's token."""
        prefix = f"{owner}-"
        for file_name in self._file_names():
            if file_name.startswith(prefix):
                default_storage.delete(f"{self.directory}/{file_name}")
        name = default_storage.save(f"{self.directory}/{prefix}{uuid.uuid4().hex}.{extension}", file)
        return signing.dumps({"owner": owner, "name": name, "type": content_type}, salt=self.salt, compress=True)

    def get(self, *, owner: str, token: str) -> tuple[File, str] | None:
        """The kept file for `token` as (file, content type), or None if the token is bad, old or foreign."""
        try:
            data = signing.loads(token, salt=self.salt, max_age=self.token_max_age)
        except signing.BadSignature:
            return None
        name = str(data.get("name", ""))
        if data.get("owner") != owner or not name.startswith(f"{self.directory}/") or ".." in name:
            return None
        if not default_storage.exists(name):
            return None
        handle = default_storage.open(name, "rb")
        return File(handle, name=name.rsplit("/", 1)[-1]), str(data.get("type", ""))

    def name_for(self, *, owner: str) -> str | None:
        """The storage name of `owner`'s kept file (there is at most one), or None."""
        names = sorted(name for name in self._file_names() if name.startswith(f"{owner}-"))
        return f"{self.directory}/{names[-1]}" if names else None

    def delete(self, *, file: File) -> None:
        """Remove a kept file once it has been copied to where it belongs."""
        name = f"{self.directory}/{file.name}"
        file.close()
        default_storage.delete(name)

    def purge(self, *, now: datetime.datetime | None = None) -> int:
        """Delete kept files older than `keep_for` (forms abandoned after a mistake); return how many."""
        now = now or timezone.now()
        deleted = 0
        for file_name in self._file_names():
            name = f"{self.directory}/{file_name}"
            if default_storage.get_modified_time(name) < now - self.keep_for:
                default_storage.delete(name)
                deleted += 1
        return deleted

    def _file_names(self) -> list[str]:
        try:
            _dirs, files = default_storage.listdir(self.directory)
        except FileNotFoundError:
            return []
        return files
