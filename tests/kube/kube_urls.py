"""tracer's URLs plus the pull pages, mounted where the lead mounts them (snapshots/pull/)."""

from django.urls import include, path

from tracer.urls import urlpatterns as tracer_urlpatterns

urlpatterns = [path("snapshots/pull/", include("tracer.kube.urls")), *tracer_urlpatterns]
