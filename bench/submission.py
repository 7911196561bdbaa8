"""The submission path: «Отправить заявку» POSTs per second (target ≥ 0.4 of the floor).

Each POST must write the request, its status change and its outbox rows and enqueue its tasks, so
every POST needs its own draft ready to send: before each wrk run, bench/dataset.py makes as many
citizens with a complete draft (scans passed) as the run could possibly use, each with a session
and a CSRF secret. The wrk script hands each connection the next unused draft (threads take
disjoint shares), so no draft is posted twice; a run that runs out of drafts is an error. Every
answer other than 2xx/3xx is an error; a successful submission answers 302 to the request's page.

Afterwards the counts in the database are checked: submitted requests, draft → submitted status
changes and outbox rows grew by at least the number of answered POSTs (and by no more than the
POSTs wrk had in flight when it stopped, at most one per connection).
"""

from __future__ import annotations

import json
import statistics

from bench.pages import FLOOR, SUBMISSION_FORM_PATH
from bench.shape import HOST, PROXY_HEADERS, VAR
from bench.wrk import CONNECTIONS, THREADS, wrk_run

# Drafts made per second of a wrk run: more than the submission path can take on this machine.
DRAFTS_PER_SECOND = 250

_SCRIPT = """
local threads = {}
local counter = 0
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end
local drafts = {}
function init(args)
  errors = 0
  exhausted = 0
  local index = 0
  for line in io.lines("%(drafts_file)s") do
    if index %% %(threads)d == id then
      local session, csrf, request_id = line:match("([^ ]+) ([^ ]+) ([^ ]+)")
      table.insert(drafts, {session, csrf, request_id})
    end
    index = index + 1
  end
  position = 0
end
function request()
  position = position + 1
  local draft = drafts[position]
  if draft == nil then
    exhausted = exhausted + 1
    return wrk.format("GET", "/healthz")
  end
  local headers = {}
  headers["Cookie"] = "%(session_cookie)s=" .. draft[1] .. "; %(csrf_cookie)s=" .. draft[2]
  headers["Content-Type"] = "application/x-www-form-urlencoded"
  headers["X-Forwarded-Proto"] = "https"
  headers["Origin"] = "https://%(host)s"
  headers["Referer"] = "https://%(host)s/requests/" .. draft[3] .. "/step/5/"
  local body = "csrfmiddlewaretoken=" .. draft[2] .. "&submit_key=bench-" .. draft[3]
  return wrk.format("POST", "%(path_prefix)s" .. draft[3] .. "%(path_suffix)s", headers, body)
end
function response(status, headers, body)
  if status < 200 or status >= 400 then errors = errors + 1 end
end
function done(summary, latency, requests)
  local total, out = 0, 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("errors")
    out = out + thread:get("exhausted")
  end
  io.write(string.format("NON200 %%d\\n", total))
  io.write(string.format("EXHAUSTED %%d\\n", out))
end
"""

_COUNTS = (
    "import json; from oms_policy.models import PolicyRequest, StatusChange; "
    "from notifications.models import OutboundMessage; "
    "print(json.dumps({'submitted': PolicyRequest.objects.filter(submit_key__startswith='bench-').count(), "
    "'changes': StatusChange.objects.filter(old_status='draft', new_status='submitted').count(), "
    "'outbox': OutboundMessage.objects.count()}))"
)


def _counts(shape) -> dict:
    return json.loads(shape.manage("shell", "-v", "0", "-c", _COUNTS, capture=True).strip().splitlines()[-1])


def _post_run(shape, *, seconds: int, port: int) -> tuple[float, int, int]:
    """One wrk run of submissions; returns (POSTs/s, answered POSTs, errors). Checks the database."""
    prepared = shape.python_json(
        "bench.dataset", "--drafts-only", "--submission-drafts", str(DRAFTS_PER_SECOND * seconds)
    )
    drafts_file = VAR / "submission-drafts.txt"
    drafts_file.write_text("".join(f"{d['session']} {d['csrf']} {d['request_id']}\n" for d in prepared["drafts"]))
    drafts_file.chmod(0o600)
    prefix, suffix = SUBMISSION_FORM_PATH.split("{request_id}")
    script = _SCRIPT % {
        "drafts_file": drafts_file,
        "threads": THREADS,
        "session_cookie": prepared["session_cookie_name"],
        "csrf_cookie": prepared["csrf_cookie_name"],
        "host": f"{HOST}:{port}",
        "path_prefix": prefix,
        "path_suffix": suffix,
    }
    before = _counts(shape)
    # The first request's URL only; the script builds every POST itself.
    result = wrk_run(
        f"http://{HOST}:{port}/", seconds=seconds, headers={}, script_dir=VAR, script=script, threads=THREADS
    )
    after = _counts(shape)
    drafts_file.unlink()
    output_errors = result.non_200 + result.socket_errors
    exhausted = result.exhausted
    grown = {name: after[name] - before[name] for name in before}
    answered = result.requests - exhausted
    problems = []
    if exhausted:
        problems.append(f"ran out of drafts ({exhausted} requests without one)")
    # wrk stops with up to one POST per connection in flight: the server still finishes those.
    for name in ("submitted", "changes"):
        if not answered <= grown[name] <= answered + CONNECTIONS:
            problems.append(f"{name} grew by {grown[name]} for {answered} POSTs")
    if grown["outbox"] < answered:
        problems.append(f"outbox grew by {grown['outbox']} for {answered} POSTs")
    if problems:
        raise RuntimeError("submission run: " + "; ".join(problems))
    print(f"  submission: {answered} POSTs, grown {grown}", flush=True)
    return answered / seconds, answered, output_errors


def submission_measure(*, shape, dataset: dict, seconds: int) -> str | None:
    """POSTs per second through the submission, each between two floor runs; None without a form."""
    if SUBMISSION_FORM_PATH is None:
        return None
    port = shape.servers["portal"].port
    floor_server = shape.servers[FLOOR.server]
    floor_headers = {**PROXY_HEADERS, "Cookie": f"{dataset['cookie_name']}={dataset['session']}"}

    def floor_rps() -> float:
        url = f"http://{HOST}:{floor_server.port}{FLOOR.url_path(dataset)}"
        return wrk_run(url, seconds=seconds, headers=floor_headers, script_dir=VAR).requests_per_second

    _post_run(shape, seconds=max(2, seconds // 3), port=port)  # warm-up
    rates, ratios, errors, posts = [], [], 0, 0
    before = floor_rps()
    for round_number in range(3):
        rate, answered, run_errors = _post_run(shape, seconds=seconds, port=port)
        after = floor_rps()
        rates.append(rate)
        ratios.append(rate / ((before + after) / 2))
        errors += run_errors
        posts += answered
        print(f"  round {round_number + 1}: submission {rate:.0f} POST/s, floor {before:.0f}/{after:.0f}", flush=True)
        before = after
    median = statistics.median(ratios)
    return (
        f"{statistics.median(rates):.0f} POST/s ({min(rates):.0f}–{max(rates):.0f}), ratio to the floor "
        f"{median:.2f} ({min(ratios):.2f}–{max(ratios):.2f}), {posts} requests sent and checked in the database "
        f"(request, status change, outbox rows), errors {errors} — "
        + ("met" if median >= 0.4 and not errors else "**not met**")
    )


def main() -> None:
    """`python -m bench.submission`: this measurement alone (the production shape, the floor, 3 rounds).

    For before/after figures of the submission path without the whole of `make bench`; prints the
    figures and the load average, writes nothing. Same environment as bench/run.py.
    """
    import os
    from pathlib import Path

    from bench.shape import ProductionShape

    seconds = int(os.environ.get("BENCH_SECONDS", "10"))

    def load_average() -> str:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])

    load_before = load_average()
    with ProductionShape() as shape:
        dataset = shape.python_json("bench.dataset")
        result = submission_measure(shape=shape, dataset=dataset, seconds=seconds)
    print(f"submission: {result}; load average {load_before} before, {load_average()} after", flush=True)


if __name__ == "__main__":
    main()
