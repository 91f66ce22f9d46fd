"""The role groups hold exactly the permissions of ``registry.roles.ROLES`` of this release
(see 0012 for how). This release, in one sync: observed outcomes belong to the audit app
(0013, 0014); the Credit Officer works review cases (read, resolve, approve another's
override) and reads their events; the Compliance Officer reads review cases, events, event
checkpoints, portfolio runs and their records and artifact alerts; the Model Manager runs
portfolio scoring and reads artifact alerts; two new roles, the Credit Policy Manager (rule-set
versions and simulations) and the Risk Manager (monitoring snapshots and alerts); the
Administrator gets the permissions of every new model (django-axes and the token blacklist
included)."""

from typing import Any

from django.contrib.auth.management import create_permissions
from django.db import migrations

ALL = "*"

ROLES = {
    "Compliance Officer": (
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
    "Model Manager": (
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
    "Credit Officer": (
        "audit.view_auditevent",
        "audit.view_decisionrecord",
        "registry.score_applications",
        "review.approve_reviewcase",
        "review.resolve_reviewcase",
        "review.view_reviewcase",
    ),
    "Credit Policy Manager": (
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
    "Risk Manager": (
        "audit.view_outcome",
        "monitoring.acknowledge_monitoringalert",
        "monitoring.view_monitoringalert",
        "monitoring.view_monitoringsnapshot",
        "registry.view_modelalias",
        "registry.view_modelaliaschange",
        "registry.view_modelversion",
    ),
    "Administrator": (ALL,),
}


def _create_permissions(apps: Any) -> None:
    """Permissions are normally created after ``migrate``; make them exist now, from the
    models of this point in history (``create_permissions`` skips an app whose
    ``models_module`` is unset, as it is for historical apps)."""
    for app_config in apps.get_app_configs():
        models_module = getattr(app_config, "models_module", None)
        app_config.models_module = models_module or True
        try:
            create_permissions(app_config, verbosity=0, apps=apps)
        finally:
            app_config.models_module = models_module


def _permission(Permission: Any, dotted: str) -> Any:
    app_label, codename = dotted.split(".", 1)
    found = Permission.objects.filter(content_type__app_label=app_label, codename=codename)
    permission = found.first()
    if permission is None:
        raise LookupError(f"The roles name {dotted}, which does not exist.")
    return permission


def sync_roles(apps: Any, schema_editor: Any) -> None:
    _create_permissions(apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codes in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        if ALL in codes:
            group.permissions.set(Permission.objects.all())
        else:
            group.permissions.set([_permission(Permission, code) for code in codes])


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0025_outcome_observations"),
        ("monitoring", "0001_snapshots_and_alerts"),
        ("registry", "0008_model_version_baseline"),
        ("review", "0001_review_case"),
        ("policy", "0001_simulation_run"),
        ("portfolio", "0001_portfolio_run"),
        ("axes", "0010_accessattemptexpiration"),
        ("token_blacklist", "0013_alter_blacklistedtoken_options_and_more"),
        ("scoring", "0004_idempotency_status_code_default"),
        ("training", "0009_trainingrun_engine"),
        ("admin", "0003_logentry_add_action_flag_choices"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("rest_framework_api_key", "0005_auto_20220110_1102"),
        ("sessions", "0001_initial"),
    ]

    # Backwards the groups keep these grants: the earlier table is not restored.
    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
