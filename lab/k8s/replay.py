#!/usr/bin/env python3
"""Replay lab/k8s/ with Docker on this one machine: no cluster runs here, so the
StatefulSet's pods and the Job's indexed pods run as containers of the same images, with
the same arguments and environment read from the manifests, scaled down.

What differs from a cluster, and why:
- Every container uses the host network (no bridge addresses here), so pod K of the
  StatefulSet listens on 127.0.(BASE+K).1 instead of 0.0.0.0 on its own pod IP.
- The headless Service's DNS names (junos-sim-K.junos-sim) are given to the Job's
  containers with --add-host, which exercises the same name lookup as cluster DNS.
- HOSTNAME is set to junos-sim-K, so each simulator finds its slice by its ordinal as in
  a StatefulSet.
- Sizes are scaled down (--pods, --routers, --workers); resource requests are ignored.

Exits non-zero unless every worker opened one session per device of its slice with no
error, the slices add up to the fleet, and `netlab scale --merge` over the workers'
reports says so too. Every container is removed at the end.

  python3 lab/k8s/replay.py [--pods 2] [--routers 2000] [--workers 2] [--base 212]
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))


def docs(name):
    with open(os.path.join(HERE, name)) as f:
        return [d for d in yaml.safe_load_all(f) if d]


def one(kind, items):
    found = [d for d in items if d["kind"] == kind]
    if len(found) != 1:
        sys.exit(f"replay: expected one {kind} in the manifests, found {len(found)}")
    return found[0]


def set_arg(args, name, value):
    """Replace --name=... in a container's args (it must be there: the manifest is the
    source of truth, the replay only scales it)."""
    prefix = f"--{name}="
    for i, a in enumerate(args):
        if a.startswith(prefix):
            args[i] = prefix + str(value)
            return
    sys.exit(f"replay: the manifest's args have no {prefix}: {args}")


def arg(args, name):
    prefix = f"--{name}="
    for a in args:
        if a.startswith(prefix):
            return a[len(prefix):]
    sys.exit(f"replay: the manifest's args have no {prefix}: {args}")


def env_of(container):
    return {e["name"]: str(e["value"]) for e in container.get("env", [])}


def docker(*args, check=True, timeout=120, capture=True):
    r = subprocess.run(["docker", *args], capture_output=capture, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise RuntimeError(f"docker {' '.join(args)}: exit {r.returncode}: {r.stderr.strip()}")
    return r


def wait_port(host, port, bound_s):
    deadline = time.monotonic() + bound_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=1):
                return True
        except OSError:
            time.sleep(0.2)
    return False


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--pods", type=int, default=2, help="StatefulSet replicas")
    p.add_argument("--routers", type=int, default=2000, help="routers in the fleet")
    p.add_argument("--workers", type=int, default=2, help="the Job's completions")
    p.add_argument("--base", type=int, default=212, help="pod K listens on 127.0.(BASE+K).1")
    p.add_argument("--idle-secs", type=int, default=5, help="netlab scale --idle-secs")
    a = p.parse_args()

    sim = docs("junos-sim.yaml")
    sts = one("StatefulSet", sim)
    svc = one("Service", sim)
    job = one("Job", docs("netlab-scale-job.yaml"))
    sts_name, svc_name = sts["metadata"]["name"], svc["metadata"]["name"]
    if sts["spec"]["serviceName"] != svc_name:
        sys.exit("replay: the StatefulSet's serviceName is not the headless Service")
    pod = sts["spec"]["template"]["spec"]["containers"][0]
    sim_args = list(pod["args"])
    sim_env = env_of(pod)
    first_port = int(arg(sim_args, "first-port"))
    set_arg(sim_args, "routers", a.routers)
    sim_env["JUNOS_SIM_SHARDS"] = str(a.pods)

    spec = job["spec"]["template"]["spec"]
    init = spec["initContainers"][0]
    work = spec["containers"][0]
    inv_args = list(init["args"])
    set_arg(inv_args, "statefulset", sts_name)
    set_arg(inv_args, "service", svc_name)
    set_arg(inv_args, "pods", a.pods)
    set_arg(inv_args, "routers", a.routers)
    mount = init["volumeMounts"][0]["mountPath"]
    run_env = env_of(work)

    started = []
    hosts = []
    ok = True
    try:
        for k in range(a.pods):
            listen = f"127.0.{a.base + k}.1"
            args = list(sim_args)
            set_arg(args, "listen", listen)
            name = f"replay-{sts_name}-{k}"
            docker("rm", "-f", name, check=False)
            env = [f"{n}={v}" for n, v in sim_env.items()] + [f"HOSTNAME={sts_name}-{k}"]
            docker("run", "-d", "--name", name, "--network", "host",
                   *sum((["-e", e] for e in env), []), pod["image"], *args)
            started.append(name)
            hosts.append(f"{sts_name}-{k}.{svc_name}:{listen}")
        per_pod = -(-a.routers // a.pods)
        for k in range(a.pods):
            listen = f"127.0.{a.base + k}.1"
            last = first_port + (a.routers * (k + 1) // a.pods - a.routers * k // a.pods) - 1
            if not wait_port(listen, last, 60):
                logs = docker("logs", started[k], check=False)
                sys.exit(f"replay: pod {k} is not listening on {listen}:{last} after 60 s\n"
                         f"{logs.stdout[-2000:]}{logs.stderr[-2000:]}")
        print(f"replay: {a.pods} {sts_name} pods serving {a.routers} routers "
              f"(about {per_pod} each, ports {first_port} and up)")

        add_hosts = sum((["--add-host", h] for h in hosts), [])
        # The Job's indexed pods run at once (parallelism), each with its own volume: the
        # init container writes the inventory there, then the worker drives its slice.
        workers = []
        vols = []
        for idx in range(a.workers):
            vol = tempfile.TemporaryDirectory()
            vols.append(vol)
            os.chmod(vol.name, 0o777)
            common = ["run", "--rm", "--network", "host", *add_hosts,
                      "-v", f"{vol.name}:{mount}"]
            docker(*common, init["image"], *inv_args, timeout=120)
            args = [x.replace("$(JOB_COMPLETION_INDEX)", str(idx)) for x in work["args"]]
            set_arg(args, "slice", f"{idx}/{a.workers}")
            args.append(f"--idle-secs={a.idle_secs}")
            env = sum((["-e", f"{n}={v}"] for n, v in run_env.items()), [])
            cmd = ["docker", *common, *env, work["image"], *args]
            workers.append(subprocess.Popen(cmd, stdout=subprocess.PIPE,
                                            stderr=subprocess.PIPE, text=True))
        total = 0
        merged_dir = tempfile.TemporaryDirectory()
        vols.append(merged_dir)
        os.chmod(merged_dir.name, 0o777)
        for idx, w in enumerate(workers):
            try:
                out, err = w.communicate(timeout=600)
            except subprocess.TimeoutExpired:
                w.kill()
                out, err = w.communicate()
                print(f"replay: worker {idx} ran past 600 s", file=sys.stderr)
                ok = False
            try:
                report = json.loads(out[out.index("{"):out.rindex("}") + 1])
            except ValueError:
                print(f"replay: worker {idx} wrote no JSON report (exit {w.returncode})\n"
                      f"{out[-3000:]}\n{err[-3000:]}", file=sys.stderr)
                ok = False
                continue
            with open(os.path.join(merged_dir.name, f"worker-{idx}.json"), "w") as f:
                json.dump(report, f)
            d, s, e = report["devices"], report["sessions"], report["errors"]
            total += d
            print(f"replay: worker {idx}/{a.workers}: {d} devices, {s} sessions, {e} errors, "
                  f"{report['connects_per_s']:.0f} established/s, checkout p99 "
                  f"{report['checkout_us'][1]:.1f} us (exit {w.returncode})")
            if w.returncode != 0 or e != 0 or s != d:
                print(f"replay: worker {idx} failed: {report.get('first_error')}\n"
                      f"{err[-3000:]}", file=sys.stderr)
                ok = False
        # The results merged as a user would: `netlab scale --merge` over the workers'
        # reports (percentiles from the merged distributions).
        names = [f"/r/worker-{i}.json" for i in range(a.workers)]
        r = docker("run", "--rm", "-v", f"{merged_dir.name}:/r", work["image"], "scale",
                   "--merge", *names, "--json", "/r/merged.json", check=False)
        print(r.stdout, end="")
        try:
            with open(os.path.join(merged_dir.name, "merged.json")) as f:
                merged = json.load(f)
            if merged["devices"] != a.routers or merged["sessions"] != a.routers:
                print(f"replay: the merged report says {merged['sessions']} sessions over "
                      f"{merged['devices']} devices, not {a.routers}", file=sys.stderr)
                ok = False
        except (OSError, ValueError, KeyError) as e:
            print(f"replay: netlab scale --merge failed ({e}): {r.stderr[-2000:]}",
                  file=sys.stderr)
            ok = False
        for vol in vols:
            vol.cleanup()
        if total != a.routers:
            print(f"replay: the workers' slices cover {total} devices, not {a.routers}",
                  file=sys.stderr)
            ok = False
    finally:
        for name in started:
            docker("rm", "-f", name, check=False)
    print("replay: ok" if ok else "replay: FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
