"""Compile rules of the plant tables (users, tags, alarms, trends, reports).

emulator.topology.compile runs every rule of RULES after the topology rules.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from emulator.plant import server_rules, tag_rules

if TYPE_CHECKING:
    from emulator.topology.load import LoadedTopology
    from emulator.topology.problems import Problem

Rule = Callable[["LoadedTopology"], Iterable["Problem"]]

RULES: list[Rule] = [tag_rules.user_rules, tag_rules.tag_rules]
RULES += server_rules.RULES  # alarms, alarm categories, trends, reports
