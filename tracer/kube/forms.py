"""The pull form: a configured context, optional namespaces, and how Secrets are read."""

from __future__ import annotations

import re
from typing import Any

from django import forms

from tracer.names import NameField

from . import jobs

# RFC 1123 label, what Kubernetes accepts as a namespace name.
_NAMESPACE = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
MAX_NAMESPACES = 50


def context_choices() -> list[tuple[str, str]]:
    return [(c, "in-cluster (service account)" if c == jobs.IN_CLUSTER else c) for c in jobs.configured_contexts()]


class PullForm(forms.Form):
    context = forms.ChoiceField(label="Cluster context", choices=context_choices)
    namespaces = forms.CharField(
        required=False,
        label="Namespaces",
        help_text="Comma- or space-separated; empty means all namespaces.",
        widget=forms.TextInput(attrs={"placeholder": "all namespaces"}),
    )
    secrets = forms.ChoiceField(
        label="Secrets",
        initial="metadata",
        widget=forms.RadioSelect,
        choices=[
            ("metadata", "Metadata only (names, labels; no data is ever read)"),
            ("tls", "TLS Secrets: keep public certificates (tls.crt, ca.crt); private keys are dropped"),
            ("none", "Skip Secrets"),
        ],
    )
    name = NameField(required=False, max_length=200, label="Snapshot name")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        contexts = jobs.configured_contexts()
        if len(contexts) == 1:
            self.fields["context"].initial = contexts[0]

    def clean_namespaces(self) -> list[str]:
        names = [n for n in re.split(r"[\s,]+", self.cleaned_data.get("namespaces") or "") if n]
        bad = [n for n in names if not _NAMESPACE.match(n)]
        if bad:
            raise forms.ValidationError(f"not a namespace name: {', '.join(bad)}")
        if len(names) > MAX_NAMESPACES:
            raise forms.ValidationError(f"at most {MAX_NAMESPACES} namespaces; leave empty for all")
        return sorted(set(names))
