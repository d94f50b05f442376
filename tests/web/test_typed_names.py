"""Names people type lose control characters and text-direction overrides where they are typed: snapshot
names (upload, rename), trace names, token names."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tracer.models import ApiToken, Snapshot, Trace
from tracer.names import typed_name

from .base import MANIFEST, BaseTestCase

HOSTILE = "ops\x1b[31m red\u202ecod.exe\n\tnext\x00 "


class TypedNameTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.login(self.alice)

    def test_typed_name(self) -> None:
        self.assertEqual(typed_name(HOSTILE), "ops[31m redcod.exe next")
        self.assertEqual(typed_name("  plain  name "), "plain name")
        self.assertEqual(typed_name("日本語 ✓"), "日本語 ✓")

    def test_upload_rename_trace_and_token_names_are_cleaned(self) -> None:
        self.client.post(reverse("tracer-upload"), {"name": HOSTILE,
                                                    "files": SimpleUploadedFile("m.yaml", MANIFEST)})
        uploaded = Snapshot.objects.exclude(pk=self.snapshot.pk).get()
        self.assertEqual(uploaded.name, "ops[31m redcod.exe next")
        self.client.post(reverse("tracer-snapshot-rename", args=[uploaded.id]), {"name": "b\u2066ad\x07"})
        uploaded.refresh_from_db()
        self.assertEqual(uploaded.name, "bad")
        trace = self.make_trace()
        self.client.post(reverse("tracer-trace-rename", args=[trace.id]), {"name": "t\x1bx"})
        self.assertEqual(Trace.objects.get(pk=trace.pk).name, "tx")
        self.client.post(reverse("tracer-tokens"), {"name": "ci\u202e"})
        self.assertEqual(ApiToken.objects.get(user=self.alice).name, "ci")
