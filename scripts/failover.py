#!/usr/bin/env python3
"""Master failover figures for a three-node Quarry cluster on 127.0.0.1.

    python3 scripts/failover.py [--trials 10] [--quarry target/release/quarry] [--out bench-results/failover.json]

For each trial it finds the master, stops it (SIGKILL, or SIGSTOP in the second series), and
times how long until a create-index through another node succeeds. A killed master is restarted
on its data path; a stopped one is continued; the cluster is back to three nodes before the next
trial. Prints median and max per series (targets: <= 2 s after SIGKILL, <= 5 s after SIGSTOP).
"""
import argparse, json, os, signal, socket, statistics, subprocess, sys, tempfile, time, urllib.request


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def request(port, method, path, timeout=5.0):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, None
    except OSError:
        return None, None


class Cluster:
    def __init__(self, binary, work):
        self.binary, self.work = binary, work
        self.http = [free_port() for _ in range(3)]
        self.transport = [free_port() for _ in range(3)]
        self.procs = [None] * 3
        for i in range(3):
            self.start(i)

    def start(self, i):
        seeds = ",".join(f"127.0.0.1:{p}" for p in self.transport)
        args = [self.binary, "-q", "-E", "cluster.name=failover", "-E", f"node.name=n{i}",
                "-E", f"http.port={self.http[i]}", "-E", f"transport.port={self.transport[i]}",
                "-E", f"path.data={self.work}/d{i}", "-E", f"path.logs={self.work}/l{i}",
                "-E", f"discovery.seed_hosts={seeds}", "-E", "cluster.initial_master_nodes=n0,n1,n2"]
        self.procs[i] = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def view(self, i):
        status, rows = request(self.http[i], "GET", "/_cat/nodes?format=json&h=name,master", 2.0)
        if status != 200 or not rows:
            return None
        masters = [r["name"] for r in rows if r["master"] == "*"]
        return len(rows), (masters[0] if masters else None)

    def wait_formed(self, limit=60.0):
        deadline = time.time() + limit
        while time.time() < deadline:
            views = [self.view(i) for i in range(3)]
            if all(v and v[0] == 3 and v[1] and v == views[0] for v in views):
                return int(views[0][1][1:])
            time.sleep(0.1)
        raise SystemExit("the cluster did not form with three nodes")

    def stop(self):
        for p in self.procs:
            if p and p.poll() is None:
                p.send_signal(signal.SIGCONT)
                p.kill()
                p.wait()


def trial(cluster, n, sig):
    master = cluster.wait_formed()
    other = (master + 1) % 3
    proc = cluster.procs[master]
    proc.send_signal(sig)
    start = time.time()
    while True:
        status, _ = request(cluster.http[other], "PUT", f"/failover-{sig.name.lower()}-{n}", timeout=30.0)
        if status == 200:
            elapsed = time.time() - start
            break
        if time.time() - start > 60:
            raise SystemExit(f"no successful create-index within 60 s after {sig.name}")
        time.sleep(0.02)
    if sig == signal.SIGKILL:
        proc.wait()
        cluster.start(master)
    else:
        proc.send_signal(signal.SIGCONT)
    return elapsed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=10)
    ap.add_argument("--quarry", default=os.path.join(os.environ.get("CARGO_TARGET_DIR", "target"), "release", "quarry"))
    ap.add_argument("--out", default="bench-results/failover.json")
    args = ap.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as work:
        cluster = Cluster(args.quarry, work)
        try:
            for sig in (signal.SIGKILL, signal.SIGSTOP):
                times = [trial(cluster, n, sig) for n in range(args.trials)]
                results[sig.name] = {"trials": times, "median_s": statistics.median(times), "max_s": max(times)}
                print(f"{sig.name}: median {statistics.median(times):.2f} s, max {max(times):.2f} s "
                      f"over {len(times)} trials", flush=True)
        finally:
            cluster.stop()
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(results, f, indent=2)
    print(f"results written to {args.out}")


if __name__ == "__main__":
    sys.exit(main())
