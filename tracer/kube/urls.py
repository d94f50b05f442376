"""Included by tracer/urls.py under ``snapshots/pull/``."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.pull_form, name="tracer-kube-pull"),
    path("<str:job_id>/", views.pull_job, name="tracer-kube-pull-job"),
    path("<str:job_id>/progress/", views.pull_progress, name="tracer-kube-pull-progress"),
]
