#!/usr/bin/env python3
"""Benchmark this repository's gumloop.py against the official SDK (gumloop==0.5.9).

    python bench_gumloop.py                          # every row, 5 fresh processes per side and row
    python bench_gumloop.py --reps 3 --only import,cold,stream
    python bench_gumloop.py --official-python PATH   # a python that has gumloop==0.5.9 installed

Standard library only. Both clients talk to a fake Gumloop API that this script serves on 127.0.0.1. Every number
comes from a fresh child process; the sides alternate and the median per side is printed, then a `ratios:` line
(how many times better ours is: above 1 = better). Ours runs from a snapshot of gumloop.py taken at start, on the
same interpreter as the official SDK. Without --official-python, the SDK is pip-installed once into a venv under the
user cache folder; if it cannot be had, ours is measured alone.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

OFFICIAL_SPEC = "gumloop==0.5.9"
API = "/api/v1"
STREAM_CHUNKS = 20_000
BIG_EVENTS, BIG_CONTENT = 800, 256 * 1024  # 200 MiB of content
POLLS = 20                                 # RUNNING answers before DONE: 21 polls
CHAT_CALLS = 200
FIRST_CHUNK_PAUSE = 0.3                    # seconds between the first chunk and the rest
CHILD_TIMEOUT = 180

# key, label, format, which way is better, the scenario (--only name) that measures it
ROWS = [
    ("import_ms", "import gumloop (ms)", "%.1f", "lower", "import"),
    ("import_rss", "import: RSS over bare python (MB)", "%.1f", "lower", "import"),
    ("cold_http", "cold call, http: spawn to result (ms)", "%.1f", "lower", "cold_http"),
    ("cold_https", "cold call, https: spawn to result (ms)", "%.1f", "lower", "cold_https"),
    ("copyin", "cold https, copied in, no .pyc (ms)", "%.1f", "lower", "copyin"),
    ("copyin_pyc", "cold https, copied in + unchecked-hash .pyc (ms)", "%.1f", "lower", "copyin_pyc"),
    ("stream", "stream 20k chunks (chunks/s)", "%.0f", "higher", "stream"),
    ("stream_conns", "2 streams, one client: TCP connections", "int", "lower", "stream"),
    ("first_chunk", "first chunk, from the server's flush (ms)", "%.2f", "lower", "first_chunk"),
    ("big_rss", "200 MB stream: peak RSS growth (MB)", "%.1f", "lower", "big_stream"),
    ("big_mbps", "200 MB stream: throughput (MB/s)", "%.0f", "higher", "big_stream"),
    ("chat_rps", "200 unary chat calls (req/s)", "%.0f", "higher", "chat"),
    ("chat_conns", "200 unary chat calls: TCP connections", "int", "lower", "chat"),
    ("flow_ms", "run_flow, 21 polls: wall (ms)", "%.1f", "lower", "flow"),
    ("flow_conns", "run_flow: TCP connections", "int", "lower", "flow"),
]
SCENARIOS = list(dict.fromkeys(row[4] for row in ROWS))
GROUPS = {"cold": ["cold_http", "cold_https", "copyin", "copyin_pyc"], "all": SCENARIOS}


class BenchError(Exception):
    """A measurement that could not be made; its first line becomes a footnote."""


def log(message: str) -> None:
    print("bench: " + message, file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------------------------ fake server

WORDS = ("Streaming tokens arrive one at a time , each a small JSON object from the model , and the client"
         " turns every one into a chunk for the caller .").split()
COMMON = {"id": "chatcmpl-bench", "created": 1732521234, "model": "openai/gpt-4o-mini"}
UNARY = {**COMMON, "object": "chat.completion", "system_fingerprint": "fp_bench",
         "usage": {"prompt_tokens": 12, "completion_tokens": 6, "total_tokens": 18},
         "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None,
                      "message": {"role": "assistant", "content": "Hello from the fake API."}}]}
STREAM_HEAD = (b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\nCache-Control: no-cache\r\n"
               b"Transfer-Encoding: chunked\r\n\r\n")
DONE = b"%x\r\ndata: [DONE]\n\n\r\n0\r\n\r\n" % len(b"data: [DONE]\n\n")  # last event, then the last chunk


def sse_chunk(content: str, first: bool = False, last: bool = False) -> bytes:
    """One chat.completion.chunk as an SSE event in its own HTTP chunk (~230 bytes)."""
    delta = {"role": "assistant", "content": content} if first else {"content": content}
    event = {**COMMON, "object": "chat.completion.chunk",
             "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": "stop" if last else None}]}
    data = b"data: " + json.dumps(event, separators=(",", ":")).encode() + b"\n\n"
    return b"%x\r\n%s\r\n" % (len(data), data)


def stream_chunks(n: int) -> tuple[list[bytes], int]:
    """The HTTP chunks of an n-event stream ending in [DONE], and the total content length in it."""
    words = [(" " if i else "") + WORDS[i % len(WORDS)] for i in range(n)]
    chunks = [sse_chunk(word, i == 0, i == n - 1) for i, word in enumerate(words)]
    return chunks[:-1] + [chunks[-1] + DONE], sum(map(len, words))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    server: FakeGumloop

    def log_message(self, *args: Any) -> None:
        pass

    def setup(self) -> None:  # once per accepted connection, on its own thread
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.server.lock:
            self.server.connections += 1
        if self.server.tls:  # a failed handshake ends here, silently (handle_error)
            self.request = self.server.tls.wrap_socket(self.request, server_side=True)
        super().setup()

    def send_json(self, obj: Any, status: int = 200) -> None:
        body = json.dumps(obj).encode()
        self.wfile.write(b"HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                         % (status, b"OK" if status == 200 else b"Not Found", len(body), body))

    def do_GET(self) -> None:  # the flows API's poll
        url = urlsplit(self.path)
        if url.path != API + "/get_pl_run":
            return self.send_json({"error": "not found"}, 404)
        done = self.server.poll(parse_qs(url.query).get("run_id", [""])[0]) > POLLS
        self.send_json({"state": "DONE" if done else "RUNNING", "outputs": {"output": "done"} if done else {},
                        "log": ["started"]})

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        path, srv, write, model = urlsplit(self.path).path, self.server, self.wfile.write, str(body.get("model"))
        if path == API + "/start_pipeline":
            self.send_json({"run_id": uuid.uuid4().hex})
        elif path != API + "/chat/completions":
            self.send_json({"error": "not found"}, 404)
        elif body.get("stream") is not True:
            self.send_json(UNARY)
        elif model == "bench-stream":
            write(STREAM_HEAD + srv.stream)
        elif model == "bench-big":
            write(STREAM_HEAD)
            for _ in range(BIG_EVENTS):
                write(srv.big_chunk)
            write(DONE)
        elif model.startswith("bench-first:"):
            write(STREAM_HEAD + srv.short[0])
            srv.flushed[model[12:]] = time.time()
            time.sleep(FIRST_CHUNK_PAUSE)
            write(b"".join(srv.short[1:]))
        else:
            write(STREAM_HEAD + b"".join(srv.short))


class FakeGumloop(ThreadingHTTPServer):
    """The fake API on 127.0.0.1 (https with `tls`), counting the connections it accepts. Every streamed body is
    built here, before the first measurement."""
    daemon_threads = True

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.tls, self.lock, self.connections = tls, threading.Lock(), 0
        self.polls: dict[str, int] = {}
        self.flushed: dict[str, float] = {}  # nonce -> time.time() of the first chunk's flush
        chunks, self.stream_content = stream_chunks(STREAM_CHUNKS)
        self.stream, self.short, self.big_chunk = b"".join(chunks), stream_chunks(6)[0], sse_chunk("x" * BIG_CONTENT)
        threading.Thread(target=self.serve_forever, args=(0.05,), daemon=True).start()

    @property
    def url(self) -> str:
        return "%s://127.0.0.1:%d%s" % ("https" if self.tls else "http", self.server_port, API)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client hanging up mid-stream is no error here

    def take_connections(self) -> int:
        with self.lock:
            n, self.connections = self.connections, 0
        return n

    def poll(self, run_id: str) -> int:
        with self.lock:
            self.polls[run_id] = self.polls.get(run_id, 0) + 1
            return self.polls[run_id]


def make_tls(tmp: str) -> tuple[ssl.SSLContext, str]:
    """A throwaway certificate for 127.0.0.1: the server's context, and a CA file holding the system CAs plus that
    certificate, so that both clients load a full-size bundle as in production."""
    openssl = shutil.which("openssl")
    if not openssl:
        raise BenchError("no openssl command to make a throwaway certificate")
    cnf, cert, key = (os.path.join(tmp, name) for name in ("req.cnf", "cert.pem", "key.pem"))
    with open(cnf, "w") as f:
        f.write("[req]\ndistinguished_name = dn\nx509_extensions = ext\nprompt = no\n[dn]\nCN = 127.0.0.1\n"
                "[ext]\nbasicConstraints = critical,CA:TRUE\nkeyUsage = critical,digitalSignature,keyCertSign\n"
                "extendedKeyUsage = serverAuth\nsubjectAltName = IP:127.0.0.1,DNS:localhost\n"
                "subjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid:always\n")
    p = subprocess.run([openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                        "-nodes", "-days", "2", "-config", cnf, "-keyout", key, "-out", cert],
                       capture_output=True, text=True)
    if p.returncode:
        raise BenchError("openssl could not make a certificate: " + first_line(p.stderr))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    bundle, paths = os.path.join(tmp, "ca-bundle.pem"), ssl.get_default_verify_paths()
    with open(bundle, "wb") as out:
        for name in (paths.cafile or paths.openssl_cafile, cert):
            if name and os.path.isfile(name):
                with open(name, "rb") as f:
                    out.write(f.read().rstrip(b"\n") + b"\n")
    return ctx, bundle


# ------------------------------------------------------------------------------------------------ child process

# `python -c CHILD TASK PATH URL ARG` in an empty folder: sys and time are all it imports before gumloop. It prints
# `RESULT {json}` and exits without the interpreter's teardown, which no row includes.
CHILD = r'''
import sys, time
MESSAGES = [{"role": "user", "content": "Say hello."}]

def emit(**result):
    import json, os
    print("RESULT " + json.dumps(result), flush=True)
    os._exit(0)

def kb(field):
    try:
        with open("/proc/self/status") as f:
            return int(next(line for line in f if line.startswith(field + ":")).split()[1])
    except (OSError, StopIteration):
        import resource  # not Linux: the peak so far, whatever the field
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return rss // 1024 if sys.platform == "darwin" else rss

def drain(chunks):
    n = total = 0
    for chunk in chunks:
        total += len(chunk.choices[0].delta.content or "")
        n += 1
    return n, total

def main(task, path, url, arg):
    if path != "-":
        sys.path.insert(0, path)
    if task == "bare":
        emit(rss_kb=kb("VmHWM"))
    t0 = time.perf_counter()
    import gumloop
    ms, file = (time.perf_counter() - t0) * 1000.0, gumloop.__file__
    if task == "import":
        emit(file=file, ms=ms, rss_kb=kb("VmHWM"))
    if task == "flow":
        import warnings
        warnings.simplefilter("ignore")  # GumloopClient is deprecated on both sides
        flows = gumloop.GumloopClient("t", "u")
        flows.base_url = url
        t0 = time.perf_counter()
        out = flows.run_flow("flow-bench", {"text": "hello"}, poll_interval=1e-6)
        seconds = time.perf_counter() - t0
        assert out == {"output": "done"}, "run_flow returned %r" % (out,)
        emit(file=file, seconds=seconds)
    create = gumloop.Gumloop(access_token="t", base_url=url, stream_base_url=url).chat.completions.create
    if task == "cold":
        content = create(model="bench-unary", messages=MESSAGES).choices[0].message.content
        ready = time.time()
        assert content, "empty completion"
        emit(file=file, ready=ready)
    if task == "chat":
        create(model="bench-unary", messages=MESSAGES)
        t0 = time.perf_counter()
        for _ in range(int(arg)):
            content = create(model="bench-unary", messages=MESSAGES).choices[0].message.content
        seconds = time.perf_counter() - t0
        assert content, "empty completion"
        emit(file=file, seconds=seconds)
    drain(create(model="bench-warmup", messages=MESSAGES, stream=True))
    if task == "first_chunk":
        chunks = iter(create(model="bench-first:" + arg, messages=MESSAGES, stream=True))
        first = next(chunks)
        wall = time.time()
        first.choices[0].delta.content
        drain(chunks)
        emit(file=file, first_wall=wall)
    base = 0
    if task == "big":
        import gc
        gc.collect()
        try:
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")  # Linux: VmHWM := VmRSS, so the peak read below is the stream's own
        except OSError:
            pass
        base = kb("VmRSS")
    t0 = time.perf_counter()
    n, total = drain(create(model="bench-" + task, messages=MESSAGES, stream=True))
    emit(file=file, seconds=time.perf_counter() - t0, n=n, total=total, rss_kb=kb("VmHWM") - base)

try:
    main(*sys.argv[1:5])
except BaseException as exc:
    lines = str(exc).strip().splitlines()
    sys.exit("CHILD-ERROR %s: %s" % (type(exc).__name__, lines[0] if lines else ""))
'''


def first_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith(("CHILD-ERROR", "ERROR"))]
    return (errors or lines[-1:] or ["(no output)"])[0]


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """This environment without GUMLOOP_*, PYTHON*, proxy and CA variables."""
    drop = ("SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "VIRTUAL_ENV")
    env = {k: v for k, v in os.environ.items()
           if not (k.upper() in drop or k.upper().endswith("_PROXY") or k.upper().startswith(("PYTHON", "GUMLOOP_")))}
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    return {**env, **(extra or {})}


# ------------------------------------------------------------------------------------------------ the two sides

class Side:
    def __init__(self, name: str, python: str, path: str, file: str, error: str = "", pyver: str = "") -> None:
        self.name, self.python, self.error = name, python, error
        self.path = path  # the folder put first on sys.path; "-" for an installed package
        self.file = file  # the gumloop.__file__ its children must report
        self.pyver = pyver or platform.python_version()


def probe(python: str, cwd: str) -> list[str]:
    """[gumloop version, gumloop.__file__, Python version] as `python` sees them."""
    code = "import gumloop, platform, importlib.metadata as m\n" \
           "print(m.version('gumloop'), gumloop.__file__, platform.python_version(), sep='\\n')"
    p = subprocess.run([python, "-c", code], cwd=cwd, env=child_env(), capture_output=True, text=True, timeout=120)
    if p.returncode:
        raise BenchError(first_line(p.stderr))
    return p.stdout.splitlines()


def official_venv(cwd: str) -> str:
    """The cached venv's python, with the official SDK pip-installed into it on first use."""
    if sys.version_info < (3, 10):
        raise BenchError("%s needs Python >= 3.10 (or pass --official-python)" % OFFICIAL_SPEC)
    venv = os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "gumloop-lite-bench",
                        "py%d.%d" % sys.version_info[:2])
    python = os.path.join(venv, "Scripts/python.exe" if os.name == "nt" else "bin/python")
    try:
        probe(python, cwd)
        return python
    except (BenchError, OSError):
        log("installing %s into %s (first run only)" % (OFFICIAL_SPEC, venv))
    shutil.rmtree(venv, ignore_errors=True)
    for cmd in ([sys.executable, "-m", "venv", venv],
                [python, "-m", "pip", "install", "-q", "--disable-pip-version-check", OFFICIAL_SPEC]):
        p = subprocess.run(cmd, cwd=cwd, env=child_env(), capture_output=True, text=True)
        if p.returncode:
            shutil.rmtree(venv, ignore_errors=True)
            raise BenchError("%s failed: %s" % (" ".join(cmd[1:4]), first_line(p.stdout + p.stderr)))
    return python


def official_side(python: str | None, cwd: str) -> tuple[Side, str]:
    """The official SDK's side and a note for the header; the side's `error` says why it cannot be had."""
    try:
        python = python or official_venv(cwd)
        version, file, pyver = probe(python, cwd)
        other = "" if version == OFFICIAL_SPEC.split("==")[1] else " (not %s)" % OFFICIAL_SPEC
        return Side("official", python, "-", file, pyver=pyver), "gumloop %s%s" % (version, other)
    except (BenchError, OSError, subprocess.SubprocessError, ValueError) as e:
        return Side("official", "", "-", "", "unavailable: %s" % e), "not available (%s)" % e


# ------------------------------------------------------------------------------------------------ measurements

class Bench:
    def __init__(self, tmp: str, ours_dir: str) -> None:
        self.tmp, self.ours_dir, self.cwd = tmp, ours_dir, os.path.join(tmp, "cwd")
        os.makedirs(self.cwd)  # empty: nothing there to shadow an import
        self.http = FakeGumloop()
        self.https: FakeGumloop | None = None
        self.tls_env: dict[str, str] = {}
        self.tls_error = ""
        try:
            ctx, bundle = make_tls(tmp)
            self.https, self.tls_env = FakeGumloop(ctx), {"SSL_CERT_FILE": bundle}
        except (BenchError, OSError, ssl.SSLError) as e:
            self.tls_error = str(e)

    def close(self) -> None:
        for server in filter(None, (self.http, self.https)):
            server.shutdown()
            server.server_close()

    def child(self, side: Side, task: str, url: str = "-", arg: str = "0", path: str = "",
              env: dict[str, str] | None = None) -> dict[str, Any]:
        """Run CHILD for `side`; its result, checked to come from the intended gumloop."""
        path, spawn = path or side.path, time.time()
        try:
            p = subprocess.run([side.python, "-c", CHILD, task, path, url, arg], cwd=self.cwd, env=child_env(env),
                               stdin=subprocess.DEVNULL, capture_output=True, timeout=CHILD_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise BenchError("%s: no answer within %d s" % (task, CHILD_TIMEOUT)) from None
        out = [line for line in p.stdout.decode().splitlines() if line.startswith("RESULT ")]
        if p.returncode or not out:
            raise BenchError(first_line(p.stderr.decode("utf-8", "replace")))
        result: dict[str, Any] = json.loads(out[-1][7:])
        expect = os.path.join(path, "gumloop.py") if path != "-" else side.file
        if task != "bare" and os.path.realpath(result["file"]) != os.path.realpath(expect):
            raise BenchError("imported %s, expected %s" % (result["file"], expect))
        result["spawn_ms"] = (result.get("ready", spawn) - spawn) * 1000.0
        return result

    def cold_https(self, side: Side, copy_in: bool = False, precompile: bool = False) -> float:
        """Copied in: ours from a fresh folder with bytecode writing off, as in a read-only Lambda task folder
        (optionally with a .pyc compiled beforehand); the official SDK keeps the .pyc files pip wrote."""
        if not self.https:
            raise BenchError(self.tls_error)
        env, fresh = dict(self.tls_env), ""
        if copy_in:
            env["PYTHONDONTWRITEBYTECODE"] = "1"
            if side.path != "-":
                fresh = tempfile.mkdtemp(dir=self.tmp)
                shutil.copy(os.path.join(self.ours_dir, "gumloop.py"), fresh)
        try:
            if fresh and precompile:
                subprocess.run([side.python, "-m", "compileall", "-q", "--invalidation-mode", "unchecked-hash", fresh],
                               check=True, env=child_env())
            return self.child(side, "cold", self.https.url, path=fresh, env=env)["spawn_ms"]
        finally:
            if fresh:
                shutil.rmtree(fresh, ignore_errors=True)

    def measure(self, scenario: str, side: Side) -> dict[str, float]:
        """One fresh-process measurement of `scenario`: {row key: value}."""
        url, conns = self.http.url, self.http.take_connections
        if scenario == "import":
            bare, imp = self.child(side, "bare"), self.child(side, "import")
            return {"import_ms": imp["ms"], "import_rss": (imp["rss_kb"] - bare["rss_kb"]) / 1024}
        if scenario == "cold_http":
            return {"cold_http": self.child(side, "cold", url)["spawn_ms"]}
        if scenario in ("cold_https", "copyin", "copyin_pyc"):
            return {scenario: self.cold_https(side, scenario != "cold_https", scenario == "copyin_pyc")}
        if scenario == "first_chunk":
            nonce = uuid.uuid4().hex
            wall = self.child(side, "first_chunk", url, nonce)["first_wall"]
            if nonce not in self.http.flushed:
                raise BenchError("the server never sent the first chunk")
            return {"first_chunk": (wall - self.http.flushed.pop(nonce)) * 1000.0}
        conns()  # from here on, count the connections of this measurement alone
        if scenario == "chat":
            return {"chat_rps": CHAT_CALLS / self.child(side, "chat", url, str(CHAT_CALLS))["seconds"],
                    "chat_conns": conns()}
        if scenario == "flow":
            return {"flow_ms": self.child(side, "flow", url)["seconds"] * 1000.0, "flow_conns": conns()}
        r = self.child(side, "stream" if scenario == "stream" else "big", url)
        big = (BIG_EVENTS, BIG_EVENTS * BIG_CONTENT)
        want = (STREAM_CHUNKS, self.http.stream_content) if scenario == "stream" else big
        if (r["n"], r["total"]) != want:
            raise BenchError("got %d chunks / %d content chars, expected %d / %d" % (r["n"], r["total"], *want))
        if scenario == "stream":
            return {"stream": r["n"] / r["seconds"], "stream_conns": conns()}
        return {"big_rss": r["rss_kb"] / 1024, "big_mbps": r["total"] / 2**20 / r["seconds"]}


def run(bench: Bench, sides: list[Side], scenarios: list[str], reps: int,
        samples: dict[tuple[str, str], list[float]], errors: dict[tuple[str, str], str]) -> None:
    """Every scenario `reps` times per side, the sides alternating. A side that fails once in a scenario is not
    retried there; Ctrl-C ends the run early with what was measured."""
    try:
        for side in sides:  # discarded: writes our .pyc (into the snapshot) and warms the file cache
            try:
                if not side.error:
                    bench.measure("cold_http", side)
            except Exception:
                pass  # the rows report it
        for scenario in scenarios:
            log("%s: %d rep(s) per side" % (scenario, reps))
            for _ in range(reps):
                for side in sides:
                    if side.error:
                        errors[(scenario, side.name)] = side.error
                    if (scenario, side.name) in errors:
                        continue
                    try:
                        for key, value in bench.measure(scenario, side).items():
                            samples.setdefault((key, side.name), []).append(value)
                    except Exception as e:  # one failure must not end the run
                        message = (str(e).splitlines() or [""])[0][:200]
                        if not isinstance(e, BenchError):
                            message = "%s: %s" % (type(e).__name__, message)
                        errors[(scenario, side.name)] = message
    except KeyboardInterrupt:
        log("interrupted: reporting what was measured")


# ------------------------------------------------------------------------------------------------ report

def parse_only(text: str) -> list[str]:
    chosen: list[str] = []
    for name in filter(None, (name.strip() for name in text.split(","))):
        if name not in SCENARIOS and name not in GROUPS:
            raise SystemExit("unknown --only name %r; choose from %s" % (name, ", ".join(SCENARIOS + list(GROUPS))))
        chosen += GROUPS.get(name, [name])
    return [s for s in SCENARIOS if s in chosen] or SCENARIOS


def report(samples: dict[tuple[str, str], list[float]], errors: dict[tuple[str, str], str], scenarios: list[str],
           header: list[str]) -> None:
    """The table of medians (a side that failed shows `n/a [k]`, k a footnote) and the `ratios:` line."""
    notes: list[str] = []

    def cell(value: float | None, form: str, scenario: str, side: str) -> str:
        if value is not None:
            return form % value if form != "int" else "%d" % value if value == int(value) else "%.1f" % value
        if (scenario, side) not in errors:
            return "n/a"
        note = "%s: %s" % (side, errors[(scenario, side)])
        if note not in notes:
            notes.append(note)
        return "n/a [%d]" % (notes.index(note) + 1)

    rows = [row for row in ROWS if row[4] in scenarios]
    width = max(len(row[1]) for row in rows)
    print("\n".join(header) + "\n\n%-*s  %12s  %12s  %6s" % (width, "row", "ours", "official", "ratio"))
    ratios = []
    for key, label, form, better, scenario in rows:
        ours, off = (statistics.median(samples[key, s]) if (key, s) in samples else None for s in ("ours", "official"))
        ratio = "n/a" if not ours or not off else "%.2f" % (off / ours if better == "lower" else ours / off)
        print("%-*s  %12s  %12s  %6s" % (width, label, cell(ours, form, scenario, "ours"),
                                         cell(off, form, scenario, "official"), ratio))
        ratios.append("%s=%s" % (key, ratio))
    for i, note in enumerate(notes, 1):
        print("[%d] %s" % (i, note))
    print("ratios: " + " ".join(ratios))


# ------------------------------------------------------------------------------------------------ main

def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--reps", type=int, default=5, help="fresh processes per side and row (default 5)")
    ap.add_argument("--only", default="", help="comma-separated: %s; or cold, all" % ", ".join(SCENARIOS))
    ap.add_argument("--official-python", metavar="PATH", help="a python with %s installed" % OFFICIAL_SPEC)
    args = ap.parse_args()
    scenarios, reps, started = parse_only(args.only), max(1, args.reps), time.time()

    tmp = tempfile.mkdtemp(prefix="gumloop-bench-")
    ours_dir = os.path.join(tmp, "ours")
    os.makedirs(ours_dir)
    # A snapshot: an edit during the run changes nothing, and the clone gets no __pycache__.
    shutil.copy(os.path.join(os.path.dirname(os.path.abspath(__file__)), "gumloop.py"), ours_dir)
    with open(os.path.join(ours_dir, "gumloop.py"), encoding="utf-8") as f:
        source = f.read()
    version = re.search(r"^__version__ = ['\"]([^'\"]+)", source, re.M)
    samples: dict[tuple[str, str], list[float]] = {}
    errors: dict[tuple[str, str], str] = {}
    bench = Bench(tmp, ours_dir)
    try:
        official, official_note = official_side(args.official_python, bench.cwd)
        # Both sides on one interpreter; ours imports nothing from its site-packages.
        ours = Side("ours", official.python or sys.executable, ours_dir, os.path.join(ours_dir, "gumloop.py"),
                    pyver=official.pyver)
        run(bench, [ours, official], scenarios, reps, samples, errors)
    finally:
        bench.close()
        shutil.rmtree(tmp, ignore_errors=True)
    report(samples, errors, scenarios, [
        "gumloop.py benchmark: Python %s%s, %s %s, %d CPUs, %d fresh process(es) per side and row, medians, %.0f s"
        % (ours.pyver, "" if official.error else " on both sides", platform.system(), platform.machine(),
           os.cpu_count() or 0, reps, time.time() - started),
        "ours: gumloop.py %s (%d lines); official: %s"
        % (version.group(1) if version else "?", source.count("\n"), official_note),
        "ratio = how many times better ours is: official/ours for times, memory and connections; ours/official "
        "for rates" + ("\nthe official SDK could not be had: ours is measured alone" if official.error else ""),
    ])


if __name__ == "__main__":
    main()
