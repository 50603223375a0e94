"""An HTTP server that reads one request body and throws it away: the ceiling of a `curl -T` push.

It does as little per byte as a receiver can (recv_into one 1 MiB buffer, nothing else), so what a
push into it measures is the client, the loopback and the kernel's receive path: no server that
stores or hashes the bytes can be faster with the same client on the same machine.

Run as `python3 sink.py`: prints the port it listens on, serves one PUT, answers 201 and exits.
"""

import socket
import sys

RECEIVE_BYTES = 1 << 20
HEADER_LIMIT = 64 * 1024


def content_length(head):
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value.strip())
    raise ValueError("the request has no Content-Length")


def serve_one(listener):
    connection, _ = listener.accept()
    with connection:
        buffer = bytearray(RECEIVE_BYTES)
        view = memoryview(buffer)
        head = b""
        while b"\r\n\r\n" not in head:
            count = connection.recv_into(view)
            if count == 0 or len(head) > HEADER_LIMIT:
                return
            head += bytes(view[:count])
        head, _, body_start = head.partition(b"\r\n\r\n")
        remaining = content_length(head) - len(body_start)
        while remaining > 0:
            count = connection.recv_into(view, min(remaining, RECEIVE_BYTES))
            if count == 0:
                return
            remaining -= count
        connection.sendall(b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")


def main():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    print(listener.getsockname()[1], flush=True)
    serve_one(listener)
    return 0


if __name__ == "__main__":
    sys.exit(main())
