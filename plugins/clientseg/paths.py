"""Where the project's files live, resolved from the installed package."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
INCLUDE = PROJECT_ROOT / "include"
SQL_DIR = INCLUDE / "sql"
POLICY_FILE = INCLUDE / "policy.yaml"
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"
DATA_DIR = PROJECT_ROOT / "data"
