"""What every reader of an XLSX file checks first.

It must be a ZIP archive that does not unpack to far more than a workbook of real data (a zip
bomb), and some errors mean "not a workbook". The readers (customer and invoice imports, bank
statements) raise their own error types with their own words, so this module only measures and
judges.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from dataclasses import dataclass

from openpyxl.utils.exceptions import InvalidFileException

#: What openpyxl and zipfile raise for a file that is not a readable workbook.
XLSX_ERRORS = (
    zipfile.BadZipFile,
    InvalidFileException,
    KeyError,
    OSError,
    ValueError,
    SyntaxError,
    EOFError,
    zlib.error,
)
#: What the members of an archive may unpack to: each at most ``MAX_UNPACKED`` bytes, and all
#: together at most ``MAX_RATIO`` times their packed size once they exceed ``RATIO_FROM``.
MAX_UNPACKED = 200_000_000
MAX_RATIO = 100
RATIO_FROM = 1_000_000


class NotAWorkbookError(ValueError):
    """The bytes are not a readable ZIP archive."""


@dataclass(frozen=True)
class ArchiveSizes:
    """How an archive unpacks, from its directory.

    Reading a member stops at its stated size, so an archive cannot unpack to more than it states.
    """

    largest: int
    unpacked: int
    packed: int

    @property
    def has_a_part_too_large(self) -> bool:
        """One member alone unpacks to more than any workbook is read."""
        return self.largest > MAX_UNPACKED

    @property
    def is_packed_too_tightly(self) -> bool:
        """Far more tightly packed than workbooks of real data ever are: a zip bomb."""
        return self.unpacked > RATIO_FROM and self.unpacked > MAX_RATIO * self.packed


def archive_sizes(data: bytes) -> ArchiveSizes:
    """The sizes of an archive's members, before anything is unpacked.

    Raises:
        NotAWorkbookError: the bytes are not a readable ZIP archive.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise NotAWorkbookError from None
    return ArchiveSizes(
        largest=max((member.file_size for member in members), default=0),
        unpacked=sum(member.file_size for member in members),
        packed=sum(member.compress_size for member in members),
    )
