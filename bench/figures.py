"""The figures of `make bench`, by key: issue 7's (1-6), issue 13's (7), issue 14's site
figures (8) and its index and cost figures (11-13). Each figure's harness is its own module;
what they share is bench.common."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bench.aws_requests import figures_2_and_3
from bench.cold_start import figure_6
from bench.common import MISS, QUICK, Config, Figure
from bench.cpu import figure_5
from bench.first_run import figure_1
from bench.index_units import figures_index
from bench.latency import figure_4
from bench.moving import figure_7
from bench.site_scale import figure_8

__all__ = ["FIGURES", "MISS", "QUICK", "Config", "Figure"]

FIGURES: dict[str, Callable[[Config, Path], list[Figure]]] = {
    "1": lambda cfg, work: [figure_1(cfg, work)],
    "2,3": lambda cfg, work: list(figures_2_and_3(cfg, work)),
    "4": lambda cfg, work: [figure_4(cfg, work)],
    "5": lambda cfg, work: [figure_5(cfg, work)],
    "6": lambda cfg, work: [figure_6(cfg, work)],
    "7": lambda cfg, work: [figure_7(cfg, work)],
    "8": lambda cfg, work: [figure_8(cfg, work)],
    "11,12,13": figures_index,
}
