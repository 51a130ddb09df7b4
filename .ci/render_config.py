"""Write a copy of _config.yml that renders the stored notebook outputs instead of executing.

`make test` uses it: nbval has just shown that the stored outputs equal a fresh run, so the
test build renders them (Sphinx warnings still errors) rather than executing every chapter a
second time. `make book` keeps executing every chapter with the real _config.yml.

    python .ci/render_config.py _config.yml _build/_config.render.yml
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml


def main(source: str, target: str) -> None:
    root = Path(source).resolve().parent
    config = yaml.safe_load(Path(source).read_text())
    config.setdefault("execute", {})["execute_notebooks"] = "off"
    # relative paths in the config are read relative to the config file: anchor them at the source
    extensions = config.get("sphinx", {}).get("local_extensions") or {}
    for name, path in extensions.items():
        extensions[name] = str(root / path)
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    Path(target).write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True))


if __name__ == "__main__":
    main(*sys.argv[1:3])
