"""The roles of KreditaX: Django groups and the permissions each one holds.

The one definition of the roles. It is plain data (permission names as strings), so every app
may import it; the groups in the database are kept in step by the ``audit.NNNN_sync_roles``
data migrations, each holding a frozen copy of ``ROLES`` as migrations must. A change here
(or a new model) needs a new sync migration: ``tests/audit/test_roles.py`` fails until the
latest one matches this table, and fails when a model is neither granted to a role nor listed
in ``UNGRANTED``, so every new model forces a decision.

What each role may open, page by page and endpoint by endpoint, is the table "Roles and what
they may do" in the README, which ``tests/test_roles_matrix.py`` checks against the product.
"""

from __future__ import annotations

COMPLIANCE_OFFICER = "Compliance Officer"
MODEL_MANAGER = "Model Manager"
CREDIT_OFFICER = "Credit Officer"
RISK_MANAGER = "Risk Manager"
ADMINISTRATOR = "Administrator"
CREDIT_POLICY_MANAGER = "Credit Policy Manager"

#: Stands for every permission that exists (the Administrator's grant).
ALL = "*"

#: Role name -> the permissions its group holds, as ``app_label.codename``.
ROLES: dict[str, tuple[str, ...]] = {
    # Reviews and exports the audit trail; reads the model registry to explain decisions.
    COMPLIANCE_OFFICER: (
        "audit.export_decisionrecord",
        "audit.replay_decisionrecord",
        "audit.view_auditaccess",
        "audit.view_auditcheckpoint",
        "audit.view_auditevent",
        "audit.view_auditeventcheckpoint",
        "audit.view_decisionrecord",
        "audit.view_portfoliorunrecord",
        "portfolio.view_portfoliorun",
        "registry.view_artifactalert",
        "registry.view_modelalias",
        "registry.view_modelaliaschange",
        "registry.view_modelversion",
        "registry.view_ruleset",
        "review.view_reviewcase",
    ),
    # Trains, evaluates, compares, promotes and rolls back model versions; runs, watches and
    # cancels portfolio scoring runs and reads their audit records.
    MODEL_MANAGER: (
        "audit.add_outcome",
        "audit.view_outcome",
        "audit.view_portfoliorunrecord",
        "portfolio.add_portfoliorun",
        "portfolio.change_portfoliorun",
        "portfolio.view_portfoliorun",
        "registry.add_modelversion",
        "registry.change_modelalias",
        "registry.change_modelversion",
        "registry.view_artifactalert",
        "registry.view_modelalias",
        "registry.view_modelaliaschange",
        "registry.view_modelversion",
        "training.add_trainingrun",
        "training.change_trainingrun",
        "training.view_trainingrun",
    ),
    # Reviews the decisions routed to manual review, objections and quality samples (claims,
    # resolves, approves another officer's override); may score an application by hand.
    CREDIT_OFFICER: (
        "audit.view_auditevent",
        "audit.view_decisionrecord",
        "registry.score_applications",
        "review.approve_reviewcase",
        "review.resolve_reviewcase",
        "review.view_reviewcase",
    ),
    # Drafts rule-set versions, simulates them on recorded decisions, approves or refuses
    # another manager's draft (never their own: the services refuse self-approval).
    CREDIT_POLICY_MANAGER: (
        "audit.view_outcome",
        "policy.add_simulationrun",
        "policy.change_simulationrun",
        "policy.view_simulationrun",
        "registry.add_ruleset",
        "registry.approve_ruleset",
        "registry.change_ruleset",
        "registry.view_modelversion",
        "registry.view_ruleset",
    ),
    # Watches the models in production: monitoring snapshots and their dashboard, alerts
    # (acknowledged with a note); reads the model versions and the observed outcomes.
    RISK_MANAGER: (
        "audit.view_outcome",
        "monitoring.acknowledge_monitoringalert",
        "monitoring.view_monitoringalert",
        "monitoring.view_monitoringsnapshot",
        "registry.view_modelalias",
        "registry.view_modelaliaschange",
        "registry.view_modelversion",
    ),
    # Everything, including people, roles and API keys.
    ADMINISTRATOR: (ALL,),
}

#: Models deliberately granted to no role but the Administrator (``app_label.model``), and why.
UNGRANTED: dict[str, str] = {
    "admin.logentry": "the admin's own change history",
    "auth.group": "roles are managed by administrators",
    "axes.accessattempt": "unused: sign-in failures are counted in the cache",
    "axes.accessattemptexpiration": "unused: sign-in failures are counted in the cache",
    "axes.accessfailurelog": "unused: sign-in failures are counted in the cache",
    "axes.accesslog": "unused: lockouts are recorded in audit.AuditAccess",
    "auth.permission": "roles are managed by administrators",
    "auth.user": "people are managed by administrators",
    "contenttypes.contenttype": "Django's bookkeeping",
    "registry.apiclient": "loan systems' API keys are managed by administrators",
    "rest_framework_api_key.apikey": "unused: loan systems authenticate as registry.ApiClient",
    "scoring.idempotencyrecord": "the API's replay store, read by no person",
    "sessions.session": "Django's bookkeeping",
    "token_blacklist.blacklistedtoken": "people's revoked refresh tokens, bookkeeping",
    "token_blacklist.outstandingtoken": "people's refresh tokens, bookkeeping",
}
