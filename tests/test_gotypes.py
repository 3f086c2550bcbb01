"""Templates on Go's typed structs, as `docker inspect -f` runs them first: a field the
JSON left out is its zero value, a struct prints as fmt prints it, a time or a duration
as Go's String() — and through a nil pointer, or to a field the struct has not got, the
typed run fails and the raw JSON (missingkey=error) decides."""

from __future__ import annotations

import pytest

from miniswarm.cli.commands.inspect import execute
from miniswarm.cli.gotypes import STRUCTS, GoValue, file_mode
from miniswarm.cli.template import Template, TemplateError

SERVICE = {
    "ID": "abc",
    "Version": {"Index": 15},
    "CreatedAt": "2026-11-25T21:58:29.483194368Z",
    "UpdatedAt": "2026-11-25T21:58:29.483194368Z",
    "Spec": {
        "Name": "web",
        "Labels": {},
        "TaskTemplate": {
            "ContainerSpec": {
                "Image": "nginx:1.11",
                "Init": False,
                "StopGracePeriod": 10000000000,
                "DNSConfig": {},
                "Isolation": "default",
                "Secrets": [
                    {
                        "File": {"Name": "pw", "UID": "0", "GID": "0", "Mode": 292},
                        "SecretID": "s1",
                        "SecretName": "pw",
                    }
                ],
            },
            "RestartPolicy": {"Condition": "any", "Delay": 5000000000, "MaxAttempts": 0},
            "ForceUpdate": 0,
        },
        "Mode": {"Replicated": {"Replicas": 2}},
        "UpdateConfig": {"Parallelism": 1, "Monitor": 5000000000, "Order": "stop-first"},
    },
    "Endpoint": {"Spec": {}},
}


def run(src: str, obj: dict = SERVICE, kind: str = "service") -> str:
    return execute(Template(src), obj, kind)


@pytest.mark.parametrize(
    ("src", "out"),
    [
        ("{{json .UpdateStatus}}", "null"),  # a nil pointer
        ("{{json .Spec.TaskTemplate.ContainerSpec.Env}}", "null"),  # a nil slice
        ("{{.Spec.TaskTemplate.ContainerSpec.Env}}", "[]"),
        ("{{.Spec.TaskTemplate.ContainerSpec.Labels}}", "map[]"),
        ("{{.Spec.TaskTemplate.ContainerSpec.User}}", ""),
        ("{{.Spec.TaskTemplate.ContainerSpec.TTY}}", "false"),
        ("{{.Spec.Mode.Global}}", "<nil>"),
        ("{{.Spec.Mode.Replicated.Replicas}}", "2"),  # a *uint64, followed
        ("{{json .Spec.Mode.Replicated.Replicas}}", "2"),
        ("{{.Version}}", "{15}"),
        ("{{.Version.Index}}", "15"),
        ("{{.CreatedAt}}", "2026-11-25 21:58:29.483194368 +0000 UTC"),
        ("{{.Spec.UpdateConfig.Monitor}}", "5s"),
        ("{{.Spec.UpdateConfig.Delay}}", "0s"),
        ("{{.Spec.UpdateConfig}}", "{1 0s  5s 0 stop-first}"),
        ("{{.Spec.TaskTemplate.RestartPolicy.Delay}}", "5s"),
        ("{{(index .Spec.TaskTemplate.ContainerSpec.Secrets 0).File.Mode}}", "-r--r--r--"),
        ("{{range .Spec.TaskTemplate.ContainerSpec.Secrets}}{{.SecretName}} {{end}}", "pw "),
        ("{{len .Spec.TaskTemplate.ContainerSpec.Env}}", "0"),
        ("{{if .UpdateStatus}}yes{{else}}no{{end}}", "no"),
        ("{{if .Spec.Mode}}a struct is always true{{end}}", "a struct is always true"),
        ("{{with .Spec.Mode.Replicated}}{{.Replicas}}{{end}}", "2"),
        ("{{.Spec.Labels.nosuch}}", "<no value>"),
        (
            "{{json .Spec.TaskTemplate.ContainerSpec.Secrets}}",
            '[{"File":{"Name":"pw","UID":"0","GID":"0","Mode":292},"SecretID":"s1",'
            '"SecretName":"pw"}]',
        ),
    ],
)
def test_a_typed_run_gives_zero_values_and_prints_as_go(src, out):
    assert run(src) == out


def test_json_of_a_struct_is_encoding_json_of_the_typed_value():
    # 05's recording: empty fields left out, a set *bool kept, declaration order.
    assert run("{{json .Spec.TaskTemplate.ContainerSpec}}") == (
        '{"Image":"nginx:1.11","Init":false,"StopGracePeriod":10000000000,"DNSConfig":{},'
        '"Secrets":[{"File":{"Name":"pw","UID":"0","GID":"0","Mode":292},'
        '"SecretID":"s1","SecretName":"pw"}],"Isolation":"default"}'
    )
    # A struct without omitempty fields writes them even when the JSON had none.
    assert run("{{json .ServiceStatus}}") == "null"
    assert run("{{json .Spec.UpdateConfig}}") == (
        '{"Parallelism":1,"Monitor":5000000000,"MaxFailureRatio":0,"Order":"stop-first"}'
    )


def test_a_struct_prints_as_fmt_does_with_pointers_as_addresses():
    node = {"ID": "n", "Status": {"State": "ready", "Addr": "192.168.0.3"}}
    assert run("{{.Status}}", node, "node") == "{ready  192.168.0.3}"
    mode = run("{{.Spec.Mode}}")
    assert mode.startswith("{0xc000") and mode.endswith(" <nil> <nil> <nil>}")
    assert mode == run("{{.Spec.Mode}}")  # the same address every time


@pytest.mark.parametrize(
    ("src", "message"),
    [
        # Through a nil pointer: the raw run's error.
        (
            "{{json .PreviousSpec.TaskTemplate.ContainerSpec.Env}}",
            'template: :1:20: executing "" at <.PreviousSpec.TaskTemplate.ContainerSpec.Env>: '
            'map has no entry for key "PreviousSpec"',
        ),
        # Not a field of the struct (nor a key of the JSON).
        ("{{.Foo}}", 'template: :1:2: executing "" at <.Foo>: map has no entry for key "Foo"'),
    ],
)
def test_when_the_typed_run_fails_the_raw_json_decides(src, message):
    with pytest.raises(TemplateError) as err:
        run(src)
    assert err.value.message == message


def test_a_key_only_the_json_has_is_found_on_the_raw_run():
    assert run("{{.Endpoint.Spec}}") == "{ []}"
    assert run("{{.Spec.TaskTemplate.ContainerSpec.Extra}}", _with_extra()) == "x"


def _with_extra() -> dict:
    import copy

    obj = copy.deepcopy(SERVICE)
    obj["Spec"]["TaskTemplate"]["ContainerSpec"]["Extra"] = "x"
    return obj


def test_the_declarations_name_only_declared_structs():
    def structs(t):
        kind, inner = t
        if kind == "struct":
            yield inner
        elif kind != "basic":
            yield from structs(inner)

    for name, fields in STRUCTS.items():
        for f in fields:
            for s in structs(f.type):
                assert s in STRUCTS, f"{name}.{f.name}: {s} is not declared"


def test_file_modes_print_as_go_does():
    assert file_mode(0o444) == "-r--r--r--"
    assert file_mode(0o755) == "-rwxr-xr-x"
    assert GoValue(("basic", "os.FileMode"), 0o600).go_printed() == "-rw-------"
