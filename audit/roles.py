"""The roles of KreditaX as Django groups.

The groups and their permissions are created by migration ``audit.0002_create_roles``
(frozen there, as migrations must be); a change of permissions is a new migration.
"""

from __future__ import annotations

COMPLIANCE_OFFICER = "Compliance Officer"
MODEL_MANAGER = "Model Manager"
CREDIT_OFFICER = "Credit Officer"
ADMINISTRATOR = "Administrator"
