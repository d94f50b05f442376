from __future__ import annotations

import io
import tarfile
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile

from tracer.models import Snapshot

from .base import MANIFEST, BaseTestCase

URL = "/snapshots/upload/"


def targz(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


class UploadTestCase(BaseTestCase):
    def test_namespace_field_sets_the_namespace_of_objects_without_one(self) -> None:
        # As `kubectl apply -n shop`: objects without metadata.namespace go to the given namespace.
        self.login(self.alice)
        pasted = "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {ports: [{port: 80}]}\n"
        r = self.client.post(URL, {"pasted": pasted, "namespace": "shop"})
        assert r.status_code == 302
        snap = Snapshot.objects.latest("id")
        assert snap.to_engine().get("Service", "shop", "web") is not None

    def test_namespace_field_conflict_is_shown_as_an_error(self) -> None:
        self.login(self.alice)
        pasted = "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: other}\n"
        r = self.client.post(URL, {"pasted": pasted, "namespace": "shop"})
        self.assertContains(r, "does not match the namespace sent on the request", status_code=400)

    def test_it_shows_the_form(self) -> None:
        self.login(self.alice)
        r = self.client.get(URL)
        self.assertContains(r, 'data-testid="upload-form"')
        self.assertContains(r, "csrfmiddlewaretoken")

    def test_it_requires_login(self) -> None:
        r = self.client.get(URL)
        assert r.status_code == 302 and "/login/" in r["Location"]

    def test_it_stores_several_files(self) -> None:
        self.login(self.alice)
        docs = MANIFEST.split(b"---\n")
        files = [SimpleUploadedFile("a.yaml", docs[0]), SimpleUploadedFile("b.yaml", b"---\n".join(docs[1:]))]
        r = self.client.post(URL, {"files": files, "name": "two files"})
        snap = Snapshot.objects.get(name="two files")
        self.assertRedirects(r, snap.get_absolute_url())
        assert snap.workspace == self.workspace and snap.object_count == 4 and snap.source == "upload"
        assert set(snap.k8s_objects.values_list("file", flat=True)) == {"a.yaml", "b.yaml"}

    def test_it_stores_pasted_yaml(self) -> None:
        self.login(self.alice)
        self.client.post(URL, {"pasted": MANIFEST.decode(), "name": "pasted"})
        assert Snapshot.objects.get(name="pasted").object_count == 4

    def test_it_unpacks_archives(self) -> None:
        self.login(self.alice)
        zbuf = io.BytesIO()
        with zipfile.ZipFile(zbuf, "w") as zf:
            zf.writestr("cluster/m.yaml", MANIFEST)
        self.client.post(URL, {"files": [SimpleUploadedFile("cluster.zip", zbuf.getvalue())], "name": "zip"})
        assert Snapshot.objects.get(name="zip").object_count == 4
        tgz = targz({"cluster/m.yaml": MANIFEST})
        self.client.post(URL, {"files": [SimpleUploadedFile("cluster.tar.gz", tgz)], "name": "tgz"})
        assert Snapshot.objects.get(name="tgz").object_count == 4

    def test_loader_errors_show_file_document_line_and_store_nothing(self) -> None:
        self.login(self.alice)
        before = Snapshot.objects.count()
        bad = b"apiVersion: v1\nkind: Service\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: [oops\n"
        r = self.client.post(URL, {"files": [SimpleUploadedFile("broken.yaml", bad)]})
        assert r.status_code == 400
        self.assertContains(r, "broken.yaml", status_code=400)
        self.assertContains(r, 'data-testid="upload-error-location"', status_code=400)
        self.assertContains(r, "line", status_code=400)
        assert Snapshot.objects.count() == before

    def test_empty_submission_is_an_error(self) -> None:
        self.login(self.alice)
        r = self.client.post(URL, {})
        self.assertContains(r, "choose files", status_code=400)

    def test_member_uploads_into_the_shared_workspace_after_switching(self) -> None:
        self.login(self.bob)
        self.client.post("/workspace/switch/", {"workspace": str(self.workspace.pk)})
        self.client.post(URL, {"pasted": MANIFEST.decode(), "name": "bob's"})
        assert Snapshot.objects.get(name="bob's").workspace == self.workspace

    def test_outsider_uploads_into_their_own_workspace(self) -> None:
        self.login(self.charlie)
        self.client.post(URL, {"pasted": MANIFEST.decode(), "name": "charlie's"})
        assert Snapshot.objects.get(name="charlie's").workspace != self.workspace
