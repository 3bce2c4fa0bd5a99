"""Tables of an export's manifest for notebook 06: what each served model is and how it passed
its parity check, and the served policies beside their references."""

from __future__ import annotations

import pandas as pd

from aura.export.exporter import FOREST_TOLERANCE, FOREST_TOLERANCE_TEXT, POLICY_AGREEMENT
from aura.export.manifest import Manifest
from aura.export.onnx_policy import ACTION_TIE
from aura.reports.tables import MISSING, fixed, with_interval


def parity_table(manifest: Manifest) -> pd.DataFrame:
    """One row per model: kind, inputs, outputs, class labels, and the parity check the export
    held it to (the thresholds the export refuses at) with whether its recorded parity passes."""
    rows = []
    for name, m in manifest.models.items():
        if m.kind == "policy":
            p = m.parity
            check = (
                f"same action on >= {POLICY_AGREEMENT:.1%} of {p['rows']:,.0f} random and "
                f"{p['episode_rows']:,.0f} episode observations, on all decided by > {ACTION_TIE:g}"
            )
            passed = all(
                p[f"{kind}action_agreement"] >= POLICY_AGREEMENT
                and p[f"{kind}decided_disagreements"] == 0
                for kind in ("", "episode_")
            )
        else:
            check = f"max |ONNX - sklearn| <= {FOREST_TOLERANCE_TEXT}"
            passed = m.parity["max_abs_diff"] <= FOREST_TOLERANCE
        rows.append(
            {
                "model": name,
                "kind": m.kind,
                "inputs": len(m.inputs),
                "outputs": ", ".join(o.name for o in m.outputs),
                "classes": ", ".join(m.class_labels or []),
                "parity check": check,
                "passed": passed,
            }
        )
    return pd.DataFrame(rows)


def served_policies_table(manifest: Manifest) -> pd.DataFrame:
    """The served policy of each environment (algorithm and seed) with its held-out normalised
    score and its paired lead over the best hand rule, each with its 95% interval over the
    held-out episodes (`aura.rl.selection.selected_score`: one seed, so the episodes alone, which
    ``interval covers`` says), beside the hand rule's and the upper reference's scores (random 0,
    oracle 1); a value the export did not record (no results.json beside the agents) is left
    empty."""
    rows = {}
    for name, m in manifest.models.items():
        if m.kind == "policy":
            selected, refs = m.metrics.get("selected", {}), m.metrics.get("references", {})
            algo, seed = selected.get("algo", "?").upper(), selected.get("seed_index", "?")
            score, lead = selected.get("interval", {}), selected.get("lead_over_hand_rule", {})
            rows[name] = {
                "served policy": f"{algo}, seed {seed}",
                "normalised score": selected.get("normalised"),
                "low": score.get("low"),
                "high": score.get("high"),
                "lead over hand rule": lead.get("mean"),
                "lead low": lead.get("low"),
                "lead high": lead.get("high"),
                "interval covers": score.get("covers"),
                "hand rule": refs.get("hand_rule_normalised"),
                "upper reference": refs.get("ceiling_normalised"),
            }
    return pd.DataFrame.from_dict(rows, orient="index")


SERVED_POLICIES_REPORT_COLUMNS = [
    "environment",
    "served policy",
    "normalised score (95% CI)",
    "lead over hand rule (95% CI)",
    "the intervals cover",
    "hand rule",
    "upper reference",
]
"""The headers of `served_policies_report_table`, in order (notebook 06's prose names them)."""


def served_policies_report_table(table: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    """A `served_policies_table` as notebook 06 shows it: the environment in words in a column of
    its own, the score and the lead each with its 95% interval in one cell ("0.831 [0.804,
    0.857]", where the code has ``low`` and ``high`` columns), what the intervals cover in words,
    and a dash for a value the export did not record."""
    rows = [
        [
            str(name).replace("_", " "),
            r["served policy"],
            with_interval(r["normalised score"], r["low"], r["high"], digits),
            with_interval(r["lead over hand rule"], r["lead low"], r["lead high"], digits),
            MISSING if pd.isna(r["interval covers"]) else str(r["interval covers"]),
            fixed(r["hand rule"], digits),
            fixed(r["upper reference"], digits),
        ]
        for name, r in table.iterrows()
    ]
    return pd.DataFrame(rows, columns=SERVED_POLICIES_REPORT_COLUMNS)
