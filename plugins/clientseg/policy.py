"""The classification policy (include/policy.yaml): loaded, validated, hashed."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from clientseg import vocab
from clientseg.paths import POLICY_FILE


class PolicyError(ValueError):
    """The policy file is malformed; the message names the file and the setting."""


@dataclass(frozen=True)
class Policy:
    """A validated policy with the version and hash recorded for every run."""

    settings: dict[str, Any]
    version: str
    sha256: str
    path: Path

    def __getitem__(self, key: str) -> Any:
        return self.settings[key]


def load_policy(path: Path | str | None = None) -> Policy:
    """Read and validate the policy file (default: include/policy.yaml)."""
    path = Path(path or POLICY_FILE)
    raw = path.read_bytes()
    settings = yaml.safe_load(raw)
    if not isinstance(settings, dict):
        raise PolicyError(f"{path}: not a YAML mapping")
    _validate(settings, path)
    return Policy(settings, str(settings["version"]), hashlib.sha256(raw).hexdigest(), path)


def _get(settings: dict[str, Any], dotted: str, path: Path) -> Any:
    node: Any = settings
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            raise PolicyError(f"{path}: setting '{dotted}' is missing")
        node = node[part]
    return node


def _positive(settings: dict[str, Any], dotted: str, path: Path) -> float:
    value = _get(settings, dotted, path)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise PolicyError(f"{path}: setting '{dotted}' must be a positive number, got {value!r}")
    return float(value)


def _entity_list(settings: dict[str, Any], dotted: str, path: Path) -> None:
    value = _get(settings, dotted, path)
    unknown = [v for v in value if v not in vocab.ENTITY_TYPES] if isinstance(value, list) else 0
    if not isinstance(value, list) or unknown:
        raise PolicyError(f"{path}: setting '{dotted}' has unknown entity types {unknown}")


def _validate(s: dict[str, Any], path: Path) -> None:
    _get(s, "version", path)
    for dotted in (
        "measures.window_months", "measures.significant_notional_eur",
        "value_segments.abc.a_share", "value_segments.abc.b_share",
        "value_segments.rfm_buckets", "value_segments.revenue_trend.growing_ratio",
        "value_segments.revenue_trend.declining_ratio",
        "mifid.large_undertaking_min_met", "mifid.opt_up.significant_trades",
        "mifid.opt_up.portfolio_value_eur", "mifid.opt_up.experience_years",
        "mifid.opt_up.min_met", "finsa.large_company_min_met",
        "finsa.opting_out_chf.assets", "finsa.opting_out_chf.assets_with_knowledge",
        "validation.max_bad_row_share",
    ):  # fmt: skip
        _positive(s, dotted, path)
    for group in ("mifid.large_undertaking_eur", "finsa.large_company_chf"):
        for figure in ("balance_sheet_total", "net_turnover", "own_funds"):
            _positive(s, f"{group}.{figure}", path)
    for group in ("value_segments.wealth_tiers_eur",):
        tiers = [_positive(s, f"{group}.{t}", path) for t in ("mass_affluent", "hnw", "uhnw")]
        if tiers != sorted(tiers):
            raise PolicyError(f"{path}: setting '{group}' must be ascending")
    abc = _get(s, "value_segments.abc", path)
    if not 0 < abc["a_share"] < abc["b_share"] <= 1:
        raise PolicyError(f"{path}: setting 'value_segments.abc' needs 0 < a_share < b_share <= 1")
    for dotted in (
        "mifid.per_se_ecp", "mifid.per_se_professional", "finsa.per_se_institutional",
        "finsa.institutional_with_treasury", "finsa.professional_with_treasury",
        "finsa.opting_out_to_institutional",
    ):  # fmt: skip
        _entity_list(s, dotted, path)
    for dotted in ("measures.portfolio_asset_classes", "measures.excluded_from_investable"):
        classes = _get(s, dotted, path)
        if not isinstance(classes, list) or set(classes) - set(vocab.ASSET_CLASSES):
            raise PolicyError(f"{path}: setting '{dotted}' has unknown asset classes")
    bands = _get(s, "value_segments.age_bands", path)
    if not isinstance(bands, list) or bands != sorted(bands) or len(bands) != 5:
        raise PolicyError(f"{path}: setting 'value_segments.age_bands' needs 5 ascending ages")
    for row in _get(s, "value_segments.rfm_segments", path):
        if row.get("segment") not in vocab.RFM_SEGMENTS:
            raise PolicyError(f"{path}: unknown rfm segment {row.get('segment')!r}")
