"""Buckets and objects in the console: create, browse by folder, upload, download, delete."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.console.conftest import csrf_of, follow
from tests.console.world import BUCKET, World


def _put(world: World, key: str, body: bytes = b"1,2,3\n") -> None:
    world.services.objects.put_object(BUCKET, key, body)


def test_the_bucket_list_and_a_new_bucket(client: TestClient, world: World) -> None:
    page = client.get("/buckets")
    assert f'data-bucket="{BUCKET}"' in page.text
    created = client.post("/buckets", data={"name": "my-data", "csrf_token": csrf_of(client)})
    assert created.status_code == 303
    assert (
        created.headers["location"]
        == "/_console/buckets/my-data?notice=bucket_created&name=my-data"
    )
    assert world.services.objects.get_bucket("my-data").region == "us-east-1"
    shown = follow(client, created)
    assert "Bucket my-data created." in shown.text


def test_an_invalid_bucket_name_is_explained(client: TestClient) -> None:
    response = client.post("/buckets", data={"name": "Bad_Name", "csrf_token": csrf_of(client)})
    assert response.status_code == 400
    assert "lowercase letters" in response.text


def test_folders_and_files_under_a_prefix(client: TestClient, world: World) -> None:
    _put(world, "bank/train/train.csv", b"x" * 2048)
    _put(world, "bank/validation/validation.csv")
    _put(world, "bank/readme.txt")
    _put(world, "top.csv")
    root = client.get(f"/buckets/{BUCKET}").text
    assert "bank/" in root
    assert 'data-key="top.csv"' in root
    assert "bank/readme.txt" not in root  # inside the folder, not at the top
    inside = client.get(f"/buckets/{BUCKET}", params={"prefix": "bank/"}).text
    assert 'href="/_console/buckets/world-data?prefix=bank/train/"' in inside
    assert 'data-key="bank/readme.txt"' in inside
    assert "top.csv" not in inside
    deeper = client.get(f"/buckets/{BUCKET}", params={"prefix": "bank/train/"}).text
    assert 'data-key="bank/train/train.csv"' in deeper
    assert "2.0 KB" in deeper
    # breadcrumbs lead back up
    assert 'href="/_console/buckets/world-data?prefix=bank/"' in deeper


def test_long_listings_page(client: TestClient, world: World) -> None:
    for i in range(205):
        _put(world, f"many/{i:04d}.csv")
    first = client.get(f"/buckets/{BUCKET}", params={"prefix": "many/"}).text
    assert first.count('data-key="many/') == 200
    assert "after=many/0199.csv" in first
    second = client.get(f"/buckets/{BUCKET}", params={"prefix": "many/", "after": "many/0199.csv"})
    assert second.text.count('data-key="many/') == 5


def test_upload_into_the_folder_being_viewed(client: TestClient, world: World) -> None:
    response = client.post(
        f"/buckets/{BUCKET}/upload",
        data={"prefix": "data/train/", "csrf_token": csrf_of(client)},
        files=[
            ("files", ("train.csv", b"1,0.5,3\n0,0.1,2\n", "text/csv")),
            ("files", ("../../etc/notes.txt", b"hello", "text/plain")),
        ],
    )
    assert response.status_code == 303
    assert "notice=uploaded&count=2" in response.headers["location"]
    stored = world.services.objects.get_object_row(BUCKET, "data/train/train.csv")
    assert stored.size == 16
    assert stored.content_type == "text/csv"
    # a path in the file name never escapes the folder: only its base name is kept
    assert world.services.objects.get_object_row(BUCKET, "data/train/notes.txt").size == 5


def test_upload_without_a_file_is_refused(client: TestClient) -> None:
    response = client.post(
        f"/buckets/{BUCKET}/upload",
        data={"prefix": "", "csrf_token": csrf_of(client)},
        files=[("files", ("", b"", "application/octet-stream"))],
    )
    assert response.status_code == 400
    assert "Choose at least one file" in response.text


def test_download_gives_the_bytes_as_an_attachment(client: TestClient, world: World) -> None:
    _put(world, "reports/結果 1.csv", b"a,b\n1,2\n")
    response = client.get(f"/buckets/{BUCKET}/object", params={"key": "reports/結果 1.csv"})
    assert response.status_code == 200
    assert response.content == b"a,b\n1,2\n"
    assert response.headers["content-disposition"] == (
        "attachment; filename*=UTF-8''%E7%B5%90%E6%9E%9C%201.csv"
    )
    missing = client.get(f"/buckets/{BUCKET}/object", params={"key": "nope"})
    assert missing.status_code == 404


def test_delete_an_object(client: TestClient, world: World) -> None:
    _put(world, "tmp/a.csv")
    response = client.post(
        f"/buckets/{BUCKET}/object/delete", data={"key": "tmp/a.csv", "csrf_token": csrf_of(client)}
    )
    assert response.status_code == 303
    assert "prefix=tmp%2F" in response.headers["location"]
    assert world.services.objects.find_object(BUCKET, "tmp/a.csv") is None


def test_delete_a_bucket_with_everything_in_it(client: TestClient, world: World) -> None:
    _put(world, "a.csv")
    _put(world, "b/c.csv")
    upload = world.services.objects.multipart.create(BUCKET, "big.bin")
    assert upload.upload_id
    response = client.post(f"/buckets/{BUCKET}/delete", data={"csrf_token": csrf_of(client)})
    assert response.status_code == 303
    assert "notice=bucket_deleted" in response.headers["location"]
    assert "count=2" in response.headers["location"]
    assert BUCKET not in [b.name for b in world.services.objects.list_buckets("123456789012")]


def test_a_missing_bucket_is_a_clear_404(client: TestClient) -> None:
    response = client.get("/buckets/no-such-bucket")
    assert response.status_code == 404
    assert "does not exist" in response.text
