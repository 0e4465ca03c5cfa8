"""A local S3 endpoint for the tests: moto's server mode, on a free loopback port.

With TOWNSQUARE_TEST_S3=1 (scripts/test sets it for the PostgreSQL + Redis pass), the test
settings start one server for the whole run, before Django reads its settings, and point
TOWNSQUARE_S3_* at a bucket on it; each test then stores under a prefix of its own
(conftest.py). tests/test_s3_storage.py starts one of its own in any pass.

The server is a child process that dies with the test process (PR_SET_PDEATHSIG), so an
interrupted run leaves nothing listening. It answers on 127.0.0.1 only: no other network.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Any

KEY_ID, SECRET = "testing", "testing"
REGION = "us-east-1"
ENV_FLAG = "TOWNSQUARE_TEST_S3"


def required() -> bool:
    """In CI, or when asked for explicitly, a server that cannot start fails the run."""
    return os.environ.get("CI") == "true" or os.environ.get(ENV_FLAG) == "1"


@dataclass
class Server:
    endpoint: str
    process: subprocess.Popen[bytes]

    def client(self) -> Any:
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=KEY_ID,
            aws_secret_access_key=SECRET,
        )

    def create_bucket(self, name: str) -> str:
        self.client().create_bucket(Bucket=name)
        return name

    def publish_media(self, bucket: str) -> None:
        """Anyone may read the media objects of `bucket`, as an operator's bucket policy allows
        (`media/*`, and `tests/*/media/*` for the tests' own prefixes); nothing else."""
        media = [f"arn:aws:s3:::{bucket}/media/*", f"arn:aws:s3:::{bucket}/tests/*/media/*"]
        statement = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"}
        policy = {"Version": "2012-10-17", "Statement": [{**statement, "Resource": media}]}
        self.client().put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))

    def variables(self, bucket: str, **extra: str) -> dict[str, str]:
        """The TOWNSQUARE_S3_* settings for a site storing in `bucket` on this server."""
        return {
            "TOWNSQUARE_S3_BUCKET": bucket,
            "TOWNSQUARE_S3_ENDPOINT_URL": self.endpoint,
            "TOWNSQUARE_S3_REGION": REGION,
            "TOWNSQUARE_S3_ACCESS_KEY_ID": KEY_ID,
            "TOWNSQUARE_S3_SECRET_ACCESS_KEY": SECRET,
            "TOWNSQUARE_S3_PUBLIC_URL": f"{self.endpoint}/{bucket}",
            **extra,
        }

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _die_with_parent() -> None:  # pragma: no cover - runs in the child
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def start(timeout: float = 30) -> Server:
    """Start moto's server and wait until it answers; raises RuntimeError when it cannot."""
    try:
        import moto.server  # noqa: F401
    except ImportError as exc:
        raise RuntimeError(f"moto[server] is not installed ({exc})") from None
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOWNSQUARE_")}
    env |= {"AWS_ACCESS_KEY_ID": KEY_ID, "AWS_SECRET_ACCESS_KEY": SECRET}
    log = tempfile.TemporaryFile()  # noqa: SIM115 - kept open for the server's life
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,  # noqa: PLW1509
    )
    server = Server(f"http://127.0.0.1:{port}", process)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            error = log.read().decode(errors="replace")
            raise RuntimeError(f"moto's server exited: {error.strip()[-500:]}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            atexit.register(server.stop)
            return server
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"moto's server did not answer on port {port} in {timeout:.0f}s")


def configure_environment() -> Server:
    """For the whole-run S3 mode: start a server, make a bucket, and set TOWNSQUARE_S3_*."""
    server = start()
    bucket = server.create_bucket("townsquare-test")
    server.publish_media(bucket)  # links to media work in a browser, as on a real site
    os.environ.update(server.variables(bucket))
    return server
