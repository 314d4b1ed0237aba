"""Write the committed SDL: `python -m schema.export` (rewrites schema/schema.graphql).

tests/schema/test_sdl.py fails when the file and the code differ; run this after changing a type.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

SDL_PATH = Path(__file__).resolve().parent / "schema.graphql"


def sdl() -> str:
    # Imported here: the schema reads settings, so Django must be set up first (see main).
    from schema.schema import schema

    return schema.as_str() + "\n"


def main() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else SDL_PATH
    path.write_text(sdl(), encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
