"""Vocabularies of the source contract and of the published results, defined once."""

from __future__ import annotations

ENTITY_TYPES = (
    "credit_institution", "investment_firm", "insurance_undertaking",
    "collective_investment_scheme", "pension_fund", "other_financial_institution",
    "commodity_dealer", "local", "other_institutional_investor", "national_government",
    "regional_government", "public_debt_body", "central_bank", "supranational",
    "corporate", "private_investment_structure", "other",
)  # fmt: skip
ASSET_CLASSES = (
    "cash_deposit", "security", "fund", "structured_product", "derivative",
    "precious_metal", "life_insurance", "fiduciary", "real_estate", "pension",
)  # fmt: skip
CLIENT_TYPES = ("individual", "legal_entity")
SIDES = ("buy", "sell")
TRANSACTION_STATUSES = ("executed", "cancelled")
REQUEST_STATUSES = ("accepted", "pending", "rejected", "withdrawn")
REGIMES = ("mifid", "finsa")

MIFID_CATEGORIES = ("retail", "professional", "eligible_counterparty")
MIFID_BASES = (
    "per_se_ecp", "per_se_professional", "default", "opt_down", "elective_ecp",
    "elective_professional", "opt_up_refused",
)  # fmt: skip
FINSA_CATEGORIES = ("retail", "professional", "institutional")
FINSA_BASES = (
    "per_se_institutional", "per_se_professional", "default", "opting_out",
    "opting_out_refused", "opting_in",
)  # fmt: skip
REQUESTED_CATEGORIES = {"mifid": MIFID_CATEGORIES, "finsa": FINSA_CATEGORIES}

ABC_CLASSES = ("A", "B", "C")
RFM_SEGMENTS = (
    "champions", "loyal", "potential_loyalist", "new", "promising", "need_attention",
    "about_to_sleep", "cannot_lose", "at_risk", "hibernating", "no_activity",
)  # fmt: skip
WEALTH_TIERS = ("mass_market", "mass_affluent", "hnw", "uhnw")
REVENUE_TRENDS = ("new", "growing", "stable", "declining")
GAP_SEGMENTS = ("growth", "active", "passive")
AGE_BANDS = ("<25", "25-34", "35-44", "45-54", "55-64", "65+")
SERVICE_LEVELS = (1, 2, 3)

# Attributes whose change is listed in mart.client_category_changes (OUTPUT.md).
CHANGE_ATTRIBUTES = (
    "abc_class", "rfm_segment", "wealth_tier", "gap_segment", "service_level",
    "mifid_category", "finsa_category",
)  # fmt: skip

NONE = "(none)"  # a null segment or category (a legal entity's wealth tier), as counted


def label(value: object) -> str:
    """A value as the summary and the report count it: null is NONE."""
    return NONE if value is None else str(value)
