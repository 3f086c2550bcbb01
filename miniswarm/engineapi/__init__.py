"""The Docker Engine API: each daemon's one door.

On a real machine the docker CLI is only a client of dockerd's HTTP API. Here too:
`router.py` takes a request (method, path, query, body) to a host's daemon and gives its
response (status, headers, JSON or a stream), `routes.py` says which handler answers
which path, and `streams.py` carries logs and exec. miniswarm's own CLI calls the router
in-process (`cli/client.py`); `server.py` puts the same router on a Unix socket per host
for the real `docker` binary and docker-py.
"""

from . import routes  # noqa: E402, F401  (its handlers register with the router)
