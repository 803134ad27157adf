"""Sessions: tests, lint, types, docs, bench. Each reuses the current interpreter's packages."""

from __future__ import annotations

import nox

nox.options.sessions = ["tests", "lint", "types", "docs"]
nox.options.default_venv_backend = "none"


@nox.session
def tests(session: nox.Session) -> None:
    session.run("python3", "-m", "pytest", "-n", "2", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    session.run("ruff", "check", "graph", "generator", "tests", "noxfile.py")


@nox.session
def types(session: nox.Session) -> None:
    session.run("mypy")


@nox.session
def docs(session: nox.Session) -> None:
    session.run("mkdocs", "build", "--strict", "--site-dir", "build/docs-site")


@nox.session
def bench(session: nox.Session) -> None:
    session.run("python3", "-m", "benchmarks.run", *session.posargs)
