"""Real PostgreSQL and redis-server for the tests: found on 127.0.0.1, or started here.

Order for each: an explicit URL in the environment (BACKBONE_TEST_POSTGRES_URL /
BACKBONE_TEST_REDIS_URL); a server already listening on 127.0.0.1 at the standard port; a
throw-away server started from the installed binaries in a temporary directory (installed with
apt-get first when missing and this process may). Nothing here is ever skipped: a test that
needs a server and cannot get one fails with the reason.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from functools import cache
from pathlib import Path

import psycopg
import redis


class ServiceUnavailable(RuntimeError):
    pass


def _port_open(host: str, port: int) -> bool:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _apt_install(*packages: str) -> None:
    if shutil.which("apt-get") is None:
        raise ServiceUnavailable(f"{' '.join(packages)} missing and apt-get is not available")
    prefix = [] if os.geteuid() == 0 else (["sudo", "-n"] if shutil.which("sudo") else None)
    if prefix is None:
        raise ServiceUnavailable(f"{' '.join(packages)} missing and this user cannot apt-get")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    result = subprocess.run(
        [*prefix, "apt-get", "install", "-y", "--no-install-recommends", *packages],
        env=env, capture_output=True, text=True, check=False,
    )
    if result.returncode != 0:
        subprocess.run([*prefix, "apt-get", "update"], env=env, capture_output=True, check=False)
        result = subprocess.run(
            [*prefix, "apt-get", "install", "-y", "--no-install-recommends", *packages],
            env=env, capture_output=True, text=True, check=False,
        )
    if result.returncode != 0:
        raise ServiceUnavailable(f"apt-get install {' '.join(packages)} failed: {result.stderr[-800:]}")


def _wait(predicate: object, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise ServiceUnavailable(f"{what} did not come up within {timeout:.0f}s")


# --- PostgreSQL -------------------------------------------------------------------------------

def _pg_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    return candidates[0] if candidates else None


def _pg_accepts(url: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
        return True
    except psycopg.Error:
        return False


def _start_postgres() -> str:
    if _pg_bin("initdb") is None or _pg_bin("pg_ctl") is None:
        _apt_install("postgresql")
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if initdb is None or pg_ctl is None:
        raise ServiceUnavailable("PostgreSQL binaries (initdb, pg_ctl) not found after install")
    root = Path(tempfile.mkdtemp(prefix="backbone-pg-"))
    data = root / "data"
    run_as: list[str] = []
    if os.geteuid() == 0:
        # PostgreSQL refuses to run as root: hand the directory to an unprivileged user.
        user = "postgres" if _user_exists("postgres") else "nobody"
        shutil.chown(root, user)
        root.chmod(0o755)
        run_as = ["runuser", "-u", user, "--"]
    subprocess.run([*run_as, initdb, "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"],
                   check=True, capture_output=True)
    port = free_port()
    subprocess.run(
        [*run_as, pg_ctl, "-D", str(data), "-l", str(root / "log"), "-w", "-o",
         f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
         " -c synchronous_commit=off",
         "start"],
        check=True, capture_output=True,
    )
    atexit.register(
        lambda: subprocess.run([*run_as, pg_ctl, "-D", str(data), "-m", "immediate", "stop"],
                               capture_output=True, check=False)
    )
    url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
    _wait(lambda: _pg_accepts(url), "PostgreSQL")
    return url


def _user_exists(name: str) -> bool:
    import pwd

    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


@cache
def postgres_admin_url() -> str:
    """A URL of a PostgreSQL database on which this process may CREATE DATABASE."""
    explicit = os.environ.get("BACKBONE_TEST_POSTGRES_URL")
    if explicit:
        if not _pg_accepts(explicit):
            raise ServiceUnavailable(f"BACKBONE_TEST_POSTGRES_URL={explicit} does not accept connections")
        return explicit
    if _port_open("127.0.0.1", 5432):
        for url in ("postgresql://postgres@127.0.0.1:5432/postgres",
                    "postgresql://root@127.0.0.1:5432/postgres"):
            if _pg_accepts(url):
                return url
    return _start_postgres()


def create_database(name: str) -> str:
    """Creates an empty database and returns its URL; it is dropped at exit."""
    admin = postgres_admin_url()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, _db = admin.rpartition("/")

    def _drop() -> None:
        with contextlib.suppress(psycopg.Error), psycopg.connect(admin, autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    atexit.register(_drop)
    return f"{base}/{name}"


# --- Redis ------------------------------------------------------------------------------------

def _redis_pings(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def _start_redis() -> str:
    if shutil.which("redis-server") is None:
        _apt_install("redis-server")
    binary = shutil.which("redis-server")
    if binary is None:
        raise ServiceUnavailable("redis-server not found after install")
    port = free_port()
    workdir = tempfile.mkdtemp(prefix="backbone-redis-")
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", workdir],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    atexit.register(proc.terminate)
    url = f"redis://127.0.0.1:{port}"
    _wait(lambda: _redis_pings(url), "redis-server")
    return url


@cache
def redis_base_url() -> str:
    """redis://host:port of a real redis-server (no database number)."""
    explicit = os.environ.get("BACKBONE_TEST_REDIS_URL")
    if explicit:
        if not _redis_pings(explicit):
            raise ServiceUnavailable(f"BACKBONE_TEST_REDIS_URL={explicit} does not answer PING")
        return explicit.rstrip("/")
    if _port_open("127.0.0.1", 6379) and _redis_pings("redis://127.0.0.1:6379"):
        return "redis://127.0.0.1:6379"
    return _start_redis()
