#!/usr/bin/env python3
"""Prints "KEY FILE" for each source FILE given: a digest of everything
clang-tidy's verdict on that file depends on, so that scripts/lint.sh can skip
files whose verdict is cached.

The key covers the clang-tidy binary's version line, .clang-tidy, the extra
arguments, the file's compile command, its contents, and every header it
includes as the build last saw them (ninja's deps log, `ninja -t deps`):
project headers by content, system headers (/usr) by path, size and mtime, as
they change only when a package is upgraded. Paths inside the checkout count
relative to it, so another clone of the same commit gets the same keys.

    tidy-keys.py BUILD_DIR TIDY_VERSION EXTRA_ARGS FILE...
"""
import hashlib
import json
import os
import subprocess
import sys


def main():
    build_dir, tidy_version, extra_args, *files = sys.argv[1:]
    root = os.getcwd()
    with open(os.path.join(build_dir, "compile_commands.json"), encoding="utf-8") as f:
        commands = {os.path.realpath(e["file"]): e.get("command") or " ".join(e["arguments"])
                    for e in json.load(f)}
    deps_out = subprocess.run(["ninja", "-C", build_dir, "-t", "deps"], capture_output=True,
                              text=True, check=True).stdout
    # "obj: #deps N, deps mtime M (VALID)" then indented paths, one block per object.
    headers_of = {}
    current = None
    for line in deps_out.splitlines():
        if not line.strip():
            current = None
        elif not line.startswith(" "):
            current = []
            headers_of[line.split(":", 1)[0]] = current
        elif current is not None:
            current.append(line.strip())
    by_source = {}
    for obj, deps in headers_of.items():
        if deps:
            source = os.path.realpath(os.path.join(build_dir, deps[0]))
            by_source[source] = deps[1:]
    base = hashlib.sha256()
    base.update(tidy_version.encode())
    base.update(extra_args.encode())
    with open(".clang-tidy", "rb") as f:
        base.update(f.read())
    cache = {}

    def portable(path):
        # Another clone in another folder must find the same keys.
        return os.path.relpath(path, root) if path.startswith(root + os.sep) else path

    def digest_of(path):
        if path not in cache:
            h = hashlib.sha256(portable(path).encode())
            try:
                if path.startswith("/usr/"):
                    st = os.stat(path)
                    h.update(f"{st.st_size}:{st.st_mtime_ns}".encode())
                else:
                    with open(path, "rb") as f:
                        h.update(f.read())
            except OSError:
                h.update(b"missing")
            cache[path] = h.digest()
        return cache[path]

    for file in files:
        real = os.path.realpath(os.path.join(root, file))
        if real not in commands or real not in by_source:
            print(f"- {file}")  # never built yet: no cached verdict can apply
            continue
        h = base.copy()
        h.update(commands[real].replace(root, ".").encode())
        h.update(digest_of(real))
        for dep in by_source[real]:
            h.update(digest_of(os.path.realpath(os.path.join(build_dir, dep))))
        print(f"{h.hexdigest()} {file}")


if __name__ == "__main__":
    main()
