"""The Kubernetes path (hub/kubernetes/), validated offline: no cluster, no image build.

What can be checked here is: the Helm values load and use only keys the Zero to JupyterHub chart
documents; the per-learner guarantees and limits are the ones the measured capacity gives; the
image definition is pinned, installs exactly the lock, copies only what the student branch
holds, runs as a non-root user, downloads nothing at run time and configures nbgrader as the
values mount it; the start script gives a learner's own UID the name nbgrader expects.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import types
from pathlib import Path

import pytest
import yaml
from kit import hub as kit
from traitlets.config import Config, PyFileConfigLoader

from servicecourse.build import student
from servicecourse.classroom import dashboards, learn
from servicecourse.paths import layout

ROOT = Path(__file__).resolve().parents[1]
KUBERNETES = ROOT / "hub" / "kubernetes"
VALUES = KUBERNETES / "values.yaml"
DOCKERFILE = KUBERNETES / "Dockerfile"
EXCHANGE_PVC = KUBERNETES / "exchange-pvc.yaml"
CAPACITY = ROOT / "benchmarks" / "capacity.json"

# Every key values.yaml sets, with where the chart (4.4.x) documents it. Free-form objects the
# chart passes through (hub.config, hub.extraConfig, volume specs) end the path.
REFERENCE = "https://z2jh.jupyter.org/en/stable/resources/reference.html"
DOCUMENTED = {
    "singleuser.image.name": f"{REFERENCE}#singleuser-image",
    "singleuser.image.tag": f"{REFERENCE}#singleuser-image",
    "singleuser.image.pullPolicy": f"{REFERENCE}#singleuser-image",
    "singleuser.cmd": f"{REFERENCE}#singleuser-cmd",
    "singleuser.defaultUrl": f"{REFERENCE}#singleuser-defaulturl",
    "singleuser.uid": f"{REFERENCE}#singleuser-uid",
    "singleuser.fsGid": f"{REFERENCE}#singleuser-fsgid",
    "singleuser.memory.guarantee": f"{REFERENCE}#singleuser-memory",
    "singleuser.memory.limit": f"{REFERENCE}#singleuser-memory",
    "singleuser.cpu.guarantee": f"{REFERENCE}#singleuser-cpu",
    "singleuser.cpu.limit": f"{REFERENCE}#singleuser-cpu",
    "singleuser.startTimeout": f"{REFERENCE}#singleuser-starttimeout",
    "singleuser.storage.type": f"{REFERENCE}#singleuser-storage-type",
    "singleuser.storage.capacity": f"{REFERENCE}#singleuser-storage-capacity",
    "singleuser.storage.homeMountPath": f"{REFERENCE}#singleuser-storage-homemountpath",
    "singleuser.storage.extraVolumes": f"{REFERENCE}#singleuser-storage-extravolumes",
    "singleuser.storage.extraVolumeMounts": f"{REFERENCE}#singleuser-storage-extravolumemounts",
    "hub.extraConfig": f"{REFERENCE}#hub-extraconfig",
    "cull.enabled": f"{REFERENCE}#cull-enabled",
    "cull.timeout": f"{REFERENCE}#cull-timeout",
    "cull.every": f"{REFERENCE}#cull-every",
    "cull.users": f"{REFERENCE}#cull-users",
    "scheduling.userScheduler.enabled": f"{REFERENCE}#scheduling-userscheduler-enabled",
    "scheduling.podPriority.enabled": f"{REFERENCE}#scheduling-podpriority",
    "scheduling.userPlaceholder.enabled": f"{REFERENCE}#scheduling-userplaceholder",
    "scheduling.userPlaceholder.replicas": f"{REFERENCE}#scheduling-userplaceholder-replicas",
    "prePuller.hook.enabled": f"{REFERENCE}#prepuller-hook",
    "prePuller.continuous.enabled": f"{REFERENCE}#prepuller-continuous",
}
FREE_FORM = {
    "hub.extraConfig",
    "singleuser.storage.extraVolumes",
    "singleuser.storage.extraVolumeMounts",
    "singleuser.cmd",
}


def key_paths(tree: dict, prefix: str = "") -> set[str]:
    paths = set()
    for key, value in tree.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and path not in FREE_FORM:
            paths |= key_paths(value, path + ".")
        else:
            paths.add(path)
    return paths


@pytest.fixture(scope="module")
def values() -> dict:
    return yaml.safe_load(VALUES.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def bench():
    """benchmarks/bench_capacity.py as a module (benchmarks are scripts, not a package)."""
    script = CAPACITY.with_name("bench_capacity.py")
    spec = importlib.util.spec_from_file_location("bench_capacity", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def measured() -> dict:
    return json.loads(CAPACITY.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def dockerfile() -> list[tuple[str, str]]:
    return parse_dockerfile(DOCKERFILE.read_text(encoding="utf-8"))


def parse_dockerfile(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order; continuation lines joined, here-documents kept whole."""
    steps: list[tuple[str, str]] = []
    lines = iter(text.splitlines())
    for line in lines:
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        while line.endswith("\\"):
            line = line[:-1] + " " + next(lines).strip()
        instruction, _, arguments = line.strip().partition(" ")
        heredoc = re.search(r"<<'?(\w+)'?", arguments)
        if heredoc:
            body = []
            for more in lines:
                if more == heredoc.group(1):
                    break
                body.append(more)
            arguments += "\n" + "\n".join(body) + "\n"
        steps.append((instruction.upper(), arguments))
    return steps


def heredoc(dockerfile, target: str) -> str:
    for instruction, arguments in dockerfile:
        first, _, body = arguments.partition("\n")
        if instruction == "COPY" and first.split()[-1] == target:
            return body
    raise AssertionError(f"the Dockerfile writes no {target}")


# -- the Helm values ---------------------------------------------------------------------------
def test_every_key_is_one_the_chart_documents(values):
    used = key_paths(values)
    undocumented = used - DOCUMENTED.keys()
    assert not undocumented, f"keys without a documented chart option: {sorted(undocumented)}"
    unused = DOCUMENTED.keys() - used
    assert not unused, f"DOCUMENTED lists keys values.yaml no longer sets: {sorted(unused)}"


def test_values_name_the_chart_version_they_target():
    text = VALUES.read_text(encoding="utf-8")
    assert re.search(r"chart 4\.4\.\d", text), "values.yaml must say which chart version it targets"


def test_guarantees_and_limits_are_the_measured_ones(values, bench, measured):
    helm = bench.derive_sizing(measured)["helm"]
    user = values["singleuser"]
    assert str(user["memory"]["guarantee"]) == helm["memory_guarantee"]
    assert str(user["memory"]["limit"]) == helm["memory_limit"]
    assert user["cpu"]["guarantee"] == pytest.approx(helm["cpu_guarantee"])
    assert user["cpu"]["limit"] == pytest.approx(helm["cpu_limit"])
    assert values["scheduling"]["userPlaceholder"]["replicas"] == helm["user_placeholders"]
    assert measured["sizing"]["helm"] == helm, "capacity.json's sizing is stale: rerun the bench"


def test_sizing_holds_the_measured_learner(bench, measured):
    sizing = bench.derive_sizing(measured)
    guarantee = int(sizing["helm"]["memory_guarantee"].removesuffix("M"))
    limit = int(sizing["helm"]["memory_limit"].removesuffix("M"))
    lessons = [got for got in measured["lessons"] if "error" not in got]
    heaviest = max(got["peak_rss_mib"] for got in lessons)
    # The guarantee holds a server, the heaviest lesson and a dashboard; the limit a second lesson.
    assert guarantee >= measured["singleuser"]["rss_mib"] + heaviest
    assert limit >= sizing["active_learner_mib"] + heaviest and limit >= guarantee
    free = bench.SERVER_MEMORY_GIB * 1024 - bench.RESERVED_OS_MIB - bench.RESERVED_HUB_MIB
    running = sizing["running_servers"]
    assert running * guarantee <= free < (sizing["running_servers_by_memory"] + 1) * guarantee
    assert running * sizing["mean_cores_per_active_learner"] <= bench.SERVER_CORES
    assert sizing["class_size"] == int(running / bench.CONCURRENCY)


def test_sizing_refuses_incomplete_measurements(bench, measured):
    partial = {key: value for key, value in measured.items() if key != "dashboards"}
    with pytest.raises(ValueError, match="without --skip"):
        bench.derive_sizing(partial)


def test_capacity_covers_every_lesson_and_dashboard(measured):
    project = layout()
    lessons = {(m.name, n.name) for m in project.all_modules() for n in m.lessons}
    assert {(got["module"], got["lesson"]) for got in measured["lessons"]} == lessons
    assert not [got for got in measured["lessons"] if "error" in got]
    names = {d.staged_name for d in dashboards.find_dashboards()}
    assert {got["dashboard"] for got in measured["dashboards"]} == names
    assert not [got for got in measured["dashboards"] if "error" in got]
    for module, lesson in measured["heaviest_lessons"].items():
        peaks = [got["peak_rss_mib"] for got in measured["lessons"] if got["module"] == module]
        chosen = [g for g in measured["lessons"] if (g["module"], g["lesson"]) == (module, lesson)]
        assert chosen[0]["peak_rss_mib"] == max(peaks)


def test_learner_uids_are_distinct_and_never_the_shared_ones(values):
    """hub.extraConfig gives each learner's pod a UID of its own (the exchange's privacy)."""
    config = Config()
    for name, code in values["hub"]["extraConfig"].items():
        exec(compile(code, name, "exec"), {"c": config})  # noqa: S102 - our own values file
    uid = config.KubeSpawner.uid
    assert callable(uid)
    uids = [uid(types.SimpleNamespace(user=types.SimpleNamespace(id=i))) for i in range(1, 500)]
    assert len(set(uids)) == len(uids)
    assert min(uids) > 65535 and values["singleuser"]["uid"] not in uids


def test_exchange_volume_is_shared_read_write(values):
    claim = yaml.safe_load(EXCHANGE_PVC.read_text(encoding="utf-8"))
    assert claim["kind"] == "PersistentVolumeClaim"
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
    storage = values["singleuser"]["storage"]
    volume = next(v for v in storage["extraVolumes"] if "persistentVolumeClaim" in v)
    assert volume["persistentVolumeClaim"]["claimName"] == claim["metadata"]["name"]
    mounts = [m for m in storage["extraVolumeMounts"] if m["name"] == volume["name"]]
    assert [m["mountPath"] for m in mounts] == ["/srv/nbgrader/exchange"]


# -- the image ---------------------------------------------------------------------------------
def test_base_image_is_pinned_to_the_python_of_the_lock(dockerfile):
    bases = [arguments for instruction, arguments in dockerfile if instruction == "FROM"]
    assert len(bases) == 1
    found = re.fullmatch(r"python:(\d+)\.(\d+)\.(\d+)-slim-\w+(@sha256:[0-9a-f]{64})?", bases[0])
    assert found, f"base image {bases[0]!r} is not pinned to an exact Python release"
    assert (int(found[1]), int(found[2])) == sys.version_info[:2]


def test_installs_exactly_the_pinned_lock(dockerfile, tmp_path):
    installs = [a for i, a in dockerfile if i == "RUN" and "pip install" in a]
    lock_install = next(a for a in installs if "-r /tmp/requirements.lock" in a)
    assert "grep -v '^-e ' requirements.txt > /tmp/requirements.lock" in lock_install
    assert "--no-deps" in lock_install and "pip check" in lock_install
    for command in installs:  # nothing beyond the lock and the course's own package
        for part in command.split("&&"):
            if "pip install" in part:
                allowed = r"pip install --no-deps( --no-build-isolation)? (-r \S+|\.)"
                assert re.fullmatch(allowed, part.strip()), part
    branch = student_branch_files(tmp_path)
    requirements = branch["requirements.txt"].decode().splitlines()
    lock = layout().requirements_lock.read_text(encoding="utf-8").splitlines()
    installed = [line for line in requirements[1:] if line.strip() and line != "-e ."]
    assert installed == [line for line in lock if line.strip()]
    assert requirements[-1] == "-e ."
    pins = [line for line in lock if line.strip() and not line.lstrip().startswith("#")]
    assert pins and all(re.fullmatch(r"[A-Za-z0-9_.-]+(\[[a-z,]+\])?==\S+", p) for p in pins)


def test_copies_only_what_the_student_branch_holds(dockerfile, tmp_path):
    branch = student_branch_files(tmp_path)
    folders = {Path(path).parts[0] for path in branch}
    for instruction, arguments in dockerfile:
        if instruction != "COPY" or "<<" in arguments:
            continue
        sources = [a for a in arguments.split() if not a.startswith("--")][:-1]
        for source in sources:
            assert source in branch or source in folders, f"COPY {source}: not in the branch"
    assert not [path for path in branch if path.startswith("modules/")]


def test_runs_as_the_non_root_user_the_values_expect(dockerfile, values):
    users = [arguments for instruction, arguments in dockerfile if instruction == "USER"]
    arg = dict(a.split("=", 1) for i, a in dockerfile if i == "ARG")
    assert users and users[-1] == "${NB_UID}" and int(arg["NB_UID"]) != 0
    assert int(arg["NB_UID"]) == values["singleuser"]["uid"]
    assert int(arg["NB_GID"]) == values["singleuser"]["fsGid"]


def test_nothing_is_downloaded_at_run_time(dockerfile, values):
    last_run = max(n for n, (i, _) in enumerate(dockerfile) if i == "RUN")
    after = dockerfile[last_run + 1 :]
    assert any(i == "ENV" and "PIP_NO_INDEX=1" in a for i, a in after)
    started = [a for i, a in dockerfile if i in ("ENTRYPOINT", "CMD")]
    started.append(heredoc(dockerfile, "/usr/local/bin/course-start"))
    started.append(" ".join(values["singleuser"]["cmd"]))
    for text in started:
        assert not re.search(r"\b(pip|apt-get|apt|curl|wget|conda|npm|git clone)\b", text), text
    assert json.loads(started[1]) == values["singleuser"]["cmd"], "CMD and singleuser.cmd differ"


def test_nbgrader_is_configured_as_for_a_learner_on_one_machine(dockerfile, values, tmp_path):
    config_file = tmp_path / "nbgrader_config.py"
    config_file.write_text(heredoc(dockerfile, "/etc/jupyter/nbgrader_config.py"))
    image = PyFileConfigLoader(config_file.name, path=str(tmp_path)).load_config()
    reference_file = tmp_path / "learner_config.py"
    reference_file.write_text(learn.LEARNER_CONFIG.format(exchange="/elsewhere"))
    reference = PyFileConfigLoader(reference_file.name, path=str(tmp_path)).load_config()
    assert image.CourseDirectory == reference.CourseDirectory
    assert image.Execute == reference.Execute
    assert image.Exchange.path_includes_course is reference.Exchange.path_includes_course
    mounts = values["singleuser"]["storage"]["extraVolumeMounts"]
    assert image.Exchange.root in [mount["mountPath"] for mount in mounts]


def test_instructor_parts_are_disabled(dockerfile):
    disabled = " ".join(a for i, a in dockerfile if i == "RUN" and "disable" in a)
    servers = set(re.findall(r"server extension disable --sys-prefix (\S+)", disabled))
    assert servers == set(learn.INSTRUCTOR_EXTENSIONS)
    plugins = set(re.findall(r"labextension disable --level=sys_prefix (\S+)", disabled))
    assert plugins == {
        "@jupyter/nbgrader:formgrader",
        "@jupyter/nbgrader:course-list",
        "@jupyter/nbgrader:create-assignment",
    }
    code = " ".join(
        p.read_text(encoding="utf-8")
        for p in (Path(sys.prefix) / "share/jupyter/labextensions/@jupyter/nbgrader").rglob("*.js")
    )
    for plugin in plugins:  # the ids nbgrader's lab extension registers
        assert f'"{plugin}"' in code, f"nbgrader has no lab plugin {plugin}"


NSS_WRAPPER = Path("/usr/lib/x86_64-linux-gnu/libnss_wrapper.so")


@pytest.mark.skipif(
    not NSS_WRAPPER.exists() or os.geteuid() != 0 or not shutil.which("setpriv"),
    reason="needs root, setpriv and Debian's libnss-wrapper (apt-get install libnss-wrapper)",
)
def test_a_learner_uid_submits_under_the_student_id(dockerfile):
    """course-start, run as a UID /etc/passwd does not know: nbgrader names the learner by
    JUPYTERHUB_USER, as it does for jovyan in the image."""
    with tempfile.TemporaryDirectory(prefix="course-start-") as scratch:
        folder = Path(scratch)
        folder.chmod(0o755)  # pytest's tmp_path is private to root; the learner reads this
        # The image's /etc/passwd has jovyan; this machine's may not: the script reads a copy.
        passwd = [line for line in Path("/etc/passwd").read_text().splitlines()
                  if not line.startswith("jovyan:")]  # fmt: skip
        passwd.append("jovyan:x:1000:100::/home/jovyan:/bin/bash")
        (folder / "passwd").write_text("\n".join(passwd) + "\n")
        script = folder / "course-start"
        text = heredoc(dockerfile, "/usr/local/bin/course-start")
        script.write_text(text.replace("/etc/passwd", str(folder / "passwd")))
        script.chmod(0o755)
        learner_tmp = folder / "tmp"
        learner_tmp.mkdir(mode=0o1777)
        learner_tmp.chmod(0o1777)
        probe = "from nbgrader.utils import get_username; print(get_username())"
        as_learner = ["setpriv", "--reuid=123456", "--regid=100", "--clear-groups"]
        with kit.python_reachable():  # e.g. a Python under a private /root
            done = subprocess.run(
                [*as_learner, str(script), sys.executable, "-c", probe],
                env={
                    "PATH": os.environ["PATH"],
                    "JUPYTERHUB_USER": "p1234567",
                    "TMPDIR": str(learner_tmp),
                },
                capture_output=True,
                text=True,
                timeout=60,
            )
            bare = subprocess.run(
                [*as_learner, "sh", "-c", 'exec "$0" -c "$1"', sys.executable, probe],
                env={"PATH": os.environ["PATH"], "JUPYTERHUB_USER": "p1234567"},
                capture_output=True,
                text=True,
                timeout=60,
            )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "p1234567"
    # Without it, nbgrader cannot even start under a UID nobody named (no home, no name).
    assert bare.returncode != 0


# -- helpers -------------------------------------------------------------------------------------
def student_branch_files(tmp_path: Path) -> dict[str, bytes]:
    """The student branch's files by path, as `servicecourse branch` writes them. Its notebooks
    are nbgrader's release; only their paths matter here, so empty files stand in for them."""
    release = tmp_path / "release"
    for module in layout().all_modules():
        for notebook in module.lessons:
            target = release / module.name / notebook.name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text("{}")
    return student.student_files(release)
