"""Fixtures of the conformance suite: a fresh crossbind-cloudsim per test on 127.0.0.1:0 with
this folder's world file, a recording relay in front of it, and the official SDK clients
(Tea SDKs with ACS3-HMAC-SHA256 or v2 signatures, the legacy core SDK) pointed at the relay
over plain HTTP. Also the check, at the end of a full run, that every action the aliyun crate
calls went through the SDKs successfully with every signature it can be sent with.

Nothing here changes how an SDK builds, signs or parses a request.
"""

from __future__ import annotations

import json
import os
import re
import select
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from alibabacloud_dataworks_public20240518.client import Client as DataWorksClient
from alibabacloud_emr20210320.client import Client as EmrClient
from alibabacloud_ram20150501 import models as ram
from alibabacloud_ram20150501.client import Client as RamClient
from alibabacloud_sts20150401.client import Client as StsClient
from alibabacloud_tea_openapi.utils_models import Config
from aliyunsdkcore.client import AcsClient

import documented
from sdkcheck import conform, require
from wiretap import Exchange, Wiretap

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
WORLD = HERE / "world.toml"
CLOUDSIM = Path(os.environ.get("CLOUDSIM_BIN", ROOT / "target" / "debug" / "crossbind-cloudsim"))
REGION = "cn-hangzhou"
START_TIMEOUT_SECONDS = 20

# Signature schemes as the Tea SDKs name them: None is their default, ACS3-HMAC-SHA256.
TEA_SCHEMES = {"acs3": None, "v2": "v2"}


@dataclass(frozen=True)
class Account:
    """An account of world.toml with its AccessKey pair."""

    uid: str
    key_id: str
    secret: str


CONSUMER = Account(
    "5500000000000001", "LTAI5tConformanceConsumer01", "conformanceConsumerSecret0000001"
)
PROVIDER = Account(
    "5500000000000002", "LTAI5tConformanceProvider01", "Sx9+/kT=conformanceProvider01"
)

STANDARD_WORKSPACE = 31001
BASIC_WORKSPACE = 31002
FROZEN_WORKSPACE = 31003
ELIGIBLE_CLUSTER = "C-5A5A5A5A5A5A5A01"
DLF_CLUSTER = "C-5A5A5A5A5A5A5A02"
KERBEROS_CLUSTER = "C-5A5A5A5A5A5A5A03"
DATALAKE_CLUSTER = "c-5a5a5a5a5a5a5a04"
SHANGHAI_CLUSTER = "C-5A5A5A5A5A5A5A05"
EXISTING_ROLE = "ExistingRole"

# (action, scheme) pairs that cloudsim answered with 200, over the whole session.
EXERCISED: set[tuple[str, str]] = set()


class Cloudsim:
    """A crossbind-cloudsim process on a free port."""

    def __init__(self, log_path: Path) -> None:
        if not CLOUDSIM.is_file():
            pytest.fail(f"{CLOUDSIM} is missing: run `cargo build -p crossbind-cloudsim`")
        self.log_path = log_path
        self._log = open(log_path, "wb")
        self.proc = subprocess.Popen(
            [str(CLOUDSIM), "--listen", "127.0.0.1:0", "--world", str(WORLD)],
            stdout=subprocess.PIPE,
            stderr=self._log,
            env={**os.environ, "RUST_LOG": os.environ.get("RUST_LOG", "info")},
        )
        self.addr = self._read_address()

    def _read_address(self) -> str:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        line = b""
        while not line.endswith(b"\n"):
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self.proc.stdout], [], [], max(left, 0))
            if not ready:
                self.stop()
                pytest.fail(
                    f"cloudsim printed no address within {START_TIMEOUT_SECONDS}s: {self.log()}"
                )
            chunk = os.read(self.proc.stdout.fileno(), 1)
            if not chunk:
                self.stop()
                pytest.fail(f"cloudsim exited before printing its address: {self.log()}")
            line += chunk
        addr = line.decode().strip()
        assert re.fullmatch(r"127\.0\.0\.1:\d+", addr), f"unexpected first line {addr!r}"
        return addr

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        self._log.close()


def scheme_of(exchange: Exchange) -> str:
    """How a request was signed: "acs3", "v2" (Tea SDK) or "legacy" (core SDK, also V2)."""
    if exchange.headers.get("authorization", "").startswith("ACS3-"):
        return "acs3"
    if "x-sdk-client" in exchange.headers:
        return "legacy"
    return "v2"


@pytest.fixture
def cloudsim(tmp_path):
    sim = Cloudsim(tmp_path / "cloudsim.log")
    yield sim
    sim.stop()


@pytest.fixture
def tap(cloudsim):
    relay = Wiretap(cloudsim.addr)
    yield relay
    relay.close()
    for exchange in relay.exchanges:
        if exchange.status == 200:
            EXERCISED.add((exchange.action, scheme_of(exchange)))


@pytest.fixture(params=sorted(TEA_SCHEMES))
def scheme(request) -> str:
    """Each Tea SDK test runs once per signature scheme."""
    return request.param


class Tea:
    """Tea SDK clients for one scheme, aimed at the relay."""

    def __init__(self, addr: str, scheme: str) -> None:
        self.addr = addr
        self.scheme = scheme

    def config(
        self, account: Account, *, key_id: str | None = None, secret: str | None = None
    ) -> Config:
        return Config(
            access_key_id=key_id or account.key_id,
            access_key_secret=secret or account.secret,
            endpoint=self.addr,
            protocol="http",
            region_id=REGION,
            signature_algorithm=TEA_SCHEMES[self.scheme],
        )

    def sts(self, account: Account, **keys) -> StsClient:
        return StsClient(self.config(account, **keys))

    def ram(self, account: Account = PROVIDER, **keys) -> RamClient:
        return RamClient(self.config(account, **keys))

    def emr(self, account: Account = PROVIDER, **keys) -> EmrClient:
        return EmrClient(self.config(account, **keys))

    def dataworks(self, account: Account = CONSUMER, **keys) -> DataWorksClient:
        return DataWorksClient(self.config(account, **keys))


@pytest.fixture
def tea(tap, scheme) -> Tea:
    return Tea(tap.addr, scheme)


class Legacy:
    """The legacy core SDK (aliyun-python-sdk-core), V2 only, aimed at the relay."""

    def __init__(self, addr: str) -> None:
        self.host, port = addr.rsplit(":", 1)
        self.port = int(port)

    def client(
        self, account: Account = PROVIDER, *, key_id: str | None = None, secret: str | None = None
    ) -> AcsClient:
        return AcsClient(key_id or account.key_id, secret or account.secret, REGION, port=self.port)

    def prepare(self, request):
        """Aims a request of the core SDK at the relay, over HTTP."""
        request.set_endpoint(self.host)
        request.set_protocol_type("http")
        return request


@pytest.fixture
def legacy(tap) -> Legacy:
    return Legacy(tap.addr)


def checked(response, tap: Wiretap):
    """The body of a successful Tea SDK response, after checking it against the SDK's model
    (types, wire names, nothing unknown) and against the documented fields."""
    exchange = tap.last()
    assert exchange.status == 200, exchange.response_body
    assert response.status_code == 200
    raw = exchange.json()
    conform(response.body, raw)
    require(raw, documented.fields(exchange.action))
    return response.body


def checked_error(excinfo, tap: Wiretap, status: int, code: str):
    """The SDK exception of a refused call, after checking what its error type exposes: the
    HTTP status, `Code`, `Message`, `RequestId` and the body's `Recommend` and `HostId`."""
    err = excinfo.value
    exchange = tap.last()
    raw = exchange.json()
    require(raw, documented.ERROR_FIELDS)
    assert exchange.status == status
    assert err.status_code == status, err
    assert err.code == code, err
    assert raw["Code"] == code
    assert err.request_id == raw["RequestId"]
    assert re.fullmatch(r"[0-9A-F]{8}(-[0-9A-F]{4}){3}-[0-9A-F]{12}", err.request_id)
    assert raw["Message"] in err.message
    assert err.data["Recommend"] == raw["Recommend"]
    assert f"q={code}" in raw["Recommend"] and f"requestId={err.request_id}" in raw["Recommend"]
    assert raw["HostId"] == tap.addr
    return err


# Shared by the RAM, DataWorks and wire tests.

POLICY = "AliyunDataWorksAccessingEMRReadOnlyPolicy"


def trust_policy(*uids: str) -> str:
    """The cross-account trust policy for the DataWorks service of each UID."""
    return json.dumps(
        {
            "Version": "1",
            "Statement": [
                {
                    "Action": "sts:AssumeRole",
                    "Effect": "Allow",
                    "Principal": {"Service": [f"{uid}@emr.dataworks.aliyuncs.com" for uid in uids]},
                }
            ],
        },
        separators=(",", ":"),
    )


def create_role(client, tap, name="EMRRole", **extra):
    """Creates a role trusting the consumer's DataWorks; returns the checked `Role`."""
    request = ram.CreateRoleRequest(
        role_name=name,
        assume_role_policy_document=trust_policy(CONSUMER.uid),
        **extra,
    )
    return checked(client.create_role(request), tap).role


def pytest_sessionfinish(session, exitstatus):
    """On a full run, fails unless every action the aliyun crate calls was answered with 200
    through the SDKs: both Tea schemes, or the legacy SDK for EMR 2016-04-08."""
    config = session.config
    full_run = (
        not config.getoption("keyword")
        and not config.getoption("markexpr")
        and [Path(a).resolve() for a in config.args] == [HERE]
    )
    if not full_run or exitstatus != 0:
        return
    from test_coverage import aliyun_actions  # the crate's own list, read from its source

    missing = []
    for action in sorted(aliyun_actions()):
        schemes = ["legacy"] if action == "DescribeClusterV2" else sorted(TEA_SCHEMES)
        missing += [f"{action} ({s})" for s in schemes if (action, s) not in EXERCISED]
    if missing:
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        reporter.write_line(
            "actions the aliyun crate calls but no SDK call exercised: " + ", ".join(missing),
            red=True,
        )
        session.exitstatus = 1
