"""Figures, their targets, the printed table and the JSON record.

A Case is one row: one metric measured on each peer (a Cell each). A Cell keeps every sample; the
table shows the median with the min-max of the repeats. A Cell that failed shows `n/a` and the
reason as a footnote, and the rest of the run goes on.
"""

import statistics
from dataclasses import dataclass, field

PEERS = ("berth", "distribution", "nginx")


@dataclass
class Cell:
    samples: list = field(default_factory=list)
    details: list = field(default_factory=list)
    error: str = None

    def add(self, value, detail=None):
        self.samples.append(value)
        self.details.append(detail or {})

    def fail(self, reason):
        if self.error is None:
            self.error = reason

    @property
    def median(self):
        return statistics.median(self.samples) if self.samples and not self.error else None

    def to_json(self):
        return {"median": self.median, "min": min(self.samples, default=None),
                "max": max(self.samples, default=None), "samples": self.samples,
                "details": self.details, "error": self.error}


@dataclass
class Target:
    """What berth should reach: `op` ('>=' or '<='), `factor` times a reference, which is a peer of
    the same row, a named ceiling (the SHA-256 rate), or None for an absolute figure in the row's unit."""
    op: str
    factor: float
    ref: str = None

    def text(self, unit):
        if self.ref is None:
            return f"{self.op} {self.factor:g} {unit}"
        return f"{self.op} {self.factor:g}× {self.ref}"

    def threshold(self, case, ceilings):
        if self.ref is None:
            return self.factor
        cell = case.cells.get(self.ref) or ceilings.get(self.ref)
        return self.factor * cell.median if cell and cell.median is not None else None

    def met(self, value, threshold):
        return value >= threshold if self.op == ">=" else value <= threshold


@dataclass
class Case:
    key: str
    title: str
    unit: str
    target: Target = None
    cells: dict = field(default_factory=dict)

    def cell(self, peer):
        return self.cells.setdefault(peer, Cell())

    def ratio(self, peer):
        """berth / peer (of the medians), or None when either side has no figure."""
        mine, theirs = self.cells.get("berth"), self.cells.get(peer)
        if not mine or not theirs or mine.median is None or not theirs.median:
            return None
        return mine.median / theirs.median

    def to_json(self, ceilings):
        target = None
        if self.target:
            threshold = self.target.threshold(self, ceilings)
            berth = self.cells.get("berth")
            value = berth.median if berth else None
            target = {"text": self.target.text(self.unit), "threshold": threshold,
                      "met": None if value is None or threshold is None else self.target.met(value, threshold)}
        return {"key": self.key, "title": self.title, "unit": self.unit, "target": target,
                "ratios": {f"berth/{p}": self.ratio(p) for p in self.cells if p != "berth"},
                "cells": {peer: cell.to_json() for peer, cell in self.cells.items()}}


@dataclass
class ScenarioReport:
    name: str
    description: str
    peers: list
    cases: list = field(default_factory=list)
    ceilings: dict = field(default_factory=dict)
    ceiling_titles: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)

    def ceiling(self, name, title):
        """A figure berth is held against that is no server's (the SHA-256 rate of the server CPU)."""
        self.ceiling_titles[name] = title
        return self.ceilings.setdefault(name, Cell())

    def case(self, key, title, unit, target=None):
        case = Case(f"{self.name}.{key}", title, unit, target)
        self.cases.append(case)
        return case

    def to_json(self):
        return {"description": self.description, "peers": self.peers, "notes": self.notes,
                "ceilings": {name: {"title": self.ceiling_titles[name], **cell.to_json()}
                             for name, cell in self.ceilings.items()},
                "cases": [case.to_json(self.ceilings) for case in self.cases]}


def fmt(value):
    if value is None:
        return "—"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.1f}" if abs(value) >= 10 else f"{value:.2f}"


def cell_text(cell, footnotes):
    if cell is None:
        return "—"
    if cell.error:
        if cell.error not in footnotes:
            footnotes.append(cell.error)
        return f"n/a [{footnotes.index(cell.error) + 1}]"
    if not cell.samples:
        return "—"
    if len(cell.samples) == 1:
        return fmt(cell.median)
    return f"{fmt(cell.median)} ({fmt(min(cell.samples))}–{fmt(max(cell.samples))})"


def ratio_text(ratio):
    return "—" if ratio is None else f"{ratio:.2f}×"


def target_text(case, ceilings):
    if not case.target:
        return ""
    threshold = case.target.threshold(case, ceilings)
    text = case.target.text(case.unit)
    if threshold is not None and case.target.ref is not None:
        text += f" = {fmt(threshold)}"
    berth = case.cells.get("berth")
    if threshold is None or not berth or berth.median is None:
        return text
    return text + ("  ok" if case.target.met(berth.median, threshold) else "  MISSED")


def render(report):
    """The scenario as a fixed-width table (a column per peer, a ratio column per peer berth is held
    against), then its ceilings, footnotes and notes."""
    if not report.peers:
        return f"== {report.name}: skipped, none of its peers was selected"
    footnotes = []
    others = [p for p in report.peers if p != "berth"] if "berth" in report.peers else []
    header = ["metric", *report.peers, *(f"berth/{p}" for p in others), "target for berth"]
    rows = []
    for case in report.cases:
        rows.append([f"{case.title} [{case.unit}]",
                     *(cell_text(case.cells.get(p), footnotes) for p in report.peers),
                     *(ratio_text(case.ratio(p)) for p in others),
                     target_text(case, report.ceilings)])
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = [f"== {report.name}: {report.description}",
             "  ".join(h.ljust(w) for h, w in zip(header, widths)),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows]
    for name, cell in report.ceilings.items():
        lines.append(f"ceiling {name}, {report.ceiling_titles[name]}: {cell_text(cell, footnotes)}")
    lines += [f"[{i}] {reason}" for i, reason in enumerate(footnotes, 1)]
    lines += [f"note: {note}" for note in report.notes]
    return "\n".join(lines)
