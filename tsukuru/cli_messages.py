"""Every user-facing string of the resource commands (`ls`, `describe`, `logs`, `invoke`).

They live here, keyed by a short name, in English and in Japanese (the same keys in both); the
CLI follows the locale: `LC_ALL`, else `LC_MESSAGES`, else `LANG` (the first one set) starting
with `ja` picks Japanese. Values are `str.format` templates; Rich markup is added by the callers,
never here, so translators only see words.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

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


JAPANESE: dict[str, str] = {
    # connection and errors
    "not_running": "{url} で tsukuru が動いていません。tsukuru up --detach で起動してください",
    "timed_out": "{url} の tsukuru が時間内に応答しませんでした: {detail}",
    "aws_error": "エラー: {code}: {message}",
    "bad_parameter": "エラー: {detail}",
    "status_not_supported": "エラー: {kind} には --status を指定できません",
    "unknown_status": "エラー: {kind} のステータス {status!r} はありません。次から選んでください: "
    "{choices}",
    # help texts
    "help_ls": "トレーニングジョブ、エンドポイント、モデル、エンドポイント設定、バケット、"
    "バッチ変換ジョブを新しい順に一覧表示します。",
    "help_ls_kind": "一覧表示するもの。",
    "help_status": "このステータスのリソースだけを表示します（例: Completed、InService）。",
    "help_name_contains": "名前にこの文字列を含むリソースだけを表示します。",
    "help_limit": "表示する最大件数（新しい順）。",
    "help_describe": "トレーニングジョブ、エンドポイント、モデル、エンドポイント設定の"
    "詳細を表示します。",
    "help_describe_name": "トレーニングジョブ、エンドポイント、モデル、エンドポイント設定の名前。",
    "help_json": "API のレスポンスをそのまま JSON で表示します。",
    "help_kind": "NAME のリソースの種類（省略時は、その名前を持つ最初の種類）。",
    "help_logs": "トレーニングジョブのログを表示します"
    "（CloudWatch の /aws/sagemaker/TrainingJobs）。",
    "help_logs_job": "トレーニングジョブ名。",
    "help_follow": "ジョブが終わるまで新しい行を表示し続けます。"
    "失敗した場合は終了コード 1 で終わります。",
    "help_timestamps": "各行の先頭に時刻を付けます。",
    "help_invoke": "エンドポイントにリクエストを送り、レスポンスの本文を表示します。",
    "help_invoke_endpoint": "エンドポイント名。",
    "help_file": "リクエスト本文をこのファイルから読み込みます（'-' で標準入力）。",
    "help_body": "リクエスト本文そのもの（例: '1,2,3'）。",
    "help_content_type": "リクエスト本文のコンテンツタイプ。",
    "help_accept": "レスポンスに求めるコンテンツタイプ。",
    "help_variant": "このプロダクションバリアントにリクエストを送ります。",
    # ls
    "empty_listing": "{kind}はありません。",
    "more_available": "新しい {count} 件を表示しています。"
    "さらに見るには --limit を指定してください。",
    "kind_jobs": "トレーニングジョブ",
    "kind_endpoints": "エンドポイント",
    "kind_models": "モデル",
    "kind_endpoint_configs": "エンドポイント設定",
    "kind_buckets": "バケット",
    "kind_transforms": "バッチ変換ジョブ",
    "col_name": "名前",
    "col_status": "ステータス",
    "col_secondary": "詳細ステータス",
    "col_created": "作成日時",
    "col_modified": "更新日時",
    "col_duration": "所要時間",
    "col_variants": "バリアント（インスタンス数）",
    "col_arn": "ARN",
    "col_instance": "インスタンス",
    "col_start": "開始",
    "col_end": "終了",
    "col_message": "メッセージ",
    "col_value": "値",
    "col_metric": "メトリクス",
    "col_time": "時刻",
    "col_channel": "チャネル",
    "col_source": "データの場所",
    "col_content_type": "コンテンツタイプ",
    "col_variant": "バリアント",
    "col_model": "モデル",
    "col_weight": "重み",
    "col_instances": "インスタンス数",
    "col_hyperparameter": "ハイパーパラメータ",
    # describe
    "not_found_any": "{name!r} という名前のトレーニングジョブ、エンドポイント、モデル、"
    "エンドポイント設定はありません",
    "also_found": "{name!r} は{kinds}でもあります。--kind で種類を指定してください",
    "kind_label_job": "トレーニングジョブ",
    "kind_label_endpoint": "エンドポイント",
    "kind_label_model": "モデル",
    "kind_label_endpoint-config": "エンドポイント設定",
    "title_job": "トレーニングジョブ {name}",
    "title_endpoint": "エンドポイント {name}",
    "title_model": "モデル {name}",
    "title_endpoint_config": "エンドポイント設定 {name}",
    "field_arn": "ARN",
    "field_status": "ステータス",
    "field_secondary": "詳細ステータス",
    "field_created": "作成日時",
    "field_modified": "最終更新",
    "field_training": "トレーニング",
    "field_billable": "課金対象の秒数",
    "field_image": "イメージ",
    "field_instances": "インスタンス",
    "field_role": "ロール",
    "field_output": "出力先",
    "field_artifact": "モデルアーティファクト",
    "field_failure": "失敗の理由",
    "field_config": "エンドポイント設定",
    "field_model_data": "モデルデータ",
    "field_environment": "環境変数",
    "section_timeline": "ステータスの推移",
    "section_hyperparameters": "ハイパーパラメータ",
    "section_channels": "入力チャネル",
    "section_metrics": "最終メトリクス",
    "section_variants": "プロダクションバリアント",
    # logs
    "no_logs_yet": "トレーニングジョブ {job} のログはまだありません。",
    "final_status": "トレーニングジョブ {job} は {duration} で {status} になりました。",
    "final_status_reason": "トレーニングジョブ {job} は {duration} で {status} になりました: "
    "{reason}",
    # invoke
    "body_required": "エラー: リクエスト本文を --file PATH、--file -（標準入力）、"
    "--body TEXT のいずれかで指定してください",
    "body_twice": "エラー: リクエスト本文は --file か --body のどちらか一方で指定してください",
    "file_unreadable": "エラー: {path} を読み込めません: {detail}",
    "invoked_variant": "バリアント {variant} · {content_type}",
}


def wants_japanese(environ: Mapping[str, str] | None = None) -> bool:
    """Whether the locale asks for Japanese: the first of LC_ALL, LC_MESSAGES and LANG that is
    set decides, as for any POSIX program (`ja_JP.UTF-8`, `ja`, ...)."""
    env = os.environ if environ is None else environ
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name)
        if value:
            return value.lower().startswith("ja")
    return False


def text(key: str, **values: object) -> str:
    """The message `key` in the locale's language, with `values` filled in."""
    table = JAPANESE if wants_japanese() else ENGLISH
    return table[key].format(**values)
