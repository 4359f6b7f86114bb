"""Uploaded studies: a zip of DICOM files or of image files (one per phase, named by phase), checked and unpacked
into the study's ``input/`` folder.

Refused with :class:`UploadError` (HTTP status and a message saying what to fix): a body over the size limit,
anything that is not a zip archive, members with absolute paths, '..' or links, more members or more unpacked
bytes than the limits allow (zip bombs). Nothing is left behind by a refused upload.
"""

from __future__ import annotations

import shutil
import stat
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path, PurePosixPath

import anyio

CHUNK = 1 << 20
MAX_MEMBERS = 50_000
#: The largest one file of an upload may unpack to by default (an enhanced multi-frame series or an uncompressed
#: NIfTI of a long CT fits; a small zip of gigabytes of zeros does not).
MAX_MEMBER_BYTES = 1 << 30
#: Names the file system can hold everywhere: path components of at most 255 bytes, at most 32 levels deep.
MAX_NAME_BYTES = 255
MAX_DEPTH = 32
#: Where a study folder keeps the masks that came with its upload (``liver.<suffix>``, ``lesions.<suffix>``).
MASK_FOLDER = "masks"


class UploadError(ValueError):
    """An upload that is refused; ``status_code`` is the HTTP status to answer with."""

    def __init__(self, message: str, status_code: int = 400) -> None:
        super().__init__(message)
        self.status_code = status_code


async def receive_upload(chunks: AsyncIterator[bytes], target: Path, max_bytes: int) -> int:
    """Write the body ``chunks`` to ``target``, refusing with 413 past ``max_bytes``; the bytes written. The file
    is written from a worker thread, so a slow disk does not hold up the server's other requests."""
    written = 0
    async with await anyio.open_file(target, "wb") as out:
        async for chunk in chunks:
            written += len(chunk)
            if written > max_bytes:
                raise UploadError(
                    f"the upload is larger than the limit of {max_bytes / 2**20:.0f} MiB; send a "
                    "smaller study or start the server with a larger --max-upload-mb",
                    413,
                )
            await out.write(chunk)
    if written == 0:
        raise UploadError("the upload is empty: send a zip of the study's DICOM or NIfTI files")
    return written


def unpack_study(
    archive: Path, destination: Path, max_unpacked_bytes: int, max_member_bytes: int = MAX_MEMBER_BYTES
) -> Path:
    """Check and unpack the zip ``archive`` into ``destination`` (created; removed again on refusal) and return
    the folder to analyse: the deepest folder that holds everything (a zip of one folder is that folder).

    The sizes are checked twice: from the archive's directory before anything is written, and while each member
    is written (bytes counted as they are unpacked), so an archive whose directory understates them is refused too.
    This is blocking work: the service calls it from a worker thread."""
    if not zipfile.is_zipfile(archive):
        raise UploadError("the upload is not a zip archive: zip the study's DICOM folder or its NIfTI files", 415)
    try:
        with zipfile.ZipFile(archive) as z:
            members = [m for m in z.infolist() if not m.is_dir()]
            _check_members(members, max_unpacked_bytes, max_member_bytes)
            destination.mkdir(parents=True)
            total = 0
            for member in members:
                path = destination.joinpath(*_parts(member.filename))
                path.parent.mkdir(parents=True, exist_ok=True)
                with z.open(member) as src, open(path, "wb") as out:
                    written = 0
                    while chunk := src.read(CHUNK):
                        written += len(chunk)
                        total += len(chunk)
                        _check_sizes(member.filename, written, total, max_unpacked_bytes, max_member_bytes)
                        out.write(chunk)
    except zipfile.BadZipFile as error:
        shutil.rmtree(destination, ignore_errors=True)
        raise UploadError(f"the zip archive is damaged ({error}); zip the study again") from error
    except OSError as error:
        shutil.rmtree(destination, ignore_errors=True)
        raise UploadError(
            f"a file of the zip archive cannot be unpacked ({error.strerror or type(error).__name__}); zip the "
            "study folder again with ordinary file names"
        ) from error
    except BaseException:
        shutil.rmtree(destination, ignore_errors=True)
        raise
    return analysis_root(destination)


def _check_sizes(name: str, member_bytes: int, total_bytes: int, max_total: int, max_member: int) -> None:
    if member_bytes > max_member:
        raise UploadError(
            f"the zip archive's file {_short(name)} unpacks to more than {max_member / 2**20:.0f} MiB, the limit for "
            "one file",
            413,
        )
    if total_bytes > max_total:
        raise UploadError(f"the zip archive unpacks to more than {max_total / 2**20:.0f} MiB", 413)


def _parts(name: str) -> tuple[str, ...]:
    return PurePosixPath(name.replace("\\", "/")).parts


def _short(name: str) -> str:
    return repr(name if len(name) <= 80 else name[:40] + "..." + name[-37:])


def take_masks(unpacked: Path, names: dict[str, str], study_folder: Path) -> None:
    """Move the masks named in the upload (``names``: 'liver' or 'lesions' -> path of the file inside the zip) out of
    the unpacked study into ``study_folder/masks/<kind><suffix>``, so they are not read as image series (one file
    may hold both, as a DICOM SEG of the liver and its lesions does)."""
    sources = []
    for kind, name in names.items():
        parts = PurePosixPath(name.replace("\\", "/")).parts
        source = unpacked.joinpath(*parts) if parts and ".." not in parts and not name.startswith("/") else None
        if source is None or not source.is_file():
            raise UploadError(f"the zip archive has no file {name!r} (the {kind} mask named in the request)")
        lower = source.name.lower()
        suffix = ".nii.gz" if lower.endswith(".nii.gz") else (source.suffix.lower() or ".dcm")
        (study_folder / MASK_FOLDER).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, study_folder / MASK_FOLDER / f"{kind}{suffix}")
        sources.append(source)
    for source in set(sources):
        source.unlink()


def analysis_root(folder: Path) -> Path:
    """The folder to analyse inside an unpacked upload: descend while a folder holds one folder only."""
    root = folder
    while True:
        entries = [p for p in root.iterdir() if not p.name.startswith(".") and p.name != "__MACOSX"]
        if len(entries) == 1 and entries[0].is_dir():
            root = entries[0]
        else:
            return root


def _check_members(members: list[zipfile.ZipInfo], max_unpacked_bytes: int, max_member_bytes: int) -> None:
    if not members:
        raise UploadError("the zip archive holds no files")
    if len(members) > MAX_MEMBERS:
        raise UploadError(f"the zip archive holds {len(members)} files, more than {MAX_MEMBERS}")
    total = 0
    files: set[tuple[str, ...]] = set()
    folders: set[tuple[str, ...]] = set()
    for member in members:
        name = member.filename
        parts = _parts(name)
        if name.startswith(("/", "\\")) or (parts and ":" in parts[0]) or ".." in parts or not parts:
            raise UploadError(
                f"the zip archive holds a file outside its own folder ({_short(name)}); zip the study folder itself"
            )
        if stat.S_ISLNK(member.external_attr >> 16):
            raise UploadError(f"the zip archive holds a link ({_short(name)}); zip the files themselves")
        if len(parts) > MAX_DEPTH:
            raise UploadError(
                f"the zip archive holds a path {len(parts)} levels deep ({_short(name)}); at most {MAX_DEPTH} "
                "levels can be unpacked: zip the study with fewer nested folders"
            )
        longest = max(len(part.encode()) for part in parts)
        if longest > MAX_NAME_BYTES:
            raise UploadError(
                f"the zip archive holds a name of {longest} bytes ({_short(name)}); file and folder names of at "
                f"most {MAX_NAME_BYTES} bytes can be unpacked: rename it"
            )
        key = tuple(parts)
        if key in files or key in folders or any(key[:n] in files for n in range(1, len(key))):
            raise UploadError(
                f"the zip archive holds {_short(name)} twice, or both as a file and as a folder; zip the study again"
            )
        files.add(key)
        folders.update(key[:n] for n in range(1, len(key)))
        _check_sizes(name, member.file_size, total + member.file_size, max_unpacked_bytes, max_member_bytes)
        total += member.file_size
