"""Raw-socket HTTP/1.1 helpers for black-box tests: send exact bytes, read exact responses."""

import socket


class RawResponse:
    def __init__(self, status, reason, headers, body):
        self.status = status
        self.reason = reason
        self.headers = headers  # list of (name, value) in order
        self.body = body

    def header(self, name):
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    def __repr__(self):
        return f"<{self.status} {self.reason} {self.headers} {self.body[:200]!r}>"


class Connection:
    """One TCP connection that can send raw bytes and parse responses off the stream."""

    def __init__(self, port, timeout=10):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("connection closed by server")
        self.buffer += data

    def read_response(self, head_request=False):
        while b"\r\n\r\n" not in self.buffer:
            self._fill()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        version, status, reason = (lines[0].split(" ", 2) + [""])[:3]
        assert version == "HTTP/1.1", lines[0]
        headers = [tuple(part.strip() for part in line.split(":", 1)) for line in lines[1:]]
        response = RawResponse(int(status), reason, headers, b"")
        if head_request or response.status in (100, 204, 304):
            return response
        length = response.header("content-length")
        if length is not None:
            length = int(length)
            while len(self.buffer) < length:
                self._fill()
            response.body, self.buffer = self.buffer[:length], self.buffer[length:]
        return response

    def closed_by_server(self, timeout=5):
        """True when the server closes (EOF or reset) within the timeout and sends nothing."""
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(65536)
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False
        return data == b""

    def close(self):
        self.sock.close()


def request(port, method, path, headers=None, body=b"", timeout=10):
    """One request on its own connection (Connection: close); returns the response."""
    conn = Connection(port, timeout)
    try:
        lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
        for name, value in (headers or {}).items():
            lines.append(f"{name}: {value}")
        if body and not any(k.lower() in ("content-length", "transfer-encoding")
                            for k in (headers or {})):
            lines.append(f"Content-Length: {len(body)}")
        conn.send(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        return conn.read_response(head_request=(method == "HEAD"))
    finally:
        conn.close()
