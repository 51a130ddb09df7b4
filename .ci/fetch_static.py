"""Fetch the site's third-party JavaScript into book/_static/vendor/ (run by `make install`).

The website must work with no network (a classroom, a train), so the math renderer (MathJax 3)
and the widget renderer (require.js + @jupyter-widgets/html-manager, which draws the stored
ipywidgets state of the `explore` figures) are served from the site's own `_static/vendor/`
instead of a CDN. They are not committed (about 10 MB of minified code and fonts): this script
downloads each pinned npm tarball once, checks its SHA-256 against the value below, and copies
out the files the site loads. Nothing is downloaded at build or test time; the browser test
(`make browser`) fails if a page still asks for anything off the site.

To update a package: change its version and URL, run `python3 .ci/fetch_static.py --print-sha`
and paste the printed hash. Licences: book/_static/vendor/LICENSES.md (committed).
Standard library only, so it runs before the virtual environment exists.
"""

from __future__ import annotations

import fnmatch
import hashlib
import io
import json
import shutil
import sys
import tarfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "book" / "_static" / "vendor"
STAMP = VENDOR / ".fetched.json"

# name -> (npm tarball, sha256 of the tarball, {glob inside package/: destination under vendor/<name>/})
PACKAGES = {
    "mathjax": (
        "https://registry.npmjs.org/mathjax/-/mathjax-3.2.2.tgz",
        "1b9c0a1c44df864e915690558e72adb9cc5203360daefd385084ced3b6c64c09",
        # The combined component Sphinx loads, its fonts, and what it loads on demand
        # (TeX extensions via autoload, the menu, accessibility). Not the speech engine (sre).
        {"LICENSE": "", "es5/tex-mml-chtml.js": "", "es5/output/chtml/fonts/woff-v2/*": "output/chtml/fonts/woff-v2/",
         "es5/input/tex/extensions/*": "input/tex/extensions/", "es5/ui/*": "ui/", "es5/a11y/*": "a11y/"},
    ),
    "requirejs": (
        "https://registry.npmjs.org/requirejs/-/requirejs-2.3.7.tgz",
        "31f3330c978fb28684622fe71165dc946432cf0210b2ea8a1ca0233e70f2737d",
        {"require.js": ""},
    ),
    # 1.0.15 is the html-manager released with ipywidgets 8.1.9 (controls ^5.0.13, base ^6.0.12).
    "html-manager": (
        "https://registry.npmjs.org/@jupyter-widgets/html-manager/-/html-manager-1.0.15.tgz",
        "2b9d65cb7913e1c7d671757a10008b32c9c2448d4429513371e55c07d6107638",
        # embed-amd.js finds its fonts (Font Awesome) next to itself.
        {"dist/embed-amd.js": "", "dist/embed.js.LICENSE.txt": "", "dist/*.woff2": "", "dist/*.woff": "",
         "dist/*.ttf": "", "dist/*.eot": "", "dist/*.svg": ""},
    ),
}


def download(url: str, sha256: str | None) -> bytes:
    with urllib.request.urlopen(url, timeout=120) as response:
        data = response.read()
    digest = hashlib.sha256(data).hexdigest()
    if sha256 is not None and digest != sha256:
        raise SystemExit(f"{url}: SHA-256 {digest} does not match the pinned {sha256}; not installing it")
    return data


def extract(name: str, data: bytes, rules: dict[str, str]) -> int:
    target = VENDOR / name
    shutil.rmtree(target, ignore_errors=True)
    count = 0
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for member in tar.getmembers():
            if not member.isfile() or not member.name.startswith("package/"):
                continue
            inner = member.name[len("package/"):]
            for pattern, dest in rules.items():
                # One folder level only ("dir/*" does not match "dir/sub/x"): the folders are flat.
                if fnmatch.fnmatch(inner, pattern) and Path(inner).parent == Path(pattern).parent:
                    out = target / dest / Path(inner).name
                    out.parent.mkdir(parents=True, exist_ok=True)
                    out.write_bytes(tar.extractfile(member).read())  # type: ignore[union-attr]
                    count += 1
                    break
    missing = [p for p in rules if "*" not in p and not (target / rules[p] / Path(p).name).exists()]
    if missing:
        raise SystemExit(f"{name}: the tarball lacks {missing}")
    return count


def pins() -> dict[str, list[str]]:
    return {name: [url, sha] for name, (url, sha, _rules) in PACKAGES.items()}


def main(argv: list[str]) -> int:
    if "--print-sha" in argv:
        for name, (url, _sha, _rules) in PACKAGES.items():
            print(name, hashlib.sha256(download(url, None)).hexdigest())
        return 0
    if STAMP.exists() and json.loads(STAMP.read_text()) == pins() and "--force" not in argv:
        print("book/_static/vendor: up to date")
        return 0
    for name, (url, sha, rules) in PACKAGES.items():
        count = extract(name, download(url, sha), rules)
        print(f"book/_static/vendor/{name}: {count} files from {url.rsplit('/', 1)[1]} (sha256 ok)")
    STAMP.write_text(json.dumps(pins(), indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
