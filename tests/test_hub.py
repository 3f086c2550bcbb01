"""Docker Hub as the lab sees it: every published tag of the images a course uses
resolves to the version it runs; a tag or repository the Hub never had does not."""

from __future__ import annotations

import pytest

from miniswarm.runtime import hub, images


@pytest.mark.parametrize(
    ("ref", "version", "variant"),
    [
        ("redis:3.0.6", "3.0.6", ""),  # Docker's tutorial, before and after its update
        ("redis:3.0.7", "3.0.7", ""),
        ("redis:3.0", "3.0.7", ""),  # a minor line: its newest patch
        ("redis:3", "3.2.12", ""),  # a major: its newest
        ("redis:alpine", "8.2.2", "alpine"),  # a bare variant: the newest with it
        ("redis:7.4.1-alpine3.20", "7.4.1", "alpine3.20"),
        ("nginx:1.11", "1.11.13", ""),
        ("nginx:stable-alpine", "1.28.0", "alpine"),
        ("nginx:latest", "1.29.3", ""),
        ("mysql:5.7", "5.7.44", ""),
        ("mariadb:lts", "11.8.3", ""),
        ("postgres:16-alpine", "16.10.0", "alpine"),
        ("ubuntu:jammy", "22.04", ""),
        ("ubuntu:22.04", "22.04", ""),
        ("debian:bookworm-slim", "12", "slim"),
        ("python:3.12-slim", "3.12.11", "slim"),
        ("node:lts", "24.11.0", ""),
        ("golang:1.22-alpine", "1.22.12", "alpine"),
        ("traefik:v2.10", "2.10.7", ""),
        ("traefik:2.10.7", "2.10.7", ""),
        ("registry:2", "2.8.3", ""),
        ("alpine:3.19", "3.19.8", ""),
        ("busybox:1.36", "1.36.1", ""),
        ("centos:7", "7.9.0", ""),
        ("mongo:7.0", "7.0.24", ""),
        ("dockersamples/visualizer:stable", "", ""),
        ("docker.io/library/redis:3.0.6", "3.0.6", ""),
    ],
)
def test_published_tags_resolve_to_the_version_they_run(ref, version, variant):
    found = hub.resolve(*images.split(ref))
    assert found is not None, ref
    assert (found.version, found.variant) == (version, variant)


@pytest.mark.parametrize(
    "ref",
    [
        "nginx:9.99",  # 02's missing image
        "redis:3.0.8",  # after the last 3.0 patch
        "redis:3.1",  # a line that never was
        "redis:3.0.6-nosuchvariant",
        "nginx:1.11.99",
        "ubuntu:23.05",
        "nosuchrepo:latest",
        "dockersamples/visualizer:v9",
    ],
)
def test_tags_the_hub_never_had_are_not_found(ref):
    assert hub.resolve(*images.split(ref)) is None
    assert images.find(ref) is None


def test_an_alpine_variant_runs_on_alpine():
    assert images.find("nginx:1.25").base == "debian"
    assert images.find("nginx:1.25-alpine").base == "alpine"
    assert images.find("nginx:1.25-alpine").shell == "ash"
    assert images.find("redis:3.0.6").version == "3.0.6"


def test_every_repository_on_the_hub_can_run():
    assert sorted(hub.REPOS) == sorted(images.CATALOG)
