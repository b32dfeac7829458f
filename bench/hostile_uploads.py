"""Hostile uploads: how long and how much memory each reader takes on crafted files.

Each file goes through what an upload runs before embedding (parse, then split into chunks)
in a fresh child process, so its CPU time and peak memory are its own. Three runs, stored in
bench/results/hostile_uploads.json and put side by side in the Markdown table:

    python -m bench.hostile_uploads --label before --direct    # at the older commit
    python -m bench.hostile_uploads --label after --direct     # the readers now, same method
    python -m bench.hostile_uploads --label budgeted           # the path /docs upload takes
    python -m bench.hostile_uploads --only csv_100k_columns --label after --direct

`--direct` calls parse_document_sync + split_document in the child. Without it the child calls
bot.documents.budget.parse_and_split: a parsing worker (forked from a server process that has
the readers loaded), held to the docs plugin's default budget (30 s of CPU, 512 MB); its wall
time includes starting that server and the worker once.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import random
import resource
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.documents.hostile import docx_package as _docx
from tests.documents.hostile import pdf_file as _pdf

RESULTS = Path(__file__).parent / "results"
WALL_LIMIT = 240.0  # a child still running after this is killed and reported as such


# ----- the files ------------------------------------------------------------------------


def csv_100k_columns() -> tuple[str, bytes]:
    """The reported file: 889 KB, a header and one row of 100,000 columns."""
    header = ",".join(f"c{i}" for i in range(100_000))
    row = ",".join(str(i % 10) for i in range(100_000))
    return "wide.csv", (header + "\n" + row + "\n").encode()[: 889 * 1024]


def csv_duplicate_header() -> tuple[str, bytes]:
    """100,000 columns with the same name (every name is renumbered)."""
    header = ",".join("x" for _ in range(100_000))
    row = ",".join("1" for _ in range(100_000))
    return "same.csv", f"{header}\n{row}\n".encode()


def csv_huge_field() -> tuple[str, bytes]:
    """One quoted value of 8 MB without a line break."""
    return "field.csv", b'a,b\n"' + b"x" * 8_000_000 + b'",1\n'


def csv_open_quotes() -> tuple[str, bytes]:
    """`"` + newline, 200,000 times: a quote that never closes."""
    return "quotes.csv", b'a,b\n' + b'"\n' * 200_000


def csv_many_rows() -> tuple[str, bytes]:
    """300,000 short rows of 4 columns (a big but honest table)."""
    lines = ["id,name,city,score"] + [f"{i},n{i},c{i % 97},{i % 13}" for i in range(300_000)]
    return "rows.csv", "\n".join(lines).encode()


def html_nested_divs() -> tuple[str, bytes]:
    """The reported file: 2.2 MB, 200,000 nested <div>s around one word."""
    return "nested.html", b"<div>" * 200_000 + b"deep" + b"</div>" * 200_000


def html_unclosed_tags() -> tuple[str, bytes]:
    """400,000 <b> tags that are never closed, each with a word."""
    return "unclosed.html", b"<html><body>" + b"<b>w " * 400_000


def html_flat_siblings() -> tuple[str, bytes]:
    """500,000 sibling paragraphs."""
    return "flat.html", b"<html><body>" + b"<p>a</p>" * 500_000 + b"</body></html>"


def html_huge_attribute() -> tuple[str, bytes]:
    """An attribute of 8 MB and a little text."""
    return "attr.html", b'<p title="' + b"a" * 8_000_000 + b'">text</p>'


def txt_long_line() -> tuple[str, bytes]:
    """8 MB on one line without a single space (the splitter's worst case)."""
    return "line.txt", b"x" * 8_000_000


def txt_no_spaces() -> tuple[str, bytes]:
    """1.9 million Turkish letters without a space or line break (one unbroken run)."""
    return "ğ.txt", ("ğ" * 1_900_000).encode()


def txt_invalid_encoding() -> tuple[str, bytes]:
    """4 MB of random bytes named .txt."""
    return "noise.txt", random.Random(17).randbytes(4_000_000)


def markdown_deep_quotes() -> tuple[str, bytes]:
    """100,000 nested block quotes, then 100,000 list levels."""
    return "deep.md", b">" * 100_000 + b" a\n" + b"  " * 100_000 + b"- b\n"


def docx_many_paragraphs() -> tuple[str, bytes]:
    """A DOCX of 200,000 one-word paragraphs, written by hand (zip + XML)."""
    body = "".join(f"<w:p><w:r><w:t>w{i}</w:t></w:r></w:p>" for i in range(200_000))
    return "paras.docx", _docx(body)


def docx_deep_nesting() -> tuple[str, bytes]:
    """A DOCX whose body nests 100,000 content controls."""
    body = "<w:sdt><w:sdtContent>" * 100_000 + "<w:p><w:r><w:t>x</w:t></w:r></w:p>"
    body += "</w:sdtContent></w:sdt>" * 100_000
    return "deep.docx", _docx(body)


def pdf_many_operators() -> tuple[str, bytes]:
    """A one-page PDF whose content stream shows 300,000 words, one operator each."""
    ops = "BT /F1 10 Tf 40 760 Td " + "(w) Tj " * 300_000 + "ET"
    return "ops.pdf", _pdf([ops])


def pdf_deep_array() -> tuple[str, bytes]:
    """A PDF whose page dictionary holds an array nested 50,000 deep."""
    nested = "[" * 50_000 + "]" * 50_000
    return "array.pdf", _pdf(["BT /F1 10 Tf 40 760 Td (hi) Tj ET"], extra=nested)


HOSTILE: dict[str, Callable[[], tuple[str, bytes]]] = {
    f.__name__: f
    for f in (
        csv_100k_columns,
        csv_duplicate_header,
        csv_huge_field,
        csv_open_quotes,
        csv_many_rows,
        html_nested_divs,
        html_unclosed_tags,
        html_flat_siblings,
        html_huge_attribute,
        txt_long_line,
        txt_no_spaces,
        txt_invalid_encoding,
        markdown_deep_quotes,
        docx_many_paragraphs,
        docx_deep_nesting,
        pdf_many_operators,
        pdf_deep_array,
    )
}

# ----- measuring ------------------------------------------------------------------------


def _child(name: str, direct: bool, conn: Any) -> None:
    filename, data = HOSTILE[name]()
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started_cpu = time.process_time()
    started = time.perf_counter()
    child_peak_mb = 0.0
    try:
        if direct:
            from bot.documents import parse_document_sync, split_document

            chunks = split_document(parse_document_sync(data, filename))
        else:
            import asyncio

            from bot.documents.budget import UploadBudget, parse_and_split

            budget = UploadBudget(cpu_seconds=30, memory_mb=512)  # the docs plugin's defaults
            prepared = asyncio.run(parse_and_split(data, filename, budget=budget))
            chunks, child_peak_mb = prepared.chunks, prepared.peak_mb
        outcome = f"accepted: {len(chunks):,} chunks"
    except Exception as exc:  # the outcome is what we measure
        message = getattr(exc, "user_message", None)
        outcome = f"refused: {message}" if message else f"crashed: {exc!r}"[:200]
    # The budgeted path parses in its own child: count that process's time and memory too.
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    own_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    conn.send(
        {
            "size": len(data),
            "seconds": round(time.perf_counter() - started, 2),
            "cpu_seconds": round(
                time.process_time() - started_cpu + children.ru_utime + children.ru_stime, 2
            ),
            # Direct: growth of this process. Budgeted: the parsing process's own peak
            # resident set (it is the forkserver's child, not ours: getrusage can't see it).
            "peak_mb": round(max((own_peak - base_rss) / 1024, child_peak_mb), 1),
            "outcome": outcome,
        }
    )


def measure(name: str, direct: bool) -> dict[str, Any]:
    context = mp.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(name, direct, sender))
    started = time.perf_counter()
    process.start()
    sender.close()
    if receiver.poll(WALL_LIMIT):
        try:
            result: dict[str, Any] = receiver.recv()
        except EOFError:
            result = {"outcome": "crashed: the process died"}
    else:
        process.kill()
        size = len(HOSTILE[name]()[1])
        result = {
            "size": size,
            "seconds": round(time.perf_counter() - started, 1),
            "outcome": f"still running after {WALL_LIMIT:.0f} s: killed",
        }
    process.join()
    return result


def _markdown(results: dict[str, Any]) -> str:
    runs = results["runs"]
    lines = [
        "# Hostile uploads: time and memory per reader",
        "",
        f"{results['machine']}. Each file runs in a fresh child process: parse, then split into "
        "chunks (everything an upload does before embedding). **before**: the readers at commit "
        "2eea4bf; **after**: the readers now, measured the same way (CPU seconds of the child, "
        "and its resident set's growth, imports of the readers included); **budgeted**: the "
        "path `/docs upload` takes now, a budgeted parsing worker (bot/documents/budget.py: "
        "a long-lived worker process, a CPU clock and memory limit per file) held to the docs "
        "plugin's default budget (30 s of CPU, 512 MB): wall seconds (including starting the "
        "process server and the worker once, on 2 shared cores) and the worker's peak "
        "resident set (when accepted). A file past its budget stops with one sentence and "
        "nothing stored (tests/documents/test_hostile.py, tests/documents/test_budget_many.py, "
        "tests/docs/test_upload_budget.py).",
        "",
        "Regenerate: see `python -m bench.hostile_uploads --help` and the module docstring.",
        "",
        "| file | size | before CPU s | before peak MB | after CPU s | after peak MB "
        "| budgeted wall s | budgeted peak MB | outcome before | outcome now |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name in HOSTILE:
        doc = (HOSTILE[name].__doc__ or "").strip()
        before = runs.get("before", {}).get(name, {})
        after = runs.get("after", {}).get(name, {})
        budgeted = runs.get("budgeted", {}).get(name, {})
        size = after.get("size") or before.get("size") or 0
        peak = budgeted.get("peak_mb") if str(budgeted.get("outcome", "")).startswith("acc") else ""
        cells = [
            f"`{name}`: {doc}",
            f"{size / 1024:,.0f} KB",
            str(before.get("cpu_seconds", "")),
            str(before.get("peak_mb", "")),
            str(after.get("cpu_seconds", "")),
            str(after.get("peak_mb", "")),
            str(budgeted.get("seconds", "")),
            str(peak or ""),
            str(before.get("outcome", "not run")),
            str(budgeted.get("outcome", after.get("outcome", "not run"))),
        ]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--label", choices=("before", "after", "budgeted"), default="budgeted")
    parser.add_argument("--direct", action="store_true", help="the plain parser, no budget")
    parser.add_argument("--only", nargs="*", default=None, help="these files only")
    args = parser.parse_args()
    path = RESULTS / "hostile_uploads.json"
    results: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {"runs": {}}
    results["machine"] = (
        f"{platform.machine()}, {os.cpu_count()} cores shared with other jobs, "
        f"Python {platform.python_version()}, {datetime.now(UTC):%Y-%m-%d}"
    )
    run = results["runs"].setdefault(args.label, {})
    for name in args.only or list(HOSTILE):
        run[name] = measure(name, args.direct)
        print(name, run[name], flush=True)
        path.write_text(json.dumps(results, indent=1) + "\n")
    (RESULTS / "hostile_uploads.md").write_text(_markdown(results))


if __name__ == "__main__":
    main()
