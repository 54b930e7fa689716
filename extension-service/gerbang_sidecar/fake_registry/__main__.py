"""``python -m gerbang_sidecar.fake_registry --host 127.0.0.1 --port 8090``"""

from __future__ import annotations

import argparse
import logging

from gerbang_sidecar.fake_registry.app import DEFAULT_HANG_SECONDS, create_fake_registry_app
from gerbang_sidecar.fake_registry.server import make_fake_registry_server


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m gerbang_sidecar.fake_registry",
                                     description="Serve the fake government registries.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--seed", default=None, help="seed JSON file (default: the packaged one)")
    parser.add_argument("--hang-seconds", type=float, default=DEFAULT_HANG_SECONDS,
                        help="how long a marked 'hang' id stalls its request")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    app = create_fake_registry_app(args.seed, hang_seconds=args.hang_seconds)
    server = make_fake_registry_server(app, args.host, args.port)
    logging.getLogger(__name__).info("fake registries on http://%s:%s", args.host, server.port)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
