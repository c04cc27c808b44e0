#!/usr/bin/env python3
"""Fails when a Catch2 test name would break ctest discovery (catch_discover_tests).

CatchAddTests.cmake splits the executable's test list on newlines into a CMake list: a ';' in a
name splits it into two tests that match nothing, and an unbalanced '[' or ']' makes CMake treat
every following name as part of one (both then "pass" without running). Commas are escaped by
the script and are fine.

    check_test_names.py TESTS_DIR
"""
import pathlib
import re
import sys

NAME = re.compile(r'\b(?:TEST_CASE|SCENARIO)\s*\(\s*"((?:[^"\\]|\\.)*)"')


def main() -> int:
    root = pathlib.Path(sys.argv[1])
    bad = []
    for path in sorted(root.rglob("*.cpp")):
        for match in NAME.finditer(path.read_text(encoding="utf-8")):
            name = match.group(1)
            if any(c in name for c in "[];"):
                bad.append(f"{path.relative_to(root)}: {name!r}")
    for line in bad:
        print(f"test name with '[', ']' or ';' (breaks ctest discovery): {line}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
