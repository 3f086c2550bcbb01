"""`--format`: Go's text/template as docker runs it, and Go's words when it goes wrong.
The error texts marked "real" were printed by the docker 28.2.2 binary."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from miniswarm.cli.commands.tasks import name_key, task_name
from miniswarm.cli.format import go_json, natural_key, table, tabwrite
from miniswarm.cli.template import GoStruct, Template, TemplateError
from miniswarm.lab import Lab


def run(src: str, data, **kw) -> str:
    return Template(src).execute(data, **kw)


def test_fields_pipelines_and_functions():
    data = {"Name": "web", "Labels": {"b": "2", "a": "1"}, "Ports": [80, 443], "N": 3}
    assert run("{{.Name}}:{{.N}}", data) == "web:3"
    assert run("{{.Name | upper}} {{title .Name}} {{len .Ports}}", data) == "WEB Web 2"
    assert run('{{join (split "a,b" ",") "-"}}', data) == "a-b"
    assert run("{{range $k, $v := .Labels}}{{$k}}={{$v}};{{end}}", data) == "a=1;b=2;"
    assert run("{{range .Ports}}{{.}} {{end}}", data) == "80 443 "
    assert run("{{if eq .N 3}}three{{else}}other{{end}}", data) == "three"
    assert run("{{with .Missing}}x{{else}}none{{end}}", data) == "none"
    assert run('{{printf "%-5s|%3d" .Name .N}}', data) == "web  |  3"
    assert run("{{json .Labels}} {{.Labels}}", data) == '{"a":"1","b":"2"} map[a:1 b:2]'
    assert run("{{.Missing}}", data) == "<no value>"
    assert run("{{- .Name -}}  \n", data) == "web"
    assert run("{{/* a comment */}}{{pad .Name 1 2}}|{{truncate .Name 2}}", data) == " web  |we"


@pytest.mark.parametrize(
    ("src", "message"),
    [
        ("{{.Foo", "template: :1: unclosed action"),  # real
        ("{{nosuch .ID}}", 'template: :1: function "nosuch" not defined'),  # real
        ("{{if .A}}x", "template: :1: unexpected EOF"),
        ("x{{end}}", "template: :1: unexpected {{end}}"),
        ("{{}}", "template: :1: missing value for command"),
        ("a\n{{$x}}", 'template: :2: undefined variable "$x"'),
    ],
)
def test_a_template_that_does_not_parse_says_where(src, message):
    with pytest.raises(TemplateError) as err:
        Template(src)
    assert err.value.message == message
    assert err.value.parse


def test_a_template_that_fails_on_its_data_says_where_and_what_it_wrote_before():
    info = GoStruct("system.dockerInfo", Name="m1", ClientInfo=GoStruct("*system.clientInfo"))
    with pytest.raises(TemplateError) as err:
        Template("{{.Name}} {{.ClientInfo.Foo}}").execute(info)
    # real (without the name before it): the chain is placed at its second field
    assert err.value.message == (
        'template: :1:23: executing "" at <.ClientInfo.Foo>: '
        "can't evaluate field Foo in type *system.clientInfo"
    )
    assert err.value.partial == "m1 "
    with pytest.raises(TemplateError) as err:
        Template("{{join .Name}}").execute(info)
    assert err.value.message == (
        'template: :1:2: executing "" at <join>: wrong number of args for join: want 2 got 1'
    )


def test_inspect_templates_treat_a_missing_key_as_an_error_but_not_in_a_map():
    node = {"Status": {"State": "ready"}, "Spec": {"Labels": {}}}
    assert run("{{.Spec.Labels.zone}}", node, missing="error") == "<no value>"
    with pytest.raises(TemplateError) as err:
        run("{{.Status.Foo}}", node, missing="error")
    assert err.value.message == (
        'template: :1:9: executing "" at <.Status.Foo>: map has no entry for key "Foo"'
    )


def test_go_json_keeps_struct_order_and_sorts_maps():
    value = {"ID": "x", "Spec": {"Labels": {"z": "1", "a": "2"}}, "Addr": None}
    assert go_json(value) == '{"ID":"x","Spec":{"Labels":{"a":"2","z":"1"}},"Addr":null}'
    assert go_json("<&>") == '"<&>"'  # docker does not escape HTML


def test_tables_are_laid_out_as_docker_lays_them():
    # tabwriter with a minimum cell width of 10 and a padding of 3
    assert tabwrite("ID\tNAME\nabc\tweb-long-name\n") == (
        "ID        NAME\nabc       web-long-name\n"
    )
    assert tabwrite("HOSTNAME-LONG\tX\n") == "HOSTNAME-LONG   X\n"


@given(st.lists(st.lists(st.text(max_size=15), max_size=6), max_size=8))
def test_every_cell_but_a_rows_last_is_padded_to_its_columns_widest_and_three(rows):
    widths: dict[int, int] = {}
    for row in rows:
        for i, cell in enumerate(row[:-1]):
            widths[i] = max(widths.get(i, 0), len(cell))
    want = [
        "".join(c.ljust(max(10, widths[i] + 3)) for i, c in enumerate(row[:-1])) + "".join(row[-1:])
        for row in rows
    ]
    assert table(rows) == ("\n".join(want) + "\n" if rows else "")


@pytest.fixture(scope="module")
def swarm() -> Lab:
    lab = Lab()
    lab.form_swarm(["manager1"], ["worker1"])
    return lab


@pytest.mark.parametrize(
    ("argv", "out", "err", "status"),
    [
        (
            ["info", "--format", "{{.ClientInfo.Foo}}"],  # real
            "\n",
            'template: :1:13: executing "" at <.ClientInfo.Foo>: '
            "can't evaluate field Foo in type *system.clientInfo\n",
            1,
        ),
        (
            ["info", "--format", "{{.ClientInfo.Version}} {{.ClientInfo.Foo"],  # real
            "",
            "template parsing error: template: :1: unclosed action\n",
            64,
        ),
        (
            ["version", "--format", "{{.Client.Version"],  # real
            "",
            "template parsing error: template: version:1: unclosed action\n",
            64,
        ),
        (
            ["version", "--format", "{{nosuch .Client}}"],  # real
            "",
            'template parsing error: template: version:1: function "nosuch" not defined\n',
            64,
        ),
        (
            ["node", "ls", "--format", "{{.NoField}}"],
            "",
            'template parsing error: template: :1:2: executing "" at <.NoField>: '
            "can't evaluate field NoField in type *node.nodeContext\n",
            1,
        ),
        (
            ["node", "ls", "--format", "{{.Foo"],
            "",
            "template parsing error: template: :1: unclosed action\n",
            1,
        ),
        (
            ["node", "inspect", "--format", "{{.Foo", "self"],
            "",
            "template parsing error: template: :1: unclosed action\n",
            64,
        ),
        (
            ["node", "inspect", "--format", "{{.ID}}", "nosuch"],
            "\n",
            "Error response from daemon: node nosuch not found\n",
            1,
        ),
    ],
)
def test_template_mistakes_get_dockers_errors_and_exit_statuses(swarm, argv, out, err, status):
    r = swarm.docker("manager1", argv)
    assert (r.out, r.err, r.status) == (out, err, status)


def test_formats_students_use(swarm):
    r = swarm.docker("manager1", ["node", "ls", "--format", "table {{.Hostname}}\t{{.Status}}"])
    assert r.out == "HOSTNAME   STATUS\nmanager1   Ready\nworker1    Ready\n"
    r = swarm.docker("manager1", ["node", "ls", "--format", "json"])
    first = r.out.splitlines()[0]
    assert first.startswith('{"Availability":"Active","EngineVersion":"20.10.24+dfsg1",')
    assert first.endswith(
        '"ManagerStatus":"Leader","Self":true,"Status":"Ready","TLSStatus":"Ready"}'
    )
    r = swarm.docker("manager1", ["node", "inspect", "--format", "json", "self"])
    assert r.out.startswith('[{"ID":"') and r.out.endswith("}]\n")
    r = swarm.docker("manager1", ["info", "--format", "{{.Swarm.LocalNodeState}}"])
    assert r.out == "active\n"


@pytest.mark.parametrize(
    ("argv", "go_type"),
    [
        ("node ls", "*node.nodeContext"),
        ("service ls", "*service.serviceContext"),
        ("service ps web", "*task.taskContext"),
        ("node ps self", "*task.taskContext"),
        ("network ls", "*network.networkContext"),
        ("secret ls", "*secret.secretContext"),
        ("config ls", "*config.configContext"),
        ("ps -a", "*formatter.ContainerContext"),
    ],
)
def test_a_missing_field_names_the_rows_go_type_as_docker_does(swarm, argv, go_type):
    if swarm.docker("manager1", ["service", "inspect", "web"]).status:
        swarm.docker("manager1", "service create -d --name web --mode global nginx".split())
        swarm.docker("manager1", ["secret", "create", "pw", "-"], stdin="pw")
        swarm.docker("manager1", ["config", "create", "conf", "-"], stdin="x")
        swarm.sleep(10)
    r = swarm.docker("manager1", [*argv.split(), "--format", "{{.Nope}}"])
    assert r.status == 1
    assert f"can't evaluate field Nope in type {go_type}" in r.err


def test_fields_chain_on_a_parenthesized_pipeline():
    data = {"Secrets": [{"File": {"Name": "pw"}}]}
    assert Template("{{(index .Secrets 0).File.Name}}").execute(data) == "pw"


def test_parenthesized_pipelines_stay_themselves_row_after_row():
    t = Template('{{(print .A)}} {{(print .B | printf "%s!")}} {{(len .C)}}')
    rows = [{"A": f"a{i}", "B": f"b{i}", "C": [1] * i} for i in range(4)]
    assert [t.execute(r) for r in rows] == [f"a{i} b{i}! {i}" for i in range(4)]


def test_a_rows_fields_are_its_own_whatever_rows_were_read_before():
    class Row:
        def __init__(self, name: str) -> None:
            self.name = name

        def Name(self) -> str:  # noqa: N802 - a docker field
            return self.name

    class Other:
        Name = "a class attribute"

    class Shadowed(Row):
        def __init__(self) -> None:
            super().__init__("unused")
            self.Name = lambda: "the instance's own"  # type: ignore[method-assign]

    tpl = Template("{{.Name}}")
    assert [tpl.execute(Row(n)) for n in ("a", "b")] == ["a", "b"]
    assert tpl.execute(Other()) == "a class attribute"
    assert tpl.execute(Shadowed()) == "the instance's own"
    assert tpl.execute(Row("c")) == "c"


class _Row:
    def __init__(self, a, b) -> None:
        self.a, self.b = a, b

    def A(self):  # noqa: N802 - a docker field
        return self.a

    def B(self):  # noqa: N802
        return self.b


class _OtherRow(_Row):
    def A(self):  # noqa: N802
        return f"other {self.a}"


cells = st.text(max_size=4) | st.integers() | st.booleans() | st.none() | st.lists(st.integers())


@given(
    st.lists(
        st.sampled_from(
            [
                "{{.A}}",
                "{{.B}}",
                "\t",
                " {x} ",
                "%s",
                "}{",
                "{{.A | len}}",
                "{{if .A}}*{{else}} {{ end }}",
                "{{if .B}}{x}{{end}}",
                "{{if .A}}{{.B}}{{end}}",
                "{{if .B}}}{{else if .A}}a{{end}}",
                "{{if .A | len}}n{{end}}",
            ]
        )
    ),
    st.lists(st.tuples(cells, cells, st.booleans()), max_size=6),
)
@example(["{{if .A}}*{{else}} {{ end }}"], [("a", 1, False), ("", 1, False), ("b", 1, False)])
@example([" {x} "], [("", None, False), ("a", 1, False)])  # (no field: text alone)
@example(["{{.A}}"], [("a", 1, False), ("b", 1, True)])  # (a row of another class)
@example(["{{.B}}"], [("a", "x", False), ("b", None, False)])  # (a value not a str)
def test_rows_run_together_print_what_each_run_alone_prints(parts, cells_of_rows):
    try:
        template = Template("".join(parts))
    except TemplateError:
        return  # ("}{{{.A}}" does not parse)
    rows = [(_OtherRow if other else _Row)(a, b) for a, b, other in cells_of_rows]
    each = []
    for row in rows:
        try:
            each.append(template.execute(row))
        except TemplateError:
            each.append(TemplateError)
    if TemplateError in each:
        with pytest.raises(TemplateError):
            template.execute_rows(rows)
    else:
        assert template.execute_rows(rows) == each


@given(st.lists(st.text("ab.-_09"), max_size=6))
@example(["web.10", "web.2", "web2.1", "web10.1", "web.1", ""])
def test_names_sort_as_sortorder_natural_less_sorts_them(names):
    # digits compare as numbers: web.2 before web.10, web2 before web10
    def chunks(s: str) -> list:  # (each run of digits a number, the rest as it is)
        out: list = []
        for ch in s:
            digit = ch.isdigit()
            if out and digit == isinstance(out[-1], int):
                out[-1] = out[-1] * 10 + int(ch) if digit else out[-1] + ch
            else:
                out.append(int(ch) if digit else ch)
        return out

    def natural(s: str) -> tuple:
        parts = chunks(s)
        if not parts or isinstance(parts[0], int):
            parts.insert(0, "")
        if isinstance(parts[-1], int):
            parts.append("")
        return tuple(parts)

    assert [natural_key(n) for n in names] == [natural(n) for n in names]
    assert sorted(["web.10", "web.2", "web.1"], key=natural_key) == ["web.1", "web.2", "web.10"]


# (a service's name, a slot — 0: a global task's, named by its node — and a node's ID)
task_names = st.tuples(st.text("ab.-_09", max_size=6), st.integers(0, 10**6), st.text("a0z9"))


@given(st.lists(task_names, max_size=8))
@example([("web", 10, ""), ("web", 2, ""), ("web2", 1, ""), ("web", 0, "n0de1"), ("w1.", 3, "")])
def test_tasks_sort_by_their_names_natural_key_without_the_names(tasks):
    # service ps orders by natural_key(name) with no name made: its service's key and slot
    prefixes: dict[str, tuple] = {}  # (shared by the listing's tasks)
    for service, slot, node in tasks:
        task = {"Slot": slot, "NodeID": node}
        assert name_key(service, task, prefixes) == natural_key(task_name(service, task))
