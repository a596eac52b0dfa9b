"""A local Label Studio server: installed, started, checked and stopped from code.

Label Studio is heavy (~1 GB of Django and cloud packages) and pins many of
them, so it lives in its own virtual environment, ``.labelstudio/venv``, never
in the training environment; only ``label-studio-sdk`` is a project dependency.

A server started here

- binds to 127.0.0.1 only (``--internal-host``; the default would be 0.0.0.0)
  and fails if it would silently move to another port;
- keeps its database, media and XDG config/data/cache dirs inside one data dir
  (default ``.labelstudio/data``) and gets a whitelisted environment (Label
  Studio's settings also read bare ``HOST``, ``PORT``, ``USERNAME``,
  ``PASSWORD``, ``DEBUG``, ``CI``, ... from the environment);
- makes no calls home (version check, analytics, Sentry off);
- creates the admin user and its API token from :class:`Credentials`
  (environment variables, never committed files) with legacy API tokens on;
- is ready when ``GET /health/`` answers and the token is accepted;
- stops with SIGTERM to its whole process group.

Migrating a new SQLite database takes tens of seconds on 2 cores; a migrated
database is cached under ``.labelstudio/cache/label-studio-<version>/`` and
copied into every new data dir, so later starts take seconds.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import fcntl
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from trainer.errors import TrainerError

LABEL_STUDIO_VERSION = "1.23.2"
# In the folder the commands run from (the repository root, where it is git-ignored).
LABEL_STUDIO_HOME = Path(".labelstudio")
DEFAULT_VENV = LABEL_STUDIO_HOME / "venv"
DEFAULT_DATA_DIR = LABEL_STUDIO_HOME / "data"
CACHE_DIR = LABEL_STUDIO_HOME / "cache"
CREDENTIALS_FILE = LABEL_STUDIO_HOME / "credentials.env"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080
DATABASE_NAME = "label_studio.sqlite3"

ENV_URL = "LABEL_STUDIO_URL"
ENV_USERNAME = "LABEL_STUDIO_USERNAME"
ENV_PASSWORD = "LABEL_STUDIO_PASSWORD"
ENV_API_KEY = "LABEL_STUDIO_API_KEY"
DEFAULT_USERNAME = "admin@example.com"  # the web login form wants a 2+ letter TLD

INSTALL_TIMEOUT_S = 1200.0
MIGRATE_TIMEOUT_S = 600.0
START_TIMEOUT_S = 300.0

# The only variables of the caller's environment a server sees.
_INHERITED_ENV = ("LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "SYSTEMROOT")
_QUIET_ENV = {
    "LATEST_VERSION_CHECK": "false",
    "COLLECT_ANALYTICS": "false",
    "SENTRY_DSN": "",
    "FRONTEND_SENTRY_DSN": "",
    "PYTHONUNBUFFERED": "1",
    # The server listens on loopback only, and so does its ML backend (labelstudio.py backend):
    # let it call a local backend, and create the backend's webhook for annotation events.
    "ML_BLOCK_LOCAL_IP": "false",
    "SSRF_PROTECTION_ENABLED": "false",
}
_STARTED_RE = re.compile(r"Starting development server at https?://([^/:\s]+):(\d+)/")


class LabelStudioError(TrainerError):
    """Installing, migrating, starting or reaching Label Studio failed; says what and where the log is."""


# -- credentials ---------------------------------------------------------------


@dataclass(frozen=True)
class Credentials:
    """The admin user's e-mail, password and API token. ``repr`` never shows the secrets."""

    username: str
    password: str
    api_key: str

    def __repr__(self) -> str:
        return f"Credentials(username={self.username!r}, password=***, api_key=***)"

    __str__ = __repr__

    @classmethod
    def generate(cls, username: str = DEFAULT_USERNAME) -> Credentials:
        """Fresh random password and token (40 hex characters, like Label Studio's own)."""
        return cls(username, secrets.token_urlsafe(18), secrets.token_hex(20))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Credentials | None:
        """From LABEL_STUDIO_USERNAME (optional) / LABEL_STUDIO_PASSWORD / LABEL_STUDIO_API_KEY, if set."""
        environ = os.environ if environ is None else environ
        password, api_key = environ.get(ENV_PASSWORD), environ.get(ENV_API_KEY)
        if not password or not api_key:
            return None
        return cls(environ.get(ENV_USERNAME) or DEFAULT_USERNAME, password, api_key)

    @classmethod
    def read(cls, path: str | Path = CREDENTIALS_FILE) -> Credentials | None:
        """From a ``KEY=value`` file written by :meth:`write`, if it exists."""
        path = Path(path)
        if not path.is_file():
            return None
        values = {}
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                key, value = line.removeprefix("export ").split("=", 1)
                values[key.strip()] = value.strip().strip("'\"")
        return cls.from_env(values)

    def write(self, path: str | Path = CREDENTIALS_FILE) -> None:
        """Write as shell ``export`` lines, readable by the owner only."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        content = (
            "# Label Studio admin of this checkout (generated; git-ignored). Load with: "
            f"set -a; . {path}; set +a\n"
            f"export {ENV_USERNAME}='{self.username}'\n"
            f"export {ENV_PASSWORD}='{self.password}'\n"
            f"export {ENV_API_KEY}='{self.api_key}'\n"
        )
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(content)

    @classmethod
    def load_or_create(
        cls, path: str | Path = CREDENTIALS_FILE, environ: Mapping[str, str] | None = None
    ) -> tuple[Credentials, str]:
        """Environment first, then ``path``, else generated and written to ``path``; also says which."""
        found = cls.from_env(environ)
        if found is not None:
            return found, "environment"
        found = cls.read(path)
        if found is not None:
            return found, str(path)
        created = cls.generate()
        created.write(path)
        return created, f"{path} (generated)"


def default_api_key(environ: Mapping[str, str] | None = None, path: str | Path = CREDENTIALS_FILE) -> str | None:
    """LABEL_STUDIO_API_KEY, else the token in the local credentials file, else None."""
    environ = os.environ if environ is None else environ
    if environ.get(ENV_API_KEY):
        return environ[ENV_API_KEY]
    stored = Credentials.read(path)
    return stored.api_key if stored else None


# -- installation and the migrated-database cache --------------------------------


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """An exclusive lock between processes (two test runs installing at once)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _tail(path: Path, lines: int = 25) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


def _run_logged(command: list[str], log_path: Path, timeout: float, what: str, env=None) -> None:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        log.write(f"\n$ {' '.join(command)}\n".encode())
        log.flush()
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, start_new_session=True
        )
        try:
            code = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(process, grace=5)
            raise LabelStudioError(
                f"{what} did not finish within {timeout:.0f} s; see {log_path}:\n{_tail(log_path)}"
            ) from None
    if code != 0:
        raise LabelStudioError(f"{what} failed (exit {code}); see {log_path}:\n{_tail(log_path)}")


def label_studio_executable(venv: str | Path = DEFAULT_VENV) -> Path:
    return Path(venv) / "bin" / "label-studio"


def _install_marker(venv: Path, version: str) -> Path:
    return venv / f".installed-label-studio-{version}"


def ensure_installed(
    venv: str | Path = DEFAULT_VENV,
    version: str = LABEL_STUDIO_VERSION,
    timeout: float = INSTALL_TIMEOUT_S,
    log=print,
) -> Path:
    """Install ``label-studio==version`` into its own venv unless done already; returns the executable.

    A marker file is written only after pip succeeded, so an interrupted install
    is resumed by the next call. Install output goes to ``<venv>.install.log``.
    """
    venv = Path(venv).absolute()
    executable = label_studio_executable(venv)
    marker = _install_marker(venv, version)
    if marker.is_file() and executable.is_file():
        return executable
    log_path = venv.parent / f"{venv.name}.install.log"
    with _file_lock(venv.parent / f".{venv.name}.lock"):
        if marker.is_file() and executable.is_file():
            return executable
        log(f"installing label-studio=={version} into {venv} (about 1-2 minutes; log: {log_path})")
        started = time.monotonic()
        if not (venv / "bin" / "python").is_file():
            _run_logged([sys.executable, "-m", "venv", str(venv)], log_path, 300, "creating the Label Studio venv")
        for stale in venv.glob(".installed-label-studio-*"):
            stale.unlink()
        _run_logged(
            [
                str(venv / "bin" / "python"),
                "-m",
                "pip",
                "install",
                "--disable-pip-version-check",
                "--no-input",
                f"label-studio=={version}",
            ],
            log_path,
            max(1.0, timeout - (time.monotonic() - started)),
            f"pip install label-studio=={version}",
        )
        if not executable.is_file():
            raise LabelStudioError(f"pip installed label-studio but {executable} is missing; see {log_path}")
        marker.write_text(f"label-studio=={version}\n", encoding="utf-8")
        log(f"installed label-studio=={version} in {time.monotonic() - started:.0f} s")
    return executable


def server_environment(data_dir: str | Path, venv: str | Path = DEFAULT_VENV, credentials: Credentials | None = None):
    """The whole environment of a server process: built up, not inherited (see the module docstring)."""
    data_dir = Path(data_dir).absolute()
    xdg = data_dir / "xdg"
    env = {name: os.environ[name] for name in _INHERITED_ENV if name in os.environ}
    env.update(_QUIET_ENV)
    env.update(
        {
            "PATH": f"{Path(venv).absolute() / 'bin'}{os.pathsep}/usr/local/bin{os.pathsep}/usr/bin{os.pathsep}/bin",
            "HOME": str(xdg / "home"),
            "XDG_CONFIG_HOME": str(xdg / "config"),
            "XDG_DATA_HOME": str(xdg / "data"),
            "XDG_CACHE_HOME": str(xdg / "cache"),
            "LABEL_STUDIO_BASE_DATA_DIR": str(data_dir),
            "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
        }
    )
    if credentials is not None:
        # Read by `label-studio start` (LABEL_STUDIO_ prefix); environment, not argv, so `ps` shows no secret.
        env.update(
            {
                "LABEL_STUDIO_USERNAME": credentials.username,
                "LABEL_STUDIO_PASSWORD": credentials.password,
                "LABEL_STUDIO_USER_TOKEN": credentials.api_key,
            }
        )
    for path in (xdg / "home", xdg / "config", xdg / "data", xdg / "cache"):
        path.mkdir(parents=True, exist_ok=True)
    return env


def migrated_database(
    venv: str | Path = DEFAULT_VENV,
    version: str = LABEL_STUDIO_VERSION,
    cache_dir: str | Path = CACHE_DIR,
    timeout: float = MIGRATE_TIMEOUT_S,
    log=print,
) -> Path:
    """The cached, fully migrated, user-less SQLite database for ``version``; built once.

    ``label-studio version`` applies all migrations and creates no user, so its
    database is a clean template. Only the SQLite file is kept: the data dir's
    ``.env`` (Django SECRET_KEY) is generated anew for every data dir.
    """
    cache = Path(cache_dir).absolute() / f"label-studio-{version}"
    database = cache / DATABASE_NAME
    if database.is_file():
        return database
    executable = ensure_installed(venv, version, log=log)
    with _file_lock(cache.parent / f".label-studio-{version}.lock"):
        if database.is_file():
            return database
        work = cache.parent / f".label-studio-{version}.build-{os.getpid()}"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        log_path = cache.parent / f"label-studio-{version}.migrate.log"
        log(f"migrating a new Label Studio database (about 20-70 s; log: {log_path})")
        started = time.monotonic()
        try:
            _run_logged(
                [str(executable), "version"],
                log_path,
                timeout,
                "migrating the Label Studio database",
                env=server_environment(work, venv),
            )
            built = work / DATABASE_NAME
            if not built.is_file():
                raise LabelStudioError(f"migration wrote no {built}; see {log_path}")
            cache.mkdir(parents=True, exist_ok=True)
            os.replace(built, database)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        log(f"migrated database cached at {database} ({time.monotonic() - started:.0f} s)")
    return database


def prepare_data_dir(data_dir: str | Path, venv: str | Path = DEFAULT_VENV, use_cache: bool = True, log=print) -> bool:
    """Seed a data dir without a database from the migrated cache; True if it was seeded."""
    data_dir = Path(data_dir).absolute()
    target = data_dir / DATABASE_NAME
    if target.exists() or not use_cache:
        data_dir.mkdir(parents=True, exist_ok=True)
        return False
    template = migrated_database(venv, log=log)
    data_dir.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{DATABASE_NAME}.{os.getpid()}")
    shutil.copyfile(template, temp)
    os.replace(temp, target)
    return True


# -- the server ------------------------------------------------------------------


def free_port(host: str = DEFAULT_HOST) -> int:
    """A port that is free on ``host`` right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def port_in_use(port: int, host: str = DEFAULT_HOST) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1)
        if sock.connect_ex((host, port)) == 0:
            return True
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # Like Django's runserver: connections of a stopped server in TIME_WAIT do not count.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never via HTTP_PROXY


def _http_get(url: str, api_key: str | None = None, timeout: float = 5.0) -> tuple[int, bytes]:
    request = urllib.request.Request(url)
    if api_key:
        request.add_header("Authorization", f"Token {api_key}")
    try:
        with _NO_PROXY.open(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _kill_group(process: subprocess.Popen, grace: float = 10.0) -> None:
    """SIGTERM the process group, SIGKILL it after ``grace`` seconds."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    # The group may outlive its leader (a child that ignored SIGTERM).
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


def _die_with_parent() -> None:
    """In the child before exec (Linux): SIGTERM it when the starting thread dies, even by SIGKILL.

    A server is in its own session, so without this a killed test run or
    ``serve`` would leave it running.
    """
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class LabelStudioServer:
    """One Label Studio process; use as a context manager or call :meth:`start` / :meth:`stop`.

    ``with LabelStudioServer(port=8080, credentials=creds) as server: ... server.url``
    """

    def __init__(
        self,
        port: int = DEFAULT_PORT,
        data_dir: str | Path = DEFAULT_DATA_DIR,
        credentials: Credentials | None = None,
        venv: str | Path = DEFAULT_VENV,
        host: str = DEFAULT_HOST,
        log_path: str | Path | None = None,
        use_cache: bool = True,
        start_timeout: float = START_TIMEOUT_S,
        log=print,
    ) -> None:
        self.port = int(port)
        self.host = host
        self.data_dir = Path(data_dir).absolute()
        self.credentials = credentials if credentials is not None else Credentials.generate()
        self.venv = Path(venv).absolute()
        self.log_path = Path(log_path).absolute() if log_path else self.data_dir / "label-studio.log"
        self.use_cache = use_cache
        self.start_timeout = start_timeout
        self.log = log
        self.process: subprocess.Popen | None = None
        self.startup_seconds: float | None = None
        self._log_offset = 0

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"LabelStudioServer({self.url}, data_dir={str(self.data_dir)!r}, {state})"

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_key(self) -> str:
        return self.credentials.api_key

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def __enter__(self) -> LabelStudioServer:
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def start(self) -> LabelStudioServer:
        """Install/migrate if needed, start, and wait until ready; raises :class:`LabelStudioError`."""
        if self.running:
            return self
        if self.host not in ("127.0.0.1", "localhost", "::1"):
            raise LabelStudioError(f"refusing to bind Label Studio to {self.host}: loopback only")
        executable = ensure_installed(self.venv, log=self.log)
        prepare_data_dir(self.data_dir, self.venv, self.use_cache, log=self.log)
        if port_in_use(self.port, self.host):
            raise LabelStudioError(
                f"port {self.port} on {self.host} is already in use (another Label Studio?); choose another with --port"
            )
        env = server_environment(self.data_dir, self.venv, self.credentials)
        command = [
            str(executable),
            "start",
            "--no-browser",
            "--internal-host",
            self.host,
            "--port",
            str(self.port),
            "--host",
            self.url,
            "--data-dir",
            str(self.data_dir),
            "--enable-legacy-api-token",
        ]
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            log.write(f"\n=== {time.strftime('%Y-%m-%d %H:%M:%S')} {' '.join(command)}\n".encode())
            self._log_offset = log.tell()
            started = time.monotonic()
            self.process = subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                cwd=self.data_dir,
                start_new_session=True,  # its own process group: stop() ends the whole tree
                preexec_fn=_die_with_parent,
            )
        atexit.register(self.stop)
        try:
            self.wait_ready(self.start_timeout)
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - started
        return self

    def _new_log(self) -> str:
        try:
            with open(self.log_path, "rb") as file:
                file.seek(self._log_offset)
                return file.read().decode("utf-8", errors="replace")
        except OSError:
            return ""

    def wait_ready(self, timeout: float = START_TIMEOUT_S) -> None:
        """Until the log names our port, ``/health/`` says UP and the API token is accepted."""
        deadline = time.monotonic() + timeout
        announced = False
        while True:
            if self.process is None or self.process.poll() is not None:
                code = None if self.process is None else self.process.returncode
                raise LabelStudioError(
                    f"Label Studio exited (code {code}) before it was ready; see {self.log_path}:\n"
                    f"{_tail(self.log_path)}"
                )
            if not announced:
                match = _STARTED_RE.search(self._new_log())
                if match:
                    if int(match.group(2)) != self.port:
                        raise LabelStudioError(
                            f"Label Studio moved to port {match.group(2)} instead of {self.port} "
                            f"(port busy); see {self.log_path}"
                        )
                    announced = True
            if announced:
                with contextlib.suppress(OSError, ValueError):
                    status, body = _http_get(f"{self.url}/health/", timeout=3)
                    if status == 200 and json.loads(body).get("status") == "UP":
                        self.check_token()
                        return
            if time.monotonic() > deadline:
                raise LabelStudioError(
                    f"Label Studio at {self.url} not ready after {timeout:.0f} s; see {self.log_path}:\n"
                    f"{_tail(self.log_path)}"
                )
            time.sleep(0.5)

    def check_token(self) -> None:
        """Raise a clear error when the server refuses our API token (an older data dir)."""
        status, _ = _http_get(f"{self.url}/api/current-user/whoami", api_key=self.api_key, timeout=10)
        if status == 200:
            return
        raise LabelStudioError(
            f"Label Studio at {self.url} is up but refuses the API token for {self.credentials.username} "
            f"(HTTP {status}). The token is set only when the user is created in a new data dir "
            f"({self.data_dir}); an existing one keeps its own. Use the token shown in Account & Settings "
            f"(or a personal access token) as {ENV_API_KEY}, or start with a new --data-dir. "
            "Legacy tokens must also be enabled for the organization (POST /api/jwt/settings "
            '{"legacy_api_tokens_enabled": true}).'
        )

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM the server's process group (SIGKILL after ``timeout``); safe to call twice."""
        if self.process is None:
            return
        _kill_group(self.process, grace=timeout)
        self.process = None
        atexit.unregister(self.stop)

    def wait(self) -> int:
        """Block until the server exits (foreground ``serve``); returns its exit code."""
        if self.process is None:
            raise LabelStudioError("server not started")
        return self.process.wait()
