from __future__ import annotations

from tracer.models import ApiToken, hash_token

from .base import BaseTestCase


class TokensTestCase(BaseTestCase):
    def test_it_creates_a_token_shown_once(self) -> None:
        for user in (self.alice, self.bob, self.charlie):
            self.login(user)
            r = self.client.post("/tokens/", {"name": "ci"})
            self.assertContains(r, 'data-testid="new-token"')
            token = ApiToken.objects.filter(user=user).get()
            plaintext = r.content.decode().split('data-testid="new-token"')[0].rsplit('value="', 1)[1].split('"')[0]
            assert hash_token(plaintext) == token.token_hash
            self.assertNotContains(self.client.get("/tokens/"), plaintext)

    def test_only_own_tokens_are_listed_and_revocable(self) -> None:
        row, _ = ApiToken.issue(self.alice, "alice-ci")
        self.login(self.bob)
        self.assertNotContains(self.client.get("/tokens/"), "alice-ci")
        assert self.client.post(f"/tokens/{row.public_id}/revoke/").status_code == 404
        self.login(self.alice)
        self.assertContains(self.client.get("/tokens/"), "alice-ci")
        assert self.client.post(f"/tokens/{row.public_id}/revoke/").status_code == 302
        assert not ApiToken.objects.exists()

    def test_it_requires_login(self) -> None:
        assert self.client.get("/tokens/").status_code == 302
