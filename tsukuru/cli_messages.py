"""Every user-facing string of the resource commands (`ls`, `describe`, `logs`, `invoke`).

They live here, keyed by a short name, so that a translation (the CLI will follow LANG) is one
more table rather than a hunt through the code. Values are `str.format` templates; Rich markup
is added by the callers, never here, so translators only see words.
"""

from __future__ import annotations

ENGLISH: dict[str, str] = {
    # connection and errors
    "not_running": "tsukuru is not running at {url}; start it with tsukuru up --detach",
    "timed_out": "tsukuru at {url} did not answer in time: {detail}",
    "aws_error": "error: {code}: {message}",
    "bad_parameter": "error: {detail}",
    "status_not_supported": "error: --status does not apply to {kind}",
    "unknown_status": "error: unknown status {status!r} for {kind}; choose one of: {choices}",
    # help texts
    "help_ls": "List training jobs, endpoints, models, endpoint configs, buckets or transform jobs,"
    " newest first.",
    "help_ls_kind": "What to list.",
    "help_status": "Only resources in this status (for example Completed, InService).",
    "help_name_contains": "Only resources whose name contains this text.",
    "help_limit": "Show at most this many (newest first).",
    "help_describe": "Show a training job, endpoint, model or endpoint config in detail.",
    "help_describe_name": "Name of the training job, endpoint, model or endpoint config.",
    "help_json": "Print the raw API response as JSON.",
    "help_kind": "Which kind of resource NAME is (default: the first kind that has it).",
    "help_logs": "Print a training job's log lines (CloudWatch /aws/sagemaker/TrainingJobs).",
    "help_logs_job": "Training job name.",
    "help_follow": "Keep printing new lines until the job finishes; exit 1 if it failed.",
    "help_timestamps": "Prefix every line with its time.",
    "help_invoke": "Send a request to an endpoint and print the response body.",
    "help_invoke_endpoint": "Endpoint name.",
    "help_file": "Read the request body from this file ('-' for standard input).",
    "help_body": "The request body itself, for example '1,2,3'.",
    "help_content_type": "Content type of the request body.",
    "help_accept": "Content type wanted for the response.",
    "help_variant": "Send the request to this production variant.",
    # ls
    "empty_listing": "No {kind}.",
    "more_available": "Showing the newest {count}; use --limit to see more.",
    "kind_jobs": "training jobs",
    "kind_endpoints": "endpoints",
    "kind_models": "models",
    "kind_endpoint_configs": "endpoint configs",
    "kind_buckets": "buckets",
    "kind_transforms": "transform jobs",
    "col_name": "Name",
    "col_status": "Status",
    "col_secondary": "Secondary status",
    "col_created": "Created",
    "col_modified": "Modified",
    "col_duration": "Duration",
    "col_variants": "Variants (instances)",
    "col_arn": "ARN",
    "col_instance": "Instance",
    "col_start": "Start",
    "col_end": "End",
    "col_message": "Message",
    "col_value": "Value",
    "col_metric": "Metric",
    "col_time": "Time",
    "col_channel": "Channel",
    "col_source": "Source",
    "col_content_type": "Content type",
    "col_variant": "Variant",
    "col_model": "Model",
    "col_weight": "Weight",
    "col_instances": "Instances",
    "col_hyperparameter": "Hyperparameter",
    # describe
    "not_found_any": "no training job, endpoint, model or endpoint config is named {name!r}",
    "also_found": "{name!r} is also {kinds}; use --kind to describe it",
    "kind_label_job": "a training job",
    "kind_label_endpoint": "an endpoint",
    "kind_label_model": "a model",
    "kind_label_endpoint-config": "an endpoint config",
    "title_job": "Training job {name}",
    "title_endpoint": "Endpoint {name}",
    "title_model": "Model {name}",
    "title_endpoint_config": "Endpoint config {name}",
    "field_arn": "ARN",
    "field_status": "Status",
    "field_secondary": "Secondary status",
    "field_created": "Created",
    "field_modified": "Last modified",
    "field_training": "Training",
    "field_billable": "Billable seconds",
    "field_image": "Image",
    "field_instances": "Instances",
    "field_role": "Role",
    "field_output": "Output path",
    "field_artifact": "Model artifact",
    "field_failure": "Failure reason",
    "field_config": "Endpoint config",
    "field_model_data": "Model data",
    "field_environment": "Environment",
    "section_timeline": "Status timeline",
    "section_hyperparameters": "Hyperparameters",
    "section_channels": "Input channels",
    "section_metrics": "Final metrics",
    "section_variants": "Production variants",
    # logs
    "no_logs_yet": "No log lines yet for training job {job}.",
    "final_status": "Training job {job} {status} after {duration}.",
    "final_status_reason": "Training job {job} {status} after {duration}: {reason}",
    # invoke
    "body_required": "error: give the request body with --file PATH, --file - (standard input) or"
    " --body TEXT",
    "body_twice": "error: give the request body once: --file or --body, not both",
    "file_unreadable": "error: cannot read {path}: {detail}",
    "invoked_variant": "variant {variant} · {content_type}",
}


def text(key: str, **values: object) -> str:
    """The English message `key`, with `values` filled in."""
    return ENGLISH[key].format(**values)
