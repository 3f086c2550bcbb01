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
    "tutor.lesson_usage": {
        "en": "lesson N starts or resumes lesson N; lesson stop leaves it.\n"
        "lesson glossary shows the terms.",
        "ko": "lesson N 으로 N번 레슨을 시작하거나 이어서 하고, lesson stop 으로 그만둡니다.\n"
        "용어는 lesson glossary 로 볼 수 있어요.",
    },
    "tutor.glossary_link": {
        "en": "{text} (type 'lesson glossary')",
        "ko": "{text}('lesson glossary' 입력)",
    },
    "tutor.no_lesson": {
        "en": "No lesson is going on: 'lesson' lists them.",
        "ko": "진행 중인 레슨이 없습니다. 'lesson'을 입력하면 목록이 나옵니다.",
    },
    "tutor.stopped": {
        "en": 'You left the lesson "{title}"; the lab stays as it is.',
        "ko": '"{title}" 레슨을 그만두었습니다. 실습실은 지금 상태 그대로 남습니다.',
    },
    "tutor.no_such_lesson": {
        "en": "There is no lesson {n}: 'lesson' lists them.",
        "ko": "{n}번 레슨은 없습니다. 'lesson'을 입력하면 목록이 나옵니다.",
    },
    "tutor.done": {
        "en": "done",
        "ko": "완료",
    },
    "tutor.at_step": {
        "en": "step {step} of {steps}",
        "ko": "{steps}단계 중 {step}단계",
    },
    "tutor.exercises": {
        "en": "Exercises ({done}/{count} done):",
        "ko": "연습 문제 ({count}개 중 {done}개 완료):",
    },
    "tutor.exercise_usage": {
        "en": (
            "exercise N sets exercise N up; check says how far you are; hint helps; "
            "exercise reset starts it again."
        ),
        "ko": (
            "exercise N 으로 N번 문제를 준비하고, check 로 채점하고, hint 로 힌트를 보고, "
            "exercise reset 으로 처음부터 다시 합니다."
        ),
    },
    "tutor.no_exercise": {
        "en": "No exercise is going on: 'exercise' lists them.",
        "ko": "진행 중인 연습 문제가 없습니다. 'exercise'를 입력하면 목록이 나옵니다.",
    },
    "tutor.no_such_exercise": {
        "en": "There is no exercise {n}: 'exercise' lists them.",
        "ko": "{n}번 연습 문제는 없습니다. 'exercise'를 입력하면 목록이 나옵니다.",
    },
    "tutor.nothing_going_on": {
        "en": "No lesson or exercise is going on: try 'lesson' or 'exercise'.",
        "ko": "진행 중인 레슨이나 연습 문제가 없습니다. 'lesson'이나 'exercise'를 입력해 보세요.",
    },
    "tutor.hint_show": {
        "en": "Type 'show' to see the command.",
        "ko": "'show'를 입력하면 입력할 명령을 보여 줍니다.",
    },
    "tutor.no_more_hints": {
        "en": "No more hints.",
        "ko": "더 드릴 힌트가 없습니다.",
    },
    "tutor.nothing_to_show": {
        "en": "There is no step to show: start a lesson with 'lesson N'.",
        "ko": "보여 줄 단계가 없습니다. 'lesson N'으로 레슨을 시작하세요.",
    },
    "tutor.you_are_on": {
        "en": "(you are on {here}: ssh {host} takes you there)",
        "ko": "(지금은 {here}에 있습니다. ssh {host}로 이동하세요)",
    },
    "tutor.next_lesson": {
        "en": "Next: lesson {n}, {title} (type lesson {n}).",
        "ko": "다음은 레슨 {n}, {title}입니다. lesson {n}을 입력하세요.",
    },
    "tutor.last_lesson": {
        "en": "That was the last lesson. The exercises wait for you: exercise",
        "ko": "마지막 레슨이었습니다. 이제 연습 문제를 풀어 보세요: exercise",
    },
    "tutor.type_on": {
        "en": "Type on {host}:",
        "ko": "{host}에서 입력하세요:",
    },
    "tutor.first_step": {
        "en": "This is the first step.",
        "ko": "첫 단계입니다.",
    },
    "tutor.waiting": {
        "en": "Not there yet: {why} (the lesson goes on once it is)",
        "ko": "아직입니다: {why} (준비되면 레슨이 이어집니다)",
    },
    "tutor.not_yet": {
        "en": "Not yet:",
        "ko": "아직 덜 됐습니다:",
    },
    "tutor.exercise_done": {
        "en": 'Well done: "{title}" is solved.',
        "ko": '잘했습니다! "{title}" 문제를 풀었습니다.',
    },
    "tutor.setting_up": {
        "en": "Setting the lab up...",
        "ko": "실습실을 준비하는 중...",
    },
    "tutor.lesson_title": {
        "en": "Lesson {n}: {title}",
        "ko": "레슨 {n}: {title}",
    },
    "tutor.questions": {
        "en": "Questions this lesson answers:",
        "ko": "이 레슨에서 답할 질문:",
    },
    "tutor.objectives": {
        "en": "When you are done you can:",
        "ko": "이 레슨을 마치면 할 수 있는 것:",
    },
    "tutor.resumed": {
        "en": "Going on from step {step}.",
        "ko": "{step}단계부터 이어서 합니다.",
    },
    "tutor.lesson_done": {
        "en": 'That was the last step of "{title}". Key points:',
        "ko": '"{title}" 레슨의 마지막 단계였습니다. 핵심 정리:',
    },
    "tutor.exercise_title": {
        "en": "Exercise {n}: {title}",
        "ko": "연습 문제 {n}: {title}",
    },
    "tutor.exercise_how": {
        "en": "Type 'check' when you think you are done; 'hint' helps.",
        "ko": "다 됐다 싶으면 'check'를 입력하세요. 막히면 'hint'가 도와줍니다.",
    },
    "tutor.resuming": {
        "en": "Going on with the lesson you were in.",
        "ko": "하던 레슨을 이어서 합니다.",
    },
    "check.swarm": {
        "en": "The engine on {host} is {state} in swarm terms (docker info's Swarm line).",
        "ko": "{host}의 도커 엔진은 스웜 상태가 {state}입니다 (docker info의 Swarm 줄).",
    },
    "check.no_leader": {
        "en": (
            "The swarm has no leader right now: nothing can be changed or read until a majority "
            "of the managers is back."
        ),
        "ko": (
            "지금 스웜에 리더가 없습니다: 매니저 노드 과반수가 돌아오기 전에는 "
            "아무것도 바꾸거나 조회할 수 없습니다."
        ),
    },
    "check.leader_exists": {
        "en": "There is a leader ({host}).",
        "ko": "리더가 있습니다 ({host}).",
    },
    "check.leader_is": {
        "en": "The leader is {host}.",
        "ko": "지금 리더는 {host}입니다.",
    },
    "check.count.nodes": {
        "en": "The swarm has {have} nodes; {want} are wanted.",
        "ko": "스웜의 노드가 {have}개입니다. {want}개여야 합니다.",
    },
    "check.count.managers": {
        "en": "The swarm has {have} manager nodes; {want} are wanted.",
        "ko": "매니저 노드가 {have}개입니다. {want}개여야 합니다.",
    },
    "check.count.workers": {
        "en": "The swarm has {have} worker nodes; {want} are wanted.",
        "ko": "워커 노드가 {have}개입니다. {want}개여야 합니다.",
    },
    "check.count.reachable-managers": {
        "en": "{have} manager nodes are reachable; {want} should be.",
        "ko": "연결되는 매니저 노드가 {have}개입니다. {want}개여야 합니다.",
    },
    "check.count.services": {
        "en": "There are {have} services; {want} are wanted.",
        "ko": "서비스가 {have}개입니다. {want}개여야 합니다.",
    },
    "check.missing.service": {
        "en": "There is no service {name}.",
        "ko": "{name} 서비스가 없습니다.",
    },
    "check.missing.secret": {
        "en": "There is no secret {name}.",
        "ko": "{name} 시크릿이 없습니다.",
    },
    "check.missing.config": {
        "en": "There is no config {name}.",
        "ko": "{name} 컨피그가 없습니다.",
    },
    "check.missing.network": {
        "en": "There is no network {name}.",
        "ko": "{name} 네트워크가 없습니다.",
    },
    "check.token": {
        "en": "The {role} join token is still the one that leaked.",
        "ko": "{role} 조인 토큰이 아직 유출된 그 토큰 그대로입니다.",
    },
    "check.autolock.on": {
        "en": "Autolock is off: a restarted manager reads the Raft log without a key.",
        "ko": (
            "자동 잠금(autolock)이 꺼져 있어, 재시작한 매니저 노드가 키 없이 Raft 로그를 읽습니다."
        ),
    },
    "check.autolock.off": {
        "en": "Autolock is on.",
        "ko": "자동 잠금(autolock)이 켜져 있습니다.",
    },
    "check.raft_members": {
        "en": "Raft has {have} members; {want} are wanted.",
        "ko": "Raft 멤버가 {have}개입니다. {want}개여야 합니다.",
    },
    "check.not_a_node": {
        "en": "{host} is not a node of the swarm.",
        "ko": "{host}는 스웜의 노드가 아닙니다.",
    },
    "check.node.role": {
        "en": "{host} is a {have} node.",
        "ko": "{host}는 지금 {have} 노드입니다.",
    },
    "check.node.availability": {
        "en": "{host} is {have}.",
        "ko": "{host}의 가용성(availability)이 {have}입니다.",
    },
    "check.node.status": {
        "en": "{host} is {have}.",
        "ko": "{host}의 상태가 {have}입니다.",
    },
    "check.still_node": {
        "en": "{host} is still a node of the swarm.",
        "ko": "{host}가 아직 스웜의 노드로 남아 있습니다.",
    },
    "check.still_service": {
        "en": "The service {name} is still there.",
        "ko": "{name} 서비스가 아직 남아 있습니다.",
    },
    "check.still_secret": {
        "en": "The secret {name} is still there.",
        "ko": "{name} 시크릿이 아직 남아 있습니다.",
    },
    "check.service.replicas": {
        "en": "The service {name} asks for {have} replicas.",
        "ko": "{name} 서비스의 레플리카 수가 {have}개로 되어 있습니다.",
    },
    "check.service.running": {
        "en": "The service {name} has {have} running tasks; {want} are wanted.",
        "ko": "{name} 서비스의 실행 중인 태스크가 {have}개입니다. {want}개여야 합니다.",
    },
    "check.service.replaced": {
        "en": "No task of {name} has been replaced yet.",
        "ko": "{name} 서비스에서 아직 교체된 태스크가 없습니다.",
    },
    "check.service.mode": {
        "en": "The service {name} is {have}.",
        "ko": "{name} 서비스의 모드가 {have}입니다.",
    },
    "check.service.image": {
        "en": "Not every task of {name} runs {want} yet.",
        "ko": "{name} 서비스의 태스크가 아직 모두 {want} 이미지로 돌고 있지는 않습니다.",
    },
    "check.service.port": {
        "en": "The service {name} does not publish port {port} on the swarm's nodes.",
        "ko": "{name} 서비스가 노드들에 {port} 포트를 공개(publish)하지 않습니다.",
    },
    "check.service.network": {
        "en": "The service {name} is not on the network {network}.",
        "ko": "{name} 서비스가 {network} 네트워크에 붙어 있지 않습니다.",
    },
    "check.service.secret": {
        "en": "The service {name} is not given the secret {secret}.",
        "ko": "{name} 서비스에 {secret} 시크릿이 전달되지 않습니다.",
    },
    "check.service.env": {
        "en": "The service {name} has no {var} in its environment.",
        "ko": "{name} 서비스의 환경 변수에 {var}가 없습니다.",
    },
    "check.service.no_env": {
        "en": "The service {name} has {var} in its environment, for anyone to read in inspect.",
        "ko": "{name} 서비스의 환경 변수에 {var}가 있어, inspect로 누구나 볼 수 있습니다.",
    },
    "check.service.update-delay": {
        "en": "The service {name}'s update delay is not {want}.",
        "ko": "{name} 서비스의 업데이트 지연(update delay)이 {want}가 아닙니다.",
    },
    "check.service.update-parallelism": {
        "en": "The service {name} does not update {want} tasks at a time.",
        "ko": "{name} 서비스가 한 번에 {want}개씩 업데이트하도록 되어 있지 않습니다.",
    },
    "check.service.update": {
        "en": "The service {name}'s last update is {state}.",
        "ko": "{name} 서비스의 마지막 업데이트 상태가 {state}입니다.",
    },
    "check.service.constraint": {
        "en": "The service {name} does not have that placement constraint.",
        "ko": "{name} 서비스에 그 배치 제약(constraint)이 없습니다.",
    },
    "check.service.on_managers": {
        "en": "Tasks of {name} run on manager nodes: {hosts}.",
        "ko": "{name} 서비스의 태스크가 매니저 노드에서 돌고 있습니다: {hosts}.",
    },
    "check.service.not_on": {
        "en": "No task of {name} runs on {host}.",
        "ko": "{host}에서 도는 {name} 태스크가 없습니다.",
    },
    "check.service.on": {
        "en": "A task of {name} still runs on {host}.",
        "ko": "{host}에서 아직 {name} 태스크가 돌고 있습니다.",
    },
    "check.answers": {
        "en": "Nothing answers at {target} from {host}.",
        "ko": "{host}에서 {target}에 접속해도 응답이 없습니다.",
    },
    "run.stopped": {
        "en": "[miniswarm: still waiting after {seconds} s; the player pressed Ctrl-C]",
        "ko": "[miniswarm: {seconds}초가 지나도록 끝나지 않아 재생기가 Ctrl-C를 눌렀습니다]",
    },
    "banner": {
        "en": "miniswarm: a lab of {hosts} simulated hosts running Docker Engine "
        "(seed {seed}). 'help' to start, 'lesson' to learn.",
        "ko": "miniswarm: 도커 엔진이 도는 시뮬레이션 호스트 {hosts}대의 실습실 "
        "(시드 {seed}). 'help'로 시작하고 'lesson'으로 배워 보세요.",
    },
    "help.unknown": {
        "en": "help: no help on '{topic}': try help, help lab or help lesson",
        "ko": "help: '{topic}'에 대한 도움말은 없습니다. "
        "help, help lab, help lesson 중에서 골라 보세요",
    },
    "toolbar.role.manager": {"en": "manager", "ko": "매니저"},
    "toolbar.role.worker": {"en": "worker", "ko": "워커"},
    "toolbar.role.": {"en": "no swarm", "ko": "스웜 없음"},
    "toolbar.role.down": {"en": "down", "ko": "꺼짐"},
    "toolbar.swarm": {
        "en": "leader {leader} │ Ready {ready}/{nodes} │ managers {reachable}/{managers}",
        "ko": "리더 {leader} │ Ready {ready}/{nodes} │ 매니저 {reachable}/{managers}",
    },
    "toolbar.no_leader": {"en": "no leader", "ko": "리더 없음"},
    "toolbar.paused": {"en": "paused", "ko": "멈춤"},
    "toolbar.help": {"en": "'help' for help", "ko": "도움말은 'help'"},
    "help": {
        "en": """\
miniswarm: Docker Swarm mode on a lab of simulated hosts.

Type docker commands as you would on a real host:
  docker swarm init --advertise-addr 192.168.0.100
  docker node ls | grep Leader
  docker -H worker1 info   (one command on another host)

Learning (lessons and exercises, in English or Korean: miniswarm --lang ko):
  lesson                   the lessons, with your progress; lesson N starts one
  hint, show               a hint for the step, or the command to type
  next, back, lesson stop  skip the step, go back one, leave the lesson
  exercise                 the exercises; exercise N sets one up on a new lab
  check                    what is still wrong, or that the goal is reached
  exercise reset           set the exercise up again

Moving between hosts:
  ssh HOST [COMMAND]       log in to HOST (its prompt shows where you are),
                           or run one COMMAND there
  exit, Ctrl-D             log out, back to the host you came from
  hosts                    the lab's hosts and their addresses

Breaking things on purpose (the `lab` commands, anywhere in a line; help lab):
  lab stop HOST...         the hosts lose power: they stop answering and
                           lose everything they had not saved to disk
  lab start HOST...        start them again, from what they had saved
  lab partition A B / C D  cut the network into groups that cannot reach
                           each other (hosts not named form one more group)
  lab heal                 mend the network
  lab sleep SECONDS        let time pass (Ctrl-C stops waiting)
  lab status               which hosts are up, and each manager's Raft state
  lab map, lab raft        the nodes and their tasks; the managers' Raft

The shell is bash in small: | && || ; > >> < 2>&1 <<< and here-documents,
variables (TOKEN=$(docker swarm join-token -q worker)), $(...) and `...`, $?,
for/while/if, and echo, printf, cat, grep, head, tail, wc, sort, uniq, cut,
sed, tr, tee, xargs, seq, curl, watch, timeout, sleep, clear, history.
Ctrl-C stops a command; a line ending in \\ goes on on the next.

Not in this lab: docker run/build/pull/compose/stack and other single-host or
image-building commands — the lab is about swarm mode.""",
        "ko": """\
miniswarm: 시뮬레이션 호스트로 꾸민 도커 스웜 모드 실습실입니다.

실제 호스트에서처럼 docker 명령을 입력하면 됩니다:
  docker swarm init --advertise-addr 192.168.0.100
  docker node ls | grep Leader
  docker -H worker1 info   (다른 호스트에서 명령 하나만 실행)

배우기 (레슨과 실습 과제, 영어로 보려면 miniswarm --lang en):
  lesson                   레슨 목록과 진도; lesson N 으로 레슨을 시작합니다
  hint, show               지금 단계의 힌트, 또는 입력할 명령
  next, back, lesson stop  단계 건너뛰기, 한 단계 뒤로, 레슨 그만하기
  exercise                 실습 과제 목록; exercise N 으로 과제를 준비합니다
  check                    아직 안 된 것, 또는 목표를 이뤘는지 알려 줍니다
  exercise reset           과제를 처음부터 다시 준비합니다

호스트 사이 이동:
  ssh HOST [COMMAND]       HOST에 접속합니다 (프롬프트에 지금 호스트가 보여요)
                           COMMAND를 주면 그 명령만 실행하고 돌아옵니다
  exit, Ctrl-D             접속을 끊고 원래 호스트로 돌아갑니다
  hosts                    실습실 호스트와 IP 주소 목록

일부러 장애 내 보기 (`lab` 명령, 명령줄 어디서나. 자세히는 help lab):
  lab stop HOST...         호스트 전원을 내립니다: 응답이 끊기고,
                           디스크에 저장하지 않은 건 모두 사라집니다
  lab start HOST...        디스크에 남은 상태로 다시 부팅합니다
  lab partition A B / C D  네트워크를 서로 통신할 수 없는 그룹으로 나눕니다
                           (이름을 안 적은 호스트는 또 하나의 그룹이 됩니다)
  lab heal                 네트워크를 원래대로 복구합니다
  lab sleep SECONDS        시간을 흘려보냅니다 (Ctrl-C로 멈춤)
  lab status               켜진 호스트와 매니저 노드별 Raft 상태
  lab map, lab raft        노드와 태스크 지도, 매니저별 Raft

셸은 작은 bash입니다: | && || ; > >> < 2>&1 <<< 와 히어 문서,
변수 (TOKEN=$(docker swarm join-token -q worker)), $(...) 와 `...`, $?,
for/while/if, 그리고 echo, printf, cat, grep, head, tail, wc, sort, uniq, cut,
sed, tr, tee, xargs, seq, curl, watch, timeout, sleep, clear, history 를 쓸 수
있어요.
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
       lab status                  hosts, roles and each manager's Raft state
       lab map                     the nodes, and the tasks each one runs
       lab raft                    each manager's Raft: role, term, log, commit
       lab watch map|raft|off      keep one of them live above the prompt
       lab why TASK                where the scheduler can put a task, and why
       lab export FILE             this session's commands, as a script for real machines
       lab save FILE               keep the lab; miniswarm --load FILE goes on with it
       lab rewind SECONDS          back to an earlier moment of this session
       lab speed [N]               how fast lab time runs (0.1 to 100 times)
       lab pause, lab resume       stop lab time, and let it run again
       lab step [SECONDS|msg]      while paused: one Raft tick (1 s), or one message
       lab sockets [off]           serve each host's Engine API to the real docker CLI""",
        "ko": """\
사용법: lab stop HOST...            호스트 전원을 내립니다
        lab start HOST...           디스크에 남은 상태로 다시 부팅합니다
        lab partition A B / C D     네트워크를 그룹으로 나눕니다
        lab heal                    네트워크를 복구합니다
        lab sleep SECONDS           시간을 흘려보냅니다
        lab status                  호스트, 역할, 매니저 노드별 Raft 상태
        lab map                     노드와 노드마다 도는 태스크
        lab raft                    매니저 노드별 Raft: 역할, 텀, 로그, 커밋
        lab watch map|raft|off      둘 중 하나를 프롬프트 위에 계속 띄워 둡니다
        lab why TASK                스케줄러가 태스크를 어디에 둘 수 있는지와 그 이유
        lab export FILE             이번 세션의 명령을 실제 서버용 스크립트로 저장
        lab save FILE               실습실 저장, miniswarm --load FILE 로 이어서 하기
        lab rewind SECONDS          이번 세션의 앞선 시점으로 되돌리기
        lab speed [N]               실습실 시간이 흐르는 빠르기 (0.1배에서 100배)
        lab pause, lab resume       실습실 시간을 멈추고, 다시 흐르게 합니다
        lab step [SECONDS|msg]      멈춘 동안 Raft 틱 하나(1초)나 메시지 하나만큼 진행
        lab sockets [off]           호스트마다 엔진 API를 열어 실제 docker CLI로 접속""",
    },
    "lab.usage.sockets": {
        "en": "usage: lab sockets [off]  (every host's Docker Engine API on a socket)",
        "ko": "사용법: lab sockets [off]  (호스트마다 도커 엔진 API 소켓을 엽니다)",
    },
    "lab.sockets.on": {
        "en": "Every host serves the Docker Engine API (requests from outside are not "
        "replayed by lab rewind):",
        "ko": "모든 호스트가 도커 엔진 API를 열었습니다 (밖에서 온 요청은 lab rewind가 "
        "다시 재생하지 않습니다):",
    },
    "lab.sockets.use": {
        "en": "In another terminal: export DOCKER_HOST=unix://{first}  — then docker, or "
        "docker-py, as usual. 'lab sockets off' closes them.",
        "ko": "다른 터미널에서: export DOCKER_HOST=unix://{first}  — 그다음 평소처럼 docker나 "
        "docker-py를 쓰면 됩니다. 'lab sockets off'로 닫습니다.",
    },
    "lab.sockets.off": {
        "en": "The sockets are closed.",
        "ko": "소켓을 닫았습니다.",
    },
    "lab.sockets.unpaced": {
        "en": "lab sockets: this lab runs unpaced (its commands come from a pipe); "
        "run `miniswarm serve` to serve a lab to real clients.",
        "ko": "lab sockets: 이 실습실은 명령을 파이프로 받아 시계 없이 돕니다. 실제 "
        "클라이언트에 열려면 `miniswarm serve`를 쓰세요.",
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
    "lab.usage.speed": {
        "en": "usage: lab speed [N]  (lab time runs N times as fast as real time, 0.1 to 100)",
        "ko": "사용법: lab speed [N]  (실습실 시간이 실제의 N배로 흐릅니다, 0.1에서 100)",
    },
    "lab.usage.step": {
        "en": "usage: lab step [SECONDS|msg]  (while paused: let SECONDS pass, one Raft tick "
        "by default; msg: until the next Raft message lands)",
        "ko": "사용법: lab step [SECONDS|msg]  (멈춘 동안: SECONDS만큼 진행, 기본은 Raft 틱 "
        "하나; msg: 다음 Raft 메시지가 도착할 때까지)",
    },
    "lab.usage.pause": {"en": "usage: lab pause", "ko": "사용법: lab pause"},
    "lab.usage.resume": {"en": "usage: lab resume", "ko": "사용법: lab resume"},
    "lab.times": {"en": "{speed}×", "ko": "{speed}배"},
    "lab.speed_is": {
        "en": "Lab time runs at {speed} real time.",
        "ko": "실습실 시간은 실제 시간의 {speed}로 흐릅니다.",
    },
    "lab.speed_set": {
        "en": "Lab time now runs at {speed} real time.",
        "ko": "이제 실습실 시간이 실제 시간의 {speed}로 흐릅니다.",
    },
    "lab.bad_speed": {
        "en": "lab speed: invalid speed '{value}': from 0.1 to 100",
        "ko": "lab speed: 잘못된 빠르기 '{value}': 0.1에서 100 사이로 주세요",
    },
    "lab.paused": {
        "en": "Lab time is paused at {clock}: nothing happens in the swarm until "
        "lab resume, or lab step (one Raft tick at a time).",
        "ko": "실습실 시간을 {clock}에 멈췄습니다. lab resume 하거나 lab step 으로 "
        "Raft 틱 하나씩 넘기기 전까지 스웜에서는 아무 일도 일어나지 않습니다.",
    },
    "lab.already_paused": {
        "en": "Lab time is already paused at {clock}.",
        "ko": "실습실 시간은 이미 {clock}에 멈춰 있습니다.",
    },
    "lab.resumed": {
        "en": "Lab time runs again from {clock}, at {speed} real time.",
        "ko": "실습실 시간이 {clock}부터 다시 흐릅니다 (실제 시간의 {speed}).",
    },
    "lab.not_paused": {
        "en": "Lab time is not paused.",
        "ko": "실습실 시간은 멈춰 있지 않습니다.",
    },
    "lab.step_running": {
        "en": "lab step: lab time is running; lab pause first",
        "ko": "lab step: 실습실 시간이 흐르는 중입니다. 먼저 lab pause 하세요",
    },
    "lab.no_message": {
        "en": "No Raft message came by {clock}: is there a swarm with managers?",
        "ko": "{clock}까지 Raft 메시지가 없었습니다. 매니저가 있는 스웜인가요?",
    },
    "lab.landed": {"en": "Landed: {message}", "ko": "도착: {message}"},
    "lab.stepped": {
        "en": "Lab time is {clock}, paused.",
        "ko": "실습실 시간 {clock}, 멈춤.",
    },
    "lab.paused_stop": {
        "en": "miniswarm: lab time is paused, and this needs time to pass: "
        "lab resume (or lab step) lets it run",
        "ko": "miniswarm: 실습실 시간이 멈춰 있어서 진행할 수 없습니다. "
        "lab resume (또는 lab step) 으로 시간을 흐르게 하세요",
    },
    "lab.usage.watch": {
        "en": "usage: lab watch map|raft|off  (keep a view live above the prompt)",
        "ko": "사용법: lab watch map|raft|off  (프롬프트 위에 화면을 계속 띄워 둡니다)",
    },
    "lab.watch_no_terminal": {
        "en": "lab watch: only at miniswarm's own prompt, on a terminal",
        "ko": "lab watch: 터미널에서 miniswarm 프롬프트를 쓸 때만 됩니다",
    },
    "lab.watch_on": {
        "en": "lab {view} stays above the prompt, redrawn every second (lab watch off ends it).",
        "ko": "lab {view} 화면을 프롬프트 위에 띄워 두고 1초마다 새로 그립니다 "
        "(lab watch off 로 끕니다).",
    },
    "lab.watch_off": {"en": "No view above the prompt.", "ko": "프롬프트 위 화면을 껐습니다."},
    "watch.rule": {
        "en": "──── lab {view} (live; lab watch off) ────",
        "ko": "──── lab {view} (실시간; lab watch off 로 끄기) ────",
    },
    "lab.usage.why": {
        "en": "usage: lab why TASK  (a task ID, NAME.SLOT, or a service's name)",
        "ko": "사용법: lab why TASK  (태스크 ID, 이름.번호, 또는 서비스 이름)",
    },
    "why.no_task": {
        "en": "lab why: no task or service '{ref}'",
        "ko": "lab why: '{ref}'라는 태스크나 서비스가 없습니다",
    },
    "why.placed": {
        "en": "{name} (task {id}) is {state} on {node}.",
        "ko": "{name} (태스크 {id}): {node}에서 {state}.",
    },
    "why.pending": {
        "en": "{name} (task {id}) is {state}: {err}",
        "ko": "{name} (태스크 {id}): {state}. {err}",
    },
    "why.nodes": {
        "en": "The scheduler's view now, node by node, in the order the spread tries them:",
        "ko": "지금 스케줄러가 보는 노드들 (분산 배치가 시도하는 순서):",
    },
    "why.fits": {
        "en": "fits: {mine} task(s) of {service}, {all} in all",
        "ko": "가능: {service} 태스크 {mine}개, 전체 {all}개",
    },
    "why.refused": {"en": "refused: {why}", "ko": "불가: {why}"},
    "why.down": {"en": "the node is {state}", "ko": "노드가 {state} 상태"},
    "why.availability": {
        "en": "availability {availability}: no new tasks",
        "ko": "가용성이 {availability}: 새 태스크를 받지 않음",
    },
    "why.resources": {
        "en": "not enough CPU or memory left for its reservation",
        "ko": "예약한 만큼의 CPU나 메모리가 남아 있지 않음",
    },
    "why.constraints": {
        "en": "its placement constraints do not match this node",
        "ko": "배치 제약(constraint)에 맞지 않는 노드",
    },
    "why.platform": {"en": "unsupported platform", "ko": "지원하지 않는 플랫폼"},
    "why.hostports": {
        "en": "its host-mode port is taken here",
        "ko": "host 모드로 공개할 포트를 이미 쓰고 있음",
    },
    "why.maxreplicas": {
        "en": "max replicas per node reached",
        "ko": "노드당 최대 레플리카 수에 닿음",
    },
    "why.preferences": {
        "en": "Placement preferences first share the tasks out between label values.",
        "ko": "배치 선호(placement preference)가 있으면 먼저 라벨 값별로 태스크를 나눕니다.",
    },
    "lab.usage.rewind": {
        "en": "usage: lab rewind SECONDS  (back to an earlier moment of this session)",
        "ko": "사용법: lab rewind SECONDS  (이번 세션의 앞선 시점으로 되돌립니다)",
    },
    "lab.rewind_not_here": {
        "en": "lab rewind: only in a lab this miniswarm session made (not a lesson's or an "
        "exercise's: start it again instead)",
        "ko": "lab rewind: 이번 miniswarm 세션이 만든 실습실에서만 됩니다 (레슨이나 연습 "
        "문제의 실습실은 처음부터 다시 시작하세요)",
    },
    "lab.rewound": {
        "en": "Back at lab time {clock}: the lab as it was then, and what you typed before.",
        "ko": "실습실 시간 {clock}(으)로 돌아왔습니다. "
        "그때의 실습실과, 그 전에 입력한 것까지 그대로입니다.",
    },
    "lab.usage.save": {
        "en": "usage: lab save FILE  (keep this lab, to go on with miniswarm --load FILE)",
        "ko": "사용법: lab save FILE  (실습실 저장. miniswarm --load FILE 로 이어서 합니다)",
    },
    "lab.save_failed": {
        "en": "lab save: cannot write {file}: {why}",
        "ko": "lab save: {file}에 쓸 수 없습니다: {why}",
    },
    "lab.saved": {
        "en": "Saved the lab in {file}: go on with miniswarm --load {file}. Every host comes "
        "back as after a power cut, from its disk; the managers' logs stay sealed.",
        "ko": "실습실을 {file}에 저장했습니다. miniswarm --load {file} 로 이어서 하세요. 모든 "
        "호스트가 정전 뒤처럼 디스크에서 다시 켜지고, 매니저의 로그는 암호화된 채로 남습니다.",
    },
    "lab.usage.export": {
        "en": "usage: lab export FILE  (this session's commands, as a script for real machines)",
        "ko": "사용법: lab export FILE  (이번 세션의 명령을 실제 서버용 스크립트로 저장)",
    },
    "lab.export_no_session": {
        "en": "lab export: only at miniswarm's own prompt",
        "ko": "lab export: miniswarm 프롬프트에서만 됩니다",
    },
    "lab.export_failed": {
        "en": "lab export: cannot write {file}: {why}",
        "ko": "lab export: {file}에 쓸 수 없습니다: {why}",
    },
    "lab.exported": {
        "en": "Wrote {file}: {count} commands, each run on its host by ssh. Read its head first.",
        "ko": "{file}에 저장했습니다: 명령 {count}개, 각자 자기 호스트에서 ssh로 실행됩니다. "
        "먼저 맨 위 설명을 읽어 보세요.",
    },
    "export.header": {
        "en": "Exported from a miniswarm lab (seed {seed}): the commands typed there, to run\n"
        "against real machines. It needs this machine to reach each host by ssh as a user\n"
        "who may run docker (H_* below), Docker Engine 20.10 or later on each, and the\n"
        "machines named as in the lab (node names in commands are hostnames). Edit the\n"
        "addresses to your machines'. Join tokens are asked of a manager as it runs.",
        "ko": "miniswarm 실습실(시드 {seed})에서 입력한 명령을 실제 서버에서 돌리도록 내보낸\n"
        "스크립트입니다. 이 컴퓨터에서 각 호스트에 docker를 쓸 수 있는 사용자로 ssh 접속이\n"
        "되어야 하고(아래 H_*), 호스트마다 도커 엔진 20.10 이상, 호스트 이름이 실습실과 같아야\n"
        "합니다(명령 속 노드 이름은 호스트 이름입니다). 주소는 실제 서버에 맞게 고치세요.\n"
        "조인 토큰은 실행할 때 매니저에게 물어봅니다.",
    },
    "export.ssh": {"en": "how ssh reaches it (user@host)", "ko": "ssh 접속 대상 (user@host)"},
    "export.by_hand": {
        "en": "{action}: only the lab can do this; do it by hand here",
        "ko": "{action}: 실습실에서만 되는 일입니다. 여기서는 직접 하세요",
    },
    "lab.usage.map": {"en": "usage: lab map", "ko": "사용법: lab map"},
    "lab.usage.raft": {"en": "usage: lab raft", "ko": "사용법: lab raft"},
    "view.partition": {"en": "PARTITION:", "ko": "네트워크 분할:"},
    "view.down": {"en": "down (powered off)", "ko": "꺼짐 (전원 없음)"},
    "view.raft.none": {
        "en": "No managers: there is no swarm (docker swarm init makes one).",
        "ko": "매니저 노드가 없습니다. 아직 스웜이 없어요 (docker swarm init 으로 만듭니다).",
    },
    "view.raft.noop": {
        "en": "(new leader's empty entry)",
        "ko": "(새 리더의 빈 항목)",
    },
    "view.raft.more": {"en": "+{count} more changes", "ko": "변경 {count}개 더"},
    "view.raft.flight": {
        "en": "On the wire between managers:",
        "ko": "매니저 사이에 오가는 메시지:",
    },
    "view.map.no_leader": {
        "en": "No map: the swarm has no leader to ask (or there is no swarm yet).",
        "ko": "지도를 그릴 수 없습니다. 물어볼 리더가 없어요 (또는 아직 스웜이 없습니다).",
    },
    "view.map.more": {"en": "… +{count} more", "ko": "… {count}개 더"},
    "view.map.pending": {
        "en": "Waiting for a node:",
        "ko": "노드를 기다리는 태스크:",
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
        "en": "lab {verb}: invalid time interval '{value}'",
        "ko": "lab {verb}: 시간 값이 잘못됐습니다: '{value}'",
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
    "lab.status.h.host": {"en": "HOST", "ko": "호스트"},
    "lab.status.h.address": {"en": "ADDRESS", "ko": "주소"},
    "lab.status.h.power": {"en": "POWER", "ko": "전원"},
    "lab.status.h.swarm": {"en": "SWARM", "ko": "스웜"},
    "lab.status.h.raft": {"en": "RAFT", "ko": "Raft 상태"},
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
    "serve.ready": {
        "en": "miniswarm: {hosts} hosts serve the Docker Engine API (seed {seed}):",
        "ko": "miniswarm: 호스트 {hosts}대가 도커 엔진 API를 열었습니다 (시드 {seed}):",
    },
    "serve.use": {
        "en": "Point the docker CLI (or docker-py) at a host, then use it as usual:\n"
        "  export DOCKER_HOST=unix://{first}\n"
        "  docker swarm init\n"
        "Ctrl-C closes the lab.",
        "ko": "docker CLI(또는 docker-py)가 호스트 하나를 바라보게 한 뒤 평소처럼 쓰면 "
        "됩니다:\n"
        "  export DOCKER_HOST=unix://{first}\n"
        "  docker swarm init\n"
        "Ctrl-C를 누르면 실습실을 닫습니다.",
    },
    "serve.stopped": {
        "en": "miniswarm: the sockets are closed (seed {seed}).",
        "ko": "miniswarm: 소켓을 닫았습니다 (시드 {seed}).",
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
