#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A tiny stand-in for memranged: a varlink server on a unix socket that
answers every call from a file of canned replies, so that memrangectl's
online mode and its error messages are tested without the real daemon.

    fake-memranged.py --socket PATH --replies FILE [--replies FILE...] [--log FILE]

FILE is a JSON object keyed by fully qualified method name (a later FILE
replaces the answers of the methods it names; other keys are ignored). Each value
says how to answer that method:

    {"parameters": {...}}                 one reply
    {"error": "NAME", "parameters": {...}} one error reply
    {"stream": [{...}, ...], "end": E}    replies with "continues": true;
                                          E is "close" (drop the connection
                                          after the stream), "wait" (keep it
                                          open until the client leaves) or
                                          "final" (the last one ends it)
    {"raw": "TEXT"}                       TEXT then a NUL: not varlink
    {"hang": true}                        never answer
    {"close": true}                       close without answering

A method missing from FILE gets org.varlink.service.MethodNotFound. Every
call received is appended to the --log file as one JSON line. The server
runs until SIGTERM or SIGINT. PATH appears only once the server listens
(bound under another name, then renamed), so waiting for it to exist is
waiting for readiness. Standard library only.
"""

import argparse
import json
import os
import signal
import socket
import socketserver
import sys
import threading


def send_message(conn, message):
    conn.sendall(json.dumps(message).encode() + b"\0")


class Handler(socketserver.BaseRequestHandler):
    def read_messages(self):
        """Yields each NUL-terminated message until the client closes."""
        buf = b""
        while True:
            while b"\0" in buf:
                text, buf = buf.split(b"\0", 1)
                yield text
            chunk = self.request.recv(65536)
            if not chunk:
                return
            buf += chunk

    def handle(self):
        for text in self.read_messages():
            call = json.loads(text)
            self.server.log_call(call)
            if not self.answer(call):
                return

    def wait_for_close(self):
        while self.request.recv(65536):
            pass

    def answer(self, call):
        """Answers one call; False when the connection must end."""
        spec = self.server.replies.get(call.get("method"))
        conn = self.request
        if spec is None:
            send_message(conn, {"error": "org.varlink.service.MethodNotFound",
                                "parameters": {"method": call.get("method")}})
            return True
        if spec.get("hang"):
            self.wait_for_close()
            return False
        if spec.get("close"):
            return False
        if "raw" in spec:
            conn.sendall(spec["raw"].encode() + b"\0")
            return True
        if "stream" in spec:
            return self.answer_stream(spec)
        reply = {"parameters": spec.get("parameters", {})}
        if "error" in spec:
            reply["error"] = spec["error"]
        send_message(conn, reply)
        return True

    def answer_stream(self, spec):
        items = spec["stream"]
        end = spec.get("end", "final")
        for i, params in enumerate(items):
            last = end == "final" and i == len(items) - 1
            message = {"parameters": params}
            if not last:
                message["continues"] = True
            send_message(self.request, message)
        if end == "wait":
            self.wait_for_close()
        return end == "final"


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def __init__(self, path, replies, log_path):
        self.replies = replies
        self.log_path = log_path
        self.lock = threading.Lock()
        super().__init__(path, Handler)

    def log_call(self, call):
        if not self.log_path:
            return
        with self.lock, open(self.log_path, "a", encoding="utf-8") as f:
            f.write(json.dumps(call, sort_keys=True) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--socket", required=True)
    parser.add_argument("--replies", required=True, action="append")
    parser.add_argument("--log")
    args = parser.parse_args()

    replies = {}
    for path in args.replies:
        with open(path, encoding="utf-8") as f:
            replies.update(json.load(f))

    # A stop asked for during start-up waits until the socket can be
    # removed again: SIGTERM's default action would leave it behind, and
    # the next fake could not bind there.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
    # Bound under a temporary name and renamed once listening (as memranged
    # does), so that a client seeing the path is never refused.
    bound = f"{args.socket}.{os.getpid()}.tmp"
    server = Server(bound, replies, args.log)
    os.rename(bound, args.socket)

    def stop(signum, frame):
        # shutdown() waits for serve_forever(), which runs in this thread.
        threading.Thread(target=server.shutdown).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    # Polling often makes a stop take milliseconds: the tests start and
    # stop many fakes.
    server.serve_forever(poll_interval=0.05)
    server.server_close()
    os.unlink(args.socket)
    return 0


if __name__ == "__main__":
    sys.exit(main())
