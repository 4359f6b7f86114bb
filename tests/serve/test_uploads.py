"""Uploads: zip archives are checked before anything is unpacked; hostile ones are refused with a message and
leave nothing behind."""

import asyncio
import stat
import zipfile

import pytest

from hepatica.serve.uploads import UploadError, analysis_root, receive_upload, unpack_study


def _zip(path, members):
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members.items():
            if isinstance(data, zipfile.ZipInfo):
                z.writestr(data, b"target")
            else:
                z.writestr(name, data)
    return path


def _refused(archive, tmp_path, status, match, limit=10 * 2**20):
    destination = tmp_path / "input"
    with pytest.raises(UploadError, match=match) as refused:
        unpack_study(archive, destination, max_unpacked_bytes=limit)
    assert refused.value.status_code == status
    assert not destination.exists()


def test_a_zip_of_one_folder_is_analysed_from_that_folder(tmp_path):
    archive = _zip(tmp_path / "a.zip", {"study/series1/1.dcm": b"x", "study/series1/2.dcm": b"y"})
    root = unpack_study(archive, tmp_path / "input", max_unpacked_bytes=1000)
    assert root == tmp_path / "input" / "study" / "series1"
    assert sorted(p.name for p in root.iterdir()) == ["1.dcm", "2.dcm"]
    assert analysis_root(tmp_path / "input") == root


@pytest.mark.parametrize(
    "name", ["../escape.dcm", "study/../../escape.dcm", "/etc/passwd", "C:/windows/x.dcm", "study\\..\\..\\escape.dcm"]
)
def test_members_outside_the_archive_folder_are_refused(tmp_path, name):
    _refused(_zip(tmp_path / "bad.zip", {"study/ok.dcm": b"x", name: b"y"}), tmp_path, 400, "outside its own folder")
    assert not (tmp_path.parent / "escape.dcm").exists()


def test_links_are_refused(tmp_path):
    link = zipfile.ZipInfo("study/link")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    _refused(_zip(tmp_path / "link.zip", {"study/link": link}), tmp_path, 400, "holds a link")


def test_archives_that_unpack_past_the_limit_are_refused_before_unpacking(tmp_path):
    archive = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("study/zeros.dcm", b"\0" * (8 * 2**20))  # 8 MiB of zeros: a few KiB compressed
    assert archive.stat().st_size < 100_000
    _refused(archive, tmp_path, 413, "unpacks to more than 1 MiB", limit=2**20)


def test_not_a_zip_and_empty_archives_are_refused(tmp_path):
    text = tmp_path / "study.dcm"
    text.write_bytes(b"DICM" * 100)
    _refused(text, tmp_path, 415, "not a zip archive")
    _refused(_zip(tmp_path / "empty.zip", {}), tmp_path, 400, "holds no files")


def test_bodies_past_the_size_limit_are_refused(tmp_path):
    async def chunks():
        for _ in range(5):
            yield b"x" * 1000

    with pytest.raises(UploadError, match="larger than the limit") as refused:
        asyncio.run(receive_upload(chunks(), tmp_path / "body.zip", max_bytes=3000))
    assert refused.value.status_code == 413
    assert asyncio.run(receive_upload(chunks(), tmp_path / "ok.zip", max_bytes=5000)) == 5000
