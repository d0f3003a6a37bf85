"""Run the fake WeChat servers for development: ``python -m wechat_fake [--port 8701]``.

Keys are made on first start and kept in ``--state-dir`` (default ``var/wechat_fake``), next
to an ``env`` file with the settings the Django server needs to talk to this fake::

    set -a; . var/wechat_fake/env; set +a; python manage.py runserver

``manage.py rundemo`` starts the same fake by itself; this is for other setups.
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

from .dev import start_dev_wechat


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8701)
    parser.add_argument("--state-dir", type=Path, default=Path("var/wechat_fake"))
    parser.add_argument("--app-url", default="http://127.0.0.1:8000", help="Where the Django server listens.")
    parser.add_argument(
        "--key-mode",
        choices=["public_key", "certificate", "both"],
        default="public_key",
        help="Sign with the WeChat Pay public key, a platform certificate, or a certificate for a merchant "
        "configured with both (migrating).",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")

    dev = start_dev_wechat(args.state_dir, args.app_url, host=args.host, port=args.port, key_mode=args.key_mode)
    env_file = args.state_dir.resolve() / "env"
    print(f"fake WeChat (login + Pay v3) on {dev.base_url}; settings for Django in {env_file}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        dev.stop()


if __name__ == "__main__":
    main()
