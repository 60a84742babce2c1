#!/usr/bin/env python3
"""Runs the YAML REST conformance groups against a live node and checks the pass rate.

For every group in groups.txt it runs ../shared/tools/yamlrest.py on
../shared/conformance/opensearch/test/<group>, prints one line of counts per group, a total and
the overall pass rate (passed / (passed + failed)), writes every failed and skipped test to
results.txt, and exits 1 when the rate is below threshold.txt (or the node stopped answering).

    python3 tests/conformance/run_conformance.py --url http://127.0.0.1:9200 [--shared ../shared]
        [--groups tests/conformance/groups.txt] [--results tests/conformance/results.txt] [-k group]

Version choice: the OpenSearch suite gates tests on OpenSearch versions (" - 2.99.99" = added in
3.0). Running as Elasticsearch 7.10.2 under the "opensearch" version scheme skips the tests of
OpenSearch-only features (flat_object, unsigned_long, new cat columns) and runs the legacy
Elasticsearch variants (e.g. `_cat/nodes` with a `master` column), the closest match for an
Elasticsearch 8 API.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SERVER_VERSION = "7.10.2"
VERSION_SCHEME = "opensearch"
GROUP_TIMEOUT_S = 900


def read_lines(path):
    with open(path, encoding="utf-8") as fh:
        return [ln.strip() for ln in fh if ln.strip() and not ln.strip().startswith("#")]


def read_threshold(path):
    try:
        values = read_lines(path)
    except FileNotFoundError:
        return 0.0
    return float(values[0].rstrip("%")) if values else 0.0


def node_alive(url):
    try:
        with urllib.request.urlopen(url.rstrip("/") + "/", timeout=5) as resp:
            return resp.status < 500
    except Exception:  # noqa: BLE001 - any failure means "not answering"
        return False


def run_group(args, group, workdir):
    tests = os.path.join(args.shared, "conformance", "opensearch", "test", group)
    out_json = os.path.join(workdir, f"{group}.json")
    log = os.path.join(workdir, f"{group}.log")
    if not os.path.isdir(tests):
        return {"passed": 0, "failed": 0, "skipped": 0}, [("MISSING", f"{group} (no such test folder)", "")], log
    cmd = [
        sys.executable, os.path.join(args.shared, "tools", "yamlrest.py"),
        "--url", args.url,
        "--api", os.path.join(args.shared, "conformance", "opensearch", "api"),
        "--tests", tests,
        "--server-version", SERVER_VERSION,
        "--version-scheme", VERSION_SCHEME,
        "--timeout", "30",
        "--json", out_json,
    ]
    with open(log, "w", encoding="utf-8") as fh:
        try:
            subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                           timeout=GROUP_TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired:
            fh.write(f"\n[run_conformance] group {group} timed out after {GROUP_TIMEOUT_S}s\n")
    try:
        with open(out_json, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        return {"passed": 0, "failed": 1, "skipped": 0}, [("FAIL", f"{group} (runner crashed or timed out; see {log})", "")], log
    summary = {k: int(data["summary"].get(k, 0)) for k in ("passed", "failed", "skipped")}
    problems = [
        ("FAIL" if r["status"] == "failed" else "SKIP", f"{r['file']}::{r['test']}", r.get("message", ""))
        for r in data["results"]
        if r["status"] != "passed"
    ]
    return summary, problems, log


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--url", default=os.environ.get("QUARRY_URL", "http://127.0.0.1:9200"))
    ap.add_argument("--shared", default=os.environ.get("QUARRY_SHARED", os.path.join(ROOT, "..", "shared")))
    ap.add_argument("--groups", default=os.path.join(HERE, "groups.txt"))
    ap.add_argument("--threshold", default=os.path.join(HERE, "threshold.txt"))
    ap.add_argument("--results", default=os.path.join(HERE, "results.txt"))
    ap.add_argument("-k", dest="only", help="run only the groups containing this substring")
    args = ap.parse_args(argv)
    args.shared = os.path.abspath(args.shared)

    groups = read_lines(args.groups)
    if args.only:
        groups = [g for g in groups if args.only in g]
    threshold = read_threshold(args.threshold)
    totals = {"passed": 0, "failed": 0, "skipped": 0}
    all_problems = []
    node_died = False
    started = time.monotonic()
    workdir = tempfile.mkdtemp(prefix="quarry-conformance-")
    print(f"YAML conformance: {len(groups)} groups against {args.url} (logs in {workdir})", flush=True)
    print(f"  {'group':34s} {'pass':>5s} {'fail':>5s} {'skip':>5s}", flush=True)
    for group in groups:
        summary, problems, _log = run_group(args, group, workdir)
        for k in totals:
            totals[k] += summary[k]
        all_problems.extend((group,) + p for p in problems)
        print(f"  {group:34s} {summary['passed']:5d} {summary['failed']:5d} {summary['skipped']:5d}", flush=True)
        if not node_alive(args.url):
            node_died = True
            print(f"  node stopped answering after group [{group}]", flush=True)
            break

    attempted = totals["passed"] + totals["failed"]
    rate = 100.0 * totals["passed"] / attempted if attempted else 0.0
    with open(args.results, "w", encoding="utf-8") as fh:
        fh.write(f"# YAML conformance results: {totals['passed']} passed, {totals['failed']} failed, "
                 f"{totals['skipped']} skipped; pass rate {rate:.1f}% (threshold {threshold:g}%)\n")
        for group, status, name, message in all_problems:
            line = f"{status} {name}"
            if message:
                # Keep spaces (cat tables are about whitespace); one line per test.
                line += " -- " + str(message).replace("\r", "\\r").replace("\n", "\\n")[:600]
            fh.write(line + "\n")
    elapsed = time.monotonic() - started
    print(f"  {'total':34s} {totals['passed']:5d} {totals['failed']:5d} {totals['skipped']:5d}", flush=True)
    print(f"YAML conformance pass rate {rate:.1f}% of {attempted} attempted tests "
          f"(threshold {threshold:g}%, {elapsed:.0f}s); failures and skips listed in "
          f"{os.path.relpath(args.results, os.getcwd())}", flush=True)
    if node_died:
        print("YAML conformance: FAILED (the node stopped answering)", flush=True)
        return 1
    if rate + 1e-9 < threshold:
        print(f"YAML conformance: FAILED (pass rate {rate:.1f}% is below the threshold {threshold:g}%)", flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
