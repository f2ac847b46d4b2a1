#!/usr/bin/env python3
"""Copy one add-on tree out of an unpacked package and pack it as a deterministic zip.

Used by bench/fetch-data. Debian's webext packages replace bundled libraries with symlinks into
other Debian packages; those are resolved inside the unpacked package (absolute targets are read
relative to the package root, as they would be once installed). Links that resolve to a file or
folder shipped in the same package are followed; the others are listed in a text file next to
the zip and left out, so the zip holds only what this package really ships.

The zip is deterministic (sorted names, fixed timestamps, 0644/0755 modes, files only), so two runs
give byte-identical archives and benchmark figures are comparable across machines.

usage: pack_tree.py PACKAGE_ROOT SOURCE_DIR TREE_OUT ZIP_OUT OUTSIDE_LINKS_OUT
"""

import os
import posixpath
import shutil
import sys
import zipfile

MAX_LINK_HOPS = 40
FIXED_TIME = (1980, 1, 1, 0, 0, 0)


class Outside(Exception):
    """A symlink whose target is not shipped inside the package."""


def resolve_in_root(root, rel):
    """Resolve root-relative path `rel` (POSIX, no leading slash) following symlinks as if
    `root` were `/`. Returns the resolved root-relative path or raises Outside."""
    parts = [p for p in rel.split("/") if p not in ("", ".")]
    done = []
    hops = 0
    while parts:
        part = parts.pop(0)
        if part == "..":
            if not done:
                raise Outside("climbs above the package root")
            done.pop()
            continue
        candidate = os.path.join(root, *done, part)
        if os.path.islink(candidate):
            hops += 1
            if hops > MAX_LINK_HOPS:
                raise Outside("too many levels of symlinks")
            target = os.readlink(candidate)
            if target.startswith("/"):
                done = []
            parts = [p for p in target.split("/") if p not in ("", ".")] + parts
            continue
        if not os.path.lexists(candidate):
            raise Outside("target is not in this package")
        done.append(part)
    return "/".join(done)


def collect(root, source_rel):
    """Yield (path inside the tree, real root-relative file path) and outside-link records."""
    files = []
    outside = []
    visiting = set()

    def walk(dir_real_rel, tree_prefix):
        if dir_real_rel in visiting:
            outside.append((tree_prefix.rstrip("/"), "(symlink loop)", "loop"))
            return
        visiting.add(dir_real_rel)
        for name in sorted(os.listdir(os.path.join(root, dir_real_rel))):
            tree_path = tree_prefix + name
            entry_rel = posixpath.join(dir_real_rel, name)
            full = os.path.join(root, entry_rel)
            if os.path.islink(full):
                target = os.readlink(full)
                try:
                    real = resolve_in_root(root, entry_rel)
                except Outside as why:
                    outside.append((tree_path, target, str(why)))
                    continue
                real_full = os.path.join(root, real)
                if os.path.isdir(real_full):
                    walk(real, tree_path + "/")
                elif os.path.isfile(real_full):
                    files.append((tree_path, real))
                else:
                    outside.append((tree_path, target, "not a regular file"))
            elif os.path.isdir(full):
                walk(entry_rel, tree_path + "/")
            elif os.path.isfile(full):
                files.append((tree_path, entry_rel))
            else:
                outside.append((tree_path, "", "special file"))
        visiting.discard(dir_real_rel)

    walk(source_rel, "")
    return files, outside


def main():
    if len(sys.argv) != 6:
        sys.exit(__doc__)
    root, source, tree_out, zip_out, outside_out = sys.argv[1:]
    root = os.path.realpath(root)
    source_rel = os.path.relpath(os.path.abspath(source), root)
    if source_rel.startswith(".."):
        sys.exit(f"pack_tree: {source} is not inside {root}")
    try:
        # The extension folder itself may be a symlink (Debian links the Firefox path to
        # usr/share/webext/); resolve it inside the package, not on this machine.
        source_rel = resolve_in_root(root, "" if source_rel == "." else source_rel)
    except Outside as why:
        sys.exit(f"pack_tree: {source} does not resolve inside the package: {why}")
    files, outside = collect(root, source_rel)
    files.sort()

    if os.path.exists(tree_out):
        shutil.rmtree(tree_out)
    os.makedirs(tree_out)
    tmp_zip = zip_out + ".part"
    with zipfile.ZipFile(tmp_zip, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for tree_path, real in files:
            src = os.path.join(root, real)
            dst = os.path.join(tree_out, tree_path)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copyfile(src, dst)
            # Only the executable bit is kept: it is part of what changes between releases
            # (git diff reports it), while owners and timestamps are not.
            mode = 0o755 if os.stat(src).st_mode & 0o111 else 0o644
            os.chmod(dst, mode)
            info = zipfile.ZipInfo(tree_path, date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = (0o100000 | mode) << 16
            with open(src, "rb") as f:
                zf.writestr(info, f.read(), compresslevel=9)
    os.replace(tmp_zip, zip_out)

    with open(outside_out, "w", encoding="utf-8") as f:
        f.write("# Symlinks left out of the zip: their targets are not shipped in this package.\n")
        f.write("# path in tree\tlink target\treason\n")
        for tree_path, target, why in outside:
            f.write(f"{tree_path}\t{target}\t{why}\n")
    print(f"{len(files)} files, {len(outside)} symlinks left out")


if __name__ == "__main__":
    main()
