"""miniswarm's own words, in English and Korean. What docker (and bash, ssh, curl …)
print stays in English, as on a real machine; what miniswarm itself says — its help,
the `lab` commands, its questions — speaks the student's language.

The language: `miniswarm --lang ko|en`, else MINISWARM_LANG, else the locale (LANG,
LC_ALL, LC_MESSAGES starting with "ko"), else English.
"""

from __future__ import annotations

import os

LANGUAGES = ("en", "ko")


def _from_environment() -> str:
    chosen = os.environ.get("MINISWARM_LANG", "")
    if chosen in LANGUAGES:
        return chosen
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "")
        if value:
            return "ko" if value.lower().startswith("ko") else "en"
    return "en"


_language = _from_environment()


def language() -> str:
    return _language


def set_language(code: str) -> None:
    global _language
    if code not in LANGUAGES:
        raise ValueError(f"unknown language {code!r}: choose one of {', '.join(LANGUAGES)}")
    _language = code


def t(key: str, **values: object) -> str:
    """The message `key` in the current language, with {values} filled in."""
    entry = MESSAGES[key]
    text = entry.get(_language) or entry["en"]
    return text.format(**values) if values else text


MESSAGES: dict[str, dict[str, str]] = {
    "run.stopped": {
        "en": "[miniswarm: still waiting after {seconds} s; the player pressed Ctrl-C]",
        "ko": "[miniswarm: {seconds}초가 지나도록 끝나지 않아 재생기가 Ctrl-C를 눌렀습니다]",
    },
    "banner": {
        "en": "miniswarm: a lab of {hosts} simulated hosts running Docker Engine "
        "(seed {seed}). Type 'help' to start.",
        "ko": "miniswarm: 도커 엔진이 도는 시뮬레이션 호스트 {hosts}대로 꾸민 실습실입니다 "
        "(시드 {seed}). 처음이라면 'help'를 입력해 보세요.",
    },
    "help": {
        "en": """\
miniswarm: Docker Swarm mode on a lab of simulated hosts.

Type docker commands as you would on a real host:
  docker swarm init --advertise-addr 192.168.0.100
  docker node ls | grep Leader
  docker -H worker1 info           (one command on another host)

Moving between hosts:
  ssh HOST [COMMAND]               log in to HOST (its prompt shows where you are),
                                   or run one COMMAND there
  exit, Ctrl-D                     log out, back to the host you came from
  hosts                            the lab's hosts and their addresses

Breaking things on purpose (the `lab` commands, usable anywhere in a line):
  lab stop HOST...                 the hosts lose power: they stop answering and
                                   lose everything they had not saved to disk
  lab start HOST...                start them again, from what they had saved
  lab partition A B / C D          cut the network into groups that cannot reach
                                   each other (hosts not named form one more group)
  lab heal                         mend the network
  lab sleep SECONDS                let time pass (Ctrl-C stops waiting)
  lab status                       which hosts are up, and each manager's Raft state

The shell is bash in small: | && || ; > >> < 2>&1 <<< and here-documents,
variables (TOKEN=$(docker swarm join-token -q worker)), $(...) and `...`, $?,
for/while/if, and echo, printf, cat, grep, head, tail, wc, sort, uniq, cut, sed,
tr, tee, xargs, seq, curl, watch, timeout, sleep, clear, history.
Ctrl-C stops a command; a line ending in \\ goes on on the next.

Not in this lab: docker run/build/pull/compose/stack and other single-host or
image-building commands — the lab is about swarm mode.""",
        "ko": """\
miniswarm: 시뮬레이션 호스트로 꾸민 도커 스웜 모드 실습실입니다.

실제 호스트에서처럼 docker 명령을 입력하면 됩니다:
  docker swarm init --advertise-addr 192.168.0.100
  docker node ls | grep Leader
  docker -H worker1 info           (다른 호스트에서 명령 하나만 실행)

호스트 사이 이동:
  ssh HOST [COMMAND]               HOST에 접속합니다 (프롬프트에 지금 호스트가 보여요)
                                   COMMAND를 주면 그 명령만 실행하고 돌아옵니다
  exit, Ctrl-D                     접속을 끊고 원래 호스트로 돌아갑니다
  hosts                            실습실 호스트와 IP 주소 목록

일부러 장애 내 보기 (`lab` 명령, 명령줄 어디에서나 쓸 수 있어요):
  lab stop HOST...                 호스트 전원을 내립니다: 응답이 끊기고,
                                   디스크에 저장하지 않은 건 모두 사라집니다
  lab start HOST...                디스크에 남은 상태로 다시 부팅합니다
  lab partition A B / C D          네트워크를 서로 통신할 수 없는 그룹으로 나눕니다
                                   (이름을 안 적은 호스트는 또 하나의 그룹이 됩니다)
  lab heal                         네트워크를 원래대로 복구합니다
  lab sleep SECONDS                시간을 흘려보냅니다 (Ctrl-C로 멈춤)
  lab status                       켜진 호스트와 매니저 노드별 Raft 상태

셸은 작은 bash입니다: | && || ; > >> < 2>&1 <<< 와 히어 문서,
변수 (TOKEN=$(docker swarm join-token -q worker)), $(...) 와 `...`, $?,
for/while/if, 그리고 echo, printf, cat, grep, head, tail, wc, sort, uniq, cut, sed,
tr, tee, xargs, seq, curl, watch, timeout, sleep, clear, history 를 쓸 수 있어요.
Ctrl-C는 실행 중인 명령을 멈추고, 줄 끝에 \\ 를 쓰면 다음 줄로 이어집니다.

이 실습실에 없는 것: docker run/build/pull/compose/stack 같은 단일 호스트용이나
이미지 빌드용 명령은 빠져 있습니다. 스웜 모드 실습에 집중하기 위해서예요.""",
    },
    "lab.usage": {
        "en": """\
usage: lab stop HOST...            the hosts lose power
       lab start HOST...           they boot again from their disks
       lab partition A B / C D     cut the network into groups
       lab heal                    mend the network
       lab sleep SECONDS           let time pass
       lab status                  hosts, roles and each manager's Raft state""",
        "ko": """\
사용법: lab stop HOST...            호스트 전원을 내립니다
        lab start HOST...           디스크에 남은 상태로 다시 부팅합니다
        lab partition A B / C D     네트워크를 그룹으로 나눕니다
        lab heal                    네트워크를 복구합니다
        lab sleep SECONDS           시간을 흘려보냅니다
        lab status                  호스트, 역할, 매니저 노드별 Raft 상태""",
    },
    "lab.usage.stop": {
        "en": "usage: lab stop HOST...  (the hosts lose power)",
        "ko": "사용법: lab stop HOST...  (호스트 전원을 내립니다)",
    },
    "lab.usage.start": {
        "en": "usage: lab start HOST...  (the hosts boot again from their disks)",
        "ko": "사용법: lab start HOST...  (디스크에 남은 상태로 다시 부팅합니다)",
    },
    "lab.usage.partition": {
        "en": "usage: lab partition A B / C D  (hosts in different groups cannot reach "
        "each other; hosts not named form one more group)",
        "ko": "사용법: lab partition A B / C D  (다른 그룹끼리는 통신할 수 없고, "
        "이름을 안 적은 호스트는 또 하나의 그룹이 됩니다)",
    },
    "lab.usage.heal": {
        "en": "usage: lab heal  (mend the network)",
        "ko": "사용법: lab heal  (네트워크를 복구합니다)",
    },
    "lab.usage.sleep": {
        "en": "usage: lab sleep SECONDS  (let time pass: 30, 2.5, 1m)",
        "ko": "사용법: lab sleep SECONDS  (시간을 흘려보냅니다: 30, 2.5, 1m)",
    },
    "lab.usage.status": {
        "en": "usage: lab status",
        "ko": "사용법: lab status",
    },
    "lab.need_host": {
        "en": "lab {verb}: name at least one host",
        "ko": "lab {verb}: 호스트를 하나 이상 적어 주세요",
    },
    "lab.no_such_host": {
        "en": "lab {verb}: no such host: {host} (the lab has {hosts})",
        "ko": "lab {verb}: 그런 호스트는 없습니다: {host} (실습실 호스트: {hosts})",
    },
    "lab.already_down": {
        "en": "lab stop: {host} is already down",
        "ko": "lab stop: {host}는 이미 꺼져 있습니다",
    },
    "lab.already_up": {
        "en": "lab start: {host} is already running",
        "ko": "lab start: {host}는 이미 켜져 있습니다",
    },
    "lab.bad_seconds": {
        "en": "lab sleep: invalid time interval '{value}'",
        "ko": "lab sleep: 시간 값이 잘못됐습니다: '{value}'",
    },
    "lab.extra": {
        "en": "lab {verb}: unexpected argument '{arg}'",
        "ko": "lab {verb}: 필요 없는 인자가 있습니다: '{arg}'",
    },
    "lab.partition_groups": {
        "en": "lab partition: a host can be in only one group: {host}",
        "ko": "lab partition: 호스트 하나는 한 그룹에만 들어갈 수 있습니다: {host}",
    },
    "lab.unknown": {
        "en": "lab: unknown action '{verb}'",
        "ko": "lab: 모르는 동작입니다: '{verb}'",
    },
    "lab.status.seed": {
        "en": "seed {seed} (replay this lab with: miniswarm --seed {seed})",
        "ko": "시드 {seed} (같은 실습실을 다시 열려면: miniswarm --seed {seed})",
    },
    "lab.status.down": {"en": "down", "ko": "꺼짐"},
    "lab.status.up": {"en": "up", "ko": "켜짐"},
    "lab.status.no_swarm": {"en": "not in a swarm", "ko": "스웜에 참여하지 않음"},
    "lab.status.raft": {
        "en": "raft: {state}, term {term}, commit {commit}, leader {leader}",
        "ko": "raft: {state}, 텀 {term}, 커밋 {commit}, 리더 {leader}",
    },
    "lab.status.none": {"en": "none", "ko": "없음"},
    "exit.confirm": {
        "en": "This is the lab's first host: logging out ends miniswarm, and the lab with "
        "it. Leave? [y/N] ",
        "ko": "실습실의 첫 호스트입니다. 여기서 나가면 miniswarm이 끝나고 실습실도 "
        "사라집니다. 나갈까요? [y/N] ",
    },
    "exit.kept": {
        "en": "(still here: 'exit' again and answer y to leave)",
        "ko": "(계속합니다. 끝내려면 다시 'exit'를 입력하고 y로 답하세요)",
    },
    "exit.bye": {
        "en": "miniswarm: the lab is closed (seed {seed}: 'miniswarm --seed {seed}' opens "
        "the same lab again).",
        "ko": "miniswarm: 실습실을 닫았습니다 (시드 {seed}: 'miniswarm --seed {seed}'로 "
        "같은 실습실을 다시 열 수 있어요).",
    },
    "lab.not_here.systemctl": {
        "en": "miniswarm: {name} is not part of this lab. To stop or start a host's "
        "Docker Engine, use 'lab stop HOST' and 'lab start HOST'.",
        "ko": "miniswarm: {name}은(는) 이 실습실에 없습니다. 호스트의 도커 엔진을 끄고 "
        "켜려면 'lab stop HOST', 'lab start HOST'를 쓰세요.",
    },
    "lab.not_here.compose": {
        "en": "miniswarm: {name} is not part of this lab: create services with "
        "'docker service create'.",
        "ko": "miniswarm: {name}은(는) 이 실습실에 없습니다. 서비스는 "
        "'docker service create'로 만들어 보세요.",
    },
    "lab.not_here.editor": {
        "en": "miniswarm: there is no editor in this lab. Write a file with "
        "'echo TEXT > FILE', or a here-document: cat > FILE <<EOF",
        "ko": "miniswarm: 이 실습실에는 편집기가 없습니다. 파일은 'echo TEXT > FILE'이나 "
        "히어 문서(cat > FILE <<EOF)로 만들어 보세요.",
    },
    "lab.not_here.packages": {
        "en": "miniswarm: {name}: the lab's hosts install nothing; Docker Engine is already there.",
        "ko": "miniswarm: {name}: 실습실 호스트에는 따로 설치할 게 없습니다. 도커 엔진은 "
        "이미 깔려 있어요.",
    },
    "docker.not_listed": {
        "en": "Not in this lab, which teaches swarm mode (miniswarm): {commands}",
        "ko": "스웜 모드 실습실(miniswarm)이라 빠진 명령: {commands}",
    },
    "docker.left_out": {
        "en": "miniswarm: 'docker {command}' is not part of this lab: it teaches swarm mode "
        "(swarm, node, service, secret, config, network, and the containers tasks run in). "
        "Run services with 'docker service create'.",
        "ko": "miniswarm: 'docker {command}'는 이 실습실에 없습니다. 이 실습실은 스웜 모드"
        "(swarm, node, service, secret, config, network, 태스크가 도는 컨테이너)를 다룹니다. "
        "서비스는 'docker service create'로 실행해 보세요.",
    },
}
