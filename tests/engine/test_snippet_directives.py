"""Snippet directives: how a snippet's text is read, and what its directives do to a request.

Rules: ingress-nginx#11.4 (where snippets are written, variables, what is not simulated), #11.5 (response
headers: headers-more and add_header), #11.6 (request headers), #11.7 (return).
"""

from __future__ import annotations

from typing import Any

from tracer.engine import trace
from tracer.engine.dataplanes.ingress_nginx.snippet_directives import expand, parse_snippet

P = "nginx.ingress.kubernetes.io/"
HOST = "app.example.com"


# -- parsing ----------------------------------------------------------------------------------------


def test_more_set_headers_with_variables_is_read_as_nginx_reads_it() -> None:
    d = parse_snippet('more_set_headers "Location: $scheme://$http_host/vscode/";\n')
    (edit,) = d.response
    assert (edit.directive, edit.name, edit.value) == ("more_set_headers", "Location", "$scheme://$http_host/vscode/")
    assert edit.statuses == frozenset() and edit.types == ()
    assert edit.text == 'more_set_headers "Location: $scheme://$http_host/vscode/"'
    assert not d.not_simulated


def test_headers_more_options_merge_and_empty_values_clear() -> None:
    d = parse_snippet("more_set_headers -s '404 500' -s 503 -t 'text/html' 'X-A: 1' 'X-B:' X-C;\n"
                      "more_clear_headers 'X-Hidden-*' Server;")
    assert [(e.name, e.value) for e in d.response] == [("X-A", "1"), ("X-B", None), ("X-C", None),
                                                       ("X-Hidden-*", None), ("Server", None)]
    assert d.response[0].statuses == frozenset({404, 500, 503}) and d.response[0].types == ("text/html",)
    assert d.response[3].statuses == frozenset()


def test_add_header_proxy_set_header_input_headers_and_escapes() -> None:
    d = parse_snippet('add_header X-Frame "a\\"b" always;\nadd_header X-Two two;\nproxy_set_header X-Team blue;\n'
                      "more_set_input_headers -r -t 'application/json' 'X-In: 1';\nmore_clear_input_headers X-Out;")
    assert [(e.name, e.value, e.always) for e in d.add_headers] == [("X-Frame", 'a"b', True), ("X-Two", "two", False)]
    assert [(e.name, e.value) for e in d.proxy_headers] == [("X-Team", "blue")]
    assert [(e.name, e.value, e.replace_only, e.types) for e in d.input_headers] == [
        ("X-In", "1", True, ("application/json",)), ("X-Out", None, False, ())]


def test_return_forms_and_only_the_first_return_runs() -> None:
    assert parse_snippet("return 301 https://new.example.com$request_uri;").first_return is not None
    ret = parse_snippet("return https://x.example.com/;").first_return
    assert ret is not None and (ret.code, ret.value) == (302, "https://x.example.com/")
    d = parse_snippet('return 403 "go away";\nreturn 200;')
    assert d.first_return is not None and (d.first_return.code, d.first_return.value) == (403, "go away")
    assert d.not_simulated == ("return 200 (never runs: an earlier return ends the rewrite phase)",)
    bad = parse_snippet("return /relative;")
    assert bad.first_return is None and "nginx refuses it" in bad.not_simulated[0]


def test_other_directives_blocks_and_broken_text_are_listed_not_dropped() -> None:
    d = parse_snippet("# a comment\nif ($http_x_debug) {\n  return 418;\n}\nproxy_redirect off;\nadd_header X;")
    assert d.first_return is None  # inside an if block: not simulated
    assert d.not_simulated[0] == "if ($http_x_debug) { return 418; }"
    assert d.not_simulated[1] == "proxy_redirect off"
    assert d.not_simulated[2].startswith("add_header X (nginx refuses it:")
    broken = parse_snippet('more_set_headers "X-A: 1;')
    assert not broken.response and "nginx refuses this snippet: a quoted string is not closed" in broken.not_simulated[0]
    assert "expecting" in parse_snippet("proxy_redirect off").not_simulated[0]


def test_expand_keeps_unknown_variables_as_written() -> None:
    known = {"scheme": "https", "host": "a.example.com"}
    assert expand("$scheme://${host}/x/$nope", known.get) == ("https://a.example.com/x/$nope", ["$nope"])


# -- effects through the engine -------------------------------------------------------------------


def objects(
    annotations: dict[str, str] | None = None,
    *,
    config: dict[str, str] | None = None,
    routes: list[dict[str, Any]] | None = None,
    paths: tuple[str, ...] = ("/",),
) -> list[dict[str, Any]]:
    data = {"allow-snippet-annotations": "true", "annotations-risk-level": "Critical", **(config or {})}
    meta: dict[str, Any] = {"name": "web", "namespace": "shop"}
    if annotations:
        meta["annotations"] = {P + k: v for k, v in annotations.items()}
    out: list[dict[str, Any]] = [
        {"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass", "metadata": {"name": "nginx"},
         "spec": {"controller": "k8s.io/ingress-nginx"}},
        {"apiVersion": "v1", "kind": "ConfigMap",
         "metadata": {"name": "ingress-nginx-controller", "namespace": "ingress-nginx"}, "data": data},
        {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": meta,
         "spec": {"ingressClassName": "nginx", "rules": [{"host": HOST, "http": {"paths": [
             {"path": p, "pathType": "Prefix",
              "backend": {"service": {"name": "web", "port": {"number": 80}}}} for p in paths]}}]}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "shop"},
         "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]}},
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "shop"},
         "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}}, "template": {
             "metadata": {"labels": {"app": "web"}},
             "spec": {"containers": [{"name": "web", "image": "web", "ports": [{"containerPort": 8080}]}]}}}},
    ]
    if routes is not None:
        out.append({"apiVersion": "tracer.dev/v1alpha1", "kind": "AppProfile",
                    "metadata": {"name": "web", "namespace": "shop"},
                    "spec": {"selector": {"service": "web"}, "routes": routes}})
    return out


def one(objs: list[dict[str, Any]], request: str | dict[str, Any]) -> dict[str, Any]:
    req: dict[str, Any] = trace(objs, request).to_dict()["requests"][0]
    return req


def controller(req: dict[str, Any]) -> dict[str, Any]:
    hop: dict[str, Any] = next(h for h in req["hops"] if h["component"] == "controller")
    return hop


REDIRECT_TO_ROOT = [{"path": {"exact": "/login"}, "respond": {"status": 302, "headers": {"Location": "/"}}}]


def test_more_set_headers_rewrites_the_apps_location_and_the_hop_says_so() -> None:
    snippet = 'more_set_headers "Location: $scheme://$http_host/app/";'
    req = one(objects({"configuration-snippet": snippet}, routes=REDIRECT_TO_ROOT),
              f"GET http://{HOST}:8080/login")
    assert req["status"] == 302
    assert req["response_headers"]["location"] == f"http://{HOST}:8080/app/"
    hop = controller(req)
    assert hop["changes"]["response_headers"] == [
        f"Location: / -> http://{HOST}:8080/app/ (more_set_headers, configuration-snippet of Ingress shop/web)"]
    assert {"ingress-nginx#11.4", "ingress-nginx#11.5"} <= set(hop["rules"])
    assert hop["details"]["snippets"]["applied"] == [f"{snippet[:-1]} in the configuration-snippet of Ingress shop/web"]


def test_more_set_headers_status_and_type_conditions() -> None:
    routes = [{"path": {"exact": "/ok"}, "respond": {"status": 200, "contentType": "text/html; charset=utf-8"}}]
    snippet = "more_set_headers -s 404 'X-Missing: yes';\nmore_set_headers -t text/html 'X-Html: yes';"
    objs = objects({"configuration-snippet": snippet}, routes=routes)
    ok = one(objs, f"GET http://{HOST}/ok")
    assert "x-missing" not in ok["response_headers"] and ok["response_headers"]["x-html"] == "yes"
    missing = one(objs, f"GET http://{HOST}/nothing")  # the profile's default 404, no content type
    assert missing["status"] == 404 and missing["response_headers"]["x-missing"] == "yes"
    assert "x-html" not in missing["response_headers"]
    assert any("-t cannot be decided" in t for t in controller(missing)["details"]["snippets"]["not_simulated"])


def test_relative_location_from_more_set_headers_is_made_absolute() -> None:
    req = one(objects({"configuration-snippet": "more_set_headers 'Location: /app/';"}, routes=REDIRECT_TO_ROOT),
              f"GET https://{HOST}/login")
    assert req["response_headers"]["location"] == f"https://{HOST}/app/"


def test_add_header_statuses_always_and_server_inheritance() -> None:
    routes: list[dict[str, Any]] = [{"path": {"exact": "/gone"}, "respond": {"status": 410}},
                                    {"path": {"prefix": "/"}, "respond": {}}]
    snippet = "add_header X-Plain plain;\nadd_header X-Always always always;\nadd_header X-Empty '';"
    objs = objects({"configuration-snippet": snippet}, routes=routes)
    ok = one(objs, f"GET http://{HOST}/")
    assert ok["response_headers"]["x-plain"] == "plain" and ok["response_headers"]["x-always"] == "always"
    assert "x-empty" not in ok["response_headers"]
    gone = one(objs, f"GET http://{HOST}/gone")
    assert "x-plain" not in gone["response_headers"] and gone["response_headers"]["x-always"] == "always"
    # The server's add_header is inherited only by a location without add_header lines of its own.
    both = objects({"server-snippet": "add_header X-Server s;", "configuration-snippet": "add_header X-Loc l;"})
    req = one(both, f"GET http://{HOST}/")
    assert "x-server" not in req["response_headers"] and req["response_headers"]["x-loc"] == "l"
    assert any("not inherited" in t for t in controller(req)["details"]["snippets"]["no_effect"])
    alone = one(objects({"server-snippet": "add_header X-Server s;"}), f"GET http://{HOST}/")
    assert alone["response_headers"]["x-server"] == "s"


def test_proxy_set_header_adds_replaces_and_duplicates_controller_headers() -> None:
    snippet = "proxy_set_header X-Team blue;\nproxy_set_header X-Forwarded-Proto https;\nproxy_set_header X-Gone '';"
    req = one(objects({"configuration-snippet": snippet}),
              {"method": "GET", "url": f"http://{HOST}/", "headers": {"X-Team": "red", "X-Gone": "1"}})
    sent = req["upstream"]["headers"]
    assert sent["X-Team"] == "blue" and "X-Gone" not in sent
    assert sent["X-Forwarded-Proto"] == "http, https"  # both lines are sent
    notes = controller(req)["details"]["snippets"]["applied"]
    assert any("sent twice" in n for n in notes)
    assert "ingress-nginx#11.6" in controller(req)["rules"]
    server = one(objects({"server-snippet": "proxy_set_header X-Team blue;"}), f"GET http://{HOST}/")
    assert "X-Team" not in server["upstream"]["headers"]
    assert any("not inherited" in n for n in controller(server)["details"]["snippets"]["no_effect"])


def test_more_set_input_headers_change_client_headers_but_not_the_controllers() -> None:
    snippet = "more_set_input_headers 'X-User: anonymous' 'X-Real-IP: 1.2.3.4';\nmore_set_input_headers -r 'X-Opt: o';"
    req = one(objects({"configuration-snippet": snippet}),
              {"method": "GET", "url": f"http://{HOST}/", "headers": {"X-User": "alice"}})
    sent = req["upstream"]["headers"]
    assert sent["X-User"] == "anonymous" and "X-Opt" not in sent
    assert sent["X-Real-IP"] != "1.2.3.4"
    assert any("set by the controller" in n for n in controller(req)["details"]["snippets"]["no_effect"])


def test_location_return_answers_before_redirects_and_the_balancer() -> None:
    objs = objects({"configuration-snippet": 'return 403 "closed for $remote_addr";',
                    "permanent-redirect": "https://elsewhere.example.com/"})
    objs = [o for o in objs if o["kind"] != "Deployment"]  # no endpoints: the balancer would answer 503
    req = one(objs, f"GET http://{HOST}/x")
    assert req["status"] == 403 and "location" not in req["response_headers"]
    hop = controller(req)
    assert hop["outcome"] == "respond" and "ingress-nginx#11.7" in hop["rules"]
    assert 'with the text "closed for 203.0.113.10"' in hop["summary"]
    assert [h["component"] for h in req["hops"]][-1] == "controller"


def test_return_redirect_with_variables_and_a_relative_uri() -> None:
    req = one(objects({"configuration-snippet": "return 301 /new$request_uri;"}), f"GET https://{HOST}/a?b=1")
    assert req["status"] == 301 and req["response_headers"]["location"] == f"https://{HOST}/new/a?b=1"
    assert controller(req)["outcome"] == "redirect"


def test_server_snippet_return_runs_before_any_location() -> None:
    req = one(objects({"server-snippet": "return 308 https://$host$request_uri;"}), f"GET http://{HOST}/anything")
    assert req["status"] == 308 and req["response_headers"]["location"] == f"https://{HOST}/anything"
    assert req["route"] is None  # answered before a location was chosen
    cm = one(objects(config={"server-snippet": "return 418;"}), f"GET http://{HOST}/")
    assert cm["status"] == 418
    assert controller(cm)["details"]["snippets"]["in"] == [
        "server-snippet of ConfigMap ingress-nginx/ingress-nginx-controller"]


def test_return_444_closes_the_connection() -> None:
    req = one(objects({"configuration-snippet": "return 444;"}), f"GET http://{HOST}/")
    assert req["status"] is None and req["error"] == "reset"
    assert controller(req)["outcome"] == "reset" and req["response_headers"] == {}


def test_not_simulated_directives_and_unknown_variables_are_on_the_hop() -> None:
    snippet = "proxy_redirect off;\nif ($http_x_debug) { return 418; }\nmore_set_headers 'X-Id: $request_id_x';"
    req = one(objects({"configuration-snippet": snippet}), f"GET http://{HOST}/")
    hop = controller(req)
    info = hop["details"]["snippets"]
    assert info["not_simulated"] == [
        "proxy_redirect off in the configuration-snippet of Ingress shop/web",
        "if ($http_x_debug) { return 418; } in the configuration-snippet of Ingress shop/web",
    ]
    assert "not simulated: proxy_redirect off" in hop["summary"]
    assert req["response_headers"]["x-id"] == "$request_id_x"
    assert info["not_evaluated"] == ["$request_id_x in more_set_headers 'X-Id: $request_id_x': left as written"]


def test_variables_of_the_request_and_of_the_location() -> None:
    snippet = ("more_set_headers 'X-Vars: $host|$request_uri|$uri|$args|$arg_q|$http_x_team|$cookie_sid|"
               "$server_port|$service_name|$location_path';")
    req = one(objects({"configuration-snippet": snippet, "rewrite-target": "/"}, paths=("/api",)),
              {"method": "GET", "url": f"https://{HOST}/api/x?q=1", "headers": {"X-Team": "blue", "Cookie": "sid=7"}})
    assert req["response_headers"]["x-vars"] == f"{HOST}|/api/x?q=1|/|q=1|1|blue|7|443|web|/api"


def test_location_snippet_of_the_configmap_applies_even_when_annotations_are_off() -> None:
    objs = objects({"configuration-snippet": "add_header X-Ann a;"},
                   config={"allow-snippet-annotations": "false", "location-snippet": "add_header X-Cm c;"})
    req = one(objs, f"GET http://{HOST}/")
    assert req["response_headers"]["x-cm"] == "c" and "x-ann" not in req["response_headers"]
    assert controller(req)["details"]["snippets"]["in"] == [
        "location-snippet of ConfigMap ingress-nginx/ingress-nginx-controller"]


def test_a_denied_location_gets_no_snippet() -> None:
    objs = objects({"configuration-snippet": "add_header X-Ann a always;", "auth-type": "basic",
                    "auth-secret": "missing"})
    req = one(objs, f"GET http://{HOST}/")
    assert req["status"] == 503 and "x-ann" not in req["response_headers"]
    assert "snippets" not in controller(req)["details"]
