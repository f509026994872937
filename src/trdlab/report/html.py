"""The report as one self-contained HTML page (figures as relative PNG links)."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Sequence

STYLE = """
body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:0.9em}td,th{border:1px solid #ccc;padding:4px 8px;vertical-align:top}
th{background:#f3f3f3}.pass{color:#176f2c;font-weight:bold}.fail{color:#b00020;font-weight:bold}
.pending{color:#777}.prediction{color:#7a4fb3;font-weight:bold}img{max-width:100%}code{background:#f6f6f6}
figure{margin:1em 0}figcaption{font-size:0.9em;color:#444;max-width:900px}
"""


@dataclass(frozen=True)
class Section:
    title: str
    html: str
    anchor: str = ""
    """The section's id for links (default ``s<position>``)."""


def table(header: Sequence[str], rows: Sequence[Sequence[str]], *, raw_columns: Sequence[int] = ()) -> str:
    """An HTML table; cells are escaped except in ``raw_columns``."""
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{c if i in raw_columns else escape(str(c))}</td>" for i, c in enumerate(row)) + "</tr>"
        for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def figure(src: str, alt: str, caption: str) -> str:
    """An image with its caption (what is simulated, what to compare it with)."""
    return (f"<figure><img src='{escape(src)}' alt='{escape(alt)}'>"
            f"<figcaption>{escape(caption)}</figcaption></figure>")


def verdict(status: str) -> str:
    return f'<span class="{escape(status)}">{escape(status)}</span>'


def page(title: str, intro: str, sections: Sequence[Section]) -> str:
    ids = [s.anchor or f"s{i}" for i, s in enumerate(sections)]
    toc = "".join(f'<li><a href="#{a}">{escape(s.title)}</a></li>' for a, s in zip(ids, sections))
    body = "".join(f'<h2 id="{a}">{escape(s.title)}</h2>{s.html}' for a, s in zip(ids, sections))
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(title)}</title>"
        f"<style>{STYLE}</style></head><body><h1>{escape(title)}</h1>{intro}<ul>{toc}</ul>{body}</body></html>"
    )
