"""wrk (Debian's package) as a function: throughput, latency percentiles and every non-200 answer.

wrk counts redirects as successes; a logged-out session would measure the login redirect instead of
the page. The Lua script below counts every status other than 200, and a run with any is an error.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

CONNECTIONS = 16
THREADS = 2

_COUNT_NON_200 = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) non200 = 0 end
function response(status, headers, body) if status ~= 200 then non200 = non200 + 1 end end
function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("non200") end
  io.write(string.format("NON200 %d\\n", total))
end
"""

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


@dataclass(frozen=True)
class WrkResult:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_200: int
    socket_errors: int
    exhausted: int = 0  # requests a script made without data left for them (bench/submission.py)


def wrk_path() -> str:
    path = shutil.which("wrk")
    if not path:
        raise RuntimeError("wrk is not installed: apt-get install wrk")
    return path


def wrk_version() -> str:
    result = subprocess.run([wrk_path(), "-v"], capture_output=True, text=True)
    return (result.stdout or result.stderr).splitlines()[0].strip()


def _ms(value: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value)
    if not match:
        raise ValueError(f"wrk latency {value!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def wrk_parse(output: str) -> WrkResult:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    percentiles = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", output, re.MULTILINE))
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    non_200 = int(re.search(r"NON200 (\d+)", output).group(1))
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    return WrkResult(
        requests_per_second=rps,
        p50_ms=_ms(percentiles["50"]),
        p99_ms=_ms(percentiles["99"]),
        requests=requests,
        non_200=non_200,
        socket_errors=sum(int(group) for group in socket.groups()) if socket else 0,
        exhausted=int(exhausted.group(1)) if (exhausted := re.search(r"EXHAUSTED (\d+)", output)) else 0,
    )


def wrk_run(
    url: str,
    *,
    seconds: int,
    headers: dict[str, str],
    script_dir: Path,
    connections: int = CONNECTIONS,
    threads: int = THREADS,
    script: str = _COUNT_NON_200,
) -> WrkResult:
    script_path = script_dir / "wrk-count.lua"
    script_path.write_text(script)
    # A slow answer is latency, not an error: wrk's default 2-second time-out would count it as one.
    args = [wrk_path(), f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "--latency"]
    args += ["-s", str(script_path)]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    result = subprocess.run([*args, url], capture_output=True, text=True, timeout=seconds + 60, check=True)
    try:
        return wrk_parse(result.stdout)
    except (AttributeError, KeyError, ValueError) as error:
        raise RuntimeError(f"cannot read wrk's output for {url}:\n{result.stdout}\n{result.stderr}") from error
