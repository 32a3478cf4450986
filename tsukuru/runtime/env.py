"""The `SM_*` environment a SageMaker training container sees, computed from the job tree.

SageMaker's training toolkit (sagemaker-containers / sagemaker-training) derives these variables
from /opt/ml; built-in algorithms read a few of them and user scripts in script mode read many
(`SM_MODEL_DIR`, `SM_CHANNEL_TRAIN`, `SM_HPS`, ...). They are rebuilt here from the same inputs
with the toolkit's encoding rules, pointing at this job's tree instead of /opt/ml:

* keys are `SM_` + the upper-cased name; strings are passed as they are, everything else as
  compact, key-sorted JSON;
* hyperparameter values are JSON-decoded when they parse (`"5"` becomes 5), and `sagemaker_*`
  and `_tuning_objective_metric` entries are platform parameters, not hyperparameters;
* `SM_USER_ARGS` is the hyperparameters as `--name value` command-line arguments.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

from tsukuru.runtime.layout import JobLayout

INFO_LOG_LEVEL = 20
_PLATFORM_PARAMETERS = frozenset(
    {
        "sagemaker_program",
        "sagemaker_submit_directory",
        "sagemaker_enable_cloudwatch_metrics",
        "sagemaker_region",
        "sagemaker_container_log_level",
        "sagemaker_job_name",
        "default_user_module_name",
        "_tuning_objective_metric",
        "sagemaker_s3_output",
    }
)


def decode_hyperparameters(raw: Mapping[str, str]) -> dict[str, Any]:
    """Each value JSON-decoded when it parses, else kept as the string (as the toolkit does)."""
    decoded: dict[str, Any] = {}
    for key, value in raw.items():
        try:
            decoded[key] = json.loads(value)
        except (TypeError, ValueError):
            decoded[key] = value
    return decoded


def split_platform_parameters(
    hyperparameters: Mapping[str, Any],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(user hyperparameters, platform parameters: `sagemaker_*` and the known reserved names)."""
    platform = {
        key: value
        for key, value in hyperparameters.items()
        if key in _PLATFORM_PARAMETERS or key.startswith("sagemaker_")
    }
    user = {key: value for key, value in hyperparameters.items() if key not in platform}
    return user, platform


def command_line_arguments(hyperparameters: Mapping[str, Any]) -> list[str]:
    """`--name value` pairs sorted by name (`-n value` for one-letter names)."""
    arguments: list[str] = []
    for key in sorted(hyperparameters):
        arguments.append(f"--{key}" if len(key) > 1 else f"-{key}")
        value = hyperparameters[key]
        if isinstance(value, Mapping):
            arguments.append(",".join(f"{k}={v}" for k, v in sorted(value.items())))
        else:
            arguments.append("" if value is None else str(value))
    return arguments


def training_environment(
    layout: JobLayout,
    *,
    num_cpus: int,
    num_gpus: int = 0,
    framework_module: str | None = None,
) -> dict[str, str]:
    """Every `SM_*` variable for the job in `layout`."""
    resource_config = layout.resource_config()
    input_data_config = layout.input_data_config()
    user_hps, platform = split_platform_parameters(decode_hyperparameters(layout.hyperparameters()))
    framework_params = {
        key: value
        for key, value in platform.items()
        if key not in _PLATFORM_PARAMETERS and key.startswith("sagemaker_")
    }
    hosts = list(resource_config.get("hosts") or ["algo-1"])
    current_host = str(resource_config.get("current_host") or hosts[0])
    channels = {name: str(layout.channel_dir(name)) for name in input_data_config}
    program = platform.get("sagemaker_program")
    module_name = str(program)[:-3] if str(program).endswith(".py") else program
    values: dict[str, Any] = {
        "additional_framework_parameters": framework_params,
        "channel_input_dirs": channels,
        "current_host": current_host,
        "current_instance_type": resource_config.get("current_instance_type", "local"),
        "framework_module": framework_module,
        "hosts": hosts,
        "hyperparameters": user_hps,
        "input_config_dir": str(layout.config_dir),
        "input_data_config": input_data_config,
        "input_dir": str(layout.input_dir),
        "is_master": current_host == hosts[0],
        "job_name": os.environ.get("TRAINING_JOB_NAME"),
        "log_level": platform.get("sagemaker_container_log_level", INFO_LOG_LEVEL),
        "master_hostname": hosts[0],
        "model_dir": str(layout.model_dir),
        "module_dir": str(platform.get("sagemaker_submit_directory", layout.code_dir)),
        "module_name": module_name,
        "network_interface_name": resource_config.get("network_interface_name", "eth0"),
        "num_cpus": num_cpus,
        "num_gpus": num_gpus,
        "output_data_dir": str(layout.output_data_dir),
        "output_dir": str(layout.output_dir),
        "output_intermediate_dir": str(layout.output_intermediate_dir),
        "resource_config": resource_config,
        "user_entry_point": program,
    }
    env: dict[str, Any] = {
        "hosts": hosts,
        "network_interface_name": values["network_interface_name"],
        "hps": user_hps,
        "user_entry_point": program,
        "framework_params": framework_params,
        "resource_config": resource_config,
        "input_data_config": input_data_config,
        "output_data_dir": values["output_data_dir"],
        "channels": sorted(channels),
        "current_host": current_host,
        "current_instance_type": values["current_instance_type"],
        "module_name": module_name,
        "log_level": values["log_level"],
        "framework_module": framework_module,
        "input_dir": values["input_dir"],
        "input_config_dir": values["input_config_dir"],
        "output_dir": values["output_dir"],
        "num_cpus": num_cpus,
        "num_gpus": num_gpus,
        "model_dir": values["model_dir"],
        "module_dir": values["module_dir"],
        "training_env": values,
        "user_args": command_line_arguments(user_hps),
        "output_intermediate_dir": values["output_intermediate_dir"],
    }
    for name, path in channels.items():
        env[f"channel_{name}"] = path
    for key, value in user_hps.items():
        env[f"hp_{key}"] = value
    return {f"SM_{key.upper()}": _encode(value) for key, value in env.items()}


def _encode(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
