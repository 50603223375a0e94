"""Rules of the code base that a compiler does not check, checked on every test run.

- The loop never blocks: outside src/io/ (and src/main.cpp, which runs before the loop) no
  source calls read(, write(, open(, fsync(, stat(, sleep( and their kind; those go through
  the ring (berth/io/ops.h) or, before the loop starts, berth/io/startup.h.
- Layers include downwards only (docs/architecture.md).
- Lines are at most 100 columns; functions at most 70 lines, except the ones listed in
  FUNCTION_LENGTH_RATCHET, which may only shrink.
- Every C++ file is formatted by the repository's .clang-format.
"""

import os
import re
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

BLOCKING = ["read", "write", "pread", "pwrite", "readv", "writev", "open", "openat", "creat",
            "fsync", "fdatasync", "sync", "stat", "fstat", "lstat", "fstatat", "rename",
            "renameat", "unlink", "unlinkat", "mkdir", "link", "truncate", "ftruncate",
            "sleep", "usleep", "nanosleep", "getaddrinfo", "gethostbyname", "system", "popen",
            "fopen", "fread", "fwrite", "fgets", "fprintf", "printf", "puts", "recv", "send",
            "accept", "connect", "select", "poll", "epoll_wait"]
BLOCKING_TEXT = ["std::ifstream", "std::ofstream", "std::fstream", "std::this_thread::sleep",
                 "std::cout", "std::cerr", "std::thread"]
BARE_CALL = re.compile(r"(?<![\w:.>])(" + "|".join(BLOCKING) + r")\s*\(")
GLOBAL_CALL = re.compile(r"(?<!\w)::(" + "|".join(BLOCKING) + r")\s*\(")

# Who may include whom: a layer sees itself and the layers listed.
LAYERS = {
    "util": {"util"},
    "io": {"util", "io"},
    "http": {"util", "io", "http"},
    "config": {"util", "config"},
    "oci": {"util", "oci"},
    "storage": {"util", "io", "oci", "storage"},
    "auth": {"util", "io", "http", "config", "oci", "auth"},
    "registry": {"util", "io", "http", "config", "oci", "storage", "auth", "registry"},
    "ext": {"util", "io", "http", "config", "oci", "storage", "auth", "registry", "ext"},
    "server": {"util", "io", "http", "config", "oci", "storage", "auth", "registry", "ext",
               "server"},
}
INCLUDE = re.compile(r'#include\s*[<"]berth/(\w+)/')

LINE_COLUMNS_MAX = 100
FUNCTION_LINES_MAX = 70
# Functions longer than the limit when the rule came in: "path:function" → lines allowed.
FUNCTION_LENGTH_RATCHET = {}


def sources(*folders, extensions=(".cpp", ".h")):
    for folder in folders:
        for directory, _, names in os.walk(os.path.join(ROOT, folder)):
            for name in sorted(names):
                if name.endswith(extensions):
                    yield os.path.join(directory, name)


def strip_comments_and_strings(text):
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    text = re.sub(r'R"(\w*)\(.*?\)\1"', lambda m: '""' + "\n" * m.group(0).count("\n"), text,
                  flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    text = re.sub(r'"(\\.|[^"\\\n])*"', '""', text)
    text = re.sub(r"'(\\.|[^'\\\n])'", "''", text)
    return text


def layer_of(path):
    relative = os.path.relpath(path, ROOT).split(os.sep)
    if relative[0] in ("src", "include") and len(relative) > 2:
        return relative[2] if relative[0] == "include" else relative[1]
    return None


# A name after one of these is a call, not a declaration ("void write(" declares a method).
CALL_CONTEXT = {"return", "co_return", "co_await", "else", "do", "case", "throw"}


def is_declaration(line, start):
    before = line[:start].rstrip()
    word = re.search(r"([\w>*&]+)$", before)
    return word is not None and word.group(1) not in CALL_CONTEXT


def check_blocking(path, code, problems):
    relative = os.path.relpath(path, ROOT)
    if relative.startswith(("src/io/", "include/berth/io/")) or relative == "src/main.cpp":
        return
    for number, line in enumerate(code.splitlines(), 1):
        calls = [m for m in BARE_CALL.finditer(line) if not is_declaration(line, m.start())]
        for match in calls + list(GLOBAL_CALL.finditer(line)):
            problems.append(f"{relative}:{number}: blocking call {match.group(1)}( outside the "
                            "io layer; use the ring (berth/io/ops.h)")
        for text in BLOCKING_TEXT:
            if text in line:
                problems.append(f"{relative}:{number}: {text} outside the io layer")


def check_includes(path, text, problems):
    layer = layer_of(path)
    if layer not in LAYERS:
        return
    relative = os.path.relpath(path, ROOT)
    for number, line in enumerate(text.splitlines(), 1):
        match = INCLUDE.search(line)
        if match and match.group(1) not in LAYERS[layer]:
            problems.append(f"{relative}:{number}: layer {layer} includes berth/{match.group(1)}/"
                            " (layers include downwards only)")


def check_lines(path, text, problems):
    relative = os.path.relpath(path, ROOT)
    for number, line in enumerate(text.splitlines(), 1):
        if len(line) > LINE_COLUMNS_MAX:
            problems.append(f"{relative}:{number}: {len(line)} columns (at most "
                            f"{LINE_COLUMNS_MAX})")


FUNCTION_START = re.compile(r"^[A-Za-z_][\w:<>,*& ~\[\]]*\b([\w~]+(?:::[\w~]+)*)\s*\(")


def check_function_lengths(path, code, problems):
    """Functions are found by their shape: a signature at column 0 whose body opens at the end
    of a line and closes with a `}` at column 0."""
    relative = os.path.relpath(path, ROOT)
    lines = code.splitlines()
    index = 0
    while index < len(lines):
        match = FUNCTION_START.match(lines[index])
        keyword = lines[index].split(" ")[0]
        if not match or keyword in ("namespace", "struct", "class", "enum", "union", "extern",
                                    "using", "typedef", "static_assert", "template"):
            index += 1
            continue
        start = index
        while index < len(lines) and not lines[index].rstrip().endswith("{"):
            if lines[index].rstrip().endswith(";"):
                break
            index += 1
        if index >= len(lines) or not lines[index].rstrip().endswith("{"):
            index += 1
            continue
        end = index + 1
        while end < len(lines) and lines[end] != "}":
            end += 1
        length = end - start + 1
        key = f"{relative}:{match.group(1)}"
        allowed = FUNCTION_LENGTH_RATCHET.get(key, FUNCTION_LINES_MAX)
        if length > allowed:
            problems.append(f"{relative}:{start + 1}: function {match.group(1)} is {length} "
                            f"lines (at most {allowed})")
        index = end + 1


def check_format(files, problems):
    clang_format = shutil.which("clang-format")
    if clang_format is None:
        problems.append("clang-format is not installed (apt install clang-format)")
        return
    for path in files:
        result = subprocess.run([clang_format, "--dry-run", "-Werror", path],
                                capture_output=True, text=True)
        if result.returncode != 0:
            problems.append(f"{os.path.relpath(path, ROOT)}: not formatted (clang-format -i)")


# OpenSSL 3 calls that fetch an algorithm through the provider machinery, which links about
# 2 MB of libcrypto into berth and costs resident memory; the SHA*_CTX calls (storage/hasher)
# run the same code without it.
PROVIDER_FETCH = re.compile(r"\b(EVP_Digest\w*|EVP_MD_fetch|EVP_Q_digest|EVP_sha\w+|"
                            r"SHA(1|224|256|384|512))\s*\(")


def check_provider_fetch(path, code, problems):
    relative = os.path.relpath(path, ROOT)
    for number, line in enumerate(code.splitlines(), 1):
        for match in PROVIDER_FETCH.finditer(line):
            problems.append(f"{relative}:{number}: {match.group(1)}( links OpenSSL's providers; "
                            "use the SHA*_Init/Update/Final calls as storage/hasher.cpp does")


def main():
    problems = []
    code_files = list(sources("src", "include"))
    test_files = list(sources("tests/unit", "tests/fuzz", extensions=(".cpp",)))
    for path in code_files:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        code = strip_comments_and_strings(text)
        check_blocking(path, code, problems)
        check_provider_fetch(path, code, problems)
        check_includes(path, text, problems)
        check_lines(path, text, problems)
        check_function_lengths(path, code, problems)
    for path in test_files:
        with open(path, encoding="utf-8") as handle:
            check_lines(path, handle.read(), problems)
    check_format(code_files + test_files, problems)
    for problem in problems:
        print(problem)
    print(f"tidy: {len(problems)} problem(s) in {len(code_files) + len(test_files)} files")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
