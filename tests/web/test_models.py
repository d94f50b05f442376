from __future__ import annotations

from django.contrib.auth.models import User

from tracer.models import ApiToken, Membership, ShareLink, SnapshotObject, hash_token
from tracer.queue import submit_trace

from .base import BaseTestCase


class ModelsTestCase(BaseTestCase):
    def test_each_user_gets_a_workspace_they_own(self) -> None:
        dave = User.objects.create_user("dave")
        membership = Membership.objects.get(user=dave)
        assert membership.role == Membership.Role.OWNER
        assert membership.workspace.is_owner(dave)

    def test_snapshot_stores_every_object_with_provenance(self) -> None:
        assert self.snapshot.object_count == 4 == SnapshotObject.objects.filter(snapshot=self.snapshot).count()
        ingress = self.snapshot.k8s_objects.get(kind="Ingress")
        assert (ingress.namespace, ingress.name, ingress.file, ingress.document, ingress.line) == (
            "shop",
            "web",
            "m.yaml",
            1,
            6,
        )
        assert self.snapshot.controllers["default"] == "ingress-nginx"
        assert len(self.snapshot.content_hash) == 64

    def test_engine_snapshot_round_trips(self) -> None:
        rebuilt = self.snapshot.to_engine()
        assert rebuilt.content_hash == self.snapshot.content_hash
        assert rebuilt.counts_by_kind() == self.snapshot.counts_by_kind

    def test_share_tokens_are_long_and_random(self) -> None:
        trace = self.make_trace()
        a, b = ShareLink.objects.create(trace=trace), ShareLink.objects.create(trace=trace)
        assert len(a.token) >= 32 and a.token != b.token
        assert a.visibility == ShareLink.Visibility.WORKSPACE

    def test_api_token_is_stored_as_a_hash(self) -> None:
        row, plaintext = ApiToken.issue(self.alice, "ci")
        assert plaintext not in (row.token_hash, row.prefix)
        assert row.token_hash == hash_token(plaintext)
        assert ApiToken.authenticate(plaintext) == row
        assert ApiToken.authenticate(plaintext + "x") is None

    def test_share_link_is_reused(self) -> None:
        trace = self.make_trace()
        assert trace.share_link(self.alice) == trace.share_link(self.bob)

    def test_claim_is_conditional(self) -> None:
        trace, _ = submit_trace(snapshot=self.snapshot, request={"url": "http://x"}, options={}, user=self.alice)
        assert trace.claim("w1")
        assert not trace.claim("w2")
        trace.refresh_from_db()
        assert (trace.state, trace.claimed_by, trace.attempts) == ("running", "w1", 1)
