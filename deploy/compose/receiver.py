"""An example webhook receiver for the compose cluster: logs every delivery, answers 204.

Python's standard library only, so it runs in a stock python image. When
WEBHOOK_SECRET holds a tenant's `whsec_…` secret it also checks the Standard Webhooks
signature, to show what a real receiver must do before trusting a body.
"""

import base64
import hashlib
import hmac
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SECRET = os.environ.get("WEBHOOK_SECRET", "")
PORT = int(os.environ.get("PORT", "8000"))


def signature_valid(webhook_id: str, timestamp: str, body: bytes, header: str) -> bool:
    key = base64.b64decode(SECRET.removeprefix("whsec_"))
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    # The header may carry several space-separated signatures (key rotation).
    return any(
        hmac.compare_digest(part.removeprefix("v1,"), expected)
        for part in header.split()
        if part.startswith("v1,")
    )


class Receiver(BaseHTTPRequestHandler):
    def handle_any(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        webhook_id = self.headers.get("webhook-id", "")
        timestamp = self.headers.get("webhook-timestamp", "")
        signature = self.headers.get("webhook-signature", "")
        entry = {
            "method": self.command,
            "path": self.path,
            "webhook-id": webhook_id,
            "webhook-timestamp": timestamp,
            "webhook-signature": signature,
            "body": body.decode("utf-8", errors="replace"),
        }
        if SECRET:
            entry["signature_valid"] = signature_valid(webhook_id, timestamp, body, signature)
        print(json.dumps(entry), flush=True)
        # Answer before any work: the notifier counts a slow answer as a failure.
        self.send_response(204)
        self.end_headers()

    do_POST = do_PUT = do_GET = handle_any

    def log_message(self, format: str, *args: object) -> None:
        # One JSON line per request above is the log; the default access line would repeat it.
        pass


if __name__ == "__main__":
    print(f"webhook receiver listening on :{PORT}", file=sys.stderr, flush=True)
    ThreadingHTTPServer(("0.0.0.0", PORT), Receiver).serve_forever()
