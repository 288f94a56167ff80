"""Evidence photos live in the database: every app server serves them, every backup holds them, and
nothing is kept on the disk of the node that received one."""
import io

import pytest
from PIL import Image
from sqlalchemy import select

from baiye.extensions import db
from baiye.factory import create_app
from reports.models import ShopPhoto

from .test_views import jpeg_with_gps, sign_in, upload


def test_a_photo_is_served_by_another_node_and_nothing_is_written_to_disk(client, config, make, tmp_path):
    config_folder = tmp_path / "node-a-uploads"
    client.application.config["UPLOAD_FOLDER"] = str(config_folder)
    shop = make.shop()
    sign_in(client, shop.owner)
    assert upload(client, shop.id, jpeg_with_gps()).status_code == 302
    photo = db.session.scalars(select(ShopPhoto)).one()
    full, thumb = client.get(f"/photos/{photo.id}.jpg"), client.get(f"/photos/{photo.id}/thumb.jpg")
    assert full.status_code == thumb.status_code == 200
    assert not config_folder.exists() or not any(config_folder.rglob("*"))

    other_node = create_app(config | {"UPLOAD_FOLDER": str(tmp_path / "node-b-uploads")}).test_client()
    sign_in(other_node, shop.owner)
    for path, original in ((f"/photos/{photo.id}.jpg", full), (f"/photos/{photo.id}/thumb.jpg", thumb)):
        served = other_node.get(path)
        assert served.status_code == 200 and served.data == original.data, path
    assert Image.open(io.BytesIO(other_node.get(f"/photos/{photo.id}/thumb.jpg").data)).size[0] == 480


def test_photos_keep_their_caching_headers(client, make):
    shop = make.shop()
    sign_in(client, shop.owner)
    upload(client, shop.id, jpeg_with_gps())
    photo = db.session.scalars(select(ShopPhoto)).one()
    for path in (f"/photos/{photo.id}.jpg", f"/photos/{photo.id}/thumb.jpg"):
        response = client.get(path)
        assert response.headers["Cache-Control"] == "private, max-age=3600" and response.mimetype == "image/jpeg"
        assert response.headers["ETag"] and response.headers["Last-Modified"]
        again = client.get(path, headers={"If-None-Match": response.headers["ETag"]})
        assert again.status_code == 304 and again.headers["Cache-Control"] == "private, max-age=3600"
    assert client.get(f"/photos/{photo.id}.jpg").headers["ETag"] != client.get(
        f"/photos/{photo.id}/thumb.jpg").headers["ETag"]


def test_removing_a_photo_deletes_its_bytes_and_keeps_the_record(client, make):
    from reports.models import PhotoBlob

    shop = make.shop()
    sign_in(client, shop.owner)
    upload(client, shop.id, jpeg_with_gps())
    photo = db.session.scalars(select(ShopPhoto)).one()
    assert db.session.get(PhotoBlob, photo.id) is not None
    client.post(f"/shops/{shop.id}/photos/{photo.id}/remove")
    db.session.expire_all()
    assert db.session.get(PhotoBlob, photo.id) is None and db.session.get(ShopPhoto, photo.id).removed_at
    assert client.get(f"/photos/{photo.id}.jpg").status_code == 404
    assert client.get(f"/photos/{photo.id}/thumb.jpg").status_code == 404


def test_a_restored_sqlite_backup_brings_the_photos_back(app, client, config, make, tmp_path):
    """`flask backup`, then the README's restore on another machine (the backup file as its database, none of
    the first machine's files): the photo and its thumbnail are there."""
    if db.engine.url.get_backend_name() != "sqlite":
        pytest.skip("flask backup copies SQLite databases (PostgreSQL: pg_dump, which holds the photo_blob table)")
    shop = make.shop()
    sign_in(client, shop.owner)
    upload(client, shop.id, jpeg_with_gps())
    photo = db.session.scalars(select(ShopPhoto)).one()
    originals = [client.get(f"/photos/{photo.id}.jpg").data, client.get(f"/photos/{photo.id}/thumb.jpg").data]
    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "backup.db")])
    assert result.exit_code == 0, result.output

    elsewhere = tmp_path / "restored"
    elsewhere.mkdir()
    (tmp_path / "backup.db").rename(elsewhere / "app.db")
    restored = create_app(config | {"DATABASE_URL": f"sqlite:///{elsewhere / 'app.db'}",
                                    "UPLOAD_FOLDER": str(elsewhere / "uploads")}).test_client()
    sign_in(restored, shop.owner)
    assert [restored.get(f"/photos/{photo.id}.jpg").data, restored.get(f"/photos/{photo.id}/thumb.jpg").data] == originals
    assert "拥军优待标牌" in restored.get(f"/shops/{shop.id}/photos").get_data(as_text=True)


def test_the_migration_moves_photo_files_into_the_database_and_back(tmp_path):
    from flask_migrate import downgrade, upgrade

    from baiye.clock import utcnow
    from reports.models import PhotoBlob
    from shops.models import Shop
    from tests.factories import licence_no

    folder = tmp_path / "uploads" / "photos"
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
                      "DATABASE_URL": f"sqlite:///{tmp_path}/m.db", "UPLOAD_FOLDER": str(tmp_path / "uploads")})
    with app.app_context():
        upgrade(revision="0006_session_epoch")
        # The shop row as the schema of 0006 has it (a core insert names only these columns; the model has more).
        now = utcnow()
        shop_id = db.session.execute(db.insert(Shop.__table__).values(
            name="测试商户", industry="catering", street="chengguan", address="城关街道1号", phone="13800138000",
            licence_no=licence_no(), status="approved", created_at=now)).inserted_primary_key[0]
        folder.mkdir(parents=True)
        for name, removed in (("kept", None), ("gone", now), ("lost", None), ("nothumb", None)):
            db.session.add(ShopPhoto(shop_id=shop_id, stored_name=name, width=1, height=1, size=1, removed_at=removed))
            if name != "lost":
                (folder / f"{name}.jpg").write_bytes(f"{name} full".encode())
            if name not in ("lost", "nothumb"):
                (folder / f"{name}.thumb.jpg").write_bytes(f"{name} thumb".encode())
        db.session.commit()
        ids = dict(db.session.execute(select(ShopPhoto.stored_name, ShopPhoto.id)).all())
        db.session.remove()

        upgrade()
        blobs = {row.photo_id: (row.full, row.thumb) for row in db.session.scalars(select(PhotoBlob))}
        assert blobs == {ids["kept"]: (b"kept full", b"kept thumb"), ids["nothumb"]: (b"nothumb full", b"nothumb full")}
        db.session.remove()

        for path in folder.iterdir():
            path.unlink()
        downgrade(revision="0006_session_epoch")
        assert sorted(p.name for p in folder.iterdir()) == ["kept.jpg", "kept.thumb.jpg", "nothumb.jpg",
                                                             "nothumb.thumb.jpg"]
        assert (folder / "kept.thumb.jpg").read_bytes() == b"kept thumb"
        upgrade()
        assert db.session.scalar(select(db.func.count()).select_from(PhotoBlob)) == 2
        db.session.remove()
        db.engine.dispose()
