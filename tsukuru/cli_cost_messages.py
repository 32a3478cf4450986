"""Every user-facing string of `tsukuru cost` and `tsukuru cleanup`, in one table.

Same pattern as `cli_messages.py`: keyed `str.format` templates, no Rich markup, so a
translation (the CLI will follow LANG) is one more table beside this one.
"""

from __future__ import annotations

ENGLISH: dict[str, str] = {
    # help texts
    "help_cost": "Show what every resource would have cost on AWS, and what is billing now.",
    "help_cost_json": "Print the ledger as JSON.",
    "help_cost_all": "Also list models, endpoint configs and empty buckets or log groups one by"
    " one.",
    "help_cleanup": "Delete endpoints and stop notebook instances (and more with --include), so"
    " nothing keeps billing.",
    "help_dry_run": "Only show what would be deleted or stopped.",
    "help_yes": "Do not ask for confirmation.",
    "help_older_than": "Only resources created more than this long ago, e.g. 30m, 2h, 7d.",
    "help_include": "Also delete these, comma-separated: models, configs, buckets, logs.",
    # errors
    "bad_older_than": "error: --older-than wants a number and a unit (s, m, h, d or w), like 2h;"
    " got {value!r}",
    "bad_include": "error: --include takes {choices}; got {value!r}",
    "ledger_failed": "error: the platform at {url} could not report costs (HTTP {status})",
    "ledger_unavailable": "note: costs are not shown ({detail})",
    # cost: sections
    "section_running": "Running now — billing by the hour",
    "section_stored": "Stored — billing per GB-month while kept",
    "section_stopped": "Not billing now",
    "nothing_running": "Nothing is running: no instance is billing by the hour.",
    "free_summary": "{models} model(s) and {configs} endpoint config(s): AWS does not charge for"
    " these.",
    "empty_storage": "{count} empty bucket(s) or log group(s): nothing stored, nothing billed.",
    "col_kind": "Kind",
    "col_name": "Name",
    "col_instances": "Instances",
    "col_status": "Status",
    "col_started": "Started",
    "col_elapsed": "Elapsed",
    "col_rate": "Rate",
    "col_cost": "AWS cost",
    "col_price": "Price",
    "col_size": "Size",
    "col_age": "Stored for",
    "col_action": "Action",
    "col_created": "Created",
    "col_frees": "Frees",
    "kind_TrainingJob": "training job",
    "kind_TransformJob": "transform job",
    "kind_Endpoint": "endpoint",
    "kind_NotebookInstance": "notebook instance",
    "kind_Bucket": "bucket",
    "kind_LogGroup": "log group",
    "kind_Model": "model",
    "kind_EndpointConfig": "endpoint config",
    "price_listed": "list price",
    "price_estimated": "~ estimate from {based_on}",
    "price_missing": "no list price",
    "price_no_charge": "no charge",
    "per_hour": "{money}/h",
    "per_gb_month": "{money}/GB-month",
    "per_gb": "{money}/GB",
    "no_price": "no list price",
    # cost: totals and notes
    "total": "Would have cost on AWS so far: {money} (on-demand list prices, {region}, {currency})",
    "billing_now": "Billing now: {money}/hour (about {per_day}/day) — `tsukuru cleanup` stops it",
    "unpriced": "{count} line(s) have no list price and are not in the total — add a row to a CSV"
    " in {folder} (columns instance_type,usage,usd_per_hour,source,as_of)",
    "estimates": "~ marks an estimate from a listed instance type of the same family",
    "price_problem": "price table: {problem}",
    # cleanup
    "action_delete": "delete",
    "action_stop": "stop",
    "nothing_to_clean": "Nothing to clean up.",
    "kept": "Kept (add --include to delete them too): {what}",
    "kept_models": "{count} model(s)",
    "kept_configs": "{count} endpoint config(s)",
    "kept_buckets": "{count} bucket(s)",
    "kept_logs": "{count} log group(s)",
    "dry_run": "Dry run: nothing was changed.",
    "confirm": "Delete or stop these {count} resource(s)?",
    "failed_one": "could not {action} {kind} {name}: {detail}",
    "freed_nothing": "Nothing was deleted or stopped.",
    "freed": "Freed: {what}.",
    "freed_deleted": "deleted {items}",
    "freed_stopped": "stopped {items}",
    "freed_count": "{count} {kind}(s)",
    "freed_bytes": "{size} of stored data ({objects} object(s))",
    "freed_log_bytes": "{size} of logs",
    "freed_hourly": "{money}/hour no longer billing (would-be AWS on-demand price).",
}


def text(key: str, **values: object) -> str:
    """The English message `key`, with `values` filled in."""
    return ENGLISH[key].format(**values)
