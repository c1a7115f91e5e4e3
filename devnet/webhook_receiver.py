"""An alert webhook receiver for the tests (loopback only): checks every POST's signature.

    python webhook_receiver.py --port 0 --secret-file FILE

prints `webhook_receiver listening on http://127.0.0.1:PORT` once ready.
  POST /hook        records the alert; 200 when the signature holds, 401 when not.
                    X-Signature must be hex HMAC-SHA256(secret, X-Timestamp + "." + body),
                    X-Timestamp within 300 s of now.
  POST /down/N      the next N deliveries to /hook answer 503 (the receiver is "down")
  GET  /received    JSON list of {"verified": bool, "body": <the alert JSON>} in arrival order
"""
import argparse
import hashlib
import hmac
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from lifeline import stop_with_parent

LOCK = threading.Lock()
RECEIVED = []
DOWN = [0]


def make_handler(secret):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def answer(self, status, payload):
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            if self.path == "/received":
                with LOCK:
                    self.answer(200, list(RECEIVED))
            else:
                self.answer(404, {"error": "not found"})

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if self.path.startswith("/down/"):
                with LOCK:
                    DOWN[0] = int(self.path.rsplit("/", 1)[1])
                return self.answer(200, {"down": DOWN[0]})
            if self.path != "/hook":
                return self.answer(404, {"error": "not found"})
            with LOCK:
                if DOWN[0] > 0:
                    DOWN[0] -= 1
                    return self.answer(503, {"error": "down"})
            timestamp = self.headers.get("X-Timestamp", "")
            signature = self.headers.get("X-Signature", "")
            expected = hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
            fresh = timestamp.isdigit() and abs(time.time() - int(timestamp)) <= 300
            verified = fresh and hmac.compare_digest(expected, signature)
            with LOCK:
                RECEIVED.append({"verified": verified, "body": json.loads(body)})
            self.answer(200 if verified else 401, {"verified": verified})

    return Handler


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--secret-file", required=True)
    args = parser.parse_args()
    with open(args.secret_file, "rb") as f:
        secret = f.read().strip()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(secret))
    stop_with_parent()
    print(f"webhook_receiver listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
