"""A tiny HTTP proxy for the tests: CONNECT tunnels and absolute-URI
forwarding, on 127.0.0.1, to 127.0.0.1 only.

    p = FakeProxy(user="u", password="pw")   # or no credentials at all
    p.start(); ... p.counts ... p.stop()

It counts what it did ("connect", "forward", "denied") and keeps the
Proxy-Authorization values it saw. Every socket has a timeout, so nothing
outlives stop() by more than a few seconds. stdlib only.
"""
import base64
import select
import socket
import socketserver
import threading

IO_TIMEOUT_S = 10
MAX_HEAD_BYTES = 65536


class _Handler(socketserver.BaseRequestHandler):
    def handle(self):
        proxy = self.server.proxy
        c = self.request
        c.settimeout(IO_TIMEOUT_S)
        try:
            head, rest = _read_head(c)
        except OSError:
            return
        if not head:
            return
        lines = head.split(b"\r\n")
        try:
            method, target, version = lines[0].decode("latin-1").split(" ")
        except ValueError:
            return
        headers = []
        auth = None
        for line in lines[1:]:
            name = line.partition(b":")[0].strip().lower()
            if name == b"proxy-authorization":
                auth = line.partition(b":")[2].strip().decode("latin-1")
            elif line and name not in (b"proxy-connection", b"connection"):
                headers.append(line)
        with proxy.lock:
            proxy.auth_seen.append(auth)
        if proxy.expected_auth and auth != proxy.expected_auth:
            proxy.count("denied")
            c.sendall(b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                      b"Proxy-Authenticate: Basic realm=\"test\"\r\n"
                      b"Content-Length: 0\r\nConnection: close\r\n\r\n")
            return
        if method == "CONNECT":
            host, _, port = target.rpartition(":")
        elif target.startswith("http://"):
            hostport, _, path = target[len("http://"):].partition("/")
            host, _, port = hostport.rpartition(":")
        else:
            host, port = "", "0"
        if host != "127.0.0.1":             # loopback only
            proxy.count("refused")
            c.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n"
                      b"Connection: close\r\n\r\n")
            return
        try:
            u = socket.create_connection((host, int(port)),
                                         timeout=IO_TIMEOUT_S)
        except (OSError, ValueError):
            c.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n"
                      b"Connection: close\r\n\r\n")
            return
        try:
            if method == "CONNECT":
                proxy.count("connect")
                c.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                if rest:
                    u.sendall(rest)
                _relay(c, u)
                return
            proxy.count("forward")
            # One request per connection, and the answer says so: the
            # client opens a new connection for its next request.
            req = ("%s /%s %s\r\n" % (method, path, version)).encode(
                "latin-1")
            u.sendall(req + b"".join(h + b"\r\n" for h in headers) +
                      b"Connection: close\r\n\r\n" + rest)
            rhead, urest = _read_head(u)
            if not rhead:
                return
            keep = [l for l in rhead.split(b"\r\n") if l and not
                    l.lower().startswith((b"connection:", b"keep-alive:"))]
            c.sendall(b"".join(l + b"\r\n" for l in keep) +
                      b"Connection: close\r\n\r\n" + urest)
            _relay(c, u)
        except OSError:
            return
        finally:
            u.close()


def _read_head(sock):
    """(the header block with its blank line, the bytes read past it)."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(4096)
        if not chunk or len(buf) > MAX_HEAD_BYTES:
            return b"", b""
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    return head + b"\r\n\r\n", rest


def _relay(a, b):
    """Copy both ways until either side closes or goes quiet."""
    socks = [a, b]
    try:
        while True:
            r, _, _ = select.select(socks, [], [], IO_TIMEOUT_S)
            if not r:
                return
            for s in r:
                data = s.recv(65536)
                if not data:
                    return
                (b if s is a else a).sendall(data)
    except OSError:
        return


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False


class FakeProxy:
    def __init__(self, user=None, password=None):
        self.expected_auth = None
        if user is not None:
            cred = ("%s:%s" % (user, password or "")).encode()
            self.expected_auth = "Basic " + base64.b64encode(cred).decode()
        self.lock = threading.Lock()
        self.counts = {}
        self.auth_seen = []
        self.server = _Server(("127.0.0.1", 0), _Handler)
        self.server.proxy = self
        self.port = self.server.server_address[1]
        self.url = "http://127.0.0.1:%d" % self.port
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.1},
                                       daemon=True)

    def count(self, what):
        with self.lock:
            self.counts[what] = self.counts.get(what, 0) + 1

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)
