"""The HTTP/1.1 layer, black box: the built berth on a loopback port, spoken to in raw bytes."""

import json
import os
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Berth  # noqa: E402
from httpclient import Connection, request  # noqa: E402

GET_V2 = b"GET /v2/ HTTP/1.1\r\nHost: x\r\n\r\n"

FAST_TIMEOUTS = {"berth": {"headerTimeout": "1s", "idleTimeout": "1s", "bodyTimeout": "1s",
                           "drainTimeout": "2s"}}


class BasicRoutes(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.berth = Berth().start()

    @classmethod
    def tearDownClass(cls):
        cls.berth.__exit__(None, None, None)

    def test_base_endpoint(self):
        response = request(self.berth.port, "GET", "/v2/")
        self.assertEqual(response.status, 200)
        self.assertEqual(response.body, b"{}")
        self.assertEqual(response.header("Docker-Distribution-API-Version"), "registry/2.0")
        self.assertEqual(response.header("Content-Type"), "application/json")

    def test_base_endpoint_without_slash_and_head(self):
        self.assertEqual(request(self.berth.port, "GET", "/v2").status, 200)
        response = request(self.berth.port, "HEAD", "/v2/")
        self.assertEqual(response.status, 200)
        self.assertEqual(response.header("Content-Length"), "2")

    def test_health_endpoints(self):
        for path in ("/livez", "/readyz", "/startupz"):
            response = request(self.berth.port, "GET", path)
            self.assertEqual(response.status, 200, path)
            self.assertEqual(response.body, b"ok")

    def test_unknown_route_is_404_with_oci_body(self):
        for path in ("/nope", "/v3/", "/v2/_nothing/here", "/"):
            response = request(self.berth.port, "GET", path)
            self.assertEqual(response.status, 404, path)
            body = json.loads(response.body)
            self.assertIn("code", body["errors"][0])
            self.assertIn("message", body["errors"][0])

    def test_pipelined_requests_in_one_write(self):
        conn = Connection(self.berth.port)
        conn.send(GET_V2 + b"GET /livez HTTP/1.1\r\nHost: x\r\n\r\n" + GET_V2 +
                  b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n")
        statuses = [conn.read_response().status for _ in range(4)]
        self.assertEqual(statuses, [200, 200, 200, 404])
        conn.send(GET_V2)
        self.assertEqual(conn.read_response().status, 200)
        conn.close()

    def test_request_split_byte_by_byte(self):
        conn = Connection(self.berth.port)
        data = b"GET /v2/ HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: */*\r\nX-Long: " + \
            b"y" * 100 + b"\r\n\r\n"
        for i in range(len(data)):
            conn.send(data[i:i + 1])
        response = conn.read_response()
        self.assertEqual(response.status, 200)
        self.assertEqual(response.body, b"{}")
        conn.close()

    def test_keep_alive_many_requests(self):
        conn = Connection(self.berth.port)
        for _ in range(200):
            conn.send(GET_V2)
            self.assertEqual(conn.read_response().status, 200)
        conn.close()

    def test_connection_close_is_honoured(self):
        conn = Connection(self.berth.port)
        conn.send(b"GET /v2/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        response = conn.read_response()
        self.assertEqual(response.header("Connection"), "close")
        self.assertTrue(conn.closed_by_server())

    def test_http10_without_keep_alive_closes(self):
        conn = Connection(self.berth.port)
        conn.send(b"GET /v2/ HTTP/1.0\r\n\r\n")
        self.assertEqual(conn.read_response().status, 200)
        self.assertTrue(conn.closed_by_server())

    def test_oversized_header_block_is_431(self):
        conn = Connection(self.berth.port)
        conn.send(b"GET /v2/ HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 17000 + b"\r\n\r\n")
        response = conn.read_response()
        self.assertEqual(response.status, 431)
        self.assertEqual(json.loads(response.body)["errors"][0]["code"], "UNSUPPORTED")
        self.assertTrue(conn.closed_by_server())

    def test_many_small_headers_over_the_limit_is_431(self):
        conn = Connection(self.berth.port)
        headers = b"".join(b"X-H%d: %s\r\n" % (i, b"v" * 150) for i in range(120))
        conn.send(b"GET /v2/ HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n")
        self.assertEqual(conn.read_response().status, 431)

    def test_header_block_just_under_the_limit_is_accepted(self):
        response = request(self.berth.port, "GET", "/v2/", {"X-Big": "a" * 15000})
        self.assertEqual(response.status, 200)

    def test_long_url_is_414(self):
        conn = Connection(self.berth.port)
        conn.send(b"GET /v2/" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        response = conn.read_response()
        self.assertEqual(response.status, 414)
        self.assertTrue(conn.closed_by_server())

    def test_url_just_under_the_limit_is_routed(self):
        response = request(self.berth.port, "GET", "/" + "a" * 8000)
        self.assertEqual(response.status, 404)

    def test_bad_request_lines_are_400_then_close(self):
        for line in (b"GARBAGE\r\n\r\n", b"GET /v2/ HTTP/9.9\r\n\r\n", b"GET\r\n\r\n",
                     b"GET /v2/ HTTP/1.1\r\nBad Header\r\n\r\n",
                     b"\x00\x01\x02 / HTTP/1.1\r\n\r\n"):
            conn = Connection(self.berth.port)
            conn.send(line)
            response = conn.read_response()
            self.assertEqual(response.status, 400, line)
            self.assertEqual(response.header("Connection"), "close")
            self.assertTrue(conn.closed_by_server(), line)

    def test_conflicting_content_length_and_transfer_encoding(self):
        conn = Connection(self.berth.port)
        conn.send(b"POST /v2/ HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                  b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
        self.assertEqual(conn.read_response().status, 400)
        self.assertTrue(conn.closed_by_server())

    def test_two_different_content_lengths(self):
        conn = Connection(self.berth.port)
        conn.send(b"POST /v2/ HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                  b"Content-Length: 6\r\n\r\nhello!")
        self.assertEqual(conn.read_response().status, 400)

    def test_unread_small_body_is_skipped_and_connection_kept(self):
        conn = Connection(self.berth.port)
        conn.send(b"POST /nope HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789" +
                  GET_V2)
        self.assertEqual(conn.read_response().status, 404)
        self.assertEqual(conn.read_response().status, 200)
        conn.close()

    def test_unread_chunked_body_closes_after_response(self):
        conn = Connection(self.berth.port)
        conn.send(b"POST /nope HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                  b"5\r\nhello\r\n0\r\n\r\n")
        response = conn.read_response()
        self.assertEqual(response.status, 404)
        self.assertEqual(response.header("Connection"), "close")

    def test_expect_continue_refused_without_100(self):
        conn = Connection(self.berth.port)
        conn.send(b"PUT /nope HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n"
                  b"Expect: 100-continue\r\n\r\n")
        response = conn.read_response()
        self.assertEqual(response.status, 404)
        self.assertEqual(response.header("Connection"), "close")

    def test_unknown_expectation_is_417(self):
        response = request(self.berth.port, "GET", "/v2/", {"Expect": "teapot"})
        self.assertEqual(response.status, 417)

    def test_request_log_line(self):
        request(self.berth.port, "GET", "/v2/?probe=logline",
                {"Authorization": "Basic c2VjcmV0dXNlcjpzZWNyZXRwYXNz"})
        time.sleep(0.2)
        lines = [l for l in self.berth.log_lines() if l.get("path") == "/v2/?probe=logline"]
        self.assertEqual(len(lines), 1)
        line = lines[0]
        for key in ("time", "method", "path", "status", "bytes", "duration_us", "user",
                    "client"):
            self.assertIn(key, line)
        self.assertEqual(line["method"], "GET")
        self.assertEqual(line["status"], 200)
        self.assertEqual(line["client"], "127.0.0.1")
        self.assertNotIn("c2VjcmV0", self.berth.log_text())


class Timeouts(unittest.TestCase):
    def test_client_that_stops_mid_headers_is_closed(self):
        with Berth(config=FAST_TIMEOUTS) as berth:
            conn = Connection(berth.port)
            conn.send(b"GET /v2/ HTTP/1.1\r\nHost: x\r\n")
            started = time.monotonic()
            self.assertTrue(conn.closed_by_server(timeout=10))
            self.assertLess(time.monotonic() - started, 5)

    def test_idle_keep_alive_connection_is_closed(self):
        with Berth(config=FAST_TIMEOUTS) as berth:
            conn = Connection(berth.port)
            conn.send(GET_V2)
            self.assertEqual(conn.read_response().status, 200)
            self.assertTrue(conn.closed_by_server(timeout=10))

    def test_slow_but_moving_head_is_not_cut_by_idle_timeout(self):
        with Berth(config={"berth": {"headerTimeout": "5s", "idleTimeout": "1s"}}) as berth:
            conn = Connection(berth.port)
            for piece in (b"GET /v2/ HTT", b"P/1.1\r\nHo", b"st: x\r\n\r\n"):
                conn.send(piece)
                time.sleep(0.6)
            self.assertEqual(conn.read_response().status, 200)


class Shutdown(unittest.TestCase):
    def test_sigterm_finishes_request_in_flight_and_exits_zero(self):
        with Berth(config=FAST_TIMEOUTS) as berth:
            busy = Connection(berth.port)
            busy.send(b"GET /v2/ HTTP/1.1\r\nHost: x\r\n")
            idle = Connection(berth.port)
            idle.send(GET_V2)
            self.assertEqual(idle.read_response().status, 200)
            time.sleep(0.1)
            berth.proc.send_signal(signal.SIGTERM)
            time.sleep(0.2)
            self.assertTrue(idle.closed_by_server(timeout=2))
            busy.send(b"\r\n")
            response = busy.read_response()
            self.assertEqual(response.status, 200)
            self.assertEqual(response.header("Connection"), "close")
            self.assertEqual(berth.proc.wait(10), 0)
            with self.assertRaises(OSError):
                Connection(berth.port, timeout=1)

    def test_drain_deadline_closes_stuck_requests(self):
        with Berth(config={"berth": {"drainTimeout": "1s", "headerTimeout": "60s"}}) as berth:
            stuck = Connection(berth.port)
            stuck.send(b"GET /v2/ HTTP/1.1\r\n")
            time.sleep(0.1)
            started = time.monotonic()
            berth.proc.send_signal(signal.SIGTERM)
            self.assertEqual(berth.proc.wait(10), 0)
            self.assertLess(time.monotonic() - started, 5)
            self.assertTrue(stuck.closed_by_server(timeout=2))


if __name__ == "__main__":
    unittest.main(verbosity=2)
