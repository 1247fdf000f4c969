"""Run the compose gateway's nginx template with Debian's nginx, as the nginx image would.

The image fills ``/etc/nginx/templates/*.template`` with envsubst restricted to the variables defined
in the container's environment, and includes the result in its ``http`` block; this does the same
with the gateway container's environment translated to local addresses.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.compose.composefile import ROOT

TEMPLATE = ROOT / "deploy" / "gateway" / "socle.conf.template"


def render(template: str, environ: Mapping[str, str]) -> str:
    """envsubst limited to defined variables: nginx's own ``$host`` and friends stay as they are."""
    return re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: environ.get(m[1] or m[2], m[0]), template)


def main_config(workdir: Path) -> str:
    user = "user root;\n" if os.geteuid() == 0 else ""
    temp = " ".join(
        f"{kind}_temp_path {workdir / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return (
        f"{user}daemon off;\nworker_processes 1;\npid {workdir / 'nginx.pid'};\n"
        f"error_log {workdir / 'error.log'} warn;\nevents {{ worker_connections 256; }}\n"
        f"http {{ access_log off; {temp} include {workdir / 'socle.conf'}; }}\n"
    )


@contextmanager
def run_nginx(nginx: str, workdir: Path, environ: Mapping[str, str], port: int) -> Iterator[str]:
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "socle.conf").write_text(render(TEMPLATE.read_text(), environ))
    (workdir / "nginx.conf").write_text(main_config(workdir))
    process = subprocess.Popen(
        [nginx, "-p", str(workdir), "-c", str(workdir / "nginx.conf")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 15
        while True:
            if process.poll() is not None:
                output = process.stdout.read().decode() if process.stdout else ""
                raise RuntimeError(f"nginx exited: {output}\n{(workdir / 'socle.conf').read_text()}")
            try:
                httpx.get(url + "/", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
