#!/usr/bin/env python3
"""Container healthcheck: healthy only when the service's ``/_sim/health`` answers 200.

The slim image has no curl, so this is stdlib Python. A 503 body says which component is not ready
and why (e.g. the database is unreachable): it is printed, and ``docker inspect`` keeps it.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request


def main() -> int:
    port = os.environ.get("SOCLE_PORT", "8080")
    url = f"http://127.0.0.1:{port}/_sim/health"
    try:
        with urllib.request.urlopen(url, timeout=4) as response:
            print(response.read(2000).decode(errors="replace"))
            return 0
    except urllib.error.HTTPError as exc:
        print(f"{url}: {exc.code} {exc.read(2000).decode(errors='replace')}")
    except OSError as exc:
        print(f"{url}: {exc}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
