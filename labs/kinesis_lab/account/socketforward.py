"""A loopback port in this process that carries every connection to a Unix socket.

Why: the trusted grader runs the mocked account in its own process, listening on a Unix socket
(``kinesis-lab endpoint --unix-socket PATH``), because a learner's jailed kernel has no network
— but it keeps its loopback interface. With ``KINESIS_LAB_ENDPOINT_SOCKET=PATH`` the lab
session (:func:`kinesis_lab.account.session.start_lab`, target "local") opens a port on
127.0.0.1 here and gives boto3 ``http://127.0.0.1:<port>``, so every client, waiter and the
clock control channel work as they do against ``make endpoint``, unchanged.

One forwarder per socket path per process (a re-run ``start_lab`` gets the same port, so the
session is the same); its threads are daemons and die with the kernel.
"""

from __future__ import annotations

import socket
import threading

CHUNK = 64 * 1024

_forwarders: dict[str, SocketForwarder] = {}
_lock = threading.Lock()


class SocketForwarder:
    """Listens on 127.0.0.1:<free port>; each connection is piped to a new one to ``path``."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, name="socket-forward", daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            threading.Thread(target=self._connect, args=(client,), daemon=True).start()

    def _connect(self, client: socket.socket) -> None:
        upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            upstream.connect(self.path)
        except OSError:
            client.close()  # the client sees a closed connection, as with a port nobody serves
            upstream.close()
            return
        threading.Thread(target=_pipe, args=(upstream, client), daemon=True).start()
        _pipe(client, upstream)

    def close(self) -> None:
        self._listener.close()


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    """Copy bytes one way until either side closes; then close both."""
    try:
        while True:
            data = source.recv(CHUNK)
            if not data:
                break
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for side in (source, sink):
            try:
                side.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            side.close()


def forwarded_url(path: str) -> str:
    """``http://127.0.0.1:<port>`` that reaches the endpoint listening on ``path``."""
    with _lock:
        if path not in _forwarders:
            _forwarders[path] = SocketForwarder(path)
        return _forwarders[path].url
